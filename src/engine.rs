//! The engine: the articles, their passages and the tantivy indexes behind
//! them, held together so that a question needs nothing else. Built in RAM
//! (tests, small corpora) or opened from disk by [`crate::index::store`].
//! Shared read-only (`Arc<Engine>`) by every command and the bot.
//!
//! Ranking is article-aware. Passages are what is quoted, but a passage is
//! ranked with the article around it, because news states the who and the
//! where once, often only in the headline:
//!
//! 1. the article index ranks whole articles (headline + body);
//! 2. the passage index ranks passages, once over the whole archive and once
//!    within the best articles (so their passages compete even when their
//!    own words are weak);
//! 3. each passage's score becomes its BM25 score relative to the best
//!    passage, plus [`W_ARTICLE`] × its article's score relative to the
//!    best article. (A bonus for a strong neighbouring passage was measured
//!    too and lost on every bench, so there is none.)

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use std::ops::Bound;
use tantivy::collector::TopDocs;

use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Index, IndexReader, Searcher, Term};

use crate::article::Article;
use crate::error::Result;
use crate::index::{self, ArticleFields, Fields, Prepared, Writers, tokenize};
use crate::query::{Filter, Parsed};

/// Boosts of the passage index's fields: bigrams for recall, words for
/// precision, the article title as light context.
const BOOST_BIGRAMS: f32 = 1.0;
const BOOST_WORDS: f32 = 1.0;
const BOOST_TITLE: f32 = 0.3;
/// Weight of the article's relative score in a passage's final score.
/// Chosen on half of a news QA set (the even documents of ncp_dev) and
/// checked on the other half, cmrc2018 and DRCD.
pub const W_ARTICLE: f32 = 0.65;
/// Articles ranked before passages are fused with them.
const ARTICLE_POOL: usize = 50;
/// The best articles whose passages are searched on their own as well.
const ARTICLE_FOCUS: usize = 10;
/// Most rows `search` returns, whatever is asked.
pub const MAX_TOP: usize = 1000;
/// Passages ranked over the whole archive before fusing.
const PASSAGE_POOL: usize = 100;
/// Articles kept decoded in memory: a question reads a few dozen, a
/// follow-up or a button press often the same ones again.
const DOC_CACHE: usize = 512;

/// A retrieved passage: the byte span `start..end` of article `article`'s
/// text, and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub article: usize,
    pub start: usize,
    pub end: usize,
    pub score: f32,
}

impl Hit {
    /// What identifies the passage, whatever its score.
    fn place(&self) -> (usize, usize) {
        (self.article, self.start)
    }
}

/// One row of `search` output.
#[derive(Debug, Clone, Serialize)]
pub struct SearchRow {
    pub rank: usize,
    pub file: String,
    pub title: String,
    pub source: Option<String>,
    pub date: Option<String>,
    pub passage: String,
    pub score: f32,
}

/// What the archive holds, for `/about` and summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub articles: usize,
    pub passages: usize,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    /// Distinct sources, most articles first.
    pub sources: Vec<String>,
}

/// One stored article, as read back from the index for a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    /// The article's number in this index.
    pub id: usize,
    /// Its short stable key (citations, buttons).
    pub key: String,
    pub article: Article,
    /// [`Article::text`], which passage spans index into.
    pub text: String,
}

impl Doc {
    /// The text of a byte span (empty if the span does not fit: an index
    /// is never trusted to panic the process).
    pub fn span(&self, start: usize, end: usize) -> &str {
        self.text.get(start..end).unwrap_or("")
    }
}

/// The two indexes and what is derived from them when they are opened
/// (nothing proportional to the archive's size is loaded: articles are read
/// for the hits of each question).
pub struct Engine {
    fields: Fields,
    reader: IndexReader,
    article_fields: ArticleFields,
    article_reader: IndexReader,
    stats: Stats,
    /// Each source with its folded form, made once: questions are matched
    /// against them ("瑞安日报的报道…").
    folded_sources: Vec<(String, String)>,
    num_docs: u64,
    docs: Mutex<lru::LruCache<usize, Arc<Doc>>>,
}

/// For each article, its place among the articles of the same file that
/// carry the same label: what its key is made of.
pub fn ordinals(articles: &[Article]) -> Vec<usize> {
    let mut out = Vec::with_capacity(articles.len());
    for (i, a) in articles.iter().enumerate() {
        let same = articles[..i].iter().rev().take_while(|b| b.file == a.file).count();
        out.push(same);
    }
    out
}

impl Engine {
    /// Builds an engine with an in-memory index (tests, `eval` on benches).
    pub fn in_ram(articles: Vec<Article>) -> Result<Engine> {
        let (schema, _) = index::schema();
        let index = Index::create_in_ram(schema);
        tokenize::register(&index);
        let (schema, _) = index::article_schema();
        let article_index = Index::builder()
            .schema(schema)
            .settings(index::article_settings())
            .create_in_ram()?;
        tokenize::register(&article_index);
        let writers = Writers::new(&index, &article_index)?;
        for ((id, article), ordinal) in articles.iter().enumerate().zip(ordinals(&articles)) {
            writers.add(id as u64, &Prepared::new(ordinal, &article.file, article)?)?;
        }
        writers.finish()?;
        Engine::assemble(&index, &article_index)
    }

    /// Opens an engine over two indexes (tokenizers registered).
    pub(crate) fn assemble(index: &Index, article_index: &Index) -> Result<Engine> {
        let fields = index::fields_of(&index.schema())?;
        let article_fields = index::article_fields_of(&article_index.schema())?;
        // The index never changes under a running engine (updates go to a
        // new generation, opened as a new engine), so no reload watcher
        // thread is needed.
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
        let article_reader: IndexReader = article_index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
        let num_docs = reader.searcher().num_docs();
        // Load jieba's dictionary and the script tables now, not on the
        // first question (~150 ms).
        let _ = crate::query::parse("預熱");
        let _ = crate::script::is_traditional("預熱");
        let stats = stats_of(&article_reader.searcher(), &article_fields, num_docs as usize)?;
        let folded_sources = stats
            .sources
            .iter()
            .map(|s| (s.clone(), crate::script::fold(s)))
            .collect();
        let cache = lru::LruCache::new(NonZeroUsize::new(DOC_CACHE).unwrap_or(NonZeroUsize::MIN));
        Ok(Engine {
            fields,
            reader,
            article_fields,
            article_reader,
            stats,
            folded_sources,
            num_docs,
            docs: Mutex::new(cache),
        })
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The archive's sources, each with its folded form.
    pub fn folded_sources(&self) -> &[(String, String)] {
        &self.folded_sources
    }

    /// The stored article `id`, if the index holds it.
    pub fn doc(&self, id: usize) -> Option<Arc<Doc>> {
        if let Some(doc) = self.docs.lock().ok()?.get(&id) {
            return Some(doc.clone());
        }
        let term = Term::from_field_u64(self.article_fields.article_id, id as u64);
        let doc = Arc::new(self.fetch(term)?);
        if let Ok(mut cache) = self.docs.lock() {
            cache.put(id, doc.clone());
        }
        Some(doc)
    }

    /// The article with that key, if any.
    pub fn doc_by_key(&self, key: &str) -> Option<Arc<Doc>> {
        let doc = self.fetch(Term::from_field_text(self.article_fields.key, key))?;
        self.doc(doc.id)
    }

    /// Reads the one article document matching `term`.
    fn fetch(&self, term: Term) -> Option<Doc> {
        let searcher = self.article_reader.searcher();
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score()).ok()?;
        let &(_, addr) = top.first()?;
        let id = index::fast_u64(&searcher, addr, "article_id")? as usize;
        match index::stored_article(&searcher, &self.article_fields, addr) {
            Ok((key, article)) => {
                let text = article.text();
                Some(Doc { id, key, article, text })
            }
            Err(e) => {
                tracing::warn!(error = %e, article = id, "a stored article cannot be read");
                None
            }
        }
    }

    /// Up to `n` articles of `source` (or of no source, for ""), in the
    /// order they were indexed.
    pub fn docs_of_source(&self, source: &str, n: usize) -> Vec<Arc<Doc>> {
        let searcher = self.article_reader.searcher();
        let term = Term::from_field_text(self.article_fields.source, source);
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let Ok(top) = searcher.search(
            &query,
            &TopDocs::with_limit(n).order_by_u64_field("article_id", tantivy::Order::Asc),
        ) else {
            return Vec::new();
        };
        top.into_iter().filter_map(|(id, _)| self.doc(id? as usize)).collect()
    }

    /// The verbatim text of a hit's passage.
    pub fn passage_text(&self, hit: &Hit) -> String {
        self.doc(hit.article)
            .map(|d| d.span(hit.start, hit.end).to_owned())
            .unwrap_or_default()
    }

    /// Inverse document frequency of a bigram over passages (BM25's form);
    /// a term the archive never uses gets the highest value.
    pub fn idf_bigram(&self, term: &str) -> f32 {
        let searcher = self.reader.searcher();
        let df = searcher
            .doc_freq(&Term::from_field_text(self.fields.bigrams, term))
            .unwrap_or(0) as f32;
        let n = self.num_docs as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The best passages for a parsed question, ranked with their articles
    /// (see the module comment). Scores are relative: the best passage of
    /// the best article scores about `1 + W_ARTICLE`.
    pub fn retrieve(&self, parsed: &Parsed, limit: usize) -> Vec<Hit> {
        if parsed.is_empty() || limit == 0 {
            return Vec::new();
        }
        let articles = self.retrieve_articles(parsed, ARTICLE_POOL);
        let top_article = articles.first().map_or(f32::EPSILON, |a| a.1.max(f32::EPSILON));
        let article_score: HashMap<usize, f32> = articles.iter().map(|&(a, s)| (a, s / top_article)).collect();

        let searcher = self.reader.searcher();
        let text = self.passage_query(parsed);
        let filter = filter_query(&parsed.filter, self.fields.date_num, self.fields.source_key);
        let mut raw: HashMap<(usize, usize), Hit> = HashMap::new();
        let mut run = |extra: Option<Box<dyn Query>>| {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text.box_clone())];
            clauses.extend(filter.iter().map(|f| (Occur::Must, f.box_clone())));
            clauses.extend(extra.map(|q| (Occur::Must, q)));
            for hit in self.top_passages(&searcher, &BooleanQuery::new(clauses), PASSAGE_POOL.max(limit)) {
                raw.insert(hit.place(), hit);
            }
        };
        run(None);
        let focus: Vec<Term> = articles
            .iter()
            .take(ARTICLE_FOCUS)
            .map(|&(a, _)| Term::from_field_u64(self.fields.article_id, a as u64))
            .collect();
        if !focus.is_empty() {
            run(Some(Box::new(ConstScoreQuery::new(
                Box::new(TermSetQuery::new(focus)),
                0.0,
            ))));
        }
        let top_passage = raw.values().map(|h| h.score).fold(f32::EPSILON, f32::max);
        let mut hits: Vec<Hit> = raw
            .into_values()
            .map(|h| Hit {
                score: h.score / top_passage + W_ARTICLE * article_score.get(&h.article).copied().unwrap_or(0.0),
                ..h
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.place().cmp(&b.place())));
        hits.truncate(limit);
        hits
    }

    /// The passage index's query for a question's terms.
    fn passage_query(&self, parsed: &Parsed) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for b in &parsed.bigrams {
            clauses.push(term_clause(self.fields.bigrams, b, BOOST_BIGRAMS));
            clauses.push(term_clause(self.fields.title, b, BOOST_TITLE));
        }
        for w in &parsed.words {
            clauses.push(term_clause(self.fields.words, w, BOOST_WORDS));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    fn top_passages(&self, searcher: &Searcher, query: &dyn Query, limit: usize) -> Vec<Hit> {
        let Ok(top) = searcher.search(query, &TopDocs::with_limit(limit).order_by_score()) else {
            return Vec::new();
        };
        top.into_iter()
            .filter_map(|(score, addr)| {
                let field = |name| index::fast_u64(searcher, addr, name).map(|v| v as usize);
                Some(Hit {
                    article: field("article_id")?,
                    start: field("start")?,
                    end: field("end")?,
                    score,
                })
            })
            .collect()
    }

    /// Whole articles ranked for a question (BM25 over headline and body),
    /// best first, with their raw scores. The headline is not boosted on
    /// top: it is already part of the document, and a boost lost on ncp_dev.
    pub fn retrieve_articles(&self, parsed: &Parsed, limit: usize) -> Vec<(usize, f32)> {
        if parsed.is_empty() || limit == 0 {
            return Vec::new();
        }
        let f = &self.article_fields;
        let mut terms: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for b in &parsed.bigrams {
            terms.push(term_clause(f.bigrams, b, BOOST_BIGRAMS));
        }
        for w in &parsed.words {
            terms.push(term_clause(f.words, w, BOOST_WORDS));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(terms)))];
        clauses.extend(filter_query(&parsed.filter, f.date_num, f.source_key).map(|q| (Occur::Must, q)));
        let searcher = self.article_reader.searcher();
        let Ok(top) = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        ) else {
            return Vec::new();
        };
        top.into_iter()
            .filter_map(|(score, addr)| Some((index::fast_u64(&searcher, addr, "article_id")? as usize, score)))
            .collect()
    }

    /// `search`: the `top` best passages for free text.
    pub fn search(&self, query: &str, top: usize) -> Vec<SearchRow> {
        self.search_filtered(query, top, &Filter::default())
    }

    /// `search` restricted by `filter` (on top of a period the query names).
    /// At most [`MAX_TOP`] rows.
    pub fn search_filtered(&self, query: &str, top: usize, filter: &Filter) -> Vec<SearchRow> {
        let mut parsed = crate::query::parse(query);
        if !filter.is_empty() {
            parsed.filter = filter.clone();
        }
        self.retrieve(&parsed, top.min(MAX_TOP))
            .into_iter()
            .filter_map(|h| Some((h, self.doc(h.article)?)))
            .enumerate()
            .map(|(i, (h, doc))| SearchRow {
                rank: i + 1,
                file: doc.article.file.clone(),
                title: doc.article.title.clone(),
                source: doc.article.source.clone(),
                date: doc.article.date.clone(),
                passage: doc.span(h.start, h.end).to_owned(),
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

fn term_clause(field: Field, text: &str, boost: f32) -> (Occur, Box<dyn Query>) {
    let q = TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs);
    (Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost)))
}

/// The filter as a query that matches without scoring, or `None` when the
/// filter restricts nothing. An article without a date passes a date filter
/// unless the filter asks for dated articles only.
fn filter_query(filter: &Filter, date_field: Field, source_field: Field) -> Option<Box<dyn Query>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let since = index::date_num(filter.since.as_deref());
    let until = index::date_num(filter.until.as_deref());
    if since > 0 || until > 0 {
        let bound = |d: u64, f: fn(Term) -> Bound<Term>| {
            if d > 0 {
                f(Term::from_field_u64(date_field, d))
            } else {
                Bound::Unbounded
            }
        };
        let lower = if since > 0 {
            bound(since, Bound::Included)
        } else {
            Bound::Included(Term::from_field_u64(date_field, 1))
        };
        let range: Box<dyn Query> = Box::new(RangeQuery::new(lower, bound(until, Bound::Included)));
        let dated: Box<dyn Query> = if filter.dated_only {
            range
        } else {
            let undated = TermQuery::new(Term::from_field_u64(date_field, 0), IndexRecordOption::Basic);
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, range),
                (Occur::Should, Box::new(undated)),
            ]))
        };
        clauses.push((Occur::Must, dated));
    }
    if let Some(source) = filter.source.as_deref() {
        let key = index::source_key(source);
        let q = TermQuery::new(Term::from_field_text(source_field, &key), IndexRecordOption::Basic);
        clauses.push((Occur::Must, Box::new(q)));
    }
    if clauses.is_empty() {
        return None;
    }
    Some(Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::new(clauses)),
        0.0,
    )))
}

fn dictionary_error(e: std::io::Error) -> crate::Error {
    crate::Error::Index(format!("a term dictionary cannot be read: {e}"))
}

/// The archive's summary, read from the article index's dictionaries
/// (dates and sources are indexed terms), not from the articles. Terms of
/// articles deleted by an update linger until their segment is merged, so
/// a date or source may outlive its last article for a while.
fn stats_of(searcher: &Searcher, fields: &ArticleFields, passages: usize) -> Result<Stats> {
    let mut dates: Vec<u64> = Vec::new();
    let mut sources: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(fields.date_num)?;
        let mut terms = inverted.terms().stream().map_err(dictionary_error)?;
        while terms.advance() {
            if let Ok(bytes) = <[u8; 8]>::try_from(terms.key()) {
                dates.push(u64::from_be_bytes(bytes));
            }
        }
        let inverted = segment.inverted_index(fields.source)?;
        let mut terms = inverted.terms().stream().map_err(dictionary_error)?;
        while terms.advance() {
            let name = String::from_utf8_lossy(terms.key()).into_owned();
            if !name.is_empty() {
                *sources.entry(name).or_default() += u64::from(terms.value().doc_freq);
            }
        }
    }
    let dated: Vec<u64> = dates.into_iter().filter(|&d| d > 0).collect();
    let show = |d: u64| format!("{:04}-{:02}-{:02}", d / 10000, d / 100 % 100, d % 100);
    let mut counts: Vec<(String, u64)> = sources.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Stats {
        articles: searcher.num_docs() as usize,
        passages,
        first_date: dated.iter().min().map(|&d| show(d)),
        last_date: dated.iter().max().map(|&d| show(d)),
        sources: counts.into_iter().map(|(s, _)| s).collect(),
    })
}
