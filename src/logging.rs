//! Logging to a file in the state directory; never to the terminal the console draws on.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts file logging. The level comes from `SECRETOPS_LOG` (default `info`).
///
/// Returns the guard that flushes the log on drop, and the log file's path; `None` when no
/// state directory can be created, in which case nothing is logged.
pub fn init() -> Option<(WorkerGuard, PathBuf)> {
    let dir = crate::paths::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "secretops.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_env("SECRETOPS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    let path = dir.join("secretops.log");
    tracing::info!(log = %path.display(), version = env!("CARGO_PKG_VERSION"), "secretops started");
    Some((guard, path))
}
