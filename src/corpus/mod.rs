//! The corpus edge: finds the archive's files on disk and turns their bytes
//! into text. Nothing here cleans; a file that cannot be read as text is
//! reported as [`Skipped`] and the rest still loads.

mod decode;
pub mod export;
pub mod html;
mod walk;

use std::path::Path;
use std::sync::OnceLock;

pub use decode::{Decoded, Encoding, decode};
pub use export::FieldNames;
pub use walk::{CorpusFile, FileStat, MAX_FILE_BYTES, list_files, read, scan, sha256_hex};

use crate::article::Article;

/// A file left out of the corpus, and why, for one warning line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Path relative to the corpus directory.
    pub file: String,
    /// Human-readable reason ("empty", "binary data", ...).
    pub reason: String,
}

/// What loading a corpus directory produced.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Clean articles, in file order (several may come from one file).
    pub articles: Vec<Article>,
    /// Files that were skipped, with the reason.
    pub skipped: Vec<Skipped>,
    /// Every readable file with its size and content hash, for the index manifest.
    pub files: Vec<CorpusFile>,
    /// What each cleaning rule removed, file by file (`articles --removed`).
    pub removed: Vec<crate::clean::Removal>,
}

/// How files are read: settings from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Export field names (the configuration's `[fields]`).
    pub fields: FieldNames,
}

static PROCESS_OPTIONS: OnceLock<Options> = OnceLock::new();

/// Sets the options [`load`] uses for the rest of the process (the binary
/// calls it once with the configuration, so every command that loads the
/// corpus reads exports the same way). Later calls are ignored.
pub fn set_process_options(options: Options) {
    let _ = PROCESS_OPTIONS.set(options);
}

/// Reads every corpus file below `dir` (`.txt`, `.md`, exports `.jsonl` and
/// `.json`, saved pages `.html` and `.htm`), decodes and cleans it, with the process's options.
///
/// Fails only when `dir` itself cannot be listed; per-file problems land in
/// [`Loaded::skipped`].
pub fn load(dir: &Path) -> crate::Result<Loaded> {
    load_with(dir, process_options())
}

/// [`load`] with explicit options.
pub fn load_with(dir: &Path, options: &Options) -> crate::Result<Loaded> {
    let (files, mut skipped) = list_files(dir)?;
    let mut loaded = Loaded::default();
    for file in files {
        let one = load_file(&file, options);
        skipped.extend(one.skipped);
        loaded.articles.extend(one.articles);
        loaded.removed.extend(one.removed);
        loaded.files.push(file.without_bytes());
    }
    skipped.sort_by(|a, b| a.file.cmp(&b.file));
    loaded.skipped = skipped;
    Ok(loaded)
}

/// What one corpus file gave.
#[derive(Debug, Default)]
pub struct FileLoad {
    pub articles: Vec<Article>,
    /// Warnings about the file (undecodable, no text left, a bad record).
    pub skipped: Vec<Skipped>,
    pub removed: Vec<crate::clean::Removal>,
}

/// Decodes and cleans one read file, by its kind (extension). Pure: the
/// index builds call it on many files at once.
pub fn load_file(file: &CorpusFile, options: &Options) -> FileLoad {
    let mut log = Vec::new();
    let (articles, warnings) = if is_page(&file.rel) {
        read_page_file_logged(&file.rel, &file.bytes, &mut log)
    } else {
        match decode(&file.bytes) {
            Ok(decoded) => read_file_logged(&file.rel, &decoded.text, options, &mut log),
            Err(reason) => (Vec::new(), vec![reason]),
        }
    };
    FileLoad {
        articles,
        skipped: warnings
            .into_iter()
            .map(|reason| Skipped {
                file: file.rel.clone(),
                reason,
            })
            .collect(),
        removed: removals(&file.rel, log).collect(),
    }
}

/// The process's options (see [`set_process_options`]).
pub fn process_options() -> &'static Options {
    static DEFAULT: OnceLock<Options> = OnceLock::new();
    PROCESS_OPTIONS
        .get()
        .unwrap_or_else(|| DEFAULT.get_or_init(Options::default))
}

fn removals(file: &str, log: crate::clean::Log) -> impl Iterator<Item = crate::clean::Removal> + '_ {
    log.into_iter().map(move |(rule, text)| crate::clean::Removal {
        file: file.to_owned(),
        rule,
        text,
    })
}

/// Whether a file is a saved web page (read from bytes: its charset is its own).
fn is_page(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    lower.ends_with(".html") || lower.ends_with(".htm")
}

/// A saved page's article (one per page) or the warning why there is none.
pub fn read_page_file(rel: &str, bytes: &[u8]) -> (Vec<Article>, Vec<String>) {
    read_page_file_logged(rel, bytes, &mut Vec::new())
}

fn read_page_file_logged(rel: &str, bytes: &[u8], log: &mut crate::clean::Log) -> (Vec<Article>, Vec<String>) {
    match html::read_page(bytes) {
        Ok(record) => match crate::clean::clean_record_logged(rel, &record, log) {
            Some(a) => (vec![a], Vec::new()),
            None => (Vec::new(), vec!["no article text left after cleaning".into()]),
        },
        Err(reason) => (Vec::new(), vec![reason]),
    }
}

/// One decoded file's articles and warnings, by its kind (extension).
pub fn read_file(rel: &str, text: &str, options: &Options) -> (Vec<Article>, Vec<String>) {
    read_file_logged(rel, text, options, &mut Vec::new())
}

fn read_file_logged(
    rel: &str,
    text: &str,
    options: &Options,
    log: &mut crate::clean::Log,
) -> (Vec<Article>, Vec<String>) {
    let ext = rel
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let (articles, mut warnings) = match ext.as_str() {
        "jsonl" => from_export(rel, Ok(export::read_jsonl(text, &options.fields)), log),
        "json" => from_export(rel, export::read_json(text, &options.fields), log),
        _ => (crate::clean::clean_document_logged(rel, text, log), Vec::new()),
    };
    if articles.is_empty() && warnings.is_empty() {
        warnings.push("no text left after cleaning".into());
    }
    (articles, warnings)
}

/// Articles of an export; each keeps its record's id (or its line) in
/// `file` (`cms.jsonl#a17`, `cms.jsonl:12`) so citations name the record.
fn from_export(
    rel: &str,
    export: Result<export::Export, String>,
    log: &mut crate::clean::Log,
) -> (Vec<Article>, Vec<String>) {
    let export = match export {
        Ok(e) => e,
        Err(reason) => return (Vec::new(), vec![reason]),
    };
    let mut warnings = export.warnings;
    let mut articles = Vec::new();
    for r in export.records {
        let label = match &r.id {
            Some(id) => format!("{rel}#{id}"),
            None => format!("{rel}:{}", r.position),
        };
        match crate::clean::clean_record_logged(&label, &r.record, log) {
            Some(a) => articles.push(a),
            None => warnings.push(format!("record {}: no text left after cleaning", r.position)),
        }
    }
    (articles, warnings)
}
