//! The corpus edge: finds the archive's files on disk and turns their bytes
//! into text ([`Contents`]: a text file's text, an export's or a page's
//! [`Record`]s). Cleaning is the layer above: it takes these as input, and
//! [`crate::load`] puts the two together. (The page reader only drops what
//! is not the article, link lists and trailing furniture, and logs it.) A
//! file that cannot be read as text is reported as [`Skipped`] and the rest
//! still loads.

mod decode;
pub mod export;
pub mod html;
mod walk;

use std::sync::OnceLock;

pub use decode::{Decoded, Encoding, decode};
pub use export::FieldNames;
pub use walk::{CorpusFile, FileStat, MAX_FILE_BYTES, list_files, read, scan, sha256_hex};

/// What a reader or a cleaning rule took out of one file's text, in
/// order: (rule, text). The HTML reader drops link lists and trailing
/// furniture; cleaning adds its own. `articles --removed` lists them.
pub type Log = Vec<(&'static str, String)>;

/// One article as a structured source gives it (an export record, an HTML
/// page): metadata fields already separated from the body, not cleaned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub title: Option<String>,
    /// The body, paragraphs separated by newlines.
    pub body: String,
    /// A date in any common written form; normalised by cleaning.
    pub date: Option<String>,
    pub source: Option<String>,
    pub author: Option<String>,
    pub url: Option<String>,
    /// The 1-based line of the source file the record begins on (an
    /// export's record); `None` for a page, whose `url` says where it is.
    pub line: Option<u32>,
    /// What the record's reader already dropped (rule, text), for the audit.
    pub removed: Log,
}

/// A file left out of the corpus, and why, for one warning line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Path relative to the corpus directory.
    pub file: String,
    /// Human-readable reason ("empty", "binary data", ...).
    pub reason: String,
}

/// How files are read: settings from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Export field names (the configuration's `[fields]`).
    pub fields: FieldNames,
}

static PROCESS_OPTIONS: OnceLock<Options> = OnceLock::new();

/// Sets the options [`crate::load::load`] uses for the rest of the process (the binary
/// calls it once with the configuration, so every command that loads the
/// corpus reads exports the same way). Later calls are ignored.
pub fn set_process_options(options: Options) {
    let _ = PROCESS_OPTIONS.set(options);
}

/// The process's options (see [`set_process_options`]).
pub fn process_options() -> &'static Options {
    static DEFAULT: OnceLock<Options> = OnceLock::new();
    PROCESS_OPTIONS
        .get()
        .unwrap_or_else(|| DEFAULT.get_or_init(Options::default))
}

/// What one file holds, read but not cleaned.
#[derive(Debug, PartialEq, Eq)]
pub enum Contents {
    /// A text file's decoded text, which may hold several articles.
    Text(String),
    /// An export's records (`.jsonl`, `.json`), with the bad ones' warnings.
    Export(export::Export),
    /// A saved page's one article.
    Page(Record),
}

/// Reads one file's contents by its kind (extension): a page from its
/// bytes (its charset is its own), anything else decoded to text first,
/// then parsed when it is an export. Pure: the index builds call it on
/// many files at once. `Err` is the one reason nothing could be read.
pub fn contents(file: &CorpusFile, options: &Options) -> Result<Contents, String> {
    if is_page(&file.rel) {
        return html::read_page(&file.bytes).map(Contents::Page);
    }
    let text = decode(&file.bytes)?.text;
    let ext = file
        .rel
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jsonl" => Ok(Contents::Export(export::read_jsonl(&text, &options.fields))),
        "json" => export::read_json(&text, &options.fields).map(Contents::Export),
        _ => Ok(Contents::Text(text)),
    }
}

/// Whether a file is a saved web page (read from bytes: its charset is its own).
fn is_page(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    lower.ends_with(".html") || lower.ends_with(".htm")
}
