//! What every handler shares: the served index (swapped whole by a
//! reload), the bot's identity, the follow-up memory, access control, the
//! counters, the journal and the follows.
//!
//! Poisoned locks, one policy: a lock is poisoned when a thread panicked
//! holding it. Data that stays valid whatever a panic interrupted (the
//! served index, the follow-up memory, counters, caches, the journal and the
//! follows) is recovered with [`PoisonError::into_inner`], so one panic does
//! not turn off a feature until restart. Access control never trusts a
//! poisoned lock: the gate refuses what its memory decides
//! ([`access::SharedGate`]) and the group administrator cache is bypassed
//! (the Bot API is asked).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use teloxide::adaptors::Throttle;
use teloxide::prelude::*;
use teloxide::types::{MessageId, UserId};

use super::recent::Recent;
use super::{BotError, ReloadSettings, Settings, access, follows, journal, retry, stats};
use crate::engine::Engine;

/// The bot as handlers see it: rate-limited.
pub(crate) type Tg = Throttle<Bot>;

/// How long a group administrator check is trusted.
const ADMIN_CHECK_FOR: Duration = Duration::from_secs(60);
/// Administrator checks remembered at most (the oldest go first).
const ADMIN_CHECKS_KEPT: usize = 10_000;

/// The index being served and when it was built.
#[derive(Clone)]
pub(crate) struct Served {
    pub engine: Arc<Engine>,
    pub built: Option<SystemTime>,
}

/// What every handler shares.
pub(crate) struct State {
    /// Swapped whole by a reload; handlers take a snapshot per update.
    served: RwLock<Served>,
    /// The bot's username, without `@`.
    pub username: String,
    pub bot_id: UserId,
    /// Answer messages → the question they answered (for follow-ups).
    recent: Mutex<Recent>,
    pub journal: Option<Arc<journal::Journal>>,
    /// The example questions (/start, /help, `ex<n>` links).
    pub examples: Vec<String>,
    pub rules: access::Rules,
    pub gate: access::SharedGate,
    stats: Mutex<stats::Counters>,
    /// Where the index comes from (`None`: no live updates).
    pub reload: Option<ReloadSettings>,
    /// Held while a reload runs: one at a time.
    pub reloading: tokio::sync::Mutex<()>,
    /// The Bot API: its host, failed calls by kind (`/metrics`), replies
    /// waiting for it.
    pub api: Arc<retry::Api>,
    /// The chats' follows (`None`: off, or no data directory).
    pub follows: Option<Arc<follows::Follows>>,
    /// Woken when a new index is swapped in: the alert loop looks for new
    /// articles on followed topics.
    pub alerts: tokio::sync::Notify,
    /// Whether a user administers a group, as the Bot API said lately:
    /// (chat, user) → (when asked, answer).
    admins_seen: Mutex<HashMap<(i64, u64), (Instant, bool)>>,
}

impl State {
    /// The state of a bot that `getMe` named `username` (`bot_id`).
    pub fn new(
        settings: &Settings,
        engine: Arc<Engine>,
        username: String,
        bot_id: UserId,
        journal: Option<Arc<journal::Journal>>,
        examples: Vec<String>,
        api: Arc<retry::Api>,
    ) -> State {
        State {
            served: RwLock::new(Served {
                engine,
                built: settings.index_built,
            }),
            username,
            bot_id,
            recent: Mutex::new(Recent::new(settings.follow_up_memory)),
            journal,
            examples,
            rules: settings.access.clone(),
            gate: access::SharedGate::default(),
            stats: Mutex::new(stats::Counters::default()),
            reload: settings.reload.clone(),
            reloading: tokio::sync::Mutex::new(()),
            api,
            follows: settings
                .data_dir
                .as_deref()
                .filter(|_| settings.follows)
                .map(|dir| Arc::new(follows::Follows::open(dir))),
            alerts: tokio::sync::Notify::new(),
            admins_seen: Mutex::new(HashMap::new()),
        }
    }

    fn served(&self) -> Served {
        self.served.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The engine to answer this update with.
    pub fn engine(&self) -> Arc<Engine> {
        self.served().engine
    }

    /// How old the served index is.
    pub fn index_age(&self) -> Option<Duration> {
        self.served()
            .built
            .and_then(|t| SystemTime::now().duration_since(t).ok())
    }

    /// Serves `engine` from now on (updates being handled keep theirs).
    pub fn swap(&self, engine: Arc<Engine>, built: Option<SystemTime>) {
        *self.served.write().unwrap_or_else(PoisonError::into_inner) = Served { engine, built };
    }

    /// The first example question, if any.
    pub fn example(&self) -> Option<&str> {
        self.examples.first().map(String::as_str)
    }

    /// The counters `/stats` and `/metrics` show.
    pub fn counters(&self) -> MutexGuard<'_, stats::Counters> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks an update handled (answered, or failed for good) unless its
    /// reply was deferred by shutdown, and passes the handler's result on.
    pub fn handled(&self, update: &Update, result: Result<(), BotError>) -> Result<(), BotError> {
        let deferred = matches!(&result, Err(e) if e.is_deferred());
        if let (Some(j), false) = (&self.journal, deferred) {
            j.done(i64::from(update.id.0));
        }
        result
    }

    /// Remembers that `message` in `chat` answered `question`.
    pub fn remember(&self, chat: ChatId, message: MessageId, question: &str) {
        self.recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((chat.0, message.0), question);
    }

    /// The question a bot message answered, if remembered.
    pub fn recall(&self, chat: ChatId, message: MessageId) -> Option<String> {
        self.recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get((chat.0, message.0))
            .map(str::to_owned)
    }

    /// Whether `user` administers group `chat`, as the Bot API said within
    /// the last minute (`None`: ask it; always when the lock is poisoned).
    pub fn admin_seen(&self, chat: i64, user: u64, now: Instant) -> Option<bool> {
        let seen = self.admins_seen.lock().ok()?;
        let &(at, admin) = seen.get(&(chat, user))?;
        (now.duration_since(at) < ADMIN_CHECK_FOR).then_some(admin)
    }

    /// Keeps what the Bot API said about `user` in `chat` for a minute
    /// (nothing is kept in a poisoned cache).
    pub fn admin_checked(&self, chat: i64, user: u64, now: Instant, admin: bool) {
        let Ok(mut seen) = self.admins_seen.lock() else {
            return;
        };
        if seen.len() >= ADMIN_CHECKS_KEPT {
            seen.retain(|_, (at, _)| now.duration_since(*at) < ADMIN_CHECK_FOR);
            if seen.len() >= ADMIN_CHECKS_KEPT {
                seen.clear();
            }
        }
        seen.insert((chat, user), (now, admin));
    }
}
