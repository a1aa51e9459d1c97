//! Who may ask, and how often: optional allowlists of user and chat ids,
//! admin ids (always allowed; they alone get `/stats`), and a per-user
//! limit on questions per minute. Pure values and clocks passed in, so
//! every rule is unit-tested.
//!
//! Access control fails closed: [`SharedGate`] refuses whatever needs the
//! gate's memory when its lock is poisoned.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Remembered users (refused once, rate windows) before the memory is
/// pruned: bounded whatever the traffic.
const MAX_TRACKED_USERS: usize = 10_000;
const WINDOW: Duration = Duration::from_secs(60);

/// The configured rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// Users who may ask anywhere (empty with `chats` empty: everyone).
    pub users: HashSet<i64>,
    /// Chats (groups, or a user's private chat) where anyone may ask.
    pub chats: HashSet<i64>,
    /// May ask anywhere, and use `/stats`.
    pub admins: HashSet<i64>,
    /// Questions per user per minute; 0 = no limit.
    pub per_minute: u32,
}

/// What to do with a message addressed to the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Say politely that the bot is not open here (first time only).
    Refuse,
    /// Refused before: stay silent.
    Silent,
}

impl Rules {
    /// Whether anyone at all is kept out.
    pub fn is_open(&self) -> bool {
        self.users.is_empty() && self.chats.is_empty()
    }

    pub fn is_admin(&self, user: i64) -> bool {
        self.admins.contains(&user)
    }

    /// Whether `user`'s questions count against a per-minute limit.
    pub fn limits(&self, user: i64) -> bool {
        self.per_minute > 0 && !self.is_admin(user)
    }

    /// Whether `user` may ask in `chat`.
    pub fn allows(&self, user: i64, chat: i64) -> bool {
        self.is_open() || self.is_admin(user) || self.users.contains(&user) || self.chats.contains(&chat)
    }

    /// Whether the bot must leave the group `chat`: groups are listed and
    /// this one is not (whoever writes there, admins and listed users too:
    /// with `chats` set, the bot is only in those groups).
    pub fn leaves_group(&self, chat: i64) -> bool {
        !self.chats.is_empty() && !self.chats.contains(&chat)
    }
}

/// The mutable side: who was refused already, recent questions per user.
#[derive(Debug, Default)]
pub struct Gate {
    refused: HashSet<(i64, i64)>,
    /// Groups told that the bot leaves them.
    left: HashSet<i64>,
    recent: HashMap<i64, VecDeque<Instant>>,
    /// Users told about the rate limit in their current window.
    told: HashMap<i64, Instant>,
}

/// The rate limit's answer for one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    Ok,
    /// Over the limit: say so (first time in this window), wait this long.
    Limited {
        notify: bool,
        wait: Duration,
    },
}

impl Gate {
    /// The access verdict for `user` in `chat` (one refusal per user and chat).
    pub fn admit(&mut self, rules: &Rules, user: i64, chat: i64) -> Verdict {
        if rules.allows(user, chat) {
            return Verdict::Allow;
        }
        if self.refused.len() >= MAX_TRACKED_USERS {
            self.refused.clear();
        }
        if self.refused.insert((user, chat)) {
            Verdict::Refuse
        } else {
            Verdict::Silent
        }
    }

    /// Whether the bot is leaving group `chat` for the first time (and
    /// should say goodbye); later calls for it return false.
    pub fn leaving(&mut self, chat: i64) -> bool {
        if self.left.len() >= MAX_TRACKED_USERS {
            self.left.clear();
        }
        self.left.insert(chat)
    }

    /// Counts a question of `user` at `now` against the per-minute limit.
    /// Admins are not limited.
    pub fn rate(&mut self, rules: &Rules, user: i64, now: Instant) -> Rate {
        if !rules.limits(user) {
            return Rate::Ok;
        }
        if self.recent.len() >= MAX_TRACKED_USERS {
            self.recent
                .retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
            self.told.retain(|_, t| now.duration_since(*t) < WINDOW);
        }
        let times = self.recent.entry(user).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            times.pop_front();
        }
        if times.len() < rules.per_minute as usize {
            times.push_back(now);
            return Rate::Ok;
        }
        let wait = times
            .front()
            .map(|t| WINDOW.saturating_sub(now.duration_since(*t)))
            .unwrap_or(WINDOW);
        let notify = match self.told.get(&user) {
            Some(t) if now.duration_since(*t) < WINDOW => false,
            _ => {
                self.told.insert(user, now);
                true
            }
        };
        Rate::Limited { notify, wait }
    }
}

/// The gate every handler shares, behind a lock that fails closed: when it
/// is poisoned (a thread panicked holding it, so the memory may be half
/// updated), what the rules decide alone still stands and everything the
/// memory decides is refused, silently (whether a refusal was already said
/// is part of that memory).
#[derive(Debug, Default)]
pub struct SharedGate(Mutex<Gate>);

impl SharedGate {
    /// [`Gate::admit`]; poisoned, a user the rules do not let in is refused.
    pub fn admit(&self, rules: &Rules, user: i64, chat: i64) -> Verdict {
        match self.0.lock() {
            Ok(mut gate) => gate.admit(rules, user, chat),
            Err(_) if rules.allows(user, chat) => Verdict::Allow,
            Err(_) => {
                tracing::error!(user, chat, "the access gate's lock is poisoned: refusing");
                Verdict::Silent
            }
        }
    }

    /// [`Gate::rate`]; poisoned, every question that counts is limited.
    pub fn rate(&self, rules: &Rules, user: i64, now: Instant) -> Rate {
        match self.0.lock() {
            Ok(mut gate) => gate.rate(rules, user, now),
            Err(_) if !rules.limits(user) => Rate::Ok,
            Err(_) => {
                tracing::error!(user, "the access gate's lock is poisoned: rate limiting");
                Rate::Limited {
                    notify: false,
                    wait: WINDOW,
                }
            }
        }
    }

    /// [`Gate::leaving`]; poisoned, every time is the first (the bot leaves
    /// either way).
    pub fn leaving(&self, chat: i64) -> bool {
        self.0.lock().map(|mut gate| gate.leaving(chat)).unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(users: &[i64], chats: &[i64], admins: &[i64], per_minute: u32) -> Rules {
        Rules {
            users: users.iter().copied().collect(),
            chats: chats.iter().copied().collect(),
            admins: admins.iter().copied().collect(),
            per_minute,
        }
    }

    #[test]
    fn open_by_default_and_lists_restrict() {
        let open = Rules::default();
        assert!(open.allows(1, 1) && open.allows(2, -100));
        let r = rules(&[7], &[-100], &[9], 0);
        assert!(r.allows(7, 7) && r.allows(7, -200), "a listed user, anywhere");
        assert!(r.allows(8, -100), "anyone in a listed group");
        assert!(r.allows(9, 9), "admins");
        assert!(!r.allows(8, 8) && !r.allows(8, -200));
        assert!(r.leaves_group(-200) && !r.leaves_group(-100));
        assert!(!rules(&[7], &[], &[], 0).leaves_group(-200), "no group list: stay");
    }

    #[test]
    fn one_refusal_then_silence() {
        let r = rules(&[7], &[], &[], 0);
        let mut g = Gate::default();
        assert_eq!(g.admit(&r, 8, 8), Verdict::Refuse);
        assert_eq!(g.admit(&r, 8, 8), Verdict::Silent);
        assert_eq!(g.admit(&r, 8, -300), Verdict::Refuse, "another chat: told there too");
        assert_eq!(g.admit(&r, 7, 7), Verdict::Allow);
        assert!(
            g.leaving(-200) && !g.leaving(-200) && g.leaving(-300),
            "goodbye once per group"
        );
    }

    #[test]
    fn the_rate_limit_slides_and_tells_once_per_window() {
        let r = rules(&[], &[], &[9], 3);
        let mut g = Gate::default();
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(g.rate(&r, 1, t0 + Duration::from_secs(i)), Rate::Ok);
        }
        let over = g.rate(&r, 1, t0 + Duration::from_secs(10));
        assert_eq!(
            over,
            Rate::Limited {
                notify: true,
                wait: Duration::from_secs(50)
            }
        );
        assert!(matches!(
            g.rate(&r, 1, t0 + Duration::from_secs(20)),
            Rate::Limited { notify: false, .. }
        ));
        assert_eq!(g.rate(&r, 2, t0 + Duration::from_secs(20)), Rate::Ok, "per user");
        assert_eq!(g.rate(&r, 1, t0 + Duration::from_secs(61)), Rate::Ok, "the window slid");
        for _ in 0..10 {
            assert_eq!(g.rate(&r, 9, t0), Rate::Ok, "admins are not limited");
        }
        assert_eq!(g.rate(&rules(&[], &[], &[], 0), 1, t0), Rate::Ok, "0 = no limit");
    }

    /// Panics in another thread while holding the gate's lock.
    fn poisoned() -> SharedGate {
        let shared = SharedGate::default();
        std::thread::scope(|s| {
            let held = s.spawn(|| {
                let _guard = shared.0.lock().unwrap();
                panic!("a handler panics holding the gate");
            });
            assert!(held.join().is_err());
        });
        assert!(shared.0.is_poisoned());
        shared
    }

    #[test]
    fn a_poisoned_gate_fails_closed() {
        let t0 = Instant::now();
        let listed = rules(&[7], &[], &[9], 0);
        let healthy = SharedGate::default();
        assert_eq!(healthy.admit(&listed, 8, 8), Verdict::Refuse);
        let gate = poisoned();
        assert_eq!(gate.admit(&listed, 8, 8), Verdict::Silent, "not listed: refused");
        assert_eq!(gate.admit(&listed, 7, 7), Verdict::Allow, "the rules alone let 7 in");
        assert_eq!(gate.admit(&listed, 9, 9), Verdict::Allow, "admins");

        let limited = rules(&[], &[], &[9], 3);
        assert_eq!(healthy.rate(&limited, 1, t0), Rate::Ok);
        assert!(
            matches!(gate.rate(&limited, 1, t0), Rate::Limited { notify: false, .. }),
            "the first question of a minute is refused: the window is unknown"
        );
        assert_eq!(gate.rate(&limited, 9, t0), Rate::Ok, "admins are not limited");
        assert_eq!(gate.rate(&rules(&[], &[], &[], 0), 1, t0), Rate::Ok, "no limit set");
    }
}
