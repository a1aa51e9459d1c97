//! The bot's short memory for follow-ups: which question each of its
//! recent answer messages answered, keyed by (chat, message id). Bounded:
//! the oldest entries are forgotten first, so memory stays flat however
//! long the bot runs. A reply to a forgotten answer is a fresh question.

use std::num::NonZeroUsize;

use lru::LruCache;

/// The longest context remembered, in characters (a chain of follow-ups
/// keeps its most recent words).
pub const MAX_CONTEXT_CHARS: usize = 300;

/// (chat id, message id).
pub type MessageKey = (i64, i32);

/// A bounded map from the bot's answer messages to their questions: a
/// least-recently-written cache (reading does not renew an entry).
#[derive(Debug)]
pub struct Recent {
    map: LruCache<MessageKey, String>,
}

impl Recent {
    /// Remembers at most `capacity` messages (at least one).
    pub fn new(capacity: usize) -> Recent {
        Recent {
            map: LruCache::new(NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN)),
        }
    }

    /// Records that message `key` answered `question`.
    pub fn insert(&mut self, key: MessageKey, question: &str) {
        self.map.put(key, clip_context(question));
    }

    /// The question message `key` answered, if still remembered.
    pub fn get(&self, key: MessageKey) -> Option<&str> {
        self.map.peek(&key).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The question a follow-up is asked in the context of: the earlier
/// context and the new question, clipped to the most recent words.
pub fn chain(context: Option<&str>, question: &str) -> String {
    match context {
        Some(c) => clip_context(&format!("{c} {question}")),
        None => clip_context(question),
    }
}

fn clip_context(text: &str) -> String {
    let n = text.chars().count();
    text.chars().skip(n.saturating_sub(MAX_CONTEXT_CHARS)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_forgets_the_oldest() {
        let mut r = Recent::new(3);
        for i in 0..5 {
            r.insert((1, i), &format!("q{i}"));
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.get((1, 0)), None);
        assert_eq!(r.get((1, 1)), None);
        assert_eq!(r.get((1, 4)), Some("q4"));
        assert_eq!(r.get((2, 4)), None, "chats are kept apart");
    }

    #[test]
    fn overwriting_does_not_grow_or_evict_early() {
        let mut r = Recent::new(2);
        for _ in 0..100 {
            r.insert((1, 1), "same");
        }
        r.insert((1, 2), "other");
        assert_eq!(r.get((1, 1)), Some("same"));
        assert_eq!(r.get((1, 2)), Some("other"));
        assert_eq!(r.len(), 2);
        // Rewriting renews: the entry written least recently goes first.
        r.insert((1, 1), "again");
        r.insert((1, 3), "third");
        assert_eq!(r.get((1, 2)), None);
        assert_eq!(r.get((1, 1)), Some("again"));
    }

    #[test]
    fn chains_are_bounded() {
        assert_eq!(
            chain(Some("陈达锋是谁?"), "他什么时候加入的?"),
            "陈达锋是谁? 他什么时候加入的?"
        );
        let long = "字".repeat(1000);
        assert_eq!(chain(Some(&long), "问").chars().count(), MAX_CONTEXT_CHARS);
        assert!(chain(Some(&long), "问").ends_with(" 问"));
    }
}
