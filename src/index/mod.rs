//! The tantivy indexes: schemas, building, and reading hits back.
//!
//! Two indexes, searched with the same terms:
//!
//! - **passages** ([`schema`]): one document per passage, the unit that is
//!   quoted. Search fields hold the passage's *folded* text (Simplified,
//!   half-width, lower case) cut by our own tokenizers ([`tokenize`]):
//!   `bigrams` and `words`, plus the article title's bigrams in `title`.
//!   Display fields are stored; `passage_id` maps a hit back to the engine's
//!   passage list and `article_id` to its article.
//! - **articles** ([`article_schema`]): one document per article, headline
//!   and body together, so that a question whose place or agency is only in
//!   the headline still finds the article (whole-document relevance).
//!
//! Both carry the filter fields `date_num` (`YYYYMMDD`, 0 when the article
//! states no date) and `source_key` (the folded source, empty when none).

pub mod store;
pub mod tokenize;

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{DocAddress, Index, IndexWriter, TantivyDocument};

use crate::article::Article;
use crate::error::Result;
use crate::passage::Passage;
use crate::script::fold;

/// Bumped whenever the schema, tokenizers, cleaning or passage rules change,
/// so that stale indexes are rebuilt.
pub const FORMAT_VERSION: u32 = 6;

/// Memory budget of the index writer.
const WRITER_HEAP_BYTES: usize = 100_000_000;

/// Handles to the schema's fields.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub bigrams: Field,
    pub words: Field,
    pub title: Field,
    pub passage_id: Field,
    pub file: Field,
    pub title_display: Field,
    pub source: Field,
    pub date: Field,
    pub passage: Field,
    pub article_id: Field,
    pub date_num: Field,
    pub source_key: Field,
}

/// Handles to the article index's fields.
#[derive(Debug, Clone, Copy)]
pub struct ArticleFields {
    /// Headline and body, folded, as bigrams and as words.
    pub bigrams: Field,
    pub words: Field,
    pub article_id: Field,
    pub date_num: Field,
    pub source_key: Field,
}

fn indexed(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqs),
    )
}

/// The schema and its fields.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        bigrams: b.add_text_field("bigrams", indexed(tokenize::BIGRAM)),
        words: b.add_text_field("words", indexed(tokenize::WORDS)),
        title: b.add_text_field("title", indexed(tokenize::BIGRAM)),
        passage_id: b.add_u64_field("passage_id", FAST | STORED | INDEXED),
        file: b.add_text_field("file", STRING | STORED),
        title_display: b.add_text_field("title_display", STORED),
        source: b.add_text_field("source", STORED),
        date: b.add_text_field("date", STORED),
        passage: b.add_text_field("passage", STORED),
        article_id: b.add_u64_field("article_id", FAST | INDEXED),
        date_num: b.add_u64_field("date_num", FAST | INDEXED),
        source_key: b.add_text_field("source_key", STRING),
    };
    (b.build(), fields)
}

/// The article index's schema and its fields.
pub fn article_schema() -> (Schema, ArticleFields) {
    let mut b = Schema::builder();
    let fields = ArticleFields {
        bigrams: b.add_text_field("bigrams", indexed(tokenize::BIGRAM)),
        words: b.add_text_field("words", indexed(tokenize::WORDS)),
        article_id: b.add_u64_field("article_id", FAST | INDEXED),
        date_num: b.add_u64_field("date_num", FAST | INDEXED),
        source_key: b.add_text_field("source_key", STRING),
    };
    (b.build(), fields)
}

fn field(schema: &Schema, name: &str) -> Result<Field> {
    schema
        .get_field(name)
        .map_err(|_| crate::Error::Index(format!("field {name} missing: the index is of another format")))
}

/// Looks up the fields of an opened article index's schema.
pub fn article_fields_of(schema: &Schema) -> Result<ArticleFields> {
    let f = |name: &str| field(schema, name);
    Ok(ArticleFields {
        bigrams: f("bigrams")?,
        words: f("words")?,
        article_id: f("article_id")?,
        date_num: f("date_num")?,
        source_key: f("source_key")?,
    })
}

/// `YYYY-MM-DD` as the number `YYYYMMDD`; 0 when absent or malformed.
pub fn date_num(date: Option<&str>) -> u64 {
    let Some(d) = date else { return 0 };
    let digits: String = d.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 8 {
        digits.parse().unwrap_or(0)
    } else {
        0
    }
}

/// The form a source is filtered by: folded, spaces removed.
pub fn source_key(source: &str) -> String {
    fold(source).split_whitespace().collect()
}

/// Looks up the fields of an opened index's schema.
pub fn fields_of(schema: &Schema) -> Result<Fields> {
    let f = |name: &str| field(schema, name);
    Ok(Fields {
        bigrams: f("bigrams")?,
        words: f("words")?,
        title: f("title")?,
        passage_id: f("passage_id")?,
        file: f("file")?,
        title_display: f("title_display")?,
        source: f("source")?,
        date: f("date")?,
        passage: f("passage")?,
        article_id: f("article_id")?,
        date_num: f("date_num")?,
        source_key: f("source_key")?,
    })
}

/// Writes every passage into `index` (empty, tokenizers registered) and
/// commits. `progress` is called after each passage.
pub fn write_passages(
    index: &Index,
    fields: &Fields,
    articles: &[Article],
    texts: &[String],
    passages: &[Passage],
    progress: &dyn Fn(usize),
) -> Result<()> {
    let mut writer: IndexWriter = index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?;
    let folded_titles: Vec<String> = articles.iter().map(|a| fold(&a.title)).collect();
    for (id, p) in passages.iter().enumerate() {
        let article = &articles[p.article];
        let quote = &texts[p.article][p.start..p.end];
        let folded = fold(quote);
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.bigrams, &folded);
        doc.add_text(fields.words, &folded);
        doc.add_text(fields.title, &folded_titles[p.article]);
        doc.add_u64(fields.passage_id, id as u64);
        doc.add_text(fields.file, &article.file);
        doc.add_text(fields.title_display, &article.title);
        doc.add_text(fields.source, article.source.as_deref().unwrap_or(""));
        doc.add_text(fields.date, article.date.as_deref().unwrap_or(""));
        doc.add_text(fields.passage, quote);
        doc.add_u64(fields.article_id, p.article as u64);
        doc.add_u64(fields.date_num, date_num(article.date.as_deref()));
        doc.add_text(fields.source_key, source_key(article.source.as_deref().unwrap_or("")));
        writer.add_document(doc)?;
        progress(id + 1);
    }
    writer.commit()?;
    Ok(())
}

/// Writes one document per article (headline and body) into `index`
/// (empty, tokenizers registered) and commits.
pub fn write_articles(index: &Index, fields: &ArticleFields, articles: &[Article], texts: &[String]) -> Result<()> {
    let mut writer: IndexWriter = index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?;
    for (id, (article, text)) in articles.iter().zip(texts).enumerate() {
        let title = fold(&article.title);
        let whole = format!("{title}\n{}", fold(text));
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.bigrams, &whole);
        doc.add_text(fields.words, &whole);
        doc.add_u64(fields.article_id, id as u64);
        doc.add_u64(fields.date_num, date_num(article.date.as_deref()));
        doc.add_text(fields.source_key, source_key(article.source.as_deref().unwrap_or("")));
        writer.add_document(doc)?;
    }
    writer.commit()?;
    Ok(())
}

/// Reads the `passage_id` fast field of a hit.
pub fn passage_id(searcher: &tantivy::Searcher, addr: DocAddress) -> Option<usize> {
    fast_u64(searcher, addr, "passage_id")
}

/// Reads the `article_id` fast field of a hit (either index).
pub fn article_id(searcher: &tantivy::Searcher, addr: DocAddress) -> Option<usize> {
    fast_u64(searcher, addr, "article_id")
}

fn fast_u64(searcher: &tantivy::Searcher, addr: DocAddress, name: &str) -> Option<usize> {
    let segment = searcher.segment_reader(addr.segment_ord);
    let column = segment.fast_fields().u64(name).ok()?;
    column.first(addr.doc_id).map(|v| v as usize)
}
