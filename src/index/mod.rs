//! The tantivy index: its schema, writing articles into it, and reading
//! stored articles back. The index is the store: an article's text and
//! metadata live in its stored fields and are read for the hits of a
//! question only, so opening an index reads nothing up front.
//!
//! One document per article ([`schema`]), headline and body together, so
//! that a question whose place or agency is only in the headline still
//! finds the article (whole-document relevance). Its search fields hold the
//! *folded* text (Simplified, half-width, lower case) cut by our own
//! tokenizers ([`tokenize`]): `bigrams` and `words`. It stores the cleaned
//! article (`doc`, JSON) and its short `key`. A built index is served
//! from [`directory::ServingDirectory`], which reads stored articles with
//! `pread` instead of a memory map.
//!
//! There is no index of passages: passages are ranked at question time
//! from the stored text of the articles found ([`crate::rank`]), which
//! halves the index and its build. Each article only records how many
//! passages it makes (`passages`, for the archive's summary).
//!
//! Articles carry the filter fields `date_num` (`YYYYMMDD`, 0 when the
//! article states no date) and `source_key` (the folded source, empty when
//! none), and `file` (the corpus file the article came from), by which an
//! update deletes a changed file's articles.

pub mod directory;
pub mod store;
pub mod tokenize;

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{DocAddress, Index, IndexWriter, TantivyDocument, Term};

use crate::article::Article;
use crate::error::Result;
use crate::passage;
use crate::script::fold;

/// Bumped whenever the schema, tokenizers, cleaning or passage rules change,
/// so that stale indexes are rebuilt.
pub const FORMAT_VERSION: u32 = 13;

/// Memory budget of the index writer, shared by its threads (tantivy needs
/// at least 15 MB a thread; `MAX_THREADS` leaves each 64 MB or more). Each thread's segment is flushed when its share
/// is full: at 64 MB a thread a 200,000-article build spends 20% more time
/// flushing and merging small segments; 1 GB a thread is no faster than
/// 256 MB (docs/scaling.md).
const WRITER_HEAP: usize = 512 * 1024 * 1024;
/// Indexing threads at most.
const MAX_THREADS: usize = 8;

/// Handles to the index's fields.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Headline and body, folded, as bigrams and as words.
    pub bigrams: Field,
    pub words: Field,
    pub article_id: Field,
    /// The short stable key citations and buttons use.
    pub key: Field,
    pub date_num: Field,
    pub source_key: Field,
    /// The source as written (for the archive's list of sources).
    pub source: Field,
    /// Each author named in the byline, folded (one term each).
    pub author_key: Field,
    pub file: Field,
    /// How many passages the article makes.
    pub passages: Field,
    /// The cleaned [`Article`] as JSON.
    pub doc: Field,
}

fn indexed(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqs),
    )
}

/// The index's schema and its fields.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        bigrams: b.add_text_field("bigrams", indexed(tokenize::BIGRAM)),
        words: b.add_text_field("words", indexed(tokenize::WORDS)),
        article_id: b.add_u64_field("article_id", FAST | INDEXED),
        key: b.add_text_field("key", STRING | STORED),
        date_num: b.add_u64_field("date_num", FAST | INDEXED),
        source_key: b.add_text_field("source_key", STRING),
        source: b.add_text_field("source", STRING),
        author_key: b.add_text_field("author_key", STRING),
        file: b.add_text_field("file", STRING),
        passages: b.add_u64_field("passages", FAST),
        doc: b.add_text_field("doc", STORED),
    };
    (b.build(), fields)
}

/// The index's settings: its stored articles are about half of the
/// index, so they are compressed with zstd (on Chinese text about a third
/// smaller than tantivy's default lz4) in blocks of 32 KB (a hit reads one
/// block: a few dozen microseconds).
pub fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_compression: tantivy::store::Compressor::Zstd(tantivy::store::ZstdCompressor {
            compression_level: Some(ZSTD_LEVEL),
        }),
        docstore_blocksize: 32 * 1024,
        ..Default::default()
    }
}

/// zstd's level for stored articles: its default, fast to write and read.
const ZSTD_LEVEL: i32 = 3;

fn field(schema: &Schema, name: &str) -> Result<Field> {
    schema
        .get_field(name)
        .map_err(|_| crate::Error::Index(format!("field {name} missing: the index is of another format")))
}

/// Looks up the fields of an opened index's schema.
pub fn fields_of(schema: &Schema) -> Result<Fields> {
    let f = |name: &str| field(schema, name);
    Ok(Fields {
        bigrams: f("bigrams")?,
        words: f("words")?,
        article_id: f("article_id")?,
        key: f("key")?,
        date_num: f("date_num")?,
        source_key: f("source_key")?,
        source: f("source")?,
        author_key: f("author_key")?,
        file: f("file")?,
        passages: f("passages")?,
        doc: f("doc")?,
    })
}

/// How many passages the live articles of an index make (deleted ones
/// left out).
pub fn passage_count(searcher: &tantivy::Searcher) -> Result<usize> {
    let mut total = 0;
    for segment in searcher.segment_readers() {
        let column = segment.fast_fields().u64("passages")?;
        let alive = segment.alive_bitset();
        for doc in 0..segment.max_doc() {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                total += column.first(doc).unwrap_or(0) as usize;
            }
        }
    }
    Ok(total)
}

/// `YYYY-MM-DD` as the number `YYYYMMDD`; 0 for no (or no readable) date.
pub fn date_num(date: Option<&str>) -> u64 {
    let Some(d) = date else { return 0 };
    let digits: String = d.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 8 {
        return 0;
    }
    digits.parse().unwrap_or(0)
}

/// The filter key of a source: folded, so 瑞安日報 finds 瑞安日报.
pub fn source_key(source: &str) -> String {
    fold(source.trim())
}

/// Longest author name kept as a term, in characters: a byline longer
/// than this is page furniture, not a name.
const MAX_AUTHOR_CHARS: usize = 12;

/// The author names of a byline ("陈成成、林双双" → both), folded: what
/// "林双双写过哪些报道" is looked up by. Names are split at the separators
/// Chinese bylines use (、，,;；/ and spaces, 和, 与, 及).
pub fn author_keys(author: &str) -> Vec<String> {
    let folded = fold(author);
    let mut names: Vec<String> = Vec::new();
    for part in folded.split(|c: char| {
        c.is_whitespace() || matches!(c, '、' | ',' | ';' | '/' | '|' | '和' | '与' | '及' | ':' | '(' | ')')
    }) {
        let name = part.trim();
        let chars = name.chars().count();
        if (2..=MAX_AUTHOR_CHARS).contains(&chars) && !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    names
}

/// 16 hex digits of a hash of an article's file and its place in the file:
/// stable across rebuilds and updates, short enough for Telegram's 64-byte
/// callback data, and (64 bits) without collisions at any archive size we
/// serve.
pub fn article_key(file: &str, ordinal_in_file: usize) -> String {
    crate::corpus::sha256_hex(format!("{file}\0{ordinal_in_file}").as_bytes())[..16].to_owned()
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

/// One article made ready for the index: everything folded, cut and
/// serialised, so that this (the costly part but the tokenizing) can run
/// on all cores before the writer takes it.
pub struct Prepared {
    key: String,
    file: String,
    json: String,
    date_num: u64,
    source: String,
    source_key: String,
    authors: Vec<String>,
    /// Headline and text, folded.
    folded: String,
    passages: usize,
}

impl Prepared {
    /// Prepares `article`, the `ordinal`-th of its label (see
    /// [`article_key`]) in corpus file `file`.
    pub fn new(ordinal: usize, file: &str, article: &Article) -> Result<Prepared> {
        let text = article.text();
        let folded = format!("{}\n{}", fold(&article.title), fold(&text));
        let source = article.source.clone().unwrap_or_default();
        Ok(Prepared {
            key: article_key(&article.file, ordinal),
            file: file.to_owned(),
            json: serde_json::to_string(article)?,
            date_num: date_num(article.date.as_deref()),
            source_key: source_key(&source),
            source,
            authors: article.author.as_deref().map(author_keys).unwrap_or_default(),
            folded,
            passages: passage::split(0, &text).len(),
        })
    }

    /// How many passages the article makes.
    pub fn passages(&self) -> usize {
        self.passages
    }
}

/// The index writer of a build or an update.
pub struct Writer {
    writer: IndexWriter,
    fields: Fields,
    from_scratch: bool,
}

/// Indexing threads of the writer.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_THREADS)
}

impl Writer {
    /// A writer on `index` (tokenizers registered). `from_scratch`: a
    /// build of a new index, which [`Writer::finish`] merges into one
    /// segment; its writer merges nothing on the way, since every merge
    /// before the last would only rewrite postings that the last rewrites
    /// again. An update keeps tantivy's merge policy.
    pub fn new(index: &Index, from_scratch: bool) -> Result<Writer> {
        let n = threads();
        let writer: IndexWriter = index.writer_with_num_threads(n, WRITER_HEAP)?;
        if from_scratch {
            writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        }
        Ok(Writer {
            writer,
            fields: fields_of(&index.schema())?,
            from_scratch,
        })
    }

    /// Queues an article under number `id`.
    pub fn add(&self, id: u64, p: &Prepared) -> Result<()> {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.bigrams, &p.folded);
        doc.add_text(f.words, &p.folded);
        doc.add_u64(f.article_id, id);
        doc.add_text(f.key, &p.key);
        doc.add_u64(f.date_num, p.date_num);
        doc.add_text(f.source_key, &p.source_key);
        doc.add_text(f.source, &p.source);
        for a in &p.authors {
            doc.add_text(f.author_key, a);
        }
        doc.add_text(f.file, &p.file);
        doc.add_u64(f.passages, p.passages as u64);
        doc.add_text(f.doc, &p.json);
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Queues the removal of every article of a corpus file.
    pub fn delete_file(&self, file: &str) {
        self.writer.delete_term(Term::from_field_text(self.fields.file, file));
    }

    /// Commits and waits for the merges, so that the directory is complete
    /// when this returns. A build from scratch is then merged into one
    /// segment: a question looks its terms up in every segment, and at
    /// 200,000 articles the dozen segments a build left cost a third of a
    /// question's time. Updates keep tantivy's merge policy instead
    /// (rewriting the whole index for one changed file would be slow).
    pub fn finish(mut self) -> Result<()> {
        self.writer.commit()?;
        if self.from_scratch {
            // This writer runs no merge policy, so nothing else is merging
            // these segments and one merge can take them all.
            let ids = self.writer.index().searchable_segment_ids()?;
            if ids.len() > 1 {
                self.writer.merge(&ids).wait()?;
            }
        }
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

/// The stored article and key of an index document.
pub fn stored_article(searcher: &tantivy::Searcher, fields: &Fields, addr: DocAddress) -> Result<(String, Article)> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    let text = |f: Field| doc.get_first(f).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let article: Article = serde_json::from_str(&text(fields.doc))?;
    Ok((text(fields.key), article))
}
