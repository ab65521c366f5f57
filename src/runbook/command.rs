//! Running an operator's command (a restart, a breaker reset): bounded in time and output,
//! with its output redacted before anyone sees it.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::redact::Redactor;

/// Most output kept per stream.
const MAX_OUTPUT: usize = 64 * 1024;
/// How long pipes are read after the command exited (a background child may hold them).
const DRAIN_GRACE: Duration = Duration::from_millis(200);
/// Output lines shown and recorded: the end is where the reason usually is.
const TAIL_LINES: usize = 6;

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandResult {
    /// Exit code; `None` when it could not start, was killed, or timed out.
    pub code: Option<i32>,
    /// Why it did not finish normally, in words.
    pub problem: Option<String>,
    /// The last lines of its output (stdout, then stderr), redacted.
    pub tail: Vec<String>,
    pub elapsed: Duration,
}

impl CommandResult {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// One line saying how it ended.
    pub fn summary(&self, shown: &str) -> String {
        let secs = self.elapsed.as_secs_f64();
        match (&self.problem, self.code) {
            (Some(p), _) => format!("{shown}: {p}"),
            (None, Some(c)) => format!("{shown} exited {c} after {secs:.1}s"),
            (None, None) => format!("{shown} was killed by a signal after {secs:.1}s"),
        }
    }
}

/// A command as the operator would type it, redacted.
pub fn shown(program: &str, args: &[String], redactor: &Redactor) -> String {
    let quote = |s: &str| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%{}".contains(c))
        {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
    };
    let mut parts = vec![quote(program)];
    parts.extend(args.iter().map(|a| quote(a)));
    format!(
        "`{}`",
        crate::clean_text(&redactor.redact(&parts.join(" ")))
    )
}

/// Runs a command in `cwd` in its own process group, stopping the whole group at `timeout`.
///
/// A command that exits in time keeps what it started running: a restart script may well
/// leave a server behind on purpose. Its output is read for a moment after it exits, not
/// for as long as a background child holds the pipes.
pub async fn run(
    program: &str,
    args: &[String],
    cwd: &Path,
    timeout: Duration,
    redactor: &Redactor,
) -> CommandResult {
    use crate::sources::command::{collect, kill_group, take};
    let started = Instant::now();
    let fail = |problem: String| CommandResult {
        code: None,
        problem: Some(problem),
        tail: Vec::new(),
        elapsed: started.elapsed(),
    };
    let mut command = tokio::process::Command::new(program);
    if !cwd.as_os_str().is_empty() {
        command.current_dir(cwd);
    }
    #[cfg(unix)]
    command.process_group(0);
    let child = command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return fail(format!(
                "cannot start: {}; check that it is installed and on PATH",
                crate::io_reason(&e)
            ));
        }
    };
    let pid = child.id();
    let out = std::sync::Arc::default();
    let err = std::sync::Arc::default();
    let mut out_task = collect(child.stdout.take(), std::sync::Arc::clone(&out), MAX_OUTPUT);
    let mut err_task = collect(child.stderr.take(), std::sync::Arc::clone(&err), MAX_OUTPUT);
    let waited = tokio::time::timeout(timeout, child.wait()).await;
    if waited.is_err() {
        kill_group(pid);
        let _ = child.kill().await;
    }
    let _ = tokio::time::timeout(DRAIN_GRACE, async {
        let _ = (&mut out_task).await;
        let _ = (&mut err_task).await;
    })
    .await;
    // Stop reading pipes a background child may keep open; what was read is kept.
    out_task.abort();
    err_task.abort();
    let status = match waited {
        Err(_) => {
            return fail(format!(
                "did not finish within {}; it and what it started were stopped",
                humantime::format_duration(timeout)
            ));
        }
        Ok(Err(e)) => return fail(format!("failed while running: {}", crate::io_reason(&e))),
        Ok(Ok(status)) => status,
    };
    let (out, err) = (take(&out), take(&err));
    let mut lines: Vec<String> = [out, err]
        .iter()
        .flat_map(|bytes| {
            String::from_utf8_lossy(bytes)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| redactor.view(l, 200))
                .collect::<Vec<_>>()
        })
        .collect();
    let cut = lines.len().saturating_sub(TAIL_LINES);
    lines.drain(..cut);
    CommandResult {
        code: status.code(),
        problem: None,
        tail: lines,
        elapsed: started.elapsed(),
    }
}

/// Replaces `{env}`, `{service}` and friends in an argument or URL.
pub fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in pairs {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A URL fit to show: user and password removed.
pub fn safe_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> CommandResult {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let args = vec!["-c".to_string(), script.to_string()];
        rt.block_on(run("sh", &args, Path::new(""), timeout, &Redactor::new()))
    }

    #[test]
    fn a_background_child_holding_the_pipe_does_not_hold_the_run() {
        let started = Instant::now();
        let r = sh("sleep 5 & echo restarted", Duration::from_secs(10));
        assert!(r.ok(), "{r:?}");
        assert_eq!(r.tail, vec!["restarted".to_string()]);
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_time_out_stops_the_command_and_what_it_started() {
        let dir = tempfile::tempdir().expect("tmp");
        let marker = dir.path().join("late");
        let script = format!("(sleep 1; touch {}) & sleep 30", marker.display());
        let r = sh(&script, Duration::from_millis(300));
        assert!(!r.ok());
        assert!(
            r.summary("x").contains("did not finish within 300ms"),
            "{r:?}"
        );
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            !marker.exists(),
            "the background child outlived the time-out"
        );
    }
}
