//! The update listener with the [`journal`] in front: updates a previous
//! run left unhandled come first, then Telegram's, each written to the
//! journal before the dispatcher sees it (so before polling confirms its
//! offset) and skipped when the journal already holds it.

use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use teloxide::stop::StopToken;
use teloxide::types::{AllowedUpdate, Update, UpdateKind, UserId};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};

use super::journal;

/// A listener (polling) whose updates go through the journal.
pub(crate) struct Journaled<L> {
    pub inner: L,
    pub journal: Arc<journal::Journal>,
    /// Updates received before a crash and not handled.
    pub replay: Vec<Update>,
}

impl<'a, L> AsUpdateStream<'a> for Journaled<L>
where
    L: AsUpdateStream<'a> + Send,
    L::StreamErr: Send + 'a,
{
    type StreamErr = L::StreamErr;
    type Stream = Pin<Box<dyn Stream<Item = Result<Update, L::StreamErr>> + Send + 'a>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let replay = futures::stream::iter(std::mem::take(&mut self.replay).into_iter().map(Ok));
        let journal = Arc::clone(&self.journal);
        let live = self.inner.as_stream().filter(move |item| {
            let keep = match item {
                Ok(update) => match serde_json::to_value(update) {
                    Ok(value) => journal.received(i64::from(update.id.0), &value).is_ok(),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot journal an update");
                        true
                    }
                },
                Err(_) => true,
            };
            std::future::ready(keep)
        });
        Box::pin(replay.chain(live))
    }
}

impl<L> UpdateListener for Journaled<L>
where
    L: UpdateListener + Send,
    for<'a> L: AsUpdateStream<'a, StreamErr = <L as UpdateListener>::Err>,
    for<'a> <L as UpdateListener>::Err: Send + 'a,
{
    type Err = L::Err;

    fn stop_token(&mut self) -> StopToken {
        self.inner.stop_token()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.inner.hint_allowed_updates(hint);
    }
}

/// Opens the journal in `dir`: the journal and the updates to replay. A
/// journal that cannot be opened is a warning, not a stop.
pub(crate) fn open_journal(dir: &Path, bot: UserId) -> Option<(Arc<journal::Journal>, Vec<Update>)> {
    let bot = i64::try_from(bot.0).unwrap_or(i64::MAX);
    match journal::Journal::open(dir, bot) {
        Ok((j, pending)) => {
            let replay: Vec<Update> = pending
                .into_iter()
                // Parsed from text: teloxide's update parser needs borrowed
                // keys and turns an update read from a `Value` into an error.
                .filter_map(|(id, value)| match serde_json::from_str::<Update>(&value.to_string()) {
                    Ok(update) if !matches!(update.kind, UpdateKind::Error(_)) => Some(update),
                    Ok(_) => {
                        tracing::warn!(update = id, "dropping an unreadable journalled update");
                        j.done(id);
                        None
                    }
                    Err(e) => {
                        tracing::warn!(update = id, error = %e, "dropping an unreadable journalled update");
                        j.done(id);
                        None
                    }
                })
                .collect();
            if !replay.is_empty() {
                tracing::info!(
                    updates = replay.len(),
                    "replaying updates received before a crash and not answered"
                );
            }
            Some((Arc::new(j), replay))
        }
        Err(e) => {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot open the update journal; a crash would lose updates in flight");
            None
        }
    }
}
