//! The secret one service holds, and the poller that reloads it when its env file changes, so
//! editing a file has the effect a redeploy would have, within half a second.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::demo::SECRET_VAR;
use crate::demo::files::{env_var, read_optional};

/// How often env files are checked. Short enough that a test sees a change within a second.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The value a service currently holds; `None` means it sends or expects nothing.
#[derive(Clone, Default)]
pub(crate) struct SecretCell(Arc<RwLock<Option<SecretString>>>);

impl SecretCell {
    pub(crate) fn set(&self, value: Option<SecretString>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = value;
    }

    /// Runs `f` with the current value, without copying it out of the cell.
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&str>) -> R) -> R {
        let guard = self.0.read().unwrap_or_else(PoisonError::into_inner);
        f(guard.as_ref().map(ExposeSecret::expose_secret))
    }
}

/// What tells one version of a file from another without reading it: the rename of an atomic
/// write gives a new inode even when mtime and length happen to match.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &std::path::Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode,
    })
}

/// Reads the secret from the file; missing file, missing line or empty value all give `None`.
fn load(path: &std::path::Path) -> Option<SecretString> {
    let text = read_optional(path).ok()??;
    let value = env_var(&text, SECRET_VAR)?;
    (!value.is_empty()).then(|| SecretString::from(value.as_str()))
}

/// Loads `path` into a new cell now (so the service starts with its value) and spawns the
/// poller that keeps it current until `stop` turns true.
pub(crate) fn watch_file(
    path: PathBuf,
    mut stop: watch::Receiver<bool>,
) -> (SecretCell, JoinHandle<()>) {
    let cell = SecretCell::default();
    let mut last = stamp(&path);
    cell.set(load(&path));
    let task_cell = cell.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => break,
            }
            let now = stamp(&path);
            if now != last {
                last = now;
                task_cell.set(load(&path));
            }
        }
    });
    (cell, task)
}

/// Keeps a cell current from a Secret Manager (the demo's local stand-in): the production
/// validator reads its secret there, as production services do, so restoring a version is
/// what heals it. A failed read leaves the service with no secret, as a failed start would.
pub(crate) fn watch_secret_manager(
    config: crate::sources::gcp::GcpConfig,
    mut stop: watch::Receiver<bool>,
) -> (SecretCell, JoinHandle<()>) {
    let cell = SecretCell::default();
    let task_cell = cell.clone();
    let task = tokio::spawn(async move {
        let Ok(client) = crate::sources::gcp::Client::new(&config).await else {
            return;
        };
        let mut tick = tokio::time::interval(POLL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let value = client.access().await.ok().map(|a| a.value);
            task_cell.set(value);
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
    });
    (cell, task)
}
