//! Errors of the demo fleet. No variant carries file contents, so a message can never leak a
//! secret value: only paths, service names and OS errors.

use std::path::PathBuf;
use std::time::Duration;

/// Why the demo could not start, change a file or stop.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A file or folder of the workdir could not be used.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The OS random source failed: no value can be generated safely.
    #[error("the system random source failed: {0}")]
    Random(getrandom::Error),
    /// A listener could not be bound on 127.0.0.1.
    #[error("cannot listen on 127.0.0.1 for {service}: {source}")]
    Bind {
        service: String,
        #[source]
        source: std::io::Error,
    },
    /// The HTTP client used for readiness checks could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// `break_*` was given an environment the demo does not have.
    #[error("unknown demo environment {0:?}: expected development, staging or production")]
    UnknownEnvironment(String),
    /// A line of the originals file is not `ENV.VAR=value`; only its number is shown, since the
    /// line may hold a value.
    #[error(
        "{}:{line}: malformed line (expected ENVIRONMENT.VAR=value); delete the file to start \
         the demo with new values",
        path.display()
    )]
    Originals { path: PathBuf, line: usize },
    /// Some services did not answer `/health` in time.
    #[error("demo services not ready after {}s: {}", timeout.as_secs_f32(), pending.join(", "))]
    NotReady {
        timeout: Duration,
        pending: Vec<String>,
    },
    /// Writing the ready line failed (stdout closed).
    #[error("cannot write to the output: {0}")]
    Output(#[source] std::io::Error),
    /// SIGTERM could not be watched, so the headless runner could not stop cleanly.
    #[error("cannot install the signal handler: {0}")]
    Signal(#[source] std::io::Error),
}

impl DemoError {
    /// Shorthand for the common I/O case.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl From<getrandom::Error> for DemoError {
    fn from(e: getrandom::Error) -> Self {
        Self::Random(e)
    }
}
