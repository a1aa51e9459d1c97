//! The update journal: what makes polling survive a crash.
//!
//! Telegram forgets an update once a later `getUpdates` confirms its
//! offset, and teloxide's polling confirms a batch as soon as it asks for
//! the next one — before the handlers have answered. A `kill -9` then loses
//! every question received but not yet answered. So each update is written
//! (and synced) to an append-only file in the data directory before it is
//! handled, and marked done after; on start the updates not marked done are
//! handled first. Updates Telegram sends again that the journal already
//! holds (received, offset not yet confirmed at the crash) are skipped, so
//! only a reply that was being sent at the crash can go out twice.
//!
//! One JSON object per line: `{"seen":N}` (every update up to N was
//! received; written when the file is compacted), `{"u":ID,"update":{…}}`
//! (received) and `{"d":ID}` (handled). A torn last line (a crash mid-write)
//! is ignored. Plain values in and out; the caller turns them into
//! teloxide's types.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value, json};

/// The journal's file name inside the data directory.
pub const FILE_NAME: &str = "updates.journal";
/// Once this many lines are written and nothing is pending, the file is
/// rewritten to one line.
const COMPACT_AFTER_LINES: usize = 1000;

struct Inner {
    file: File,
    /// Received and not yet handled, by update id.
    pending: BTreeMap<i64, Value>,
    /// The highest update id ever received (-1: none).
    max_seen: i64,
    lines: usize,
}

/// An open journal, shared by the update stream and the handlers.
pub struct Journal {
    path: PathBuf,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

impl Journal {
    /// Opens (or creates) the journal in `dir`; returns it with the updates
    /// a previous run received but did not finish, oldest first.
    pub fn open(dir: &Path) -> std::io::Result<(Journal, Vec<(i64, Value)>)> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(FILE_NAME);
        let mut pending = BTreeMap::new();
        let mut max_seen = -1;
        match File::open(&path) {
            Ok(file) => {
                for line in BufReader::new(file).lines() {
                    let Ok(line) = line else { break };
                    let Ok(v) = serde_json::from_str::<Value>(&line) else {
                        continue; // a torn line from a crash mid-write
                    };
                    if let Some(n) = v["seen"].as_i64() {
                        max_seen = max_seen.max(n);
                    } else if let Some(id) = v["u"].as_i64() {
                        max_seen = max_seen.max(id);
                        pending.insert(id, v["update"].clone());
                    } else if let Some(id) = v["d"].as_i64() {
                        pending.remove(&id);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let file = rewrite(&path, max_seen, &pending)?;
        let replay = pending.iter().map(|(id, u)| (*id, u.clone())).collect();
        let lines = pending.len() + 1;
        Ok((
            Journal {
                path,
                inner: Mutex::new(Inner {
                    file,
                    pending,
                    max_seen,
                    lines,
                }),
            },
            replay,
        ))
    }

    /// Records a received update before it is handled. `false` when the
    /// journal already holds it (Telegram sent it again after a crash):
    /// skip it. A write failure is logged and the update still handled —
    /// answering matters more than remembering.
    pub fn received(&self, id: i64, update: &Value) -> bool {
        let Ok(mut inner) = self.inner.lock() else {
            return true;
        };
        if id <= inner.max_seen {
            return false;
        }
        inner.max_seen = id;
        let line = json!({"u": id, "update": update});
        let written = writeln!(inner.file, "{line}").and_then(|()| inner.file.sync_data());
        if let Err(e) = written {
            tracing::warn!(error = %e, path = %self.path.display(), "cannot write the update journal");
        }
        inner.lines += 1;
        inner.pending.insert(id, update.clone());
        true
    }

    /// Marks an update handled (answered, or failed for good). Not synced:
    /// a lost mark costs at most one repeated reply after a power loss.
    pub fn done(&self, id: i64) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.pending.remove(&id).is_none() {
            return;
        }
        if let Err(e) = writeln!(inner.file, "{}", json!({ "d": id })) {
            tracing::warn!(error = %e, "cannot write the update journal");
        }
        inner.lines += 1;
        if inner.pending.is_empty() && inner.lines >= COMPACT_AFTER_LINES {
            match rewrite(&self.path, inner.max_seen, &inner.pending) {
                Ok(file) => {
                    inner.file = file;
                    inner.lines = 1;
                }
                Err(e) => tracing::warn!(error = %e, "cannot compact the update journal"),
            }
        }
    }

    /// Updates received and not yet handled.
    pub fn pending(&self) -> usize {
        self.inner.lock().map(|i| i.pending.len()).unwrap_or(0)
    }
}

/// Writes `{"seen":max}` and the pending updates to a new file, renames it
/// over `path` and returns it open for appending.
fn rewrite(path: &Path, max_seen: i64, pending: &BTreeMap<i64, Value>) -> std::io::Result<File> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    {
        let mut out = std::io::BufWriter::new(File::create(&tmp)?);
        writeln!(out, "{}", json!({ "seen": max_seen }))?;
        for (id, update) in pending {
            writeln!(out, "{}", json!({"u": id, "update": update}))?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    OpenOptions::new().append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upd(id: i64) -> Value {
        json!({"update_id": id, "message": {"text": format!("q{id}")}})
    }

    #[test]
    fn unfinished_updates_are_replayed_and_repeats_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (j, replay) = Journal::open(dir.path()).unwrap();
        assert!(replay.is_empty());
        for id in 10..15 {
            assert!(j.received(id, &upd(id)));
        }
        j.done(10);
        j.done(12);
        drop(j); // a crash: 11, 13, 14 were never answered
        let (j, replay) = Journal::open(dir.path()).unwrap();
        let ids: Vec<i64> = replay.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [11, 13, 14]);
        assert_eq!(replay[0].1, upd(11));
        // Telegram sends 12..=15 again (the offset was not confirmed).
        let fresh: Vec<i64> = (12..=15).filter(|&id| j.received(id, &upd(id))).collect();
        assert_eq!(fresh, [15], "only the new one is handled");
        for id in [11, 13, 14, 15] {
            j.done(id);
        }
        assert_eq!(j.pending(), 0);
        drop(j);
        let (j, replay) = Journal::open(dir.path()).unwrap();
        assert!(replay.is_empty());
        assert!(!j.received(15, &upd(15)), "the highest id survives compaction");
    }

    #[test]
    fn a_torn_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path()).unwrap();
        j.received(1, &upd(1));
        drop(j);
        let path = dir.path().join(FILE_NAME);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        write!(f, "{{\"u\":2,\"upd").unwrap();
        drop(f);
        let (_, replay) = Journal::open(dir.path()).unwrap();
        assert_eq!(replay.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn the_file_is_compacted_when_idle() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path()).unwrap();
        for id in 0..COMPACT_AFTER_LINES as i64 {
            j.received(id, &upd(id));
            j.done(id);
        }
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.lines().count() < 10, "{} lines", text.lines().count());
        assert!(!j.received(5, &upd(5)));
    }
}
