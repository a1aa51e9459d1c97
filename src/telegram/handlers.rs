//! The bot's I/O: one async fn per kind of update (messages, button
//! presses, chat membership changes, inline queries), the alert loop of
//! followed topics, and the helpers that send what [`super::render`]
//! produced. Decisions are made by the pure modules; this file only reads
//! updates, runs the engine on the blocking pool and calls the Bot API.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{
    ChatAction, ChatMemberUpdated, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResult,
    InlineQueryResultArticle, InputMessageContent, InputMessageContentText, LinkPreviewOptions, MessageId, ParseMode,
    ReplyParameters, ThreadId, UserId,
};
use teloxide::{ApiError, RequestError};

use super::render::{self, Button, ButtonAction, Links, Reply};
use super::route::{self, Action, Callback, Incoming, ListOf, Place};
use super::split::strip_tags;
use super::{BotError, State, Tg, access, recent, reload, retry};
use crate::answer::{Answer, AskOptions, Kind, resolve_script};
use crate::collection::Want;
use crate::script::Script;

/// Longer "questions" get a polite refusal instead of engine time: the
/// query parser's limit, so nothing the bot accepts is silently cut.
pub use crate::query::MAX_QUESTION_CHARS;
/// Telegram shows `typing…` for about 5 s; refresh it this often.
const TYPING_EVERY: Duration = Duration::from_secs(4);
/// How long the first `typing` call may delay an answer.
const TYPING_FIRST_WAIT: Duration = Duration::from_secs(2);
/// Inline mode offers at most this many results.
pub const INLINE_RESULTS: usize = 5;

type HandlerResult = Result<(), BotError>;

/// Where a reply goes.
#[derive(Debug, Clone, Copy)]
struct Target {
    chat: ChatId,
    /// The forum topic, kept so a reply lands where it was asked.
    thread: Option<ThreadId>,
    /// The message the first chunk replies to.
    reply_to: Option<MessageId>,
}

fn topic_of(msg: &Message) -> Option<ThreadId> {
    if msg.is_topic_message { msg.thread_id } else { None }
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

fn keyboard(rows: &[Vec<Button>]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows.iter().map(|row| {
        row.iter()
            .filter_map(|b| match &b.action {
                ButtonAction::Callback(data) => Some(InlineKeyboardButton::callback(b.label.clone(), data.clone())),
                ButtonAction::Url(url) => reqwest::Url::parse(url)
                    .ok()
                    .map(|u| InlineKeyboardButton::url(b.label.clone(), u)),
            })
            .collect::<Vec<_>>()
    }))
}

/// A text message (question, command, reply to the bot).
pub async fn on_message(bot: Tg, msg: Message, state: Arc<State>) -> HandlerResult {
    let place = if msg.chat.is_private() {
        Place::Private
    } else if msg.chat.is_group() || msg.chat.is_supergroup() {
        Place::Group
    } else {
        return Ok(());
    };
    // Any message in a group the bot may not be in (its own joining
    // included, whoever sent it): say so once and leave.
    if place == Place::Group && state.rules.leaves_group(msg.chat.id.0) {
        let lang = msg.from.as_ref().and_then(|u| u.language_code.as_deref());
        return leave_group(&bot, &state, msg.chat.id, route::script_for_language(lang)).await;
    }
    let Some(from) = msg.from.as_ref() else {
        return Ok(()); // channel posts and anonymous admins
    };
    if from.is_bot {
        return Ok(()); // never talk to other bots: no loops
    }
    let ui_script = route::script_for_language(from.language_code.as_deref());
    let to = Target {
        chat: msg.chat.id,
        thread: topic_of(&msg),
        reply_to: (place == Place::Group).then_some(msg.id),
    };
    let user = from.id.0 as i64;
    let Some(text) = msg.text() else {
        if place == Place::Private && state.rules.allows(user, msg.chat.id.0) {
            send_reply(&bot, &state, to, &Reply::text(render::text_only(ui_script))).await?;
        }
        return Ok(());
    };
    let replied = msg
        .reply_to_message()
        .filter(|r| r.from.as_ref().is_some_and(|u| u.id == state.bot_id));
    let action = route::route(
        Incoming {
            place,
            text,
            reply_to_bot: replied.is_some(),
        },
        &state.username,
    );
    let bot_name = state.username.as_str();
    if action == Action::Ignore {
        return Ok(());
    }
    // Addressed to us: is the asker let in?
    match state.gate.admit(&state.rules, user, msg.chat.id.0) {
        access::Verdict::Allow => {}
        access::Verdict::Silent => return Ok(()),
        access::Verdict::Refuse => {
            tracing::info!(user, chat = msg.chat.id.0, "refused: not on the allowlists");
            return send_text(&bot, &state, to, render::not_allowed(ui_script)).await;
        }
    }
    match action {
        Action::Ignore => Ok(()),
        Action::Ask(question) => {
            // A reply to a list of /search or /latest follows up on nothing.
            let context = replied
                .and_then(|r| state.recall(msg.chat.id, r.id))
                .and_then(|t| ListOf::decode(&t).question().map(str::to_owned));
            ask(&bot, &state, to, place, user, question, context).await
        }
        Action::Search(words) => list(&bot, &state, to, place, user, ListOf::Search(words), ui_script).await,
        Action::Latest => list(&bot, &state, to, place, user, ListOf::Latest, ui_script).await,
        Action::Follow(words) => {
            change_follows(&bot, &state, &msg, to, user, FollowChange::Add(&words), ui_script).await
        }
        Action::Following => {
            let text = match &state.follows {
                Some(f) => render::follows_list(&f.of_chat(msg.chat.id.0), ui_script),
                None => render::follows_off(ui_script),
            };
            send_text(&bot, &state, to, text).await
        }
        Action::Unfollow(n) => change_follows(&bot, &state, &msg, to, user, FollowChange::Remove(&n), ui_script).await,
        Action::Start(payload) => start(&bot, &state, to, place, user, payload.as_deref(), ui_script).await,
        Action::Stats if state.rules.is_admin(user) => {
            let snapshot = state.counters().snapshot(std::time::Instant::now());
            let follows = state.follows.as_ref().map_or((0, 0), |f| f.counts());
            send_text(
                &bot,
                &state,
                to,
                render::stats(&snapshot, state.index_age(), follows, ui_script),
            )
            .await
        }
        Action::Help => send_text(&bot, &state, to, render::help(bot_name, state.example(), ui_script)).await,
        Action::Reindex if state.rules.is_admin(user) => reindex(&bot, &state, to, ui_script).await,
        Action::Stats | Action::Reindex => send_text(&bot, &state, to, render::unknown_command(ui_script)).await,
        Action::About => send_text(&bot, &state, to, render::about(state.engine().stats(), ui_script)).await,
        Action::Usage => send_text(&bot, &state, to, render::usage(bot_name, state.example(), ui_script)).await,
        Action::UnknownCommand => send_text(&bot, &state, to, render::unknown_command(ui_script)).await,
    }
}

/// Leaves a group that is not on the allowlist, saying why the first time
/// (should leaving fail, the next message there tries again, silently).
async fn leave_group(bot: &Tg, state: &State, chat: ChatId, script: Script) -> HandlerResult {
    if state.gate.leaving(chat.0) {
        tracing::info!(chat = chat.0, "leaving a group that is not allowed");
        let to = Target {
            chat,
            thread: None,
            reply_to: None,
        };
        // The bot may not be allowed to write there; it leaves all the same.
        if let Err(e) = send_text(bot, state, to, render::leaving_group(script)).await {
            tracing::warn!(error = %e, chat = chat.0, "could not say goodbye");
        }
    }
    retry::call(bot.leave_chat(chat), &state.api).await?;
    Ok(())
}

/// The bot's own membership changed: added to a group that is not
/// allowed, it leaves at once.
pub async fn on_my_chat_member(bot: Tg, change: ChatMemberUpdated, state: Arc<State>) -> HandlerResult {
    let group = change.chat.is_group() || change.chat.is_supergroup();
    if group && change.new_chat_member.is_present() && state.rules.leaves_group(change.chat.id.0) {
        let script = route::script_for_language(change.from.language_code.as_deref());
        return leave_group(&bot, &state, change.chat.id, script).await;
    }
    Ok(())
}

async fn send_text(bot: &Tg, state: &State, to: Target, html: String) -> HandlerResult {
    send_reply(bot, state, to, &Reply::text(html)).await.map(|_| ())
}

/// `/start`: the welcome, an example question (`ex<n>`) or an article
/// (`<key>_<script>`, from a group's citation button).
async fn start(
    bot: &Tg,
    state: &Arc<State>,
    to: Target,
    place: Place,
    user: i64,
    payload: Option<&str>,
    ui_script: Script,
) -> HandlerResult {
    let example = payload
        .and_then(|p| p.strip_prefix("ex"))
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| state.examples.get(n));
    if let Some(q) = example {
        return ask(bot, state, to, place, user, q.clone(), None).await;
    }
    if let Some((key, script)) = payload.and_then(route::decode_payload) {
        return match state.engine().doc_by_key(&key) {
            Some(doc) => match render::article_page(&doc.article, &key, 0, script) {
                Some(page) => send_reply(bot, state, to, &page).await.map(|_| ()),
                None => send_text(bot, state, to, render::stale_article(script)).await,
            },
            None => send_text(bot, state, to, render::stale_article(script)).await,
        };
    }
    send_text(
        bot,
        state,
        to,
        render::welcome(&state.username, &state.examples, ui_script),
    )
    .await
}

/// `/reindex` (admins): rebuilds the index now, showing `typing…`, and
/// says how it went.
async fn reindex(bot: &Tg, state: &Arc<State>, to: Target, script: Script) -> HandlerResult {
    let Some(settings) = state.reload.clone() else {
        return send_text(bot, state, to, render::reindex_unavailable(script)).await;
    };
    let outcome = with_typing(bot, state, to, reload::reload(state, &settings, true)).await;
    let articles = state.engine().stats().articles;
    send_text(bot, state, to, render::reindexed(&outcome, articles, script)).await
}

/// Whether `user` may ask now (the per-user rate limit); when not, the one
/// notice of that minute is sent (later ones are dropped).
async fn within_rate(
    bot: &Tg,
    state: &State,
    to: Target,
    user: i64,
    now: std::time::Instant,
    script: Script,
) -> Result<bool, BotError> {
    let access::Rate::Limited { notify, wait } = state.gate.rate(&state.rules, user, now) else {
        return Ok(true);
    };
    tracing::info!(user, "rate limited");
    if notify {
        let text = render::rate_limited(state.rules.per_minute, wait.as_secs().max(1), script);
        send_text(bot, state, to, text).await?;
    }
    Ok(false)
}

/// Answers a question: the engine on the blocking pool (with `typing…`
/// shown meanwhile), then the cited reply; its messages are remembered so
/// a reply to them is a follow-up.
async fn ask(
    bot: &Tg,
    state: &Arc<State>,
    to: Target,
    place: Place,
    user: i64,
    question: String,
    context: Option<String>,
) -> HandlerResult {
    let started = std::time::Instant::now();
    let script = resolve_script(None, &question);
    if !within_rate(bot, state, to, user, started, script).await? {
        return Ok(());
    }
    if crate::query::check_length(&question).is_err() {
        return send_text(bot, state, to, render::too_long(MAX_QUESTION_CHARS, script)).await;
    }
    let remembered = recent::chain(context.as_deref(), &question);
    let answer = with_typing(bot, state, to, answer_on_pool(state, question, context, 0)).await;
    let Some(answer) = answer else {
        return send_text(bot, state, to, render::failed(script)).await;
    };
    let links = match place {
        Place::Private => Links::Callback,
        Place::Group => Links::DeepLink(&state.username),
    };
    let (reply, remembered) = if answer.kind == Kind::Fact {
        (render::answer_reply(&answer, links), remembered)
    } else {
        // A list's page buttons list again what its message remembers.
        (
            render::list_reply(&answer, links, 0),
            ListOf::Question(answer.question.clone()).encode(),
        )
    };
    let ids = send_reply(bot, state, to, &reply).await?;
    for id in ids {
        state.remember(to.chat, id, &remembered);
    }
    state.counters().record(answer.no_answer, started.elapsed());
    tracing::info!(
        chat = to.chat.0,
        engine_ms = answer.took_ms,
        citations = answer.citations.len(),
        messages = reply.chunks.len(),
        "answered"
    );
    Ok(())
}

/// `/search` and `/latest`: the first page of the list, remembered with
/// its message for the page buttons. Rate-limited like a question.
async fn list(
    bot: &Tg,
    state: &Arc<State>,
    to: Target,
    place: Place,
    user: i64,
    of: ListOf,
    script: Script,
) -> HandlerResult {
    let started = std::time::Instant::now();
    if !within_rate(bot, state, to, user, started, script).await? {
        return Ok(());
    }
    if let ListOf::Search(words) = &of
        && crate::query::check_length(words).is_err()
    {
        return send_text(bot, state, to, render::too_long(MAX_QUESTION_CHARS, script)).await;
    }
    let Some(answer) = with_typing(bot, state, to, list_on_pool(state, of.clone(), 0, script)).await else {
        return send_text(bot, state, to, render::failed(script)).await;
    };
    let links = match place {
        Place::Private => Links::Callback,
        Place::Group => Links::DeepLink(&state.username),
    };
    let ids = send_reply(bot, state, to, &render::list_reply(&answer, links, 0)).await?;
    for id in ids {
        state.remember(to.chat, id, &of.encode());
    }
    state.counters().record(answer.no_answer, started.elapsed());
    tracing::info!(
        chat = to.chat.0,
        engine_ms = answer.took_ms,
        listed = answer.citations.len(),
        "listed"
    );
    Ok(())
}

/// Page `page` of what `of` lists, on the blocking pool; `None` if it
/// panicked.
async fn list_on_pool(state: &Arc<State>, of: ListOf, page: usize, script: Script) -> Option<Answer> {
    let engine = state.engine();
    let opts = AskOptions {
        script: Some(script),
        page,
        today: crate::date::today(),
        ..AskOptions::default()
    };
    let work = move || match &of {
        ListOf::Question(q) => engine.ask(q, &opts),
        ListOf::Search(words) => engine.list_articles(words, Want::List, &opts),
        ListOf::Latest => engine.list_articles("", Want::Newest, &opts),
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(answer) => Some(answer),
        Err(e) => {
            tracing::error!(error = %e, "listing failed");
            None
        }
    }
}

/// Whether `user` may change the follows of `msg`'s chat: anyone in a
/// private chat; in a group, its administrators (asked of the Bot API,
/// remembered for a minute) and the bot's own admins.
async fn may_change_follows(bot: &Tg, state: &State, msg: &Message, user: i64) -> bool {
    if msg.chat.is_private() || state.rules.is_admin(user) {
        return true;
    }
    let now = std::time::Instant::now();
    if let Some(admin) = state.admin_seen(msg.chat.id.0, user as u64, now) {
        return admin;
    }
    let admin = match retry::call(bot.get_chat_member(msg.chat.id, UserId(user as u64)), &state.api).await {
        Ok(member) => member.is_privileged(),
        Err(e) => {
            tracing::warn!(error = %e, chat = msg.chat.id.0, "cannot check a group administrator");
            return false;
        }
    };
    state.admin_checked(msg.chat.id.0, user as u64, now, admin);
    admin
}

/// What `/follow` and `/unfollow` ask.
enum FollowChange<'a> {
    Add(&'a str),
    Remove(&'a str),
}

/// `/follow <words and filters>` and `/unfollow <n>`: follows on, the
/// asker allowed to change them, then the change and its reply.
async fn change_follows(
    bot: &Tg,
    state: &Arc<State>,
    msg: &Message,
    to: Target,
    user: i64,
    change: FollowChange<'_>,
    script: Script,
) -> HandlerResult {
    let Some(follows) = &state.follows else {
        return send_text(bot, state, to, render::follows_off(script)).await;
    };
    if !may_change_follows(bot, state, msg, user).await {
        return send_text(bot, state, to, render::follows_admins_only(script)).await;
    }
    let chat = msg.chat.id.0;
    let text = match change {
        FollowChange::Add(words) => match follows.add(chat, to.thread.map(|t| t.0.0), words, MAX_QUESTION_CHARS) {
            Ok(n) => {
                tracing::info!(chat, n, "follow added");
                render::follow_added(n, words.trim(), script)
            }
            Err(why) => render::follow_refused(&why, MAX_QUESTION_CHARS, script),
        },
        FollowChange::Remove(n) => match n.trim().parse::<usize>().ok().and_then(|n| follows.remove(chat, n)) {
            Some(f) => render::unfollowed(&f.words, script),
            None => render::unfollow_usage(script),
        },
    };
    send_text(bot, state, to, text).await
}

/// New articles a follow is alerted of in one round, at most.
const ALERTS_PER_FOLLOW: usize = 50;

/// Whether a send failed because the chat is gone for the bot (blocked,
/// removed, deleted): its follows are paused rather than retried.
fn chat_gone(e: &BotError) -> bool {
    let BotError::Call(call) = e else { return false };
    matches!(
        call.request(),
        Some(RequestError::Api(
            ApiError::BotBlocked
                | ApiError::BotKicked
                | ApiError::BotKickedFromSupergroup
                | ApiError::BotKickedFromChannel
                | ApiError::ChatNotFound
                | ApiError::UserDeactivated
        ))
    )
}

/// A chat and the forum topic in it where alerts go.
type ChatTopic = (i64, Option<i32>);

/// Posts new articles on followed topics: once at start (what came in
/// while the bot was down), then whenever a new index is swapped in. See
/// [`super::follows`] for how nothing is posted twice or missed.
pub(crate) async fn alert_loop(bot: Tg, state: Arc<State>) {
    loop {
        alert_round(&bot, &state).await;
        state.alerts.notified().await;
    }
}

/// One round: every chat's new matches since the watermark, then the
/// watermark moves on (unless a send failed for a passing reason: the
/// round is tried again after the next update, the recorded keys skipped).
async fn alert_round(bot: &Tg, state: &Arc<State>) {
    let Some(follows) = state.follows.clone() else { return };
    let engine = state.engine();
    let next = engine.stats().next_article;
    let Some(since) = follows.watermark() else {
        // The first round ever: what the index holds now is not news.
        follows.set_watermark(next);
        return;
    };
    if since > next {
        // Numbers went down: the index was rebuilt from scratch (a new
        // format, `index --full`), so old and new cannot be told apart
        // this once; count from here.
        tracing::warn!(
            since,
            next,
            "the index was rebuilt from scratch; follows count new articles from now on"
        );
        follows.set_watermark(next);
        return;
    }
    if since == next {
        return;
    }
    let active = follows.active();
    let matched = {
        let engine = Arc::clone(&engine);
        let active = active.clone();
        tokio::task::spawn_blocking(move || {
            active
                .iter()
                .map(|f| engine.new_matches(&f.words, since, ALERTS_PER_FOLLOW))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default()
    };
    // Per chat (and forum topic): its articles, each once, with the follow
    // that matched it first.
    let mut chats: Vec<(ChatTopic, Vec<(crate::answer::Citation, String)>)> = Vec::new();
    for (f, cites) in active.iter().zip(matched) {
        let at = (f.chat, f.thread);
        let slot = match chats.iter().position(|(k, _)| *k == at) {
            Some(i) => i,
            None => {
                chats.push((at, Vec::new()));
                chats.len() - 1
            }
        };
        let items = &mut chats[slot].1;
        for c in cites {
            if !items.iter().any(|(x, _)| x.article == c.article) && !follows.was_posted(f.chat, &c.article) {
                items.push((c, f.words.clone()));
            }
        }
    }
    let mut all_done = true;
    for ((chat, thread), mut items) in chats {
        if items.is_empty() {
            continue;
        }
        for (i, (c, _)) in items.iter_mut().enumerate() {
            c.n = i + 1;
        }
        let links = if chat > 0 {
            Links::Callback
        } else {
            Links::DeepLink(&state.username)
        };
        let to = Target {
            chat: ChatId(chat),
            thread: thread.map(|t| ThreadId(MessageId(t))),
            reply_to: None,
        };
        let replies = render::alert_replies(&items, links, Script::Original);
        for (reply, chunk) in replies.iter().zip(items.chunks(render::ALERTS_PER_MESSAGE)) {
            match send_reply(bot, state, to, reply).await {
                Ok(_) => {
                    let keys: Vec<String> = chunk.iter().map(|(c, _)| c.article.clone()).collect();
                    follows.mark_posted(chat, &keys);
                    state.counters().alerts_sent += 1;
                    tracing::info!(chat, articles = keys.len(), "alert sent");
                }
                Err(e) => {
                    state.counters().alerts_failed += 1;
                    if chat_gone(&e) {
                        tracing::warn!(chat, error = %e, "the chat blocked or removed the bot; its follows are paused");
                        follows.pause_chat(chat);
                    } else {
                        tracing::warn!(chat, error = %e, "alert not sent; tried again after the next update");
                        all_done = false;
                    }
                    break;
                }
            }
        }
    }
    if all_done {
        follows.set_watermark(next);
    }
}

/// Runs `engine.ask` on the blocking pool; `None` if it panicked.
async fn answer_on_pool(
    state: &Arc<State>,
    question: String,
    context: Option<String>,
    max_citations: usize,
) -> Option<Answer> {
    let engine = state.engine();
    let opts = AskOptions {
        script: None,
        context,
        max_citations,
        today: crate::date::today(),
        ..AskOptions::default()
    };
    match tokio::task::spawn_blocking(move || engine.ask(&question, &opts)).await {
        Ok(answer) => Some(answer),
        Err(e) => {
            tracing::error!(error = %e, "answering failed");
            None
        }
    }
}

async fn send_typing(bot: &Tg, api: &retry::Api, to: Target) {
    let mut req = bot.send_chat_action(to.chat, ChatAction::Typing);
    if let Some(t) = to.thread {
        req = req.message_thread_id(t);
    }
    if let Err(e) = req.send().await {
        api.errors.count(&e);
        tracing::debug!(error = %e, "typing action failed");
    }
}

/// Runs `work` while showing `typing…`: once at the start (awaited, so it
/// precedes the answer, but never for long) and every few seconds after.
async fn with_typing<T>(bot: &Tg, state: &State, to: Target, work: impl Future<Output = T>) -> T {
    let first = tokio::time::timeout(TYPING_FIRST_WAIT, send_typing(bot, &state.api, to));
    let work = async {
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return out,
                _ = tokio::time::sleep(TYPING_EVERY) => {
                    let (bot, api) = (bot.clone(), Arc::clone(&state.api));
                    tokio::spawn(async move { send_typing(&bot, &api, to).await });
                }
            }
        }
    };
    let (_, out) = tokio::join!(first, work);
    out
}

/// Sends a reply's messages in order (the first replying to the question,
/// the buttons under the last) and returns their ids.
async fn send_reply(bot: &Tg, state: &State, to: Target, reply: &Reply) -> Result<Vec<MessageId>, BotError> {
    let mut ids = Vec::with_capacity(reply.chunks.len());
    let n = reply.chunks.len();
    for (i, chunk) in reply.chunks.iter().enumerate() {
        let markup = (i + 1 == n && !reply.buttons.is_empty()).then(|| keyboard(&reply.buttons));
        let msg = send_html(bot, state, to, chunk, markup, i == 0).await?;
        ids.push(msg.id);
    }
    Ok(ids)
}

/// Sends one HTML message, waiting out an outage ([`retry::deliver`]).
/// Should Telegram refuse the markup, the same text goes out as plain text
/// rather than being lost; a group that became a supergroup gets it at its
/// new id.
async fn send_html(
    bot: &Tg,
    state: &State,
    to: Target,
    html: &str,
    markup: Option<InlineKeyboardMarkup>,
    first: bool,
) -> Result<Message, BotError> {
    let build = |chat: ChatId, text: String, parse_html: bool| {
        let mut req = bot.send_message(chat, text).link_preview_options(no_preview());
        if parse_html {
            req = req.parse_mode(ParseMode::Html);
        }
        if let Some(t) = to.thread {
            req = req.message_thread_id(t);
        }
        if let (true, Some(r)) = (first, to.reply_to) {
            req = req.reply_parameters(ReplyParameters::new(r).allow_sending_without_reply());
        }
        if let Some(m) = markup.clone() {
            req = req.reply_markup(m);
        }
        req
    };
    let mut chat = to.chat;
    let mut migrated = false;
    loop {
        let err = match retry::deliver(build(chat, html.to_owned(), true), &state.api).await {
            Ok(m) => return Ok(m),
            Err(e) => e,
        };
        match err.request() {
            Some(RequestError::MigrateToChatId(new_chat)) if !migrated => {
                tracing::info!(
                    old = chat.0,
                    new = new_chat.0,
                    "group became a supergroup; resending there"
                );
                chat = *new_chat;
                migrated = true;
            }
            Some(RequestError::Api(ApiError::CantParseEntities(e))) => {
                tracing::error!(error = %e, "Telegram refused our HTML; sending plain text");
                return Ok(retry::deliver(build(chat, strip_tags(html), false), &state.api).await?);
            }
            _ => return Err(err.into()),
        }
    }
}

/// A button press: open an article (sent as a new message) or turn its
/// page (edited in place). Every press is answered so no spinner hangs;
/// stale or forged data gets a short notice.
pub async fn on_callback(bot: Tg, q: CallbackQuery, state: Arc<State>) -> HandlerResult {
    let ui_script = route::script_for_language(q.from.language_code.as_deref());
    let chat = q.regular_message().map(|m| m.chat.id.0).unwrap_or(q.from.id.0 as i64);
    if !state.rules.allows(q.from.id.0 as i64, chat) {
        let ack = bot
            .answer_callback_query(q.id.clone())
            .text(render::not_allowed(ui_script));
        if let Err(e) = retry::call(ack, &state.api).await {
            tracing::warn!(error = %e, "answerCallbackQuery failed");
        }
        return Ok(());
    }
    let decoded = q.data.as_deref().and_then(Callback::decode);
    let message = q.regular_message();
    let mut ack = bot.answer_callback_query(q.id.clone());
    let mut work = None;
    match (decoded, message) {
        (Some(Callback::List { page, script }), Some(m)) => {
            // The list's message remembers what it lists; a restart or a
            // long-gone message forgets it.
            match state.recall(m.chat.id, m.id) {
                Some(remembered) => match list_on_pool(&state, ListOf::decode(&remembered), page, script).await {
                    Some(answer) => {
                        let links = if m.chat.is_private() {
                            Links::Callback
                        } else {
                            Links::DeepLink(&state.username)
                        };
                        work = Some((render::list_reply(&answer, links, page), false, m));
                    }
                    None => ack = ack.text(render::failed(script)),
                },
                None => ack = ack.text(render::stale_button(ui_script)),
            }
        }
        (Some(cb), Some(m)) => {
            let (key, page, script, open) = match cb {
                Callback::Open { key, script } => (key, 0, script, true),
                Callback::Page { key, page, script } => (key, page, script, false),
                Callback::List { .. } => return Ok(()), // taken above
            };
            let page_reply = state
                .engine()
                .doc_by_key(&key)
                .and_then(|doc| render::article_page(&doc.article, &key, page, script));
            match page_reply {
                None => ack = ack.text(render::stale_article(script)),
                Some(_) if open && !m.chat.is_private() => {
                    // Never flood a group with an article: open it privately.
                    let link = route::deep_link(&state.username, &route::article_payload(&key, script));
                    if let Ok(url) = reqwest::Url::parse(&link) {
                        ack = ack.url(url);
                    }
                }
                Some(reply) => work = Some((reply, open, m)),
            }
        }
        _ => ack = ack.text(render::stale_button(ui_script)),
    }
    if let Err(e) = retry::call(ack, &state.api).await {
        tracing::warn!(error = %e, "answerCallbackQuery failed");
    }
    let Some((reply, open, m)) = work else {
        return Ok(());
    };
    let to = Target {
        chat: m.chat.id,
        thread: topic_of(m),
        reply_to: Some(m.id),
    };
    if open {
        send_reply(&bot, &state, to, &reply).await?;
        return Ok(());
    }
    let html = reply.chunks.concat();
    let mut edit = bot
        .edit_message_text(m.chat.id, m.id, html)
        .parse_mode(ParseMode::Html)
        .link_preview_options(no_preview());
    if !reply.buttons.is_empty() {
        edit = edit.reply_markup(keyboard(&reply.buttons));
    }
    match retry::deliver(edit, &state.api).await {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.request(), Some(RequestError::Api(ApiError::MessageNotModified))) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Inline mode (`@bot question` in any chat): up to five results, each a
/// complete cited reply with deep-link buttons to the sources.
pub async fn on_inline(bot: Tg, q: InlineQuery, state: Arc<State>) -> HandlerResult {
    let query = q.query.trim();
    let user = q.from.id.0 as i64;
    let items = if query.is_empty() || crate::query::check_length(query).is_err() || !state.rules.allows(user, user) {
        Vec::new()
    } else {
        match answer_on_pool(&state, query.to_owned(), None, INLINE_RESULTS - 1).await {
            Some(answer) => render::inline_items(&answer, &state.username, INLINE_RESULTS),
            None => Vec::new(),
        }
    };
    let results: Vec<InlineQueryResult> = items
        .into_iter()
        .map(|it| {
            let content = InputMessageContent::Text(
                InputMessageContentText::new(it.html)
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(no_preview()),
            );
            let mut article = InlineQueryResultArticle::new(it.id, it.title, content).description(it.description);
            if !it.buttons.is_empty() {
                article = article.reply_markup(keyboard(&it.buttons));
            }
            InlineQueryResult::Article(article)
        })
        .collect();
    let count = results.len();
    match retry::call(
        bot.answer_inline_query(q.id.clone(), results).cache_time(60),
        &state.api,
    )
    .await
    {
        Ok(_) => {
            tracing::info!(results = count, "inline query answered");
            Ok(())
        }
        // The user typed on; Telegram no longer wants this answer.
        Err(e) if matches!(e.request(), Some(RequestError::Api(ApiError::InvalidQueryId))) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
