//! The health and metrics endpoint: `/healthz` (200 while the bot runs)
//! and `/metrics` (Prometheus text, written by [`super::stats`]: a handful
//! of counters does not need a metrics crate's registry).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use super::State;
use super::stats::ApiFigures;

/// Serves `/healthz` and `/metrics` on `addr`; returns the server task and
/// the bound address.
pub(crate) async fn serve(
    addr: SocketAddr,
    state: Arc<State>,
) -> std::io::Result<(tokio::task::JoinHandle<()>, SocketAddr)> {
    let socket = tokio::net::TcpListener::bind(addr).await?;
    let bound = socket.local_addr()?;
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .route(
            "/metrics",
            axum::routing::get(move || {
                let state = Arc::clone(&state);
                async move { ([("content-type", "text/plain; version=0.0.4")], text(&state)) }
            }),
        );
    tracing::info!(address = %bound, "metrics and health endpoint listening");
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(socket, app).await {
            tracing::error!(error = %e, "metrics server failed");
        }
    });
    Ok((task, bound))
}

/// The figures in Prometheus's text format.
fn text(state: &State) -> String {
    let engine = state.engine();
    let index = engine.stats();
    let age = state.index_age();
    let api = ApiFigures::of(&state.api, state.journal.as_deref());
    state
        .counters()
        .prometheus(index.articles, index.passages, age, &api, Instant::now())
}
