//! Talking to the operator: confirmations before actions, manual steps, waits that show the
//! live rate and breakers as they go, and how a step's target is named in the audit log.
//!
//! Production needs the environment's name typed (or `--yes --confirm NAME` given ahead);
//! elsewhere `yes` (or `--yes`). A wrong answer is asked again, twice; an empty answer, `no`
//! or Esc declines. A typed answer is never echoed back: an operator under stress may paste
//! the wrong thing.

use std::time::{Duration, Instant};

use super::engine::{Engine, StepResult};
use super::predicates;
use super::spec::Predicate;
use super::step::{Action, Answer, Body, Prompt, RunEvent, SameAs, Step};
use crate::audit::Outcome;
use crate::inventory::Tier;

/// How many wrong answers are tolerated before the step counts as declined.
const TRIES: usize = 3;

fn declines(text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    t.is_empty() || t == "n" || t == "no"
}

impl Engine {
    /// Asks until the expected text is typed. `Err` holds the outcome and why.
    async fn ask(
        &mut self,
        index: usize,
        question: String,
        expect: &str,
        accept_y: bool,
    ) -> Result<(), (Outcome, String)> {
        let mut retry = None;
        for _ in 0..TRIES {
            let prompt = Prompt {
                question: question.clone(),
                expect: expect.to_string(),
                retry: retry.clone(),
            };
            let _ = self.events.send(RunEvent::Ask { index, prompt });
            match self.answers.recv().await {
                None => return Err((Outcome::Declined, "no answer: the viewer went away".into())),
                Some(Answer::Decline) => {
                    return Err((Outcome::Declined, "declined by the operator".into()));
                }
                Some(Answer::Text(t)) if t.trim() == expect => return Ok(()),
                Some(Answer::Text(t)) if accept_y && t.trim().eq_ignore_ascii_case("y") => {
                    return Ok(());
                }
                Some(Answer::Text(t)) if declines(&t) => {
                    return Err((Outcome::Declined, "declined by the operator".into()));
                }
                Some(Answer::Text(_)) => {
                    retry = Some(format!(
                        "that was not `{expect}`; type `{expect}` or press Esc"
                    ));
                }
            }
        }
        Err((
            Outcome::Declined,
            format!("not confirmed after {TRIES} answers"),
        ))
    }

    /// The confirmation before an action.
    pub(super) async fn confirm(
        &mut self,
        index: usize,
        step: &Step,
    ) -> Result<(), (Outcome, String)> {
        let env = self.rc.environment();
        let production = env.tier == Tier::Production;
        let name = env.name.clone();
        let c = &self.req.confirmation;
        let given = c.confirm.as_deref() == Some(name.as_str());
        if c.yes && (!production || given) {
            return Ok(());
        }
        if !c.interactive {
            return Err((
                Outcome::Refused,
                "needs a confirmation and nobody can answer (pass --yes, and --confirm for \
                 production)"
                    .into(),
            ));
        }
        if production {
            let question = format!(
                "{} in PRODUCTION ({name}): type the environment's name",
                step.title
            );
            self.ask(index, question, &name, false).await
        } else {
            let question = format!("{} in {name}: type yes to go ahead", step.title);
            self.ask(index, question, "yes", true).await
        }
    }

    /// A manual step: shown, confirmed as done, then verified when it can be.
    pub(super) async fn manual(
        &mut self,
        index: usize,
        text: &str,
        verify: Option<&Predicate>,
        expect: Option<&SameAs>,
    ) -> StepResult {
        let before = match expect {
            Some(e) => self.fingerprint_of(&e.service).await,
            None => None,
        };
        let checkable = verify.is_some() || expect.is_some();
        if checkable && let (true, _) = self.verified(verify, expect).await {
            let mut r = StepResult::new(Outcome::AlreadyDone, vec!["already done".into()]);
            r.before.clone_from(&before);
            r.after = before;
            return r;
        }
        if !self.req.confirmation.interactive {
            return StepResult::new(
                Outcome::Failed,
                vec!["this step is done by hand, and nobody at a terminal can confirm it".into()],
            )
            .next(format!(
                "{text} (or run in a terminal to confirm it as you go)"
            ));
        }
        let question = "do this step by hand as shown, then type done".to_string();
        if let Err((outcome, why)) = self.ask(index, question, "done", false).await {
            return StepResult::new(outcome, vec![why]).next("do the manual step");
        }
        let (ok, mut lines) = self.verified(verify, expect).await;
        if !checkable {
            lines.push("confirmed by the operator (secretops cannot check this one)".into());
        }
        let mut r = StepResult::new(if ok { Outcome::Ok } else { Outcome::Failed }, lines)
            .next("the change does not show yet; check it");
        r.before = before;
        if let Some(e) = expect {
            r.after = self.fingerprint_of(&e.service).await;
        }
        r
    }

    pub(super) async fn wait(
        &mut self,
        index: usize,
        until: &[super::spec::Predicate],
        timeout: Duration,
    ) -> StepResult {
        let started = Instant::now();
        loop {
            let js = predicates::judge(until, &self.rc).await;
            let ok = js.iter().all(|j| j.ok);
            let mut lines: Vec<String> = js.into_iter().flat_map(|j| j.lines).collect();
            if self.req.dry_run {
                lines.insert(0, "now:".into());
                return StepResult::new(Outcome::DryRun, lines);
            }
            let elapsed = started.elapsed();
            let _ = self.events.send(RunEvent::Progress {
                index,
                lines: lines
                    .iter()
                    .cloned()
                    .chain(std::iter::once(format!(
                        "waited {}s of {}",
                        elapsed.as_secs(),
                        humantime::format_duration(timeout)
                    )))
                    .collect(),
            });
            if ok {
                return StepResult::new(Outcome::Ok, lines);
            }
            if elapsed >= timeout {
                lines.push(format!(
                    "timed out after {}",
                    humantime::format_duration(timeout)
                ));
                return StepResult::new(Outcome::Failed, lines).next(
                    "look at the lines above (a breaker that reopens means calls still fail: \
                     compare fingerprints with `secretops check --live`)",
                );
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn fingerprint_of(&self, service: &str) -> Option<String> {
        let i = self.rc.service_index(service)?;
        let read = self.rc.read_service(i).await?;
        read.state.fingerprint.map(|f| f.to_string())
    }

    /// Whether a manual step's effect shows now, with what was seen.
    async fn verified(
        &self,
        verify: Option<&Predicate>,
        expect: Option<&SameAs>,
    ) -> (bool, Vec<String>) {
        let mut ok = true;
        let mut lines = Vec::new();
        if let Some(p) = verify {
            let j = predicates::judge(std::slice::from_ref(p), &self.rc)
                .await
                .remove(0);
            ok &= j.ok;
            lines.extend(j.lines);
        }
        if let Some(e) = expect {
            let want = self
                .rc
                .truth(Some(&e.from))
                .map(|t| t.fingerprint.to_string());
            let now = self.fingerprint_of(&e.service).await;
            let same = want.is_some() && now == want;
            ok &= same;
            lines.push(format!(
                "{} reads {}; the value of {} is {}",
                e.service,
                now.as_deref().unwrap_or("nothing"),
                e.from,
                want.as_deref().unwrap_or("-")
            ));
        }
        (ok, lines)
    }
}

/// What a step acts on, for the audit log.
pub(super) fn target(step: &Step, rc: &super::context::RunContext) -> String {
    let base = &rc.inv.base_dir;
    match &step.body {
        Body::Action(Action::WriteEnvFile { service, plan, .. }) => {
            format!("{service} {}", crate::display_path(&plan.path, base))
        }
        Body::Action(Action::AddSecretVersion {
            service, config, ..
        }) => {
            format!("{service} {}", config.secret_name())
        }
        Body::Action(Action::ResetBreakers { targets }) => targets
            .iter()
            .map(|t| {
                format!(
                    "{}@{}",
                    t.service,
                    crate::live::breaker::instance_name(&t.url)
                )
            })
            .collect::<Vec<_>>()
            .join(","),
        Body::Action(Action::RunCommand { program, args, .. }) => {
            super::command::shown(program, args, &rc.redactor)
        }
        Body::Action(Action::HttpRequest(call)) => {
            format!("{} {}", call.method, super::command::safe_url(&call.url))
        }
        Body::Manual {
            expect: Some(e), ..
        } => e.service.clone(),
        Body::Manual {
            verify: Some(p), ..
        }
        | Body::Check(p) => p.describe(),
        Body::Wait { until, .. } => until
            .iter()
            .map(Predicate::describe)
            .collect::<Vec<_>>()
            .join("; "),
        Body::Manual { .. } | Body::Planned { .. } => rc.environment().name.clone(),
    }
}
