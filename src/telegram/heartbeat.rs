//! The heartbeat: a small file in the data directory that the serving
//! loop rewrites while it runs, and that `archive-bot health` (the
//! container's HEALTHCHECK) reads. A process that hangs, deadlocks or died
//! stops rewriting it; one that stopped gracefully removes it.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The heartbeat's file name inside the data directory.
pub const FILE_NAME: &str = "heartbeat";
/// How often the serving loop rewrites it.
pub const EVERY: Duration = Duration::from_secs(15);
/// The oldest heartbeat `health` accepts.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Writes the current time (seconds since the epoch) to the heartbeat,
/// atomically (a reader never sees half a number).
pub fn beat(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let tmp = dir.join(format!(".{FILE_NAME}.{}", std::process::id()));
    std::fs::write(&tmp, format!("{now}\n"))?;
    std::fs::rename(&tmp, dir.join(FILE_NAME))
}

/// Removes the heartbeat (a graceful stop: not serving any more).
pub fn stop(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(FILE_NAME));
}

/// How long ago the serving loop last beat, or why that cannot be told.
pub fn age(dir: &Path, now: SystemTime) -> Result<Duration, String> {
    let path = dir.join(FILE_NAME);
    let text = crate::input::read_text(&path, 64).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("no heartbeat at {} (is `serve` running?)", path.display()),
        _ => format!("{}: {e}", path.display()),
    })?;
    let secs: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{}: not a heartbeat", path.display()))?;
    let then = UNIX_EPOCH + Duration::from_secs(secs);
    Ok(now.duration_since(then).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_beat_is_young_and_a_stop_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        assert!(age(dir.path(), SystemTime::now()).unwrap_err().contains("no heartbeat"));
        beat(dir.path()).unwrap();
        assert!(age(dir.path(), SystemTime::now()).unwrap() < Duration::from_secs(5));
        let later = SystemTime::now() + Duration::from_secs(90);
        assert!(age(dir.path(), later).unwrap() > MAX_AGE);
        stop(dir.path());
        assert!(age(dir.path(), SystemTime::now()).is_err());
        std::fs::write(dir.path().join(FILE_NAME), "garbage").unwrap();
        assert!(
            age(dir.path(), SystemTime::now())
                .unwrap_err()
                .contains("not a heartbeat")
        );
    }
}
