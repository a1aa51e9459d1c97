//! Long polling (`getUpdates`), our own rather than teloxide's so that an
//! outage ends quickly and visibly:
//!
//! - a failed poll pauses 0.5 s doubling to a few seconds (with jitter), or
//!   as long as a 429's `retry_after` says, and any successful poll resets
//!   the pause, with or without updates ([`super::retry::poll_delay`]);
//! - failures are counted by kind (`/metrics`), and the first successful
//!   poll after failures logs how long polling was down;
//! - on stop, the offset of the last update received is confirmed, so
//!   Telegram does not send it again.
//!
//! The offset is the last received id + 1, as teloxide's. Ids can start
//! again lower (after a week without updates Telegram picks the next id at
//! random); the Bot API server then returns its queue from the start, as
//! for any offset ahead of the queue, so nothing is missed and the journal
//! (which compares ids by set, not by order) takes them as new.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::Stream;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::AllowedUpdate;
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};

use super::Tg;
use super::retry::{self, Api};

/// Updates fetched by one `getUpdates` (Telegram's maximum).
const BATCH: u8 = 100;

/// The polling update listener.
pub struct Poller {
    bot: Tg,
    api: Arc<Api>,
    /// Long-polling timeout, whole seconds.
    timeout: u32,
    allowed: Option<Vec<AllowedUpdate>>,
    /// The next update wanted (last received + 1); `None` before the first.
    offset: Option<i32>,
    buffer: VecDeque<Update>,
    token: StopToken,
    flag: StopFlag,
    /// Failed polls in a row, and when the first of them failed.
    failures: u32,
    down_since: Option<Instant>,
    /// The pause before the next poll.
    pause: Option<Duration>,
    stopped: bool,
}

impl Poller {
    pub fn new(bot: Tg, api: Arc<Api>, timeout: Duration) -> Poller {
        let (token, flag) = mk_stop_token();
        Poller {
            bot,
            api,
            timeout: u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX),
            allowed: None,
            offset: None,
            buffer: VecDeque::new(),
            token,
            flag,
            failures: 0,
            down_since: None,
            pause: None,
            stopped: false,
        }
    }

    /// The next update, a failed poll (`Err`, for the dispatcher's error
    /// handler) or `None` once stopped.
    async fn next(&mut self) -> Option<Result<Update, RequestError>> {
        loop {
            if let Some(update) = self.buffer.pop_front() {
                return Some(Ok(update));
            }
            if self.stopped {
                return None;
            }
            if let Some(pause) = self.pause.take() {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = &mut self.flag => {
                        self.finish().await;
                        return None;
                    }
                }
            }
            let mut req = self.bot.get_updates().timeout(self.timeout).limit(BATCH);
            if let Some(offset) = self.offset {
                req = req.offset(offset);
            }
            if let Some(allowed) = self.allowed.take() {
                req = req.allowed_updates(allowed);
            }
            let result = tokio::select! {
                result = req.send() => result,
                () = &mut self.flag => {
                    self.finish().await;
                    return None;
                }
            };
            match result {
                Ok(updates) => {
                    if let Some(since) = self.down_since.take() {
                        tracing::info!(
                            down_s = since.elapsed().as_secs_f64(),
                            failed_polls = self.failures,
                            "polling recovered"
                        );
                    }
                    // Replies waiting out an outage need not wait longer.
                    self.api.reachable();
                    self.failures = 0;
                    if let Some(last) = updates.last() {
                        self.offset = Some(last.id.as_offset());
                    }
                    self.buffer.extend(updates);
                }
                Err(err) => {
                    self.api.poll_errors.count(&err);
                    self.failures = self.failures.saturating_add(1);
                    self.down_since.get_or_insert_with(Instant::now);
                    let pause = retry::with_jitter(retry::poll_delay(&err, self.failures), retry::jitter_seed());
                    tracing::warn!(
                        host = %self.api.host(),
                        error = %err,
                        failures = self.failures,
                        "getUpdates failed; polling again in {pause:?}"
                    );
                    self.pause = Some(pause);
                    return Some(Err(err));
                }
            }
        }
    }

    /// Stops: confirms the offset of the last update received (one quick
    /// call; should it fail, the journal still holds those updates).
    async fn finish(&mut self) {
        self.stopped = true;
        let Some(offset) = self.offset else {
            return;
        };
        // One attempt: shutdown is not held up by an unreachable Telegram.
        match self.bot.get_updates().offset(offset).limit(1).timeout(0).send().await {
            Ok(_) => tracing::info!(offset, "update offset confirmed"),
            Err(e) => {
                self.api.poll_errors.count(&e);
                tracing::warn!(host = %self.api.host(), error = %e, "could not confirm the update offset; the journal holds what was received");
            }
        }
    }
}

impl<'a> AsUpdateStream<'a> for Poller {
    type StreamErr = RequestError;
    type Stream = Pin<Box<dyn Stream<Item = Result<Update, RequestError>> + Send + 'a>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        Box::pin(futures::stream::unfold(self, |poller| async move {
            poller.next().await.map(|item| (item, poller))
        }))
    }
}

impl UpdateListener for Poller {
    type Err = RequestError;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.allowed = Some(hint.collect());
    }
}
