//! Questions about the collection itself: which articles (哪些文章提到殡仪馆),
//! how many (档案中共有几篇报道), the newest or oldest (最近的一篇文章是什么),
//! whether there is anything on a topic (有没有关于苹果公司的报道), by a
//! source, an author, a period or a day, or several at once
//! (环球网2019年10月的报道有哪些), in a period relative to today
//! (最近一周有哪些新闻); and who wrote or published them, and when: a
//! tally of the articles' sources or authors, most articles first, or of
//! their years (哪家媒体的报道最多, 关于殡仪馆的文章都是谁写的,
//! 每年有多少篇文章).
//!
//! 1. [`recognise`] reads what is wanted from general question patterns: a
//!    word for an article (文章, 报道, 新闻 …) next to a listing, counting,
//!    existence or extreme word. A fact question ("锦湖街道集结了多少名干部")
//!    names no article and is left to [`crate::answer`]; so is a question
//!    about one article's metadata ("那篇报道是哪天的").
//! 2. What the question names is taken out of it: a period (a day too: in
//!    a list a day is a filter, unlike an event's date in a fact question),
//!    a source of the archive, an author of the archive (looked up in the
//!    index's author terms), and the words that only frame the question.
//!    What is left is the topic.
//! 3. The articles are selected in the index ([`Retrieval::select`]): a
//!    count and a page from the postings and the date column, never by
//!    reading every article. Only the page's articles are read, for their
//!    citation line and (for a topic) their best passage.
//!
//! Order: newest first for a source, an author or a period; by relevance
//! for a topic; the extremes by date. An undated article is never listed
//! under a period or as the oldest (the answer says how many undated
//! articles were left out). A topic matches an article whose headline or
//! body holds every bigram of each of its key words: the same floor for
//! listing, counting and "is there anything on X", so a topic an article
//! is about is never answered "nothing found", and a topic it merely
//! brushes (one word of two) is not listed.
//!
//! [`Retrieval::select`]: crate::retrieval::Retrieval::select

use std::time::Instant;

use serde::Serialize;

use crate::answer::{Answer, AskOptions, Citation, resolve_script};
use crate::engine::{Doc, Engine, Quote};
use crate::index::tokenize::JIEBA;
use crate::query::{self, Parsed};
use crate::retrieval::{Facet, Order, Selection};
use crate::script::{self, is_cjk};

/// Articles on one page of a list answer.
pub const PAGE_SIZE: usize = 10;
/// Most years a tally of years shows (two centuries of news).
const MAX_YEARS: usize = 200;

/// What a question about the collection asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Want {
    /// Which articles (a list, or "is there anything on X").
    List,
    /// How many.
    Count,
    /// The newest one.
    Newest,
    /// The oldest one.
    Oldest,
    /// Their sources, most articles first.
    Sources,
    /// Their authors, most articles first.
    Authors,
    /// Their years, newest first: the span of the archive in time.
    Years,
}

impl Want {
    /// The facet a tally counts by (`None`: a want that lists articles).
    pub fn facet(self) -> Option<Facet> {
        match self {
            Want::Sources => Some(Facet::Source),
            Want::Authors => Some(Facet::Author),
            Want::Years => Some(Facet::Year),
            _ => None,
        }
    }
}

/// Words that name an article as a publication (general Chinese; 篇 is
/// the measure word for articles).
const ARTICLE_WORDS: &[&str] = &["文章", "报道", "新闻", "稿件", "消息", "资讯", "篇"];
/// Words that begin with 篇 but are no article (a chapter, a length, a
/// title list): "作品进入什么篇章" asks a fact.
const NOT_ARTICLE_WORDS: &[&str] = &["篇章", "篇幅", "篇目"];
/// Listing: the question asks which (哪些, 什么 right before an article
/// word, or 列出 anywhere).
const LIST_BEFORE: &[&str] = &["哪些", "哪几篇", "什么", "啥", "有何"];
/// Listing phrased after the article word (报道有哪些, 文章都有什么).
const LIST_AFTER: &[&str] = &["有哪些", "都有哪些", "有什么", "都有什么", "有啥", "是哪些"];
/// Imperatives that ask for a list.
const LIST_VERBS: &[&str] = &["列出", "列举", "罗列", "列一下", "看看", "给我看"];
/// Counting: a number asked right before an article word (多少篇, 几篇报道).
const COUNT_BEFORE: &[&str] = &["多少篇", "几篇", "多少条", "几条", "多少份", "多少个", "多少"];
/// Existence: is there anything (有没有 …, 有无 …, 是否有 …).
const EXIST_WORDS: &[&str] = &["有没有", "有无", "是否有", "有否"];
/// A question ending (有…吗): with an opening 有, an existence question.
const QUESTION_ENDS: &[&str] = &["吗", "么", "嘛", "没有", "没"];
/// The newest and the oldest, as superlatives of time.
const NEWEST_WORDS: &[&str] = &["最新", "最近", "最晚", "最后一篇", "最后发"];
const OLDEST_WORDS: &[&str] = &["最早", "最旧", "最老", "第一篇", "最先"];
/// Words that only frame a question about the collection: the archive
/// itself, verbs of publishing and mentioning, prepositions of aboutness.
/// Removed before the topic is read (general Chinese).
const FRAME_WORDS: &[&str] = &[
    "档案馆",
    "档案里",
    "档案中",
    "档案",
    "资料库",
    "数据库",
    "库里",
    "一共",
    "总共",
    "共有",
    "合计",
    "都有",
    "一篇",
    "哪一篇",
    "哪篇",
    "那篇",
    "这篇",
    "是哪",
    "是什么",
    "是啥",
    "什么",
    "哪些",
    "多少",
    "几",
    "列出",
    "列举",
    "罗列",
    "列一下",
    "看看",
    "给我看",
    "有没有",
    "有无",
    "是否有",
    "有否",
    "有关于",
    "关于",
    "有关",
    "相关",
    "涉及",
    "提到",
    "提及",
    "谈到",
    "谈及",
    "说到",
    "讲到",
    "讲述",
    "写过",
    "写了",
    "写的",
    "发表",
    "发布过",
    "发过",
    "发了",
    "刊登",
    "刊发",
    "登载",
    "刊载",
    "撰写",
    "最新",
    "最近",
    "最晚",
    "最后",
    "最早",
    "最旧",
    "最老",
    "第一",
    "最先",
    "报道过",
    "报道了",
];
/// Words for where articles come from, and for who wrote them (general
/// Chinese): what a tally counts by.
const SOURCE_WORDS: &[&str] = &["来源", "媒体", "报社", "网站", "出处", "报纸", "刊物"];
const AUTHOR_WORDS: &[&str] = &["作者", "记者", "撰稿人", "通讯员"];
/// Asking which or how many, right before such a word (哪家媒体, 多少位作者).
const TALLY_BEFORE: &[&str] = &[
    "哪些",
    "哪几家",
    "哪几位",
    "哪几个",
    "哪家",
    "哪个",
    "哪位",
    "多少家",
    "多少位",
    "多少个",
    "多少名",
    "几家",
    "几位",
    "几个",
    "几名",
];
/// Asking which, right after it (来源有哪些, 作者都有谁, 媒体是哪家).
const TALLY_AFTER: &[&str] = &[
    "有哪些",
    "是哪些",
    "有谁",
    "有几",
    "有多少",
    "有什么",
    "是哪家",
    "是哪个",
    "是哪位",
    "分别是",
];
/// Who wrote, asked of several articles (这些文章都是谁写的, 谁写的报道最多):
/// with one of MANY_WORDS, never of one article (这篇文章是谁写的).
const WHO_WROTE: &[&str] = &["谁写", "谁撰写", "谁发"];
const MANY_WORDS: &[&str] = &["最多", "这些", "哪些", "都", "分别", "各"];
/// The years asked for: their span (时间范围) or the articles of each
/// (每年多少篇, 哪一年最多).
const SPAN_WORDS: &[&str] = &["时间范围", "时间跨度", "时间段", "哪些年", "哪几年", "从哪年", "年份"];
const EACH_YEAR: &[&str] = &["每年", "每一年", "各年", "哪一年", "哪年"];
/// One article pointed at: its byline is a fact about it, not a tally.
const ONE_ARTICLE: &[&str] = &["这篇", "那篇", "该文", "此文", "本文"];
/// Words that only frame a tally besides its facet, question and year
/// words (all removed before its topic is read).
const TALLY_FRAME: &[&str] = &[
    "哪几",
    "分别",
    "最多",
    "来自",
    "这些",
    "都是",
    "有谁",
    "是谁",
    "哪里",
    "哪儿",
    "到哪年",
];

/// Verbs of one character that frame the question (写, 发, 讲 …): dropped
/// only where jieba cuts them as words, never from inside one (发布, 写字楼).
const FRAME_CHARS: &[&str] = &["写", "发", "讲", "谈", "说", "几", "有", "篇", "共"];

/// What a question about the collection wants, or `None` for any other
/// question. `folded` is the folded question.
pub fn recognise(folded: &str) -> Option<Want> {
    let mut text: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
    for word in NOT_ARTICLE_WORDS {
        text = text.replace(word, "  ");
    }
    if let Some(tally) = recognise_tally(&text) {
        return Some(tally);
    }
    let article_at: Vec<usize> = ARTICLE_WORDS
        .iter()
        .flat_map(|w| text.match_indices(w).map(|(i, _)| i))
        .collect();
    if article_at.is_empty() {
        return None;
    }
    // A phrase ending right before an article word (at most 的/一/了 between).
    let right_before = |phrases: &[&str]| {
        article_at.iter().any(|&at| {
            let head = text[..at].trim_end_matches(['的', '一', '了']);
            phrases.iter().any(|p| head.ends_with(p))
        })
    };
    let right_after = |phrases: &[&str]| {
        ARTICLE_WORDS.iter().any(|w| {
            text.match_indices(w).any(|(i, _)| {
                let tail = text[i + w.len()..].trim_start_matches(['都', '还']);
                phrases.iter().any(|p| tail.starts_with(p))
            })
        })
    };
    // 最近 before a count of days or weeks (最近一周, 最近3天) is a period,
    // not the newest (最近一篇 still is).
    let a_period_after = |rest: &str| {
        let unit = rest
            .trim_start_matches(|c: char| c.is_ascii_digit() || query::is_numeral_char(c))
            .trim_start_matches('个');
        unit.len() < rest.len() && unit.starts_with(['天', '日', '周', '星', '礼', '月', '年'])
    };
    let newest = NEWEST_WORDS.iter().any(|w| {
        text.match_indices(w)
            .any(|(i, _)| !(*w == "最近" && a_period_after(&text[i + w.len()..])))
    });
    let extreme = if newest {
        Some(Want::Newest)
    } else if OLDEST_WORDS.iter().any(|w| text.contains(w)) {
        Some(Want::Oldest)
    } else {
        None
    };
    if right_before(COUNT_BEFORE) {
        return Some(Want::Count);
    }
    let listing = right_before(LIST_BEFORE) || right_after(LIST_AFTER) || LIST_VERBS.iter().any(|w| text.contains(w));
    let asks_one = ["哪一篇", "哪篇", "一篇", "是什么", "是啥", "是哪"]
        .iter()
        .any(|w| text.contains(w));
    match extreme {
        Some(e) if asks_one || !listing => return Some(e),
        _ => {}
    }
    if listing {
        return Some(Want::List);
    }
    let trimmed = text.trim_end_matches(|c: char| !c.is_alphanumeric() && !is_cjk(c));
    let exists = EXIST_WORDS.iter().any(|w| text.contains(w))
        || (text.starts_with('有') && QUESTION_ENDS.iter().any(|e| trimmed.ends_with(e)));
    (exists || is_bare_listing(trimmed)).then_some(Want::List)
}

/// Chat's shortest way to ask for a list: a period or topic, then an
/// article word, and nothing else (今天的新闻, 最近一周的报道, 疫情的新闻).
const BARE_LISTING_CHARS: usize = 16;
/// Words that make such a phrase a question about something else (这是哪里
/// 的新闻, 谁发的消息).
const ASKING_WORDS: &[&str] = &[
    "哪",
    "什么",
    "谁",
    "几",
    "多少",
    "怎",
    "为何",
    "为什么",
    "是",
    "吗",
    "么",
    "呢",
];

fn is_bare_listing(trimmed: &str) -> bool {
    let Some(head) = ["新闻", "报道", "文章", "消息", "资讯"]
        .iter()
        .find_map(|w| trimmed.strip_suffix(w))
    else {
        return false;
    };
    let head = head.trim_end_matches('的');
    !head.is_empty() && trimmed.chars().count() <= BARE_LISTING_CHARS && !ASKING_WORDS.iter().any(|w| head.contains(w))
}

/// A tally question: which or how many sources or authors (哪些媒体,
/// 作者有哪些, 多少位记者), or who wrote several articles (谁写的文章最多).
/// `text` is folded, without whitespace.
fn recognise_tally(text: &str) -> Option<Want> {
    if ONE_ARTICLE.iter().any(|w| text.contains(w)) {
        return None;
    }
    let asked = |words: &[&str]| {
        words.iter().any(|w| {
            text.match_indices(w).any(|(i, _)| {
                let tail = text[i + w.len()..].trim_start_matches(['都', '还', '的']);
                TALLY_BEFORE.iter().any(|p| text[..i].ends_with(p)) || TALLY_AFTER.iter().any(|p| tail.starts_with(p))
            })
        })
    };
    if asked(SOURCE_WORDS) {
        return Some(Want::Sources);
    }
    // Years: their span, or of several articles (每年多少篇, 哪一年的报道最多,
    // 文章都是哪一年的); "那篇报道是哪一年的" was left above.
    let of_articles = ARTICLE_WORDS.iter().any(|w| text.contains(w)) || text.contains("档案");
    let each_year =
        EACH_YEAR.iter().any(|w| text.contains(w)) && MANY_WORDS.iter().chain(COUNT_BEFORE).any(|w| text.contains(w));
    if of_articles && (SPAN_WORDS.iter().any(|w| text.contains(w)) || each_year) {
        return Some(Want::Years);
    }
    let who_wrote = WHO_WROTE.iter().any(|w| text.contains(w)) && MANY_WORDS.iter().any(|w| text.contains(w));
    (asked(AUTHOR_WORDS) || who_wrote).then_some(Want::Authors)
}

/// A question about the collection, read: what is wanted and which
/// articles are meant.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub want: Want,
    pub selection: Selection,
    /// The topic as the user wrote it (folded), for the reply.
    pub topic: Option<String>,
    /// Whether the question named a period (then undated articles are
    /// left out, and counted).
    pub period: bool,
}

/// The listing an answer is made from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing {
    pub want: Want,
    /// Matching articles in all.
    pub total: usize,
    /// Undated articles that would match but a period left out.
    pub undated: usize,
    /// The page shown (0-based) and the articles on it.
    pub page: usize,
    #[serde(skip)]
    pub items: Vec<(std::sync::Arc<Doc>, (usize, usize))>,
    /// For a tally: what it counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tally: Option<TallyShown>,
}

/// A tally as answered: the values shown and what the rest hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TallyShown {
    pub values: Vec<Counted>,
    /// Distinct values among the selected articles (shown or not).
    pub distinct: usize,
    /// Selected articles that have none (no source, no byline, no date).
    pub without: usize,
}

/// One source or author of a tally.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counted {
    pub name: String,
    /// The selected articles it has.
    pub articles: usize,
    /// Its newest article, an index into the listing's items.
    pub cited: Option<usize>,
}

impl Engine {
    /// Reads a question about the collection (`None`: not one). `today`
    /// (`YYYY-MM-DD`) is what 今天, 最近一周, 去年 … count from; without
    /// it they are not read as periods.
    pub fn collection_request(&self, question: &str, today: Option<&str>) -> Option<Request> {
        // The cheap test first: most questions are about facts, and `ask`
        // parses them again on its own.
        let folded = query::normalise(question);
        let want = recognise(&folded)?;
        if want.facet().is_none() && query::parse(question).meta.is_some() {
            return None; // one article's date, author, source or headline
        }
        let req = self.request(&folded, want, today);
        // A tally names articles or nothing but its facet (来源有哪些);
        // "哪些媒体参与了救援" asks a fact.
        if want.facet().is_some() && req.selection.topic.is_some() && !ARTICLE_WORDS.iter().any(|w| folded.contains(w))
        {
            return None;
        }
        Some(req)
    }

    /// The request `text` (normalised) makes with `want`: its period (a
    /// date, or a period relative to `today`), source, author and topic.
    fn request(&self, text: &str, want: Want, today: Option<&str>) -> Request {
        let (mut filter, mut rest) = query::find_period(text, true);
        if filter.is_empty()
            && let Some(today) = today
        {
            (filter, rest) = query::find_relative_period(&rest, today);
        }
        let period = !filter.is_empty();
        filter.dated_only = period;
        let (rest, source) = self.find_source(&rest);
        filter.source = source;
        let (mut rest, author) = self.find_author(&rest);
        if want.facet().is_some() {
            // The years' words first: 哪些 inside 哪些年 would leave 年 as a topic.
            let framing = [
                SPAN_WORDS,
                EACH_YEAR,
                TALLY_BEFORE,
                SOURCE_WORDS,
                AUTHOR_WORDS,
                WHO_WROTE,
                TALLY_FRAME,
            ];
            for w in framing.into_iter().flatten() {
                rest = rest.replace(w, " ");
            }
        }
        let topic = self.topic_of(&frame_removed(&rest));
        Request {
            want,
            topic: topic.as_ref().map(|t| t.words.join(" ")),
            selection: Selection {
                filter,
                author,
                topic,
                since_article: None,
            },
            period,
        }
    }

    /// Lists articles for words and filters without a question
    /// (`search --articles`, the bot's `/search` and `/latest`): the same
    /// reading of periods, sources, authors and topic as a question.
    pub fn list_articles(&self, words: &str, want: Want, opts: &AskOptions) -> Answer {
        let req = self.request(&query::normalise(words), want, opts.today.as_deref());
        self.answer_request(words, req, opts)
    }

    /// The topic's terms, or `None` when nothing is left to search: no
    /// key word (two characters or more) and no single character other
    /// than a numeral ("有关于雪的报道吗").
    fn topic_of(&self, topic: &str) -> Option<Parsed> {
        let parsed = query::parse(topic);
        let single = parsed.words.iter().any(|w| query::is_single_topic_char(w));
        (!parsed.key_words.is_empty() || single).then_some(parsed)
    }

    /// An author of the archive named in the question: the longest run of
    /// 2–6 characters that some byline holds (looked up in the index).
    fn find_author(&self, text: &str) -> (String, Option<String>) {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        for len in (2..=6).rev() {
            for w in chars.windows(len) {
                if !w.iter().all(|&(_, c)| is_cjk(c)) {
                    continue;
                }
                let start = w[0].0;
                let end = w[len - 1].0 + w[len - 1].1.len_utf8();
                let name = &text[start..end];
                if self.has_author(name) {
                    let mut rest = text.to_owned();
                    rest.replace_range(start..end, " ");
                    return (rest, Some(name.to_owned()));
                }
            }
        }
        (text.to_owned(), None)
    }

    /// The listing for a request, page `page` (0-based).
    pub fn listing(&self, req: &Request, page: usize) -> Listing {
        if let Some(facet) = req.want.facet() {
            return self.tally_listing(req, facet);
        }
        let order = match req.want {
            Want::Newest => Order::Newest,
            Want::Oldest => Order::Oldest,
            // (A tally returned above; its articles would be newest first.)
            Want::Sources | Want::Authors | Want::Years => Order::Newest,
            Want::List | Want::Count if req.selection.topic.is_some() => Order::Relevance,
            Want::List | Want::Count => Order::Newest,
        };
        // A page number comes from a user (a button, `--page`): no overflow.
        let offset = page.saturating_mul(PAGE_SIZE);
        let (total, rows) = self.select(&req.selection, order, offset, PAGE_SIZE);
        let undated = if req.period {
            let mut loose = req.selection.clone();
            loose.filter.dated_only = false;
            self.select(&loose, Order::Relevance, 0, 0).0.saturating_sub(total)
        } else {
            0
        };
        let items = rows
            .into_iter()
            .filter_map(|(id, _)| self.doc(id))
            .map(|doc| {
                let span = self.cited_span(req.selection.topic.as_ref(), &doc);
                (doc, span)
            })
            .collect();
        Listing {
            want: req.want,
            total,
            undated,
            page,
            items,
            tally: None,
        }
    }

    /// A tally's listing: its sources or authors with the most articles
    /// (one page), or all its years (newest first); each of the first page cited by its
    /// newest article in the selection (an article cited once, however
    /// many of its authors are shown).
    fn tally_listing(&self, req: &Request, facet: Facet) -> Listing {
        let shown = if facet == Facet::Year { MAX_YEARS } else { PAGE_SIZE };
        let tally = self.tally(&req.selection, facet, shown);
        let mut items: Vec<(std::sync::Arc<Doc>, (usize, usize))> = Vec::new();
        let mut values = Vec::with_capacity(tally.values.len());
        for (name, articles) in tally.values {
            if items.len() == PAGE_SIZE {
                values.push(Counted {
                    name,
                    articles,
                    cited: None,
                });
                continue;
            }
            let mut one = req.selection.clone();
            match facet {
                Facet::Source => one.filter.source = Some(name.clone()),
                Facet::Author => one.author = Some(name.clone()),
                Facet::Year => {
                    // The year within the question's own period, if any.
                    let f = &mut one.filter;
                    let (first, last) = (format!("{name}-01-01"), format!("{name}-12-31"));
                    f.since = Some(f.since.take().map_or(first.clone(), |s| s.max(first)));
                    f.until = Some(f.until.take().map_or(last.clone(), |u| u.min(last)));
                    f.dated_only = true;
                }
            }
            let newest = self
                .select(&one, Order::Newest, 0, 1)
                .1
                .first()
                .and_then(|&(id, _)| self.doc(id));
            let cited = newest.map(|doc| match items.iter().position(|(d, _)| d.id == doc.id) {
                Some(i) => i,
                None => {
                    let span = self.cited_span(req.selection.topic.as_ref(), &doc);
                    items.push((doc, span));
                    items.len() - 1
                }
            });
            values.push(Counted { name, articles, cited });
        }
        Listing {
            want: req.want,
            total: tally.articles,
            undated: 0,
            page: 0,
            items,
            tally: Some(TallyShown {
                values,
                distinct: tally.distinct,
                without: tally.without,
            }),
        }
    }

    /// The passage an article is cited by in a list: its best for the
    /// topic, else its first.
    fn cited_span(&self, topic: Option<&Parsed>, doc: &std::sync::Arc<Doc>) -> (usize, usize) {
        if let Some(t) = topic
            && let Some(hit) = self.best_passage(t, doc)
        {
            return (hit.start, hit.end);
        }
        crate::passage::split(doc.id, &doc.text)
            .first()
            .map_or((0, 0), |p| (p.start, p.end))
    }

    /// Answers a question about the collection, or `None` if it is not one.
    pub fn ask_collection(&self, question: &str, opts: &AskOptions) -> Option<Answer> {
        let req = self.collection_request(question, opts.today.as_deref())?;
        Some(self.answer_request(question, req, opts))
    }

    /// The articles numbered `since` or higher (added by later updates)
    /// that a follow's words and filters select, best first, at most
    /// `limit`, each with its passage for the words; none when the words
    /// select nothing in particular (no topic, source, author or period).
    /// The relevance floor is a topic question's.
    pub fn new_matches(&self, words: &str, since: u64, limit: usize) -> Vec<Citation> {
        // (A follow's words are matched for ever: no period relative to a day.)
        let mut req = self.request(&query::normalise(words), Want::List, None);
        let s = &req.selection;
        if s.topic.is_none() && s.author.is_none() && s.filter.is_empty() {
            return Vec::new();
        }
        let order = if s.topic.is_some() {
            Order::Relevance
        } else {
            Order::Newest
        };
        req.selection.since_article = Some(since);
        let (_, rows) = self.select(&req.selection, order, 0, limit);
        rows.into_iter()
            .filter_map(|(id, _)| self.doc(id))
            .enumerate()
            .map(|(i, doc)| {
                let (start, end) = self.cited_span(req.selection.topic.as_ref(), &doc);
                Citation {
                    n: i + 1,
                    article: doc.key.clone(),
                    quote: Quote::new(&doc, start, end),
                    line: doc.article.line_at(start),
                    url: doc.article.url.clone(),
                    score: 0.0,
                }
            })
            .collect()
    }

    /// The answer to a read request (the caller's filter added).
    fn answer_request(&self, question: &str, mut req: Request, opts: &AskOptions) -> Answer {
        let started = Instant::now();
        // The caller's filter (flags) adds to what the question names.
        let given = &opts.filter;
        let f = &mut req.selection.filter;
        f.since = given.since.clone().or(f.since.take());
        f.until = given.until.clone().or(f.until.take());
        f.source = given.source.clone().or(f.source.take());
        if given.since.is_some() || given.until.is_some() {
            req.period = true;
            f.dated_only = true;
        }
        let script = resolve_script(opts.script, question);
        let listing = self.listing(&req, opts.page);
        let mut text = describe(&req, &listing);
        // Nothing in a period: say how far the archive reaches.
        if listing.total == 0
            && req.period
            && let Some(last) = &self.stats().last_date
        {
            text.push_str(&format!("档案中最新的文章是 {last} 的。"));
        }
        let offset = listing.page.saturating_mul(PAGE_SIZE);
        let citations: Vec<Citation> = listing
            .items
            .iter()
            .enumerate()
            .map(|(i, (doc, (start, end)))| Citation {
                n: offset.saturating_add(i + 1),
                article: doc.key.clone(),
                quote: Quote::new(doc, *start, *end),
                line: doc.article.line_at(*start),
                url: doc.article.url.clone(),
                score: 0.0,
            })
            .collect();
        let none = listing.total == 0;
        Answer {
            question: question.to_owned(),
            answer: script::render(&text, script),
            no_answer: none,
            confidence: if none { 0.0 } else { 1.0 },
            citations,
            filter: req.selection.filter.clone(),
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            script,
            kind: match req.want {
                Want::List => crate::answer::Kind::List,
                Want::Count => crate::answer::Kind::Count,
                Want::Newest | Want::Oldest => crate::answer::Kind::Top,
                Want::Sources | Want::Authors | Want::Years => crate::answer::Kind::Tally,
            },
            span: None,
            count: Some(listing.total),
            // A tally is one page: its values with the most articles.
            pages: if listing.tally.is_some() {
                1
            } else {
                listing.total.div_ceil(PAGE_SIZE)
            },
        }
    }
}

/// The text with the words that frame a collection question removed
/// (framing phrases first: several hold an article word, 哪一篇).
fn frame_removed(text: &str) -> String {
    // 於 is kept by folding (it is also a Simplified character).
    let mut out = text.replace('於', "于");
    for w in FRAME_WORDS {
        out = out.replace(w, " ");
    }
    out = query::without_article_words(&out);
    for w in ARTICLE_WORDS {
        out = out.replace(w, " ");
    }
    // A leading 有 opens an existence question (有锦湖街道的报道吗); jieba
    // may glue it to the next word.
    let out = out.trim_start();
    let out = out.strip_prefix('有').unwrap_or(out);
    JIEBA
        .cut(out, false)
        .into_iter()
        .map(|t| if FRAME_CHARS.contains(&t.word) { " " } else { t.word })
        .collect()
}

/// What was searched, in words: "2019-10-01 至 2019-10-31、来源为环球网、
/// 作者为林双双、关于“殡仪馆”".
fn searched(req: &Request) -> String {
    let mut parts = crate::answer::filter_parts(&req.selection.filter);
    if let Some(a) = &req.selection.author {
        parts.push(format!("作者为{a}"));
    }
    if let (Some(t), Some(_)) = (&req.topic, &req.selection.topic) {
        parts.push(format!("关于“{t}”"));
    }
    parts.join("、")
}

/// The answer's text (citations carry the articles themselves).
fn describe(req: &Request, l: &Listing) -> String {
    let what = searched(req);
    let of = if what.is_empty() {
        String::new()
    } else {
        format!("{what}的")
    };
    if l.total == 0 {
        let mut text = format!("档案中没有{of}文章。");
        if l.undated > 0 {
            text.push_str(&format!("另有 {} 篇没有日期的文章无法按时间查找。", l.undated));
        }
        return text;
    }
    if let Some(t) = &l.tally {
        return describe_tally(l.want, &of, l.total, t);
    }
    let mut text = match l.want {
        Want::Sources | Want::Authors | Want::Years => String::new(), // (described above)
        Want::Newest | Want::Oldest => {
            let which = if l.want == Want::Newest { "最新" } else { "最早" };
            match l.items.first().filter(|_| l.page == 0) {
                Some((doc, _)) => {
                    let a = &doc.article;
                    let meta: Vec<&str> = [a.source.as_deref(), a.date.as_deref()].into_iter().flatten().collect();
                    format!(
                        "档案中{of}文章{which}的一篇是《{}》({})[1]。",
                        a.title,
                        if meta.is_empty() {
                            "无日期".to_owned()
                        } else {
                            meta.join(",")
                        }
                    )
                }
                None => format!("档案中共有 {} 篇{of}文章。", l.total),
            }
        }
        Want::Count => format!("档案中共有 {} 篇{of}文章。", l.total),
        Want::List => {
            let order = if req.selection.topic.is_some() {
                "按相关程度排列"
            } else {
                "最新的在前"
            };
            let undated = match l.undated {
                0 => String::new(),
                n => format!("(另有 {n} 篇没有日期的文章未列入)"),
            };
            return format!("档案中共有 {} 篇{of}文章{undated},{order}:", l.total);
        }
    };
    if l.undated > 0 {
        text.push_str(&format!("(另有 {} 篇没有日期的文章未列入。)", l.undated));
    }
    text
}

/// A tally's text: how many articles and values, the value with the most
/// articles, then each shown value with its count and its citation.
fn describe_tally(want: Want, of: &str, articles: usize, t: &TallyShown) -> String {
    let none = match want {
        Want::Authors => "没有署名",
        Want::Years => "没有日期",
        _ => "没有注明来源",
    };
    let (Some(first), Some(last)) = (t.values.first(), t.values.last()) else {
        return format!("档案中{of}文章共 {articles} 篇,都{none}。");
    };
    let mut text = format!("档案中{of}文章共 {articles} 篇,");
    text.push_str(&match want {
        Want::Authors => format!("署名作者共 {} 位", t.distinct),
        // Years come newest first.
        Want::Years if t.distinct == 1 => format!("有日期的 {} 篇都在 {} 年", articles - t.without, first.name),
        Want::Years => format!(
            "有日期的 {} 篇,从 {} 年到 {} 年,分布在 {} 个年份",
            articles - t.without,
            last.name,
            first.name,
            t.distinct
        ),
        _ => format!("来自 {} 个来源", t.distinct),
    });
    if t.without > 0 {
        text.push_str(&format!(",另有 {} 篇{none}", t.without));
    }
    text.push('。');
    // The one with the most articles, when one has more than any other.
    let most = t.values.iter().map(|v| v.articles).max().unwrap_or(0);
    let mut at_most = t.values.iter().filter(|v| v.articles == most);
    let label = |v: &Counted| {
        if want == Want::Years {
            format!("{} 年", v.name)
        } else {
            v.name.clone()
        }
    };
    if let (Some(top), None) = (at_most.next(), at_most.next())
        && t.values.len() > 1
    {
        let space = if want == Want::Years { " " } else { "" };
        text.push_str(&format!("文章最多的是{space}{}({} 篇)。", label(top), top.articles));
    }
    let shown: Vec<String> = t
        .values
        .iter()
        .map(|v| {
            let name = label(v);
            match v.cited {
                Some(i) => format!("{name} {} 篇[{}]", v.articles, i + 1),
                None => format!("{name} {} 篇", v.articles),
            }
        })
        .collect();
    let by = if want == Want::Years {
        "按年份"
    } else {
        "按文章数"
    };
    text.push_str(&format!("{by}:{}。", shown.join("、")));
    if t.distinct > t.values.len() {
        let unit = if want == Want::Authors {
            "位作者"
        } else {
            "个来源"
        };
        text.push_str(&format!("(只列出文章最多的 {} {unit}。)", t.values.len()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::Article;

    fn want(q: &str) -> Option<Want> {
        recognise(&query::normalise(q))
    }

    #[test]
    fn collection_questions_are_recognised() {
        for (q, w) in [
            ("哪些文章提到殡仪馆?", Want::List),
            ("城区委组织部发过什么文章?", Want::List),
            ("中国广州发布的报道有哪些?", Want::List),
            ("列出2019年9月7日的文章", Want::List),
            ("有没有关于苹果公司的报道?", Want::List),
            ("有讲新冠症状的文章吗?", Want::List),
            ("關於華為晶片的報道有哪些?", Want::List),
            ("档案中共有几篇报道?", Want::Count),
            ("2019年9月一共有多少篇文章?", Want::Count),
            ("最近的一篇文章是什么?", Want::Newest),
            ("最近一篇报道是哪篇", Want::Newest),
            ("今天的新闻", Want::List),
            ("最近一周的报道", Want::List),
            ("疫情的新闻", Want::List),
            ("档案里最早的报道是哪篇?", Want::Oldest),
            ("2019年最新的报道是哪一篇?", Want::Newest),
        ] {
            assert_eq!(want(q), Some(w), "{q}");
        }
    }

    #[test]
    fn tally_questions_are_recognised() {
        for (q, w) in [
            ("哪家媒体的文章最多?", Want::Sources),
            ("档案里有哪些来源", Want::Sources),
            ("一共有几个来源?", Want::Sources),
            ("關於華為的報道都來自哪些媒體", Want::Sources),
            ("文章最多的媒体是哪家", Want::Sources),
            ("作者有哪些", Want::Authors),
            ("有多少位记者", Want::Authors),
            ("这些文章都是谁写的", Want::Authors),
            ("谁写的报道最多", Want::Authors),
        ] {
            assert_eq!(want(q), Some(w), "{q}");
        }
        // One article's byline is a fact about it, not a tally.
        for q in ["这篇文章是谁写的", "那篇报道的作者是谁", "谁写了这首诗"] {
            assert_eq!(want(q), None, "{q}");
        }
    }

    /// Three articles: two of 瑞安日报 (one by 张三 and 李四 in 2020, the
    /// newer by 张三 alone), one of 红星网 with no byline; two are about
    /// 隔离点; two are of 2021.
    fn three_articles() -> Engine {
        let article = |file: &str, source: &str, author: Option<&str>, date: &str, text: &str| Article {
            file: file.into(),
            title: format!("{text}的报道"),
            source: Some(source.into()),
            author: author.map(Into::into),
            date: Some(date.into()),
            url: None,
            paragraphs: vec![format!("{text}。这是一篇关于{text}的新闻。")],
            lines: Vec::new(),
        };
        Engine::in_ram(vec![
            article(
                "a.txt",
                "瑞安日报",
                Some("张三、李四"),
                "2020-01-02",
                "锦湖街道设立隔离点",
            ),
            article("b.txt", "瑞安日报", Some("张三"), "2021-03-04", "安阳街道开展核酸检测"),
            article("c.txt", "红星网", None, "2021-02-03", "慈利县隔离点管理"),
        ])
        .unwrap()
    }

    #[test]
    fn a_tally_counts_sources_and_cites_each_by_its_newest_article() {
        let engine = three_articles();
        let a = engine.ask("哪家媒体的报道最多?", &AskOptions::default());
        assert_eq!(a.kind, crate::answer::Kind::Tally);
        assert_eq!(a.count, Some(3));
        assert!(a.answer.contains("来自 2 个来源"), "{}", a.answer);
        assert!(a.answer.contains("文章最多的是瑞安日报(2 篇)"), "{}", a.answer);
        // 瑞安日报's newest article is b.txt, cited [1]; 红星网's is c.txt.
        assert!(a.answer.contains("瑞安日报 2 篇[1]、红星网 1 篇[2]"), "{}", a.answer);
        let files: Vec<&str> = a.citations.iter().map(|c| c.quote.file.as_str()).collect();
        assert_eq!(files, ["b.txt", "c.txt"]);
    }

    #[test]
    fn a_tally_of_authors_counts_every_name_of_a_byline_and_the_unsigned() {
        let engine = three_articles();
        let a = engine.ask("这些文章都是谁写的", &AskOptions::default());
        assert_eq!(a.kind, crate::answer::Kind::Tally);
        assert!(a.answer.contains("署名作者共 2 位,另有 1 篇没有署名"), "{}", a.answer);
        // 张三's newest is b.txt; 李四's only article is a.txt.
        assert!(a.answer.contains("张三 2 篇[1]、李四 1 篇[2]"), "{}", a.answer);
        assert_eq!(a.citations.len(), 2);
    }

    #[test]
    fn a_tally_on_a_topic_counts_only_the_articles_on_it() {
        let engine = three_articles();
        let a = engine.ask("关于隔离点的报道都来自哪些媒体", &AskOptions::default());
        assert_eq!(a.count, Some(2), "{}", a.answer);
        assert!(
            a.answer.contains("瑞安日报 1 篇") && a.answer.contains("红星网 1 篇"),
            "{}",
            a.answer
        );
        // A question naming no article and more than its facet asks a fact.
        assert_eq!(engine.collection_request("哪些媒体参与了救援", None), None);
        // A period with nothing in it: no articles, said so.
        let none = engine.ask("2019年的报道来自哪些媒体", &AskOptions::default());
        assert!(none.no_answer && none.citations.is_empty(), "{}", none.answer);
    }

    #[test]
    fn a_tally_of_years_spans_the_dated_articles_newest_first() {
        let engine = three_articles();
        for q in [
            "档案的时间范围是什么",
            "每年有多少篇文章",
            "哪一年的报道最多",
            "档案里的文章都是哪些年的",
        ] {
            let a = engine.ask(q, &AskOptions::default());
            assert_eq!(a.kind, crate::answer::Kind::Tally, "{q}: {}", a.answer);
            assert!(
                a.answer.contains("有日期的 3 篇,从 2020 年到 2021 年")
                    && a.answer.contains("文章最多的是 2021 年(2 篇)"),
                "{q}: {}",
                a.answer
            );
            // Newest year first, each cited by its newest article.
            assert!(
                a.answer.contains("2021 年 2 篇[1]、2020 年 1 篇[2]"),
                "{q}: {}",
                a.answer
            );
            let files: Vec<&str> = a.citations.iter().map(|c| c.quote.file.as_str()).collect();
            assert_eq!(files, ["b.txt", "a.txt"]);
        }
        // Within a topic: 隔离点 is in a.txt (2020) and c.txt (2021).
        let a = engine.ask("关于隔离点的报道每年有多少篇", &AskOptions::default());
        assert!(a.answer.contains("2021 年 1 篇[1]、2020 年 1 篇[2]"), "{}", a.answer);
        assert_eq!(a.citations[0].quote.file, "c.txt");
        // One article's year is a fact about it.
        assert_eq!(want("那篇报道是哪一年的"), None);
    }

    #[test]
    fn periods_relative_to_today_are_read_from_the_date_given() {
        let engine = three_articles();
        let on = |q: &str, today: &str| {
            let opts = AskOptions {
                today: Some(today.into()),
                ..AskOptions::default()
            };
            engine.ask(q, &opts)
        };
        let week = on("最近一周有哪些报道", "2021-03-05");
        assert_eq!(week.count, Some(1), "{}", week.answer);
        assert_eq!(week.citations[0].quote.file, "b.txt");
        assert_eq!(on("今年有多少篇报道", "2021-03-05").count, Some(2));
        let last_year = on("去年的报道有哪些", "2021-03-05");
        assert_eq!(last_year.citations.len(), 1, "{}", last_year.answer);
        assert_eq!(last_year.citations[0].quote.file, "a.txt");
        // Nothing that recent: said so, with how far the archive reaches.
        let today = on("今天有什么新闻", "2026-12-05");
        assert!(today.no_answer, "{}", today.answer);
        assert!(
            today.answer.contains("2026-12-05") && today.answer.contains("最新的文章是 2021-03-04"),
            "{}",
            today.answer
        );
        // Without a date given, 今天 is no period.
        let undated = engine.ask("今天有什么新闻", &AskOptions::default());
        assert!(!undated.answer.contains("2026"), "{}", undated.answer);
    }

    #[test]
    fn fact_questions_are_left_alone() {
        for q in [
            "锦湖街道集结了多少名机关干部?",
            "陈达锋担任了哪个隔离点的组长?",
            "市医保局哪几名党员报名参加了突击队?",
            "2020年3月以来有哪些防控措施",
            "那篇报道说锦湖街道集结了多少名干部?",
            "这篇报道提到了哪些措施?",
            "有什么防控措施?",
            "连载副标题标志着作品进入什么篇章?",
            "这是哪里的新闻?",
        ] {
            assert_eq!(want(q), None, "{q}");
        }
    }

    #[test]
    fn any_page_number_is_an_answer_not_a_panic() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let engine = Engine::in_ram(crate::load::load(&dir).unwrap().articles).unwrap();
        for page in [0, 1, 9999, usize::MAX] {
            let opts = AskOptions {
                page,
                ..AskOptions::default()
            };
            let a = engine.list_articles("", Want::List, &opts);
            assert_eq!(a.count, Some(engine.stats().articles), "page {page}");
            assert_eq!(a.citations.is_empty(), page > 0, "page {page}");
        }
    }

    #[test]
    fn framing_words_leave_the_topic() {
        assert_eq!(frame_removed("哪些文章提到殡仪馆").trim(), "殡仪馆");
        assert_eq!(frame_removed("有没有关于苹果公司的报道").replace(' ', ""), "苹果公司的");
    }
}
