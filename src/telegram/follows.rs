//! Follows: the topics a chat follows (`/follow 锦湖街道`), and what was
//! already posted to it, kept in `data_dir/follows.json` so that alerts
//! survive restarts and crashes.
//!
//! Exactly once: new articles are those numbered at or above the
//! `watermark` (articles added by an index update get higher numbers than
//! every article before them). After an update, each chat's matches are
//! posted and their keys recorded (the file rewritten atomically after
//! each message), and only when every chat is done does the watermark move
//! on. A crash in between repeats the round at the next start: what was
//! recorded is skipped, what was not is posted, so nothing matched is
//! missed and only a message in flight at the crash can go out twice.
//!
//! Plain data and file I/O only; the bot's alert loop is in
//! `super::handlers`.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "follows.json";
/// The format written; another is a warning and a fresh start.
const VERSION: u32 = 1;
/// Follows one chat may hold.
pub const MAX_PER_CHAT: usize = 20;
/// Article keys remembered per chat as posted (the most recent): enough
/// for any one round, which is all they guard.
const POSTED_PER_CHAT: usize = 1000;

/// One followed topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Follow {
    pub chat: i64,
    /// The forum topic alerts go to, if any.
    #[serde(default)]
    pub thread: Option<i32>,
    /// Words and filters, as `/search` takes them.
    pub words: String,
    /// Paused when the chat blocked or removed the bot.
    #[serde(default)]
    pub paused: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Book {
    version: u32,
    follows: Vec<Follow>,
    /// Articles numbered this or higher are not yet alerted (`None`: none
    /// processed yet, so what the index holds now is not new).
    watermark: Option<u64>,
    /// Article keys posted per chat, oldest first.
    posted: BTreeMap<i64, VecDeque<String>>,
}

/// Why a follow was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooLong,
    TooMany,
    Duplicate,
}

/// The follows of every chat, shared by the handlers and the alert loop.
#[derive(Debug)]
pub struct Follows {
    path: PathBuf,
    book: Mutex<Book>,
}

impl Follows {
    /// Opens `data_dir/follows.json`; a missing file is an empty book, a
    /// damaged one (or another version) a warning, kept aside as
    /// `follows.json.damaged`, and an empty book.
    pub fn open(dir: &Path) -> Follows {
        let path = dir.join(FILE_NAME);
        let book = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Book>(&bytes) {
                Ok(b) if b.version == VERSION => b,
                Ok(_) | Err(_) => {
                    let aside = dir.join(format!("{FILE_NAME}.damaged"));
                    tracing::warn!(file = %path.display(), kept_as = %aside.display(), "follows file unreadable; starting with no follows");
                    let _ = std::fs::rename(&path, &aside);
                    Book::default()
                }
            },
            Err(_) => Book::default(),
        };
        Follows {
            path,
            book: Mutex::new(Book {
                version: VERSION,
                ..book
            }),
        }
    }

    /// Runs `f` on the book, recovered from a poisoned lock: the book is
    /// plain data, saved whole after each change.
    fn with<T>(&self, f: impl FnOnce(&mut Book) -> T) -> T {
        f(&mut self.book.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Writes the book (to a temporary file renamed over the old one).
    fn save(&self, book: &Book) {
        let tmp = self.path.with_extension(format!("tmp-{}", std::process::id()));
        let written = serde_json::to_vec(book)
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                if let Some(dir) = self.path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&tmp, bytes)?;
                std::fs::File::open(&tmp)?.sync_all()?;
                std::fs::rename(&tmp, &self.path)
            });
        if let Err(e) = written {
            tracing::warn!(error = %e, file = %self.path.display(), "cannot write the follows file");
        }
    }

    /// Adds a follow; its number in the chat's list (from 1).
    pub fn add(&self, chat: i64, thread: Option<i32>, words: &str, max_chars: usize) -> Result<usize, Refusal> {
        let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
        if words.is_empty() {
            return Err(Refusal::Empty);
        }
        if words.chars().count() > max_chars {
            return Err(Refusal::TooLong);
        }
        self.with(|b| {
            let mine: Vec<&Follow> = b.follows.iter().filter(|f| f.chat == chat).collect();
            if mine.iter().any(|f| f.words == words) {
                return Err(Refusal::Duplicate);
            }
            if mine.len() >= MAX_PER_CHAT {
                return Err(Refusal::TooMany);
            }
            let n = mine.len() + 1;
            b.follows.push(Follow {
                chat,
                thread,
                words,
                paused: false,
            });
            // A chat that follows again is listening again.
            for f in b.follows.iter_mut().filter(|f| f.chat == chat) {
                f.paused = false;
            }
            self.save(b);
            Ok(n)
        })
    }

    /// The chat's follows, in the order added.
    pub fn of_chat(&self, chat: i64) -> Vec<Follow> {
        self.with(|b| b.follows.iter().filter(|f| f.chat == chat).cloned().collect())
    }

    /// Removes the chat's `n`-th follow (from 1).
    pub fn remove(&self, chat: i64, n: usize) -> Option<Follow> {
        self.with(|b| {
            let at = b
                .follows
                .iter()
                .enumerate()
                .filter(|(_, f)| f.chat == chat)
                .nth(n.checked_sub(1)?)
                .map(|(i, _)| i)?;
            let gone = b.follows.remove(at);
            self.save(b);
            Some(gone)
        })
    }

    /// Pauses every follow of a chat that blocked or removed the bot.
    pub fn pause_chat(&self, chat: i64) {
        self.with(|b| {
            for f in b.follows.iter_mut().filter(|f| f.chat == chat) {
                f.paused = true;
            }
            self.save(b);
        });
    }

    /// Every follow that is not paused.
    pub fn active(&self) -> Vec<Follow> {
        self.with(|b| b.follows.iter().filter(|f| !f.paused).cloned().collect())
    }

    /// How many follows there are (paused ones included), and in how many chats.
    pub fn counts(&self) -> (usize, usize) {
        self.with(|b| {
            let mut chats: Vec<i64> = b.follows.iter().map(|f| f.chat).collect();
            chats.sort_unstable();
            chats.dedup();
            (b.follows.len(), chats.len())
        })
    }

    pub fn watermark(&self) -> Option<u64> {
        self.with(|b| b.watermark)
    }

    /// Articles below `next` are done with.
    pub fn set_watermark(&self, next: u64) {
        self.with(|b| {
            if b.watermark != Some(next) {
                b.watermark = Some(next);
                self.save(b);
            }
        });
    }

    /// Whether `key` was posted to `chat`.
    pub fn was_posted(&self, chat: i64, key: &str) -> bool {
        self.with(|b| b.posted.get(&chat).is_some_and(|keys| keys.iter().any(|k| k == key)))
    }

    /// Records keys posted to `chat` (written at once).
    pub fn mark_posted(&self, chat: i64, keys: &[String]) {
        self.with(|b| {
            let list = b.posted.entry(chat).or_default();
            for k in keys {
                list.push_back(k.clone());
            }
            while list.len() > POSTED_PER_CHAT {
                list.pop_front();
            }
            self.save(b);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_are_added_listed_removed_and_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let f = Follows::open(dir.path());
        assert_eq!(f.add(1, None, "锦湖街道", 300), Ok(1));
        assert_eq!(f.add(1, Some(7), "疫情防控  瑞安日报", 300), Ok(2));
        assert_eq!(f.add(1, None, "锦湖街道", 300), Err(Refusal::Duplicate));
        assert_eq!(f.add(1, None, "   ", 300), Err(Refusal::Empty));
        assert_eq!(f.add(1, None, &"字".repeat(301), 300), Err(Refusal::TooLong));
        assert_eq!(f.add(2, None, "锦湖街道", 300), Ok(1), "another chat's list is its own");
        f.mark_posted(1, &["k1".into()]);
        f.set_watermark(42);
        drop(f);
        let f = Follows::open(dir.path());
        let mine = f.of_chat(1);
        assert_eq!(mine.len(), 2);
        assert_eq!((mine[1].words.as_str(), mine[1].thread), ("疫情防控 瑞安日报", Some(7)));
        assert!(f.was_posted(1, "k1") && !f.was_posted(2, "k1"));
        assert_eq!(f.watermark(), Some(42));
        assert_eq!(f.remove(1, 1).map(|x| x.words), Some("锦湖街道".into()));
        assert_eq!(f.remove(1, 5), None);
        assert_eq!(f.remove(1, 0), None);
        assert_eq!(f.of_chat(1).len(), 1);
        f.pause_chat(2);
        assert_eq!(f.active().len(), 1, "chat 2's follow is paused");
        assert_eq!(f.counts(), (2, 2));
    }

    #[test]
    fn a_chat_holds_a_bounded_number_of_follows() {
        let dir = tempfile::tempdir().unwrap();
        let f = Follows::open(dir.path());
        for i in 0..MAX_PER_CHAT {
            assert!(f.add(1, None, &format!("话题{i}"), 300).is_ok());
        }
        assert_eq!(f.add(1, None, "再一个", 300), Err(Refusal::TooMany));
    }

    #[test]
    fn a_damaged_file_is_a_fresh_start_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "{not json").unwrap();
        let f = Follows::open(dir.path());
        assert!(f.active().is_empty());
        assert!(dir.path().join(format!("{FILE_NAME}.damaged")).exists());
        assert_eq!(f.add(1, None, "锦湖街道", 300), Ok(1));
        assert_eq!(Follows::open(dir.path()).of_chat(1).len(), 1);
    }
}
