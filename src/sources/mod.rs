//! Secret sources: how one service's copy of the secret is read, whatever holds it.
//!
//! Every source gives a [`Reading`]: the value (in a secret type, never shown), where it came
//! from, the related secrets read the same way, and facts the findings need (duplicate
//! assignments, file modes). A source that cannot be read gives a [`SourceError`] whose message
//! says why and where, and never quotes file content.

pub(crate) mod command;
mod compose;
mod env_file;
pub mod gcp;
mod secret_manager;

use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;

use crate::inventory::Source;

pub use env_file::read_env_file;

/// How a source looks up the calling process's environment.
///
/// The real process environment in production; a fixed map in tests so that results do not
/// depend on the shell that runs them.
pub type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The real process environment.
pub fn process_lookup() -> Lookup {
    Arc::new(|name| std::env::var(name).ok())
}

/// What a source needs besides its own settings.
#[derive(Clone)]
pub struct LoadContext {
    /// The tracked variable's name (for sources without their own `var`).
    pub secret: String,
    /// Related secrets that must never equal it, read from the same source.
    pub related: Vec<String>,
    pub env: Lookup,
}

/// Where a value was found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The file holding the value, when a file does.
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
    /// A label for non-file origins (`$VAR`, a command).
    pub label: Option<String>,
}

impl Origin {
    pub fn file(path: PathBuf, line: Option<usize>) -> Self {
        Self {
            path: Some(path),
            line,
            label: None,
        }
    }

    pub fn label(label: impl Into<String>) -> Self {
        Self {
            path: None,
            line: None,
            label: Some(label.into()),
        }
    }

    /// `file:line` relative to `base` when below it.
    pub fn display(&self, base: &std::path::Path) -> String {
        match (&self.path, self.line) {
            (Some(p), Some(l)) => format!("{}:{l}", crate::display_path(p, base)),
            (Some(p), None) => crate::display_path(p, base),
            (None, _) => self.label.clone().unwrap_or_default(),
        }
    }
}

/// A value read from a source, with what the findings need to know about it.
#[derive(Default)]
pub struct Reading {
    /// `None` when the variable is not set at all.
    pub value: Option<SecretString>,
    pub origin: Origin,
    /// Related secrets found through the same source (only those that are set).
    pub related: Vec<(String, SecretString)>,
    /// Lines of the origin file that assign the variable, when it is assigned more than once.
    pub duplicate_lines: Vec<usize>,
    /// What the source says about the value besides its origin (a secret manager's version,
    /// state and checksum).
    pub detail: Option<String>,
    /// A secret manager's recent versions, newest first.
    pub versions: Vec<VersionEntry>,
}

/// One version of a secret in a secret manager; the value only for enabled versions, to be
/// fingerprinted and dropped.
pub struct VersionEntry {
    pub number: u64,
    pub state: String,
    pub create_time: Option<String>,
    pub value: Option<SecretString>,
}

/// Why a source could not be read. The message never quotes file content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    pub message: String,
    /// `file:line` (or `file`) where the problem is, when known.
    pub location: Option<(PathBuf, Option<usize>)>,
}

impl SourceError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            location: None,
        }
    }

    pub fn at(message: impl Into<String>, path: PathBuf, line: Option<usize>) -> Self {
        Self {
            message: message.into(),
            location: Some((path, line)),
        }
    }
}

/// Reads one service's source. Blocking parts run on tokio's blocking pool; commands are
/// killed at their time-out.
pub async fn read(source: &Source, ctx: &LoadContext) -> Result<Reading, SourceError> {
    match source {
        Source::EnvFile { path, dialect, var } => {
            let (path, dialect, var, ctx) = (path.clone(), *dialect, var.clone(), ctx.clone());
            blocking(move || env_file::read(&path, dialect, &var, &ctx)).await
        }
        Source::Compose {
            files,
            service,
            var,
        } => {
            let (files, service, var, ctx) =
                (files.clone(), service.clone(), var.clone(), ctx.clone());
            blocking(move || compose::read(&files, &service, &var, &ctx)).await
        }
        Source::ProcessEnv { var } => Ok(read_process_env(var, ctx)),
        Source::Command {
            program,
            args,
            timeout,
            cwd,
        } => command::read(program, args, *timeout, cwd).await,
        Source::GcpSecretManager {
            project,
            secret,
            version,
            endpoint,
            anonymous,
            timeout,
            related_secrets,
        } => {
            let spec = secret_manager::Spec {
                project,
                secret,
                version,
                endpoint: endpoint.as_deref(),
                anonymous: *anonymous,
                timeout: *timeout,
                related_secrets,
            };
            // The client has its own deadline; this one also covers the version listing.
            let budget = *timeout * 3;
            match tokio::time::timeout(budget, secret_manager::read(&spec)).await {
                Ok(result) => result,
                Err(_) => Err(SourceError::new(format!(
                    "Secret Manager: no answer within {}; check the endpoint and network",
                    humantime::format_duration(budget)
                ))),
            }
        }
    }
}

fn read_process_env(var: &str, ctx: &LoadContext) -> Reading {
    let value = (ctx.env)(var).map(SecretString::from);
    let related = ctx
        .related
        .iter()
        .filter_map(|name| (ctx.env)(name).map(|v| (name.clone(), SecretString::from(v))))
        .collect();
    Reading {
        value,
        origin: Origin::label(format!("${var}")),
        related,
        ..Reading::default()
    }
}

async fn blocking<F>(f: F) -> Result<Reading, SourceError>
where
    F: FnOnce() -> Result<Reading, SourceError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(SourceError::new(format!("reader task failed: {e}"))))
}

/// Reads a small text file holding secrets, refusing folders, huge files and binary content.
///
/// The text is returned in a zeroizing buffer so it is wiped when dropped.
pub(crate) fn read_text_file(
    path: &std::path::Path,
) -> Result<zeroize::Zeroizing<String>, SourceError> {
    let fail = |m: String| SourceError::at(m, path.to_path_buf(), None);
    let bytes = zeroize::Zeroizing::new(crate::read_small_file(path).map_err(|e| match e {
        crate::SmallFileError::NotAFile("directory") => fail(format!(
            "{} is a directory, not a file; point the source at the file inside it",
            path.display()
        )),
        crate::SmallFileError::TooLarge => fail(format!(
            "{} is larger than 1 MiB; secretops reads only small config files",
            path.display()
        )),
        crate::SmallFileError::Io(e) => fail(format!(
            "cannot read {}: {}",
            path.display(),
            crate::io_reason(&e)
        )),
        other @ crate::SmallFileError::NotAFile(_) => fail(format!(
            "{} {other}; point the source at a regular file",
            path.display()
        )),
    })?);
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
        return Err(SourceError::at(
            format!(
                "{} holds binary data (a NUL byte on line {line}); is it the right file?",
                path.display()
            ),
            path.to_path_buf(),
            Some(line),
        ));
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(zeroize::Zeroizing::new(text.to_string())),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Err(SourceError::at(
                format!(
                    "{}:{line}: not valid UTF-8 text; save the file as UTF-8",
                    path.display()
                ),
                path.to_path_buf(),
                Some(line),
            ))
        }
    }
}

/// Builds a lookup that tries the process environment, then a second map.
pub(crate) fn chain_lookup<'a>(
    env: &'a Lookup,
    fallback: &'a std::collections::HashMap<String, SecretString>,
) -> impl Fn(&str) -> Option<String> + 'a {
    use secrecy::ExposeSecret;
    move |name| env(name).or_else(|| fallback.get(name).map(|v| v.expose_secret().to_string()))
}
