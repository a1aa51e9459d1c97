//! Live index updates while serving: the corpus is checked every
//! `reload_seconds` (and on an admin's `/reindex`); when it changed, the
//! index is rebuilt on the blocking pool and the new engine swapped in.
//! Questions keep being answered from the old engine until then: a handler
//! takes its snapshot ([`super::State::engine`]) when its update arrives.
//! A rebuild that fails (a corpus emptied, a disk full) is a warning and
//! the old engine stays; one rebuild runs at a time, and automatic retries
//! of a failing one back off so a broken corpus does not keep a core busy.
//! The swap is an `RwLock` around the served `Arc<Engine>` rather than
//! arc-swap: a handler takes the lock once per update to clone the `Arc`,
//! far too rarely for lock-free reads to matter.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{ReloadSettings, State};
use crate::engine::Engine;
use crate::index::store;

/// Automatic retries after failures wait at most this long.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// What one reload did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The corpus is as indexed: nothing to do.
    Unchanged,
    /// A new index is being served.
    Reloaded { before: usize, after: usize, seconds: f64 },
    /// The rebuild failed; the old index is still served.
    Failed { error: String, seconds: f64 },
}

/// When the index at `index_dir` was built: its manifest is written last.
pub fn built_at(index_dir: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(store::Layout::manifest(index_dir))
        .and_then(|m| m.modified())
        .ok()
}

/// Rebuilds and swaps in the index when the corpus changed (or always,
/// with `force`). Waits for a reload already running, then decides.
pub(crate) async fn reload(state: &State, settings: &ReloadSettings, force: bool) -> Outcome {
    let _turn = state.reloading.lock().await;
    let (corpus, index) = (settings.corpus_dir.clone(), settings.index_dir.clone());
    let reason = if force {
        Some("asked by an admin".to_owned())
    } else {
        let (corpus, index) = (corpus.clone(), index.clone());
        match tokio::task::spawn_blocking(move || store::staleness(&index, &corpus).map(|s| s.to_string())).await {
            Ok(reason) => reason,
            Err(e) => Some(format!("the staleness check failed ({e})")),
        }
    };
    let Some(reason) = reason else {
        return Outcome::Unchanged;
    };
    tracing::info!(%reason, corpus = %corpus.display(), "rebuilding the index in the background");
    let started = Instant::now();
    let before = state.engine().stats().articles;
    let built = tokio::task::spawn_blocking(move || -> crate::Result<(Engine, Option<SystemTime>)> {
        let report = store::build(&corpus, &index, &|_, _| {})?;
        for s in &report.skipped {
            tracing::warn!(file = %s.file, reason = %s.reason, "skipped a corpus file");
        }
        let engine = Engine::open(&index)?;
        Ok((engine, built_at(&index)))
    })
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let outcome = match built {
        Ok(Ok((engine, built))) => {
            let after = engine.stats().articles;
            state.swap(Arc::new(engine), built);
            state.alerts.notify_one();
            tracing::info!(before, after, seconds, "index reloaded; new questions use it");
            Outcome::Reloaded { before, after, seconds }
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, seconds, "rebuilding the index failed; still serving the old one");
            Outcome::Failed {
                error: e.to_string(),
                seconds,
            }
        }
        Err(e) => {
            tracing::error!(error = %e, seconds, "rebuilding the index panicked; still serving the old one");
            Outcome::Failed {
                error: "the rebuild panicked".to_owned(),
                seconds,
            }
        }
    };
    state.counters().reloaded(matches!(outcome, Outcome::Reloaded { .. }));
    outcome
}

/// Automatic checks take at most this share of the time: checking stats
/// every corpus file (a million files: about 2.5 s of CPU, mostly the
/// kernel's), so a large archive is checked less often than configured
/// rather than keeping a core busy.
const CHECK_SHARE: u32 = 20;

/// How long to wait before the next automatic check after `failures`
/// failed rebuilds in a row, when the last check that found nothing to do
/// took `checked`.
pub fn next_wait(every: Duration, failures: u32, checked: Duration) -> Duration {
    every
        .max(checked.saturating_mul(CHECK_SHARE))
        .saturating_mul(1u32 << failures.min(16))
        .min(MAX_BACKOFF.max(every))
}

/// Checks the corpus at once (`serve` starts on the index as it is, so a
/// restart answers within a second whatever the archive's size; changes
/// made while it was down are picked up here), then every
/// `settings.every` until aborted.
pub(crate) fn spawn_watch(state: Arc<State>, settings: ReloadSettings) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let (mut failures, mut checked) = (0, Duration::ZERO);
        loop {
            let started = Instant::now();
            match reload(&state, &settings, false).await {
                Outcome::Failed { .. } => failures += 1,
                Outcome::Unchanged => (failures, checked) = (0, started.elapsed()),
                Outcome::Reloaded { .. } => failures = 0,
            }
            tokio::time::sleep(next_wait(settings.every, failures, checked)).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_up_to_an_hour() {
        let s = Duration::from_secs(30);
        let quick = Duration::from_millis(40);
        assert_eq!(next_wait(s, 0, quick), s);
        assert_eq!(next_wait(s, 1, quick), s * 2);
        assert_eq!(next_wait(s, 3, quick), s * 8);
        assert_eq!(next_wait(s, 40, quick), MAX_BACKOFF);
        let day = Duration::from_secs(86_400);
        assert_eq!(next_wait(day, 5, quick), day, "never sooner than configured");
    }

    #[test]
    fn a_slow_check_runs_less_often() {
        let s = Duration::from_secs(30);
        assert_eq!(next_wait(s, 0, Duration::from_secs(3)), Duration::from_secs(60));
        assert_eq!(next_wait(s, 1, Duration::from_secs(3)), Duration::from_secs(120));
        assert_eq!(
            next_wait(s, 0, Duration::from_secs(1)),
            s,
            "a check under 1/20 keeps the interval"
        );
    }
}
