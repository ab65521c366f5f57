//! Putting a value into an env file without breaking anything else in it.
//!
//! Only the line that assigns the variable changes (or one line is appended when none does).
//! The new text is checked with the same parser that reads the file before anything is
//! written: the variable must read back as exactly the new value and every other statement
//! must stay where it was. The file is then replaced atomically: a temporary file in the same
//! folder, fsynced, given the old mode and owner, renamed over the original; the previous
//! content is kept next to it as `NAME.secretops-backup` with the same mode. The original is
//! never opened for writing, so whatever fails, it is either the old file or the new one.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use crate::dotenv::{self, Dialect};

mod render;

use render::render;

/// Suffix of the copy of the previous file.
pub const BACKUP_SUFFIX: &str = ".secretops-backup";

/// Which line will change, and how the file will be replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvWritePlan {
    /// The file as the inventory names it.
    pub path: PathBuf,
    /// The file itself, symbolic links resolved: a link stays a link.
    pub real: PathBuf,
    pub var: String,
    pub dialect: Dialect,
    /// The line to rewrite; `None` appends one.
    pub line: Option<usize>,
    /// Lines in the file now.
    pub lines: usize,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub backup: PathBuf,
    pub temp: PathBuf,
}

/// A write that did not happen. The message says what failed, where, and that the original is
/// unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WriteError {
    pub message: String,
}

impl EnvWritePlan {
    /// What the write will do, in words; paths relative to `base`. No value.
    pub fn preview(&self, base: &Path) -> Vec<String> {
        let shown = crate::display_path(&self.path, base);
        let (var, others) = (&self.var, self.lines.saturating_sub(1));
        let what = match (self.line, others, self.lines) {
            (Some(l), 0, _) => format!("rewrite line {l} of {shown} ({var}=…), its only line"),
            (Some(l), 1, _) => {
                format!("rewrite line {l} of {shown} ({var}=…), keeping the other line as it is")
            }
            (Some(l), n, _) => format!(
                "rewrite line {l} of {shown} ({var}=…), keeping the other {n} lines as they are"
            ),
            (None, _, 0) => format!("append a {var}=… line to {shown}, which is empty"),
            (None, _, 1) => {
                format!("append a {var}=… line to {shown}, keeping its one line as it is")
            }
            (None, _, n) => {
                format!("append a {var}=… line to {shown}, keeping its {n} lines as they are")
            }
        };
        vec![
            what,
            format!(
                "write {} in the same folder, fsync it, rename it over {shown}",
                file_name(&self.temp)
            ),
            format!(
                "keep mode {:04o} and owner {}:{}; keep the previous file as {} (mode {:04o})",
                self.mode & 0o7777,
                self.uid,
                self.gid,
                crate::display_path(&self.backup, base),
                self.mode & 0o7777
            ),
        ]
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// Works out which line a write of `var` would change. An error means secretops cannot write
/// this file safely; the message says why, for a manual step.
pub fn plan(
    path: &Path,
    dialect: Dialect,
    var: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<EnvWritePlan, String> {
    let shown = path.display();
    let real =
        std::fs::canonicalize(path).map_err(|e| format!("{shown}: {}", crate::io_reason(&e)))?;
    let meta =
        std::fs::metadata(&real).map_err(|e| format!("{shown}: {}", crate::io_reason(&e)))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    let text = crate::sources::read_text_file(&real).map_err(|e| e.message)?;
    let assignments = parse(&text, dialect, lookup)?;
    let last = assignments.iter().rev().find(|a| a.key == var);
    if let Some(a) = last
        && a.value
            .as_ref()
            .is_some_and(|v| v.expose_secret().contains('\n'))
    {
        return Err(format!(
            "{shown}:{}: {var} spans several lines; secretops rewrites single-line values only",
            a.line
        ));
    }
    let (mode, uid, gid) = owner_of(&meta);
    let name = file_name(&real);
    // Temporary file and backup go next to the file itself: beside a symbolic link's target,
    // else in the folder as the inventory names it (so messages show the paths people know).
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let dir = if is_link {
        real.parent()
    } else {
        path.parent()
    }
    .map_or_else(PathBuf::new, Path::to_path_buf);
    Ok(EnvWritePlan {
        path: path.to_path_buf(),
        var: var.to_string(),
        dialect,
        line: last.map(|a| a.line),
        lines: text.lines().count(),
        mode,
        uid,
        gid,
        backup: dir.join(format!("{name}{BACKUP_SUFFIX}")),
        temp: dir.join(format!(".{name}.secretops-tmp")),
        real,
    })
}

#[cfg(unix)]
fn owner_of(meta: &std::fs::Metadata) -> (u32, u32, u32) {
    use std::os::unix::fs::MetadataExt;
    (meta.mode(), meta.uid(), meta.gid())
}

#[cfg(not(unix))]
fn owner_of(_: &std::fs::Metadata) -> (u32, u32, u32) {
    (0o600, 0, 0)
}

pub(crate) fn parse(
    text: &str,
    dialect: Dialect,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<dotenv::Assignment>, String> {
    let mut list = dotenv::parse(text, dialect, lookup).map_err(|e| {
        format!(
            "line {}: {}; fix the file before secretops writes it",
            e.line, e.message
        )
    })?;
    if dialect == Dialect::Compose {
        list.retain(|a| a.value.is_some());
    }
    Ok(list)
}

/// Writes the value as planned. On success the file holds the new line and the backup the
/// old file; on failure the file is untouched and the message says so.
pub fn write(
    plan: &EnvWritePlan,
    value: &SecretString,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), WriteError> {
    let shown = plan.path.display().to_string();
    let unchanged = |what: String| WriteError {
        message: format!("{shown}: {what}; {shown} is unchanged"),
    };
    // The file may have changed since the preview: plan again and insist on the same line.
    let now = plan_again(plan, lookup).map_err(unchanged)?;
    if now.line != plan.line || now.lines != plan.lines {
        return Err(unchanged(
            "the file changed since the preview; run again to see the new preview".into(),
        ));
    }
    let old = crate::sources::read_text_file(&plan.real).map_err(|e| unchanged(e.message))?;
    let new = render(&old, plan, value.expose_secret(), lookup).map_err(unchanged)?;

    let cleanup = |paths: &[&Path]| {
        for p in paths {
            let _ = std::fs::remove_file(p);
        }
    };
    create_file(&plan.temp, new.as_bytes(), plan).map_err(|e| {
        unchanged(format!(
            "cannot write the temporary file {}: {e}",
            file_name(&plan.temp)
        ))
    })?;
    let backup_temp = plan
        .temp
        .with_file_name(format!(".{}{BACKUP_SUFFIX}-tmp", file_name(&plan.real)));
    let backup = create_file(&backup_temp, old.as_bytes(), plan)
        .and_then(|()| std::fs::rename(&backup_temp, &plan.backup).map_err(|e| io(&e)));
    if let Err(e) = backup {
        cleanup(&[&plan.temp, &backup_temp]);
        return Err(unchanged(format!(
            "cannot keep the previous file as {}: {e}; the new content was in {} and is removed",
            plan.backup.display(),
            file_name(&plan.temp)
        )));
    }
    if let Err(e) = std::fs::rename(&plan.temp, &plan.real) {
        cleanup(&[&plan.temp]);
        return Err(unchanged(format!(
            "cannot replace it with {}: {}; the new content is removed, the backup {} is a copy \
             of the unchanged file",
            file_name(&plan.temp),
            crate::io_reason(&e),
            plan.backup.display()
        )));
    }
    // The rename is only durable once the folder is synced; failing that is worth a warning.
    if let Some(dir) = plan.real.parent()
        && let Err(e) = File::open(dir).and_then(|d| d.sync_all())
    {
        tracing::warn!(folder = %dir.display(), error = %e, "could not fsync the folder after a rename");
    }
    Ok(())
}

fn plan_again(
    plan: &EnvWritePlan,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<EnvWritePlan, String> {
    self::plan(&plan.path, plan.dialect, &plan.var, lookup)
}

fn io(e: &std::io::Error) -> String {
    crate::io_reason(e)
}

/// Creates `path` (it must not exist: a leftover means another run is writing, or crashed),
/// writes `bytes`, gives it the planned mode and owner, and fsyncs it.
fn create_file(path: &Path, bytes: &[u8], plan: &EnvWritePlan) -> Result<(), String> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "{} already exists: another secretops may be writing this file, or an earlier \
                 run stopped half way; if none is running, delete it and resume",
                path.display()
            )
        } else {
            io(&e)
        }
    })?;
    let done = (|| -> std::io::Result<()> {
        file.write_all(bytes)?;
        set_owner(&file, plan)?;
        file.sync_all()
    })();
    if let Err(e) = done {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(io(&e));
    }
    Ok(())
}

#[cfg(unix)]
fn set_owner(file: &File, plan: &EnvWritePlan) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = file.metadata()?;
    if meta.uid() != plan.uid || meta.gid() != plan.gid {
        std::os::unix::fs::fchown(file, Some(plan.uid), Some(plan.gid)).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot give it the owner {}:{} of the original ({})",
                    plan.uid,
                    plan.gid,
                    crate::io_reason(&e)
                ),
            )
        })?;
    }
    // After chown: changing the owner clears set-id bits.
    file.set_permissions(std::fs::Permissions::from_mode(plan.mode & 0o7777))
}

#[cfg(not(unix))]
fn set_owner(_: &File, _: &EnvWritePlan) -> std::io::Result<()> {
    Ok(())
}
