//! Grounded answers: retrieve passages, decide whether they really cover
//! the question, and quote the sentence that answers it.
//!
//! Grounding rules: the answer is built only from verbatim sentences of
//! cited passages (converted to the asker's script at most); every
//! citation's `passage` is a verbatim span of its article's cleaned text;
//! when the best passages do not cover the question's key terms (weighted
//! by how rare they are), the answer is `no_answer` with no citations.

use std::time::Instant;

use serde::Serialize;

use crate::engine::{Engine, Hit};
use crate::passage::sentences;
use crate::query::{self, AnswerKind, Parsed};
use crate::script::{self, Script, fold};

/// Share of the question's key words (weighted, see [`Engine::coverage`])
/// that the article of a top passage must contain for the archive to count
/// as saying anything about it.
pub const MIN_ARTICLE_COVERAGE: f32 = 0.6;
/// The same share for the passage itself (lower: the place or organisation
/// is often stated once, elsewhere in the article). Calibrated with
/// `archive-bot eval`: answerable dev questions and their Traditional, noisy
/// and misspelt variants score 0.41–1.0 (one in 96 below 0.4); questions
/// the archive cannot answer score 0.0 (one in 27 above 0.4).
pub const MIN_PASSAGE_COVERAGE: f32 = 0.4;
/// Passages retrieved before composing.
const CANDIDATES: usize = 8;
/// Passages whose sentences compete to be the answer.
const ANSWER_POOL: usize = 5;

/// Which script the reply uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ScriptChoice {
    /// The question's script.
    #[default]
    Auto,
    /// The archive's own script, as published.
    Original,
    Simplified,
    Traditional,
}

/// How to answer.
#[derive(Debug, Clone, Default)]
pub struct AskOptions {
    pub script: ScriptChoice,
    /// An earlier question this one follows up on ("他什么时候加入的?").
    pub context: Option<String>,
    /// Most citations listed (0 means the default, 3).
    pub max_citations: usize,
}

/// One cited passage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Citation {
    pub n: usize,
    /// The article's short key (for the bot's "source article" button).
    pub article: String,
    pub file: String,
    pub title: String,
    pub source: Option<String>,
    pub date: Option<String>,
    /// Verbatim span of the article's cleaned text, in its own script.
    pub passage: String,
    pub score: f32,
}

/// The reply to one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub question: String,
    /// Answer text with `[n]` markers, or the no-answer explanation.
    pub answer: String,
    pub no_answer: bool,
    pub citations: Vec<Citation>,
    /// Engine time for this question: retrieval and composition.
    pub took_ms: f64,
    /// The script the answer is written in (renderers show quotes in it too).
    #[serde(skip)]
    pub script: Script,
}

/// Why nothing was answered, in the asker's script.
fn refusal(empty: bool, script: Script) -> String {
    let text = if empty {
        "请输入一个关于新闻档案的问题,例如:陈达锋担任了哪个隔离点的组长?"
    } else {
        "档案中没有找到与这个问题相关的内容。可以换个说法,或提供更具体的人名、地名、机构名再试。"
    };
    script::render(text, script)
}

impl Engine {
    /// Answers a question (any string at all) from the archive.
    pub fn ask(&self, question: &str, opts: &AskOptions) -> Answer {
        let started = Instant::now();
        let script = resolve_script(opts.script, question);
        let own = query::parse(question);
        // A follow-up searches with its own terms plus the earlier question's.
        let parsed = match &opts.context {
            Some(ctx) if !own.is_empty() => {
                let mut both = query::parse(&format!("{ctx} {question}"));
                both.kind = own.kind;
                both
            }
            _ => own.clone(),
        };
        let mut answer = Answer {
            question: question.to_owned(),
            answer: String::new(),
            no_answer: true,
            citations: Vec::new(),
            took_ms: 0.0,
            script,
        };
        if own.is_empty() {
            answer.answer = refusal(true, script);
        } else {
            let hits = self.retrieve(&parsed, CANDIDATES);
            match self.compose(&parsed, &hits, opts, script) {
                Some((text, citations)) => {
                    answer.answer = text;
                    answer.citations = citations;
                    answer.no_answer = false;
                }
                None => answer.answer = refusal(false, script),
            }
        }
        answer.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        answer
    }

    /// Share of the question's key-word weight found in `text` (folded).
    ///
    /// A word weighs its part-of-speech weight times the mean rarity (idf)
    /// of its bigrams, and counts by the share of its bigrams found; a word
    /// of three or more characters with half its bigrams found counts 0.75,
    /// so one mistyped character in a name (陈达峰) does not sink the answer.
    pub fn coverage(&self, parsed: &Parsed, folded_text: &str) -> f32 {
        let mut total = 0.0;
        let mut found = 0.0;
        for word in &parsed.key_words {
            let n = word.bigrams.len();
            if n == 0 {
                continue;
            }
            let idf = word.bigrams.iter().map(|b| self.idf_bigram(b)).sum::<f32>() / n as f32;
            let weight = idf * word.weight;
            let hits = word.bigrams.iter().filter(|b| folded_text.contains(b.as_str())).count();
            let share = hits as f32 / n as f32;
            let credit = if n >= 2 && (0.5..1.0).contains(&share) {
                share.max(0.75)
            } else {
                share
            };
            total += weight;
            found += weight * credit;
        }
        if total == 0.0 { 0.0 } else { found / total }
    }

    fn compose(
        &self,
        parsed: &Parsed,
        hits: &[Hit],
        opts: &AskOptions,
        script: Script,
    ) -> Option<(String, Vec<Citation>)> {
        let top_score = hits.first()?.score.max(f32::EPSILON);
        let covers: Vec<f32> = hits
            .iter()
            .map(|h| self.coverage(parsed, &fold(self.passage_text(h.passage))))
            .collect();
        // The gate: a strong passage must cover the question, and its
        // article (with title and source) must cover it well.
        let relevant = |i: usize| {
            let article = self.passages()[hits[i].passage].article;
            let a = &self.articles()[article];
            let whole = format!(
                "{}\n{}\n{}",
                a.title,
                a.source.as_deref().unwrap_or(""),
                self.text(article)
            );
            covers[i] >= MIN_PASSAGE_COVERAGE && self.coverage(parsed, &fold(&whole)) >= MIN_ARTICLE_COVERAGE
        };
        if !(0..hits.len().min(3)).any(|i| hits[i].score >= 0.5 * top_score && relevant(i)) {
            return None;
        }
        // Every sentence of the best passages competes to be the answer.
        let mut best: Option<(f32, usize, (usize, usize))> = None; // (score, hit index, span in passage)
        for (i, h) in hits.iter().enumerate().take(ANSWER_POOL) {
            if covers[i] < MIN_PASSAGE_COVERAGE {
                continue;
            }
            let text = self.passage_text(h.passage);
            for (s, e) in sentences(text) {
                let folded = fold(&text[s..e]);
                // A very short sentence ("张元龙说。") rarely answers anything.
                let brevity = if folded.chars().count() < 10 { 0.3 } else { 0.0 };
                let score = self.coverage(parsed, &folded)
                    + 0.3 * kind_match(parsed.kind, &folded)
                    + 0.2 * covers[i]
                    + 0.2 * (h.score / top_score)
                    - brevity;
                if best.is_none_or(|(b, _, _)| score > b) {
                    best = Some((score, i, (s, e)));
                }
            }
        }
        let (_, best_hit, (s, e)) = best?;
        // A price is either stated or not: no amount of money, no answer.
        if parsed.kind == AnswerKind::Price
            && kind_match(
                AnswerKind::Price,
                &fold(&self.passage_text(hits[best_hit].passage)[s..e]),
            ) == 0.0
        {
            return None;
        }
        // Cite the answer's passage first, then other strong, covering passages.
        let max = if opts.max_citations == 0 { 3 } else { opts.max_citations };
        let mut order = vec![best_hit];
        for (i, h) in hits.iter().enumerate() {
            if order.len() >= max {
                break;
            }
            if i != best_hit && covers[i] >= MIN_PASSAGE_COVERAGE && h.score >= 0.6 * top_score && relevant(i) {
                order.push(i);
            }
        }
        let citations: Vec<Citation> = order
            .iter()
            .enumerate()
            .map(|(n, &i)| self.citation(n + 1, hits[i]))
            .collect();
        let quote = &self.passage_text(hits[best_hit].passage)[s..e];
        Some((format!("{}[1]", script::render(quote, script)), citations))
    }

    fn citation(&self, n: usize, hit: Hit) -> Citation {
        let article_idx = self.passages()[hit.passage].article;
        let a = &self.articles()[article_idx];
        Citation {
            n,
            article: self.key(article_idx).to_owned(),
            file: a.file.clone(),
            title: a.title.clone(),
            source: a.source.clone(),
            date: a.date.clone(),
            passage: self.passage_text(hit.passage).to_owned(),
            score: hit.score,
        }
    }
}

/// The script to answer in.
pub fn resolve_script(choice: ScriptChoice, question: &str) -> Script {
    match choice {
        ScriptChoice::Auto if script::is_traditional(question) => Script::Traditional,
        ScriptChoice::Auto => Script::Simplified,
        ScriptChoice::Original => Script::Original,
        ScriptChoice::Simplified => Script::Simplified,
        ScriptChoice::Traditional => Script::Traditional,
    }
}

/// Endings of job titles and positions.
const ROLE_WORDS: &[&str] = &[
    "主任",
    "书记",
    "局长",
    "部长",
    "处长",
    "科长",
    "队长",
    "组长",
    "站长",
    "所长",
    "院长",
    "校长",
    "主席",
    "经理",
    "董事",
    "委员",
    "干部",
    "科员",
    "专员",
    "负责人",
    "主管",
    "厅长",
    "市长",
    "县长",
    "区长",
    "镇长",
    "乡长",
    "村长",
    "社长",
    "总监",
    "秘书",
    "副职",
    "成员",
    "记者",
    "医生",
    "教师",
    "民警",
    "志愿者",
];

/// 1.0 when a (folded) sentence holds the kind of thing asked for.
fn kind_match(kind: AnswerKind, folded: &str) -> f32 {
    let has_digit = folded
        .chars()
        .any(|c| c.is_ascii_digit() || "一二两三四五六七八九十百千万".contains(c));
    let hit = match kind {
        AnswerKind::Number => has_digit,
        AnswerKind::Date => {
            folded.contains('月') && folded.contains('日')
                || folded.contains('年')
                || [
                    "大年", "除夕", "凌晨", "上午", "下午", "晚上", "深夜", "当天", "昨天", "今天",
                ]
                .iter()
                .any(|w| folded.contains(w))
        }
        AnswerKind::Role => ROLE_WORDS.iter().any(|w| folded.contains(w)),
        AnswerKind::Price => {
            has_digit
                && ["元", "钱", "块", "¥", "￥", "$", "美元", "欧元", "港币"]
                    .iter()
                    .any(|w| folded.contains(w))
        }
        AnswerKind::Person | AnswerKind::Entity | AnswerKind::Any => true,
    };
    if hit { 1.0 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::*;

    /// The shipped archive in an in-RAM index, built once for all tests.
    static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
        let loaded = crate::corpus::load(std::path::Path::new(dir)).expect("the shipped corpus loads");
        Engine::in_ram(loaded.articles).expect("the in-RAM index builds")
    });

    /// Questions of the kinds users ask, with the file and a phrase the
    /// answer must hold (written for these tests, not the eval set).
    const ANSWERABLE: &[(&str, &str, &str)] = &[
        ("锦湖街道集结了多少名机关干部?", "004_82fc2c655d591153.txt", "66名"),
        ("陈达锋在哪个单位任副主任?", "000_101a5bdc808eb656.txt", "政务服务中心"),
        ("慈利縣隔離點有幾名黨員重溫入黨誓詞?", "001_1b8dedc847e159a7.txt", "8名"),
        ("长乐全区启动了多少个采样点位", "002_69cd91805946c599.txt", "347"),
        ("沪宁高速查验点日均通过多少车辆?", "003_9bc49391c6ced905.txt", "2万余辆"),
        ("张子曦给卡口送了什么", "004_82fc2c655d591153.txt", "宵夜"),
    ];

    const UNRELATED: &[&str] = &[
        "今天北京的天气怎么样?",
        "怎么做红烧肉?",
        "推荐几本好看的小说",
        "美國總統是誰?",
        "特斯拉的股价是多少",
    ];

    fn ask(q: &str) -> Answer {
        ENGINE.ask(q, &AskOptions::default())
    }

    #[test]
    fn answers_come_from_the_right_article() {
        for (q, file, phrase) in ANSWERABLE {
            let a = ask(q);
            assert!(!a.no_answer, "{q}: {}", a.answer);
            assert_eq!(a.citations[0].file, *file, "{q}");
            assert!(fold(&a.answer).contains(&fold(phrase)), "{q}: {}", a.answer);
            assert!(a.answer.ends_with("[1]"));
        }
    }

    #[test]
    fn unrelated_questions_get_an_honest_no_answer() {
        for q in UNRELATED {
            let a = ask(q);
            assert!(a.no_answer && a.citations.is_empty(), "{q}: {}", a.answer);
            assert!(a.answer.contains("没有") || a.answer.contains("沒有"), "{}", a.answer);
        }
    }

    #[test]
    fn a_price_the_archive_never_states_is_not_answered() {
        // 核酸检测 is all over the archive; what it costs is not.
        let a = ask("核酸检测多少钱一次?");
        assert!(a.no_answer && a.citations.is_empty(), "{}", a.answer);
    }

    #[test]
    fn replies_in_the_askers_script() {
        let t = ask("錦湖街道集結了多少名機關幹部?");
        assert_eq!(t.script, Script::Traditional);
        assert!(t.answer.contains("機關幹部"), "{}", t.answer);
        let s = ask("锦湖街道集结了多少名机关干部?");
        assert!(s.answer.contains("机关干部"), "{}", s.answer);
        let o = ENGINE.ask(
            "陈达锋担任了哪个隔离点的组长?",
            &AskOptions {
                script: ScriptChoice::Original,
                ..Default::default()
            },
        );
        assert!(
            o.answer.contains("陳達鋒") || o.answer.contains("隔離點"),
            "{}",
            o.answer
        );
    }

    #[test]
    fn follow_ups_use_the_earlier_question() {
        let opts = AskOptions {
            context: Some("陈达锋担任了哪个隔离点的组长?".into()),
            ..Default::default()
        };
        let a = ENGINE.ask("他什么时候主动请战的?", &opts);
        assert!(!a.no_answer, "{}", a.answer);
        assert_eq!(a.citations[0].file, "000_101a5bdc808eb656.txt");
        assert!(fold(&a.answer).contains("大年三十"), "{}", a.answer);
    }

    #[test]
    fn hostile_questions_get_a_polite_reply() {
        let long = "隔离点".repeat(3_400);
        for q in [
            "",
            "   ",
            "?!",
            "\"; DROP TABLE articles; --",
            "AND OR NOT (",
            "*",
            "😀😀😀",
            "\u{202E}\u{200B}",
            long.as_str(),
        ] {
            let a = ask(q);
            assert!(!a.answer.is_empty(), "{q:?}");
            if a.no_answer {
                assert!(a.citations.is_empty());
            }
        }
        assert!(ask("").no_answer);
    }

    /// Every citation is a verbatim span of its article, and the answer
    /// (in the archive's script) is a verbatim sentence of a cited passage.
    fn assert_grounded(q: &str) {
        let a = ENGINE.ask(
            q,
            &AskOptions {
                script: ScriptChoice::Original,
                ..Default::default()
            },
        );
        for c in &a.citations {
            let (i, article) = ENGINE.article_by_key(&c.article).expect("citation key resolves");
            assert_eq!(article.file, c.file);
            assert!(ENGINE.text(i).contains(&c.passage), "{q}: citation not verbatim");
        }
        if !a.no_answer {
            let quote = a.answer.strip_suffix("[1]").expect("answer ends with its marker");
            assert!(a.citations[0].passage.contains(quote), "{q}: {quote}");
        }
    }

    #[test]
    fn answers_are_grounded() {
        for (q, _, _) in ANSWERABLE {
            assert_grounded(q);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_question_is_grounded(q in "[锦湖街道陈达锋隔离点多少名干部慈利县長樂疫情防控什么时候?a-z0-9 ]{0,30}") {
            assert_grounded(&q);
        }
    }
}
