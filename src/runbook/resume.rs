//! Resume files: what a failed run leaves behind so `--resume` can carry on from the failed
//! step instead of repeating actions that already happened (a second restart, say).
//!
//! One small JSON file per runbook and environment in `secretops/runbooks/` under the state
//! directory. It holds step ids, service names and a fingerprint, never a value. A successful
//! run deletes it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a failed run remembers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeState {
    pub run: String,
    pub runbook: String,
    pub environment: String,
    /// The inventory the run used: a resume with another inventory is refused.
    pub inventory: PathBuf,
    pub failed_at: String,
    /// The id of the step that failed.
    pub failed_step: String,
    /// Actions and manual steps that completed (checks are always run again).
    pub completed: Vec<String>,
    /// Services whose value the run changed (emergency-restore restarts them).
    pub affected: Vec<String>,
    /// The source of truth's fingerprint: a resume with another truth is refused.
    pub truth: Option<String>,
    pub from: Option<String>,
}

/// The resume file of a runbook on an environment.
pub fn path(state_dir: &Path, runbook: &str, environment: &str) -> PathBuf {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    state_dir
        .join("runbooks")
        .join(format!("{}@{}.json", safe(runbook), safe(environment)))
}

/// Reads a resume file; `Ok(None)` when there is none.
pub fn load(path: &Path) -> Result<Option<ResumeState>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            format!(
                "{}: not a resume file ({}); delete it to start over",
                path.display(),
                crate::redact_quoted(&e.to_string())
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {}", path.display(), crate::io_reason(&e))),
    }
}

/// Writes a resume file (owner-only), replacing any earlier one.
pub fn save(path: &Path, state: &ResumeState) -> Result<(), String> {
    let fail = |e: &std::io::Error| format!("{}: {}", path.display(), crate::io_reason(e));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    }
    let text = serde_json::to_string_pretty(state).map_err(|e| e.to_string())?;
    let temp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(&temp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| fail(&e))
}

/// Removes a resume file after a successful run.
pub fn clear(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(file = %path.display(), error = %e, "could not remove a resume file");
    }
}
