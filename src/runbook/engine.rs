//! The engine: runs a plan step by step.
//!
//! For each action: preview (already in the plan), confirmation, the action, then its
//! post-condition against fresh state. The first step that fails stops the run, records where
//! in a resume file, and says what to do next. Every step that ran gets an audit record before
//! the next one starts; if the audit log cannot be written the run stops, because secretops
//! does not act without a record.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::context::RunContext;
use super::plan::Plan;
use super::resume::{self, ResumeState};
use super::step::{Answer, Body, RunEvent, Step, StepInfo, Summary};
use super::{RunRequest, actions, predicates};
use crate::audit::{self, AuditLog, Outcome, Record};
use crate::fingerprint::FingerprintKey;
use crate::inventory::Inventory;
use crate::sources::LoadContext;

/// Everything a run needs from outside.
pub struct Setup {
    pub inv: Arc<Inventory>,
    pub key: Arc<FingerprintKey>,
    pub load: LoadContext,
    pub request: RunRequest,
    pub audit_path: PathBuf,
    /// Where resume files go (`secretops/` in the state directory).
    pub state_dir: PathBuf,
}

/// What one step came to.
pub(super) struct StepResult {
    pub(super) outcome: Outcome,
    pub(super) lines: Vec<String>,
    pub(super) before: Option<String>,
    pub(super) after: Option<String>,
    /// What to do about a failure.
    pub(super) next: Option<String>,
}

impl StepResult {
    pub(super) fn new(outcome: Outcome, lines: Vec<String>) -> Self {
        Self {
            outcome,
            lines,
            before: None,
            after: None,
            next: None,
        }
    }

    pub(super) fn next(mut self, next: impl Into<String>) -> Self {
        self.next = Some(next.into());
        self
    }
}

pub(super) struct Engine {
    pub(super) rc: RunContext,
    pub(super) req: RunRequest,
    pub(super) audit: AuditLog,
    pub(super) run: String,
    pub(super) operator: String,
    pub(super) host: String,
    pub(super) events: UnboundedSender<RunEvent>,
    pub(super) answers: UnboundedReceiver<Answer>,
    /// A dry run previewed an action: later checks see the state before it.
    previewed: bool,
}

fn run_id() -> String {
    let mut raw = [0u8; 6];
    let _ = getrandom::fill(&mut raw);
    hex::encode(raw)
}

/// Runs a request to the end and returns how it ended (also sent as the last event).
pub async fn run(
    setup: Setup,
    events: UnboundedSender<RunEvent>,
    answers: UnboundedReceiver<Answer>,
) -> Summary {
    let req = setup.request.clone();
    let run = run_id();
    let (run_for_refusal, dry_run) = (run.clone(), req.dry_run);
    let refuse = move |reason: String, events: &UnboundedSender<RunEvent>| {
        let summary = Summary {
            run: run_for_refusal.clone(),
            ok: false,
            dry_run,
            refused: true,
            failed_step: None,
            reason: Some(reason),
            next: None,
        };
        let _ = events.send(RunEvent::Done(summary.clone()));
        summary
    };
    let mut audit = match AuditLog::open(&setup.audit_path) {
        Ok(a) => a,
        Err(e) => {
            return refuse(
                format!("{e}; secretops does not act without an audit record"),
                &events,
            );
        }
    };
    let operator = audit::operator();
    let host = audit::host();
    if let Err(reason) = super::precheck(&setup.inv, &req) {
        let _ = audit.append(&Record {
            time: audit::now(),
            run: run.clone(),
            operator,
            host,
            environment: req.environment.clone(),
            runbook: req.runbook.clone(),
            step: "run".into(),
            action: "run".into(),
            target: req.environment.clone(),
            fingerprint_before: None,
            fingerprint_after: None,
            outcome: Outcome::Refused,
            detail: reason.clone(),
            duration_ms: 0,
        });
        return refuse(reason, &events);
    }
    let env = setup
        .inv
        .environments
        .iter()
        .position(|e| e.name == req.environment)
        .unwrap_or_default();
    let redactor = super::context::known_values(&setup.inv, &setup.key, &setup.load).await;
    let rc = RunContext {
        inv: Arc::clone(&setup.inv),
        env,
        key: Arc::clone(&setup.key),
        load: setup.load.clone(),
        window: req.window,
        client: crate::live::http::client(),
        redactor,
        truths: Vec::new(),
    };
    let mut engine = Engine {
        rc,
        req,
        audit,
        run,
        operator,
        host,
        events,
        answers,
        previewed: false,
    };
    let resume_path = resume::path(
        &setup.state_dir,
        &engine.req.runbook,
        &engine.req.environment,
    );
    match engine.prepare(&resume_path).await {
        Ok((plan, previous)) => engine.execute(&plan, previous, &resume_path).await,
        Err(reason) => {
            engine.record_run(Outcome::Refused, &reason, Duration::ZERO);
            refuse(reason, &engine.events)
        }
    }
}

impl Engine {
    async fn execute(
        &mut self,
        plan: &Plan,
        previous: Option<ResumeState>,
        resume_path: &std::path::Path,
    ) -> Summary {
        let started = Instant::now();
        let env = self.rc.environment().clone();
        let mut notes = plan.notes.clone();
        if self.req.resume {
            notes.insert(
                0,
                "resuming the failed run: steps it completed are skipped".into(),
            );
        } else if let Ok(Some(p)) = resume::load(resume_path) {
            notes.push(format!(
                "an earlier run failed at {} ({}); this run starts over (pass --resume to \
                 continue that one instead)",
                p.failed_step, p.failed_at
            ));
        }
        let _ = self.events.send(RunEvent::Planned {
            runbook: self.req.runbook.clone(),
            environment: env.name.clone(),
            tier: env.tier,
            dry_run: self.req.dry_run,
            steps: plan.steps.iter().map(StepInfo::from).collect(),
            notes,
        });
        let mut completed = previous
            .as_ref()
            .map(|p| p.completed.clone())
            .unwrap_or_default();
        for (index, step) in plan.steps.iter().enumerate() {
            let redo = matches!(step.body, Body::Action(_) | Body::Manual { .. });
            let result = if previous.is_some() && redo && completed.contains(&step.id) {
                StepResult::new(
                    Outcome::Skipped,
                    vec!["done in the failed run; not repeated".into()],
                )
            } else {
                let _ = self.events.send(RunEvent::Started { index });
                let began = Instant::now();
                let r = self.step(index, step).await;
                if !self.req.dry_run
                    && let Err(e) = self.record(step, &r, began.elapsed())
                {
                    let r = StepResult::new(Outcome::Failed, vec![e.to_string()])
                        .next("make the audit log writable");
                    return self.stop(index, step, plan, r, &completed, resume_path, started);
                }
                r
            };
            let _ = self.events.send(RunEvent::Finished {
                index,
                outcome: result.outcome,
                detail: result.lines.clone(),
            });
            let passed = matches!(
                result.outcome,
                Outcome::Ok | Outcome::AlreadyDone | Outcome::Skipped | Outcome::DryRun
            );
            let planned_failure = matches!(step.body, Body::Planned { ok: false, .. });
            if passed || (self.req.dry_run && !planned_failure) {
                if redo && !completed.contains(&step.id) && !self.req.dry_run {
                    completed.push(step.id.clone());
                }
                continue;
            }
            return self.stop(index, step, plan, result, &completed, resume_path, started);
        }
        if !self.req.dry_run {
            resume::clear(resume_path);
        }
        let outcome = if self.req.dry_run {
            Outcome::DryRun
        } else {
            Outcome::Ok
        };
        self.record_run(outcome, "every step succeeded", started.elapsed());
        let summary = Summary {
            run: self.run.clone(),
            ok: true,
            dry_run: self.req.dry_run,
            refused: false,
            failed_step: None,
            reason: None,
            next: None,
        };
        let _ = self.events.send(RunEvent::Done(summary.clone()));
        summary
    }

    /// Runs one step (or, in a dry run, checks it and shows its preview).
    async fn step(&mut self, index: usize, step: &Step) -> StepResult {
        match &step.body {
            Body::Planned { ok, detail } => {
                let outcome = if *ok { Outcome::Ok } else { Outcome::Failed };
                StepResult::new(outcome, detail.clone()).next("see the lines above")
            }
            Body::Check(p) => {
                let j = predicates::judge(std::slice::from_ref(p), &self.rc)
                    .await
                    .remove(0);
                let outcome = if j.ok { Outcome::Ok } else { Outcome::Failed };
                let mut lines = j.lines;
                if self.previewed {
                    lines.push("(dry run: this is the state before the previewed actions)".into());
                }
                StepResult::new(outcome, lines).next(format!(
                    "{} does not hold yet; fix what it shows",
                    p.describe()
                ))
            }
            Body::Action(action) => {
                if self.req.dry_run {
                    self.previewed = true;
                    return StepResult::new(Outcome::DryRun, step.preview.clone());
                }
                if self.req.read_only || self.rc.environment().read_only {
                    return StepResult::new(Outcome::Refused, vec!["read-only: not done".into()]);
                }
                if let Some(done) = actions::already_done(action, &self.rc).await {
                    return result_of(Outcome::AlreadyDone, done);
                }
                if let Err((outcome, why)) = self.confirm(index, step).await {
                    return StepResult::new(outcome, vec![why])
                        .next("nothing was changed by this step");
                }
                let done = actions::run(action, &self.rc).await;
                let outcome = if done.ok {
                    Outcome::Ok
                } else {
                    Outcome::Failed
                };
                result_of(outcome, done).next(match action {
                    super::step::Action::WriteEnvFile { .. } => {
                        "read the lines above: they say whether the file is unchanged; fix the cause"
                    }
                    super::step::Action::ResetBreakers { .. } => {
                        "check the instances that did not close (is the secret right on the callers?)"
                    }
                    _ => "fix the cause shown above",
                })
            }
            Body::Manual {
                text,
                verify,
                expect,
            } => {
                if self.req.dry_run {
                    return StepResult::new(Outcome::DryRun, vec![text.clone()]);
                }
                self.manual(index, text, verify.as_ref(), expect.as_ref())
                    .await
            }
            Body::Wait { until, timeout } => self.wait(index, until, *timeout).await,
        }
    }
}

fn result_of(outcome: Outcome, done: actions::ActionResult) -> StepResult {
    StepResult {
        outcome,
        lines: done.lines,
        before: done.before,
        after: done.after,
        next: None,
    }
}
