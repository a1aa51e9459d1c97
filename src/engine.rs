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

use serde::Serialize;
use std::ops::Bound;
use tantivy::collector::TopDocs;

use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Index, IndexReader, Searcher, Term};

use crate::article::Article;
use crate::error::Result;
use crate::index::{self, ArticleFields, Fields, tokenize};
use crate::passage::{self, Passage};
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

/// A retrieved passage and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub passage: usize,
    pub score: f32,
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

/// Articles, passages and their index.
pub struct Engine {
    articles: Vec<Article>,
    texts: Vec<String>,
    keys: Vec<String>,
    key_index: HashMap<String, usize>,
    passages: Vec<Passage>,
    fields: Fields,
    reader: IndexReader,
    article_fields: ArticleFields,
    article_reader: IndexReader,
    stats: Stats,
    /// Each source with its folded form, made once: questions are matched
    /// against them ("瑞安日报的报道…").
    folded_sources: Vec<(String, String)>,
    num_docs: u64,
}

/// Every article's passages, in article order.
pub fn passages_of(texts: &[String]) -> Vec<Passage> {
    texts
        .iter()
        .enumerate()
        .flat_map(|(i, t)| passage::split(i, t))
        .collect()
}

impl Engine {
    /// Builds an engine with an in-memory index (tests, `eval` on benches).
    pub fn in_ram(articles: Vec<Article>) -> Result<Engine> {
        let (schema, fields) = index::schema();
        let index = Index::create_in_ram(schema);
        tokenize::register(&index);
        let texts: Vec<String> = articles.iter().map(Article::text).collect();
        let passages = passages_of(&texts);
        index::write_passages(&index, &fields, &articles, &texts, &passages, &|_| {})?;
        let (schema, article_fields) = index::article_schema();
        let article_index = Index::create_in_ram(schema);
        tokenize::register(&article_index);
        index::write_articles(&article_index, &article_fields, &articles, &texts)?;
        Engine::assemble(articles, texts, passages, &index, &article_index)
    }

    /// Ties loaded articles to an opened index (tokenizers registered).
    pub(crate) fn assemble(
        articles: Vec<Article>,
        texts: Vec<String>,
        passages: Vec<Passage>,
        index: &Index,
        article_index: &Index,
    ) -> Result<Engine> {
        let fields = index::fields_of(&index.schema())?;
        let article_fields = index::article_fields_of(&article_index.schema())?;
        // The index never changes under a running engine (rebuilds go to a
        // new directory), so no reload watcher thread is needed.
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
        let article_reader: IndexReader = article_index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
        let num_docs = reader.searcher().num_docs();
        if num_docs != passages.len() as u64 {
            return Err(crate::Error::Index(format!(
                "index holds {num_docs} passages but the articles make {}",
                passages.len()
            )));
        }
        let num_articles = article_reader.searcher().num_docs();
        if num_articles != articles.len() as u64 {
            return Err(crate::Error::Index(format!(
                "article index holds {num_articles} articles but there are {}",
                articles.len()
            )));
        }
        // Load jieba's dictionary and the script tables now, not on the
        // first question (~150 ms).
        let _ = crate::query::parse("預熱");
        let _ = crate::script::is_traditional("預熱");
        let keys = article_keys(&articles);
        let key_index = keys.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect();
        let stats = stats_of(&articles, passages.len());
        let folded_sources = stats
            .sources
            .iter()
            .map(|s| (s.clone(), crate::script::fold(s)))
            .collect();
        Ok(Engine {
            articles,
            texts,
            keys,
            key_index,
            passages,
            fields,
            reader,
            article_fields,
            article_reader,
            stats,
            folded_sources,
            num_docs,
        })
    }

    pub fn articles(&self) -> &[Article] {
        &self.articles
    }

    pub fn passages(&self) -> &[Passage] {
        &self.passages
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The archive's sources, each with its folded form.
    pub fn folded_sources(&self) -> &[(String, String)] {
        &self.folded_sources
    }

    /// An article's cleaned text (what passage spans index into).
    pub fn text(&self, article: usize) -> &str {
        &self.texts[article]
    }

    /// The verbatim text of a passage.
    pub fn passage_text(&self, passage: usize) -> &str {
        let p = &self.passages[passage];
        &self.texts[p.article][p.start..p.end]
    }

    /// A short stable key for an article (fits Telegram callback data).
    pub fn key(&self, article: usize) -> &str {
        &self.keys[article]
    }

    /// The article with that key, if any.
    pub fn article_by_key(&self, key: &str) -> Option<(usize, &Article)> {
        let &i = self.key_index.get(key)?;
        Some((i, &self.articles[i]))
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
        let mut raw: HashMap<usize, f32> = HashMap::new();
        let mut run = |extra: Option<Box<dyn Query>>| {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text.box_clone())];
            clauses.extend(filter.iter().map(|f| (Occur::Must, f.box_clone())));
            clauses.extend(extra.map(|q| (Occur::Must, q)));
            for (passage, score) in self.top_passages(&searcher, &BooleanQuery::new(clauses), PASSAGE_POOL.max(limit)) {
                raw.insert(passage, score);
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
        let top_passage = raw.values().copied().fold(f32::EPSILON, f32::max);
        let relative = |p: usize| raw.get(&p).map_or(0.0, |s| s / top_passage);
        let mut hits: Vec<Hit> = raw
            .keys()
            .map(|&p| {
                let article = self.passages[p].article;
                let score = relative(p) + W_ARTICLE * article_score.get(&article).copied().unwrap_or(0.0);
                Hit { passage: p, score }
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.passage.cmp(&b.passage)));
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

    fn top_passages(&self, searcher: &Searcher, query: &dyn Query, limit: usize) -> Vec<(usize, f32)> {
        let Ok(top) = searcher.search(query, &TopDocs::with_limit(limit).order_by_score()) else {
            return Vec::new();
        };
        top.into_iter()
            .filter_map(|(score, addr)| {
                let passage = index::passage_id(searcher, addr)?;
                (passage < self.passages.len()).then_some((passage, score))
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
            .filter_map(|(score, addr)| {
                let article = index::article_id(&searcher, addr)?;
                (article < self.articles.len()).then_some((article, score))
            })
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
            .enumerate()
            .map(|(i, h)| {
                let a = &self.articles[self.passages[h.passage].article];
                SearchRow {
                    rank: i + 1,
                    file: a.file.clone(),
                    title: a.title.clone(),
                    source: a.source.clone(),
                    date: a.date.clone(),
                    passage: self.passage_text(h.passage).to_owned(),
                    score: h.score,
                }
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
            let a = self.passages[h.passage].article;
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

/// 12 hex digits of a hash of file and position: stable across rebuilds,
/// short enough for Telegram's 64-byte callback data.
fn article_keys(articles: &[Article]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut keys = Vec::with_capacity(articles.len());
    let mut ordinal_in_file = 0;
    for (i, a) in articles.iter().enumerate() {
        ordinal_in_file = if i > 0 && articles[i - 1].file == a.file {
            ordinal_in_file + 1
        } else {
            0
        };
        let hash = crate::corpus::sha256_hex(format!("{}\0{ordinal_in_file}", a.file).as_bytes());
        let mut key = hash[..12].to_owned();
        let mut bump = 0;
        while seen.contains_key(&key) {
            bump += 1;
            key = format!("{}{bump}", &hash[..11]);
        }
        seen.insert(key.clone(), i);
        keys.push(key);
    }
    keys
}

fn stats_of(articles: &[Article], passages: usize) -> Stats {
    let mut dates: Vec<&str> = articles.iter().filter_map(|a| a.date.as_deref()).collect();
    dates.sort_unstable();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for s in articles.iter().filter_map(|a| a.source.as_deref()) {
        match counts.iter_mut().find(|(x, _)| x == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s.to_owned(), 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Stats {
        articles: articles.len(),
        passages,
        first_date: dates.first().map(|d| d.to_string()),
        last_date: dates.last().map(|d| d.to_string()),
        sources: counts.into_iter().map(|(s, _)| s).collect(),
    }
}
