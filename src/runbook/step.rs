//! Steps as the engine runs them, and the events a run sends to whoever shows it.
//!
//! A step is planned in full before the run starts: its preview (files and lines, requests,
//! commands) is plain text computed from the inventory and the files as they are, so the
//! operator confirms exactly what will happen. Nothing here holds a value.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::spec::Predicate;
use crate::audit::Outcome;
use crate::envwrite::EnvWritePlan;
use crate::inventory::Tier;

/// One step of a planned run.
#[derive(Clone, Debug)]
pub struct Step {
    /// Stable within a runbook and environment (`write:backend`); resume matches on it.
    pub id: String,
    pub title: String,
    pub body: Body,
    /// What the step will do, in words; never a value.
    pub preview: Vec<String>,
}

/// What a step does.
#[derive(Clone, Debug)]
pub enum Body {
    /// Decided while planning (emergency-restore's diagnosis): passes or fails as planned.
    Planned {
        ok: bool,
        detail: Vec<String>,
    },
    Check(Predicate),
    Action(Action),
    /// The operator does it; `verify` (when there is one) is checked after they confirm.
    Manual {
        text: String,
        verify: Option<Predicate>,
        /// A value restored by hand: the service must then read the same as the truth.
        expect: Option<SameAs>,
    },
    Wait {
        until: Vec<Predicate>,
        timeout: Duration,
    },
}

/// An action: something that changes the world.
#[derive(Clone, Debug)]
pub enum Action {
    /// Put a source-of-truth value into a service's env file.
    WriteEnvFile {
        service: String,
        /// Whose value (a truth of the run, by name).
        from: String,
        plan: EnvWritePlan,
    },
    /// Add a version to a Secret Manager secret the service reads as `latest`.
    AddSecretVersion {
        service: String,
        from: String,
        config: crate::sources::gcp::GcpConfig,
    },
    /// Close breakers, instance by instance.
    ResetBreakers {
        targets: Vec<ResetTarget>,
    },
    RunCommand {
        program: String,
        args: Vec<String>,
        timeout: Duration,
        cwd: PathBuf,
        /// Services whose health is awaited afterwards (a restart).
        await_health: Vec<String>,
    },
    HttpRequest(super::spec::HttpCall),
}

/// `service` must read the same value as the truth called `from`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SameAs {
    pub service: String,
    pub from: String,
}

/// One instance's breakers and how to close them.
#[derive(Clone, Debug)]
pub struct ResetTarget {
    pub service: String,
    pub service_index: usize,
    pub instance: usize,
    /// The instance's breaker URL (what is read back).
    pub url: String,
    /// Breakers to close; empty means every breaker the instance reports.
    pub names: Vec<String>,
    pub how: ResetHow,
}

#[derive(Clone, Debug)]
pub enum ResetHow {
    /// `POST {url}/{name}` with `{"updateState":"CLOSE"}`.
    Resilience4j,
    Http {
        method: String,
        url: String,
        body: Option<String>,
    },
    Command {
        program: String,
        args: Vec<String>,
    },
}

impl Body {
    /// The kind as the audit log and the step list name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Planned { .. } | Self::Check(_) => "check",
            Self::Action(a) => a.kind(),
            Self::Manual { .. } => "manual",
            Self::Wait { .. } => "wait",
        }
    }

    pub fn is_action(&self) -> bool {
        matches!(self, Self::Action(_))
    }
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::WriteEnvFile { .. } | Self::AddSecretVersion { .. } => "write-secret",
            Self::ResetBreakers { .. } => "reset-breakers",
            Self::RunCommand { .. } => "run-command",
            Self::HttpRequest(_) => "http-request",
        }
    }
}

/// A step as shown: no engine internals.
#[derive(Clone, Debug, Serialize)]
pub struct StepInfo {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub preview: Vec<String>,
}

impl From<&Step> for StepInfo {
    fn from(s: &Step) -> Self {
        Self {
            id: s.id.clone(),
            title: s.title.clone(),
            kind: s.body.kind(),
            preview: s.preview.clone(),
        }
    }
}

/// What the operator is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub question: String,
    /// The text that confirms (`yes`, the environment's name, or `done`).
    pub expect: String,
    /// Set when the previous answer did not match.
    pub retry: Option<String>,
}

/// The operator's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Text(String),
    Decline,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub run: String,
    /// Every step succeeded (a dry run: the plan could be made).
    pub ok: bool,
    pub dry_run: bool,
    /// Nothing ran: read-only, a missing confirmation flag, no audit log, nothing to resume.
    pub refused: bool,
    /// The step that failed or was refused, by index.
    pub failed_step: Option<usize>,
    /// Why it did not succeed.
    pub reason: Option<String>,
    /// What to do next, when something failed.
    pub next: Option<String>,
}

/// Everything a run tells its viewer, in order.
#[derive(Clone, Debug)]
pub enum RunEvent {
    Planned {
        runbook: String,
        environment: String,
        tier: Tier,
        dry_run: bool,
        steps: Vec<StepInfo>,
        notes: Vec<String>,
    },
    Started {
        index: usize,
    },
    Ask {
        index: usize,
        prompt: Prompt,
    },
    /// A wait's latest reading (the live rate, breaker states), or a running command's news.
    Progress {
        index: usize,
        lines: Vec<String>,
    },
    Finished {
        index: usize,
        outcome: Outcome,
        detail: Vec<String>,
    },
    Done(Summary),
}
