//! Deciding what an incoming message asks for, and the compact strings the
//! bot hands to Telegram and gets back: callback data and deep-link
//! payloads. Pure functions of text, so every rule is unit-tested.

use crate::script::Script;
use crate::text;

/// Telegram's limit on callback data, in bytes.
pub const MAX_CALLBACK_BYTES: usize = 64;
/// Telegram's limit on a deep-link `start` payload, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 64;

/// Where a message was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A direct message with the bot.
    Private,
    /// A group or supergroup (with the bot's privacy mode on).
    Group,
}

/// The facts about one text message that routing needs.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub place: Place,
    pub text: &'a str,
    /// The message replies to one of the bot's own messages.
    pub reply_to_bot: bool,
}

/// What to do with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Not for us: stay silent.
    Ignore,
    /// `/start`, with its deep-link payload if any.
    Start(Option<String>),
    Help,
    About,
    /// `/stats` (answered for admins only).
    Stats,
    /// `/reindex` (admins only): rebuild the index now.
    Reindex,
    /// Answer this question.
    Ask(String),
    /// `/search <words and filters>`: list the articles.
    Search(String),
    /// `/latest`: the newest articles.
    Latest,
    /// `/follow <words and filters>`: post new articles that match.
    Follow(String),
    /// `/following`: the chat's follows, numbered.
    Following,
    /// `/unfollow <n>`: stop the chat's `n`-th follow.
    Unfollow(String),
    /// Addressed to us but holding no question (`/ask` alone, a bare mention).
    Usage,
    /// A command of ours we do not know, addressed to us.
    UnknownCommand,
}

/// A parsed bot command: `/name[@bot] rest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command<'a> {
    /// Lower-cased command name without the slash.
    pub name: String,
    /// The bot it is addressed to (`/ask@that_bot`), if named.
    pub target: Option<&'a str>,
    /// Everything after the command, trimmed.
    pub rest: &'a str,
}

/// Parses a leading bot command. Text that does not start with `/` and a
/// letter, digit or underscore is not a command.
///
/// Not teloxide's `BotCommands` derive: its parser matches names
/// case-sensitively and splits only at a space, so `/Ask 问题` and
/// `/ask⏎问题` would stop being questions.
pub fn parse_command(text: &str) -> Option<Command<'_>> {
    let body = text.trim_start().strip_prefix('/')?;
    let end = body.find(char::is_whitespace).unwrap_or(body.len());
    let (head, rest) = body.split_at(end);
    let (name, target) = match head.split_once('@') {
        Some((name, target)) => (name, Some(target)),
        None => (head, None),
    };
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !word(name) || target.is_some_and(|t| !word(t)) {
        return None;
    }
    Some(Command {
        name: name.to_ascii_lowercase(),
        target,
        rest: rest.trim(),
    })
}

/// Whether a mention names the bot `username` (case-insensitive).
fn names(m: &text::Mention<'_>, username: &str) -> bool {
    m.name.eq_ignore_ascii_case(username)
}

/// Whether the text mentions `@username`.
pub fn mentions(text: &str, username: &str) -> bool {
    !username.is_empty() && text::mentions(text).iter().any(|m| names(m, username))
}

/// The text with every mention of the bot removed, whitespace tidied.
/// Mentions of others stay: they can be part of the question.
pub fn strip_mentions(text: &str, username: &str) -> String {
    text::strip_mentions(text, |m| names(m, username))
}

/// Decides what a text message asks of the bot named `username`.
///
/// In a direct message any text is a question. In a group only `/ask`,
/// mentions and replies to the bot are; our other commands are answered
/// there too, commands addressed to other bots never are.
pub fn route(msg: Incoming<'_>, username: &str) -> Action {
    if let Some(cmd) = parse_command(msg.text) {
        let ours = match cmd.target {
            Some(t) => t.eq_ignore_ascii_case(username),
            None => false,
        };
        if cmd.target.is_some() && !ours {
            return Action::Ignore;
        }
        return match cmd.name.as_str() {
            "start" => Action::Start(cmd.rest.split_whitespace().next().map(str::to_owned)),
            "help" => Action::Help,
            "about" => Action::About,
            "stats" => Action::Stats,
            "reindex" => Action::Reindex,
            "search" => Action::Search(strip_mentions(cmd.rest, username)),
            "latest" | "newest" => Action::Latest,
            "follow" => Action::Follow(strip_mentions(cmd.rest, username)),
            "following" | "follows" => Action::Following,
            "unfollow" => Action::Unfollow(cmd.rest.trim().to_owned()),
            "ask" => {
                let q = strip_mentions(cmd.rest, username);
                if q.is_empty() { Action::Usage } else { Action::Ask(q) }
            }
            _ if ours || msg.place == Place::Private => Action::UnknownCommand,
            _ => Action::Ignore,
        };
    }
    let addressed = match msg.place {
        Place::Private => true,
        Place::Group => mentions(msg.text, username) || msg.reply_to_bot,
    };
    if !addressed {
        return Action::Ignore;
    }
    let q = strip_mentions(msg.text, username);
    if q.is_empty() { Action::Usage } else { Action::Ask(q) }
}

/// What a button press asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// Send the article as a new message (a citation button).
    Open { key: String, script: Script },
    /// Show page `page` of the article, editing the message in place.
    Page { key: String, page: usize, script: Script },
    /// Show page `page` of the list in this message (what it lists is
    /// remembered with the message: see [`ListOf`]).
    List { page: usize, script: Script },
}

/// What a list message lists, remembered with it so that its page buttons
/// can list the next page: a question about the collection, `/search`'s
/// words, or `/latest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListOf {
    Question(String),
    Search(String),
    Latest,
}

/// Marks a remembered `/search` or `/latest` (never typed in a question).
const LIST_MARK: char = '\u{1}';

impl ListOf {
    /// As remembered: a question as itself (so a reply to the list is a
    /// follow-up on it), the commands behind a mark.
    pub fn encode(&self) -> String {
        match self {
            ListOf::Question(q) => q.clone(),
            ListOf::Search(words) => format!("{LIST_MARK}s{words}"),
            ListOf::Latest => format!("{LIST_MARK}l"),
        }
    }

    pub fn decode(text: &str) -> ListOf {
        match text.strip_prefix(LIST_MARK) {
            Some(rest) if rest.starts_with('l') => ListOf::Latest,
            Some(rest) => ListOf::Search(rest.strip_prefix('s').unwrap_or(rest).to_owned()),
            None => ListOf::Question(text.to_owned()),
        }
    }

    /// The question a reply to this list follows up on, if any.
    pub fn question(&self) -> Option<&str> {
        match self {
            ListOf::Question(q) => Some(q),
            _ => None,
        }
    }
}

fn script_letter(s: Script) -> char {
    match s {
        Script::Original => 'o',
        Script::Simplified => 's',
        Script::Traditional => 't',
    }
}

fn letter_script(c: &str) -> Option<Script> {
    match c {
        "o" => Some(Script::Original),
        "s" => Some(Script::Simplified),
        "t" => Some(Script::Traditional),
        _ => None,
    }
}

/// Article keys are short ASCII words (the engine's are 16 hex digits).
fn valid_key(key: &str) -> bool {
    (1..=24).contains(&key.len()) && key.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Callback {
    /// The callback data: `o:<key>:<s>`, `p:<key>:<page>:<s>` or
    /// `l:<page>:<s>`.
    pub fn encode(&self) -> String {
        match self {
            Callback::Open { key, script } => format!("o:{key}:{}", script_letter(*script)),
            Callback::Page { key, page, script } => format!("p:{key}:{page}:{}", script_letter(*script)),
            Callback::List { page, script } => format!("l:{page}:{}", script_letter(*script)),
        }
    }

    /// Reads callback data back; `None` for anything we did not write.
    pub fn decode(data: &str) -> Option<Callback> {
        if data.len() > MAX_CALLBACK_BYTES {
            return None;
        }
        let parts: Vec<&str> = data.split(':').collect();
        match parts.as_slice() {
            ["o", key, s] if valid_key(key) => Some(Callback::Open {
                key: (*key).to_owned(),
                script: letter_script(s)?,
            }),
            ["p", key, page, s] if valid_key(key) && page.len() <= 4 => Some(Callback::Page {
                key: (*key).to_owned(),
                page: page.parse().ok()?,
                script: letter_script(s)?,
            }),
            ["l", page, s] if page.len() <= 4 => Some(Callback::List {
                page: page.parse().ok()?,
                script: letter_script(s)?,
            }),
            _ => None,
        }
    }
}

/// The `/start` payload that opens an article: `<key>_<s>`.
pub fn article_payload(key: &str, script: Script) -> String {
    format!("{key}_{}", script_letter(script))
}

/// Reads an article payload back.
pub fn decode_payload(payload: &str) -> Option<(String, Script)> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return None;
    }
    let (key, s) = payload.rsplit_once('_')?;
    valid_key(key).then(|| Some((key.to_owned(), letter_script(s)?)))?
}

/// The deep link that opens the bot's private chat with a payload.
pub fn deep_link(username: &str, payload: &str) -> String {
    format!("https://t.me/{username}?start={payload}")
}

/// The script to write interface text in for a user's Telegram language.
pub fn script_for_language(code: Option<&str>) -> Script {
    let code = code.unwrap_or("").to_ascii_lowercase();
    if ["zh-hant", "zh-tw", "zh-hk", "zh-mo"]
        .iter()
        .any(|p| code.starts_with(p))
    {
        Script::Traditional
    } else {
        Script::Simplified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOT: &str = "ArchiveBot";

    fn dm(text: &str) -> Action {
        route(
            Incoming {
                place: Place::Private,
                text,
                reply_to_bot: false,
            },
            BOT,
        )
    }

    fn group(text: &str, reply_to_bot: bool) -> Action {
        route(
            Incoming {
                place: Place::Group,
                text,
                reply_to_bot,
            },
            BOT,
        )
    }

    #[test]
    fn parses_commands() {
        let c = parse_command("/Ask@archivebot  陈达锋 是谁 ").unwrap();
        assert_eq!(
            (c.name.as_str(), c.target, c.rest),
            ("ask", Some("archivebot"), "陈达锋 是谁")
        );
        assert_eq!(parse_command("/help").unwrap().rest, "");
        assert!(parse_command("/ 你好").is_none());
        assert!(parse_command("/陈达锋").is_none());
        assert!(parse_command("a/ask").is_none());
        assert!(parse_command("/ask@").is_none());
    }

    #[test]
    fn any_text_is_a_question_in_private() {
        assert_eq!(dm("陈达锋是谁?"), Action::Ask("陈达锋是谁?".into()));
        assert_eq!(dm("/ask 陈达锋是谁?"), Action::Ask("陈达锋是谁?".into()));
        assert_eq!(dm("/ask"), Action::Usage);
        assert_eq!(dm("/frobnicate"), Action::UnknownCommand);
        assert_eq!(
            dm("/start 397cab3cb2d9_s"),
            Action::Start(Some("397cab3cb2d9_s".into()))
        );
        assert_eq!(dm("/start"), Action::Start(None));
        assert_eq!(dm("/reindex"), Action::Reindex);
        assert_eq!(dm("/stats"), Action::Stats);
        assert_eq!(
            dm("/search 新京报 2019年9月"),
            Action::Search("新京报 2019年9月".into())
        );
        assert_eq!(dm("/latest"), Action::Latest);
        assert_eq!(dm("/follow 锦湖街道"), Action::Follow("锦湖街道".into()));
        assert_eq!(dm("/following"), Action::Following);
        assert_eq!(dm("/unfollow 2"), Action::Unfollow("2".into()));
    }

    #[test]
    fn groups_answer_only_when_addressed() {
        assert_eq!(group("大家好,今天开会吗?", false), Action::Ignore);
        assert_eq!(group("/ask 陈达锋是谁?", false), Action::Ask("陈达锋是谁?".into()));
        assert_eq!(
            group("/ask@archivebot 陈达锋是谁?", false),
            Action::Ask("陈达锋是谁?".into())
        );
        assert_eq!(
            group("@ArchiveBot 陈达锋是谁?", false),
            Action::Ask("陈达锋是谁?".into())
        );
        assert_eq!(
            group("请问 @archivebot,陈达锋是谁?", false),
            Action::Ask("请问 陈达锋是谁?".into())
        );
        assert_eq!(
            group("他什么时候加入的?", true),
            Action::Ask("他什么时候加入的?".into())
        );
        assert_eq!(group("@ArchiveBot", false), Action::Usage);
        assert_eq!(group("/about", false), Action::About);
    }

    #[test]
    fn ignores_other_bots() {
        assert_eq!(group("/ask@OtherBot 陈达锋是谁?", false), Action::Ignore);
        assert_eq!(dm("/help@OtherBot"), Action::Ignore);
        assert_eq!(group("/weather", false), Action::Ignore);
        assert_eq!(group("@ArchiveBotFan 你好", false), Action::Ignore);
        assert_eq!(group("mail@ArchiveBot.com", false), Action::Ignore);
    }

    #[test]
    fn strips_mentions() {
        assert_eq!(strip_mentions("@archivebot 陈达锋", BOT), "陈达锋");
        assert_eq!(strip_mentions("陈达锋 @ARCHIVEBOT 是谁", BOT), "陈达锋 是谁");
        assert_eq!(strip_mentions("@ArchiveBot：陈达锋", BOT), "陈达锋");
    }

    #[test]
    fn callback_data_round_trips_and_fits() {
        for cb in [
            Callback::Open {
                key: "397cab3cb2d9".into(),
                script: Script::Traditional,
            },
            Callback::Page {
                key: "397cab3cb2d91".into(),
                page: 9999,
                script: Script::Original,
            },
            Callback::List {
                page: 9999,
                script: Script::Simplified,
            },
        ] {
            let data = cb.encode();
            assert!(data.len() <= MAX_CALLBACK_BYTES, "{data}");
            assert_eq!(Callback::decode(&data), Some(cb));
        }
    }

    #[test]
    fn a_list_remembers_what_it_lists() {
        for l in [
            ListOf::Question("林双双写过哪些报道?".into()),
            ListOf::Search("新京报 2019年9月".into()),
            ListOf::Search(String::new()),
            ListOf::Latest,
        ] {
            assert_eq!(ListOf::decode(&l.encode()), l);
        }
        assert_eq!(ListOf::Latest.question(), None);
        assert_eq!(
            ListOf::decode("哪些文章提到殡仪馆").question(),
            Some("哪些文章提到殡仪馆")
        );
    }

    #[test]
    fn forged_callback_data_is_refused() {
        for bad in [
            "",
            "x",
            "o:397cab3cb2d9",
            "o:397cab3cb2d9:z",
            "p:397cab3cb2d9:-1:s",
            "p:397cab3cb2d9:99999:s",
            "o:../../etc/passwd:s",
            "o:397cab3cb2d9:s:extra",
            &"o:".repeat(40),
        ] {
            assert_eq!(Callback::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn payloads_round_trip() {
        let p = article_payload("397cab3cb2d9", Script::Simplified);
        assert_eq!(p, "397cab3cb2d9_s");
        assert!(p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        assert_eq!(decode_payload(&p), Some(("397cab3cb2d9".into(), Script::Simplified)));
        assert_eq!(decode_payload("hello"), None);
        assert_eq!(decode_payload("a-b_s"), None);
        assert_eq!(
            deep_link("ArchiveBot", &p),
            "https://t.me/ArchiveBot?start=397cab3cb2d9_s"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_routes_without_panicking(text in "\\PC{0,60}", at in "[/@ ]{0,3}", name in "[A-Za-z_]{0,12}") {
            let text = format!("{at}{name}{text}");
            for place in [Place::Private, Place::Group] {
                let _ = route(Incoming { place, text: &text, reply_to_bot: true }, BOT);
            }
            let _ = strip_mentions(&text, BOT);
            let _ = Callback::decode(&text);
            let _ = decode_payload(&text);
        }
    }

    #[test]
    fn language_picks_the_script() {
        assert_eq!(script_for_language(Some("zh-hant")), Script::Traditional);
        assert_eq!(script_for_language(Some("zh-TW")), Script::Traditional);
        assert_eq!(script_for_language(Some("zh-hans")), Script::Simplified);
        assert_eq!(script_for_language(None), Script::Simplified);
    }
}
