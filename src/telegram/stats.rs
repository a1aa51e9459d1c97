//! What `/stats` tells an admin: questions answered since start, the
//! no-answer rate, reply times (p50/p99 over the last 10 000 replies),
//! uptime and the index's age. Bounded memory.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Reply times kept for the percentiles.
const KEPT: usize = 10_000;
/// Upper bounds (seconds) of the reply-time histogram's buckets.
pub const BUCKETS: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The Bot API's side of the metrics, read off [`super::retry::Api`] and
/// the journal.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ApiFigures {
    /// Failed calls by kind (`getUpdates` excepted), every attempt.
    pub errors: Vec<(&'static str, u64)>,
    /// Failed `getUpdates` by kind.
    pub poll_errors: Vec<(&'static str, u64)>,
    /// Replies waiting for Telegram to come back, now.
    pub replies_waiting: u64,
    /// Replies dropped after waiting for Telegram too long.
    pub replies_dropped: u64,
    /// Updates skipped as already received.
    pub updates_skipped: u64,
}

impl ApiFigures {
    pub fn of(api: &super::retry::Api, journal: Option<&super::journal::Journal>) -> ApiFigures {
        use super::retry::ErrorKind;
        use std::sync::atomic::Ordering::Relaxed;
        let by_kind = |c: &super::retry::ErrorCounts| ErrorKind::ALL.iter().map(|k| (k.name(), c.get(*k))).collect();
        ApiFigures {
            errors: by_kind(&api.errors),
            poll_errors: by_kind(&api.poll_errors),
            replies_waiting: api.waiting.load(Relaxed),
            replies_dropped: api.dropped.load(Relaxed),
            updates_skipped: journal.map_or(0, |j| j.skipped()),
        }
    }
}

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
    /// Alert messages of follows: sent, failed.
    pub alerts_sent: u64,
    pub alerts_failed: u64,
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
    pub alerts_sent: u64,
    pub alerts_failed: u64,
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
            alerts_sent: 0,
            alerts_failed: 0,
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
    /// age (seconds) when known, and the Bot API's figures. Written by hand:
    /// a dozen counters in a fixed text format do not need a metrics
    /// registry crate and its global state.
    pub fn prometheus(
        &self,
        articles: usize,
        passages: usize,
        index_age: Option<Duration>,
        api: &ApiFigures,
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
            "Failed Bot API calls by kind, getUpdates excepted (every attempt, retried or not).",
            api.errors
                .iter()
                .map(|(kind, n)| format!("archive_bot_telegram_errors_total{{kind=\"{kind}\"}} {n}"))
                .collect(),
        );
        metric(
            "archive_bot_poll_errors_total",
            "counter",
            "Failed getUpdates calls by kind.",
            api.poll_errors
                .iter()
                .map(|(kind, n)| format!("archive_bot_poll_errors_total{{kind=\"{kind}\"}} {n}"))
                .collect(),
        );
        metric(
            "archive_bot_replies_waiting",
            "gauge",
            "Replies waiting for Telegram to come back.",
            vec![format!("archive_bot_replies_waiting {}", api.replies_waiting)],
        );
        metric(
            "archive_bot_replies_dropped_total",
            "counter",
            "Replies dropped after waiting an hour for Telegram.",
            vec![format!("archive_bot_replies_dropped_total {}", api.replies_dropped)],
        );
        metric(
            "archive_bot_updates_skipped_total",
            "counter",
            "Updates skipped because the journal had already received them.",
            vec![format!("archive_bot_updates_skipped_total {}", api.updates_skipped)],
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
            "archive_bot_alerts_total",
            "counter",
            "Alert messages of follows (new articles on a followed topic), by result.",
            vec![
                format!("archive_bot_alerts_total{{result=\"sent\"}} {}", self.alerts_sent),
                format!("archive_bot_alerts_total{{result=\"failed\"}} {}", self.alerts_failed),
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
            alerts_sent: self.alerts_sent,
            alerts_failed: self.alerts_failed,
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
        let api = ApiFigures {
            errors: vec![("timeout", 3), ("api", 0)],
            poll_errors: vec![("server", 4)],
            replies_waiting: 2,
            replies_dropped: 1,
            updates_skipped: 5,
        };
        let text = c.prometheus(7, 135, Some(Duration::from_secs(60)), &api, t0);
        assert!(
            text.contains("archive_bot_telegram_errors_total{kind=\"timeout\"} 3\n")
                && text.contains("archive_bot_telegram_errors_total{kind=\"api\"} 0\n")
                && text.contains("archive_bot_poll_errors_total{kind=\"server\"} 4\n")
                && text.contains("archive_bot_replies_waiting 2\n")
                && text.contains("archive_bot_replies_dropped_total 1\n")
                && text.contains("archive_bot_updates_skipped_total 5\n"),
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
