//! Loading: corpus files → clean articles. Puts the two layers below
//! together: [`corpus`] reads a file's contents (text, or an export's or
//! a page's records), [`clean`] turns them into [`Article`]s. What `articles`
//! lists, what the index builds add, what tests load.

use std::path::Path;

use crate::article::Article;
use crate::clean::{self, repeated};
use crate::corpus::{self, Contents, CorpusFile, Log, Options, Skipped, export};

/// What a reader or a cleaning rule took out of the text, for `articles --removed`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Removal {
    /// The file (as articles name it).
    pub file: String,
    /// Which rule removed it.
    pub rule: &'static str,
    /// What was removed (`before → after` for a repair).
    pub text: String,
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
    pub removed: Vec<Removal>,
}

/// Reads every corpus file below `dir` (`.txt`, `.md`, exports `.jsonl` and
/// `.json`, saved pages `.html` and `.htm`), decodes and cleans it, with the
/// process's options ([`corpus::process_options`]).
///
/// Fails only when `dir` itself cannot be listed; per-file problems land in
/// [`Loaded::skipped`].
pub fn load(dir: &Path) -> crate::Result<Loaded> {
    load_with(dir, corpus::process_options())
}

/// [`load`] with explicit options.
pub fn load_with(dir: &Path, options: &Options) -> crate::Result<Loaded> {
    let (files, mut skipped) = corpus::list_files(dir)?;
    let mut loaded = Loaded::default();
    let mut each: Vec<FileLoad> = Vec::with_capacity(files.len());
    for file in files {
        each.push(load_file(&file, options));
        loaded.files.push(file.without_bytes());
    }
    // Furniture by repetition looks across files: all are read first.
    let keys: Vec<Vec<[u64; 2]>> = each.iter().map(|f| repeated::edge_keys(&f.articles)).collect();
    let found = repeated::Repeated::from_files(keys.iter().map(Vec::as_slice));
    for (one, file) in each.iter_mut().zip(&loaded.files) {
        strip_repeated(one, &file.rel, &found);
    }
    for one in each {
        skipped.extend(one.skipped);
        loaded.articles.extend(one.articles);
        loaded.removed.extend(one.removed);
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
    pub removed: Vec<Removal>,
}

/// Reads and cleans one read file, by its kind (extension). Pure: the
/// index builds call it on many files at once.
pub fn load_file(file: &CorpusFile, options: &Options) -> FileLoad {
    let mut log = Vec::new();
    let (articles, warnings) = match corpus::contents(file, options) {
        Ok(contents) => clean_contents(&file.rel, contents, &mut log),
        Err(reason) => (Vec::new(), vec![reason]),
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
        removed: log
            .into_iter()
            .map(|(rule, text)| Removal {
                file: file.rel.clone(),
                rule,
                text,
            })
            .collect(),
    }
}

/// Removes a file's edge lines that are furniture by repetition
/// ([`repeated`]), noting them with the file's removals.
pub fn strip_repeated(one: &mut FileLoad, rel: &str, found: &repeated::Repeated) {
    let mut log = Vec::new();
    repeated::strip(&mut one.articles, found, &mut log);
    one.removed.extend(log.into_iter().map(|(rule, text)| Removal {
        file: rel.to_owned(),
        rule,
        text,
    }));
}

/// One file's articles and warnings.
fn clean_contents(rel: &str, contents: Contents, log: &mut Log) -> (Vec<Article>, Vec<String>) {
    let (articles, mut warnings) = match contents {
        Contents::Page(record) => {
            return match clean::clean_record_logged(rel, &record, log) {
                Some(a) => (vec![a], Vec::new()),
                None => (Vec::new(), vec!["no article text left after cleaning".into()]),
            };
        }
        Contents::Export(export) => from_export(rel, export, log),
        Contents::Text(text) => (clean::clean_document_logged(rel, &text, log), Vec::new()),
    };
    if articles.is_empty() && warnings.is_empty() {
        warnings.push("no text left after cleaning".into());
    }
    (articles, warnings)
}

/// Articles of an export; each keeps its record's id (or its line) in
/// `file` (`cms.jsonl#a17`, `cms.jsonl:12`) so citations name the record.
fn from_export(rel: &str, export: export::Export, log: &mut Log) -> (Vec<Article>, Vec<String>) {
    let mut warnings = export.warnings;
    let mut articles = Vec::new();
    for r in export.records {
        let label = match &r.id {
            Some(id) => format!("{rel}#{id}"),
            None => format!("{rel}:{}", r.position),
        };
        match clean::clean_record_logged(&label, &r.record, log) {
            Some(a) => articles.push(a),
            None => warnings.push(format!("record {}: no text left after cleaning", r.position)),
        }
    }
    (articles, warnings)
}
