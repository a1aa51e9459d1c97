//! The index on disk, and when to rebuild it.
//!
//! An index directory holds `tantivy/` (the passage index),
//! `tantivy-articles/` (the article index), `articles.json`
//! (the cleaned articles: passages are recomputed from them, quotes come
//! from them) and `manifest.json`, written last, recording the format
//! version and every corpus file's size and SHA-256. An index is used only
//! when its manifest matches the corpus; otherwise it is rebuilt. Builds go
//! to a temporary sibling directory that is swapped in at the end, so a
//! crash never leaves a half-written index in place.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::Index;

use super::{FORMAT_VERSION, tokenize};
use crate::article::Article;
use crate::corpus::{self, Skipped};
use crate::engine::{Engine, passages_of};
use crate::error::{Error, Result};

const MANIFEST: &str = "manifest.json";
const ARTICLES: &str = "articles.json";
const TANTIVY_DIR: &str = "tantivy";
const ARTICLE_INDEX_DIR: &str = "tantivy-articles";

/// One corpus file as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub size: u64,
    pub sha256: String,
}

/// What an index was built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    /// The corpus directory, absolute.
    pub corpus_dir: PathBuf,
    pub files: Vec<FileEntry>,
    pub articles: usize,
    pub passages: usize,
}

/// The outcome of a build.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub articles: usize,
    pub passages: usize,
    pub skipped: Vec<Skipped>,
    pub seconds: f64,
}

/// Progress callbacks: `(done, total)` passages.
pub type Progress<'a> = &'a dyn Fn(usize, usize);

/// Reads a manifest, if there is a readable one.
pub fn read_manifest(index_dir: &Path) -> Result<Manifest> {
    let path = index_dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Index(format!("{}: {e}", path.display())))
}

/// Cleans the corpus and builds a fresh index at `index_dir`, replacing any.
pub fn build(corpus_dir: &Path, index_dir: &Path, progress: Progress) -> Result<BuildReport> {
    let started = Instant::now();
    let loaded = corpus::load(corpus_dir)?;
    let corpus_abs = corpus_dir.canonicalize().map_err(|e| Error::io(corpus_dir, e))?;
    let files = loaded
        .files
        .iter()
        .map(|f| FileEntry {
            file: f.rel.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
        })
        .collect();
    let articles = loaded.articles;
    let texts: Vec<String> = articles.iter().map(Article::text).collect();
    let passages = passages_of(&texts);

    let parent = index_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let name = index_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "index".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let tantivy_dir = tmp.join(TANTIVY_DIR);
    let article_dir = tmp.join(ARTICLE_INDEX_DIR);
    for dir in [&tantivy_dir, &article_dir] {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }

    let result = (|| {
        let (schema, fields) = super::schema();
        let index = Index::create_in_dir(&tantivy_dir, schema)?;
        tokenize::register(&index);
        let total = passages.len();
        super::write_passages(&index, &fields, &articles, &texts, &passages, &|done| {
            progress(done, total)
        })?;
        let (schema, fields) = super::article_schema();
        let article_index = Index::create_in_dir(&article_dir, schema)?;
        tokenize::register(&article_index);
        super::write_articles(&article_index, &fields, &articles, &texts)?;
        write_json(&tmp.join(ARTICLES), &articles)?;
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            corpus_dir: corpus_abs,
            files,
            articles: articles.len(),
            passages: passages.len(),
        };
        write_json(&tmp.join(MANIFEST), &manifest)?;
        swap_in(&tmp, index_dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result?;
    Ok(BuildReport {
        articles: articles.len(),
        passages: passages.len(),
        skipped: loaded.skipped,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut w, value)?;
    std::io::Write::flush(&mut w).map_err(|e| Error::io(path, e))
}

/// Replaces `dest` by `tmp` with renames (the old index is removed after).
fn swap_in(tmp: &Path, dest: &Path) -> Result<()> {
    let old = tmp.with_extension("old");
    let had_old = dest.exists();
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(dest, &old).map_err(|e| Error::io(dest, e))?;
    }
    std::fs::rename(tmp, dest).map_err(|e| Error::io(dest, e))?;
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

/// Opens a built index.
pub fn open(index_dir: &Path) -> Result<Engine> {
    let manifest = read_manifest(index_dir)?;
    if manifest.format_version != FORMAT_VERSION {
        return Err(Error::Index(format!(
            "format {} but this program writes format {FORMAT_VERSION}",
            manifest.format_version
        )));
    }
    let path = index_dir.join(ARTICLES);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let articles: Vec<Article> =
        serde_json::from_slice(&bytes).map_err(|e| Error::Index(format!("{}: {e}", path.display())))?;
    let index = Index::open_in_dir(index_dir.join(TANTIVY_DIR))?;
    tokenize::register(&index);
    let article_index = Index::open_in_dir(index_dir.join(ARTICLE_INDEX_DIR))?;
    tokenize::register(&article_index);
    let texts: Vec<String> = articles.iter().map(Article::text).collect();
    let passages = passages_of(&texts);
    Engine::assemble(articles, texts, passages, &index, &article_index)
}

/// Why an index needs building, if it does.
pub fn staleness(index_dir: &Path, corpus_dir: &Path) -> Option<String> {
    let manifest = match read_manifest(index_dir) {
        Ok(m) => m,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Some("no index yet".into());
        }
        Err(e) => return Some(format!("unreadable manifest ({e})")),
    };
    if manifest.format_version != FORMAT_VERSION {
        return Some(format!(
            "index format {} is not {FORMAT_VERSION}",
            manifest.format_version
        ));
    }
    let Ok((files, _)) = corpus::list_files(corpus_dir) else {
        return None; // no corpus to compare with: use the index as it is
    };
    let current: Vec<FileEntry> = files
        .into_iter()
        .map(|f| FileEntry {
            file: f.rel,
            size: f.size,
            sha256: f.sha256,
        })
        .collect();
    // Compared by content only, so a moved checkout (or a container that
    // ships its prebuilt index) does not rebuild for nothing.
    (current != manifest.files).then(|| {
        format!(
            "the corpus changed since it was built from {}",
            manifest.corpus_dir.display()
        )
    })
}

/// Where the corpus and index are, as the user gave them.
#[derive(Debug, Clone)]
pub struct Location {
    /// The corpus to check against and build from, if any is known.
    pub corpus_dir: Option<PathBuf>,
    pub index_dir: PathBuf,
}

impl Location {
    /// Resolves flags against configured defaults: `--index` alone means
    /// "that index, checked against the corpus its manifest names".
    pub fn resolve(
        corpus: Option<PathBuf>,
        index: Option<PathBuf>,
        default_corpus: &Path,
        default_index: &Path,
    ) -> Location {
        match (corpus, index) {
            (None, Some(index_dir)) => {
                let corpus_dir = read_manifest(&index_dir)
                    .ok()
                    .map(|m| m.corpus_dir)
                    .filter(|d| d.is_dir());
                Location { corpus_dir, index_dir }
            }
            (corpus, index) => Location {
                corpus_dir: Some(corpus.unwrap_or_else(|| default_corpus.to_path_buf())),
                index_dir: index.unwrap_or_else(|| default_index.to_path_buf()),
            },
        }
    }
}

/// Opens the index, building or rebuilding it first when it is missing,
/// stale or corrupt (with a warning through `warn`). Returns the build
/// report when a build happened.
pub fn open_or_build(loc: &Location, progress: Progress, warn: &dyn Fn(&str)) -> Result<(Engine, Option<BuildReport>)> {
    let Some(corpus_dir) = &loc.corpus_dir else {
        return open(&loc.index_dir).map(|e| (e, None));
    };
    if let Some(reason) = staleness(&loc.index_dir, corpus_dir) {
        if !reason.starts_with("no index") {
            warn(&format!(
                "rebuilding the index at {}: {reason}",
                loc.index_dir.display()
            ));
        }
        let report = build(corpus_dir, &loc.index_dir, progress)?;
        return open(&loc.index_dir).map(|e| (e, Some(report)));
    }
    match open(&loc.index_dir) {
        Ok(engine) => Ok((engine, None)),
        Err(e) => {
            warn(&format!(
                "rebuilding the index at {}: it is corrupt ({e})",
                loc.index_dir.display()
            ));
            let report = build(corpus_dir, &loc.index_dir, progress)?;
            open(&loc.index_dir).map(|e| (e, Some(report)))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    const ARTICLE_A: &str =
        "锦湖街道筑牢疫情防控第一道防线\n锦湖街道迅速集结66名机关干部、110名基层站所工作人员,凝心聚力,抢抓时间。\n";
    const ARTICLE_B: &str =
        "同心抗疫 为民护航\n自3月17日开展下沉支援以来,市房产局先后派出3批11人次党员志愿者参加全市防疫党员突击队。\n";

    fn corpus() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), ARTICLE_A).unwrap();
        std::fs::write(dir.path().join("b.txt"), ARTICLE_B).unwrap();
        dir
    }

    /// A corpus of two articles and where its index goes (both temporary).
    fn fresh() -> (tempfile::TempDir, tempfile::TempDir, Location) {
        let corpus = corpus();
        let data = tempfile::tempdir().unwrap();
        let loc = Location {
            corpus_dir: Some(corpus.path().to_path_buf()),
            index_dir: data.path().join("index"),
        };
        (corpus, data, loc)
    }

    fn open_logged(loc: &Location) -> (Engine, Option<BuildReport>, Vec<String>) {
        let warnings = RefCell::new(Vec::new());
        let (engine, report) = open_or_build(loc, &|_, _| {}, &|w| warnings.borrow_mut().push(w.to_string())).unwrap();
        (engine, report, warnings.into_inner())
    }

    #[test]
    fn builds_on_first_use_then_reuses() {
        let (_corpus, _data, loc) = fresh();
        let (engine, report, warnings) = open_logged(&loc);
        assert_eq!(report.map(|r| r.articles), Some(2));
        assert!(warnings.is_empty(), "a first build is not a warning: {warnings:?}");
        assert_eq!(engine.search("机关干部", 1)[0].file, "a.txt");
        let (_, report, _) = open_logged(&loc);
        assert!(report.is_none(), "an up-to-date index is reused");
        assert_eq!(read_manifest(&loc.index_dir).unwrap().files.len(), 2);
    }

    #[test]
    fn a_changed_corpus_is_reindexed() {
        let (corpus, _data, loc) = fresh();
        open_logged(&loc);
        std::fs::write(
            corpus.path().join("c.txt"),
            "新文章\n陈达锋担任城区医学观察者集中隔离点组长。\n",
        )
        .unwrap();
        let (engine, report, warnings) = open_logged(&loc);
        assert_eq!(report.map(|r| r.articles), Some(3));
        assert!(warnings[0].contains("changed"), "{warnings:?}");
        assert_eq!(engine.search("隔离点组长", 1)[0].file, "c.txt");
    }

    #[test]
    fn a_corrupt_index_is_rebuilt_with_a_warning() {
        let (_corpus, _data, loc) = fresh();
        open_logged(&loc);
        // Damage every tantivy file, keeping the manifest intact. (Replaced,
        // not truncated in place: this process may still map the old ones.)
        for entry in std::fs::read_dir(loc.index_dir.join(TANTIVY_DIR)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::remove_file(&path).unwrap();
            std::fs::write(&path, b"garbage").unwrap();
        }
        assert!(open(&loc.index_dir).is_err(), "the damage is detected");
        let (engine, report, warnings) = open_logged(&loc);
        assert!(report.is_some());
        assert!(warnings[0].contains("corrupt"), "{warnings:?}");
        assert_eq!(engine.search("房产局", 1)[0].file, "b.txt");
    }

    #[test]
    fn an_index_alone_needs_no_corpus() {
        let corpus = corpus();
        let data = tempfile::tempdir().unwrap();
        let index_dir = data.path().join("index");
        build(corpus.path(), &index_dir, &|_, _| {}).unwrap();
        drop(corpus); // the corpus is gone
        let loc = Location::resolve(
            None,
            Some(index_dir.clone()),
            Path::new("corpus"),
            Path::new("data/index"),
        );
        assert!(loc.corpus_dir.is_none());
        let (engine, report, _) = open_logged(&loc);
        assert!(report.is_none());
        assert_eq!(engine.stats().articles, 2);
    }

    #[test]
    fn a_missing_index_without_corpus_is_an_error() {
        let data = tempfile::tempdir().unwrap();
        let loc = Location {
            corpus_dir: None,
            index_dir: data.path().join("nothing"),
        };
        assert!(open_or_build(&loc, &|_, _| {}, &|_| {}).is_err());
    }
}
