//! A run's bookkeeping: planning (with the resume file of a failed run, when resuming), audit
//! records, and how a failed run ends.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use super::custom;
use super::engine::{Engine, StepResult};
use super::plan::{self, Options, Plan};
use super::resume::{self, ResumeState};
use super::spec::BUILT_IN;
use super::step::{Body, RunEvent, Step, Summary};
use crate::audit::{self, Outcome, Record};

impl Engine {
    /// Loads the resume file when asked to, and plans the run.
    pub(super) async fn prepare(
        &mut self,
        resume_path: &std::path::Path,
    ) -> Result<(Plan, Option<ResumeState>), String> {
        let previous = resume::load(resume_path)?;
        let previous = if self.req.resume {
            let state = previous.ok_or_else(|| {
                format!(
                    "nothing to resume: no failed run of {} on {} (resume files are in {})",
                    self.req.runbook,
                    self.req.environment,
                    resume_path
                        .parent()
                        .map_or_else(String::new, |p| p.display().to_string())
                )
            })?;
            if state.inventory != self.rc.inv.path {
                return Err(format!(
                    "the failed run used the inventory {}; resume with --config {}",
                    state.inventory.display(),
                    state.inventory.display()
                ));
            }
            match (&self.req.from, &state.from) {
                (Some(a), Some(b)) if a != b => {
                    return Err(format!(
                        "the failed run restored from {b}, not {a}; drop --from to resume it, \
                         or start over without --resume"
                    ));
                }
                (None, Some(b)) => self.req.from = Some(b.clone()),
                _ => {}
            }
            Some(state)
        } else {
            None
        };
        let opts = Options {
            from: self.req.from.clone(),
            service: self.req.service.clone(),
            wait_timeout: self.req.wait_timeout,
            resume_affected: previous
                .as_ref()
                .map(|p| p.affected.clone())
                .unwrap_or_default(),
        };
        let plan = match self.req.runbook.as_str() {
            n if n == BUILT_IN[0] => plan::emergency_restore(&mut self.rc, &opts).await,
            n if n == BUILT_IN[1] => {
                super::breakers::breaker_reset(&self.rc, opts.service.as_deref()).await
            }
            name => {
                let Some(spec) = self
                    .rc
                    .inv
                    .runbooks
                    .iter()
                    .find(|r| r.name == name)
                    .cloned()
                else {
                    return Err(format!("no runbook \"{name}\""));
                };
                custom::plan(&mut self.rc, &spec).await
            }
        };
        if let Some(p) = &previous {
            let now = self.rc.truth(None).map(|t| t.fingerprint.to_string());
            if p.truth.is_some() && now != p.truth {
                return Err(format!(
                    "the source of truth changed since the failed run (it was {}, it is {}); \
                     run again without --resume to start over",
                    p.truth.as_deref().unwrap_or("-"),
                    now.as_deref().unwrap_or("unreadable")
                ));
            }
        }
        Ok((plan, previous))
    }

    /// Ends a run at a failed step: resume file, audit record, summary.
    #[allow(clippy::too_many_arguments, reason = "the run's state, in one place")]
    pub(super) fn stop(
        &mut self,
        index: usize,
        step: &Step,
        plan: &Plan,
        result: StepResult,
        completed: &[String],
        resume_path: &std::path::Path,
        started: Instant,
    ) -> Summary {
        let reason = format!(
            "step {} ({}) {}: {}",
            index + 1,
            step.title,
            result.outcome.as_str(),
            result.lines.last().cloned().unwrap_or_default()
        );
        let mut next = result
            .next
            .unwrap_or_else(|| "fix what the step reports".into());
        if !self.req.dry_run && !matches!(step.body, Body::Planned { .. }) {
            let state = ResumeState {
                run: self.run.clone(),
                runbook: self.req.runbook.clone(),
                environment: self.req.environment.clone(),
                inventory: self.rc.inv.path.clone(),
                failed_at: audit::now(),
                failed_step: step.id.clone(),
                completed: completed.to_vec(),
                affected: plan.affected.clone(),
                truth: self.rc.truth(None).map(|t| t.fingerprint.to_string()),
                from: self.rc.truth(None).map(|t| t.from.clone()),
            };
            match resume::save(resume_path, &state) {
                Ok(()) => {
                    let _ = write!(
                        next,
                        ". To carry on from this step: {}",
                        self.resume_command()
                    );
                }
                Err(e) => {
                    let _ = write!(next, " (the resume file could not be written: {e})");
                }
            }
        }
        let outcome = if self.req.dry_run {
            Outcome::DryRun
        } else {
            result.outcome
        };
        self.record_run(outcome, &reason, started.elapsed());
        let summary = Summary {
            run: self.run.clone(),
            ok: false,
            dry_run: self.req.dry_run,
            refused: false,
            failed_step: Some(index),
            reason: Some(reason),
            next: Some(next),
        };
        let _ = self.events.send(RunEvent::Done(summary.clone()));
        summary
    }

    pub(super) fn resume_command(&self) -> String {
        let mut cmd = format!(
            "secretops runbook run {} --env {} --resume",
            self.req.runbook, self.req.environment
        );
        if self.req.confirmation.yes {
            cmd.push_str(" --yes");
        }
        if let Some(c) = &self.req.confirmation.confirm {
            let _ = write!(cmd, " --confirm {c}");
        }
        cmd
    }

    pub(super) fn record(
        &mut self,
        step: &Step,
        r: &StepResult,
        took: Duration,
    ) -> Result<(), audit::AuditError> {
        let record = Record {
            time: audit::now(),
            run: self.run.clone(),
            operator: self.operator.clone(),
            host: self.host.clone(),
            environment: self.req.environment.clone(),
            runbook: self.req.runbook.clone(),
            step: step.id.clone(),
            action: step.body.kind().into(),
            target: super::operator::target(step, &self.rc),
            fingerprint_before: r.before.clone(),
            fingerprint_after: r.after.clone(),
            outcome: r.outcome,
            detail: self.rc.redactor.redact(&r.lines.join("; ")),
            duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        };
        self.audit.append(&record)
    }

    /// The record that closes a run. A failure to write it is logged: the steps are recorded.
    pub(super) fn record_run(&mut self, outcome: Outcome, detail: &str, took: Duration) {
        let record = Record {
            time: audit::now(),
            run: self.run.clone(),
            operator: self.operator.clone(),
            host: self.host.clone(),
            environment: self.req.environment.clone(),
            runbook: self.req.runbook.clone(),
            step: "run".into(),
            action: "run".into(),
            target: self.req.environment.clone(),
            fingerprint_before: None,
            fingerprint_after: None,
            outcome,
            detail: self.rc.redactor.redact(detail),
            duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        };
        if let Err(e) = self.audit.append(&record) {
            tracing::error!(error = %e, "could not record the end of a run");
        }
    }
}
