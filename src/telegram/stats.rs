//! What `/stats` tells an admin: questions answered since start, the
//! no-answer rate, reply times (p50/p99 over the last 10 000 replies),
//! uptime and the index's age. Bounded memory.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Reply times kept for the percentiles.
const KEPT: usize = 10_000;
/// Upper bounds (seconds) of the reply-time histogram's buckets.
pub const BUCKETS: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug)]
pub struct Counters {
    started: Instant,
    pub questions: u64,
    pub no_answers: u64,
    reply_ms: VecDeque<f64>,
    /// Replies at or under each of [`BUCKETS`] (cumulative), all time.
    buckets: [u64; BUCKETS.len()],
    reply_secs_sum: f64,
    /// Live index updates: swapped in, failed.
    pub reloads: u64,
    pub reloads_failed: u64,
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
            buckets: [0; BUCKETS.len()],
            reply_secs_sum: 0.0,
            reloads: 0,
            reloads_failed: 0,
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
        let secs = reply.as_secs_f64();
        self.reply_secs_sum += secs;
        for (bound, n) in BUCKETS.iter().zip(self.buckets.iter_mut()) {
            if secs <= *bound {
                *n += 1;
            }
        }
    }

    /// One live index update, swapped in (`ok`) or failed.
    pub fn reloaded(&mut self, ok: bool) {
        if ok {
            self.reloads += 1;
        } else {
            self.reloads_failed += 1;
        }
    }

    /// The counters in Prometheus' text format, with the index's size and
    /// age (seconds) when known.
    /// `telegram_errors` are failed Bot API calls by kind.
    pub fn prometheus(
        &self,
        articles: usize,
        passages: usize,
        index_age: Option<Duration>,
        telegram_errors: &[(&str, u64)],
        now: Instant,
    ) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<String>| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        };
        metric(
            "archive_bot_questions_total",
            "counter",
            "Questions answered (refusals included).",
            vec![format!("archive_bot_questions_total {}", self.questions)],
        );
        metric(
            "archive_bot_no_answers_total",
            "counter",
            "Questions the archive held no answer to.",
            vec![format!("archive_bot_no_answers_total {}", self.no_answers)],
        );
        let mut lines: Vec<String> = BUCKETS
            .iter()
            .zip(self.buckets)
            .map(|(b, n)| format!("archive_bot_reply_seconds_bucket{{le=\"{b}\"}} {n}"))
            .collect();
        lines.push(format!(
            "archive_bot_reply_seconds_bucket{{le=\"+Inf\"}} {}",
            self.questions
        ));
        lines.push(format!("archive_bot_reply_seconds_sum {}", self.reply_secs_sum));
        lines.push(format!("archive_bot_reply_seconds_count {}", self.questions));
        metric(
            "archive_bot_reply_seconds",
            "histogram",
            "Time from a question's handling to its reply sent.",
            lines,
        );
        metric(
            "archive_bot_telegram_errors_total",
            "counter",
            "Failed Bot API calls by kind (every attempt, retried or not).",
            telegram_errors
                .iter()
                .map(|(kind, n)| format!("archive_bot_telegram_errors_total{{kind=\"{kind}\"}} {n}"))
                .collect(),
        );
        metric(
            "archive_bot_index_articles",
            "gauge",
            "Articles in the index.",
            vec![format!("archive_bot_index_articles {articles}")],
        );
        metric(
            "archive_bot_index_passages",
            "gauge",
            "Passages in the index.",
            vec![format!("archive_bot_index_passages {passages}")],
        );
        if let Some(age) = index_age {
            metric(
                "archive_bot_index_age_seconds",
                "gauge",
                "Seconds since the index was built.",
                vec![format!("archive_bot_index_age_seconds {}", age.as_secs())],
            );
        }
        metric(
            "archive_bot_index_reloads_total",
            "counter",
            "Index rebuilds while serving (a changed corpus, /reindex), by result.",
            vec![
                format!("archive_bot_index_reloads_total{{result=\"ok\"}} {}", self.reloads),
                format!(
                    "archive_bot_index_reloads_total{{result=\"failed\"}} {}",
                    self.reloads_failed
                ),
            ],
        );
        metric(
            "archive_bot_uptime_seconds",
            "gauge",
            "Seconds since serve started.",
            vec![format!(
                "archive_bot_uptime_seconds {}",
                now.duration_since(self.started).as_secs()
            )],
        );
        out
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
        c.reloaded(true);
        c.reloaded(false);
        c.reloaded(true);
        let text = c.prometheus(7, 135, Some(Duration::from_secs(60)), &[("timeout", 3), ("api", 0)], t0);
        assert!(
            text.contains("archive_bot_telegram_errors_total{kind=\"timeout\"} 3\n")
                && text.contains("archive_bot_telegram_errors_total{kind=\"api\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("archive_bot_index_reloads_total{result=\"ok\"} 2\n")
                && text.contains("archive_bot_index_reloads_total{result=\"failed\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("archive_bot_questions_total 100\n"), "{text}");
        assert!(
            text.contains("archive_bot_reply_seconds_bucket{le=\"0.01\"} 10\n"),
            "{text}"
        );
        assert!(
            text.contains("archive_bot_reply_seconds_bucket{le=\"0.05\"} 50\n"),
            "{text}"
        );
        assert!(
            text.contains("archive_bot_reply_seconds_bucket{le=\"+Inf\"} 100\n"),
            "{text}"
        );
        assert!(
            text.contains("archive_bot_index_age_seconds 60\n") && text.contains("archive_bot_index_passages 135\n")
        );
    }
}
