//! The corpus edge: finds the archive's files on disk and turns their bytes
//! into text. Nothing here cleans; a file that cannot be read as text is
//! reported as [`Skipped`] and the rest still loads.

mod decode;
mod walk;

use std::path::Path;

pub use decode::{Decoded, Encoding, decode};
pub use walk::{CorpusFile, list_files, sha256_hex};

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
}

/// Reads every `.txt`/`.md` file below `dir`, decodes and cleans it.
///
/// Fails only when `dir` itself cannot be listed; per-file problems land in
/// [`Loaded::skipped`].
pub fn load(dir: &Path) -> crate::Result<Loaded> {
    let (files, mut skipped) = list_files(dir)?;
    let mut loaded = Loaded::default();
    for file in files {
        match decode(&file.bytes) {
            Ok(decoded) => {
                let articles = crate::clean::clean_document(&file.rel, &decoded.text);
                if articles.is_empty() {
                    skipped.push(Skipped {
                        file: file.rel.clone(),
                        reason: "no text left after cleaning".into(),
                    });
                }
                loaded.articles.extend(articles);
            }
            Err(reason) => skipped.push(Skipped {
                file: file.rel.clone(),
                reason,
            }),
        }
        loaded.files.push(file.without_bytes());
    }
    skipped.sort_by(|a, b| a.file.cmp(&b.file));
    loaded.skipped = skipped;
    Ok(loaded)
}
