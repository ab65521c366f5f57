//! Runbooks and the audit log in the console: the state their views draw, built from the
//! engine's events alone (how keys and events change it is in `recovery_actions.rs`).
//!
//! The console never runs a step: it asks the event loop to start the engine
//! ([`Effect::StartRunbook`](super::app::Effect::StartRunbook)), shows the events the engine
//! sends, and hands back what the operator types. Under `--read-only`, or on a `read_only`
//! environment, a runbook only ever starts as a dry run: previews and checks, no action.

use crate::audit::{Outcome, Record};
use crate::inventory::Tier;
use crate::runbook::step::{Prompt, RunEvent, StepInfo, Summary};
use crate::runbook::{Confirmation, RunRequest};

/// The runbook the `runbook` key starts.
pub const DEFAULT_RUNBOOK: &str = "emergency-restore";

/// One step as the runbook view lists it.
#[derive(Clone, Debug)]
pub struct StepRow {
    pub info: StepInfo,
    pub outcome: Option<Outcome>,
    pub running: bool,
    pub detail: Vec<String>,
}

/// A run the console started, as far as its events tell.
#[derive(Clone, Debug, Default)]
pub struct RunView {
    pub runbook: String,
    pub environment: String,
    pub tier: Option<Tier>,
    pub dry_run: bool,
    pub steps: Vec<StepRow>,
    pub notes: Vec<String>,
    /// The step running now.
    pub current: Option<usize>,
    /// The step the operator picked to look at; `None` follows the current one.
    pub selected: Option<usize>,
    /// A confirmation the engine waits for.
    pub prompt: Option<(usize, Prompt)>,
    /// A wait's latest reading: the live rate, breaker states.
    pub progress: Vec<String>,
    pub summary: Option<Summary>,
}

impl RunView {
    /// The step whose preview and detail show.
    pub fn shown(&self) -> Option<usize> {
        // After the run: the step that failed, else the last one.
        let ended = self
            .summary
            .as_ref()
            .and_then(|s| s.failed_step.or_else(|| self.steps.len().checked_sub(1)));
        self.selected
            .or(self.prompt.as_ref().map(|(i, _)| *i))
            .or(self.current)
            .or(ended)
    }

    /// Still running: no summary yet.
    pub fn active(&self) -> bool {
        self.summary.is_none()
    }

    pub(super) fn apply(&mut self, event: RunEvent) {
        match event {
            RunEvent::Planned {
                runbook,
                environment,
                tier,
                dry_run,
                steps,
                notes,
            } => {
                self.runbook = runbook;
                self.environment = environment;
                self.tier = Some(tier);
                self.dry_run = dry_run;
                self.notes = notes;
                self.steps = steps
                    .into_iter()
                    .map(|info| StepRow {
                        info,
                        outcome: None,
                        running: false,
                        detail: Vec::new(),
                    })
                    .collect();
            }
            RunEvent::Started { index } => {
                self.current = Some(index);
                self.progress.clear();
                if let Some(s) = self.steps.get_mut(index) {
                    s.running = true;
                }
            }
            RunEvent::Ask { index, prompt } => self.prompt = Some((index, prompt)),
            RunEvent::Progress { lines, .. } => self.progress = lines,
            RunEvent::Finished {
                index,
                outcome,
                detail,
            } => {
                self.prompt = None;
                if let Some(s) = self.steps.get_mut(index) {
                    s.running = false;
                    s.outcome = Some(outcome);
                    s.detail = detail;
                }
            }
            RunEvent::Done(summary) => {
                self.prompt = None;
                self.current = None;
                self.summary = Some(summary);
            }
        }
    }
}

/// The audit log as last read.
#[derive(Clone, Debug, Default)]
pub enum AuditView {
    #[default]
    NotLoaded,
    Loading,
    Loaded {
        records: Vec<Record>,
        /// Lines that were not records.
        bad: usize,
    },
    Failed(String),
}

/// What the console knows about guided recovery.
#[derive(Debug, Default)]
pub struct Recovery {
    /// `--read-only`: runbooks only preview; nothing acts.
    pub read_only: bool,
    pub run: Option<RunView>,
    pub audit: AuditView,
    /// First line of the audit view.
    pub audit_row: usize,
    /// The operator pressed quit once while a run was active.
    pub quit_armed: bool,
    /// A run ended: the event loop reads every source again.
    pub reload_wanted: bool,
}

/// A run to start, as the event loop needs it.
pub fn request(runbook: &str, environment: &str, dry_run: bool, resume: bool) -> RunRequest {
    RunRequest {
        runbook: runbook.to_string(),
        environment: environment.to_string(),
        from: None,
        service: None,
        dry_run,
        resume,
        read_only: false,
        wait_timeout: None,
        window: std::time::Duration::from_secs(2),
        confirmation: Confirmation {
            yes: false,
            confirm: None,
            interactive: true,
        },
    }
}
