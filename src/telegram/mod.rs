//! The Telegram bot (`archive-bot serve`): long polling, routing updates to
//! answers, source articles and inline results. The only module that
//! talks to Telegram (and the only one that imports teloxide).
//!
//! - [`route`]: what a message asks for (commands, mentions, replies),
//!   callback data and deep-link payloads. Pure.
//! - [`access`]: allowlists, admins, the per-user rate limit. Pure.
//! - [`webhook`]: webhook mode's HTTP server (secret token, journal first).
//! - [`stats`]: the figures `/stats` shows admins.
//! - [`examples`]: the example questions, configured or made from the
//!   archive's headlines.
//! - [`render`]: answers, citations, article pages and fixed texts as
//!   escaped HTML with buttons. Pure.
//! - [`split`]: HTML → messages of ≤ 4096 UTF-16 units. Pure.
//! - [`recent`]: the bounded memory of answer messages for follow-ups.
//! - [`retry`]: retrying 429s, 5xx and network errors with backoff;
//!   replies wait out an outage.
//! - [`heartbeat`]: the file `archive-bot health` reads.
//! - [`journal`]: received updates on disk until handled, so a crash
//!   loses no question.
//! - [`poll`]: long polling that resumes within seconds of an outage.
//! - [`reload`]: live index updates (a changed corpus, `/reindex`).
//! - [`follows`]: the topics chats follow and what was posted to them.
//! - `handlers`: the I/O — one async fn per kind of update.
//!
//! Answers run on tokio's blocking pool with the shared engine, so one
//! slow question never stalls the rest; updates of one chat are handled in
//! order, chats in parallel. Outgoing messages go through teloxide's
//! `Throttle` (Telegram's rate limits). On shutdown polling stops, replies
//! in flight are finished and the update offset is confirmed, so after a
//! restart no question is answered twice and none is lost. With a data
//! directory, the [`journal`] covers a crash too (`kill -9`): updates not
//! handled are replayed at the next start. The token never
//! reaches a log line: teloxide redacts it from network errors and our own
//! messages never format URLs or requests.

pub mod access;
pub mod examples;
pub mod follows;
mod handlers;
pub mod heartbeat;
pub mod journal;
pub mod poll;
pub mod recent;
pub mod reload;
pub mod render;
pub mod retry;
pub mod route;
pub mod split;
pub mod stats;
pub mod webhook;

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use futures::{Stream, StreamExt};
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::UpdateHandler;
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::types::AllowedUpdate;
use teloxide::types::{BotCommand, ChatMemberUpdated, UserId};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};

use crate::config::Config;
use crate::engine::Engine;

use recent::Recent;

/// The bot as handlers see it: rate-limited.
pub(crate) type Tg = Throttle<Bot>;

/// Everything that can stop the bot.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("no bot token: set TELOXIDE_TOKEN, or token_file in the configuration")]
    NoToken,
    #[error("reading the token file {path}: {source}")]
    TokenFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("TELOXIDE_API_URL is not a valid URL ({0})")]
    ApiUrl(String),
    #[error("TELOXIDE_PROXY is not a valid proxy ({0})")]
    Proxy(String),
    #[error("cannot create the HTTP client ({0})")]
    Client(String),
    #[error("webhook: {0}")]
    Webhook(String),
    #[error("the bot account has no username (getMe)")]
    NoUsername,
    #[error("Telegram Bot API: {0}")]
    Request(#[from] teloxide::RequestError),
    #[error("Telegram Bot API: {0}")]
    Call(#[from] retry::CallError),
}

impl BotError {
    /// Whether this is the operator's to fix (a missing or refused token, a
    /// bad setting) rather than a passing failure: `serve` exits with its
    /// own code then, and a restart would meet the same error.
    pub fn is_configuration(&self) -> bool {
        use teloxide::{ApiError, RequestError};
        match self {
            BotError::NoToken
            | BotError::TokenFile { .. }
            | BotError::ApiUrl(_)
            | BotError::Proxy(_)
            | BotError::Webhook(_)
            | BotError::NoUsername => true,
            // 401 Unauthorized; 404 Not Found (a malformed token, or an API
            // URL that is not a Bot API).
            BotError::Call(e) => match e.request() {
                Some(RequestError::Api(ApiError::InvalidToken)) => true,
                Some(RequestError::Api(ApiError::Unknown(text))) => text.contains("Not Found"),
                _ => false,
            },
            BotError::Request(_) | BotError::Client(_) => false,
        }
    }

    /// A reply deferred by shutdown: its update stays in the journal.
    fn is_deferred(&self) -> bool {
        matches!(self, BotError::Call(retry::CallError::Deferred { .. }))
    }
}

/// Telegram's rate limits as the bot applies them to outgoing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub messages_per_sec_chat: u32,
    pub messages_per_min_chat: u32,
    pub messages_per_min_group: u32,
    pub messages_per_sec_overall: u32,
}

impl Default for RateLimits {
    /// Telegram's documented limits (teloxide's defaults).
    fn default() -> Self {
        let l = Limits::default();
        RateLimits {
            messages_per_sec_chat: l.messages_per_sec_chat,
            messages_per_min_chat: l.messages_per_min_chat,
            messages_per_min_group: l.messages_per_min_channel_or_supergroup,
            messages_per_sec_overall: l.messages_per_sec_overall,
        }
    }
}

impl From<RateLimits> for Limits {
    fn from(r: RateLimits) -> Limits {
        Limits {
            messages_per_sec_chat: r.messages_per_sec_chat,
            messages_per_min_chat: r.messages_per_min_chat,
            messages_per_min_channel_or_supergroup: r.messages_per_min_group,
            messages_per_sec_overall: r.messages_per_sec_overall,
        }
    }
}

/// How to reach Telegram. `Debug` never shows the token.
#[derive(Clone)]
pub struct Settings {
    pub token: String,
    /// The Bot API server (`TELOXIDE_API_URL`), default Telegram's.
    pub api_url: String,
    /// A proxy for all requests (`TELOXIDE_PROXY`).
    pub proxy: Option<String>,
    /// Long-polling timeout.
    pub poll_timeout: Duration,
    /// How long one Bot API request may take before it is a timeout (and
    /// retried): longer than `poll_timeout`, and than 10 s (teloxide reads
    /// a 5xx answer only after waiting 10 s, within this time).
    pub request_timeout: Duration,
    pub limits: RateLimits,
    /// Answer messages remembered for follow-ups.
    pub follow_up_memory: usize,
    /// Where the update journal lives (`None`: no journal, and a crash
    /// loses the updates being handled).
    pub data_dir: Option<PathBuf>,
    /// Example questions (configuration `examples`); empty: made from the
    /// archive (see [`examples`]).
    pub examples: Vec<String>,
    /// Who may ask and how often.
    pub access: access::Rules,
    /// When the index was built, for `/stats`.
    pub index_built: Option<std::time::SystemTime>,
    /// Webhook mode instead of polling.
    pub webhook: Option<WebhookSettings>,
    /// Where to serve `/healthz` and `/metrics` (`None`: nowhere).
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Live index updates (`None`: the engine given to [`run`] is served
    /// as it is, and `/reindex` says it cannot).
    pub reload: Option<ReloadSettings>,
    /// Whether chats may follow topics (kept in the data directory).
    pub follows: bool,
}

/// Where the served index comes from, for live updates ([`reload`]).
#[derive(Debug, Clone)]
pub struct ReloadSettings {
    pub corpus_dir: PathBuf,
    /// The index the engine was opened from; rebuilt in place (a new
    /// generation swapped in atomically).
    pub index_dir: PathBuf,
    /// How often the corpus is checked (zero: only on `/reindex`).
    pub every: Duration,
}

/// Webhook mode: where Telegram posts and where we listen.
#[derive(Clone)]
pub struct WebhookSettings {
    /// The public URL given to `setWebhook`.
    pub url: String,
    /// The address the HTTP server binds.
    pub listen: std::net::SocketAddr,
    /// The secret token (`None`: random).
    pub secret: Option<String>,
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &self.url)
            .field("listen", &self.listen)
            .field("secret", &self.secret.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("token", &"<redacted>")
            .field("api_url", &self.api_url)
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .field("poll_timeout", &self.poll_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("limits", &self.limits)
            .field("follow_up_memory", &self.follow_up_memory)
            .field("data_dir", &self.data_dir)
            .field("examples", &self.examples)
            .field("access", &self.access)
            .field("webhook", &self.webhook)
            .field("metrics_listen", &self.metrics_listen)
            .field("reload", &self.reload)
            .field("follows", &self.follows)
            .finish()
    }
}

/// Telegram's Bot API.
pub const TELEGRAM_API_URL: &str = "https://api.telegram.org";

impl Settings {
    /// Settings with Telegram's defaults for this token.
    pub fn new(token: impl Into<String>) -> Settings {
        Settings {
            token: token.into(),
            api_url: TELEGRAM_API_URL.to_owned(),
            proxy: None,
            poll_timeout: Duration::from_secs(10),
            // teloxide's default.
            request_timeout: Duration::from_secs(17),
            limits: RateLimits::default(),
            follow_up_memory: 10_000,
            data_dir: None,
            examples: Vec::new(),
            access: access::Rules::default(),
            index_built: None,
            webhook: None,
            metrics_listen: None,
            reload: None,
            follows: true,
        }
    }

    /// Reads the token from `TELOXIDE_TOKEN` or else the configured token
    /// file, and the API URL and proxy from `TELOXIDE_API_URL` and
    /// `TELOXIDE_PROXY`. `env` looks up environment variables.
    pub fn from_env(config: &Config, env: impl Fn(&str) -> Option<String>) -> Result<Settings, BotError> {
        let set = |k: &str| env(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let token = match (set("TELOXIDE_TOKEN"), &config.token_file) {
            (Some(t), _) => t,
            (None, Some(path)) => crate::input::read_text(path, crate::config::MAX_SMALL_FILE_BYTES)
                .map_err(|source| BotError::TokenFile {
                    path: path.clone(),
                    source,
                })?
                .trim()
                .to_owned(),
            (None, None) => return Err(BotError::NoToken),
        };
        if token.is_empty() {
            return Err(BotError::NoToken);
        }
        let mut settings = Settings::new(token);
        settings.data_dir = Some(config.data_dir.clone());
        settings.follows = config.follows;
        settings.examples = config.examples.clone();
        settings.access = access::Rules {
            users: config.allowed_users.iter().copied().collect(),
            chats: config.allowed_chats.iter().copied().collect(),
            admins: config.admins.iter().copied().collect(),
            per_minute: config.questions_per_minute,
        };
        if let Some(url) = set("TELOXIDE_API_URL") {
            reqwest::Url::parse(url.trim_end_matches('/')).map_err(|e| BotError::ApiUrl(e.to_string()))?;
            settings.api_url = url;
        }
        settings.proxy = set("TELOXIDE_PROXY");
        if let Some(addr) = &config.metrics_listen {
            settings.metrics_listen = Some(
                addr.parse()
                    .map_err(|e| BotError::Webhook(format!("metrics_listen {addr:?}: {e}")))?,
            );
        }
        if let Some(url) = &config.webhook_url {
            reqwest::Url::parse(url).map_err(|e| BotError::Webhook(format!("webhook_url {url:?}: {e}")))?;
            let listen = config
                .webhook_listen
                .parse()
                .map_err(|e| BotError::Webhook(format!("webhook_listen {:?}: {e}", config.webhook_listen)))?;
            if let Some(secret) = &config.webhook_secret
                && !webhook::valid_secret(secret)
            {
                return Err(BotError::Webhook(
                    "webhook_secret: 1-256 characters of A-Z a-z 0-9 _ -".to_owned(),
                ));
            }
            settings.webhook = Some(WebhookSettings {
                url: url.clone(),
                listen,
                secret: config.webhook_secret.clone(),
            });
        }
        Ok(settings)
    }
}

/// The index being served and when it was built.
#[derive(Clone)]
pub(crate) struct Served {
    pub engine: Arc<Engine>,
    pub built: Option<SystemTime>,
}

/// What every handler shares.
pub(crate) struct State {
    /// Swapped whole by a reload; handlers take a snapshot per update.
    served: RwLock<Served>,
    /// The bot's username, without `@`.
    pub username: String,
    pub bot_id: UserId,
    /// Answer messages → the question they answered (for follow-ups).
    pub recent: Mutex<Recent>,
    journal: Option<Arc<journal::Journal>>,
    /// The example questions (/start, /help, `ex<n>` links).
    pub examples: Vec<String>,
    pub rules: access::Rules,
    pub gate: Mutex<access::Gate>,
    pub stats: Mutex<stats::Counters>,
    /// Where the index comes from (`None`: no live updates).
    pub reload: Option<ReloadSettings>,
    /// Held while a reload runs: one at a time.
    pub reloading: tokio::sync::Mutex<()>,
    /// The Bot API: its host, failed calls by kind (`/metrics`), replies
    /// waiting for it.
    pub api: Arc<retry::Api>,
    /// The chats' follows (`None`: off, or no data directory).
    pub follows: Option<Arc<follows::Follows>>,
    /// Woken when a new index is swapped in: the alert loop looks for new
    /// articles on followed topics.
    pub alerts: tokio::sync::Notify,
    /// Whether a user administers a group, as the Bot API said lately:
    /// (chat, user) → (when asked, answer).
    pub admins_seen: Mutex<std::collections::HashMap<(i64, u64), (std::time::Instant, bool)>>,
}

impl State {
    /// The engine to answer this update with.
    pub fn engine(&self) -> Arc<Engine> {
        match self.served.read() {
            Ok(s) => Arc::clone(&s.engine),
            Err(poisoned) => Arc::clone(&poisoned.into_inner().engine),
        }
    }

    /// How old the served index is.
    pub fn index_age(&self) -> Option<Duration> {
        let built = match self.served.read() {
            Ok(s) => s.built,
            Err(poisoned) => poisoned.into_inner().built,
        };
        built.and_then(|t| SystemTime::now().duration_since(t).ok())
    }

    /// Serves `engine` from now on (updates being handled keep theirs).
    pub fn swap(&self, engine: Arc<Engine>, built: Option<SystemTime>) {
        let next = Served { engine, built };
        match self.served.write() {
            Ok(mut s) => *s = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }

    /// The first example question, if any.
    pub fn example(&self) -> Option<&str> {
        self.examples.first().map(String::as_str)
    }

    /// Marks an update handled (answered, or failed for good) unless its
    /// reply was deferred by shutdown, and passes the handler's result on.
    fn handled(&self, update: &Update, result: Result<(), BotError>) -> Result<(), BotError> {
        let deferred = matches!(&result, Err(e) if e.is_deferred());
        if let (Some(j), false) = (&self.journal, deferred) {
            j.done(i64::from(update.id.0));
        }
        result
    }

    /// Remembers that `message` in `chat` answered `question`.
    pub fn remember(&self, chat: ChatId, message: teloxide::types::MessageId, question: &str) {
        if let Ok(mut r) = self.recent.lock() {
            r.insert((chat.0, message.0), question);
        }
    }

    /// The question a bot message answered, if remembered.
    pub fn recall(&self, chat: ChatId, message: teloxide::types::MessageId) -> Option<String> {
        self.recent.lock().ok()?.get((chat.0, message.0)).map(str::to_owned)
    }
}

/// Logs handler and polling errors (teloxide strips the token from
/// network errors; nothing here formats a URL).
struct LogErrors;

impl<E: fmt::Display + Send + 'static> ErrorHandler<E> for LogErrors {
    fn handle_error(self: Arc<Self>, error: E) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        tracing::warn!(error = %error, "Bot API or handler error");
        Box::pin(async {})
    }
}

/// The dispatch tree: messages, button presses, inline queries; every
/// update, these and the rest, is marked handled in the journal when its
/// handler returns, whatever the outcome, unless its reply was deferred by
/// shutdown (Telegram unreachable): then it is handled at the next start.
fn schema() -> UpdateHandler<BotError> {
    dptree::entry()
        .branch(
            Update::filter_message().endpoint(|bot: Tg, msg: Message, upd: Update, state: Arc<State>| async move {
                state.handled(&upd, handlers::on_message(bot, msg, Arc::clone(&state)).await)
            }),
        )
        .branch(Update::filter_callback_query().endpoint(
            |bot: Tg, q: CallbackQuery, upd: Update, state: Arc<State>| async move {
                state.handled(&upd, handlers::on_callback(bot, q, Arc::clone(&state)).await)
            },
        ))
        .branch(Update::filter_my_chat_member().endpoint(
            |bot: Tg, change: ChatMemberUpdated, upd: Update, state: Arc<State>| async move {
                state.handled(&upd, handlers::on_my_chat_member(bot, change, Arc::clone(&state)).await)
            },
        ))
        .branch(Update::filter_inline_query().endpoint(
            |bot: Tg, q: InlineQuery, upd: Update, state: Arc<State>| async move {
                state.handled(&upd, handlers::on_inline(bot, q, Arc::clone(&state)).await)
            },
        ))
        .branch(dptree::endpoint(|upd: Update, state: Arc<State>| async move {
            state.handled(&upd, Ok(()))
        }))
}

/// Polling with the journal in front: updates a previous run left
/// unhandled come first, then Telegram's, each written to the journal
/// before the dispatcher sees it (so before polling confirms its offset)
/// and skipped when the journal already holds it.
struct Journaled<L> {
    inner: L,
    journal: Arc<journal::Journal>,
    replay: Vec<Update>,
}

impl<'a, L> AsUpdateStream<'a> for Journaled<L>
where
    L: AsUpdateStream<'a> + Send,
    L::StreamErr: Send + 'a,
{
    type StreamErr = L::StreamErr;
    type Stream = Pin<Box<dyn Stream<Item = Result<Update, L::StreamErr>> + Send + 'a>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let replay = futures::stream::iter(std::mem::take(&mut self.replay).into_iter().map(Ok));
        let journal = Arc::clone(&self.journal);
        let live = self.inner.as_stream().filter(move |item| {
            let keep = match item {
                Ok(update) => match serde_json::to_value(update) {
                    Ok(value) => journal.received(i64::from(update.id.0), &value).is_ok(),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot journal an update");
                        true
                    }
                },
                Err(_) => true,
            };
            std::future::ready(keep)
        });
        Box::pin(replay.chain(live))
    }
}

impl<L> UpdateListener for Journaled<L>
where
    L: UpdateListener + Send,
    for<'a> L: AsUpdateStream<'a, StreamErr = <L as UpdateListener>::Err>,
    for<'a> <L as UpdateListener>::Err: Send + 'a,
{
    type Err = L::Err;

    fn stop_token(&mut self) -> StopToken {
        self.inner.stop_token()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.inner.hint_allowed_updates(hint);
    }
}

/// Opens the journal in `dir`: the journal and the updates to replay. A
/// journal that cannot be opened is a warning, not a stop.
fn open_journal(dir: &std::path::Path, bot: UserId) -> Option<(Arc<journal::Journal>, Vec<Update>)> {
    let bot = i64::try_from(bot.0).unwrap_or(i64::MAX);
    match journal::Journal::open(dir, bot) {
        Ok((j, pending)) => {
            let replay: Vec<Update> = pending
                .into_iter()
                // Parsed from text: teloxide's update parser needs borrowed
                // keys and turns an update read from a `Value` into an error.
                .filter_map(|(id, value)| match serde_json::from_str::<Update>(&value.to_string()) {
                    Ok(update) if !matches!(update.kind, teloxide::types::UpdateKind::Error(_)) => Some(update),
                    Ok(_) => {
                        tracing::warn!(update = id, "dropping an unreadable journalled update");
                        j.done(id);
                        None
                    }
                    Err(e) => {
                        tracing::warn!(update = id, error = %e, "dropping an unreadable journalled update");
                        j.done(id);
                        None
                    }
                })
                .collect();
            if !replay.is_empty() {
                tracing::info!(
                    updates = replay.len(),
                    "replaying updates received before a crash and not answered"
                );
            }
            Some((Arc::new(j), replay))
        }
        Err(e) => {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot open the update journal; a crash would lose updates in flight");
            None
        }
    }
}

/// Updates of one chat are handled in order; chats (and inline queries of
/// different users) in parallel.
fn distribution(update: &Update) -> Option<i64> {
    update
        .chat()
        .map(|c| c.id.0)
        .or_else(|| update.from().map(|u| u.id.0 as i64))
}

fn http_client(settings: &Settings) -> Result<reqwest::Client, BotError> {
    let mut builder = teloxide::net::default_reqwest_settings().timeout(settings.request_timeout);
    if let Some(p) = &settings.proxy {
        builder = builder.proxy(reqwest::Proxy::all(p).map_err(|e| BotError::Proxy(e.without_url().to_string()))?);
    } else if is_loopback(&settings.api_url) {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| BotError::Client(e.without_url().to_string()))
}

fn is_loopback(url: &str) -> bool {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]")
        })
        .unwrap_or(false)
}

/// The commands shown in Telegram's menu; `/ask` shows the first example.
fn commands(example: Option<&str>) -> Vec<BotCommand> {
    // Telegram allows 256 characters of description.
    let ask = match example {
        Some(q) if q.chars().count() <= 240 => format!("提问：/ask {q}"),
        _ => "提问：/ask 问题".to_owned(),
    };
    vec![
        BotCommand::new("ask", ask),
        BotCommand::new("follow", "关注话题：/follow 关键词、来源或作者，有新文章时通知"),
        BotCommand::new("following", "本聊天关注的话题"),
        BotCommand::new("search", "列出文章：/search 关键词、来源、作者或日期"),
        BotCommand::new("latest", "最新的文章"),
        BotCommand::new("help", "怎么提问、怎么读回答"),
        BotCommand::new("about", "档案概况：文章、段落、日期、来源"),
    ]
}

/// Runs the bot until `shutdown` completes, then stops polling, finishes
/// the replies in flight, confirms the update offset and returns.
///
/// At start it calls `getMe` (the username is used to match mentions and
/// commands) and `setMyCommands`; pending updates are kept, so questions
/// sent while the bot was down are answered.
pub async fn run(
    engine: Arc<Engine>,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BotError> {
    let api_url =
        reqwest::Url::parse(settings.api_url.trim_end_matches('/')).map_err(|e| BotError::ApiUrl(e.to_string()))?;
    let bot = Bot::with_client(settings.token.clone(), http_client(&settings)?).set_api_url(api_url);
    // Throttle only paces; retrying (429s included) is [`retry`]'s alone,
    // so a flood wait is not retried twice over.
    let throttle = teloxide::adaptors::throttle::Settings::default()
        .limits(settings.limits.into())
        .no_retry();
    let bot: Tg = Throttle::spawn_with_settings(bot, throttle);

    let api = Arc::new(retry::Api::new(&settings.api_url));
    let me = retry::call(bot.get_me(), &api).await?;
    let username = me.user.username.clone().ok_or(BotError::NoUsername)?;
    tracing::info!(bot = %username, "connected to the Bot API");
    let chosen = {
        let engine = Arc::clone(&engine);
        let configured = settings.examples.clone();
        tokio::task::spawn_blocking(move || examples::choose(&configured, &engine))
            .await
            .unwrap_or_default()
    };
    tracing::info!(examples = ?chosen, "example questions");
    let menu = bot.set_my_commands(commands(chosen.first().map(String::as_str)));
    if let Err(e) = retry::call(menu, &api).await {
        tracing::warn!(error = %e, "setMyCommands failed; the command menu may be stale");
    }

    let (journal, replay) = match settings.data_dir.as_deref().and_then(|d| open_journal(d, me.user.id)) {
        Some((j, replay)) => (Some(j), replay),
        None => (None, Vec::new()),
    };
    let state = Arc::new(State {
        served: RwLock::new(Served {
            engine,
            built: settings.index_built,
        }),
        username,
        bot_id: me.user.id,
        recent: Mutex::new(Recent::new(settings.follow_up_memory)),
        journal: journal.clone(),
        examples: chosen,
        rules: settings.access.clone(),
        gate: Mutex::new(access::Gate::default()),
        stats: Mutex::new(stats::Counters::default()),
        reload: settings.reload.clone(),
        reloading: tokio::sync::Mutex::new(()),
        api,
        follows: settings
            .data_dir
            .as_deref()
            .filter(|_| settings.follows)
            .map(|dir| Arc::new(follows::Follows::open(dir))),
        alerts: tokio::sync::Notify::new(),
        admins_seen: Mutex::new(std::collections::HashMap::new()),
    });
    // The background tasks end with `run`, however it ends (a graceful
    // stop, an error, or its future dropped): a rebuild in progress is
    // abandoned (the next build clears its files), an alert in flight too
    // (what it had not recorded is posted at the next start).
    let mut background = Background::default();
    if let Some(r) = settings.reload.as_ref().filter(|r| !r.every.is_zero()) {
        tracing::info!(corpus = %r.corpus_dir.display(), every_s = r.every.as_secs_f64(), "watching the corpus for changes");
        background.0.push(reload::spawn_watch(Arc::clone(&state), r.clone()));
    }
    // Alerts of new articles on followed topics: once at start (what was
    // added while the bot was down), then after every index update.
    if state.follows.is_some() {
        background
            .0
            .push(tokio::spawn(handlers::alert_loop(bot.clone(), Arc::clone(&state))));
    }
    if let Some(addr) = settings.metrics_listen {
        let (task, _) = serve_metrics(addr, Arc::clone(&state))
            .await
            .map_err(|e| BotError::Webhook(format!("metrics: listening on {addr}: {e}")))?;
        background.0.push(task);
    }
    serve_updates(bot, state, settings, journal, replay, shutdown).await
}

/// Tasks aborted when dropped.
#[derive(Default)]
struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Serves `/healthz` (200 while the bot runs) and `/metrics` (Prometheus
/// text) on `addr`; returns the server task and the bound address.
async fn serve_metrics(
    addr: std::net::SocketAddr,
    state: Arc<State>,
) -> std::io::Result<(tokio::task::JoinHandle<()>, std::net::SocketAddr)> {
    let socket = tokio::net::TcpListener::bind(addr).await?;
    let bound = socket.local_addr()?;
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .route(
            "/metrics",
            axum::routing::get(move || {
                let state = Arc::clone(&state);
                async move {
                    let engine = state.engine();
                    let stats = engine.stats();
                    let age = state.index_age();
                    let api = stats::ApiFigures::of(&state.api, state.journal.as_deref());
                    let text = state
                        .stats
                        .lock()
                        .map(|c| c.prometheus(stats.articles, stats.passages, age, &api, std::time::Instant::now()))
                        .unwrap_or_default();
                    ([("content-type", "text/plain; version=0.0.4")], text)
                }
            }),
        );
    tracing::info!(address = %bound, "metrics and health endpoint listening");
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(socket, app).await {
            tracing::error!(error = %e, "metrics server failed");
        }
    });
    Ok((task, bound))
}

/// Receives updates (webhook or polling) and dispatches them until
/// `shutdown`.
async fn serve_updates(
    bot: Tg,
    state: Arc<State>,
    settings: Settings,
    journal: Option<Arc<journal::Journal>>,
    replay: Vec<Update>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BotError> {
    if let Some(hook) = settings.webhook.clone() {
        let secret = match hook.secret {
            Some(s) => s,
            None => webhook::random_secret().map_err(|e| BotError::Webhook(format!("making a secret token: {e}")))?,
        };
        let url = reqwest::Url::parse(&hook.url).map_err(|e| BotError::Webhook(e.to_string()))?;
        let (listener, bound) = webhook::serve(hook.listen, secret.clone(), journal, replay)
            .await
            .map_err(|e| BotError::Webhook(format!("listening on {}: {e}", hook.listen)))?;
        retry::call(bot.set_webhook(url).secret_token(secret), &state.api).await?;
        tracing::info!(address = %bound, "webhook set; serving");
        return dispatch(bot, state, listener, shutdown, settings.data_dir).await;
    }
    // A webhook left set would make getUpdates fail.
    retry::call(bot.delete_webhook(), &state.api).await?;
    let polling = poll::Poller::new(bot.clone(), Arc::clone(&state.api), settings.poll_timeout);
    match journal {
        Some(journal) => {
            let listener = Journaled {
                inner: polling,
                journal,
                replay,
            };
            dispatch(bot, state, listener, shutdown, settings.data_dir).await
        }
        None => dispatch(bot, state, polling, shutdown, settings.data_dir).await,
    }
}

/// Dispatches the listener's updates until `shutdown`, then finishes the
/// replies in flight (the poller confirms the offset as it stops).
async fn dispatch<L>(
    bot: Tg,
    state: Arc<State>,
    mut listener: L,
    shutdown: impl Future<Output = ()> + Send + 'static,
    data_dir: Option<PathBuf>,
) -> Result<(), BotError>
where
    L: UpdateListener<Err = teloxide::RequestError> + Send,
{
    // Stopping the listener (not the dispatcher) is race-free: the flag is
    // polled by the update stream itself. The stream then yields what it
    // already fetched and confirms the offset; the dispatcher finishes
    // every queued update before returning.
    let stop = listener.stop_token();
    let api = Arc::clone(&state.api);
    let stopper = tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: no new updates; finishing replies in flight");
        stop.stop();
        // Replies waiting for Telegram stay in the journal for next time.
        api.stop();
    });

    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![state.clone()])
        .distribution_function(distribution)
        .default_handler(|_| async {})
        .error_handler(Arc::new(LogErrors))
        .build();
    tracing::info!(articles = state.engine().stats().articles, "serving");
    // Beats on this runtime, so a runtime that stops making progress
    // stops beating too.
    let beating = data_dir.clone().map(|dir| {
        tokio::spawn(async move {
            let mut warned = false;
            loop {
                let dir = dir.clone();
                let done = tokio::task::spawn_blocking(move || heartbeat::beat(&dir)).await;
                if let Ok(Err(e)) = done
                    && !warned
                {
                    tracing::warn!(error = %e, "cannot write the heartbeat; `archive-bot health` will fail");
                    warned = true;
                }
                tokio::time::sleep(heartbeat::EVERY).await;
            }
        })
    });
    let result = dispatcher
        // Polling errors are counted and logged by `poll` (the webhook's
        // listener never fails): nothing more to do with them here.
        .try_dispatch_with_listener(listener, teloxide::error_handlers::IgnoringErrorHandler::new())
        .await;
    stopper.abort();
    if let (Some(task), Some(dir)) = (beating, &data_dir) {
        task.abort();
        heartbeat::stop(dir);
    }
    result?;
    tracing::info!("stopped");
    Ok(())
}

/// [`run`] until SIGTERM or Ctrl-C, then a graceful stop. A second signal
/// while replies are still being finished exits at once (`Ok(false)`);
/// a graceful stop returns `Ok(true)`.
pub async fn run_until_signalled(engine: Arc<Engine>, settings: Settings) -> Result<bool, BotError> {
    let bot = run(engine, settings, shutdown_signal());
    let impatient = async {
        shutdown_signal().await;
        shutdown_signal().await;
    };
    tokio::select! {
        result = bot => result.map(|()| true),
        () = impatient => {
            tracing::warn!("second signal: exiting without finishing replies in flight");
            Ok(false)
        }
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_token_and_url() {
        let config = Config::default();
        let env = |k: &str| match k {
            "TELOXIDE_TOKEN" => Some(" 123:abc \n".to_owned()),
            "TELOXIDE_API_URL" => Some("http://127.0.0.1:9/".to_owned()),
            _ => None,
        };
        let s = Settings::from_env(&config, env).unwrap();
        assert_eq!(s.token, "123:abc");
        assert_eq!(s.api_url, "http://127.0.0.1:9/");
        assert!(!format!("{s:?}").contains("abc"), "Debug hides the token");
        assert!(matches!(Settings::from_env(&config, |_| None), Err(BotError::NoToken)));
        let bad_url = |k: &str| match k {
            "TELOXIDE_TOKEN" => Some("1:a".to_owned()),
            "TELOXIDE_API_URL" => Some("not a url".to_owned()),
            _ => None,
        };
        assert!(matches!(Settings::from_env(&config, bad_url), Err(BotError::ApiUrl(_))));
    }

    #[test]
    fn token_file_is_read_when_the_variable_is_unset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "42:secret\n").unwrap();
        let config = Config {
            token_file: Some(path),
            ..Config::default()
        };
        assert_eq!(Settings::from_env(&config, |_| None).unwrap().token, "42:secret");
        let missing = Config {
            token_file: Some(dir.path().join("nope")),
            ..Config::default()
        };
        assert!(matches!(
            Settings::from_env(&missing, |_| None),
            Err(BotError::TokenFile { .. })
        ));
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback("http://127.0.0.1:8080"));
        assert!(is_loopback("http://localhost/"));
        assert!(!is_loopback(TELEGRAM_API_URL));
    }

    #[test]
    fn default_limits_are_telegrams() {
        let l = RateLimits::default();
        assert_eq!((l.messages_per_sec_chat, l.messages_per_sec_overall), (1, 30));
    }
}
