//! What `/stats` tells an admin: questions answered since start, the
//! no-answer rate, reply times (p50/p99 over the last 10 000 replies),
//! uptime and the index's age. Bounded memory.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Reply times kept for the percentiles.
const KEPT: usize = 10_000;

#[derive(Debug)]
pub struct Counters {
    started: Instant,
    pub questions: u64,
    pub no_answers: u64,
    reply_ms: VecDeque<f64>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters::new(Instant::now())
    }
}

/// The figures at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub questions: u64,
    pub no_answers: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub uptime: Duration,
}

impl Counters {
    pub fn new(started: Instant) -> Counters {
        Counters {
            started,
            questions: 0,
            no_answers: 0,
            reply_ms: VecDeque::new(),
        }
    }

    /// One answered question and how long its reply took.
    pub fn record(&mut self, no_answer: bool, reply: Duration) {
        self.questions += 1;
        if no_answer {
            self.no_answers += 1;
        }
        if self.reply_ms.len() == KEPT {
            self.reply_ms.pop_front();
        }
        self.reply_ms.push_back(reply.as_secs_f64() * 1000.0);
    }

    pub fn snapshot(&self, now: Instant) -> Snapshot {
        let mut sorted: Vec<f64> = self.reply_ms.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let pct = |p: f64| -> Option<f64> {
            let last = sorted.len().checked_sub(1)?;
            sorted.get(((last as f64) * p).round() as usize).copied()
        };
        Snapshot {
            questions: self.questions,
            no_answers: self.no_answers,
            p50_ms: pct(0.5),
            p99_ms: pct(0.99),
            uptime: now.duration_since(self.started),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_counts() {
        let t0 = Instant::now();
        let mut c = Counters::new(t0);
        assert_eq!(c.snapshot(t0).p50_ms, None);
        for ms in 1..=100u64 {
            c.record(ms % 10 == 0, Duration::from_millis(ms));
        }
        let s = c.snapshot(t0 + Duration::from_secs(5));
        assert_eq!((s.questions, s.no_answers), (100, 10));
        assert_eq!(s.p50_ms.map(f64::round), Some(51.0));
        assert_eq!(s.p99_ms.map(f64::round), Some(99.0));
        assert_eq!(s.uptime, Duration::from_secs(5));
    }
}
