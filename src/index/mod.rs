//! The tantivy index: schema, building, and reading hits back.
//!
//! One tantivy document per passage. Search fields hold the passage's
//! *folded* text (Simplified, half-width, lower case) cut by our own
//! tokenizers ([`tokenize`]): `bigrams` and `words`, plus the article title's
//! bigrams in `title`. Display fields (file, title, source, date, passage in
//! its original script) are stored; `passage_id` is a fast field that maps
//! a hit back to the engine's passage list.

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
pub const FORMAT_VERSION: u32 = 1;

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
}

/// The schema and its fields.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let indexed = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
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
    };
    (b.build(), fields)
}

/// Looks up the fields of an opened index's schema.
pub fn fields_of(schema: &Schema) -> Result<Fields> {
    let f = |name: &str| {
        schema
            .get_field(name)
            .map_err(|_| crate::Error::Index(format!("field {name} missing: the index is of another format")))
    };
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
        writer.add_document(doc)?;
        progress(id + 1);
    }
    writer.commit()?;
    Ok(())
}

/// Reads the `passage_id` fast field of a hit.
pub fn passage_id(searcher: &tantivy::Searcher, addr: DocAddress) -> Option<usize> {
    let segment = searcher.segment_reader(addr.segment_ord);
    let column = segment.fast_fields().u64("passage_id").ok()?;
    column.first(addr.doc_id).map(|v| v as usize)
}
