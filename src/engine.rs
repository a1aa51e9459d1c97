//! The engine: ranking over a [`Retrieval`] (the archive's indexes),
//! held together so that a question needs nothing else. Built in RAM
//! (tests) or opened from an index on disk
//! ([`Engine::open`], [`Engine::open_or_build`]). Shared read-only
//! (`Arc<Engine>`) by every command and the bot.
//!
//! Ranking is article-aware. Passages are what is quoted, but a passage is
//! ranked with the article around it, because news states the who and the
//! where once, often only in the headline:
//!
//! 1. the index ranks whole articles (headline + body);
//! 2. the passages of the best of them are ranked from their stored text
//!    ([`crate::rank`]): a search over all passages answers and ranks the
//!    same on ncp_dev, cmrc2018 and DRCD, and an index of passages doubles
//!    the index and its build (docs/scaling.md);
//! 3. each passage's score becomes its BM25 score relative to the best
//!    passage, plus [`W_ARTICLE`] × its article's score relative to the
//!    best article. (A bonus for a strong neighbouring passage loses on
//!    every bench, so there is none.)

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use tantivy::Index;

use crate::article::Article;
use crate::error::{Error, Result};
use crate::index::store::{self, BuildReport, Progress};
use crate::index::{self, Prepared, Writer, tokenize};
use crate::query::{Filter, Parsed};
pub use crate::rank::Hit;
use crate::rank::Matcher;
pub use crate::retrieval::{Doc, Stats};
use crate::retrieval::{Facet, Local, Order, Retrieval, Selection, Tally, TermField};

/// Weight of the article's relative score in a passage's final score.
/// Chosen on half of a news QA set (the even documents of ncp_dev) and
/// checked on the other half, cmrc2018 and DRCD.
pub const W_ARTICLE: f32 = 0.65;
/// Articles ranked, whose passages are then ranked and fused with them
/// (more when a search asks for more rows: see [`Engine::retrieve`]).
const ARTICLE_POOL: usize = 50;
/// Most rows `search` returns, whatever is asked.
pub const MAX_TOP: usize = 1000;
/// Passages of those articles ranked before fusing.
const PASSAGE_POOL: usize = 100;
/// Of those articles, the best this many are read and their passages
/// ranked (more when a search asks for more rows). Each is read from the
/// index's store; on ncp_dev, cmrc2018 and DRCD, 20 answered as 50 did.
const PASSAGE_ARTICLES: usize = 20;
/// Times an index replaced while it was being opened is opened again.
const OPEN_ATTEMPTS: usize = 5;

/// A passage quoted verbatim with the article it is from: what a `search`
/// row and an answer's citation share, defined once. Both flatten it into
/// their JSON, so its fields sit among theirs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    pub file: String,
    pub title: String,
    pub source: Option<String>,
    pub date: Option<String>,
    /// Verbatim span of the article's cleaned text, in its own script.
    pub passage: String,
}

impl Quote {
    /// The passage of `doc` at byte span `start..end`.
    pub fn new(doc: &Doc, start: usize, end: usize) -> Quote {
        let a = &doc.article;
        Quote {
            file: a.file.clone(),
            title: a.title.clone(),
            source: a.source.clone(),
            date: a.date.clone(),
            passage: doc.span(start, end).to_owned(),
        }
    }
}

/// One row of `search` output.
#[derive(Debug, Clone, Serialize)]
pub struct SearchRow {
    pub rank: usize,
    #[serde(flatten)]
    pub quote: Quote,
    pub score: f32,
}

/// Loads jieba's dictionary and the script tables (~150 ms) now, not on
/// the first question. Safe to call from several threads at once: each
/// table loads once, and a second caller waits for it.
fn warm_up() {
    let _ = crate::query::parse("預熱");
    let _ = crate::script::is_traditional("預熱");
}

/// Ranking over a retrieval backend.
pub struct Engine {
    retrieval: Box<dyn Retrieval>,
    /// Each source with its folded form, made once: questions are matched
    /// against them ("瑞安日报的报道…").
    folded_sources: Vec<(String, String)>,
}

impl Engine {
    /// Builds an engine over an in-memory index of `articles` (tests).
    pub fn in_ram(articles: Vec<Article>) -> Result<Engine> {
        let index = Index::builder()
            .schema(index::schema().0)
            .settings(index::settings())
            .create_in_ram()?;
        tokenize::register(&index);
        let writer = Writer::new(&index, true)?;
        for ((id, article), ordinal) in articles.iter().enumerate().zip(index::ordinals(&articles)) {
            writer.add(id as u64, &Prepared::new(ordinal, &article.file, article)?)?;
        }
        writer.finish()?;
        Ok(Engine::over(Box::new(Local::new(&index)?)))
    }

    /// Opens the index built at `index_dir` (see [`store`]). Should a build
    /// swap in a new generation and remove the one being opened meanwhile,
    /// the new one is opened instead (a few times at most).
    pub fn open(index_dir: &Path) -> Result<Engine> {
        let current = || index_dir.canonicalize().ok();
        let mut attempt = 0;
        loop {
            let before = current();
            let opened = store::open_index(index_dir).and_then(|index| Local::new(&index));
            match opened {
                Ok(local) => return Ok(Engine::over(Box::new(local))),
                Err(e) if attempt < OPEN_ATTEMPTS && current() != before => {
                    tracing::debug!(error = %e, "the index was replaced while opening it; opening the new one");
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// An engine over any retrieval backend.
    pub fn over(retrieval: Box<dyn Retrieval>) -> Engine {
        warm_up();
        let folded_sources = retrieval
            .stats()
            .sources
            .iter()
            .map(|s| (s.clone(), crate::script::fold(s)))
            .collect();
        Engine {
            retrieval,
            folded_sources,
        }
    }

    /// Opens the index, building or updating it first when it is missing,
    /// stale or corrupt (with a warning through `warn`). Returns the build
    /// report when a build happened.
    ///
    /// A corpus directory that is named (`corpus_dir`) but missing is an
    /// error that names it, even when an index exists: answering from the
    /// index of some other corpus without a word is worse than stopping. An
    /// index used alone (no corpus known) says so through `warn`.
    pub fn open_or_build(
        corpus_dir: Option<&Path>,
        index_dir: &Path,
        progress: Progress,
        warn: &dyn Fn(&str),
    ) -> Result<(Engine, Option<BuildReport>)> {
        // The tables load on another core while the index is checked
        // (the engine waits for them when it is made).
        std::thread::spawn(warm_up);
        let Some(corpus_dir) = corpus_dir else {
            let engine = Engine::open(index_dir)?;
            let built_from = store::read_manifest(index_dir)
                .map(|m| m.corpus_dir.display().to_string())
                .unwrap_or_else(|_| "?".into());
            warn(&format!(
                "using the index at {} as built: its corpus ({built_from}) is not here, so changes to the archive cannot be noticed",
                index_dir.display()
            ));
            return Ok((engine, None));
        };
        if !corpus_dir.is_dir() {
            return Err(Error::NoCorpus {
                path: corpus_dir.to_path_buf(),
            });
        }
        if let Some(report) = store::update_if_stale(corpus_dir, index_dir, progress, warn)? {
            return Engine::open(index_dir).map(|e| (e, Some(report)));
        }
        match Engine::open(index_dir) {
            Ok(engine) => Ok((engine, None)),
            Err(e) => {
                warn(&format!(
                    "rebuilding the index at {}: it is corrupt ({e})",
                    index_dir.display()
                ));
                let report = store::build_full(corpus_dir, index_dir, progress)?;
                Engine::open(index_dir).map(|e| (e, Some(report)))
            }
        }
    }

    /// Opens the index for serving. With live updates (`live`) and the
    /// corpus there, an index that opens is served at once, unchecked: the
    /// reload loop compares it with the corpus in the background (stat-ing
    /// every file of a large archive takes longer than answering).
    /// Otherwise, or when it does not open, as [`Engine::open_or_build`].
    pub fn open_for_serving(
        corpus_dir: Option<&Path>,
        index_dir: &Path,
        live: bool,
        progress: Progress,
        warn: &dyn Fn(&str),
    ) -> Result<(Engine, Option<BuildReport>)> {
        if live
            && corpus_dir.is_some_and(Path::is_dir)
            && let Ok(engine) = Engine::open(index_dir)
        {
            return Ok((engine, None));
        }
        Engine::open_or_build(corpus_dir, index_dir, progress, warn)
    }

    pub fn stats(&self) -> &Stats {
        self.retrieval.stats()
    }

    /// The archive's sources, each with its folded form.
    pub fn folded_sources(&self) -> &[(String, String)] {
        &self.folded_sources
    }

    /// The stored article `id`, if the index holds it.
    pub fn doc(&self, id: usize) -> Option<Arc<Doc>> {
        self.retrieval.doc(id)
    }

    /// The article with that key, if any.
    pub fn doc_by_key(&self, key: &str) -> Option<Arc<Doc>> {
        self.retrieval.doc_by_key(key)
    }

    /// Up to `n` articles of `source` (or of no source, for ""), in the
    /// order they were indexed.
    pub fn docs_of_source(&self, source: &str, n: usize) -> Vec<Arc<Doc>> {
        self.retrieval.docs_of_source(source, n)
    }

    /// How many articles a selection holds, and `limit` of them from
    /// `offset` on in `order` (see [`Retrieval::select`]).
    pub fn select(
        &self,
        selection: &Selection,
        order: Order,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<(usize, f32)>) {
        self.retrieval.select(selection, order, offset, limit.min(MAX_TOP))
    }

    /// Whether some article's byline names this author (folded).
    pub fn has_author(&self, name: &str) -> bool {
        self.retrieval.has_author(name)
    }

    /// A selection's articles counted by source, author or year (see
    /// [`Retrieval::tally`]).
    pub fn tally(&self, selection: &Selection, facet: Facet, limit: usize) -> Tally {
        self.retrieval.tally(selection, facet, limit.min(MAX_TOP))
    }

    /// The best passage of one article for a parsed question.
    pub fn best_passage(&self, parsed: &Parsed, doc: &Arc<Doc>) -> Option<Hit> {
        let idf = |field: TermField, term: &str| self.idf(field, term);
        let matcher = Matcher::new(parsed, &idf)?;
        crate::rank::passages(&matcher, std::slice::from_ref(doc), 1)
            .into_iter()
            .next()
    }

    /// The verbatim text of a hit's passage.
    pub fn passage_text(&self, hit: &Hit) -> String {
        self.doc(hit.article)
            .map(|d| d.span(hit.start, hit.end).to_owned())
            .unwrap_or_default()
    }

    /// Inverse document frequency of a bigram (BM25's form); a term the
    /// archive never uses gets the highest value.
    pub fn idf_bigram(&self, term: &str) -> f32 {
        self.idf(TermField::Bigram, term)
    }

    /// A term's inverse document frequency (BM25's form) over passages,
    /// estimated from the articles that hold it: as many passages hold a
    /// rare term as articles do, out of all passages. (Over articles
    /// instead, the gate refused more and answered less on half of ncp_dev:
    /// cited first 215 vs 220 of 263.)
    fn idf(&self, field: TermField, term: &str) -> f32 {
        let stats = self.stats();
        let n = stats.passages.max(stats.articles) as f32;
        let df = self.retrieval.doc_freq(field, term) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The best passages for a parsed question, ranked with their articles
    /// (see the module comment). Scores are relative: the best passage of
    /// the best article scores about `1 + W_ARTICLE`.
    pub fn retrieve(&self, parsed: &Parsed, limit: usize) -> Vec<Hit> {
        self.retrieve_without(parsed, limit, None)
    }

    /// [`Engine::retrieve`] as if article `without` were not in the
    /// archive: how the answer step's refusals are trained (a question
    /// whose article is missing is a question the archive cannot answer).
    pub fn retrieve_without(&self, parsed: &Parsed, limit: usize, without: Option<usize>) -> Vec<Hit> {
        if parsed.is_empty() || limit == 0 {
            return Vec::new();
        }
        // The pool serves up to PASSAGE_POOL rows; a longer `search` takes
        // as many articles as rows, since each may come from its own.
        let pool = if limit > PASSAGE_POOL { limit } else { ARTICLE_POOL };
        let mut articles = self.retrieve_articles(parsed, pool + usize::from(without.is_some()));
        articles.retain(|&(a, _)| Some(a) != without);
        articles.truncate(pool);
        let top_article = articles.first().map_or(f32::EPSILON, |a| a.1.max(f32::EPSILON));
        let article_score: HashMap<usize, f32> = articles.iter().map(|&(a, s)| (a, s / top_article)).collect();

        let ids: Vec<usize> = articles.iter().map(|&(a, _)| a).collect();
        // Passages come from the best articles only, read back from the
        // index (more when a search asks for more rows than they make).
        let idf = |field: TermField, term: &str| self.idf(field, term);
        let Some(matcher) = Matcher::new(parsed, &idf) else {
            return Vec::new();
        };
        let read = PASSAGE_ARTICLES.max(limit.min(ids.len()));
        let docs: Vec<Arc<Doc>> = ids.iter().take(read).filter_map(|&a| self.doc(a)).collect();
        let passages = crate::rank::passages(&matcher, &docs, PASSAGE_POOL.max(limit));
        let top_passage = passages.iter().map(|h| h.score).fold(f32::EPSILON, f32::max);
        let mut hits: Vec<Hit> = passages
            .into_iter()
            .map(|h| {
                let article = article_score.get(&h.article).copied().unwrap_or(0.0);
                Hit {
                    score: h.score / top_passage + W_ARTICLE * article,
                    article_score: article,
                    ..h
                }
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.place().cmp(&b.place())));
        hits.truncate(limit);
        hits
    }

    /// Whole articles ranked for a question (BM25 over headline and body),
    /// best first, with their raw scores.
    pub fn retrieve_articles(&self, parsed: &Parsed, limit: usize) -> Vec<(usize, f32)> {
        if parsed.is_empty() || limit == 0 {
            return Vec::new();
        }
        self.retrieval.articles(parsed, limit)
    }

    /// `search`: the `top` best passages for free text (at most
    /// [`MAX_TOP`]), under `filter` completed by a period or source the
    /// query names, as [`Engine::ask`] does.
    pub fn search_filtered(&self, query: &str, top: usize, filter: &Filter) -> Vec<SearchRow> {
        let mut parsed = crate::query::parse(query);
        parsed.filter = filter.completed_by(&parsed.filter);
        self.retrieve(&parsed, top.min(MAX_TOP))
            .into_iter()
            .filter_map(|h| Some((h, self.doc(h.article)?)))
            .enumerate()
            .map(|(i, (h, doc))| SearchRow {
                rank: i + 1,
                quote: Quote::new(&doc, h.start, h.end),
                score: h.score,
            })
            .collect()
    }

    /// Articles ranked for a query, for document-level evaluation: each
    /// article by its best passage's fused score, then articles with no
    /// retrieved passage by their own score.
    pub fn rank_articles(&self, query: &str, top: usize) -> Vec<(usize, f32)> {
        let parsed = crate::query::parse(query);
        let mut best: Vec<(usize, f32)> = Vec::new();
        for h in self.retrieve(&parsed, top * 10) {
            let a = h.article;
            if !best.iter().any(|&(x, _)| x == a) {
                best.push((a, h.score));
            }
            if best.len() == top {
                return best;
            }
        }
        for (a, _) in self.retrieve_articles(&parsed, top) {
            if best.len() == top {
                break;
            }
            if !best.iter().any(|&(x, _)| x == a) {
                best.push((a, 0.0));
            }
        }
        best
    }
}
