//! What the inventory says about recovery: an environment's `restart` command and custom
//! `[[runbook]]` tables with their steps.
//!
//! The tables as written, and their checks, are in [`super::raw`].

use std::time::Duration;

use serde::Deserialize;

use crate::live::spec::duration;

/// Names of the runbooks secretops has built in; a custom runbook may not take them.
pub const BUILT_IN: &[&str] = &["emergency-restore", "breaker-reset"];

/// Default failure ratio under which authentication counts as recovered (the same 5% from
/// which `check --live` reports `auth-failure-rate`).
pub const DEFAULT_THRESHOLD: f64 = crate::live::findings::FAILURE_WARN;
/// Default time a command may run.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time a wait step waits.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(180);

/// `restart = { program, args, timeout }` on an environment: how to restart one service.
/// `{service}` in an argument is replaced by the service's name, and the command runs once
/// per service; without it, it runs once for all of them. `{env}` is the environment's name.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartSpec {
    pub program: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
}

/// A condition on the current state of one environment.
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    /// Every service has a value and all values have the same fingerprint.
    FingerprintsAgree,
    /// The service (or every service) has a value.
    Present { service: Option<String> },
    /// Every breaker of the service (or of every service) reads CLOSED on every instance.
    BreakersClosed { service: Option<String> },
    /// The environment's auth failure ratio is below the threshold (with traffic).
    FailureRatioBelow { threshold: f64 },
    /// The service (or every service with a health URL) answers healthy.
    Healthy { service: Option<String> },
}

impl Predicate {
    /// The predicate in words.
    pub fn describe(&self) -> String {
        let of = |s: &Option<String>| s.as_ref().map_or("every service".into(), Clone::clone);
        match self {
            Self::FingerprintsAgree => "the fingerprints of every service agree".into(),
            Self::Present { service } => format!("{} has a value", of(service)),
            Self::BreakersClosed { service } => {
                format!(
                    "every breaker of {} is CLOSED on every instance",
                    of(service)
                )
            }
            Self::FailureRatioBelow { threshold } => {
                format!("the auth failure ratio is under {:.0}%", threshold * 100.0)
            }
            Self::Healthy { service } => format!("{} answers healthy", of(service)),
        }
    }

    /// The service it names, if any.
    pub fn service(&self) -> Option<&str> {
        match self {
            Self::Present { service }
            | Self::BreakersClosed { service }
            | Self::Healthy { service } => service.as_deref(),
            Self::FingerprintsAgree | Self::FailureRatioBelow { .. } => None,
        }
    }
}

/// One step of a custom runbook.
#[derive(Clone, Debug)]
pub struct CustomStep {
    /// Shown in the step list; defaults to a description of the step.
    pub name: Option<String>,
    pub body: CustomBody,
}

#[derive(Clone, Debug)]
pub enum CustomBody {
    Check(Predicate),
    Wait {
        until: Predicate,
        timeout: Duration,
    },
    Manual {
        text: String,
    },
    /// Copy `from`'s value to `service` (or to every service that disagrees with it).
    WriteSecret {
        from: String,
        service: Option<String>,
    },
    ResetBreakers {
        service: Option<String>,
    },
    RunCommand {
        program: String,
        args: Vec<String>,
        timeout: Duration,
    },
    HttpRequest(HttpCall),
}

/// An HTTP request whose answer must have one status: a self-test endpoint, a health page,
/// the auth flow itself.
#[derive(Clone, Debug)]
pub struct HttpCall {
    pub method: String,
    /// `{env}` is replaced by the environment's name.
    pub url: String,
    pub body: Option<String>,
    pub expect_status: u16,
    pub timeout: Duration,
    /// Send a service's current value in a header, to check the auth flow end to end.
    pub secret: Option<SecretHeader>,
}

/// `secret_header = "X-Service-Secret"` with `from = "backend"`: the header carries the value
/// `from` reads at the moment the request is sent. It is never shown.
#[derive(Clone, Debug)]
pub struct SecretHeader {
    pub header: String,
    pub from: String,
}

/// A custom runbook from the inventory.
#[derive(Clone, Debug)]
pub struct RunbookSpec {
    pub name: String,
    pub description: String,
    /// Environments it may run in; empty means any.
    pub environments: Vec<String>,
    pub steps: Vec<CustomStep>,
}
