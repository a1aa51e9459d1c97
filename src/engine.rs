//! The engine: the articles, their passages and the tantivy index behind
//! them, held together so that a question needs nothing else. Built in RAM
//! (tests, small corpora) or opened from disk by [`crate::index::store`].
//! Shared read-only (`Arc<Engine>`) by every command and the bot.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexReader, Term};

use crate::article::Article;
use crate::error::Result;
use crate::index::{self, Fields, tokenize};
use crate::passage::{self, Passage};
use crate::query::Parsed;

/// Boosts of the search fields: bigrams for recall, words for precision,
/// the article title as light context.
const BOOST_BIGRAMS: f32 = 1.0;
const BOOST_WORDS: f32 = 1.0;
const BOOST_TITLE: f32 = 0.3;

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
    stats: Stats,
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
        Engine::assemble(articles, texts, passages, &index)
    }

    /// Ties loaded articles to an opened index (tokenizers registered).
    pub(crate) fn assemble(
        articles: Vec<Article>,
        texts: Vec<String>,
        passages: Vec<Passage>,
        index: &Index,
    ) -> Result<Engine> {
        let fields = index::fields_of(&index.schema())?;
        // The index never changes under a running engine (rebuilds go to a
        // new directory), so no reload watcher thread is needed.
        let reader = index
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
        // Load jieba's dictionary and the script tables now, not on the
        // first question (~150 ms).
        let _ = crate::query::parse("預熱");
        let _ = crate::script::is_traditional("預熱");
        let keys = article_keys(&articles);
        let key_index = keys.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect();
        let stats = stats_of(&articles, passages.len());
        Ok(Engine {
            articles,
            texts,
            keys,
            key_index,
            passages,
            fields,
            reader,
            stats,
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

    /// The best passages for a parsed question.
    pub fn retrieve(&self, parsed: &Parsed, limit: usize) -> Vec<Hit> {
        if parsed.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut add = |field, text: &str, boost: f32| {
            let q = TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
        };
        for b in &parsed.bigrams {
            add(self.fields.bigrams, b, BOOST_BIGRAMS);
            add(self.fields.title, b, BOOST_TITLE);
        }
        for w in &parsed.words {
            add(self.fields.words, w, BOOST_WORDS);
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let Ok(top) = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score()) else {
            return Vec::new();
        };
        top.into_iter()
            .filter_map(|(score, addr)| {
                let passage = index::passage_id(&searcher, addr)?;
                (passage < self.passages.len()).then_some(Hit { passage, score })
            })
            .collect()
    }

    /// `search`: the `top` best passages for free text.
    pub fn search(&self, query: &str, top: usize) -> Vec<SearchRow> {
        let parsed = crate::query::parse(query);
        self.retrieve(&parsed, top)
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

    /// Articles ranked for a query (best passage per article), for
    /// document-level evaluation.
    pub fn rank_articles(&self, query: &str, top: usize) -> Vec<(usize, f32)> {
        let parsed = crate::query::parse(query);
        let mut best: Vec<(usize, f32)> = Vec::new();
        for h in self.retrieve(&parsed, top * 10) {
            let a = self.passages[h.passage].article;
            if !best.iter().any(|&(x, _)| x == a) {
                best.push((a, h.score));
            }
            if best.len() == top {
                break;
            }
        }
        best
    }
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
