//! The audit log: one JSON line per runbook step, in `secretops/audit.jsonl` under the user's
//! state directory.
//!
//! The file is only ever opened for appending, and every record is flushed and fsynced before
//! the runbook moves on, so a record survives a crash that happens right after its action. A
//! record holds fingerprints, never a value; free text in it (command output, error messages)
//! has been through the [`crate::redact::Redactor`] first.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File name under the state directory.
pub const FILE_NAME: &str = "audit.jsonl";

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Done and its post-condition verified.
    Ok,
    /// Its post-condition already held, so nothing was done.
    AlreadyDone,
    Failed,
    /// The operator did not confirm.
    Declined,
    /// Read-only or a missing confirmation flag: nothing ran.
    Refused,
    /// Done in an earlier run of the same runbook (resume).
    Skipped,
    /// A dry run: checked and previewed only.
    DryRun,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::AlreadyDone => "already-done",
            Self::Failed => "failed",
            Self::Declined => "declined",
            Self::Refused => "refused",
            Self::Skipped => "skipped",
            Self::DryRun => "dry-run",
        }
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// UTC, RFC 3339 with milliseconds.
    pub time: String,
    /// Groups the records of one run.
    pub run: String,
    /// The OS user (and the sudo user behind it, when there is one).
    pub operator: String,
    pub host: String,
    pub environment: String,
    pub runbook: String,
    /// The step's id (`write:backend`), or `run` for the record that closes a run.
    pub step: String,
    /// `check`, `write-secret`, `reset-breakers`, `run-command`, `http-request`, `manual`,
    /// `wait` or `run`.
    pub action: String,
    /// What the step acted on: a service, a file, instances, a command.
    pub target: String,
    pub fingerprint_before: Option<String>,
    pub fingerprint_after: Option<String>,
    pub outcome: Outcome,
    /// What happened, in words; redacted.
    pub detail: String,
    pub duration_ms: u64,
}

/// Why the audit log could not be written or read. Says where.
#[derive(Debug, thiserror::Error)]
#[error("audit log {path}: {reason}")]
pub struct AuditError {
    pub path: String,
    pub reason: String,
}

fn error(path: &Path, e: &std::io::Error) -> AuditError {
    AuditError {
        path: path.display().to_string(),
        reason: crate::io_reason(e),
    }
}

/// The default audit log path.
pub fn default_path() -> Option<PathBuf> {
    crate::paths::state_dir().map(|d| d.join(FILE_NAME))
}

/// An open audit log, appending.
pub struct AuditLog {
    file: File,
    pub path: PathBuf,
}

impl AuditLog {
    /// Opens (creating it, owner-only) the log for appending. A runbook refuses to start when
    /// this fails: secretops does not act without a record.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| error(dir, &e))?;
        }
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path).map_err(|e| error(path, &e))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends one record, then flushes and fsyncs it.
    pub fn append(&mut self, record: &Record) -> Result<(), AuditError> {
        let mut line = serde_json::to_string(record).map_err(|e| AuditError {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        line.push('\n');
        // One write call per record, so concurrent runs interleave whole lines.
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .and_then(|()| self.file.sync_all())
            .map_err(|e| error(&self.path, &e))
    }
}

/// Reads every record; lines that do not parse are counted, not fatal.
pub fn read(path: &Path) -> Result<(Vec<Record>, usize), AuditError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(error(path, &e)),
    };
    let mut records = Vec::new();
    let mut bad = 0;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| error(path, &e))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(&line) {
            Ok(r) => records.push(r),
            Err(_) => bad += 1,
        }
    }
    Ok((records, bad))
}

/// One record as a line of text for `secretops audit` and the console.
pub fn text_line(r: &Record) -> String {
    let fps = match (&r.fingerprint_before, &r.fingerprint_after) {
        (None, None) => String::new(),
        (b, a) => format!(
            " {}→{}",
            b.as_deref().unwrap_or("-"),
            a.as_deref().unwrap_or("-")
        ),
    };
    let detail = if r.detail.is_empty() {
        String::new()
    } else {
        format!(" · {}", r.detail)
    };
    format!(
        "{} {}@{} {} {} {} {} {}{} {} {}ms{}",
        r.time,
        r.operator,
        r.host,
        r.environment,
        r.runbook,
        r.step,
        r.action,
        r.target,
        fps,
        r.outcome.as_str(),
        r.duration_ms,
        detail
    )
}

/// The OS user running secretops, with the sudo user behind it when there is one.
pub fn operator() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(uid_name)
        .unwrap_or_else(|| "unknown".into());
    match std::env::var("SUDO_USER") {
        Ok(sudo) if !sudo.is_empty() && sudo != user => format!("{user} (sudo from {sudo})"),
        _ => user,
    }
}

#[cfg(unix)]
fn uid_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .ok()
        .map(|m| format!("uid {}", m.uid()))
}

#[cfg(not(unix))]
fn uid_name() -> Option<String> {
    None
}

/// The host name, from the kernel when it says, else the environment.
pub fn host() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| {
            std::fs::read_to_string(p)
                .ok()
                .map(|s| s.trim().to_string())
        })
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// Now, UTC, RFC 3339 with milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(step: &str) -> Record {
        Record {
            time: now(),
            run: "r1".into(),
            operator: "alice".into(),
            host: "h".into(),
            environment: "staging".into(),
            runbook: "emergency-restore".into(),
            step: step.into(),
            action: "write-secret".into(),
            target: "backend".into(),
            fingerprint_before: Some("aaaa".into()),
            fingerprint_after: Some("bbbb".into()),
            outcome: Outcome::Ok,
            detail: String::new(),
            duration_ms: 3,
        }
    }

    #[test]
    fn appends_and_reads_back() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("state/audit.jsonl");
        let mut log = AuditLog::open(&path).expect("open");
        log.append(&record("a")).expect("append");
        drop(log);
        let mut log = AuditLog::open(&path).expect("reopen");
        log.append(&record("b")).expect("append");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"not json\n"))
            .expect("garbage");
        let (records, bad) = read(&path).expect("read");
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].step, "b");
        assert_eq!(bad, 1);
        assert!(text_line(&records[0]).contains("aaaa→bbbb ok"));
    }
}
