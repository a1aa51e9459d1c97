//! Webhook mode: Telegram POSTs each update to our HTTP server instead of
//! the bot polling for it.
//!
//! Every request must carry the secret token given to `setWebhook` in the
//! `X-Telegram-Bot-Api-Secret-Token` header (else 403). An update is
//! written to the [`super::journal`] (synced) before the request is
//! answered 200, so Telegram's own redelivery covers a crash before that
//! point and the journal's replay covers one after; an update the journal
//! already holds (a redelivery) is answered 200 and not handled again.
//! Without a journal, an update is answered 200 only after it is handed to
//! the dispatcher.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode};
use futures::{Stream, StreamExt};
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::Update;
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use tokio::sync::mpsc;

use super::journal::Journal;

/// The header Telegram sends the secret token in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Largest update body accepted (Telegram's are a few kilobytes).
const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
struct Shared {
    secret: Arc<str>,
    tx: mpsc::Sender<Update>,
    journal: Option<Arc<Journal>>,
}

/// A random secret token: 32 hex digits from the OS's random source.
pub fn random_secret() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    // `hex`, not a hand-written loop: the same encoder as the corpus digests.
    Ok(hex::encode(bytes))
}

/// Whether a secret token is one Telegram accepts: 1–256 of `A-Za-z0-9_-`.
pub fn valid_secret(secret: &str) -> bool {
    (1..=256).contains(&secret.len())
        && secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Compares in time independent of where the strings differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

async fn receive(AxumState(shared): AxumState<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !same_secret(given, shared.secret.as_bytes()) {
        tracing::warn!("webhook request without the right secret token: refused (403)");
        return StatusCode::FORBIDDEN;
    }
    // Parsed from text: teloxide's update parser needs borrowed keys.
    let Ok(text) = std::str::from_utf8(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let update: Update = match serde_json::from_str(text) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(error = %e, "webhook body is not an update");
            return StatusCode::BAD_REQUEST;
        }
    };
    if let Some(journal) = &shared.journal {
        let value = serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
        let journal = Arc::clone(journal);
        let id = i64::from(update.id.0);
        // A redelivery is answered 200 (the journal logs and counts it).
        let fresh = tokio::task::spawn_blocking(move || journal.received(id, &value).is_ok())
            .await
            .unwrap_or(true);
        if !fresh {
            return StatusCode::OK;
        }
    }
    match shared.tx.send(update).await {
        Ok(()) => StatusCode::OK,
        // Shutting down: Telegram will deliver it again.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The listener the dispatcher reads: replayed updates first, then what
/// the HTTP server receives; it ends when the server has stopped.
pub struct Listener {
    rx: mpsc::Receiver<Update>,
    replay: Vec<Update>,
    token: StopToken,
}

impl<'a> AsUpdateStream<'a> for Listener {
    type StreamErr = teloxide::RequestError;
    type Stream = Pin<Box<dyn Stream<Item = Result<Update, teloxide::RequestError>> + Send + 'a>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let replay = futures::stream::iter(std::mem::take(&mut self.replay).into_iter().map(Ok));
        let rx = &mut self.rx;
        let live = futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).map(Ok);
        Box::pin(replay.chain(live))
    }
}

impl UpdateListener for Listener {
    type Err = teloxide::RequestError;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }
}

/// Binds `listen` and serves the webhook until the listener's stop token
/// is used. Returns the listener and the bound address (for port 0).
pub async fn serve(
    listen: SocketAddr,
    secret: String,
    journal: Option<Arc<Journal>>,
    replay: Vec<Update>,
) -> std::io::Result<(Listener, SocketAddr)> {
    let (tx, rx) = mpsc::channel(256);
    let shared = Shared {
        secret: secret.into(),
        tx,
        journal,
    };
    let app = Router::new()
        .fallback(axum::routing::post(receive))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared);
    let socket = tokio::net::TcpListener::bind(listen).await?;
    let bound = socket.local_addr()?;
    let (token, flag): (StopToken, StopFlag) = mk_stop_token();
    tokio::spawn(async move {
        // The server (and with it the last sender) is dropped when it
        // stops, which ends the listener's stream.
        if let Err(e) = axum::serve(socket, app).with_graceful_shutdown(flag).await {
            tracing::error!(error = %e, "webhook server failed");
        }
    });
    tracing::info!(address = %bound, "webhook server listening");
    Ok((Listener { rx, replay, token }, bound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        let s = random_secret().unwrap();
        assert_eq!(s.len(), 32);
        assert!(valid_secret(&s));
        assert_ne!(s, random_secret().unwrap());
        assert!(!valid_secret("") && !valid_secret("a b") && !valid_secret(&"a".repeat(257)));
        assert!(same_secret(b"abc", b"abc") && !same_secret(b"abd", b"abc") && !same_secret(b"ab", b"abc"));
    }
}
