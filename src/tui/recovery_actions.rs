//! How actions, `:runbook` and `:audit`, run events and typed confirmations change the
//! console's recovery state. No I/O: starting the engine, answering it and reading the audit
//! log are [`Effect`]s the event loop carries out.

use crossterm::event::{Event, KeyCode, KeyEvent};
use tui_input::backend::crossterm::EventHandler;

use super::action::Action;
use super::app::{App, Effect, Mode, Note, Pane, View};
use super::recovery::{AuditView, DEFAULT_RUNBOOK, RunView, request};
use crate::audit::Record;
use crate::runbook::step::{Answer, RunEvent};

impl App {
    fn say(&mut self, text: impl Into<String>, error: bool) {
        self.note = Some(Note {
            text: text.into(),
            error,
        });
    }

    /// The environment the operator is looking at: the selected cell, finding or view.
    fn environment_in_view(&self) -> Option<usize> {
        let of_finding = |f: Option<&crate::findings::Finding>| {
            let name = &f?.environment;
            self.snapshot
                .environments
                .iter()
                .position(|e| &e.name == name)
        };
        match self.view {
            View::Overview => match self.pane {
                Pane::Matrix => Some(self.cell.1),
                Pane::Findings => of_finding(self.findings.get(self.overview_finding)),
            },
            View::Environment(i) => Some(i),
            View::Findings => of_finding(self.visible_findings().get(self.findings_row).copied()),
            View::Runbook => self.recovery.run.as_ref().and_then(|r| {
                self.inventory
                    .environments
                    .iter()
                    .position(|e| e.name == r.environment)
            }),
            View::Help | View::Audit | View::References => None,
        }
    }

    /// The `runbook` action: emergency-restore on the environment in view; in the runbook
    /// view after a failure, resume that run.
    pub(super) fn runbook_action(&mut self) -> Option<Effect> {
        let failed = self
            .recovery
            .run
            .as_ref()
            .filter(|_| self.view == View::Runbook)
            .and_then(|r| {
                r.summary
                    .as_ref()
                    .filter(|s| !s.ok && !s.refused && !s.dry_run)
                    .map(|_| r.runbook.clone())
            });
        let Some(env) = self.environment_in_view() else {
            self.say("select an environment (or a finding) first", true);
            return None;
        };
        match failed {
            Some(runbook) => self.start_runbook(&runbook, env, false, true),
            None => self.start_runbook(DEFAULT_RUNBOOK, env, false, false),
        }
    }

    /// `:runbook NAME ENV [dry-run|resume]`.
    pub(super) fn runbook_command(&mut self, args: &[&str]) -> Option<Effect> {
        let (name, env, flag) = match args {
            [name, env] => (*name, *env, None),
            [name, env, flag] => (*name, *env, Some(*flag)),
            _ => {
                self.say("try :runbook NAME ENV [dry-run|resume], e.g. :runbook emergency-restore staging", true);
                return None;
            }
        };
        let Some(index) = self
            .inventory
            .environments
            .iter()
            .position(|e| e.name == env)
        else {
            self.say(format!("no environment \"{env}\""), true);
            return None;
        };
        match flag {
            None => self.start_runbook(name, index, false, false),
            Some("dry-run") => self.start_runbook(name, index, true, false),
            Some("resume") => self.start_runbook(name, index, false, true),
            Some(other) => {
                self.say(format!("\"{other}\": expected dry-run or resume"), true);
                None
            }
        }
    }

    fn start_runbook(
        &mut self,
        runbook: &str,
        env: usize,
        dry_run: bool,
        resume: bool,
    ) -> Option<Effect> {
        if self.recovery.run.as_ref().is_some_and(RunView::active) {
            self.say("a runbook is running; wait for it to finish", true);
            self.go(View::Runbook);
            return None;
        }
        let environment = self.inventory.environments.get(env)?;
        let locked = self.recovery.read_only || environment.read_only;
        let mut req = request(
            runbook,
            &environment.name,
            dry_run || locked,
            resume && !locked,
        );
        req.read_only = self.recovery.read_only;
        if let Err(e) = crate::runbook::precheck(&self.inventory, &req) {
            self.say(e, true);
            return None;
        }
        if locked && !dry_run {
            self.say(
                format!(
                    "{} is read-only: previews only, nothing will act",
                    environment.name
                ),
                false,
            );
        }
        self.recovery.run = Some(RunView {
            runbook: req.runbook.clone(),
            environment: req.environment.clone(),
            dry_run: req.dry_run,
            ..RunView::default()
        });
        self.go(View::Runbook);
        Some(Effect::StartRunbook(Box::new(req)))
    }

    /// A run event: the view follows it; a confirmation takes the keyboard.
    pub fn on_run_event(&mut self, event: RunEvent) {
        let Some(run) = self.recovery.run.as_mut() else {
            return;
        };
        let asks = matches!(event, RunEvent::Ask { .. });
        let done = matches!(event, RunEvent::Done(_));
        run.apply(event);
        if asks {
            self.confirm.reset();
            self.mode = Mode::Confirm;
            self.go(View::Runbook);
        }
        if done {
            if self.mode == Mode::Confirm {
                self.mode = Mode::Normal;
            }
            self.recovery.quit_armed = false;
            if let Some(s) = self.recovery.run.as_ref().and_then(|r| r.summary.clone()) {
                let text = if s.ok {
                    format!("runbook done (run {})", s.run)
                } else {
                    format!("runbook stopped: {}", s.reason.unwrap_or_default())
                };
                self.say(text, !s.ok);
            }
            // What the run changed shows at once, not at the next periodic refresh.
            self.recovery.reload_wanted = true;
        }
        self.dirty = true;
    }

    /// Keys while a confirmation is asked: typed into the field; enter answers, esc declines.
    pub(super) fn confirm_key(&mut self, key: KeyEvent) -> Option<Effect> {
        self.dirty = true;
        match key.code {
            KeyCode::Esc => {
                self.confirm.reset();
                self.mode = Mode::Normal;
                Some(Effect::Answer(Answer::Decline))
            }
            KeyCode::Enter => {
                let text = self.confirm.value().to_string();
                self.confirm.reset();
                self.mode = Mode::Normal;
                if let Some(run) = self.recovery.run.as_mut() {
                    run.prompt = None;
                }
                Some(Effect::Answer(Answer::Text(text)))
            }
            _ => {
                self.confirm.handle_event(&Event::Key(key));
                None
            }
        }
    }

    /// The `audit` action: open the audit view and read the log again.
    pub(super) fn audit_action(&mut self) -> Effect {
        self.recovery.audit = AuditView::Loading;
        self.go(View::Audit);
        Effect::LoadAudit
    }

    /// The audit log as read by the background task.
    pub fn on_audit(&mut self, result: Result<(Vec<Record>, usize), String>) {
        self.recovery.audit = match result {
            Ok((records, bad)) => {
                self.recovery.audit_row = records.len().saturating_sub(1);
                AuditView::Loaded { records, bad }
            }
            Err(e) => AuditView::Failed(e),
        };
        self.dirty = true;
    }

    /// Quit asks twice while a run is active: quitting stops it between two checks.
    pub(super) fn quit_action(&mut self) -> Option<Effect> {
        let active = self.recovery.run.as_ref().is_some_and(RunView::active);
        if active && !self.recovery.quit_armed {
            self.recovery.quit_armed = true;
            self.say("a runbook is running: quit again to stop it and quit", true);
            return None;
        }
        Some(Effect::Quit)
    }

    /// Movement in the runbook and audit views.
    pub(super) fn navigate_recovery(&mut self, action: Action) {
        let step = |pos: usize, len: usize| -> usize {
            let last = len.saturating_sub(1);
            match action {
                Action::Up | Action::Left | Action::PageUp => pos.saturating_sub(1),
                Action::Top => 0,
                Action::Bottom => last,
                _ => (pos + 1).min(last),
            }
        };
        match self.view {
            View::Runbook => {
                if let Some(run) = self.recovery.run.as_mut() {
                    let pos = run.shown().unwrap_or(0);
                    run.selected = Some(step(pos, run.steps.len()));
                }
            }
            View::Audit => {
                if let AuditView::Loaded { records, .. } = &self.recovery.audit {
                    self.recovery.audit_row = step(self.recovery.audit_row, records.len());
                }
            }
            _ => {}
        }
    }
}
