//! The Telegram bot (`archive-bot serve`): long polling or a webhook,
//! routing updates to answers, source articles and inline results. The
//! only module that talks to Telegram (and the only one that imports
//! teloxide).
//!
//! Starting and stopping:
//! - [`settings`]: the token, API URL, proxy, limits and modes, from the
//!   configuration and the environment; secrets never in `Debug`.
//! - [`lifecycle`]: start (`getMe`, the command menu, background tasks),
//!   dispatch until a signal, the heartbeat, the graceful stop.
//! - [`error`]: what stops the bot, and what is the operator's to fix.
//! - [`state`]: what every handler shares, and the lock-poison policy.
//!
//! Receiving:
//! - [`poll`]: long polling that resumes within seconds of an outage.
//! - [`webhook`]: webhook mode's HTTP server (secret token, journal first).
//! - [`journal`]: received updates on disk until handled, so a crash
//!   loses no question; [`listener`] puts it in front of polling.
//!
//! Handling (`handlers`: the I/O, one async fn per kind of update):
//! - [`route`]: what a message asks for (commands, mentions, replies),
//!   callback data and deep-link payloads. Pure.
//! - [`access`]: allowlists, admins, the per-user rate limit. Pure.
//! - [`render`]: answers, citations, article pages and fixed texts as
//!   escaped HTML with buttons. Pure.
//! - [`split`]: HTML → messages of ≤ 4096 UTF-16 units. Pure.
//! - [`recent`]: the bounded memory of answer messages for follow-ups.
//! - [`examples`]: the example questions, configured or made from the
//!   archive's headlines.
//! - [`follows`]: the topics chats follow and what was posted to them.
//! - [`reload`]: live index updates (a changed corpus, `/reindex`).
//! - [`retry`]: retrying 429s, 5xx and network errors with backoff;
//!   replies wait out an outage.
//!
//! Watching:
//! - [`stats`]: the figures `/stats` shows admins and `/metrics` exports.
//! - [`metrics`]: the `/healthz` and `/metrics` endpoint.
//! - [`heartbeat`]: the file `archive-bot health` reads.
//!
//! Answers run on tokio's blocking pool with the shared engine, so one
//! slow question never stalls the rest; updates of one chat are handled in
//! order, chats in parallel. Outgoing messages go through teloxide's
//! `Throttle` (Telegram's rate limits). On shutdown polling stops, replies
//! in flight are finished and the update offset is confirmed, so after a
//! restart no question is answered twice and none is lost. With a data
//! directory, the [`journal`] covers a crash too (`kill -9`): updates not
//! handled are replayed at the next start. The token never reaches a log
//! line: teloxide redacts it from network errors and our own messages
//! never format URLs or requests.

pub mod access;
pub mod error;
pub mod examples;
pub mod follows;
mod handlers;
pub mod heartbeat;
pub mod journal;
pub mod lifecycle;
pub mod listener;
pub mod metrics;
pub mod poll;
pub mod recent;
pub mod reload;
pub mod render;
pub mod retry;
pub mod route;
pub mod settings;
pub mod split;
pub mod state;
pub mod stats;
pub mod webhook;

use std::future::Future;
use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;

pub use error::BotError;
pub use lifecycle::{run, run_until_signalled, shutdown_signal};
pub use settings::{RateLimits, ReloadSettings, Secret, Settings, TELEGRAM_API_URL, WebhookSettings};
pub(crate) use state::{State, Tg};

/// The dispatch tree: messages, button presses, chat membership changes,
/// inline queries, and the rest. Every update is marked handled in the
/// journal when its handler returns, whatever the outcome, unless its reply
/// was deferred by shutdown (Telegram unreachable): then it is handled at
/// the next start.
fn schema() -> UpdateHandler<BotError> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(journaled(handlers::on_message)))
        .branch(Update::filter_callback_query().endpoint(journaled(handlers::on_callback)))
        .branch(Update::filter_my_chat_member().endpoint(journaled(handlers::on_my_chat_member)))
        .branch(Update::filter_inline_query().endpoint(journaled(handlers::on_inline)))
        .branch(dptree::endpoint(|upd: Update, state: Arc<State>| async move {
            state.handled(&upd, Ok(()))
        }))
}

type Handled = futures::future::BoxFuture<'static, Result<(), BotError>>;

/// `handler` as an endpoint that marks its update handled.
fn journaled<T, H, F>(handler: H) -> impl Fn(Tg, T, Update, Arc<State>) -> Handled + Clone + Send + Sync + 'static
where
    T: Send + 'static,
    H: Fn(Tg, T, Arc<State>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<(), BotError>> + Send + 'static,
{
    move |bot, item, upd, state| {
        let work = handler(bot, item, Arc::clone(&state));
        Box::pin(async move { state.handled(&upd, work.await) })
    }
}
