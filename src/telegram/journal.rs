//! The update journal: what makes polling survive a crash.
//!
//! Telegram forgets an update once a later `getUpdates` confirms its
//! offset, and polling confirms a batch as soon as it asks for the next
//! one — before the handlers have answered. A `kill -9` then loses every
//! question received but not yet answered. So each update is written (and
//! synced) to an append-only file in the data directory before it is
//! handled, and marked done after; on start the updates not marked done are
//! handled first.
//!
//! **What counts as a repeat.** Telegram sends an update again only while
//! its offset is unconfirmed: after a crash, the last batch or two. An
//! update is skipped as a repeat only if its id is among the ids received
//! recently ([`RECENT_IDS`] of them, pending ones included), never by
//! comparing with the highest id: the Bot API documents that after a week
//! without updates the next id is chosen at random, so ids can start again
//! lower, and a journal that skipped every id below its highest would
//! leave the bot deaf.
//!
//! **One bot per journal.** The first line names the bot (`getMe`'s id). A
//! data directory reused by another bot (a new token, a copied volume)
//! starts a fresh journal, with a warning; the old file is kept beside it
//! as `updates.journal.bot<ID>` for inspection, its pending updates not
//! replayed (they were sent to another bot).
//!
//! One JSON object per line: `{"bot":ID}` (first), `{"recent":[…]}` (ids
//! received before the last compaction), `{"u":ID,"update":{…}}`
//! (received) and `{"d":ID}` (handled). A torn last line (a crash
//! mid-write) is ignored. Plain values in and out; the caller turns them
//! into teloxide's types.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};

/// The journal's file name inside the data directory.
pub const FILE_NAME: &str = "updates.journal";
/// Once this many lines are written and nothing is pending, the file is
/// rewritten to a few lines.
const COMPACT_AFTER_LINES: usize = 1000;
/// How many received ids are remembered to recognise a repeat. Telegram
/// resends at most the unconfirmed updates (a batch is at most 100), so
/// this is ten batches' worth; a new id colliding with one of these after
/// a random restart of the ids is a one-in-200,000 chance.
pub const RECENT_IDS: usize = 1000;

/// Why an update was not handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Received before and not yet handled (being handled now).
    Pending,
    /// Received and handled recently: Telegram sent it again.
    Repeat,
}

/// The ids received recently, oldest first, with a set to look them up.
#[derive(Default)]
struct RecentIds {
    order: VecDeque<i64>,
    set: HashSet<i64>,
}

impl RecentIds {
    fn insert(&mut self, id: i64) {
        if !self.set.insert(id) {
            return;
        }
        self.order.push_back(id);
        while self.order.len() > RECENT_IDS {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }

    fn contains(&self, id: i64) -> bool {
        self.set.contains(&id)
    }
}

struct Inner {
    file: File,
    /// Received and not yet handled, by update id.
    pending: BTreeMap<i64, Value>,
    recent: RecentIds,
    lines: usize,
}

/// An open journal, shared by the update stream and the handlers.
pub struct Journal {
    path: PathBuf,
    bot: i64,
    inner: Mutex<Inner>,
    skipped: AtomicU64,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("bot", &self.bot)
            .finish()
    }
}

/// What a journal file holds.
#[derive(Default)]
struct Contents {
    bot: Option<i64>,
    pending: BTreeMap<i64, Value>,
    recent: RecentIds,
}

fn read(path: &Path) -> std::io::Result<Contents> {
    let mut c = Contents::default();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(c),
        Err(e) => return Err(e),
    };
    for line in BufReader::new(file).lines() {
        let Ok(line) = line else { break };
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue; // a torn line from a crash mid-write
        };
        if let Some(bot) = v["bot"].as_i64() {
            c.bot = Some(bot);
        } else if let Some(ids) = v["recent"].as_array() {
            for id in ids.iter().filter_map(Value::as_i64) {
                c.recent.insert(id);
            }
        } else if let Some(id) = v["u"].as_i64() {
            c.recent.insert(id);
            c.pending.insert(id, v["update"].clone());
        } else if let Some(id) = v["d"].as_i64() {
            c.pending.remove(&id);
        }
        // `{"seen":N}` (older journals: a high-water mark) is ignored: it
        // is exactly the assumption that made ids starting again lower
        // look old.
    }
    Ok(c)
}

impl Journal {
    /// Opens (or creates) the journal of bot `bot` in `dir`; returns it
    /// with the updates a previous run received but did not finish, oldest
    /// first. A journal of another bot is set aside (see the module doc).
    pub fn open(dir: &Path, bot: i64) -> std::io::Result<(Journal, Vec<(i64, Value)>)> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(FILE_NAME);
        let mut contents = read(&path)?;
        if let Some(other) = contents.bot.filter(|&b| b != bot) {
            let aside = dir.join(format!("{FILE_NAME}.bot{other}"));
            tracing::warn!(
                journal_bot = other,
                bot,
                pending = contents.pending.len(),
                kept_as = %aside.display(),
                "the update journal belongs to another bot; starting a fresh one"
            );
            std::fs::rename(&path, &aside)?;
            contents = Contents::default();
        }
        let file = rewrite(&path, bot, &contents.recent, &contents.pending)?;
        let replay = contents.pending.iter().map(|(id, u)| (*id, u.clone())).collect();
        let lines = contents.pending.len() + 2;
        Ok((
            Journal {
                path,
                bot,
                inner: Mutex::new(Inner {
                    file,
                    pending: contents.pending,
                    recent: contents.recent,
                    lines,
                }),
                skipped: AtomicU64::new(0),
            },
            replay,
        ))
    }

    /// Records a received update before it is handled. `Err(why)` when the
    /// journal already holds it (Telegram sent it again): skip it. A write
    /// failure is logged and the update still handled — answering matters
    /// more than remembering.
    pub fn received(&self, id: i64, update: &Value) -> Result<(), Skip> {
        let mut inner = self.lock();
        let skip = if inner.pending.contains_key(&id) {
            Some(Skip::Pending)
        } else if inner.recent.contains(id) {
            Some(Skip::Repeat)
        } else {
            None
        };
        if let Some(skip) = skip {
            drop(inner);
            self.skipped.fetch_add(1, Ordering::Relaxed);
            let why = match skip {
                Skip::Pending => "received before and still being handled",
                Skip::Repeat => "received and handled recently (Telegram sent it again)",
            };
            tracing::info!(update = id, why, "skipping an update the journal already holds");
            return Err(skip);
        }
        inner.recent.insert(id);
        let line = json!({"u": id, "update": update});
        let written = writeln!(inner.file, "{line}").and_then(|()| inner.file.sync_data());
        if let Err(e) = written {
            tracing::warn!(error = %e, path = %self.path.display(), "cannot write the update journal");
        }
        inner.lines += 1;
        inner.pending.insert(id, update.clone());
        Ok(())
    }

    /// Marks an update handled (answered, or failed for good). Not synced:
    /// a lost mark costs at most one repeated reply after a power loss.
    pub fn done(&self, id: i64) {
        let mut inner = self.lock();
        if inner.pending.remove(&id).is_none() {
            return;
        }
        if let Err(e) = writeln!(inner.file, "{}", json!({ "d": id })) {
            tracing::warn!(error = %e, "cannot write the update journal");
        }
        inner.lines += 1;
        if inner.pending.is_empty() && inner.lines >= COMPACT_AFTER_LINES {
            match rewrite(&self.path, self.bot, &inner.recent, &inner.pending) {
                Ok(file) => {
                    inner.file = file;
                    inner.lines = 2;
                }
                Err(e) => tracing::warn!(error = %e, "cannot compact the update journal"),
            }
        }
    }

    /// Updates skipped as already received, since the journal was opened.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Updates received and not yet handled.
    pub fn pending(&self) -> usize {
        self.lock().pending.len()
    }

    /// The journal's state, recovered from a poisoned lock: every line is
    /// written whole or not at all, so a panicking holder leaves nothing
    /// half done worth refusing to record for.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes the bot's id, the recent ids and the pending updates to a new
/// file, renames it over `path` and returns it open for appending.
fn rewrite(path: &Path, bot: i64, recent: &RecentIds, pending: &BTreeMap<i64, Value>) -> std::io::Result<File> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    {
        let mut out = std::io::BufWriter::new(File::create(&tmp)?);
        writeln!(out, "{}", json!({ "bot": bot }))?;
        // Pending ids are written with their updates below.
        let ids: Vec<i64> = recent
            .order
            .iter()
            .copied()
            .filter(|id| !pending.contains_key(id))
            .collect();
        writeln!(out, "{}", json!({ "recent": ids }))?;
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

    const BOT: i64 = 7;

    fn upd(id: i64) -> Value {
        json!({"update_id": id, "message": {"text": format!("q{id}")}})
    }

    fn fresh(j: &Journal, ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
        ids.into_iter().filter(|&id| j.received(id, &upd(id)).is_ok()).collect()
    }

    #[test]
    fn unfinished_updates_are_replayed_and_repeats_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (j, replay) = Journal::open(dir.path(), BOT).unwrap();
        assert!(replay.is_empty());
        assert_eq!(fresh(&j, 10..15), [10, 11, 12, 13, 14]);
        j.done(10);
        j.done(12);
        drop(j); // a crash: 11, 13, 14 were never answered
        let (j, replay) = Journal::open(dir.path(), BOT).unwrap();
        let ids: Vec<i64> = replay.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [11, 13, 14]);
        assert_eq!(replay[0].1, upd(11));
        // Telegram sends 12..=15 again (the offset was not confirmed).
        assert_eq!(j.received(12, &upd(12)), Err(Skip::Repeat));
        assert_eq!(j.received(13, &upd(13)), Err(Skip::Pending));
        assert_eq!(fresh(&j, 12..=15), [15], "only the new one is handled");
        for id in [11, 13, 14, 15] {
            j.done(id);
        }
        assert_eq!(j.pending(), 0);
        drop(j);
        let (j, replay) = Journal::open(dir.path(), BOT).unwrap();
        assert!(replay.is_empty());
        assert_eq!(
            j.received(15, &upd(15)),
            Err(Skip::Repeat),
            "recent ids survive a restart"
        );
    }

    #[test]
    fn ids_that_start_again_lower_are_new() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path(), BOT).unwrap();
        assert_eq!(fresh(&j, 5000..5003), [5000, 5001, 5002]);
        for id in 5000..5003 {
            j.done(id);
        }
        // While running: Telegram's ids restart lower after a quiet week.
        assert_eq!(fresh(&j, 1000..1003), [1000, 1001, 1002]);
        for id in 1000..1003 {
            j.done(id);
        }
        drop(j);
        // After a restart: lower again, and the earlier ones still repeats.
        let (j, replay) = Journal::open(dir.path(), BOT).unwrap();
        assert!(replay.is_empty());
        assert_eq!(fresh(&j, 1..4), [1, 2, 3]);
        assert_eq!(fresh(&j, [5001, 1001, 2]), Vec::<i64>::new());
    }

    #[test]
    fn only_a_window_of_recent_ids_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path(), BOT).unwrap();
        let n = RECENT_IDS as i64;
        for id in 0..n + 10 {
            assert!(j.received(id, &upd(id)).is_ok());
            j.done(id);
        }
        // The oldest ten fell out of the window; the rest are repeats.
        assert_eq!(fresh(&j, [n + 9, 10, 9]), [9]);
    }

    #[test]
    fn a_journal_of_another_bot_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path(), BOT).unwrap();
        assert_eq!(fresh(&j, 100..103), [100, 101, 102]);
        drop(j); // 100..103 pending, for bot 7
        let (j, replay) = Journal::open(dir.path(), 8).unwrap();
        assert!(replay.is_empty(), "another bot's updates are not replayed");
        assert_eq!(fresh(&j, 100..103), [100, 101, 102], "nor taken for repeats");
        let aside = dir.path().join(format!("{FILE_NAME}.bot{BOT}"));
        assert!(std::fs::read_to_string(aside).unwrap().contains("\"u\":101"));
        drop(j);
        let (_, replay) = Journal::open(dir.path(), 8).unwrap();
        assert_eq!(replay.len(), 3, "the new journal is bot 8's own");
    }

    #[test]
    fn an_older_journal_with_a_high_water_mark_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let old = "{\"seen\":9000}\n{\"u\":9001,\"update\":{\"update_id\":9001}}\n";
        std::fs::write(dir.path().join(FILE_NAME), old).unwrap();
        let (j, replay) = Journal::open(dir.path(), BOT).unwrap();
        assert_eq!(replay.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [9001]);
        assert_eq!(fresh(&j, [5, 9001]), [5], "below the old mark is new");
    }

    #[test]
    fn a_torn_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path(), BOT).unwrap();
        j.received(1, &upd(1)).unwrap();
        drop(j);
        let path = dir.path().join(FILE_NAME);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        write!(f, "{{\"u\":2,\"upd").unwrap();
        drop(f);
        let (_, replay) = Journal::open(dir.path(), BOT).unwrap();
        assert_eq!(replay.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn the_file_is_compacted_when_idle() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path(), BOT).unwrap();
        for id in 0..COMPACT_AFTER_LINES as i64 {
            j.received(id, &upd(id)).unwrap();
            j.done(id);
        }
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.lines().count() < 10, "{} lines", text.lines().count());
        assert_eq!(j.received(5, &upd(5)), Err(Skip::Repeat));
        drop(j);
        let (j, _) = Journal::open(dir.path(), BOT).unwrap();
        assert_eq!(
            j.received(999, &upd(999)),
            Err(Skip::Repeat),
            "compaction keeps the recent ids"
        );
    }
}
