//! `secretops demo --headless`: the fleet without a console, for scripts and CI that start the
//! demo, wait for one line, then point the console (or curl) at the inventory.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::demo::{DemoError, DemoOptions, Fleet};

/// How long the headless runner waits for every service to answer `/health`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The single line printed once the fleet is ready: a path, never a value, so it is safe in
/// CI logs.
#[must_use]
pub fn ready_line(inventory: &Path) -> String {
    format!("ready: {}", inventory.display())
}

/// Starts the fleet, waits until it is ready, prints exactly `ready: <inventory path>` on stdout,
/// runs until SIGINT or SIGTERM, then shuts down cleanly.
///
/// # Errors
/// As [`run_headless_with`], or [`DemoError::Signal`] when the signal handlers cannot be
/// installed.
pub async fn run_headless(opts: DemoOptions) -> Result<(), DemoError> {
    let stop = termination()?;
    run_headless_with(opts, &mut std::io::stdout(), stop).await
}

/// [`run_headless`] with the output and the stop condition injected, so tests can read what it
/// prints and end it without signals. `stop` is first polled after the ready line is written.
///
/// # Errors
/// Any error of [`Fleet::start`] or [`Fleet::wait_ready`] (the fleet is shut down first), or
/// [`DemoError::Output`] when the ready line cannot be written.
pub async fn run_headless_with<W, F>(
    opts: DemoOptions,
    out: &mut W,
    stop: F,
) -> Result<(), DemoError>
where
    W: Write,
    F: Future<Output = ()>,
{
    let fleet = Fleet::start(opts).await?;
    if let Err(e) = fleet.wait_ready(READY_TIMEOUT).await {
        fleet.shutdown().await;
        return Err(e);
    }
    let written = writeln!(out, "{}", ready_line(&fleet.inventory)).and_then(|()| out.flush());
    if let Err(e) = written {
        fleet.shutdown().await;
        return Err(DemoError::Output(e));
    }
    stop.await;
    fleet.shutdown().await;
    Ok(())
}

/// A future that resolves on SIGINT or SIGTERM. The handlers are installed now, so a signal that
/// arrives during startup is not lost.
fn termination() -> Result<impl Future<Output = ()>, DemoError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).map_err(DemoError::Signal)?;
        let mut int = signal(SignalKind::interrupt()).map_err(DemoError::Signal)?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
