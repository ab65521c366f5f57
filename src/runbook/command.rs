//! Running an operator's command (a restart, a breaker reset): bounded in time and output,
//! with its output redacted before anyone sees it.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;

use crate::redact::Redactor;

/// Most output kept per stream.
const MAX_OUTPUT: u64 = 64 * 1024;
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
    format!("`{}`", redactor.redact(&parts.join(" ")))
}

/// Runs a command in `cwd`, killing it at `timeout`.
pub async fn run(
    program: &str,
    args: &[String],
    cwd: &Path,
    timeout: Duration,
    redactor: &Redactor,
) -> CommandResult {
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
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let work = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let read_out = async {
            if let Some(s) = stdout.as_mut() {
                s.take(MAX_OUTPUT).read_to_end(&mut out).await?;
            }
            Ok::<_, std::io::Error>(())
        };
        let read_err = async {
            if let Some(s) = stderr.as_mut() {
                s.take(MAX_OUTPUT).read_to_end(&mut err).await?;
            }
            Ok::<_, std::io::Error>(())
        };
        tokio::try_join!(read_out, read_err)?;
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, out, err))
    };
    match tokio::time::timeout(timeout, work).await {
        Err(_) => fail(format!(
            "did not finish within {}; it was stopped",
            humantime::format_duration(timeout)
        )),
        Ok(Err(e)) => fail(format!("failed while running: {}", crate::io_reason(&e))),
        Ok(Ok((status, out, err))) => {
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
