//! `command` sources: a program that prints the secret (`gcloud secrets versions access`,
//! `op read`, `pass`, `sops -d`).
//!
//! The program runs in its own process group, so a time-out stops it and everything it
//! started; output is read while it runs and capped, so a flood cannot block it or fill memory.

use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncRead, AsyncReadExt};
use zeroize::Zeroizing;

use super::{Origin, Reading, SourceError};

/// Most a command may print before it is cut off: a secret is never this large.
const MAX_OUTPUT: usize = 1024 * 1024;
/// How long pipes may stay open after the program exited (a background child holding them).
const DRAIN_GRACE: Duration = Duration::from_millis(200);

/// Output collected while the program runs, readable even if the reader is abandoned.
pub(crate) type Shared = Arc<Mutex<Zeroizing<Vec<u8>>>>;

pub(crate) fn collect<R: AsyncRead + Unpin + Send + 'static>(
    pipe: Option<R>,
    into: Shared,
    cap: usize,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Some(mut pipe) = pipe else {
            return;
        };
        let mut chunk = Zeroizing::new(vec![0u8; 8192]);
        loop {
            match pipe.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let mut buf = into.lock().unwrap_or_else(PoisonError::into_inner);
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.len() > cap {
                        return;
                    }
                }
            }
        }
    })
}

/// Stops the program's whole process group (it and anything it started).
pub(crate) fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    #[cfg(not(unix))]
    let _ = pid;
}

pub(crate) fn take(shared: &Shared) -> Zeroizing<Vec<u8>> {
    let mut buf = shared.lock().unwrap_or_else(PoisonError::into_inner);
    Zeroizing::new(std::mem::take(&mut **buf))
}

pub(super) async fn read(
    program: &str,
    args: &[String],
    timeout: Duration,
    cwd: &std::path::Path,
) -> Result<Reading, SourceError> {
    let mut command = tokio::process::Command::new(program);
    if !cwd.as_os_str().is_empty() {
        command.current_dir(cwd);
    }
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            SourceError::new(format!(
                "cannot start command `{program}`: {}; check that it is installed and on PATH",
                crate::io_reason(&e)
            ))
        })?;
    let pid = child.id();
    let out: Shared = Arc::default();
    let err: Shared = Arc::default();
    let out_task = collect(child.stdout.take(), Arc::clone(&out), MAX_OUTPUT);
    let err_task = collect(child.stderr.take(), Arc::clone(&err), 64 * 1024);

    let waited = tokio::time::timeout(timeout, child.wait()).await;
    // Let the readers catch up, but not wait on a pipe a background child keeps open.
    let _ = tokio::time::timeout(DRAIN_GRACE, async {
        let _ = out_task.await;
        let _ = err_task.await;
    })
    .await;
    // Whatever happened, nothing it started outlives the read.
    kill_group(pid);
    let (out, err) = (take(&out), take(&err));

    if out.len() > MAX_OUTPUT {
        return Err(SourceError::new(format!(
            "command `{program}` printed more than 1 MiB; a secret is never that long \
             (is it the right command?)"
        )));
    }
    let status = match waited {
        Err(_) => {
            let _ = child.kill().await;
            return Err(SourceError::new(format!(
                "command `{program}` did not finish within {}; it was stopped \
                 (raise `timeout` on the source if it is just slow)",
                humantime::format_duration(timeout)
            )));
        }
        Ok(Err(e)) => {
            return Err(SourceError::new(format!(
                "command `{program}` failed while running: {}",
                crate::io_reason(&e)
            )));
        }
        Ok(Ok(status)) => status,
    };

    if !status.success() {
        let first = String::from_utf8_lossy(&err)
            .lines()
            .find(|l| !l.trim().is_empty())
            .map(|l| crate::view_text(l, 200))
            .unwrap_or_default();
        let code = status.code().map_or_else(
            || "killed by a signal".to_string(),
            |c| format!("exit status {c}"),
        );
        let tail = if first.is_empty() {
            "no error output".to_string()
        } else {
            format!("stderr: {first}")
        };
        return Err(SourceError::new(format!(
            "command `{program}` failed with {code}; {tail}"
        )));
    }

    let text = std::str::from_utf8(&out).map_err(|_| {
        SourceError::new(format!(
            "command `{program}` printed bytes that are not UTF-8 text"
        ))
    })?;
    let trimmed = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    Ok(Reading {
        value: Some(SecretString::from(trimmed.to_string())),
        origin: Origin::label(format!("command {program}")),
        ..Reading::default()
    })
}
