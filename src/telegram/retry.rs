//! Retrying Bot API calls that failed for reasons that pass: flood control
//! (429, wait `retry_after`), Telegram's 5xx answers and network errors
//! (exponential backoff). Anything else (a bad request, a blocked bot)
//! fails at once. Attempts are bounded, and so is the total time waited
//! for one call ([`MAX_TOTAL_WAIT`]), so shutdown is never held hostage by
//! an unreachable server. Waits get up to 20% random jitter, so replies
//! held by one outage do not all retry in the same instant. This is the
//! only retry layer: teloxide's `Throttle` is built with `no_retry`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use teloxide::requests::{Output, Request};
use teloxide::{ApiError, RequestError};

/// Attempts per call, the first included.
pub const MAX_ATTEMPTS: u32 = 6;
/// The longest `retry_after` we wait in one go.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Backoff before the second attempt; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// The most one call waits in all, retries included.
pub const MAX_TOTAL_WAIT: Duration = Duration::from_secs(180);

/// `delay` stretched by up to 20%, by `seed`'s low bits.
pub fn with_jitter(delay: Duration, seed: u64) -> Duration {
    let fraction = (seed % 1000) as f64 / 1000.0 * 0.2;
    delay.mul_f64(1.0 + fraction)
}

/// A seed that differs from call to call (no random crate needed for this).
fn jitter_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// What to do after attempt number `attempt` (0-based) failed with `err`:
/// wait this long and try again, or give up (`None`).
pub fn retry_delay(err: &RequestError, attempt: u32) -> Option<Duration> {
    if attempt + 1 >= MAX_ATTEMPTS {
        return None;
    }
    let backoff = || {
        let d = FIRST_BACKOFF.saturating_mul(1u32 << attempt.min(16));
        Some(d.min(MAX_BACKOFF))
    };
    match err {
        RequestError::RetryAfter(s) => Some(s.duration().min(MAX_RETRY_AFTER)),
        RequestError::Network(_) | RequestError::Io(_) => backoff(),
        // Telegram's 5xx pages (not JSON) and 5xx JSON errors.
        RequestError::InvalidJson { .. } => backoff(),
        RequestError::Api(ApiError::Unknown(text)) if is_server_error(text) => backoff(),
        _ => None,
    }
}

fn is_server_error(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "internal server error",
        "bad gateway",
        "service unavailable",
        "gateway timeout",
        "timed out",
        "restart",
    ]
    .iter()
    .any(|s| t.contains(s))
}

/// What kind of failure a Bot API call met, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 429: flood control.
    RetryAfter,
    /// No answer within the client's timeout.
    Timeout,
    /// Connecting failed, or the connection broke (dropped, reset).
    Network,
    /// Telegram's 5xx.
    Server,
    /// A refusal (4xx: bad request, blocked, chat not found …).
    Api,
    /// Anything else (an unreadable answer, a local I/O error).
    Other,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::RetryAfter,
        ErrorKind::Timeout,
        ErrorKind::Network,
        ErrorKind::Server,
        ErrorKind::Api,
        ErrorKind::Other,
    ];

    /// The metric label.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::RetryAfter => "retry_after",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Network => "network",
            ErrorKind::Server => "server",
            ErrorKind::Api => "api",
            ErrorKind::Other => "other",
        }
    }

    pub fn of(err: &RequestError) -> ErrorKind {
        match err {
            RequestError::RetryAfter(_) => ErrorKind::RetryAfter,
            RequestError::Network(e) if e.is_timeout() => ErrorKind::Timeout,
            RequestError::Network(_) => ErrorKind::Network,
            // Telegram's 5xx pages are not JSON.
            RequestError::InvalidJson { .. } => ErrorKind::Server,
            RequestError::Api(ApiError::Unknown(text)) if is_server_error(text) => ErrorKind::Server,
            RequestError::Api(_) | RequestError::MigrateToChatId(_) => ErrorKind::Api,
            _ => ErrorKind::Other,
        }
    }
}

/// Failed Bot API calls by kind, every attempt counted (retried or not).
#[derive(Debug, Default)]
pub struct ErrorCounts([AtomicU64; ErrorKind::ALL.len()]);

impl ErrorCounts {
    pub fn count(&self, err: &RequestError) {
        self.0[ErrorKind::of(err) as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, kind: ErrorKind) -> u64 {
        self.0[kind as usize].load(Ordering::Relaxed)
    }
}

/// Sends a request, retrying transient failures (see [`retry_delay`]);
/// every failed attempt is counted in `errors`.
pub async fn call<R>(req: R, errors: &ErrorCounts) -> Result<Output<R>, RequestError>
where
    R: Request<Err = RequestError>,
{
    let mut attempt = 0;
    let mut waited = Duration::ZERO;
    loop {
        let result = req.send_ref().await;
        if let Err(err) = &result {
            errors.count(err);
        }
        match result {
            Ok(out) => return Ok(out),
            Err(err) => match retry_delay(&err, attempt).map(|d| with_jitter(d, jitter_seed())) {
                Some(delay) if waited + delay <= MAX_TOTAL_WAIT => {
                    tracing::warn!(error = %err, attempt = attempt + 1, "Bot API call failed; retrying in {delay:?}");
                    tokio::time::sleep(delay).await;
                    waited += delay;
                    attempt += 1;
                }
                Some(_) => {
                    tracing::warn!(error = %err, "Bot API call failed; giving up after waiting {waited:?} in all");
                    return Err(err);
                }
                None => return Err(err),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_control_waits_as_told() {
        let err = RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(3));
        assert_eq!(retry_delay(&err, 0), Some(Duration::from_secs(3)));
        assert_eq!(retry_delay(&err, MAX_ATTEMPTS - 1), None);
    }

    #[test]
    fn jitter_stretches_by_at_most_a_fifth() {
        let d = Duration::from_secs(10);
        assert_eq!(with_jitter(d, 0), d);
        assert_eq!(with_jitter(d, 500), Duration::from_secs(11));
        assert!((0..5000).all(|s| with_jitter(d, s) < Duration::from_secs(12)));
        // The worst case of one call: 5 flood waits of 120 s would be 600 s.
        let flood = RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(1000));
        let first = retry_delay(&flood, 0).unwrap();
        assert!(
            first <= MAX_TOTAL_WAIT && first * 2 > MAX_TOTAL_WAIT,
            "the cap allows one wait, not two"
        );
    }

    #[test]
    fn server_errors_back_off_client_errors_do_not() {
        let e5 = RequestError::Api(ApiError::Unknown("Internal Server Error".into()));
        assert_eq!(retry_delay(&e5, 0), Some(FIRST_BACKOFF));
        assert_eq!(retry_delay(&e5, 2), Some(FIRST_BACKOFF * 4));
        assert_eq!(retry_delay(&e5, 4), Some(MAX_BACKOFF.min(FIRST_BACKOFF * 16)));
        assert_eq!(retry_delay(&RequestError::Api(ApiError::BotBlocked), 0), None);
        assert_eq!(retry_delay(&RequestError::Api(ApiError::MessageNotModified), 0), None);
        let bad = RequestError::Api(ApiError::Unknown("Bad Request: chat not found".into()));
        assert_eq!(retry_delay(&bad, 0), None);
    }

    #[test]
    fn errors_are_counted_by_kind() {
        let counts = ErrorCounts::default();
        let flood = RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(3));
        let e5 = RequestError::Api(ApiError::Unknown("Bad Gateway".into()));
        let e4 = RequestError::Api(ApiError::BotBlocked);
        let io = RequestError::Io(std::sync::Arc::new(std::io::Error::other("disk")));
        for e in [&flood, &e5, &e5, &e4, &io] {
            counts.count(e);
        }
        let got: Vec<(&str, u64)> = ErrorKind::ALL.iter().map(|k| (k.name(), counts.get(*k))).collect();
        assert_eq!(
            got,
            [
                ("retry_after", 1),
                ("timeout", 0),
                ("network", 0),
                ("server", 2),
                ("api", 1),
                ("other", 1)
            ]
        );
    }
}
