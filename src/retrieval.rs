//! Retrieval: the seam between ranking and the search engine under it.
//!
//! [`Retrieval`] is what the engine's ranking needs from an index: BM25 over
//! whole articles, a term's rarity, and stored articles by number or key
//! (passages are ranked from those, see [`crate::rank`]). [`Local`]
//! answers it with the tantivy index of [`crate::index`], in this
//! process. Another implementation can answer the same calls from a search
//! cluster (Quickwit serves tantivy indexes across nodes; OpenSearch with a
//! whitespace analyzer over our own tokens), since every query is built
//! from our own terms, never parsed by the engine below (see
//! docs/scaling.md). Fusion, answering and rendering stay the same.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{
    BitSet, DocAddress, DocId, DocSet, Index, IndexReader, Score, Searcher, SegmentOrdinal, SegmentReader, TERMINATED,
    Term,
};

use crate::article::Article;
use crate::error::Result;
use crate::index::{self, Fields};
use crate::query::{Filter, Parsed};

/// Articles kept decoded in memory: a question reads a few dozen, a
/// follow-up or a button press often the same ones again.
const DOC_CACHE: usize = 512;
/// Document frequencies kept: a question has a few dozen terms.
const DF_CACHE: usize = 8192;

/// What the archive holds, for `/about` and summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub articles: usize,
    pub passages: usize,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    /// Distinct sources, most articles first.
    pub sources: Vec<String>,
    /// One more than the highest article number: articles added by a later
    /// update get this number or higher (what a follow's alerts start from).
    pub next_article: u64,
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

/// Which articles a question about the collection means: those under a
/// filter, by an author, on a topic, or any mix of these.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub filter: Filter,
    /// An author, folded, as [`crate::index::author_keys`] cuts bylines.
    pub author: Option<String>,
    /// A topic: an article must hold every bigram of each of its key words
    /// (in its headline or body), and is ranked by BM25 over its terms.
    pub topic: Option<Parsed>,
    /// Only articles numbered this or higher (added since).
    pub since_article: Option<u64>,
}

/// What a tally counts a selection's articles by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Facet {
    /// The source an article names (as written).
    Source,
    /// The authors its byline names (folded, as [`crate::index::author_keys`]
    /// cuts bylines: an article of two authors counts for both).
    Author,
    /// The year of its date (`2021`); an undated article has none.
    Year,
}

/// A selection's articles counted by a [`Facet`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// The articles selected.
    pub articles: usize,
    /// The values with their articles, most first (ties by name; years
    /// newest first), at most as many as asked.
    pub values: Vec<(String, usize)>,
    /// Distinct values among the selected articles.
    pub distinct: usize,
    /// Selected articles that have none (no source, no byline, no date).
    pub without: usize,
}

/// The order a selection is listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Latest publication date first; undated articles last.
    Newest,
    /// Earliest first; undated articles are left out (nothing says when
    /// they appeared).
    Oldest,
    /// Best BM25 score for the topic first (newest first without one).
    Relevance,
}

/// The two ways text is cut into terms (see [`crate::index::tokenize`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TermField {
    Bigram,
    Word,
}

/// What ranking needs from a search engine. Scores are BM25 (relative
/// use only: the engine divides by the best). Implementations are shared
/// by every question at once.
pub trait Retrieval: Send + Sync {
    /// Whole articles (headline and body) for the question's terms under
    /// its filter, best first.
    fn articles(&self, parsed: &Parsed, limit: usize) -> Vec<(usize, f32)>;
    /// How many articles hold a term.
    fn doc_freq(&self, field: TermField, term: &str) -> u64;
    /// The stored article `id`.
    fn doc(&self, id: usize) -> Option<Arc<Doc>>;
    /// The stored article with that key.
    fn doc_by_key(&self, key: &str) -> Option<Arc<Doc>>;
    /// Up to `n` articles of `source` ("" for none), in indexing order.
    fn docs_of_source(&self, source: &str, n: usize) -> Vec<Arc<Doc>>;
    /// How many articles a selection holds, and the `limit` of them from
    /// `offset` on in `order`, with their scores (0 unless by relevance).
    fn select(&self, selection: &Selection, order: Order, offset: usize, limit: usize) -> (usize, Vec<(usize, f32)>);
    /// Whether some article's byline names this author (folded).
    fn has_author(&self, name: &str) -> bool;
    /// The selection's articles counted by source, author or year: the
    /// `limit` values with the most articles (years: the newest).
    fn tally(&self, selection: &Selection, facet: Facet, limit: usize) -> Tally;
    /// What the archive holds.
    fn stats(&self) -> &Stats;
}

/// [`Retrieval`] over the tantivy index of this process.
pub struct Local {
    fields: Fields,
    /// The index as opened (it never changes under an engine).
    searcher: Searcher,
    /// Per segment of `searcher`: the `article_id` column, opened once
    /// (opening a column reads its block index: too slow to repeat for
    /// every hit).
    article_ids: Vec<Column<u64>>,
    stats: Stats,
    /// Articles already read. Both caches recover from a poisoned lock
    /// (`PoisonError::into_inner`): an entry is put whole or not at all.
    docs: Mutex<lru::LruCache<usize, Arc<Doc>>>,
    /// Document frequencies already looked up (every segment's dictionary
    /// each time otherwise; coverage asks for the same few many times).
    df: Mutex<lru::LruCache<(TermField, String), u64>>,
}

fn capacity(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

/// The named `u64` fast field of every segment of `searcher`.
fn columns(searcher: &Searcher, name: &str) -> Result<Vec<Column<u64>>> {
    searcher
        .segment_readers()
        .iter()
        .map(|s| Ok(s.fast_fields().u64(name)?))
        .collect()
}

impl Local {
    /// Reads over an index (tokenizers registered).
    pub fn new(index: &Index) -> Result<Local> {
        let fields = index::fields_of(&index.schema())?;
        // An index never changes under a running engine (updates go to a
        // new generation, opened as a new engine), so no reload watcher
        // thread is needed.
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        let mut stats = stats_of(&searcher, &fields)?;
        let article_ids = columns(&searcher, "article_id")?;
        stats.next_article = article_ids
            .iter()
            .filter(|c| c.num_docs() > 0)
            .map(|c| c.max_value() + 1)
            .max()
            .unwrap_or(0);
        Ok(Local {
            fields,
            searcher,
            article_ids,
            stats,
            docs: Mutex::new(lru::LruCache::new(capacity(DOC_CACHE))),
            df: Mutex::new(lru::LruCache::new(capacity(DF_CACHE))),
        })
    }

    /// The stored article `id`, if the index holds it.
    fn cached(&self, id: usize) -> Option<Arc<Doc>> {
        if let Some(doc) = self.docs.lock().unwrap_or_else(PoisonError::into_inner).get(&id) {
            return Some(doc.clone());
        }
        let doc = self.fetch(Term::from_field_u64(self.fields.article_id, id as u64))?;
        Some(self.remember(doc))
    }

    /// The article with that key, if any (read once, then cached by id).
    fn by_key(&self, key: &str) -> Option<Arc<Doc>> {
        let doc = self.fetch(Term::from_field_text(self.fields.key, key))?;
        Some(self.remember(doc))
    }

    /// Keeps a read article in the cache.
    fn remember(&self, doc: Doc) -> Arc<Doc> {
        let doc = Arc::new(doc);
        self.docs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put(doc.id, doc.clone());
        doc
    }

    /// Reads the one article document matching `term`.
    fn fetch(&self, term: Term) -> Option<Doc> {
        let searcher = &self.searcher;
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score()).ok()?;
        let &(_, addr) = top.first()?;
        let id = self.article_id(addr)?;
        match index::stored_article(searcher, &self.fields, addr) {
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
    fn of_source(&self, source: &str, n: usize) -> Vec<Arc<Doc>> {
        let searcher = &self.searcher;
        let term = Term::from_field_text(self.fields.source, source);
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let Ok(top) = searcher.search(
            &query,
            &TopDocs::with_limit(n).order_by_u64_field("article_id", tantivy::Order::Asc),
        ) else {
            return Vec::new();
        };
        top.into_iter().filter_map(|(id, _)| self.doc(id? as usize)).collect()
    }

    /// How many articles hold a term.
    fn term_df(&self, field: TermField, term: &str) -> u64 {
        let key = (field, term.to_owned());
        if let Some(&df) = self.df.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return df;
        }
        let f = match field {
            TermField::Bigram => self.fields.bigrams,
            TermField::Word => self.fields.words,
        };
        let df = self.searcher.doc_freq(&Term::from_field_text(f, term)).unwrap_or(0);
        self.df.lock().unwrap_or_else(PoisonError::into_inner).put(key, df);
        df
    }

    /// A hit's article number.
    fn article_id(&self, addr: DocAddress) -> Option<usize> {
        let column = self.article_ids.get(addr.segment_ord as usize)?;
        column.first(addr.doc_id).map(|v| v as usize)
    }

    /// Whole articles ranked for a question (BM25 over headline and body),
    /// best first, with their raw scores. The headline is not boosted on
    /// top: it is already part of the document, and a boost lost on ncp_dev.
    pub fn retrieve_articles(&self, parsed: &Parsed, limit: usize) -> Vec<(usize, f32)> {
        if parsed.is_empty() || limit == 0 {
            return Vec::new();
        }
        let f = &self.fields;
        let mut terms: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // Bigrams (recall) and words (precision) count alike.
        for b in &parsed.bigrams {
            terms.push(term_clause(f.bigrams, b));
        }
        for w in &parsed.words {
            terms.push(term_clause(f.words, w));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(terms)))];
        clauses.extend(filter_query(&parsed.filter, f.date_num, f.source_key).map(|q| (Occur::Must, q)));
        let Ok(top) = self.searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        ) else {
            return Vec::new();
        };
        top.into_iter()
            .filter_map(|(score, addr)| Some((self.article_id(addr)?, score)))
            .collect()
    }
}

impl Local {
    /// [`Retrieval::select`]: one query (filter, author and topic as
    /// required clauses, the topic's terms for the score), counted with
    /// tantivy's `Count` and paged with `TopDocs` by score or by the
    /// `date_num` fast field: a count or a page costs the postings of a few
    /// terms, never a read of the articles.
    fn selected(&self, sel: &Selection, order: Order, offset: usize, limit: usize) -> (usize, Vec<(usize, f32)>) {
        let Some((query, by_score)) = self.selection_query(sel, order) else {
            return (0, Vec::new());
        };
        let total = self.searcher.search(&query, &tantivy::collector::Count).unwrap_or(0);
        if limit == 0 || offset >= total {
            return (total, Vec::new());
        }
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let page: Vec<(f32, DocAddress)> = if by_score {
            self.searcher.search(&query, &top.order_by_score()).unwrap_or_default()
        } else {
            let dir = if order == Order::Oldest {
                tantivy::Order::Asc
            } else {
                tantivy::Order::Desc
            };
            self.searcher
                .search(&query, &top.order_by_u64_field("date_num", dir))
                .unwrap_or_default()
                .into_iter()
                .map(|(_, addr)| (0.0, addr))
                .collect()
        };
        let rows = page
            .into_iter()
            .filter_map(|(score, addr)| Some((self.article_id(addr)?, score)))
            .collect();
        (total, rows)
    }

    /// The query that selects `sel`'s articles, and whether its score
    /// orders them (a topic listed by relevance); `None` when it can
    /// select nothing (a topic with no term to require).
    fn selection_query(&self, sel: &Selection, order: Order) -> Option<(Box<dyn Query>, bool)> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(q) = filter_query(&sel.filter, f.date_num, f.source_key) {
            clauses.push((Occur::Must, q));
        }
        if let Some(author) = &sel.author {
            let q = TermQuery::new(Term::from_field_text(f.author_key, author), IndexRecordOption::Basic);
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(q), 0.0))));
        }
        if let Some(first) = sel.since_article {
            let newer = RangeQuery::new(
                Bound::Included(Term::from_field_u64(f.article_id, first)),
                Bound::Unbounded,
            );
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(newer), 0.0))));
        }
        if order == Order::Oldest {
            let dated = RangeQuery::new(Bound::Included(Term::from_field_u64(f.date_num, 1)), Bound::Unbounded);
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(dated), 0.0))));
        }
        let mut by_score = false;
        if let Some(topic) = &sel.topic {
            let mut required = 0;
            // A one-character topic (雪) has no bigram: its word is required.
            for w in topic.words.iter().filter(|w| crate::query::is_single_topic_char(w)) {
                let q = TermQuery::new(Term::from_field_text(f.words, w), IndexRecordOption::Basic);
                clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(q), 0.0))));
                required += 1;
            }
            for word in &topic.key_words {
                for b in &word.bigrams {
                    let q = TermQuery::new(Term::from_field_text(f.bigrams, b), IndexRecordOption::Basic);
                    clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(q), 0.0))));
                    required += 1;
                }
            }
            if required == 0 {
                return None; // a topic with nothing to require
            }
            let mut terms: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for b in &topic.bigrams {
                terms.push(term_clause(f.bigrams, b));
            }
            for w in &topic.words {
                terms.push(term_clause(f.words, w));
            }
            if !terms.is_empty() {
                clauses.push((Occur::Should, Box::new(BooleanQuery::new(terms))));
            }
            by_score = order == Order::Relevance;
        }
        let query: Box<dyn Query> = if clauses.is_empty() {
            Box::new(tantivy::query::AllQuery)
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        Some((query, by_score))
    }

    /// [`Retrieval::tally`]: the selection's articles as a bit set per
    /// segment, then one pass over the postings of the facet's terms (an
    /// article is in its source's postings and in each of its authors'):
    /// the cost of reading the field's postings once, never the articles.
    fn tallied(&self, sel: &Selection, facet: Facet, limit: usize) -> Tally {
        let Some((query, _)) = self.selection_query(sel, Order::Newest) else {
            return Tally::default();
        };
        let Ok(matched) = self.searcher.search(&query, &Matched) else {
            return Tally::default();
        };
        let field = match facet {
            Facet::Source => self.fields.source,
            Facet::Author => self.fields.author_key,
            Facet::Year => self.fields.date_num,
        };
        let mut counts: HashMap<String, usize> = HashMap::new();
        let (mut articles, mut valued) = (0, 0);
        for (ord, selected) in matched {
            articles += selected.len();
            let Some(segment) = self.searcher.segment_readers().get(ord as usize) else {
                continue;
            };
            let mut named = BitSet::with_max_value(segment.max_doc());
            let Ok(inverted) = segment.inverted_index(field) else {
                continue;
            };
            let Ok(mut terms) = inverted.terms().stream() else {
                continue;
            };
            while terms.advance() {
                let value = match facet {
                    // `date_num` terms are big-endian u64 `YYYYMMDD`, 0 undated.
                    Facet::Year => match <[u8; 8]>::try_from(terms.key()).map(u64::from_be_bytes) {
                        Ok(d) if d > 0 => (d / 10_000).to_string(),
                        _ => continue,
                    },
                    _ if terms.key().is_empty() => continue, // an article that names none
                    _ => String::from_utf8_lossy(terms.key()).into_owned(),
                };
                let Ok(mut postings) = inverted.read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
                else {
                    continue;
                };
                let mut n = 0;
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    if selected.contains(doc) {
                        n += 1;
                        named.insert(doc);
                    }
                    doc = postings.advance();
                }
                if n > 0 {
                    *counts.entry(value).or_default() += n;
                }
            }
            valued += named.len();
        }
        let mut values: Vec<(String, usize)> = counts.into_iter().collect();
        if facet == Facet::Year {
            values.sort_by(|a, b| b.0.cmp(&a.0));
        } else {
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        }
        let distinct = values.len();
        values.truncate(limit);
        Tally {
            articles,
            values,
            distinct,
            without: articles.saturating_sub(valued),
        }
    }
}

/// Collects the documents a query matches as one bit set per segment (a
/// tally tests each posting against it: a bit, not a hash lookup).
struct Matched;

struct MatchedIn {
    ord: SegmentOrdinal,
    docs: BitSet,
}

impl Collector for Matched {
    type Fruit = Vec<(SegmentOrdinal, BitSet)>;
    type Child = MatchedIn;

    fn for_segment(&self, ord: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<MatchedIn> {
        Ok(MatchedIn {
            ord,
            docs: BitSet::with_max_value(segment.max_doc()),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<(SegmentOrdinal, BitSet)>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits)
    }
}

impl SegmentCollector for MatchedIn {
    type Fruit = (SegmentOrdinal, BitSet);

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.docs.insert(doc);
    }

    fn harvest(self) -> Self::Fruit {
        (self.ord, self.docs)
    }
}

impl Retrieval for Local {
    fn articles(&self, parsed: &Parsed, limit: usize) -> Vec<(usize, f32)> {
        self.retrieve_articles(parsed, limit)
    }

    fn doc_freq(&self, field: TermField, term: &str) -> u64 {
        self.term_df(field, term)
    }

    fn doc(&self, id: usize) -> Option<Arc<Doc>> {
        self.cached(id)
    }

    fn doc_by_key(&self, key: &str) -> Option<Arc<Doc>> {
        self.by_key(key)
    }

    fn docs_of_source(&self, source: &str, n: usize) -> Vec<Arc<Doc>> {
        self.of_source(source, n)
    }

    fn select(&self, selection: &Selection, order: Order, offset: usize, limit: usize) -> (usize, Vec<(usize, f32)>) {
        self.selected(selection, order, offset, limit)
    }

    fn has_author(&self, name: &str) -> bool {
        let term = Term::from_field_text(self.fields.author_key, name);
        self.searcher.doc_freq(&term).unwrap_or(0) > 0
    }

    fn tally(&self, selection: &Selection, facet: Facet, limit: usize) -> Tally {
        self.tallied(selection, facet, limit)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// A term that adds its BM25 score where it occurs.
fn term_clause(field: Field, text: &str) -> (Occur, Box<dyn Query>) {
    let q = TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs);
    (Occur::Should, Box::new(q))
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

/// The archive's summary, read from the index's dictionaries (dates and
/// sources are indexed terms) and passage counts, not from the articles. Terms of
/// articles deleted by an update linger until their segment is merged, so
/// a date or source may outlive its last article for a while.
fn stats_of(searcher: &Searcher, fields: &Fields) -> Result<Stats> {
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
        passages: index::passage_count(searcher)?,
        first_date: dated.iter().min().map(|&d| show(d)),
        last_date: dated.iter().max().map(|&d| show(d)),
        sources: counts.into_iter().map(|(s, _)| s).collect(),
        next_article: 0,
    })
}
