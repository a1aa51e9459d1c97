//! Questions → search terms. Never tantivy's query parser: a question is
//! folded (Simplified, half-width, lower case), cut by jieba, stripped of
//! question words and particles — which are kept as hints for the kind of
//! answer wanted — and turned into our own bigram and word terms. No input
//! can cause a syntax error.

use crate::date::days_in_month;
use crate::index::tokenize::{JIEBA, bigrams};
use crate::script::{fold, is_cjk};
use crate::text;

/// Longest question accepted, in characters: the command line and the bot
/// refuse a longer one ([`check_length`]); parsing caps at it too, for
/// callers that do not check.
pub const MAX_QUESTION_CHARS: usize = 300;

/// A question longer than [`MAX_QUESTION_CHARS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} characters long; at most {MAX_QUESTION_CHARS} are allowed")]
pub struct TooLong(pub usize);

/// Refuses a question longer than [`MAX_QUESTION_CHARS`]: the one length
/// check of the command line and the bot.
pub fn check_length(question: &str) -> Result<(), TooLong> {
    let n = question.chars().count();
    if n > MAX_QUESTION_CHARS {
        Err(TooLong(n))
    } else {
        Ok(())
    }
}

/// What kind of answer a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// 多少钱, 价格: an amount of money.
    Price,
    /// 多少, 几: a quantity.
    Number,
    /// 什么时候, 哪天, 何时: a date or time.
    Date,
    /// 谁, 哪位: a person.
    Person,
    /// 职务, 身份, 担任什么: a position or role.
    Role,
    /// 哪个, 哪里, 什么: a name, place or thing.
    Entity,
    /// 哪些, 哪几: several things (a list, or a few sentences).
    List,
    /// No question word: any informative sentence.
    Any,
}

/// Question words and particles: not searched for, but they say what kind
/// of answer is wanted. Longest first, matched against whole jieba words.
const QUESTION_WORDS: &[(&str, AnswerKind)] = &[
    ("什么时候", AnswerKind::Date),
    ("什么时间", AnswerKind::Date),
    ("哪一天", AnswerKind::Date),
    ("哪一年", AnswerKind::Date),
    ("几月几日", AnswerKind::Date),
    ("哪天", AnswerKind::Date),
    ("哪年", AnswerKind::Date),
    ("何时", AnswerKind::Date),
    ("几时", AnswerKind::Date),
    ("多少钱", AnswerKind::Price),
    ("几块钱", AnswerKind::Price),
    ("多少元", AnswerKind::Price),
    ("哪几", AnswerKind::List),
    ("多少", AnswerKind::Number),
    ("几个", AnswerKind::Number),
    ("几名", AnswerKind::Number),
    ("几", AnswerKind::Number),
    ("多久", AnswerKind::Number),
    ("多长", AnswerKind::Number),
    ("担任什么", AnswerKind::Role),
    ("担任何种", AnswerKind::Role),
    ("什么职务", AnswerKind::Role),
    ("什么职位", AnswerKind::Role),
    ("什么身份", AnswerKind::Role),
    ("什么岗位", AnswerKind::Role),
    ("职务", AnswerKind::Role),
    ("职位", AnswerKind::Role),
    ("头衔", AnswerKind::Role),
    ("角色", AnswerKind::Role),
    ("谁", AnswerKind::Person),
    ("哪位", AnswerKind::Person),
    ("什么人", AnswerKind::Person),
    ("哪个", AnswerKind::Entity),
    ("哪些", AnswerKind::List),
    ("哪家", AnswerKind::Entity),
    ("哪里", AnswerKind::Entity),
    ("哪儿", AnswerKind::Entity),
    ("哪", AnswerKind::Entity),
    ("什么", AnswerKind::Entity),
    ("啥", AnswerKind::Entity),
];

/// Ordinary words that contain a question word's characters.
const NOT_QUESTIONS: &[&str] = &["几乎", "几何", "几率", "茶几", "哪怕", "多少年来", "什么都", "多少有些"];

/// Particles and function words that carry no search value.
const STOP_WORDS: &str = "是 的 了 吗 呢 吧 啊 呀 么 嘛 在 有 和 与 及 或 从 对 给 被 把 向 为 于 也 都 就 还 又 \
    请问 请 一下 怎么 怎么样 如何 为什么 为何 是否 是不是 可以 能 会 要 这 那 这个 那个 其 之 \
    我 你 他 她 它 我们 你们 他们 谢谢 感谢 你好 您好 麻烦 帮我 告诉我 想知道 问一下 知道 查一下 \
    嗯 哦 哈 呵呵 哈哈 一共 总共 共 一起 大概 大约 大致 具体 主要 分别 到底 究竟 曾经 当时 当初 最终 最后 \
    the a an of is what who when how many";

/// Which articles may answer: a publication period and a source. Given as
/// flags (`--since`, `--until`, `--source`) or read from the question
/// ("2021年12月", "2020年3月以来", "瑞安日报的报道"). An article that states no
/// date is kept by a date filter unless `dated_only` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Filter {
    /// Earliest publication date, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub since: Option<String>,
    /// Latest publication date, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub until: Option<String>,
    /// The publisher, as the archive names it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    /// Exclude articles without a date from a date filter.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub dated_only: bool,
}

impl Filter {
    /// Whether it restricts anything.
    pub fn is_empty(&self) -> bool {
        self.since.is_none() && self.until.is_none() && self.source.is_none()
    }

    /// This filter (the caller's), completed by what the question asks
    /// (`asked`): each bound the caller leaves open is taken from the
    /// question.
    pub fn completed_by(&self, asked: &Filter) -> Filter {
        Filter {
            since: self.since.clone().or_else(|| asked.since.clone()),
            until: self.until.clone().or_else(|| asked.until.clone()),
            source: self.source.clone().or_else(|| asked.source.clone()),
            dated_only: self.dated_only || asked.dated_only,
        }
    }
}

/// A question about an article itself rather than what it says: when it
/// appeared, who wrote it, which paper ran it, what its headline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetaField {
    Date,
    Author,
    Source,
    Title,
}

/// Words that refer to an article as a publication: a metadata question
/// needs one of them ("那篇报道是哪天的"), else "哪天" asks about an event.
const ARTICLE_WORDS: &[&str] = &[
    "报道", "文章", "新闻", "稿件", "这篇", "那篇", "该篇", "该文", "原文", "消息", "刊登", "刊发", "发表", "发布",
    "登载",
];

/// Question phrases for each metadata field (general Chinese), longest
/// first within a field.
const META_WORDS: &[(&str, MetaField)] = &[
    ("什么时候", MetaField::Date),
    ("哪一天", MetaField::Date),
    ("几月几日", MetaField::Date),
    ("哪天", MetaField::Date),
    ("何时", MetaField::Date),
    ("日期", MetaField::Date),
    ("哪年", MetaField::Date),
    ("谁写的", MetaField::Author),
    ("作者", MetaField::Author),
    ("记者是谁", MetaField::Author),
    ("谁报道", MetaField::Author),
    ("撰稿", MetaField::Author),
    ("执笔", MetaField::Author),
    ("哪家报纸", MetaField::Source),
    ("哪份报纸", MetaField::Source),
    ("哪个报纸", MetaField::Source),
    ("哪家媒体", MetaField::Source),
    ("哪个媒体", MetaField::Source),
    ("哪个网站", MetaField::Source),
    ("哪家", MetaField::Source),
    ("来源", MetaField::Source),
    ("出处", MetaField::Source),
    ("标题", MetaField::Title),
    ("题目", MetaField::Title),
];

/// Finds a metadata question: a field phrase and an article word both
/// present. Returns the field and the text with both blanked out.
fn find_meta(folded: &str) -> (Option<MetaField>, String) {
    if !ARTICLE_WORDS.iter().any(|w| folded.contains(*w)) {
        return (None, folded.to_owned());
    }
    let Some((phrase, field)) = META_WORDS.iter().find(|(w, _)| folded.contains(w)) else {
        return (None, folded.to_owned());
    };
    (Some(*field), without_article_words(&folded.replace(phrase, " ")))
}

/// The text with words that refer to an article as a publication blanked
/// out: in "瑞安日报的报道里…" or "那篇报道是哪天的" they identify nothing.
pub fn without_article_words(text: &str) -> String {
    let mut out = text.to_owned();
    for w in ARTICLE_WORDS {
        out = out.replace(w, " ");
    }
    out
}

/// A publication period named in the question ("2021年12月", "2020年以来",
/// "2020年3月之前") as a filter, and the text with the period blanked out.
/// In a fact question a full date with a day ("2月4日") names an event, not
/// a period, and stays a search term unless a direction word follows it
/// ("2020年3月1日以来"); in a question about the collection
/// (`days_are_periods`: "列出2019年9月7日的文章") it is the day listed.
pub fn find_period(folded: &str, days_are_periods: bool) -> (Filter, String) {
    static PERIOD: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        crate::text::static_regex(
            r"(?P<y>(?:19|20)\d{2})\s*年(?:\s*(?P<m>\d{1,2})\s*月份?(?:\s*(?P<d>\d{1,2})\s*[日号])?)?(?P<dir>以来|之后|以后|起|至今|之前|以前)?",
        )
    });
    let mut filter = Filter::default();
    let mut out = folded.to_owned();
    for c in PERIOD.captures_iter(folded) {
        let (Some(all), Some(y)) = (c.get(0), c.name("y").and_then(|y| y.as_str().parse::<u32>().ok())) else {
            continue;
        };
        let m = c
            .name("m")
            .and_then(|m| m.as_str().parse::<u32>().ok())
            .filter(|m| (1..=12).contains(m));
        let d = c
            .name("d")
            .and_then(|d| d.as_str().parse::<u32>().ok())
            .filter(|d| (1..=31).contains(d));
        let dir = c.name("dir").map(|d| d.as_str());
        if c.name("m").is_some() && m.is_none() || d.is_some() && dir.is_none() && !days_are_periods {
            continue; // not a month, or an event's date
        }
        let first = format!("{y:04}-{:02}-{:02}", m.unwrap_or(1), d.unwrap_or(1));
        let last = match (m, d) {
            (_, Some(d)) => format!("{y:04}-{:02}-{d:02}", m.unwrap_or(1)),
            (Some(m), None) => format!("{y:04}-{m:02}-{:02}", days_in_month(y, m)),
            (None, None) => format!("{y:04}-12-31"),
        };
        match dir {
            Some("以来" | "之后" | "以后" | "起" | "至今") => filter.since = Some(first),
            Some(_) => filter.until = Some(before(y, m, d)),
            None => {
                filter.since = Some(first);
                filter.until = Some(last);
            }
        }
        out.replace_range(all.range(), &" ".repeat(all.len()));
        break; // one period per question
    }
    (filter, out)
}

/// A period said relative to `today` (`YYYY-MM-DD`): 今天, 昨天, 本周,
/// 上周, 本月, 上个月, 今年, 去年, 最近N天/周/个月/年 (N in digits or
/// Chinese numerals). Returns it as a filter and the text with it blanked
/// out; nothing when the text names none or `today` is no date.
pub fn find_relative_period(folded: &str, today: &str) -> (Filter, String) {
    static RECENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        crate::text::static_regex(
            r"(?:最近|近|过去|这)(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,3})(?P<unit>天|日|周|个星期|个礼拜|星期|个月|年)",
        )
    });
    let none = || (Filter::default(), folded.to_owned());
    let Some(t) = crate::date::day_number(today) else {
        return none();
    };
    let Some((year, month)) = today.get(..4).zip(today.get(5..7)) else {
        return none();
    };
    let (Ok(year), Ok(month)) = (year.parse::<i64>(), month.parse::<u32>()) else {
        return none();
    };
    let weekday = (t + 3).rem_euclid(7); // 0 for Monday (1970-01-01 was a Thursday)
    let day = |y: i64, m: u32, d: u32| crate::date::day_number(&format!("{y:04}-{m:02}-{d:02}"));
    let (prev_y, prev_m) = if month == 1 { (year - 1, 12) } else { (year, month - 1) };
    let (prev_first, prev_last) = (
        day(prev_y, prev_m, 1),
        day(prev_y, prev_m, crate::date::days_in_month(prev_y as u32, prev_m)),
    );
    // Longer words first (上个月 before 上月, 今年 never inside another).
    let fixed: [(&[&str], Option<i64>, Option<i64>); 9] = [
        (&["今天", "今日"], Some(t), Some(t)),
        (&["昨天", "昨日"], Some(t - 1), Some(t - 1)),
        (&["前天"], Some(t - 2), Some(t - 2)),
        (
            &["本周", "这周", "这个星期", "这星期", "本星期"],
            Some(t - weekday),
            Some(t),
        ),
        (
            &["上周", "上个星期", "上星期"],
            Some(t - weekday - 7),
            Some(t - weekday - 1),
        ),
        (&["本月", "这个月", "这月"], day(year, month, 1), Some(t)),
        (&["上个月", "上月"], prev_first, prev_last),
        (&["今年", "本年"], day(year, 1, 1), Some(t)),
        (&["去年"], day(year - 1, 1, 1), day(year - 1, 12, 31)),
    ];
    let mut found: Option<(std::ops::Range<usize>, i64, i64)> = None;
    if let Some(c) = RECENT.captures(folded)
        && let (Some(all), Some(n), Some(unit)) = (c.get(0), c.name("n"), c.name("unit"))
        && let Some(n) = small_number(n.as_str()).filter(|&n| n > 0)
    {
        let days = match unit.as_str() {
            "天" | "日" => n,
            "个月" => 30 * n,
            "年" => 365 * n,
            _ => 7 * n,
        };
        found = Some((all.range(), t - days + 1, t));
    }
    if found.is_none() {
        found = fixed.iter().find_map(|(words, from, to)| {
            let at = words.iter().find_map(|w| folded.find(w).map(|i| i..i + w.len()))?;
            Some((at, (*from)?, (*to)?))
        });
    }
    let Some((range, from, to)) = found else {
        return none();
    };
    let (Some(since), Some(until)) = (crate::date::day_string(from), crate::date::day_string(to)) else {
        return none();
    };
    let mut out = folded.to_owned();
    out.replace_range(range.clone(), &" ".repeat(range.len()));
    let filter = Filter {
        since: Some(since),
        until: Some(until),
        ..Filter::default()
    };
    (filter, out)
}

/// 1–999 in digits, or in Chinese numerals up to 九十九 (三, 十五, 二十).
fn small_number(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let digit = |c: char| {
        "零一二三四五六七八九"
            .find(c)
            .map(|i| (i / 3) as i64)
            .or((c == '两').then_some(2))
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(10 * digit(*t)?),
        [t, '十', u] => Some(10 * digit(*t)? + digit(*u)?),
        _ => None,
    }
}

/// The last day before a period starts.
fn before(y: u32, m: Option<u32>, d: Option<u32>) -> String {
    match (m, d) {
        (Some(m), Some(d)) if d > 1 => format!("{y:04}-{m:02}-{:02}", d - 1),
        (Some(m), _) if m > 1 => format!("{y:04}-{:02}-{:02}", m - 1, days_in_month(y, m - 1)),
        _ => format!("{:04}-12-31", y.saturating_sub(1)),
    }
}

/// A content word the answer's article must contain.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyWord {
    pub bigrams: Vec<String>,
    /// By part of speech: names and nouns 1.0, verbs 0.6, the rest 0.5.
    pub weight: f32,
    /// A place, person or organisation name (jieba's ns, nr, nt): it says
    /// *which* document, so an article without it is about something else.
    pub name: bool,
}

/// A question ready to search.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The folded question (capped at [`MAX_QUESTION_CHARS`]).
    pub folded: String,
    /// Distinct bigram terms of the content words.
    pub bigrams: Vec<String>,
    /// Distinct jieba content words.
    pub words: Vec<String>,
    /// Content words of two or more characters, as their bigrams with a
    /// weight by part of speech: what the archive must contain for a passage
    /// to be about the question. (Bigrams spanning two words say little
    /// when missing; a missing name matters more than a missing verb.)
    pub key_words: Vec<KeyWord>,
    /// The kind of answer asked for.
    pub kind: AnswerKind,
    /// Which articles may answer.
    pub filter: Filter,
    /// Set when the question asks about an article's metadata.
    pub meta: Option<MetaField>,
}

impl Parsed {
    /// Whether there is anything to search for.
    pub fn is_empty(&self) -> bool {
        self.bigrams.is_empty() && self.words.is_empty()
    }
}

/// A particle or function word, or a word made only of them (`是从`).
fn is_stop_word(w: &str) -> bool {
    let is_stop = |x: &str| STOP_WORDS.split_whitespace().any(|s| s == x);
    let single = |c: char| is_stop(c.encode_utf8(&mut [0u8; 4]));
    is_stop(w) || (w.chars().count() == 2 && w.chars().all(single))
}

/// How much a word's presence says about topic, by jieba's part-of-speech
/// tag: names and nouns most, verbs less, the rest least.
fn pos_weight(word: &str, tag: &str) -> f32 {
    if word.chars().all(|c| c.is_ascii_alphabetic()) {
        // Latin words in a Chinese question: acronyms count, stray pinyin or
        // chat noise ("de", "ok") should not sink an answer.
        return if word.len() <= 2 { 0.0 } else { 0.5 };
    }
    match tag.chars().next() {
        Some('n' | 'm' | 'e' | 'x' | 'j' | 'i' | 'l') => 1.0,
        Some('v') => 0.6,
        _ => 0.5,
    }
}

/// Drops spaces between two Chinese characters ("陈 达 锋" is 陈达锋).
fn join_spaced_chinese(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let prev = out.chars().next_back();
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if prev.is_some_and(is_cjk) && next.is_some_and(|&n| is_cjk(n)) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Drops every `@username` mention: it addresses someone, it asks nothing.
fn without_mentions(text: &str) -> String {
    text::strip_mentions(text, |_| true)
}

/// What a question word is replaced by: no search term, but it tells the
/// parser that the next word names the kind of thing asked for.
const QUESTION_MARK: char = '\u{E002}';
const QUESTION_MARK_STR: &str = "\u{E002}";
/// Weight kept by the word right after a question word ("哪个**单位**",
/// "哪五个**字**", "什么**措施**"): it names the type of the answer, which
/// the text states by example, not by that word.
const ANSWER_TYPE_WEIGHT: f32 = 0.3;

/// Finds question words in folded text: blanks them out (so they are not
/// searched and no bigram spans them) and returns the first one's kind.
fn strip_question_words(folded: &str) -> (String, AnswerKind) {
    let mut out = folded.to_owned();
    let mut first: Option<(usize, AnswerKind)> = None;
    // Protect ordinary words first, then blank question words, longest first.
    let mut protected = Vec::new();
    for (i, w) in NOT_QUESTIONS.iter().enumerate() {
        let marker = format!("\u{E000}{i}\u{E001}");
        if out.contains(w) {
            out = out.replace(w, &marker);
            protected.push((marker, *w));
        }
    }
    for (q, kind) in QUESTION_WORDS {
        while let Some(pos) = out.find(q) {
            if first.is_none_or(|(p, _)| pos < p) {
                first = Some((pos, *kind));
            }
            out.replace_range(pos..pos + q.len(), QUESTION_MARK_STR);
        }
    }
    for (marker, w) in protected {
        out = out.replace(&marker, w);
    }
    (out, first.map_or(AnswerKind::Any, |(_, k)| k))
}

/// A question as it is searched: capped at [`MAX_QUESTION_CHARS`], folded,
/// spaced-out characters joined, mentions dropped.
pub fn normalise(question: &str) -> String {
    let capped: String = question.chars().take(MAX_QUESTION_CHARS).collect();
    without_mentions(&join_spaced_chinese(&fold(&capped)))
}

/// A Chinese numeral character, 几 (some) included: 一 of 一篇, 三 of 三天.
pub fn is_numeral_char(c: char) -> bool {
    "一二三四五六七八九十两几".contains(c)
}

/// A one-character word a topic can be ("有关于雪的报道吗"): a Chinese
/// character that is not a numeral (一 of 一篇 frames a question).
pub fn is_single_topic_char(word: &str) -> bool {
    let mut chars = word.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if is_cjk(c) && !is_numeral_char(c))
}

/// Parses a question (any string at all).
pub fn parse(question: &str) -> Parsed {
    let capped: String = question.chars().take(MAX_QUESTION_CHARS).collect();
    let folded = fold(&capped);
    let spaced = without_mentions(&join_spaced_chinese(&folded));
    let (filter, spaced) = find_period(&spaced, false);
    let (meta, spaced) = find_meta(&spaced);
    let (content, kind) = strip_question_words(&spaced);
    let mut segments: Vec<String> = vec![String::new()];
    let mut words: Vec<String> = Vec::new();
    let mut key_words: Vec<KeyWord> = Vec::new();
    let mut after_question_word = false;
    for tok in JIEBA.tag(&content, true) {
        let w = tok.word;
        let contentful = w.chars().any(|c| is_cjk(c) || c.is_alphanumeric());
        if !contentful || is_stop_word(w) {
            after_question_word = w.contains(QUESTION_MARK);
            segments.push(String::new());
            continue;
        }
        let answer_type = std::mem::take(&mut after_question_word);
        if let Some(last) = segments.last_mut() {
            last.push_str(w);
        }
        if !words.iter().any(|x| x == w) {
            words.push(w.to_owned());
            let weight = pos_weight(w, tok.tag) * if answer_type { ANSWER_TYPE_WEIGHT } else { 1.0 };
            // A two-character "word" ending in 是 is a function word (但是,
            // 就是) or a cut across the copula ("工作法是" → 工作/法是): it
            // names nothing the archive must contain.
            let copula_cut = w.chars().count() == 2 && w.ends_with('是');
            if w.chars().count() >= 2 && weight > 0.0 && !copula_cut {
                let bigrams = bigrams(w).into_iter().map(|t| t.text).collect();
                let name = matches!(tok.tag, "ns" | "nr" | "nt");
                key_words.push(KeyWord { bigrams, weight, name });
            }
        }
    }
    let mut grams = Vec::new();
    for seg in segments.iter().filter(|s| !s.is_empty()) {
        for t in bigrams(seg) {
            if !grams.contains(&t.text) {
                grams.push(t.text);
            }
        }
    }
    Parsed {
        folded,
        bigrams: grams,
        words,
        key_words,
        kind,
        filter,
        meta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_relative_to_today() {
        // 2026-12-05 is a Saturday.
        let period = |q: &str, today: &str| {
            let (f, rest) = find_relative_period(q, today);
            (f.since.unwrap_or_default(), f.until.unwrap_or_default(), rest)
        };
        let t = "2026-12-05";
        for (q, since, until) in [
            ("今天有什么新闻", "2026-12-05", "2026-12-05"),
            ("昨天的报道", "2026-12-04", "2026-12-04"),
            ("本周的报道", "2026-11-30", "2026-12-05"),
            ("上周有哪些新闻", "2026-11-23", "2026-11-29"),
            ("这个月有多少篇", "2026-12-01", "2026-12-05"),
            ("上个月的文章", "2026-11-01", "2026-11-30"),
            ("今年的报道", "2026-01-01", "2026-12-05"),
            ("去年有哪些新闻", "2025-01-01", "2025-12-31"),
            ("最近一周有哪些新闻", "2026-11-29", "2026-12-05"),
            ("最近三天关于疫情的报道", "2026-12-03", "2026-12-05"),
            ("近十五天", "2026-11-21", "2026-12-05"),
            ("过去2个月", "2026-10-07", "2026-12-05"),
        ] {
            let (s, u, _) = period(q, t);
            assert_eq!((s.as_str(), u.as_str()), (since, until), "{q}");
        }
        // Month and year edges: January's last month, a leap February.
        assert_eq!(period("上个月", "2026-01-10").0, "2025-12-01");
        assert_eq!(period("上个月", "2024-03-01").1, "2024-02-29");
        // The words are blanked out of the text; no period, no change.
        assert_eq!(period("今天有什么新闻", t).2.trim(), "有什么新闻");
        assert_eq!(
            period("最近的一篇文章是什么", t),
            (String::new(), String::new(), "最近的一篇文章是什么".into())
        );
        assert_eq!(period("今天有什么新闻", "not a date").0, "");
    }

    #[test]
    fn question_words_become_hints() {
        let p = parse("陈达锋担任了哪个隔离点的组长?");
        assert_eq!(p.kind, AnswerKind::Entity);
        assert!(
            p.bigrams.contains(&"隔离".to_string()) && p.bigrams.contains(&"组长".to_string()),
            "{p:?}"
        );
        assert!(!p.bigrams.iter().any(|b| b.contains('哪')), "{p:?}");
        assert_eq!(parse("锦湖街道集结了多少名机关干部?").kind, AnswerKind::Number);
        assert_eq!(parse("房产局是从哪天开始下沉支援的?").kind, AnswerKind::Date);
        assert_eq!(parse("张元龙是什么职务?").kind, AnswerKind::Role);
        assert_eq!(parse("核酸检测多少钱一次?").kind, AnswerKind::Price);
        assert_eq!(parse("他几乎每天都值班").kind, AnswerKind::Any);
        assert_eq!(parse("虹北社区党委书记是谁?").kind, AnswerKind::Person);
        assert_eq!(parse("有哪些防控措施?").kind, AnswerKind::List);
        assert_eq!(parse("哪几个部门参加了?").kind, AnswerKind::List);
    }

    #[test]
    fn a_cut_across_the_copula_is_no_key_word() {
        let p = parse("五字经防疫工作法是哪五个字?");
        assert!(
            !p.key_words.iter().any(|k| k.bigrams.iter().any(|b| b.ends_with('是'))),
            "{p:?}"
        );
        assert!(p.key_words.iter().any(|k| k.bigrams.contains(&"防疫".to_string())));
    }

    #[test]
    fn periods_in_questions_become_filters() {
        let p = parse("2021年12月锦湖街道集结了多少名机关干部?");
        assert_eq!(p.filter.since.as_deref(), Some("2021-12-01"));
        assert_eq!(p.filter.until.as_deref(), Some("2021-12-31"));
        assert!(!p.bigrams.iter().any(|b| b.contains("12") || b.contains('月')), "{p:?}");
        let p = parse("2020年3月以来有哪些防控措施");
        assert_eq!(
            (p.filter.since.as_deref(), p.filter.until.as_deref()),
            (Some("2020-03-01"), None)
        );
        let p = parse("２０２０年之前的報道");
        assert_eq!((p.filter.since, p.filter.until.as_deref()), (None, Some("2019-12-31")));
        let p = parse("2020年3月之前");
        assert_eq!(p.filter.until.as_deref(), Some("2020-02-29"));
        // An event's full date is a search term, not a filter.
        let p = parse("2020年2月4日工信部去了哪家企业?");
        assert!(p.filter.is_empty(), "{p:?}");
        assert!(parse("2020年13月").filter.is_empty());
        assert!(parse("隔离点有几名党员").filter.is_empty());
    }

    #[test]
    fn questions_about_the_article_itself_are_recognised() {
        let p = parse("瑞安日报锦湖街道那篇报道是哪天的?");
        assert_eq!(p.meta, Some(MetaField::Date));
        assert!(
            p.words.contains(&"锦湖".to_string()) || p.bigrams.contains(&"锦湖".to_string()),
            "{p:?}"
        );
        assert!(!p.bigrams.iter().any(|b| b == "报道"), "{p:?}");
        assert_eq!(parse("锦湖街道那篇文章的作者是谁?").meta, Some(MetaField::Author));
        assert_eq!(parse("这篇隔离点的报道是哪家报纸发表的?").meta, Some(MetaField::Source));
        assert_eq!(parse("关于锦湖街道的新闻标题是什么").meta, Some(MetaField::Title));
        // "哪天" about an event, with no word for the article: a normal question.
        assert_eq!(parse("房产局是从哪天开始下沉支援的?").meta, None);
    }

    #[test]
    fn traditional_and_simplified_questions_agree() {
        let t = parse("慈利縣黨員幹部在隔離點化身為哪些角色?");
        let s = parse("慈利县党员干部在隔离点化身为哪些角色?");
        assert_eq!(t.bigrams, s.bigrams);
        assert_eq!(t.kind, s.kind);
    }

    #[test]
    fn spaced_characters_and_mentions_are_noise() {
        let clean = parse("陈达锋担任了哪个隔离点的组长?");
        assert_eq!(
            parse("陈 达 锋 担 任 了 哪 个 隔 离 点 的 组 长 ?").bigrams,
            clean.bigrams
        );
        assert_eq!(
            parse("@archive_bot 陈达锋担任了哪个隔离点的组长?").bigrams,
            clean.bigrams
        );
        assert!(parse("use LED screen").words.contains(&"led".to_string()));
    }

    #[test]
    fn hostile_strings_parse_to_plain_terms() {
        let long = "疫".repeat(10_000);
        for q in [
            "\"陈达锋\" AND (隔离点 OR NOT 组长)*",
            "title:陈达锋 file:../../etc/passwd",
            "😀😀 \u{200F}\u{202E}隔离\u{200B}点",
            "",
            "   ",
            "?!?!",
            long.as_str(),
        ] {
            let p = parse(q);
            for t in p.bigrams.iter().chain(&p.words) {
                assert!(!t.is_empty() && t.chars().all(|c| c.is_alphanumeric()), "{q}: {t:?}");
            }
        }
        assert!(parse("").is_empty());
        assert!(parse("?!?!").is_empty());
        assert!(parse(&long).folded.chars().count() <= MAX_QUESTION_CHARS);
    }
}
