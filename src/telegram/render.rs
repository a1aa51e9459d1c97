//! What the bot says, as Telegram HTML: answers with their citations,
//! article pages, inline results and the fixed texts (/start, /help,
//! /about). Pure functions of the engine's values; every piece of archive
//! or user text is escaped, and replies come out already split into
//! messages that fit Telegram's limit. Buttons are plain data here; the
//! I/O layer turns them into Telegram keyboards.

use crate::answer::{Answer, Citation};
use crate::article::Article;
use crate::engine::Stats;
use crate::script::{self, Script};
use crate::text;

use super::route::{self, Callback};
use super::split::{MAX_MESSAGE_UTF16, split_html};

/// Room kept at the end of an article page for its `（2/3）` footer.
const PAGE_FOOTER_RESERVE: usize = 32;
/// Longest button label, in characters.
const LABEL_CHARS: usize = 24;
/// A quoted passage longer than this is shown collapsed.
const EXPANDABLE_CHARS: usize = 180;
/// Most sources listed by /about.
const ABOUT_SOURCES: usize = 12;

/// A button under a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    pub action: ButtonAction,
}

/// What pressing a button does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction {
    /// Sends this callback data back to the bot.
    Callback(String),
    /// Opens this link.
    Url(String),
}

/// A reply: one or more messages (each ≤ 4096 UTF-16 units) and the
/// buttons that go under the last one, in rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub chunks: Vec<String>,
    pub buttons: Vec<Vec<Button>>,
}

impl Reply {
    /// A reply of one short HTML text and no buttons.
    pub fn text(html: String) -> Reply {
        Reply {
            chunks: split_html(&html, MAX_MESSAGE_UTF16),
            buttons: Vec::new(),
        }
    }
}

/// How citation buttons open their article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links<'a> {
    /// In a private chat: a callback that sends the article there.
    Callback,
    /// In groups and inline messages: a deep link into the private chat
    /// with the bot of this username, so the group is not flooded.
    DeepLink(&'a str),
}

/// Escapes text for Telegram's HTML parse mode (and attribute values).
/// Hand-written because `teloxide::utils::html::escape` leaves `"`, which
/// an `href="…"` value needs escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` in `script`, escaped.
fn shown(text: &str, script: Script) -> String {
    escape(&script::render(text, script))
}

/// Interface text (written in Simplified) in `script`.
fn ui(text: &str, script: Script) -> String {
    match script {
        Script::Traditional => script::render(text, Script::Traditional),
        _ => text.to_owned(),
    }
}

/// [`text::clip`] on one line: a button label or inline result has no
/// line breaks, so whitespace runs become one space first.
fn clip(text: &str, max: usize) -> String {
    text::clip(&text.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

/// `title · source · date`, escaped, in `script`; the title in bold.
fn byline(title: &str, source: Option<&str>, date: Option<&str>, script: Script) -> String {
    let mut line = format!("<b>{}</b>", shown(title, script));
    for part in [source, date].into_iter().flatten() {
        line.push_str(" · ");
        line.push_str(&shown(part, script));
    }
    line
}

/// The reply to a question: the answer with its `[n]` markers, then one
/// `[n] title · source · date` line per citation with the quoted passage,
/// and one button per cited article.
pub fn answer_reply(answer: &Answer, links: Links<'_>) -> Reply {
    let html = answer_html(answer, usize::MAX);
    Reply {
        chunks: split_html(&html, MAX_MESSAGE_UTF16),
        buttons: citation_buttons(answer, links),
    }
}

/// Characters of a listed article's passage shown under it (a topic list).
const LIST_PASSAGE_CHARS: usize = 60;

/// The reply to a question about the collection, `/search` or `/latest`:
/// one message with the answer's text and one line per listed article
/// (`[n] title · source · date`, and for a topic a short quote), a button
/// per article and, when there are more pages, ◀ ▶ buttons that turn them
/// in place.
pub fn list_reply(answer: &Answer, links: Links<'_>, page: usize) -> Reply {
    let script = answer.script;
    let mut html = escape(&answer.answer);
    for c in &answer.citations {
        html.push_str(&format!("\n\n{}", cited_line(c, script)));
        let quote = clip(c.quote.passage.trim(), LIST_PASSAGE_CHARS);
        if !quote.is_empty() {
            html.push_str(&format!("\n<i>{}</i>", shown(&quote, script)));
        }
    }
    if answer.pages > 1 {
        html.push_str(&format!(
            "\n\n{}",
            ui(&format!("第 {}/{} 页", page + 1, answer.pages), script)
        ));
    }
    let mut buttons = citation_buttons(answer, links);
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(Button {
            label: ui("◀ 上一页", script),
            action: ButtonAction::Callback(Callback::List { page: page - 1, script }.encode()),
        });
    }
    if page + 1 < answer.pages {
        nav.push(Button {
            label: ui("下一页 ▶", script),
            action: ButtonAction::Callback(Callback::List { page: page + 1, script }.encode()),
        });
    }
    if !nav.is_empty() {
        buttons.push(nav);
    }
    Reply {
        chunks: split_html(&html, MAX_MESSAGE_UTF16),
        buttons,
    }
}

/// The answer's HTML with at most `max_citations` citation blocks.
fn answer_html(answer: &Answer, max_citations: usize) -> String {
    let script = answer.script;
    // The key span in bold: the answer at a glance, inside its sentence.
    let mut html = match answer.span.filter(|_| answer.key().is_some()) {
        Some((s, e)) => format!(
            "{}<b>{}</b>{}",
            escape(&answer.answer[..s]),
            escape(&answer.answer[s..e]),
            escape(&answer.answer[e..])
        ),
        None => escape(&answer.answer),
    };
    for c in answer.citations.iter().take(max_citations) {
        html.push_str(&citation_block(c, script));
    }
    html
}

fn citation_block(c: &Citation, script: Script) -> String {
    let passage = shown(c.quote.passage.trim(), script);
    let open = if c.quote.passage.chars().count() > EXPANDABLE_CHARS {
        "<blockquote expandable>"
    } else {
        "<blockquote>"
    };
    format!("\n\n{}\n{open}{passage}</blockquote>", cited_line(c, script))
}

/// `[n] title · source · date` of a citation.
fn cited_line(c: &Citation, script: Script) -> String {
    let q = &c.quote;
    format!(
        "[{}] {}",
        c.n,
        byline(&q.title, q.source.as_deref(), q.date.as_deref(), script)
    )
}

/// One button per cited article (an article cited twice gets one button
/// labelled with both numbers), one per row.
pub fn citation_buttons(answer: &Answer, links: Links<'_>) -> Vec<Vec<Button>> {
    article_buttons(&answer.citations, answer.script, links)
}

/// One button per article of `citations` (see [`citation_buttons`]).
fn article_buttons(citations: &[Citation], script: Script, links: Links<'_>) -> Vec<Vec<Button>> {
    let mut seen: Vec<(String, Vec<usize>, String)> = Vec::new();
    for c in citations {
        match seen.iter_mut().find(|(key, _, _)| *key == c.article) {
            Some((_, ns, _)) => ns.push(c.n),
            None => seen.push((c.article.clone(), vec![c.n], c.quote.title.clone())),
        }
    }
    seen.into_iter()
        .map(|(key, ns, title)| {
            let marks: String = ns.iter().map(|n| format!("[{n}]")).collect();
            let label = clip(&format!("📄 {marks} {}", script::render(&title, script)), LABEL_CHARS);
            let action = match links {
                Links::Callback => ButtonAction::Callback(Callback::Open { key, script }.encode()),
                Links::DeepLink(bot) => ButtonAction::Url(route::deep_link(bot, &route::article_payload(&key, script))),
            };
            vec![Button { label, action }]
        })
        .collect()
}

/// The pages of an article: title, source, date and link, then the text.
/// One page when it fits one message; otherwise each page ends with
/// `（i/n）`.
pub fn article_pages(article: &Article, script: Script) -> Vec<String> {
    let mut html = byline(&article.title, None, None, script);
    let meta: Vec<String> = [
        article.source.as_deref(),
        article.author.as_deref(),
        article.date.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(|s| shown(s, script))
    .collect();
    if !meta.is_empty() {
        html.push('\n');
        html.push_str(&meta.join(" · "));
    }
    if let Some(url) = article
        .url
        .as_deref()
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
    {
        html.push_str(&format!("\n<a href=\"{0}\">{0}</a>", escape(url)));
    }
    html.push('\n');
    html.push_str(&source_position(article, script));
    for p in &article.paragraphs {
        html.push_str("\n\n");
        html.push_str(&shown(p.trim(), script));
    }
    let whole = split_html(&html, MAX_MESSAGE_UTF16);
    if whole.len() <= 1 {
        return whole;
    }
    let mut pages = split_html(&html, MAX_MESSAGE_UTF16 - PAGE_FOOTER_RESERVE);
    let n = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        page.push_str(&format!("\n\n<i>（{}/{n}）</i>", i + 1));
    }
    pages
}

/// Where the article is in the archive, so a reader can check a quote:
/// `原文：<code>004.txt</code>，第 3–17 行` (the file alone when its
/// source has no lines; the page's link is shown above).
fn source_position(article: &Article, script: Script) -> String {
    let file = format!("{}<code>{}</code>", ui("原文：", script), escape(&article.file));
    match (article.lines.iter().min(), article.lines.iter().max()) {
        (Some(first), Some(last)) if first != last => {
            format!("{file}{}{first}–{last}{}", ui("，第 ", script), ui(" 行", script))
        }
        (Some(line), _) => format!("{file}{}{line}{}", ui("，第 ", script), ui(" 行", script)),
        _ => file,
    }
}

/// Page `page` of an article with its ◀ ▶ buttons, or `None` when there is
/// no such page.
pub fn article_page(article: &Article, key: &str, page: usize, script: Script) -> Option<Reply> {
    let pages = article_pages(article, script);
    let html = pages.get(page)?.clone();
    let mut row = Vec::new();
    let nav = |label: &str, page: usize| Button {
        label: label.to_owned(),
        action: ButtonAction::Callback(
            Callback::Page {
                key: key.to_owned(),
                page,
                script,
            }
            .encode(),
        ),
    };
    if page > 0 {
        row.push(nav(&ui("◀ 上一页", script), page - 1));
    }
    if page + 1 < pages.len() {
        row.push(nav(&ui("下一页 ▶", script), page + 1));
    }
    Some(Reply {
        chunks: vec![html],
        buttons: if row.is_empty() { Vec::new() } else { vec![row] },
    })
}

/// One inline-mode result: what the list shows and the message it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineItem {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The message sent when it is picked (one message, ≤ 4096 units).
    pub html: String,
    pub buttons: Vec<Vec<Button>>,
}

/// Inline results for an answer: the whole cited answer first, then each
/// cited source on its own (its passage with its citation line), at most
/// `max` in all. Nothing when the archive has no answer.
pub fn inline_items(answer: &Answer, bot: &str, max: usize) -> Vec<InlineItem> {
    if answer.no_answer || max == 0 {
        return Vec::new();
    }
    let script = answer.script;
    let question = shown(&answer.question, script);
    let one_message = |html: String| -> String {
        let mut chunks = split_html(&html, MAX_MESSAGE_UTF16 - 2);
        let first = if chunks.is_empty() {
            String::new()
        } else {
            chunks.remove(0)
        };
        if chunks.is_empty() {
            first
        } else {
            format!("{first}\n…")
        }
    };
    let mut items = vec![InlineItem {
        id: "a".into(),
        title: clip(&script::render(&answer.answer, script), 60),
        description: clip(&ui("完整回答（附出处）", script), 60),
        html: one_message(format!("❓ {question}\n\n{}", answer_html(answer, usize::MAX))),
        buttons: citation_buttons(answer, Links::DeepLink(bot)),
    }];
    for c in answer.citations.iter().take(max.saturating_sub(1)) {
        let single = Answer {
            citations: vec![c.clone()],
            ..answer.clone()
        };
        items.push(InlineItem {
            id: format!("c{}", c.n),
            title: clip(&format!("[{}] {}", c.n, script::render(&c.quote.title, script)), 60),
            description: clip(&script::render(&c.quote.passage, script), 100),
            html: one_message(format!("❓ {question}\n{}", citation_block(c, script))),
            buttons: citation_buttons(&single, Links::DeepLink(bot)),
        });
    }
    items
}

fn example_lines(bot: &str, examples: &[String], script: Script) -> String {
    examples
        .iter()
        .enumerate()
        .map(|(i, q)| {
            format!(
                "• <a href=\"{}\">{}</a>",
                escape(&route::deep_link(bot, &format!("ex{i}"))),
                shown(q, script)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The /start greeting: what the bot does and the example questions
/// (each a link that asks it; see [`super::examples`]).
pub fn welcome(bot: &str, examples: &[String], script: Script) -> String {
    let bot = escape(bot);
    let intro = ui(
        "你好！我根据新闻档案回答问题：答案逐字引自档案，并用 [1] [2] 标明出处，点按钮即可阅读原文。",
        script,
    );
    let ask = if examples.is_empty() {
        ui("直接发来一个问题。", script)
    } else {
        format!(
            "{}\n{}",
            ui("直接发来一个问题，或点一个例子：", script),
            example_lines(&bot, examples, script)
        )
    };
    format!(
        "{intro}\n\n{ask}\n\n{}",
        ui(
            &format!("在群组里用 /ask 问题 或 @{bot} 问题 提问。/help 查看用法，/about 查看档案概况。"),
            script
        ),
    )
}

/// The /help text, with the first example question when there is one.
pub fn help(bot: &str, example: Option<&str>, script: Script) -> String {
    let bot = escape(bot);
    let example = example.map(|q| format!("\n• 例如：{}", escape(q))).unwrap_or_default();
    let text = format!(
        "<b>怎么提问</b>\n\
         • 私聊：直接发送问题。\n\
         • 群组：发送 /ask 问题，或 @{bot} 问题；回复我的回答可以接着追问（问题里的“他”“这件事”指回答说的内容）。\n\
         • 任意聊天：输入 @{bot} 问题，选一条结果发送。{example}\n\n\
         <b>怎么读回答</b>\n\
         回答逐字引自档案，[1] [2] 对应下方的出处（标题 · 来源 · 日期）和引文；点按钮阅读全文，长文章可以翻页。档案里没有的内容，我会直接说没有。\n\
         用简体提问就用简体回答，用繁体提问就用繁体回答。\n\n\
         <b>查档案本身</b>\n\
         • 也可以问档案里有什么：“林双双写过哪些报道？”“2019年9月一共有多少篇文章？”“有没有关于殡仪馆的报道？”“哪家媒体的报道最多？”\n\
         • /search 关键词、来源、作者或日期（如 /search 新京报 2019年9月）列出文章，/latest 最新的文章；◀ ▶ 翻页。\n\n\
         /about 档案概况"
    );
    ui(&text, script)
}

/// The /about text: what the archive holds.
pub fn about(stats: &Stats, script: Script) -> String {
    let dates = match (&stats.first_date, &stats.last_date) {
        (Some(a), Some(b)) if a == b => escape(a),
        (Some(a), Some(b)) => format!("{} 至 {}", escape(a), escape(b)),
        _ => "未注明".to_owned(),
    };
    let mut sources: Vec<String> = stats.sources.iter().take(ABOUT_SOURCES).map(|s| escape(s)).collect();
    if stats.sources.len() > ABOUT_SOURCES {
        sources.push(format!("等 {} 个来源", stats.sources.len()));
    }
    let text = format!(
        "<b>档案概况</b>\n文章：{} 篇\n段落：{} 个\n日期：{dates}\n来源：{}",
        stats.articles,
        stats.passages,
        if sources.is_empty() {
            "未注明".to_owned()
        } else {
            sources.join("、")
        }
    );
    ui(&text, script)
}

/// The reply to `/ask` with no question, or a bare mention.
pub fn usage(bot: &str, example: Option<&str>, script: Script) -> String {
    let q = example.map(escape).unwrap_or_else(|| "问题".to_owned());
    ui(
        &format!("请在命令后面写上问题，例如：/ask {q}\n或者：@{} {q}", escape(bot)),
        script,
    )
}

/// The one reply to someone the bot is not open to.
pub fn not_allowed(script: Script) -> String {
    ui("抱歉，这个机器人只对指定的用户和群组开放。", script)
}

/// The goodbye to a group the bot may not be in.
pub fn leaving_group(script: Script) -> String {
    ui(
        "抱歉，这个机器人只对指定的群组开放，现在退出本群。如需在本群使用，请联系机器人的管理员。",
        script,
    )
}

/// The reply to a user over the per-minute question limit.
pub fn rate_limited(per_minute: u32, wait_secs: u64, script: Script) -> String {
    ui(
        &format!("提问太频繁了（每分钟最多 {per_minute} 个问题），请 {wait_secs} 秒后再问。"),
        script,
    )
}

/// `/stats` for admins.
pub fn stats(
    s: &super::stats::Snapshot,
    index_age: Option<std::time::Duration>,
    follows: (usize, usize),
    script: Script,
) -> String {
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.0} ms")).unwrap_or_else(|| "—".to_owned());
    let rate = if s.questions == 0 {
        "—".to_owned()
    } else {
        format!("{:.1}%", s.no_answers as f64 * 100.0 / s.questions as f64)
    };
    let age = |d: std::time::Duration| {
        let m = d.as_secs() / 60;
        format!("{} 天 {} 小时 {} 分", m / 1440, m / 60 % 24, m % 60)
    };
    let text = format!(
        "<b>运行状况</b>\n问题：{}\n无答案：{} ({rate})\n回复用时：p50 {}，p99 {}\n运行时间：{}\n索引建立于：{}\n关注：{} 个（{} 个聊天），提醒已发 {}，失败 {}",
        s.questions,
        s.no_answers,
        ms(s.p50_ms),
        ms(s.p99_ms),
        age(s.uptime),
        index_age
            .map(|d| format!("{}前", age(d)))
            .unwrap_or_else(|| "未知".to_owned()),
        follows.0,
        follows.1,
        s.alerts_sent,
        s.alerts_failed,
    );
    ui(&text, script)
}

/// Alerts listed in one message at most.
pub const ALERTS_PER_MESSAGE: usize = 10;

/// The alert of new articles on what a chat follows: one message per
/// [`ALERTS_PER_MESSAGE`] articles, each `[n] title · source · date`, its
/// best passage for the follow's words and which follow it matched, with a
/// button per article.
pub fn alert_replies(items: &[(Citation, String)], links: Links<'_>, script: Script) -> Vec<Reply> {
    let pages = items.len().div_ceil(ALERTS_PER_MESSAGE);
    items
        .chunks(ALERTS_PER_MESSAGE)
        .enumerate()
        .map(|(p, chunk)| {
            let mut html = ui(&format!("🔔 关注的话题有 {} 篇新文章", items.len()), script);
            if pages > 1 {
                html.push_str(&ui(&format!("（{}/{}）", p + 1, pages), script));
            }
            for (c, words) in chunk {
                html.push_str(&format!("\n\n{}", cited_line(c, script)));
                let quote = clip(c.quote.passage.trim(), LIST_PASSAGE_CHARS);
                if !quote.is_empty() {
                    html.push_str(&format!("\n<i>{}</i>", shown(&quote, script)));
                }
                html.push_str(&format!("\n{}", ui(&format!("关注：{}", escape(words)), script)));
            }
            let citations: Vec<Citation> = chunk.iter().map(|(c, _)| c.clone()).collect();
            Reply {
                chunks: split_html(&html, MAX_MESSAGE_UTF16),
                buttons: article_buttons(&citations, script, links),
            }
        })
        .collect()
}

/// `/follow` done: its number, and how to list and stop follows.
pub fn follow_added(n: usize, words: &str, script: Script) -> String {
    ui(
        &format!(
            "已关注 {n}：{}\n档案里出现相关的新文章时，我会发到这里。/following 查看，/unfollow {n} 取消。",
            escape(words)
        ),
        script,
    )
}

/// Why `/follow` did nothing.
pub fn follow_refused(why: &super::follows::Refusal, max_chars: usize, script: Script) -> String {
    use super::follows::{MAX_PER_CHAT, Refusal};
    let text = match why {
        Refusal::Empty => {
            "请在命令后面写上要关注的词、来源、作者或日期，例如：/follow 防汛 或 /follow 某某日报".to_owned()
        }
        Refusal::TooLong => format!("关注的内容太长了，最多 {max_chars} 个字。"),
        Refusal::TooMany => format!("这个聊天已经关注了 {MAX_PER_CHAT} 个话题，请先用 /unfollow 取消一些。"),
        Refusal::Duplicate => "这个话题已经关注过了。/following 查看。".to_owned(),
    };
    ui(&text, script)
}

/// `/following`: the chat's follows, numbered.
pub fn follows_list(follows: &[super::follows::Follow], script: Script) -> String {
    if follows.is_empty() {
        return ui("这个聊天还没有关注任何话题。用 /follow 关键词 关注。", script);
    }
    let mut text = ui("<b>本聊天关注的话题</b>", script);
    for (i, f) in follows.iter().enumerate() {
        text.push_str(&format!("\n{}. {}", i + 1, escape(&f.words)));
        if f.paused {
            text.push_str(&ui("（已暂停）", script));
        }
    }
    text.push_str(&ui("\n\n/unfollow 序号 取消关注。", script));
    text
}

/// `/unfollow` done.
pub fn unfollowed(words: &str, script: Script) -> String {
    ui(&format!("已取消关注：{}", escape(words)), script)
}

/// `/unfollow` without a valid number.
pub fn unfollow_usage(script: Script) -> String {
    ui("请写上要取消的序号，例如 /unfollow 1；/following 查看序号。", script)
}

/// In a group, only its administrators (and the bot's) change follows.
pub fn follows_admins_only(script: Script) -> String {
    ui(
        "只有群管理员可以添加或取消关注；任何人都可以用 /following 查看。",
        script,
    )
}

/// Follows are turned off in this deployment.
pub fn follows_off(script: Script) -> String {
    ui("这个机器人没有开启关注功能。", script)
}

/// `/reindex` when the served index has no known corpus.
pub fn reindex_unavailable(script: Script) -> String {
    ui("无法重建索引：这个机器人运行时没有指定档案目录（corpus）。", script)
}

/// The reply to `/reindex`: how the rebuild went, and the articles now served.
pub fn reindexed(outcome: &super::reload::Outcome, articles: usize, script: Script) -> String {
    use super::reload::Outcome;
    let text = match outcome {
        Outcome::Reloaded { before, after, seconds } => {
            format!("索引已重建：文章 {before} → {after} 篇，用时 {seconds:.1} 秒。")
        }
        Outcome::Unchanged => format!("档案没有变化，索引无需重建（{articles} 篇文章）。"),
        Outcome::Failed { error, seconds } => format!(
            "重建索引失败（用时 {seconds:.1} 秒）：{}\n仍在使用原来的索引（{articles} 篇文章）。",
            escape(&clip(error, 500))
        ),
    };
    ui(&text, script)
}

/// The reply to a command we do not have.
pub fn unknown_command(script: Script) -> String {
    ui("没有这个命令。可用的命令：/ask 问题、/help、/about。", script)
}

/// The reply to a message that is not text (a sticker, a photo).
pub fn text_only(script: Script) -> String {
    ui("我只能回答文字问题，请用文字提问。", script)
}

/// The reply to a question too long to be one.
pub fn too_long(max_chars: usize, script: Script) -> String {
    ui(&format!("问题太长了（最多 {max_chars} 个字），请缩短后再问。"), script)
}

/// The reply when answering failed inside the bot.
pub fn failed(script: Script) -> String {
    ui("抱歉，这个问题暂时无法回答，请稍后再试。", script)
}

/// The notice for a button that no longer leads anywhere.
pub fn stale_button(script: Script) -> String {
    ui("这个按钮已失效，请重新提问。", script)
}

/// The notice for an article link that no longer leads anywhere.
pub fn stale_article(script: Script) -> String {
    ui("找不到这篇文章了（档案可能已更新），请重新提问。", script)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::Citation;
    use crate::engine::Quote;
    use crate::telegram::split::utf16_len;

    fn citation(n: usize, article: &str, title: &str, passage: &str) -> Citation {
        Citation {
            n,
            article: article.into(),
            quote: Quote {
                file: "000.txt".into(),
                title: title.into(),
                source: Some("城区委组织部".into()),
                date: Some("2021-12-23".into()),
                passage: passage.into(),
            },
            line: Some(12),
            url: None,
            score: 1.0,
        }
    }

    fn answer(text: &str, citations: Vec<Citation>, script: Script) -> Answer {
        Answer {
            question: "陈达锋担任了哪个隔离点的组长?".into(),
            answer: text.into(),
            no_answer: citations.is_empty(),
            citations,
            confidence: 1.0,
            filter: Default::default(),
            took_ms: 1.0,
            script,
            kind: Default::default(),
            span: None,
            count: None,
            pages: 0,
        }
    }

    #[test]
    fn escapes_html() {
        assert_eq!(escape("<b>&\"x\"</b>"), "&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;");
    }

    #[test]
    fn answer_has_citation_lines_quotes_and_buttons() {
        let a = answer(
            "陈达锋兼任城区医学观察者集中隔离点组长。[1]",
            vec![citation(1, "397cab3cb2d9", "發揮“領頭羊”作用", "陳達鋒被委以重任。")],
            Script::Simplified,
        );
        let r = answer_reply(&a, Links::Callback);
        assert_eq!(
            r.chunks,
            vec![
                "陈达锋兼任城区医学观察者集中隔离点组长。[1]\n\n[1] <b>发挥“领头羊”作用</b> · 城区委组织部 · 2021-12-23\n<blockquote>陈达锋被委以重任。</blockquote>"
            ]
        );
        assert_eq!(
            r.buttons,
            vec![vec![Button {
                label: "📄 [1] 发挥“领头羊”作用".into(),
                action: ButtonAction::Callback("o:397cab3cb2d9:s".into()),
            }]]
        );
        let g = answer_reply(&a, Links::DeepLink("ArchiveBot"));
        assert_eq!(
            g.buttons[0][0].action,
            ButtonAction::Url("https://t.me/ArchiveBot?start=397cab3cb2d9_s".into())
        );
    }

    #[test]
    fn the_key_span_is_bold_and_escaped() {
        let mut a = answer(
            "集结了66名<干部>。[1]",
            vec![citation(1, "k1", "标题", "集结了66名<干部>。")],
            Script::Original,
        );
        let at = a.answer.find("66名").unwrap();
        a.span = Some((at, at + "66名<干部>".len()));
        let r = answer_reply(&a, Links::Callback);
        assert!(
            r.chunks[0].starts_with("集结了<b>66名&lt;干部&gt;</b>。[1]"),
            "{}",
            r.chunks[0]
        );
        // A span that is not a range of the text is ignored, not a panic.
        a.span = Some((1, 2));
        let r = answer_reply(&a, Links::Callback);
        assert!(
            r.chunks[0].starts_with("集结了66名&lt;干部&gt;。[1]"),
            "{}",
            r.chunks[0]
        );
    }

    #[test]
    fn quotes_follow_the_askers_script() {
        let a = answer(
            "陳達鋒兼任組長。[1]",
            vec![citation(1, "k1", "发挥领头羊作用", "陈达锋被委以重任。")],
            Script::Traditional,
        );
        let html = answer_reply(&a, Links::Callback).chunks.concat();
        assert!(html.contains("發揮領頭羊作用"), "{html}");
        assert!(html.contains("陳達鋒被委以重任"), "{html}");
        assert!(html.contains("城區委組織部"), "{html}");
    }

    #[test]
    fn one_button_per_article() {
        let a = answer(
            "甲[1]乙[2]丙[3]",
            vec![
                citation(1, "k1", "标题一", "甲。"),
                citation(2, "k2", "标题二", "乙。"),
                citation(3, "k1", "标题一", "丙。"),
            ],
            Script::Simplified,
        );
        let b = citation_buttons(&a, Links::Callback);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0][0].label, "📄 [1][3] 标题一");
    }

    #[test]
    fn hostile_text_is_escaped_everywhere() {
        let evil = "<script>alert(1)</script> & <a href=\"x\">";
        let mut a = answer(evil, vec![citation(1, "k1", evil, evil)], Script::Original);
        a.citations[0].quote.source = Some(evil.into());
        let html = answer_reply(&a, Links::Callback).chunks.concat();
        assert!(!html.contains("<script>") && !html.contains("<a href=\"x\">"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;a href=&quot;x&quot;&gt;"));
    }

    #[test]
    fn long_answers_are_split_under_the_limit() {
        let long = "这是一个很长的句子，用来测试拆分。".repeat(400);
        let a = answer(&long, vec![citation(1, "k1", "标题", &long)], Script::Simplified);
        let r = answer_reply(&a, Links::Callback);
        assert!(r.chunks.len() > 2);
        for c in &r.chunks {
            assert!(utf16_len(c) <= MAX_MESSAGE_UTF16);
        }
    }

    #[test]
    fn no_answer_has_no_buttons() {
        let a = answer("档案中没有找到与这个问题相关的内容。", vec![], Script::Simplified);
        let r = answer_reply(&a, Links::Callback);
        assert!(r.buttons.is_empty());
        assert_eq!(r.chunks.len(), 1);
        assert!(inline_items(&a, "b", 5).is_empty());
    }

    fn article(paragraphs: usize) -> Article {
        Article {
            file: "004.txt".into(),
            title: "锦湖街道筑牢<疫情>防线".into(),
            source: Some("瑞安日报".into()),
            author: None,
            date: Some("2021-12-23".into()),
            url: Some("https://example.com/a?b=1&c=2".into()),
            paragraphs: (0..paragraphs)
                .map(|i| format!("第{i}段。{}", "内容很长。".repeat(40)))
                .collect(),
            lines: (0..paragraphs).map(|i| 3 + 2 * i as u32).collect(),
        }
    }

    #[test]
    fn the_article_view_says_where_the_text_is() {
        let page = &article_pages(&article(3), Script::Original)[0];
        assert!(page.contains("\n原文：<code>004.txt</code>，第 3–7 行\n"), "{page}");
        let page = &article_pages(&article(1), Script::Traditional)[0];
        assert!(page.contains("\n原文：<code>004.txt</code>，第 3 行\n"), "{page}");
        let page_of = |file: &str| Article {
            file: file.into(),
            lines: Vec::new(),
            ..article(2)
        };
        let page = &article_pages(&page_of("pages/<a&b>.html"), Script::Original)[0];
        assert!(
            page.contains("<a href=\"https://example.com/a?b=1&amp;c=2\">")
                && page.contains("\n原文：<code>pages/&lt;a&amp;b&gt;.html</code>\n"),
            "a page without lines names its link and its file, escaped: {page}"
        );
    }

    #[test]
    fn short_article_is_one_page_without_buttons() {
        let a = article(2);
        let pages = article_pages(&a, Script::Original);
        assert_eq!(pages.len(), 1);
        assert!(pages[0].starts_with("<b>锦湖街道筑牢&lt;疫情&gt;防线</b>\n瑞安日报 · 2021-12-23\n"));
        assert!(pages[0].contains("<a href=\"https://example.com/a?b=1&amp;c=2\">"));
        let r = article_page(&a, "k1", 0, Script::Original).unwrap();
        assert!(r.buttons.is_empty());
        assert!(article_page(&a, "k1", 1, Script::Original).is_none());
    }

    #[test]
    fn long_article_pages_have_navigation() {
        let a = article(60);
        let pages = article_pages(&a, Script::Simplified);
        assert!(pages.len() >= 3, "{}", pages.len());
        let n = pages.len();
        for (i, p) in pages.iter().enumerate() {
            assert!(utf16_len(p) <= MAX_MESSAGE_UTF16);
            assert!(p.ends_with(&format!("（{}/{n}）</i>", i + 1)));
        }
        let first = article_page(&a, "k1", 0, Script::Simplified).unwrap();
        assert_eq!(first.buttons[0].len(), 1);
        assert_eq!(first.buttons[0][0].action, ButtonAction::Callback("p:k1:1:s".into()));
        let mid = article_page(&a, "k1", 1, Script::Simplified).unwrap();
        assert_eq!(mid.buttons[0].len(), 2);
        let last = article_page(&a, "k1", n - 1, Script::Simplified).unwrap();
        assert_eq!(last.buttons[0][0].label, "◀ 上一页");
        assert_eq!(last.buttons[0].len(), 1);
    }

    #[test]
    fn inline_items_send_cited_replies() {
        let a = answer(
            "甲[1]乙[2]",
            vec![citation(1, "k1", "标题一", "甲。"), citation(2, "k2", "标题二", "乙。")],
            Script::Simplified,
        );
        let items = inline_items(&a, "ArchiveBot", 5);
        assert_eq!(items.len(), 3);
        assert!(items[0].html.contains("[1] <b>标题一</b>") && items[0].html.contains("[2] <b>标题二</b>"));
        assert!(items[2].html.contains("[2] <b>标题二</b>") && !items[2].html.contains("标题一"));
        assert_eq!(inline_items(&a, "ArchiveBot", 2).len(), 2);
        for it in &items {
            assert!(utf16_len(&it.html) <= MAX_MESSAGE_UTF16);
            assert!(matches!(it.buttons[0][0].action, ButtonAction::Url(_)));
        }
    }

    #[test]
    fn fixed_texts() {
        let examples = ["甲乙丙是什么?".to_owned(), "<丁>".to_owned()];
        let w = welcome("ArchiveBot", &examples, Script::Simplified);
        assert_eq!(w.matches("https://t.me/ArchiveBot?start=ex").count(), 2);
        assert!(w.contains("?start=ex1\">&lt;丁&gt;</a>"), "{w}");
        let bare = welcome("ArchiveBot", &[], Script::Simplified);
        assert!(
            !bare.contains("start=ex") && bare.contains("直接发来一个问题。"),
            "{bare}"
        );
        assert!(help("ArchiveBot", None, Script::Traditional).contains("繁體"));
        assert!(help("ArchiveBot", Some("甲乙丙是什么?"), Script::Simplified).contains("例如：甲乙丙是什么?"));
        assert!(usage("ArchiveBot", None, Script::Simplified).contains("/ask 问题"));
        let stats = Stats {
            articles: 7,
            passages: 135,
            first_date: Some("2021-12-23".into()),
            last_date: Some("2021-12-24".into()),
            sources: vec!["瑞安日报".into(), "<x>".into()],
            next_article: 7,
        };
        let text = about(&stats, Script::Simplified);
        assert!(text.contains("文章：7 篇") && text.contains("段落：135 个"));
        assert!(text.contains("2021-12-23 至 2021-12-24") && text.contains("瑞安日报、&lt;x&gt;"));
    }
}
