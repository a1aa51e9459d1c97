//! archive-bot answers questions about an archive of Chinese news articles,
//! quoting the archive verbatim with citations.
//!
//! Data flows one way, one module per stage; only the edges touch disk or
//! network, so everything in between is tested on plain values:
//!
//! - [`corpus`]: the disk edge. Walks the corpus directory and reads each
//!   file: text (UTF-8, UTF-16, legacy encodings detected: GBK, Big5 …),
//!   CMS exports (`.jsonl`/`.json`) and saved HTML pages as plain
//!   [`corpus::Record`]s, skipping what is not text with a warning naming
//!   the file.
//! - [`clean`]: text and records → [`article::Article`]s. Repairs mojibake,
//!   strips pinyin annotations and doubled punctuation, drops page
//!   furniture, splits files holding several articles, reads
//!   title/source/date.
//! - [`load`]: corpus files → clean articles (`corpus` then `clean`), with
//!   the skipped files and what cleaning removed.
//! - [`passage`]: articles → passages, byte spans of the cleaned text.
//! - [`index`]: the tantivy index of whole articles, which also stores
//!   them (schema, tokenizers, on-disk store with a manifest that triggers
//!   rebuilds, and the directory a built index is served from).
//! - [`query`]: questions → our own search terms, the kind of answer, a
//!   period filter, and whether the article itself is asked about.
//! - [`retrieval`]: what ranking needs from a search engine (a trait),
//!   answered by the local tantivy index; stored articles for the hits.
//! - [`rank`]: the passages of the best articles, ranked from their text.
//! - [`engine`]: article-aware ranking over a retrieval, under a filter;
//!   opening (or building) an index.
//! - [`answer`]: grounded answers with citations (a clause run or sentence,
//!   or an article's metadata), a confidence for the gate, or an honest
//!   no-answer.
//! - [`collection`]: questions about the collection itself (which
//!   articles, how many, the newest, by whom, anything on a topic),
//!   answered from the index's counts, terms and date column.
//! - [`eval`]: quality figures on question sets.
//! - [`bench`]: speed and memory figures (build, cold start, latency).
//! - [`render`]: the command line's text formats (answers, TSV lines).
//! - [`text`]: sentence ends, clipping, mentions: one definition each.
//! - [`date`]: stated dates → `YYYY-MM-DD`, month lengths.
//! - [`script`]: Traditional ↔ Simplified and full-width folding, used by
//!   search (always Simplified) and by rendering (the asker's script).
//! - [`config`]: settings from file, environment and flags.
//! - [`input`]: capped reads of whole files and of lines of a stream.
//! - [`telegram`]: the bot (`serve`): routing updates, rendering cited
//!   replies as Telegram HTML, article pages, inline mode. The only
//!   module that imports teloxide.
//! - [`error`]: the library's error type.

pub mod answer;
pub mod article;
pub mod bench;
pub mod clean;
pub mod collection;
pub mod config;
pub mod corpus;
pub mod date;
pub mod engine;
pub mod error;
pub mod eval;
pub mod index;
pub mod input;
pub mod load;
pub mod passage;
pub mod query;
pub mod rank;
pub mod render;
pub mod retrieval;
pub mod script;
pub mod telegram;
pub mod text;

pub use error::{Error, Result};
