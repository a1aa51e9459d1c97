//! Grounded answers: retrieve passages, decide whether they really cover
//! the question, and quote the sentence that answers it.
//!
//! Grounding rules: the answer is built only from verbatim spans (whole
//! clauses or sentences) of cited passages, converted to the asker's script
//! at most; every citation's `passage` is a verbatim span of its article's
//! cleaned text; when the best passages do not cover the question's key
//! terms (weighted by how rare they are), the answer is `no_answer` with no
//! citations.
//!
//! The decisions are learned ([`learned`]): [`Engine::scene`] gathers the
//! candidates (the best passages' sentences and their articles) with their
//! features, [`Engine::decide`] picks the answering sentence and the
//! article cited first, and the gate's probability that the archive
//! answers is [`Answer::confidence`]. Below [`min_confidence`] the engine
//! refuses; `archive-bot eval` prints the trade-off at other thresholds.
//! [`span`] marks the words that answer inside the quoted sentence.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::engine::{Doc, Engine, Hit, Quote};

pub mod learned;
pub mod span;
use crate::passage::{clauses, is_heading, sentences};
use crate::query::{self, AnswerKind, Filter, KeyWord, MetaField, Parsed};
use crate::script::{self, Script, fold};

/// Share of the question's key words (weighted, see [`Engine::coverage`])
/// that the article of a further citation must contain.
pub const MIN_ARTICLE_COVERAGE: f32 = 0.6;
/// The same share for a further citation's passage itself (lower: the
/// place or organisation is often stated once, elsewhere in the article).
pub const MIN_PASSAGE_COVERAGE: f32 = 0.4;
/// Passages retrieved before composing: their sentences compete to be the
/// answer, their articles to be cited first.
const CANDIDATES: usize = 8;
/// A sentence shorter than this many characters is very short (a feature:
/// "张元龙说。" rarely answers anything).
const BRIEF_SENTENCE_CHARS: usize = 10;

/// The gate's default threshold: answers whose confidence (the gate
/// model's probability that the archive answers) is below it are refused.
pub fn min_confidence() -> f32 {
    learned::MODELS.threshold
}

/// An answer span aims to be at most this many characters: a longer
/// sentence is cut down to its best run of whole clauses.
pub fn span_chars() -> usize {
    learned::MODELS.span_chars
}

/// How to answer.
#[derive(Debug, Clone, Default)]
pub struct AskOptions {
    /// The reply's script; `None`: the question's (see [`resolve_script`]).
    pub script: Option<Script>,
    /// An earlier question this one follows up on ("他什么时候加入的?").
    pub context: Option<String>,
    /// Most citations listed (0 means the default, 3).
    pub max_citations: usize,
    /// Restricts which articles may answer, on top of what the question
    /// itself says (a period or source named in it).
    pub filter: Filter,
    /// The gate's threshold; `None` means [`min_confidence`]. `Some(0.0)`
    /// answers whenever anything was retrieved (for `eval`'s curve).
    pub min_confidence: Option<f32>,
    /// The page of a list answer (0-based; see [`crate::collection`]).
    pub page: usize,
    /// Today's date (`YYYY-MM-DD`, from the caller's clock: see
    /// [`crate::date::today`]), what a question about the collection's
    /// 今天, 最近一周 or 去年 counts from; `None`: such words are not read
    /// as periods.
    pub today: Option<String>,
}

/// What kind of answer a question got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A fact stated in the archive, quoted (or a refusal).
    #[default]
    Fact,
    /// Articles of the collection listed ([`crate::collection`]).
    List,
    /// Articles counted (and the first page listed).
    Count,
    /// The newest or oldest article named (and the next ones listed).
    Top,
    /// Articles counted by source or by author, each cited by its newest.
    Tally,
}

/// One cited passage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Citation {
    pub n: usize,
    /// The article's short key (for the bot's "source article" button).
    pub article: String,
    /// The passage and the article's file, title, source and date.
    #[serde(flatten)]
    pub quote: Quote,
    /// The source file's line on which the passage's paragraph begins
    /// (`None` when the source has no lines: an HTML page).
    pub line: Option<u32>,
    /// The article's address, when it has one.
    pub url: Option<String>,
    pub score: f32,
}

impl Citation {
    /// Where the passage is in the source: `file:line`, or the file alone.
    pub fn location(&self) -> String {
        crate::article::location(&self.quote.file, self.line)
    }
}

/// The reply to one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub question: String,
    /// Answer text with `[n]` markers, or the no-answer explanation.
    pub answer: String,
    pub no_answer: bool,
    pub citations: Vec<Citation>,
    /// How sure the engine is that the archive answers the question (0–1;
    /// compared with [`min_confidence`]). Set for refusals too.
    pub confidence: f32,
    /// The filter applied: the caller's, plus a period or source read from
    /// the question. Omitted when empty.
    #[serde(skip_serializing_if = "Filter::is_empty")]
    pub filter: Filter,
    /// Engine time for this question: retrieval and composition.
    pub took_ms: f64,
    pub kind: Kind,
    /// The words of the answer text that answer a number, date, person,
    /// place or organisation question: a byte range of `answer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<(usize, usize)>,
    /// Articles matching a question about the collection (all pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// Pages of a list answer ([`crate::collection::PAGE_SIZE`] articles
    /// each); 0 for a fact.
    #[serde(skip_serializing_if = "is_zero")]
    pub pages: usize,
    /// The script the answer is written in (renderers show quotes in it too).
    #[serde(skip)]
    pub script: Script,
}

impl Answer {
    /// The key span's words, when the answer has one (see [`Answer::span`]).
    pub fn key(&self) -> Option<&str> {
        let (s, e) = self.span?;
        self.answer.get(s..e).filter(|k| !k.is_empty())
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Citations listed when the options say 0.
const DEFAULT_CITATIONS: usize = 3;
/// Further passages are cited when their retrieval score is at least this
/// share of the top passage's (and they and their articles cover the question).
const CITED_SHARE: f32 = 0.6;

/// The question without the words the article's headline already holds:
/// the headline's words identify the article, the other words say what
/// is asked about it (a sentence feature, beside the whole question's
/// coverage).
fn focus(parsed: &Parsed, folded_title: &str) -> Parsed {
    let mut focused = parsed.clone();
    focused
        .key_words
        .retain(|w| w.bigrams.is_empty() || !w.bigrams.iter().all(|b| folded_title.contains(b.as_str())));
    focused
}

/// Share of a (folded) sentence's bigrams that are neither the question's
/// nor its article's headline's (crawled news often repeats the headline as
/// the first line of the body: it identifies, it does not answer).
fn novelty(parsed: &Parsed, folded_title: &str, folded: &str) -> f32 {
    let grams = crate::index::tokenize::bigrams(folded);
    if grams.is_empty() {
        return 0.0;
    }
    let new = grams
        .iter()
        .filter(|t| !parsed.folded.contains(t.text.as_str()) && !folded_title.contains(t.text.as_str()))
        .count();
    new as f32 / grams.len() as f32
}

/// A composed answer before the gate.
struct Composed {
    text: String,
    citations: Vec<Citation>,
    confidence: f32,
    /// The key span, a byte range of `text`.
    key: Option<(usize, usize)>,
}

/// An answer's text without its `[n]` citation markers (other brackets
/// stay).
pub fn without_markers(answer: &str) -> String {
    let mut out = String::with_capacity(answer.len());
    let mut rest = answer;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(']') {
            out.push_str(&rest[..open]);
            rest = &after[digits + 1..];
        } else {
            out.push_str(&rest[..=open]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A filter in words: "2019-10-01 至 2019-10-31", "来源为环球网" (for the
/// replies that say what was searched).
pub(crate) fn filter_parts(f: &Filter) -> Vec<String> {
    let mut parts = Vec::new();
    match (&f.since, &f.until) {
        (Some(a), Some(b)) if a == b => parts.push(a.clone()),
        (Some(a), Some(b)) => parts.push(format!("{a} 至 {b}")),
        (Some(a), None) => parts.push(format!("{a} 以来")),
        (None, Some(b)) => parts.push(format!("{b} 以前")),
        (None, None) => {}
    }
    if let Some(s) = &f.source {
        parts.push(format!("来源为{s}"));
    }
    parts
}

/// Says which filter was searched under, for a refusal.
fn filter_note(f: &Filter) -> String {
    format!("(只查找了{}的文章。)", filter_parts(f).join("、"))
}

/// Why nothing was answered, in the asker's script.
fn refusal(empty: bool, script: Script) -> String {
    let text = if empty {
        "请输入一个关于新闻档案的问题,例如某人担任了什么职务、某地采取了哪些措施、某篇报道是哪天发表的。"
    } else {
        "档案中没有找到与这个问题相关的内容。可以换个说法,或提供更具体的人名、地名、机构名再试。"
    };
    script::render(text, script)
}

impl Engine {
    /// Answers a question (any string at all) from the archive.
    pub fn ask(&self, question: &str, opts: &AskOptions) -> Answer {
        // A question about the collection (which articles, how many …)
        // has an answer of its own; a follow-up is always about facts.
        if opts.context.is_none()
            && let Some(answer) = self.ask_collection(question, opts)
        {
            return answer;
        }
        let started = Instant::now();
        let script = resolve_script(opts.script, question);
        let (own, parsed) = self.understand(question, opts);
        let mut answer = Answer {
            question: question.to_owned(),
            answer: String::new(),
            no_answer: true,
            citations: Vec::new(),
            confidence: 0.0,
            filter: parsed.filter.clone(),
            took_ms: 0.0,
            script,
            kind: Kind::Fact,
            span: None,
            count: None,
            pages: 0,
        };
        if own.is_empty() {
            answer.answer = refusal(true, script);
        } else {
            let scene = self.scene(&parsed, None);
            let threshold = opts.min_confidence.unwrap_or_else(min_confidence);
            match self.compose(&parsed, &scene, opts, script) {
                Some(c) if c.confidence >= threshold => {
                    answer.answer = c.text;
                    answer.span = c.key;
                    answer.citations = c.citations;
                    answer.confidence = c.confidence;
                    answer.no_answer = false;
                }
                other => {
                    answer.confidence = other.map_or(0.0, |c| c.confidence);
                    answer.answer = refusal(false, script);
                    if !parsed.filter.is_empty() {
                        answer
                            .answer
                            .push_str(&script::render(&filter_note(&parsed.filter), script));
                    }
                }
            }
        }
        answer.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        answer
    }

    /// A question read as the answer step searches it: its own terms (a
    /// source it names taken out as a filter), joined with the earlier
    /// question's for a follow-up, under the caller's filter completed by
    /// the question's. Returns the question's own reading and the search's.
    pub fn understand(&self, question: &str, opts: &AskOptions) -> (Parsed, Parsed) {
        let (searched, source) = self.find_source(question);
        let mut own = query::parse(&searched);
        if source.is_some() {
            // "瑞安日报的报道里…": with the source named, 报道 identifies nothing.
            if own.meta.is_none() {
                own = query::parse(&query::without_article_words(&searched));
            }
            own.filter.source = source;
        }
        // A follow-up searches with its own terms plus the earlier question's.
        let mut parsed = match &opts.context {
            Some(ctx) if !own.is_empty() => {
                let mut both = query::parse(&format!("{ctx} {question}"));
                both.kind = own.kind;
                both.filter = own.filter.clone();
                both
            }
            _ => own.clone(),
        };
        parsed.filter = opts.filter.completed_by(&parsed.filter);
        (own, parsed)
    }

    /// Share of the question's key-word weight found in `text` (folded).
    ///
    /// A word weighs its part-of-speech weight times the mean rarity (idf)
    /// of its bigrams, and counts by the share of its bigrams found; a word
    /// of three or more characters with half its bigrams found counts 0.75,
    /// so one mistyped character in a name (陈达峰) does not sink the answer.
    pub fn coverage(&self, parsed: &Parsed, folded_text: &str) -> f32 {
        self.weighted_share(parsed, |word| {
            let n = word.bigrams.len();
            let hits = word.bigrams.iter().filter(|b| folded_text.contains(b.as_str())).count();
            let share = hits as f32 / n as f32;
            if n >= 2 && (0.5..1.0).contains(&share) {
                share.max(0.75)
            } else {
                share
            }
        })
    }

    /// [`Self::coverage`] character by character: a paraphrase keeps
    /// characters where it changes words (海港 → 港口, 管辖 → 管理), which
    /// bigrams miss.
    pub fn char_coverage(&self, parsed: &Parsed, folded_text: &str) -> f32 {
        self.weighted_share(parsed, |word| {
            // A word's characters: the first of each bigram, and the last of the last.
            let last = word.bigrams.last().and_then(|b| b.chars().last());
            let chars = word.bigrams.iter().filter_map(|b| b.chars().next()).chain(last);
            let (mut n, mut hits) = (0, 0);
            for c in chars {
                n += 1;
                hits += usize::from(folded_text.contains(c));
            }
            hits as f32 / n.max(1) as f32
        })
    }

    /// The question's key words weighed (part of speech times mean bigram
    /// idf), each counted by `share` (0 to 1) of it found.
    fn weighted_share(&self, parsed: &Parsed, share: impl Fn(&KeyWord) -> f32) -> f32 {
        let mut total = 0.0;
        let mut found = 0.0;
        for word in &parsed.key_words {
            let n = word.bigrams.len();
            if n == 0 {
                continue;
            }
            let idf = word.bigrams.iter().map(|b| self.idf_bigram(b)).sum::<f32>() / n as f32;
            let weight = idf * word.weight;
            total += weight;
            found += weight * share(word);
        }
        if total == 0.0 { 0.0 } else { found / total }
    }

    /// Coverage of the question by a whole article: headline, source and text.
    /// A whole article as the gate reads it: headline, source and text,
    /// folded.
    fn folded_article(doc: &Doc) -> String {
        let a = &doc.article;
        fold(&format!(
            "{}\n{}\n{}",
            a.title,
            a.source.as_deref().unwrap_or(""),
            doc.text
        ))
    }

    /// A source of the archive named in the question ("瑞安日报的报道"): the
    /// question without it, and the source (the longest one named).
    pub(crate) fn find_source(&self, question: &str) -> (String, Option<String>) {
        let folded = fold(question);
        let named = self
            .folded_sources()
            .iter()
            .filter(|(_, f)| f.chars().count() >= 2 && folded.contains(f.as_str()))
            .max_by_key(|(_, f)| f.len());
        match named {
            Some((source, f)) => (folded.replace(f.as_str(), " "), Some(source.clone())),
            None => (question.to_owned(), None),
        }
    }

    /// The answer to a question about an article itself (its date, author,
    /// source or headline), stated from the article's metadata and citing
    /// the passage that identified it.
    fn compose_meta(&self, field: MetaField, hit: Hit, doc: &Doc, confidence: f32, script: Script) -> Composed {
        let article = &doc.article;
        let title = &article.title;
        let text = match field {
            MetaField::Date => match &article.date {
                Some(d) => format!("《{title}》的日期:{d}。"),
                None => format!("《{title}》没有注明日期。"),
            },
            MetaField::Author => match &article.author {
                Some(a) => format!("《{title}》的作者:{a}。"),
                None => format!("《{title}》没有署名作者。"),
            },
            MetaField::Source => match &article.source {
                Some(s) => format!("《{title}》的来源:{s}。"),
                None => format!("《{title}》没有注明来源。"),
            },
            MetaField::Title => format!("这篇文章的标题是《{title}》。"),
        };
        Composed {
            text: format!("{}[1]", script::render(&text, script)),
            citations: vec![citation(1, hit, doc)],
            confidence,
            key: None,
        }
    }

    /// How many names of the question (place, person, organisation) the
    /// article does not contain at all.
    fn missing_names(parsed: &Parsed, folded_article: &str) -> usize {
        parsed
            .key_words
            .iter()
            .filter(|w| w.name && !w.bigrams.iter().any(|b| folded_article.contains(b.as_str())))
            .count()
    }

    /// The candidates of a question: the best passages, their sentences and
    /// their articles, each with the features the learned models read.
    /// `without` answers as if that article were not in the archive (for
    /// training refusals).
    pub fn scene(&self, parsed: &Parsed, without: Option<usize>) -> Scene {
        let hits = self.retrieve_without(parsed, CANDIDATES, without);
        // Each hit with its stored article (read once; a hit whose article
        // cannot be read is left out).
        let (hits, docs): (Vec<Hit>, Vec<Arc<Doc>>) =
            hits.iter().filter_map(|h| Some((*h, self.doc(h.article)?))).unzip();
        let mut scene = Scene {
            hits,
            docs,
            passage_covers: Vec::new(),
            sentences: Vec::new(),
            articles: Vec::new(),
            hit_candidates: Vec::new(),
            question: question_features(parsed),
        };
        let Some(top_score) = scene.hits.first().map(|h| h.score.max(f32::EPSILON)) else {
            return scene;
        };
        let (hits, docs) = (&scene.hits, &scene.docs);
        // A passage is read under its headline: news names the place or
        // agency there and not again.
        scene.passage_covers = (0..hits.len())
            .map(|i| {
                let title = &docs[i].article.title;
                self.coverage(
                    parsed,
                    &fold(&format!("{title}\n{}", docs[i].span(hits[i].start, hits[i].end))),
                )
            })
            .collect();
        // The articles, in the order of their best passages.
        let mut of_hit = Vec::with_capacity(hits.len());
        for (i, h) in hits.iter().enumerate() {
            let c = match scene.articles.iter().position(|c| c.article == h.article) {
                Some(c) => c,
                None => {
                    let folded = Self::folded_article(&docs[i]);
                    let rank = scene.articles.len() as f32;
                    scene.articles.push(Candidate {
                        article: h.article,
                        first_hit: i,
                        features: vec![
                            rank,
                            h.article_score,
                            h.score / top_score,
                            0.0, // PASSAGE_COVER: the best of its passages', below
                            self.coverage(parsed, &folded),
                            self.coverage(parsed, &fold(&docs[i].article.title)),
                            Self::missing_names(parsed, &folded) as f32,
                        ],
                    });
                    scene.articles.len() - 1
                }
            };
            let best = &mut scene.articles[c].features[learned::PASSAGE_COVER];
            *best = best.max(scene.passage_covers[i]);
            of_hit.push(c);
        }
        scene.hit_candidates = of_hit;
        let (hits, docs) = (&scene.hits, &scene.docs);
        for (i, h) in hits.iter().enumerate() {
            let c = scene.hit_candidates[i];
            let doc = &docs[i];
            let folded_title = fold(&doc.article.title);
            let focused = focus(parsed, &folded_title);
            let article = &scene.articles[c].features;
            let text = doc.span(h.start, h.end);
            let spans = sentences(text);
            let folded: Vec<String> = spans.iter().map(|&(s, e)| fold(&text[s..e])).collect();
            let covers: Vec<f32> = folded.iter().map(|f| self.coverage(&focused, f)).collect();
            for (k, &(s, e)) in spans.iter().enumerate() {
                let context = Context {
                    passage_cover: scene.passage_covers[i],
                    passage_score: h.score / top_score,
                    passage_rank: i as f32,
                    article_score: h.article_score,
                    article_cover: article[learned::ARTICLE_COVER],
                    article_rank: article[learned::RANK],
                    headline_cover: article[learned::HEADLINE_COVER],
                    missing_names: article[learned::MISSING_NAMES],
                    prev_cover: if k > 0 { covers[k - 1] } else { 0.0 },
                    next_cover: covers.get(k + 1).copied().unwrap_or(0.0),
                    first: k == 0,
                    position: k as f32 / spans.len() as f32,
                };
                let features = self.span_features(parsed, &focused, &folded_title, &text[s..e], &context);
                scene.sentences.push(Sentence {
                    hit: i,
                    candidate: c,
                    start: h.start + s,
                    end: h.start + e,
                    features,
                    context,
                });
            }
        }
        scene
    }

    /// The features of one sentence or clause run (in the order of
    /// [`learned::SENTENCE_FEATURES`]).
    fn span_features(
        &self,
        parsed: &Parsed,
        focused: &Parsed,
        folded_title: &str,
        text: &str,
        c: &Context,
    ) -> Vec<f32> {
        let folded = fold(text);
        let chars = folded.chars().count();
        let trimmed = text.trim_end();
        vec![
            self.coverage(focused, &folded),
            self.coverage(parsed, &folded),
            c.prev_cover,
            c.next_cover,
            kind_match(parsed.kind, &folded),
            span::typed_word(parsed, text),
            novelty(parsed, folded_title, &folded),
            c.passage_cover,
            c.passage_score,
            c.passage_rank,
            c.article_score,
            c.article_cover,
            c.article_rank,
            c.headline_cover,
            f32::from(u8::from(chars < BRIEF_SENTENCE_CHARS)),
            (chars as f32 / 100.0).min(3.0),
            f32::from(u8::from(c.first)),
            c.position,
            proximity(parsed, &folded),
            f32::from(u8::from(trimmed.ends_with(['：', ':']))),
            c.missing_names,
            self.char_coverage(focused, &folded),
        ]
    }

    /// The learned decisions over a scene: the answering sentence, the
    /// article cited first, and the gate's confidence.
    pub fn decide(&self, scene: &Scene) -> Option<Decision> {
        let models = &*learned::MODELS;
        let logits: Vec<f32> = scene
            .sentences
            .iter()
            .map(|s| models.sentence.logit(&s.features))
            .collect();
        let article_logits: Vec<(f32, f32)> = (0..scene.articles.len())
            .map(|c| {
                let best = scene
                    .sentences
                    .iter()
                    .zip(&logits)
                    .filter(|(s, _)| s.candidate == c)
                    .map(|(_, &l)| l)
                    .fold(f32::NEG_INFINITY, f32::max);
                let mut x = scene.articles[c].features.clone();
                x.push(best);
                (models.article.logit(&x), best)
            })
            .collect();
        let top = article_logits.first()?.0;
        // The best-ranked article is cited first unless another is clearly
        // more likely to be the one that answers.
        let article = (1..article_logits.len())
            .filter(|&c| article_logits[c].0 >= top + models.switch_margin)
            .max_by(|&a, &b| article_logits[a].0.total_cmp(&article_logits[b].0))
            .unwrap_or(0);
        let sentence = (0..scene.sentences.len())
            .filter(|&k| scene.sentences[k].candidate == article)
            .max_by(|&a, &b| logits[a].total_cmp(&logits[b]).then(b.cmp(&a)))?;
        let mut gate = vec![logits[sentence], article_logits[article].0];
        gate.extend_from_slice(&scene.articles[article].features);
        gate.extend_from_slice(&scene.question);
        Some(Decision {
            sentence,
            article,
            confidence: learned::probability(models.gate.logit(&gate)),
            sentence_logits: logits,
            article_logits: article_logits.into_iter().map(|(l, _)| l).collect(),
            gate,
        })
    }

    fn compose(&self, parsed: &Parsed, scene: &Scene, opts: &AskOptions, script: Script) -> Option<Composed> {
        let decision = self.decide(scene)?;
        let confidence = decision.confidence;
        let (hits, docs) = (&scene.hits, &scene.docs);
        let chosen = &scene.sentences[decision.sentence];
        let best_hit = chosen.hit;
        if let Some(field) = parsed.meta {
            let first = scene.articles[decision.article].first_hit;
            return Some(self.compose_meta(field, hits[first], &docs[first], confidence, script));
        }
        let doc = &docs[best_hit];
        let hit = hits[best_hit];
        // The passage and the rest of its article: an answer may run on past
        // the passage's end (a passage ends at a paragraph, and policy news
        // puts a heading or a question in a paragraph of its own).
        // (Read no further than the longest answer could reach.)
        let reach = doc.text.floor_char_boundary(hit.end + 2 * span_chars() * 4);
        let text = doc.text.get(hit.start..reach).unwrap_or("");
        let (s, e) = (chosen.start - hit.start, chosen.end - hit.start);
        // (A span outside its article is an index fault: no answer, no panic.)
        text.get(s..e)?;
        // A price is either stated or not: no amount of money, no answer.
        if parsed.kind == AnswerKind::Price && kind_match(AnswerKind::Price, &fold(&text[s..e])) == 0.0 {
            return None;
        }
        let (span_start, span_end) = self.best_span(parsed, scene, decision.sentence, &text[s..e]);
        let (span_start, span_end) = (s + span_start, s + span_end);
        // The key span is looked for in the chosen run only, not in the
        // sentences added after it for context.
        let chosen_len = span_end - span_start;
        let limit = span_chars();
        // A span ending in a colon announces what follows ("需提交如下材料："):
        // the answer is the next sentences, as many as fit.
        let span_end = if text[..span_end].trim_end().ends_with(['：', ':']) {
            sentences(&text[span_end..])
                .into_iter()
                .map(|(_, e)| span_end + e)
                .take_while(|&end| text[span_start..end].chars().count() <= 2 * limit)
                .last()
                .unwrap_or(span_end)
        } else if matches!(parsed.kind, AnswerKind::Any | AnswerKind::List | AnswerKind::Entity) && span_end == e {
            // "How" and "which measures" are often answered by a few
            // sentences: take the ones after it while all fit in one span.
            // Not ending on a heading, a caption or a byline: they belong
            // to what comes after.
            let mut ends: Vec<(usize, usize)> = sentences(&text[e..])
                .into_iter()
                .map(|(a, b)| (e + a, e + b))
                .take_while(|&(_, end)| text[span_start..end].chars().count() <= limit)
                .collect();
            while ends
                .last()
                .is_some_and(|&(a, b)| is_heading(&text[a..b]) && line_of_its_own(text, a, b))
            {
                ends.pop();
            }
            ends.last().map_or(span_end, |&(_, end)| end)
        } else {
            span_end
        };
        let quote = &text[span_start..span_end];
        // Cite the answer's passage first (grown to hold the whole quote),
        // then other strong, covering passages.
        let max = if opts.max_citations == 0 {
            DEFAULT_CITATIONS
        } else {
            opts.max_citations
        };
        let top_score = hits[0].score.max(f32::EPSILON);
        let mut order = vec![best_hit];
        for (i, h) in hits.iter().enumerate() {
            if order.len() >= max {
                break;
            }
            let article_cover = scene.articles[scene.hit_candidates[i]].features[learned::ARTICLE_COVER];
            if i != best_hit
                && scene.passage_covers[i] >= MIN_PASSAGE_COVERAGE
                && article_cover >= MIN_ARTICLE_COVERAGE
                && h.score >= CITED_SHARE * top_score
            {
                order.push(i);
            }
        }
        let citations: Vec<Citation> = order
            .iter()
            .enumerate()
            .map(|(n, &i)| {
                let mut h = hits[i];
                if i == best_hit {
                    h.end = h.end.max(hit.start + span_end);
                }
                citation(n + 1, h, &docs[i])
            })
            .collect();
        // The quote rendered in three pieces, so that the key span's
        // offsets hold in the asker's script too.
        let (text, key) = match span::key_span(parsed, &quote[..chosen_len]) {
            Some((a, b)) => {
                let before = script::render(&quote[..a], script);
                let key = script::render(&quote[a..b], script);
                let after = script::render(&quote[b..], script);
                let span = (before.len(), before.len() + key.len());
                (format!("{before}{key}{after}[1]"), Some(span))
            }
            None => (format!("{}[1]", script::render(quote, script)), None),
        };
        Some(Composed {
            text,
            citations,
            confidence,
            key,
        })
    }

    /// The run of whole clauses of a sentence that answers: the sentence
    /// itself when it is short, else the run of at most [`span_chars`]
    /// characters the sentence model likes best. Returns a byte span of
    /// `sentence`.
    fn best_span(&self, parsed: &Parsed, scene: &Scene, k: usize, sentence: &str) -> (usize, usize) {
        let whole = (0, sentence.len());
        let limit = span_chars();
        if sentence.chars().count() <= limit {
            return whole;
        }
        let chosen = &scene.sentences[k];
        let doc = &scene.docs[chosen.hit];
        let folded_title = fold(&doc.article.title);
        let focused = focus(parsed, &folded_title);
        // The run keeps its sentence's context; only its own words change.
        let context = &chosen.context;
        let model = &learned::MODELS.sentence;
        let parts = clauses(sentence);
        let mut best: Option<(f32, (usize, usize))> = None;
        for i in 0..parts.len() {
            for j in i..parts.len() {
                let (s, e) = (parts[i].0, parts[j].1);
                if sentence[s..e].chars().count() > limit && j > i {
                    break;
                }
                let score = model.logit(&self.span_features(parsed, &focused, &folded_title, &sentence[s..e], context));
                if best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, (s, e)));
                }
            }
        }
        best.map_or(whole, |(_, span)| span)
    }
}

/// What a sentence's features know of where it stands.
#[derive(Debug, Clone)]
pub struct Context {
    passage_cover: f32,
    passage_score: f32,
    passage_rank: f32,
    article_score: f32,
    article_cover: f32,
    article_rank: f32,
    headline_cover: f32,
    missing_names: f32,
    prev_cover: f32,
    next_cover: f32,
    first: bool,
    position: f32,
}

/// The question's own features for the gate (see
/// [`learned::QUESTION_FEATURES`]).
fn question_features(parsed: &Parsed) -> Vec<f32> {
    vec![
        parsed.key_words.len() as f32,
        parsed.key_words.iter().filter(|w| w.name).count() as f32,
        f32::from(u8::from(matches!(parsed.kind, AnswerKind::Any | AnswerKind::List))),
        (parsed.folded.chars().count() as f32 / 20.0).min(5.0),
    ]
}

/// How close together the question's key words stand in a (folded)
/// sentence: 1 when all it holds are side by side, towards 0 as they
/// spread over the sentence; 0 when it holds fewer than two.
fn proximity(parsed: &Parsed, folded: &str) -> f32 {
    let mut at: Vec<usize> = parsed
        .key_words
        .iter()
        .filter_map(|w| w.bigrams.iter().filter_map(|b| folded.find(b.as_str())).min())
        .collect();
    if at.len() < 2 {
        return 0.0;
    }
    at.sort_unstable();
    let spread = at[at.len() - 1] - at[0];
    1.0 - spread as f32 / folded.len().max(1) as f32
}

/// The candidates of one question (see [`Engine::scene`]).
#[derive(Debug, Clone, Default)]
pub struct Scene {
    /// The best passages, best first, with their articles.
    pub hits: Vec<Hit>,
    pub docs: Vec<Arc<Doc>>,
    /// Each passage's coverage of the question, read under its headline.
    pub passage_covers: Vec<f32>,
    /// Every sentence of those passages.
    pub sentences: Vec<Sentence>,
    /// Their distinct articles, in the order of their best passages.
    pub articles: Vec<Candidate>,
    /// Each hit's article, an index into `articles`.
    pub hit_candidates: Vec<usize>,
    /// The question's own features ([`learned::QUESTION_FEATURES`]).
    pub question: Vec<f32>,
}

/// A sentence that may answer.
#[derive(Debug, Clone)]
pub struct Sentence {
    /// Its passage, an index into [`Scene::hits`].
    pub hit: usize,
    /// Its article, an index into [`Scene::articles`].
    pub candidate: usize,
    /// Its byte span in the article's text.
    pub start: usize,
    pub end: usize,
    /// [`learned::SENTENCE_FEATURES`].
    pub features: Vec<f32>,
    /// Where it stands (the features a clause run of it inherits).
    pub context: Context,
}

/// An article that may be cited first.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The article's number in the index.
    pub article: usize,
    /// Its best passage, an index into [`Scene::hits`].
    pub first_hit: usize,
    /// [`learned::ARTICLE_FEATURES`].
    pub features: Vec<f32>,
}

/// What the learned models chose in a scene.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The answering sentence, an index into [`Scene::sentences`].
    pub sentence: usize,
    /// The article cited first, an index into [`Scene::articles`].
    pub article: usize,
    /// The gate's probability that the archive answers the question.
    pub confidence: f32,
    pub sentence_logits: Vec<f32>,
    pub article_logits: Vec<f32>,
    /// The gate's features.
    pub gate: Vec<f32>,
}

/// Whether `text[start..end]` stands on a line of its own.
fn line_of_its_own(text: &str, start: usize, end: usize) -> bool {
    let blank = |s: &str| s.chars().all(|c| c.is_whitespace() && c != '\n');
    blank(text[..start].rsplit('\n').next().unwrap_or("")) && blank(text[end..].split('\n').next().unwrap_or(""))
}

fn citation(n: usize, hit: Hit, doc: &Doc) -> Citation {
    let a = &doc.article;
    Citation {
        n,
        article: doc.key.clone(),
        quote: Quote::new(doc, hit.start, hit.end),
        line: a.line_at(hit.start),
        url: a.url.clone(),
        score: hit.score,
    }
}

/// The script to answer in: the one chosen, else the question's.
pub fn resolve_script(choice: Option<Script>, question: &str) -> Script {
    match choice {
        Some(s) => s,
        None if script::is_traditional(question) => Script::Traditional,
        None => Script::Simplified,
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
        AnswerKind::Person | AnswerKind::Entity | AnswerKind::List | AnswerKind::Any => true,
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
        let loaded = crate::load::load(std::path::Path::new(dir)).expect("the shipped corpus loads");
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
        // The question's 五个字 is not in the text: it names the answer's type.
        (
            "五字经防疫工作法是哪五个字?",
            "002_69cd91805946c599.txt",
            "快、准、严、实、细",
        ),
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

    /// The answer the engine would give with the gate open (what the
    /// sentence and article models choose, whatever the gate says).
    fn ask_open(q: &str) -> Answer {
        let open = AskOptions {
            min_confidence: Some(0.0),
            ..AskOptions::default()
        };
        ENGINE.ask(q, &open)
    }

    #[test]
    fn answers_come_from_the_right_article() {
        for (q, file, phrase) in ANSWERABLE {
            let a = ask_open(q);
            assert!(!a.no_answer, "{q}: {}", a.answer);
            assert_eq!(a.citations[0].quote.file, *file, "{q}");
            assert!(fold(&a.answer).contains(&fold(phrase)), "{q}: {}", a.answer);
            assert!(a.answer.ends_with("[1]"));
        }
    }

    #[test]
    fn the_gate_ranks_answerable_questions_above_unrelated_ones() {
        // The gate is a learned trade-off (refuse three in four questions
        // the archive cannot answer, and answer the most): every answerable
        // question must look more answerable than every unrelated one, and
        // all but a borderline one pass the default threshold.
        let answerable: Vec<f32> = ANSWERABLE.iter().map(|(q, _, _)| ask_open(q).confidence).collect();
        let unrelated: Vec<f32> = UNRELATED.iter().map(|q| ask_open(q).confidence).collect();
        let lowest = answerable.iter().copied().fold(f32::MAX, f32::min);
        let highest = unrelated.iter().copied().fold(0.0, f32::max);
        assert!(lowest > highest, "{answerable:?} vs {unrelated:?}");
        let passed = ANSWERABLE.iter().filter(|(q, _, _)| !ask(q).no_answer).count();
        assert!(passed + 1 >= ANSWERABLE.len(), "{answerable:?}");
    }

    #[test]
    fn character_coverage_credits_a_paraphrase_that_bigrams_miss() {
        // 管理 for 管辖: no bigram of 管辖 (nor of 单位, 负责) is in the
        // sentence, but one of its characters is.
        let parsed = query::parse("公路由哪个单位负责管辖");
        let paraphrase = fold("在中国，公路是由交通运输部来管理的");
        let bigram = ENGINE.coverage(&parsed, &paraphrase);
        let by_char = ENGINE.char_coverage(&parsed, &paraphrase);
        assert!(by_char > bigram, "{by_char} vs {bigram}");
        // Both are shares: a text holding the question whole covers it fully.
        let whole = fold("公路由哪个单位负责管辖");
        assert!((ENGINE.char_coverage(&parsed, &whole) - 1.0).abs() < 1e-6);
        assert!((ENGINE.coverage(&parsed, &whole) - 1.0).abs() < 1e-6);
        assert_eq!(ENGINE.char_coverage(&parsed, ""), 0.0);
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
                script: Some(Script::Original),
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
        assert_eq!(a.citations[0].quote.file, "000_101a5bdc808eb656.txt");
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
                script: Some(Script::Original),
                ..Default::default()
            },
        );
        for c in &a.citations {
            let doc = ENGINE.doc_by_key(&c.article).expect("citation key resolves");
            assert_eq!(doc.article.file, c.quote.file);
            assert!(doc.text.contains(&c.quote.passage), "{q}: citation not verbatim");
        }
        if !a.no_answer && query::parse(q).meta.is_none() {
            let quote = a.answer.strip_suffix("[1]").expect("answer ends with its marker");
            assert!(a.citations[0].quote.passage.contains(quote), "{q}: {quote}");
        }
    }

    #[test]
    fn answers_are_grounded() {
        for (q, _, _) in ANSWERABLE {
            assert_grounded(q);
        }
    }

    #[test]
    fn questions_about_an_article_are_answered_from_its_metadata() {
        let a = ask("瑞安日报锦湖街道那篇报道是哪天的?");
        assert!(!a.no_answer, "{}", a.answer);
        assert!(a.answer.contains("2021-12-23"), "{}", a.answer);
        assert_eq!(a.citations[0].quote.file, "004_82fc2c655d591153.txt");
        assert_eq!(a.filter.source.as_deref(), Some("瑞安日报"));
        let author = ask("锦湖街道那篇报道的作者是谁?");
        assert!(author.answer.contains("陈成成"), "{}", author.answer);
        let title = ask("關於錦湖街道的那篇報道標題是什麼?");
        assert!(
            title.answer.contains("《錦湖街道"),
            "in the asker's script: {}",
            title.answer
        );
    }

    #[test]
    fn filters_restrict_which_articles_answer() {
        // The question names the month the article is dated in: answered.
        let a = ask("2021年12月锦湖街道集结了多少名机关干部?");
        assert!(!a.no_answer && a.answer.contains("66名"), "{}", a.answer);
        assert_eq!(a.filter.since.as_deref(), Some("2021-12-01"));
        // A year the article is not from: refused, saying what was searched.
        let b = ask("2020年锦湖街道集结了多少名机关干部?");
        assert!(b.no_answer && b.citations.is_empty(), "{}", b.answer);
        assert!(b.answer.contains("2020-01-01"), "{}", b.answer);
        // A flag: a source that did not publish it.
        let opts = AskOptions {
            filter: Filter {
                source: Some("红星网".into()),
                ..Filter::default()
            },
            ..AskOptions::default()
        };
        assert!(ENGINE.ask("锦湖街道集结了多少名机关干部?", &opts).no_answer);
        // Undated articles pass a date filter unless only dated ones are asked for.
        let undated = AskOptions {
            filter: Filter {
                since: Some("2030-01-01".into()),
                ..Filter::default()
            },
            ..AskOptions::default()
        };
        let c = ENGINE.ask("陈达锋担任了哪个隔离点的组长?", &undated);
        assert!(!c.no_answer, "000 states no date: {}", c.answer);
        let dated_only = AskOptions {
            filter: Filter {
                dated_only: true,
                ..undated.filter.clone()
            },
            ..AskOptions::default()
        };
        assert!(ENGINE.ask("陈达锋担任了哪个隔离点的组长?", &dated_only).no_answer);
    }

    #[test]
    fn answer_spans_are_whole_clauses_of_the_cited_passage() {
        for (q, _, _) in ANSWERABLE {
            let a = ask_open(q);
            let quote = a.answer.strip_suffix("[1]").expect("marker");
            assert!(quote.chars().count() <= 2 * span_chars(), "{q}: {quote}");
            let passage = &a.citations[0].quote.passage;
            let at = fold(passage).find(&fold(quote)).expect("verbatim");
            // A span starts where a clause or sentence starts.
            let before = fold(passage)[..at].chars().next_back();
            assert!(
                before.is_none_or(|c| "。!?;,:，；：！？\n”\" ".contains(c)),
                "{q}: starts mid-clause after {before:?}: {quote}"
            );
        }
    }

    /// Passages are ranked within the best articles only, yet a `search`
    /// for more rows than that pool still reaches further articles.
    #[test]
    fn a_long_search_reaches_past_the_article_pool() {
        let articles: Vec<crate::article::Article> = (0..150)
            .map(|i| crate::article::Article {
                file: format!("n{i:03}.txt"),
                title: format!("第{i}号通知"),
                source: None,
                author: None,
                date: None,
                url: None,
                paragraphs: vec![format!("志愿者突击队第{i}批出发。"), "另有其他安排。".into()],
                lines: Vec::new(),
            })
            .collect();
        let engine = Engine::in_ram(articles).unwrap();
        let files = |rows: Vec<crate::engine::SearchRow>| {
            rows.into_iter()
                .map(|r| r.quote.file)
                .collect::<std::collections::HashSet<_>>()
                .len()
        };
        assert_eq!(
            files(engine.search_filtered("志愿者突击队", 10, &Default::default())),
            10
        );
        assert_eq!(
            files(engine.search_filtered("志愿者突击队", 140, &Default::default())),
            140
        );
    }

    /// An article of a file, a headline and paragraphs, nothing else stated.
    fn article(file: &str, title: &str, paragraphs: Vec<String>) -> crate::article::Article {
        crate::article::Article {
            file: file.into(),
            title: title.into(),
            source: None,
            author: None,
            date: None,
            url: None,
            paragraphs,
            lines: Vec::new(),
        }
    }

    /// An engine over one article of these paragraphs, and what it says to
    /// `q` with the gate open.
    fn ask_one_article(paragraphs: Vec<String>, q: &str) -> Answer {
        let open = AskOptions {
            min_confidence: Some(0.0),
            ..AskOptions::default()
        };
        Engine::in_ram(vec![article("m.txt", "青山区出台复工措施", paragraphs)])
            .unwrap()
            .ask(q, &open)
    }

    #[test]
    fn a_how_question_is_answered_by_the_sentences_that_follow_while_they_fit() {
        // Policy news answers "what measures" in a run of short sentences:
        // the answer takes them all when they fit in one span, and stops
        // before one that would not.
        let long = "其他事项按原有规定办理，".repeat(14);
        let a = ask_one_article(
            vec![format!(
                "青山区对复工企业采取三项措施。减免三个月房租。发放稳岗补贴。开通审批绿色通道。{long}。"
            )],
            "青山区对复工企业采取了哪些措施？",
        );
        assert!(!a.no_answer, "{}", a.answer);
        for part in ["减免三个月房租", "发放稳岗补贴", "开通审批绿色通道"] {
            assert!(a.answer.contains(part), "{part} missing: {}", a.answer);
        }
        assert!(!a.answer.contains("其他事项"), "{}", a.answer);
    }

    #[test]
    fn an_answer_that_runs_on_does_not_end_on_a_byline_or_a_heading() {
        let a = ask_one_article(
            vec![
                "青山区对复工企业采取三项措施。减免三个月房租。".into(),
                "[记者 王明]".into(),
                "坚守一线".into(),
                format!("{}。", "其他事项按原有规定办理，".repeat(20)),
            ],
            "青山区对复工企业采取了哪些措施？",
        );
        assert!(a.answer.contains("减免三个月房租"), "{}", a.answer);
        assert!(
            !a.answer.contains("王明") && !a.answer.contains("坚守一线"),
            "{}",
            a.answer
        );
    }

    #[test]
    fn a_headline_only_place_still_finds_its_article() {
        // News states the place once, in the headline; the body says 省政府.
        let article = |file: &str, title: &str, body: &str| article(file, title, vec![body.into()]);
        let engine = Engine::in_ram(vec![
            article(
                "a.txt",
                "浙江:采取特殊医保政策",
                "参保人员感染新冠肺炎的医疗费用由医保基金支付,在医院直接结算。",
            ),
            article(
                "b.txt",
                "江苏:采取特殊医保政策",
                "省政府决定,参保人员感染新冠肺炎的医疗费用先救治后结算,由医保基金支付。",
            ),
            article(
                "c.txt",
                "上海:企业复工复产",
                "省政府出台政策,支持企业复工复产,减免租金。",
            ),
        ])
        .unwrap();
        let q = "江苏省参保人员感染新冠肺炎如何支付医疗费用?";
        let ranked = engine.rank_articles(q, 2);
        assert_eq!(engine.doc(ranked[0].0).unwrap().article.file, "b.txt", "{ranked:?}");
        let a = engine.ask(q, &AskOptions::default());
        assert_eq!(
            a.citations.first().map(|c| c.quote.file.as_str()),
            Some("b.txt"),
            "{}",
            a.answer
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_question_is_grounded(q in "[锦湖街道陈达锋隔离点多少名干部慈利县長樂疫情防控什么时候?a-z0-9 ]{0,30}") {
            assert_grounded(&q);
        }
    }
}
