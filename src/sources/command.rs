//! `command` sources: a program that prints the secret (`gcloud secrets versions access`,
//! `op read`, `pass`, `sops -d`).

use std::process::Stdio;
use std::time::Duration;

use secrecy::SecretString;
use tokio::io::AsyncReadExt;
use zeroize::Zeroizing;

use super::{Origin, Reading, SourceError};

/// Most a command may print before it is cut off: a secret is never this large.
const MAX_OUTPUT: u64 = 1024 * 1024;

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

    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let work = async {
        let mut out = Zeroizing::new(Vec::new());
        let mut err = Vec::new();
        // Drain both pipes at once so a chatty stderr cannot stall the child.
        let read_out = async {
            if let Some(s) = stdout.as_mut() {
                s.take(MAX_OUTPUT).read_to_end(&mut out).await?;
            }
            Ok::<_, std::io::Error>(())
        };
        let read_err = async {
            if let Some(s) = stderr.as_mut() {
                s.take(64 * 1024).read_to_end(&mut err).await?;
            }
            Ok::<_, std::io::Error>(())
        };
        tokio::try_join!(read_out, read_err)?;
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, out, err))
    };
    let (status, out, err) = match tokio::time::timeout(timeout, work).await {
        Err(_) => {
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
        Ok(Ok(done)) => done,
    };

    if !status.success() {
        let first = String::from_utf8_lossy(&err)
            .lines()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.chars().take(200).collect::<String>())
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
