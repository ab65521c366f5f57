//! `secretops runbook list` and `secretops runbook run`: the engine driven from a terminal or
//! a script.
//!
//! Steps, previews and results go to stdout; prompts go to stderr and answers come from stdin
//! (only when stdin is a terminal). Exit status: 0 when every step succeeded, 1 when a step
//! failed, 2 when the run was refused before anything ran.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::RunRequest;
use super::engine::{self, Setup};
use super::step::{Answer, RunEvent, StepInfo, Summary};
use crate::audit::Outcome;
use crate::cli::UsageError;
use crate::inventory::Inventory;

/// `runbook list`: every runbook with where it may run.
pub fn list(inv: &Inventory, json: bool, read_only: bool) -> Result<String, UsageError> {
    let all = super::list(inv);
    if json {
        return Ok(serde_json::to_string_pretty(&all)? + "\n");
    }
    let mut out = String::new();
    if read_only {
        out.push_str("--read-only: runbooks that act are refused (use --dry-run to preview)\n");
    }
    let locked: Vec<&str> = inv
        .environments
        .iter()
        .filter(|e| e.read_only)
        .map(|e| e.name.as_str())
        .collect();
    for r in &all {
        let whence = if r.built_in { "built-in" } else { "inventory" };
        let envs = if r.environments.is_empty() {
            "any environment".to_string()
        } else {
            r.environments.join(", ")
        };
        let _ = writeln!(out, "{:<20} {whence:<9} {envs}", r.name);
        if !r.description.is_empty() {
            let _ = writeln!(out, "    {}", r.description);
        }
        if r.acts && !locked.is_empty() {
            let _ = writeln!(
                out,
                "    refused in {} (read_only = true)",
                locked.join(", ")
            );
        }
    }
    Ok(out)
}

/// `runbook run`: runs the engine and prints what it does.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    inv: Arc<Inventory>,
    request: RunRequest,
) -> Result<ExitCode, UsageError> {
    let key = Arc::new(crate::cli::key_for(Some(&inv))?);
    let mut request = request;
    request.confirmation.interactive = std::io::stdin().is_terminal();
    let state_dir = crate::paths::state_dir()
        .ok_or_else(|| UsageError("no state directory for the audit log; set HOME".into()))?;
    let setup = Setup {
        load: crate::snapshot::load_context(&inv, crate::sources::process_lookup()),
        inv,
        key,
        audit_path: state_dir.join(crate::audit::FILE_NAME),
        state_dir,
        request,
    };
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (answers, answers_rx) = mpsc::unbounded_channel();
    let summary = runtime.block_on(async move {
        let task = tokio::spawn(engine::run(setup, events_tx, answers_rx));
        let mut printer = Printer::default();
        while let Some(event) = events.recv().await {
            if let RunEvent::Ask { prompt, .. } = &event {
                let question = match &prompt.retry {
                    Some(r) => format!("{r}\n{}", prompt.question),
                    None => prompt.question.clone(),
                };
                let answer = tokio::task::spawn_blocking(move || ask(&question))
                    .await
                    .unwrap_or(Answer::Decline);
                let _ = answers.send(answer);
                continue;
            }
            printer.event(&event);
        }
        task.await.ok()
    });
    let Some(summary) = summary else {
        return Err(UsageError("the runbook engine stopped unexpectedly".into()));
    };
    tracing::info!(run = %summary.run, ok = summary.ok, refused = summary.refused, "runbook finished");
    if summary.refused {
        return Err(UsageError(
            summary.reason.unwrap_or_else(|| "refused".into()),
        ));
    }
    Ok(if summary.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Prompts on stderr and reads one line; end of input declines.
fn ask(question: &str) -> Answer {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question}: ");
    let _ = err.flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => Answer::Decline,
        Ok(_) => Answer::Text(line.trim_end_matches(['\r', '\n']).to_string()),
    }
}

/// Turns events into lines on stdout.
#[derive(Default)]
struct Printer {
    steps: Vec<StepInfo>,
    /// A wait's last reading printed (without its "waited" line), and when.
    last_progress: Vec<String>,
    printed_at: Option<std::time::Instant>,
}

/// A wait prints its reading when it changes, and at least this often while it does not.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

impl Printer {
    fn line(text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    fn event(&mut self, event: &RunEvent) {
        match event {
            RunEvent::Planned {
                runbook,
                environment,
                tier,
                dry_run,
                steps,
                notes,
            } => {
                self.steps.clone_from(steps);
                let mode = if *dry_run {
                    " — dry run: checks and previews only"
                } else {
                    ""
                };
                Self::line(&format!(
                    "{runbook} on {environment} ({tier}), {} steps{mode}",
                    steps.len()
                ));
                for n in notes {
                    Self::line(&format!("  note: {n}"));
                }
            }
            RunEvent::Started { index } => {
                let Some(s) = self.steps.get(*index) else {
                    return;
                };
                self.last_progress.clear();
                self.printed_at = None;
                Self::line(&format!(
                    "[{}/{}] {} ({})",
                    index + 1,
                    self.steps.len(),
                    s.title,
                    s.kind
                ));
                if s.kind != "check" && !s.preview.is_empty() {
                    for p in &s.preview {
                        Self::line(&format!("      {p}"));
                    }
                }
            }
            RunEvent::Ask { .. } => {}
            RunEvent::Progress { lines, .. } => {
                let reading = &lines[..lines.len().saturating_sub(1)];
                let due = self
                    .printed_at
                    .is_none_or(|t| t.elapsed() >= PROGRESS_EVERY);
                if reading != self.last_progress.as_slice() || due {
                    for l in lines {
                        Self::line(&format!("      … {l}"));
                    }
                    self.last_progress = reading.to_vec();
                    self.printed_at = Some(std::time::Instant::now());
                }
            }
            RunEvent::Finished {
                index,
                outcome,
                detail,
            } => {
                if *outcome == Outcome::Skipped
                    && let Some(s) = self.steps.get(*index)
                {
                    Self::line(&format!(
                        "[{}/{}] {} ({})",
                        index + 1,
                        self.steps.len(),
                        s.title,
                        s.kind
                    ));
                }
                let shown_as_preview = *outcome == Outcome::DryRun
                    && self.steps.get(*index).is_some_and(|s| s.preview == *detail);
                if !shown_as_preview {
                    for d in detail {
                        Self::line(&format!("      {d}"));
                    }
                }
                Self::line(&format!("      → {}", outcome.as_str()));
            }
            RunEvent::Done(summary) => Self::done(summary),
        }
    }

    fn done(s: &Summary) {
        if s.refused {
            return;
        }
        if s.ok && s.dry_run {
            Self::line(&format!(
                "dry run done: nothing was changed (run {})",
                s.run
            ));
        } else if s.ok {
            Self::line(&format!("done: every step succeeded (run {})", s.run));
        } else {
            Self::line(&format!(
                "stopped: {} (run {})",
                s.reason.as_deref().unwrap_or("a step failed"),
                s.run
            ));
            if let Some(n) = &s.next {
                Self::line(&format!("next: {n}"));
            }
        }
    }
}
