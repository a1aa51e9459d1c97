//! The library's one error type. The binary wraps it with `anyhow` context
//! (which file, which setting) at its edge; nothing below `main.rs` prints.
//!
//! Each variant's text already holds the error it wraps, so none reports
//! that error again as its source: a chain printed cause by cause (`{:#}`)
//! shows each message once.

use std::path::PathBuf;

/// Everything that can go wrong inside the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    /// The configuration file or an override is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// An `ARCHIVE_BOT_*` environment variable holds a malformed value
    /// (a usage error: exit code 2).
    #[error("{var}={value:?}: {expected}")]
    Env {
        var: String,
        value: String,
        expected: String,
    },
    /// The configured corpus directory is not there.
    #[error(
        "the corpus directory {path} does not exist or is not a directory (it should hold the archive's files: text, CMS exports or saved HTML pages; set --corpus or corpus_dir, or pass --index DIR alone to use an index as built)"
    )]
    NoCorpus { path: PathBuf },
    /// The corpus holds no article.
    #[error(
        "no articles in the corpus {path}: {files} archive files found (text, exports, HTML pages), {skipped} of them skipped"
    )]
    EmptyCorpus {
        path: PathBuf,
        files: usize,
        skipped: usize,
    },
    /// The search index is missing, corrupt or of another format.
    #[error("index: {0}")]
    Index(String),
    /// tantivy reported an error.
    #[error("search engine: {0}")]
    Tantivy(tantivy::TantivyError),
    /// A JSON document could not be read or written.
    #[error("json: {0}")]
    Json(serde_json::Error),
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Tantivy(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e)
    }
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
