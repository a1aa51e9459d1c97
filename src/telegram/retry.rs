//! Retrying Bot API calls that failed for reasons that pass: flood control
//! (429, wait `retry_after`), Telegram's 5xx answers and network errors
//! (exponential backoff with up to 20% random jitter, so calls held by one
//! outage do not all retry in the same instant). Anything else (a bad
//! request, a blocked bot) fails at once. This is the only retry layer:
//! teloxide's `Throttle` is built with `no_retry`. Hand-written rather than
//! a retry crate (backoff, tokio-retry) because a reply's wait must also end
//! on shutdown and wake when the poller sees Telegram again, which those
//! crates' policies cannot express.
//!
//! Two patiences:
//! - [`call`], for what is stale within a minute (button acknowledgements,
//!   inline answers, `getMe` at start): a few attempts, [`MAX_TOTAL_WAIT`]
//!   at most.
//! - [`deliver`], for replies: Telegram's incidents last minutes, sometimes
//!   an hour, and a question asked should be answered. A reply waits out
//!   an outage for up to [`OUTAGE_DEADLINE`]: it tries again after at most
//!   [`OUTAGE_BACKOFF`], and at once when any call gets through again
//!   ([`Api::reachable`]; the poller tries every few seconds), so it goes
//!   out soon after Telegram is back without spending the chat's rate
//!   limit on attempts that cannot succeed. The handler waits with it, so
//!   replies of one chat stay in order and the update stays pending in the
//!   journal; at shutdown the wait ends with [`CallError::Deferred`] and
//!   the update is replayed at the next start.
//!
//! Every failure names the method and the Bot API's host (never the URL:
//! it holds the token).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use teloxide::requests::{HasPayload, Output, Payload, Request};
use teloxide::{ApiError, RequestError};
use tokio::sync::Notify;

/// Attempts per call, the first included.
pub const MAX_ATTEMPTS: u32 = 6;
/// The longest `retry_after` we wait in one go.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Backoff before the second attempt; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// The most one call waits in all, retries included.
pub const MAX_TOTAL_WAIT: Duration = Duration::from_secs(180);
/// How long a reply waits for Telegram to come back before it is dropped:
/// longer than most of Telegram's incidents; an answer older than this is
/// more likely noise than help.
pub const OUTAGE_DEADLINE: Duration = Duration::from_secs(3600);
/// The longest pause between two attempts of a waiting reply (before
/// jitter), unless a call getting through wakes it sooner. Every attempt
/// counts against Telegram's per-group limit of 20 messages a minute in
/// the throttle, so a waiting reply must not try much more often.
pub const OUTAGE_BACKOFF: Duration = Duration::from_secs(15);
/// The longest pause between two failed polls (before jitter): how late
/// after an outage's end polling resumes, and waiting replies with it.
pub const POLL_BACKOFF: Duration = Duration::from_secs(4);

/// `delay` stretched by up to 20%, by `seed`'s low bits.
pub fn with_jitter(delay: Duration, seed: u64) -> Duration {
    let fraction = (seed % 1000) as f64 / 1000.0 * 0.2;
    delay.mul_f64(1.0 + fraction)
}

/// A seed that differs from call to call (no random crate needed for this).
pub fn jitter_seed() -> u64 {
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

    /// Whether a failure of this kind passes (Telegram busy or unreachable),
    /// as opposed to a refusal.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::RetryAfter | ErrorKind::Timeout | ErrorKind::Network | ErrorKind::Server
        )
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

/// A Bot API call that failed for good.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Telegram refused it, or it kept failing until the patience ran out.
    #[error("{method} to {host} failed: {source}")]
    Failed {
        method: String,
        host: String,
        source: RequestError,
    },
    /// A reply waiting for Telegram when the bot was told to stop: its
    /// update stays pending in the journal and is handled at the next start.
    #[error("{method} to {host} not sent: stopping while Telegram is unreachable")]
    Deferred { method: String, host: String },
}

impl CallError {
    /// Telegram's answer, if it gave one.
    pub fn request(&self) -> Option<&RequestError> {
        match self {
            CallError::Failed { source, .. } => Some(source),
            CallError::Deferred { .. } => None,
        }
    }
}

/// The Bot API as the bot's calls see it: where it is (for messages), what
/// failed (for the metrics), and whether the bot is stopping.
#[derive(Debug, Default)]
pub struct Api {
    /// The Bot API's host (and port), never the URL: the URL holds the token.
    host: String,
    /// Failed calls by kind, `getUpdates` excepted.
    pub errors: ErrorCounts,
    /// Failed `getUpdates` calls by kind.
    pub poll_errors: ErrorCounts,
    /// Replies waiting for Telegram to come back, now.
    pub waiting: AtomicU64,
    /// Replies dropped after waiting [`OUTAGE_DEADLINE`].
    pub dropped: AtomicU64,
    stopping: AtomicBool,
    stop: Notify,
    /// Woken when a call gets through after failures.
    back: Notify,
}

impl Api {
    /// The Bot API at `url` (its host is kept, nothing else).
    pub fn new(url: &str) -> Api {
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| u.port().map_or_else(|| h.to_owned(), |p| format!("{h}:{p}")))
            })
            .unwrap_or_else(|| "the Bot API".to_owned());
        Api { host, ..Api::default() }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Ends every reply's wait for Telegram (shutdown).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop.notify_waiters();
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// A call got through after failures: replies waiting for Telegram
    /// try again now.
    pub fn reachable(&self) {
        if self.waiting.load(Ordering::Relaxed) > 0 {
            self.back.notify_waiters();
        }
    }

    /// Sleeps `delay`, less if Telegram is reachable again, and returns
    /// `false` at once if the bot is told to stop.
    async fn pause(&self, delay: Duration) -> bool {
        let stopped = self.stop.notified();
        let back = self.back.notified();
        tokio::pin!(stopped, back);
        stopped.as_mut().enable();
        if self.stopping() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = back => {}
            () = stopped => {}
        }
        !self.stopping()
    }

    fn failed<R: HasPayload>(&self, source: RequestError) -> CallError {
        CallError::Failed {
            method: method_name::<R>(),
            host: self.host.clone(),
            source,
        }
    }
}

/// A request's Bot API method as Telegram spells it (`sendMessage`).
fn method_name<R: HasPayload>() -> String {
    let name = R::Payload::NAME;
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Sends a request that is stale within a minute, retrying transient
/// failures a few times (see [`retry_delay`]); every failed attempt is
/// counted.
pub async fn call<R>(req: R, api: &Api) -> Result<Output<R>, CallError>
where
    R: Request<Err = RequestError>,
{
    let method = method_name::<R>();
    let mut attempt = 0;
    let mut waited = Duration::ZERO;
    loop {
        let err = match req.send_ref().await {
            Ok(out) => return Ok(out),
            Err(err) => err,
        };
        api.errors.count(&err);
        match retry_delay(&err, attempt).map(|d| with_jitter(d, jitter_seed())) {
            Some(delay) if waited + delay <= MAX_TOTAL_WAIT => {
                tracing::warn!(method = %method, host = %api.host, error = %err, attempt = attempt + 1, "Bot API call failed; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                waited += delay;
                attempt += 1;
            }
            Some(_) => {
                tracing::warn!(method = %method, host = %api.host, error = %err, "Bot API call failed; giving up after waiting {waited:?} in all");
                return Err(api.failed::<R>(err));
            }
            None => return Err(api.failed::<R>(err)),
        }
    }
}

/// What to do when a reply's attempt failed with `err`, `failures` failures
/// in a row (1 for the first): wait this long and try again, or give up
/// (`None`: Telegram refused it).
pub fn outage_delay(err: &RequestError, failures: u32) -> Option<Duration> {
    match err {
        RequestError::RetryAfter(s) => Some(s.duration().min(MAX_RETRY_AFTER)),
        _ if ErrorKind::of(err).is_transient() => {
            let d = FIRST_BACKOFF.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
            Some(d.min(OUTAGE_BACKOFF))
        }
        _ => None,
    }
}

/// Sends a reply, waiting out an outage for up to [`OUTAGE_DEADLINE`]
/// (see the module doc); every failed attempt is counted.
pub async fn deliver<R>(req: R, api: &Api) -> Result<Output<R>, CallError>
where
    R: Request<Err = RequestError>,
{
    let method = method_name::<R>();
    let mut failures = 0;
    let mut since: Option<Instant> = None;
    let result = loop {
        let err = match req.send_ref().await {
            Ok(out) => break Ok(out),
            Err(err) => err,
        };
        api.errors.count(&err);
        failures += 1;
        let Some(delay) = outage_delay(&err, failures).map(|d| with_jitter(d, jitter_seed())) else {
            break Err(api.failed::<R>(err));
        };
        let first = *since.get_or_insert_with(|| {
            api.waiting.fetch_add(1, Ordering::Relaxed);
            Instant::now()
        });
        if first.elapsed() + delay > OUTAGE_DEADLINE {
            tracing::warn!(method = %method, host = %api.host, error = %err, "reply dropped: Telegram unreachable for {OUTAGE_DEADLINE:?}");
            api.dropped.fetch_add(1, Ordering::Relaxed);
            break Err(api.failed::<R>(err));
        }
        if failures == 1 || failures % 16 == 0 {
            tracing::warn!(method = %method, host = %api.host, error = %err, failures, "reply not sent; retrying until Telegram answers");
        }
        if !api.pause(delay).await {
            break Err(CallError::Deferred {
                method: method.clone(),
                host: api.host.clone(),
            });
        }
    };
    if let Some(first) = since {
        api.waiting.fetch_sub(1, Ordering::Relaxed);
        if result.is_ok() {
            tracing::info!(method = %method, waited_s = first.elapsed().as_secs_f64(), "reply sent after Telegram came back");
            api.reachable();
        }
    }
    result
}

/// How long polling pauses after `failures` failed `getUpdates` in a row
/// (1 for the first): `retry_after` when Telegram says so, else 0.5 s
/// doubling to [`POLL_BACKOFF`], so polling resumes within seconds of an
/// outage's end (teloxide's default doubles to 64 s). Jitter is the
/// caller's.
pub fn poll_delay(err: &RequestError, failures: u32) -> Duration {
    match err {
        RequestError::RetryAfter(s) => s.duration().min(MAX_RETRY_AFTER),
        _ => Duration::from_millis(500)
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
            .min(POLL_BACKOFF),
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
    fn replies_wait_out_an_outage_and_polls_resume_quickly() {
        let e5 = RequestError::Api(ApiError::Unknown("Bad Gateway".into()));
        let delays: Vec<Duration> = (1..=12).filter_map(|n| outage_delay(&e5, n)).collect();
        assert_eq!(delays.len(), 12, "no attempt limit: the deadline bounds the wait");
        assert_eq!(delays[0], FIRST_BACKOFF);
        assert_eq!(*delays.last().unwrap(), OUTAGE_BACKOFF);
        assert_eq!(
            outage_delay(&RequestError::Api(ApiError::BotBlocked), 1),
            None,
            "a refusal is final"
        );
        let flood = RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(7));
        assert_eq!(outage_delay(&flood, 30), Some(Duration::from_secs(7)));

        assert_eq!(poll_delay(&e5, 1), Duration::from_millis(500));
        assert_eq!(poll_delay(&e5, 2), Duration::from_secs(1));
        assert_eq!(poll_delay(&e5, 1000), POLL_BACKOFF, "capped at a few seconds");
        assert_eq!(poll_delay(&flood, 1), Duration::from_secs(7), "retry_after is honoured");
    }

    #[test]
    fn the_host_is_kept_never_the_url() {
        assert_eq!(Api::new("http://127.0.0.1:8081/").host(), "127.0.0.1:8081");
        assert_eq!(Api::new("https://api.telegram.org").host(), "api.telegram.org");
    }

    #[tokio::test]
    async fn a_reply_waiting_for_telegram_wakes_when_it_is_back_or_stopping() {
        let api = std::sync::Arc::new(Api::new("http://127.0.0.1:1"));
        api.waiting.fetch_add(1, Ordering::Relaxed);
        let waiter = tokio::spawn({
            let api = std::sync::Arc::clone(&api);
            async move { api.pause(Duration::from_secs(3600)).await }
        });
        tokio::task::yield_now().await;
        while !waiter.is_finished() {
            api.reachable();
            tokio::task::yield_now().await;
        }
        assert!(waiter.await.unwrap(), "woken by a call getting through: try again");
        api.stop();
        assert!(!api.pause(Duration::from_secs(3600)).await, "stopping: give up at once");
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
