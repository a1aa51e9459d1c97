//! The index on disk, and when to update it.
//!
//! An index directory holds `tantivy/` (the index, which also stores the
//! cleaned articles: the index is the store), `files.json` (every corpus file's
//! size, modification time and SHA-256) and `manifest.json`, written last:
//! the format version, the corpus it was built from and its counts. An
//! index is used only when its files match the corpus; otherwise it is
//! updated.
//!
//! Updates are incremental: a build starts from the current generation
//! (its tantivy files hard-linked, never modified: tantivy writes new
//! files and replaces `meta.json` by rename), deletes the articles of
//! changed and removed files by their `file` term, adds those of changed
//! and added files, and swaps the result in. Files whose size and
//! modification time are unchanged are not even read; reading, decoding,
//! cleaning and folding run on all cores ([`rayon`]), tokenizing on the
//! index writers' threads.
//!
//! Generations: on unix the index path is a symlink to a sibling
//! generation directory (`.<name>.g-<pid>-<nanos>-<n>`). A build writes a
//! new generation, then renames a fresh symlink over the index path — one
//! atomic step, so a reader sees the old index or the new one, never none
//! and never half of each ([`open`] resolves the link once). Builders take
//! an exclusive lock on `.<name>.lock` first, so concurrent `index` runs
//! (or two processes finding the index stale) take turns; the lock holder
//! also removes generations left by a crashed build. An index directory of
//! the older layout (a plain directory) is moved aside once, on its first
//! rebuild.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::Index;

use super::directory::ServingDirectory;
use super::{FORMAT_VERSION, Prepared, Writer, ordinals, tokenize};
use crate::clean::repeated::{self, Repeated};
use crate::corpus::{self, FileStat, Skipped};
use crate::error::{Error, Result};

/// Every name an index uses on disk. Beside the index path `<name>` (a
/// symlink to the current generation): the build lock `.<name>.lock`,
/// generations `.<name>.g-<unique>` and the links being swapped in
/// `.<name>.link-<unique>`. Inside a generation: the manifest, the file
/// list, the edge keys and the tantivy directory.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The directory holding the index path.
    parent: PathBuf,
    /// The index path's file name.
    name: String,
}

impl Layout {
    const MANIFEST: &str = "manifest.json";
    const FILES: &str = "files.json";
    /// Each file's edge-line keys (furniture by repetition,
    /// [`crate::clean::repeated`]): read by builds only, so it costs a
    /// question-answering start nothing.
    const EDGES: &str = "edges.json";
    const TANTIVY: &str = "tantivy";

    /// The names around the index path `index_dir`.
    pub fn of(index_dir: &Path) -> Layout {
        let parent = index_dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let name = index_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "index".into());
        Layout { parent, name }
    }

    /// The manifest of the generation at `dir` (written last by a build).
    pub fn manifest(dir: &Path) -> PathBuf {
        dir.join(Self::MANIFEST)
    }

    /// The per-file list of the generation at `dir`.
    fn files(dir: &Path) -> PathBuf {
        dir.join(Self::FILES)
    }

    /// The edge keys of the generation at `dir`.
    fn edges(dir: &Path) -> PathBuf {
        dir.join(Self::EDGES)
    }

    /// The tantivy index of the generation at `dir`.
    fn tantivy(dir: &Path) -> PathBuf {
        dir.join(Self::TANTIVY)
    }

    fn lock(&self) -> PathBuf {
        self.parent.join(format!(".{}.lock", self.name))
    }

    /// A new generation's path, unique to this build.
    fn new_generation(&self) -> PathBuf {
        self.parent
            .join(format!("{}{}", self.generation_prefix(), unique_suffix()))
    }

    /// Where an index directory of the older layout (a plain directory)
    /// is moved aside: a generation, so a crashed swap leaves nothing
    /// [`remove_leftovers`] misses.
    fn aside(&self) -> PathBuf {
        self.parent
            .join(format!("{}old-{}", self.generation_prefix(), unique_suffix()))
    }

    /// A new link's path, unique to this swap.
    fn new_link(&self) -> PathBuf {
        self.parent.join(format!("{}{}", self.link_prefix(), unique_suffix()))
    }

    fn generation_prefix(&self) -> String {
        format!(".{}.g-", self.name)
    }

    fn link_prefix(&self) -> String {
        format!(".{}.link-", self.name)
    }
}
/// Files read and cleaned together before their articles are handed to
/// the writers: enough to keep every core busy, few enough to bound memory.
const CHUNK_FILES: usize = 512;

/// One corpus file as recorded in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub size: u64,
    /// Modification time (ns since the epoch): a file whose size and time
    /// are unchanged is not read again.
    #[serde(default)]
    pub mtime_ns: u64,
    pub sha256: String,
}

/// A [`FileEntry`] read in place from `files.json`'s bytes: a fresh CLI
/// start compares 200,000 of them with the corpus, and copying none of
/// their strings (unless one holds an escape) saves time and memory.
#[derive(Deserialize)]
struct EntryView<'a> {
    #[serde(borrow)]
    file: Cow<'a, str>,
    size: u64,
    #[serde(default)]
    mtime_ns: u64,
    #[serde(borrow)]
    sha256: Cow<'a, str>,
}

/// What an index was built from (small: read on every open and health
/// check; the per-file list is in `files.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    /// The corpus directory, absolute.
    pub corpus_dir: PathBuf,
    pub articles: usize,
    pub passages: usize,
    /// The number the next added article gets.
    pub next_id: u64,
    /// How exports were read (the configuration's `[fields]`): other
    /// settings mean a full rebuild.
    pub options: String,
}

/// The outcome of a build.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// Articles and passages in the index afterwards.
    pub articles: usize,
    pub passages: usize,
    pub skipped: Vec<Skipped>,
    pub seconds: f64,
    /// Files read and (re)indexed, and files whose articles were removed.
    pub files_indexed: usize,
    pub files_removed: usize,
    /// Whether the build started from the previous index.
    pub incremental: bool,
}

/// Progress callbacks: `(done, total)` files to read.
pub type Progress<'a> = &'a dyn Fn(usize, usize);

/// Reads a manifest, if there is a readable one.
pub fn read_manifest(index_dir: &Path) -> Result<Manifest> {
    read_json(&Layout::manifest(index_dir))
}

/// Reads the per-file list of an index.
pub fn read_files(index_dir: &Path) -> Result<Vec<FileEntry>> {
    read_json(&Layout::files(index_dir))
}

/// The corpus directory the index at `index_dir` was built from, when its
/// manifest reads and that directory is still there.
pub fn built_from(index_dir: &Path) -> Option<PathBuf> {
    read_manifest(index_dir)
        .ok()
        .map(|m| m.corpus_dir)
        .filter(|d| d.is_dir())
}

/// An index written in another format than this program's
/// ([`FORMAT_VERSION`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("format {0}, but this program reads format {FORMAT_VERSION}")]
pub struct OtherFormat(pub u32);

impl From<OtherFormat> for Error {
    fn from(e: OtherFormat) -> Self {
        Error::Index(e.to_string())
    }
}

impl Manifest {
    /// Whether this program can read the index: the one format check.
    pub fn check_format(&self) -> std::result::Result<(), OtherFormat> {
        if self.format_version == FORMAT_VERSION {
            Ok(())
        } else {
            Err(OtherFormat(self.format_version))
        }
    }
}

/// Whether `stat` shows a file as it was recorded (`size`, `mtime_ns`), so
/// it need not be read again. A time of 0 is unknown, never the same.
fn unchanged(size: u64, mtime_ns: u64, stat: &FileStat) -> bool {
    size == stat.size && mtime_ns == stat.mtime_ns && mtime_ns != 0
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_json(path, &bytes)
}

/// Parses the JSON read from `path` (values may borrow from `bytes`).
fn parse_json<'a, T: Deserialize<'a>>(path: &Path, bytes: &'a [u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Index(format!("{}: {e}", path.display())))
}

/// The export settings as recorded in a manifest.
fn options_fingerprint() -> String {
    format!("{:?}", corpus::process_options())
}

/// An exclusive lock on `.<name>.lock` beside the index, held while a build
/// runs and released when dropped (also when the process dies).
pub struct BuildLock {
    _file: std::fs::File,
}

/// Waits for, then takes, the build lock of `index_dir`.
pub fn lock_builds(index_dir: &Path) -> Result<BuildLock> {
    let layout = Layout::of(index_dir);
    std::fs::create_dir_all(&layout.parent).map_err(|e| Error::io(&layout.parent, e))?;
    let path = layout.lock();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    file.lock().map_err(|e| Error::io(&path, e))?;
    Ok(BuildLock { _file: file })
}

/// A name no other build (in this process or another) uses.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Brings the index at `index_dir` up to date with the corpus: an update
/// of the current index when there is a usable one, else a fresh build
/// (waiting for a concurrent build of the same index to finish first).
pub fn build(corpus_dir: &Path, index_dir: &Path, progress: Progress) -> Result<BuildReport> {
    let _lock = lock_builds(index_dir)?;
    build_locked(corpus_dir, index_dir, progress, false)
}

/// Builds the index from scratch, ignoring the current one.
pub fn build_full(corpus_dir: &Path, index_dir: &Path, progress: Progress) -> Result<BuildReport> {
    let _lock = lock_builds(index_dir)?;
    build_locked(corpus_dir, index_dir, progress, true)
}

/// The current generation, when an update can start from it: same format
/// and export settings, files list readable, the index opens.
fn previous(index_dir: &Path) -> Option<(PathBuf, Manifest, Vec<FileEntry>)> {
    let dir = index_dir.canonicalize().ok()?;
    let manifest = read_manifest(&dir).ok()?;
    if manifest.check_format().is_err() || manifest.options != options_fingerprint() {
        return None;
    }
    let files = read_files(&dir).ok()?;
    Index::open_in_dir(Layout::tantivy(&dir)).ok()?.load_metas().ok()?;
    Some((dir, manifest, files))
}

/// What reading one changed or new file gave.
enum Read {
    /// Unreadable now: a warning, and its old articles go.
    Skipped(Skipped),
    /// Same content as indexed (only its time changed).
    Same(FileEntry),
    /// New content: its articles, ready for the writers, and its edge
    /// keys.
    New {
        entry: FileEntry,
        prepared: Vec<Prepared>,
        warnings: Vec<Skipped>,
        keys: Vec<[u64; 2]>,
    },
}

/// Reads one file: unchanged content (by hash) is not cleaned again;
/// otherwise its articles are cleaned, stripped of the edge lines
/// `repeated` holds, and prepared.
fn read_one(stat: &FileStat, old: Option<&FileEntry>, repeated: &Repeated) -> Read {
    let file = match corpus::read(stat) {
        Ok(f) => f,
        Err(s) => return Read::Skipped(s),
    };
    let entry = FileEntry {
        file: file.rel.clone(),
        size: file.size,
        mtime_ns: stat.mtime_ns,
        sha256: file.sha256.clone(),
    };
    if old.is_some_and(|o| o.sha256 == entry.sha256) {
        return Read::Same(entry);
    }
    let mut loaded = crate::load::load_file(&file, corpus::process_options());
    let keys = repeated::edge_keys(&loaded.articles);
    crate::load::strip_repeated(&mut loaded, &file.rel, repeated);
    let mut warnings = loaded.skipped;
    let mut prepared = Vec::with_capacity(loaded.articles.len());
    for (article, ordinal) in loaded.articles.iter().zip(ordinals(&loaded.articles)) {
        match Prepared::new(ordinal, &file.rel, article) {
            Ok(p) => prepared.push(p),
            Err(e) => warnings.push(Skipped {
                file: file.rel.clone(),
                reason: format!("an article cannot be stored: {e}"),
            }),
        }
    }
    Read::New {
        entry,
        prepared,
        warnings,
        keys,
    }
}

/// [`build`] with the build lock already held.
fn build_locked(corpus_dir: &Path, index_dir: &Path, progress: Progress, full: bool) -> Result<BuildReport> {
    let started = Instant::now();
    if !corpus_dir.is_dir() {
        return Err(Error::NoCorpus {
            path: corpus_dir.to_path_buf(),
        });
    }
    let (stats, skipped) = corpus::scan(corpus_dir)?;
    let corpus_abs = corpus_dir.canonicalize().map_err(|e| Error::io(corpus_dir, e))?;
    let previous = if full { None } else { previous(index_dir) };
    let old_files: Vec<FileEntry> = previous.as_ref().map(|p| p.2.clone()).unwrap_or_default();
    // Edge keys of the indexed files, and the repeated lines every indexed
    // file was cleaned with (each build leaves all its files consistent
    // with the set it computed).
    let edges: HashMap<String, Vec<[u64; 2]>> = previous
        .as_ref()
        .and_then(|(dir, _, _)| read_json(&Layout::edges(dir)).ok())
        .unwrap_or_default();
    let applied = Repeated::from_files(edges.values().map(Vec::as_slice));

    let layout = Layout::of(index_dir);
    std::fs::create_dir_all(&layout.parent).map_err(|e| Error::io(&layout.parent, e))?;
    remove_leftovers(&layout, index_dir);
    let generation = TempGeneration::new(layout.new_generation());
    let index = generation.create_index(previous.as_ref().map(|p| p.0.as_path()))?;
    let mut update = Update {
        writers: Writer::new(&index, previous.is_none())?,
        next_id: previous.as_ref().map_or(0, |p| p.1.next_id),
        old: old_files.iter().map(|e| (e.file.as_str(), e)).collect(),
        entries: Vec::with_capacity(stats.len()),
        edges,
        skipped,
        files_indexed: 0,
        files_removed: 0,
    };
    update.read_changed(&stats, &applied, progress)?;
    update.clean_repeated_again(&stats, &applied)?;

    let Update {
        writers,
        next_id,
        mut entries,
        edges,
        mut skipped,
        files_indexed,
        files_removed,
        ..
    } = update;
    writers.finish()?;
    entries.sort_by(|a, b| a.file.cmp(&b.file));
    let searcher = index.reader()?.searcher();
    let (articles, passages) = (searcher.num_docs() as usize, super::passage_count(&searcher)?);
    if articles == 0 {
        return Err(Error::EmptyCorpus {
            path: corpus_dir.to_path_buf(),
            files: entries.len(),
            skipped: skipped.len(),
        });
    }
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        corpus_dir: corpus_abs,
        articles,
        passages,
        next_id,
        options: options_fingerprint(),
    };
    generation.write(&entries, &edges, &manifest)?;
    generation.swap_in(index_dir)?;
    skipped.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(BuildReport {
        articles,
        passages,
        skipped,
        seconds: started.elapsed().as_secs_f64(),
        files_indexed,
        files_removed,
        incremental: previous.is_some(),
    })
}

/// A generation being built: removed when dropped before it is swapped in,
/// so a build that fails leaves nothing behind.
struct TempGeneration {
    path: PathBuf,
    swapped_in: bool,
}

impl TempGeneration {
    fn new(path: PathBuf) -> TempGeneration {
        TempGeneration {
            path,
            swapped_in: false,
        }
    }

    /// The generation's tantivy index: the previous generation's at
    /// `previous` (its files hard-linked), or a new, empty one.
    fn create_index(&self, previous: Option<&Path>) -> Result<Index> {
        let tantivy_dir = Layout::tantivy(&self.path);
        let index = match previous {
            Some(dir) => {
                link_copy(&Layout::tantivy(dir), &tantivy_dir)?;
                Index::open_in_dir(&tantivy_dir)?
            }
            None => {
                std::fs::create_dir_all(&tantivy_dir).map_err(|e| Error::io(&tantivy_dir, e))?;
                Index::builder()
                    .schema(super::schema().0)
                    .settings(super::settings())
                    .create_in_dir(&tantivy_dir)?
            }
        };
        tokenize::register(&index);
        Ok(index)
    }

    /// Writes the file list, the edge keys and, last, the manifest.
    fn write(&self, entries: &[FileEntry], edges: &HashMap<String, Vec<[u64; 2]>>, manifest: &Manifest) -> Result<()> {
        write_json(&Layout::files(&self.path), &entries)?;
        write_json(&Layout::edges(&self.path), edges)?;
        write_json(&Layout::manifest(&self.path), manifest)
    }

    /// Makes the index path point at this generation, which then stays.
    fn swap_in(mut self, index_dir: &Path) -> Result<()> {
        swap_in(&self.path, index_dir)?;
        self.swapped_in = true;
        Ok(())
    }
}

impl Drop for TempGeneration {
    fn drop(&mut self) {
        if !self.swapped_in {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// What one build puts into its new generation, file by file.
struct Update<'a> {
    writers: Writer,
    /// The number the next added article gets.
    next_id: u64,
    /// The previous generation's files, by path.
    old: HashMap<&'a str, &'a FileEntry>,
    /// The new generation's files.
    entries: Vec<FileEntry>,
    edges: HashMap<String, Vec<[u64; 2]>>,
    skipped: Vec<Skipped>,
    files_indexed: usize,
    files_removed: usize,
}

impl Update<'_> {
    /// Reads the files that are new or changed by size and time, and
    /// deletes the articles of removed ones; files unchanged by size and
    /// time are kept as they are.
    fn read_changed(&mut self, stats: &[FileStat], applied: &Repeated, progress: Progress) -> Result<()> {
        let mut to_read: Vec<&FileStat> = Vec::new();
        for stat in stats {
            match self.old.get(stat.rel.as_str()) {
                Some(e) if unchanged(e.size, e.mtime_ns, stat) => self.entries.push((*e).clone()),
                _ => to_read.push(stat),
            }
        }
        let present: HashSet<&str> = stats.iter().map(|s| s.rel.as_str()).collect();
        for file in self.old.keys().filter(|f| !present.contains(*f)) {
            self.writers.delete_file(file);
            self.files_removed += 1;
        }
        let mut done = 0;
        for chunk in to_read.chunks(CHUNK_FILES) {
            let reads: Vec<Read> = chunk
                .par_iter()
                .map(|stat| read_one(stat, self.old.get(stat.rel.as_str()).copied(), applied))
                .collect();
            for (stat, read) in chunk.iter().zip(reads) {
                self.apply(stat, read)?;
            }
            done += chunk.len();
            progress(done, to_read.len());
        }
        self.edges.retain(|file, _| present.contains(file.as_str()));
        Ok(())
    }

    /// Takes in one file read for this build.
    fn apply(&mut self, stat: &FileStat, read: Read) -> Result<()> {
        let indexed = self.old.contains_key(stat.rel.as_str());
        match read {
            Read::Skipped(s) => {
                if indexed {
                    self.writers.delete_file(&stat.rel);
                    self.files_removed += 1;
                }
                self.edges.remove(&stat.rel);
                self.skipped.push(s);
            }
            Read::Same(entry) => self.entries.push(entry),
            Read::New {
                entry,
                prepared,
                warnings,
                keys,
            } => {
                self.edges.insert(stat.rel.clone(), keys);
                if indexed {
                    self.writers.delete_file(&stat.rel);
                }
                self.add(&prepared)?;
                self.skipped.extend(warnings);
                self.entries.push(entry);
                self.files_indexed += 1;
            }
        }
        Ok(())
    }

    fn add(&mut self, prepared: &[Prepared]) -> Result<()> {
        for p in prepared {
            self.writers.add(self.next_id, p)?;
            self.next_id += 1;
        }
        Ok(())
    }

    /// Furniture by repetition: with every file's edge lines known, the
    /// files whose repeated lines differ from those they were cleaned with
    /// (`applied`) are cleaned again (after a build from scratch, every
    /// file holding one; after an update, only those a new or removed file
    /// tipped over the threshold).
    fn clean_repeated_again(&mut self, stats: &[FileStat], applied: &Repeated) -> Result<()> {
        let found = Repeated::from_files(self.edges.values().map(Vec::as_slice));
        let by_rel: HashMap<&str, &FileStat> = stats.iter().map(|s| (s.rel.as_str(), s)).collect();
        let stale: Vec<&FileStat> = self
            .edges
            .iter()
            .filter(|(_, keys)| !found.of(keys).eq(applied.of(keys)))
            .filter_map(|(file, _)| by_rel.get(file.as_str()).copied())
            .collect();
        for chunk in stale.chunks(CHUNK_FILES) {
            let reads: Vec<Read> = chunk.par_iter().map(|stat| read_one(stat, None, &found)).collect();
            for (stat, read) in chunk.iter().zip(reads) {
                if let Read::New { prepared, .. } = read {
                    self.writers.delete_file(&stat.rel);
                    self.add(&prepared)?;
                }
            }
        }
        Ok(())
    }
}

/// Copies a tantivy directory by hard links (tantivy never modifies a
/// file it wrote; it replaces `meta.json` by rename), or by copying where
/// links are not possible. Lock files are not copied.
fn link_copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".lock") {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if std::fs::hard_link(&src, &dst).is_err() {
            std::fs::copy(&src, &dst).map_err(|e| Error::io(&src, e))?;
        }
    }
    Ok(())
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut w, value)?;
    std::io::Write::flush(&mut w).map_err(|e| Error::io(path, e))
}

/// Removes generations and temporary links of `name` that the index path
/// does not point to: what a crashed or replaced build left. Only called
/// with the build lock held, so no other build is writing one.
fn remove_leftovers(layout: &Layout, index_dir: &Path) {
    let current = std::fs::read_link(index_dir).ok();
    let Ok(entries) = std::fs::read_dir(&layout.parent) else {
        return;
    };
    let (generation, link) = (layout.generation_prefix(), layout.link_prefix());
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if current.as_deref() == Some(Path::new(&*file_name)) {
            continue;
        }
        if file_name.starts_with(&generation) {
            let _ = std::fs::remove_dir_all(entry.path());
        } else if file_name.starts_with(&link) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Makes `dest` point at the finished generation `generation` in one
/// rename of a symlink, then removes the generation it replaced (a
/// process still serving from it keeps its open files).
#[cfg(unix)]
fn swap_in(generation: &Path, dest: &Path) -> Result<()> {
    let layout = Layout::of(dest);
    let target = generation
        .file_name()
        .ok_or_else(|| Error::Index(format!("{} has no file name", generation.display())))?;
    let link = layout.new_link();
    // Relative, so the data directory can be moved or copied whole.
    std::os::unix::fs::symlink(target, &link).map_err(|e| Error::io(&link, e))?;
    let previous = match std::fs::symlink_metadata(dest) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::read_link(dest).ok().map(|t| layout.parent.join(t)),
        Ok(_) => {
            // The older layout: a plain directory. Moved aside once (the
            // only moment without an index); removed below.
            let aside = layout.aside();
            std::fs::rename(dest, &aside).map_err(|e| Error::io(dest, e))?;
            Some(aside)
        }
        Err(_) => None,
    };
    if let Err(e) = std::fs::rename(&link, dest) {
        let _ = std::fs::remove_file(&link);
        return Err(Error::io(dest, e));
    }
    if let Some(previous) = previous.filter(|p| p != generation) {
        let _ = std::fs::remove_dir_all(previous);
    }
    Ok(())
}

/// Replaces `dest` by `generation` with two renames (no atomic symlink swap
/// off unix; the build lock still keeps builders apart).
#[cfg(not(unix))]
fn swap_in(generation: &Path, dest: &Path) -> Result<()> {
    let old = Layout::of(dest).aside();
    let had_old = dest.exists();
    if had_old {
        std::fs::rename(dest, &old).map_err(|e| Error::io(dest, e))?;
    }
    std::fs::rename(generation, dest).map_err(|e| Error::io(dest, e))?;
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

/// Opens a built index (tokenizers registered). The index path is resolved
/// once, so the manifest and the tantivy index come from the same
/// generation even if a build swaps in a new one meanwhile (the engine
/// opens again when that build removed this generation under it).
pub fn open_index(index_dir: &Path) -> Result<Index> {
    let resolved = index_dir.canonicalize().unwrap_or_else(|_| index_dir.to_path_buf());
    open_resolved(&resolved)
}

fn open_resolved(index_dir: &Path) -> Result<Index> {
    read_manifest(index_dir)?.check_format()?;
    let path = Layout::tantivy(index_dir);
    let directory = ServingDirectory::open(&path).map_err(tantivy::TantivyError::from)?;
    let index = Index::open(directory)?;
    tokenize::register(&index);
    Ok(index)
}

/// Checks that the index at `index_dir` opens, without loading it: the
/// manifest, its format, the tantivy index. Cheap enough for a health
/// check every few seconds on any archive size.
pub fn check(index_dir: &Path) -> Result<Manifest> {
    let dir = index_dir.canonicalize().map_err(|e| Error::io(index_dir, e))?;
    let manifest = read_manifest(&dir)?;
    manifest.check_format()?;
    Index::open_in_dir(Layout::tantivy(&dir))?.load_metas()?;
    Ok(manifest)
}

/// Why an index needs building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staleness {
    /// There is no index yet.
    Missing,
    /// The manifest does not read.
    UnreadableManifest(String),
    /// The index is of another format.
    Format(OtherFormat),
    /// It was built with other export field settings.
    Options,
    /// The per-file list does not read.
    UnreadableFiles(String),
    /// Files were added, changed or removed since the build.
    Changed {
        /// The corpus as the manifest names it.
        built_from: PathBuf,
        added: usize,
        changed: usize,
        removed: usize,
    },
}

impl std::fmt::Display for Staleness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Staleness::Missing => write!(f, "no index yet"),
            Staleness::UnreadableManifest(e) => write!(f, "unreadable manifest ({e})"),
            Staleness::Format(e) => write!(f, "index {e}"),
            Staleness::Options => write!(f, "the export field settings changed"),
            Staleness::UnreadableFiles(e) => write!(f, "unreadable file list ({e})"),
            Staleness::Changed {
                built_from,
                added,
                changed,
                removed,
            } => write!(
                f,
                "the corpus changed since it was built from {} ({added} files added, {changed} changed, {removed} removed)",
                built_from.display()
            ),
        }
    }
}

/// Why the index needs building, if it does. Cheap: files whose size and
/// modification time match the index's record are not read; others are
/// hashed, so a file touched without change (or a moved checkout) does not
/// count.
pub fn staleness(index_dir: &Path, corpus_dir: &Path) -> Option<Staleness> {
    let manifest = match read_manifest(index_dir) {
        Ok(m) => m,
        Err(Error::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
            return Some(Staleness::Missing);
        }
        Err(e) => return Some(Staleness::UnreadableManifest(e.to_string())),
    };
    if let Err(e) = manifest.check_format() {
        return Some(Staleness::Format(e));
    }
    if manifest.options != options_fingerprint() {
        return Some(Staleness::Options);
    }
    let path = Layout::files(index_dir);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e).to_string());
    // Listing the corpus waits mostly on the filesystem, parsing the file
    // list mostly on the CPU: side by side they overlap (at 200,000 files
    // each takes a few hundred milliseconds of a fresh start).
    let (scanned, files) = std::thread::scope(|s| {
        let files = s.spawn(|| {
            let bytes = bytes.as_ref().map_err(Clone::clone)?;
            parse_json::<Vec<EntryView>>(&path, bytes).map_err(|e| e.to_string())
        });
        let scanned = corpus::scan(corpus_dir);
        let files = files
            .join()
            .unwrap_or_else(|_| Err(format!("{}: not parsed", path.display())));
        (scanned, files)
    });
    let Ok((stats, _)) = scanned else {
        return None; // no corpus to compare with: use the index as it is
    };
    let mut files = match files {
        Ok(f) => f,
        Err(e) => return Some(Staleness::UnreadableFiles(e)),
    };
    // Both lists are sorted by path (the file list as written, the scan
    // always), so one pass in step compares them: no hash table of a
    // million paths on every check.
    if !files.is_sorted_by(|a, b| a.file < b.file) {
        files.sort_unstable_by(|a, b| a.file.cmp(&b.file));
    }
    let (mut added, mut changed, mut removed) = (0, 0, 0);
    let mut old = files.iter().peekable();
    for stat in &stats {
        while old.next_if(|e| *e.file < *stat.rel).is_some() {
            removed += 1;
        }
        match old.next_if(|e| *e.file == *stat.rel) {
            None => added += 1,
            Some(e) if unchanged(e.size, e.mtime_ns, stat) => {}
            Some(e) => {
                let same = e.size == stat.size && corpus::read(stat).is_ok_and(|f| f.sha256 == e.sha256);
                if !same {
                    changed += 1;
                }
            }
        }
    }
    removed += old.count();
    (added + changed + removed > 0).then_some(Staleness::Changed {
        built_from: manifest.corpus_dir,
        added,
        changed,
        removed,
    })
}

/// Updates the index when it is missing or stale (waiting for a concurrent
/// build first, then checking again), saying why through `warn` unless it
/// is simply not built yet. Returns the report when it built.
pub fn update_if_stale(
    corpus_dir: &Path,
    index_dir: &Path,
    progress: Progress,
    warn: &dyn Fn(&str),
) -> Result<Option<BuildReport>> {
    if staleness(index_dir, corpus_dir).is_none() {
        return Ok(None);
    }
    let _lock = lock_builds(index_dir)?;
    // Another process may have built it while this one waited.
    let Some(reason) = staleness(index_dir, corpus_dir) else {
        return Ok(None);
    };
    if reason != Staleness::Missing {
        warn(&format!("updating the index at {}: {reason}", index_dir.display()));
    }
    build_locked(corpus_dir, index_dir, progress, false).map(Some)
}
