//! The inventory: which environments exist, which services hold the secret, and where each one
//! reads it from. Parsed from TOML with every unknown key rejected, so a typo is an error with a
//! position instead of a silently ignored setting.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::live::spec::{AuthSpec, BreakerSpec, HealthSpec, LiveSpec};
use crate::runbook::spec::{RestartSpec, RunbookSpec};

/// Where the inventory was found, and by which rule, for `secretops config path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Discovery {
    /// `--config PATH` or `$SECRETOPS_CONFIG`.
    Explicit(PathBuf),
    /// `./secretops.toml`.
    WorkingDir(PathBuf),
    /// `secretops/secretops.toml` in the user's config directory.
    UserConfig(PathBuf),
}

impl Discovery {
    /// The path, whichever rule found it.
    pub fn path(&self) -> &Path {
        match self {
            Self::Explicit(p) | Self::WorkingDir(p) | Self::UserConfig(p) => p,
        }
    }

    /// The rule, in words.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Explicit(_) => "--config or $SECRETOPS_CONFIG",
            Self::WorkingDir(_) => "./secretops.toml",
            Self::UserConfig(_) => "user config directory",
        }
    }
}

/// Finds the inventory: the explicit path, else `./secretops.toml`, else the user config one.
pub fn discover(explicit: Option<&Path>) -> Result<Discovery, InventoryError> {
    if let Some(path) = explicit {
        return Ok(Discovery::Explicit(path.to_path_buf()));
    }
    let local = PathBuf::from("secretops.toml");
    if local.is_file() {
        return Ok(Discovery::WorkingDir(local));
    }
    if let Some(dir) = crate::paths::config_dir() {
        let user = dir.join("secretops.toml");
        if user.is_file() {
            return Ok(Discovery::UserConfig(user));
        }
    }
    Err(InventoryError::NotFound)
}

/// A problem with the inventory file itself. Displayed as one line naming the position.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error(
        "no inventory found: pass --config PATH, set SECRETOPS_CONFIG, or create ./secretops.toml \
         (try `secretops demo` or copy examples/secretops.toml)"
    )]
    NotFound,
    #[error("{path}: cannot read the inventory: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Tier of an environment: decides severities and the minimum length policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Development,
    Test,
    Staging,
    Production,
}

impl Tier {
    /// Staging and production are where a broken secret locks real users out.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Staging | Self::Production)
    }

    /// The default minimum length for this tier.
    pub fn default_min_length(self) -> usize {
        match self {
            Self::Production => 64,
            Self::Staging | Self::Test => 32,
            Self::Development => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a service checks the secret (validator) or sends it (consumer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Validator,
    Consumer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validator => "validator",
            Self::Consumer => "consumer",
        }
    }
}

/// The `.env` dialect an `env-file` source is read with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvDialect {
    /// What `docker compose` reads from an `env_file`.
    #[default]
    Compose,
    /// What python-dotenv's `dotenv_values` returns, with interpolation on.
    PythonDotenv,
}

/// One or several compose files, merged in order like repeated `-f`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<PathBuf> {
        match self {
            Self::One(p) => vec![p],
            Self::Many(v) => v,
        }
    }
}

/// A source as written in the TOML (paths still relative).
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RawSource {
    EnvFile {
        path: PathBuf,
        #[serde(default)]
        dialect: EnvDialect,
        var: Option<String>,
    },
    Compose {
        file: OneOrMany,
        service: String,
        var: Option<String>,
    },
    ProcessEnv {
        var: Option<String>,
    },
    Command {
        program: String,
        #[serde(default)]
        args: Vec<String>,
        timeout: Option<String>,
    },
    GcpSecretManager {
        project: String,
        secret: String,
        version: Option<String>,
        /// An emulator or local stand-in; default: Google's endpoint.
        endpoint: Option<String>,
        /// `"anonymous"` (emulators and tests only) or `"adc"` (the default).
        credentials: Option<String>,
        timeout: Option<String>,
        /// Related secret name → its own secret in the same project.
        #[serde(default)]
        related_secrets: BTreeMap<String, String>,
    },
}

/// Where one service's copy of the secret is read from, with paths resolved.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    EnvFile {
        path: PathBuf,
        dialect: EnvDialect,
        var: String,
    },
    Compose {
        files: Vec<PathBuf>,
        service: String,
        var: String,
    },
    ProcessEnv {
        var: String,
    },
    Command {
        program: String,
        args: Vec<String>,
        #[serde(with = "humantime_secs")]
        timeout: Duration,
        /// Commands run in the inventory's folder, so relative arguments mean the same from
        /// anywhere.
        cwd: PathBuf,
    },
    GcpSecretManager {
        project: String,
        secret: String,
        version: String,
        endpoint: Option<String>,
        anonymous: bool,
        #[serde(with = "humantime_secs")]
        timeout: Duration,
        related_secrets: BTreeMap<String, String>,
    },
}

mod humantime_secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }
}

impl Source {
    /// A short human description: kind and main file or program.
    pub fn describe(&self, base: &Path) -> String {
        match self {
            Self::EnvFile { path, .. } => format!("env-file {}", crate::display_path(path, base)),
            Self::Compose { files, service, .. } => {
                let names: Vec<String> =
                    files.iter().map(|f| crate::display_path(f, base)).collect();
                format!("compose {} [{service}]", names.join("+"))
            }
            Self::ProcessEnv { var } => format!("process-env ${var}"),
            Self::Command { program, .. } => format!("command {program}"),
            Self::GcpSecretManager {
                project,
                secret,
                endpoint,
                ..
            } => {
                let local = if endpoint.is_some() { " (local)" } else { "" };
                format!("gcp {project}/{secret}{local}")
            }
        }
    }

    /// The variable this source reads.
    pub fn var<'a>(&'a self, secret_name: &'a str) -> &'a str {
        match self {
            Self::EnvFile { var, .. } | Self::Compose { var, .. } | Self::ProcessEnv { var } => var,
            Self::Command { .. } | Self::GcpSecretManager { .. } => secret_name,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    secret: RawSecret,
    #[serde(default)]
    fingerprint: RawFingerprint,
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default)]
    ui: UiSettings,
    #[serde(default)]
    scan: ScanSettings,
    #[serde(default, rename = "environment")]
    environments: Vec<RawEnvironment>,
    #[serde(default, rename = "runbook")]
    runbooks: Vec<crate::runbook::raw::RawRunbook>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecret {
    name: String,
    #[serde(default)]
    related: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFingerprint {
    key_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    min_length: BTreeMap<Tier, usize>,
}

/// `[scan]`: where the code lives and how its folders map onto services.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSettings {
    /// The repository root the console's References view scans (relative to the inventory).
    pub root: Option<PathBuf>,
    /// Path prefix → service name, for hits outside a compose service or top-level folder.
    #[serde(default)]
    pub services: BTreeMap<String, String>,
}

/// Console settings that may live in the inventory or the user config.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiSettings {
    pub theme: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    name: Spanned<String>,
    tier: Tier,
    #[serde(default)]
    read_only: bool,
    auth: Option<Spanned<AuthSpec>>,
    #[serde(default)]
    headers: BTreeMap<String, RawSource>,
    restart: Option<Spanned<RestartSpec>>,
    #[serde(default, rename = "service")]
    services: Vec<RawService>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: Spanned<String>,
    role: Role,
    source: Spanned<RawSource>,
    health: Option<Spanned<HealthSpec>>,
    breaker: Option<Spanned<BreakerSpec>>,
    auth: Option<Spanned<AuthSpec>>,
    #[serde(default)]
    headers: BTreeMap<String, RawSource>,
}

/// A parsed, validated inventory with every path resolved.
#[derive(Clone, Debug)]
pub struct Inventory {
    /// The inventory file.
    pub path: PathBuf,
    /// Its folder: relative paths resolve against it.
    pub base_dir: PathBuf,
    pub secret: String,
    pub related: Vec<String>,
    /// `None` means the default key in the data directory.
    pub key_file: Option<PathBuf>,
    pub min_length: BTreeMap<Tier, usize>,
    pub ui: UiSettings,
    pub scan: ScanSettings,
    pub environments: Vec<Environment>,
    /// Custom runbooks (`[[runbook]]`); the built-in ones are not listed here.
    pub runbooks: Vec<RunbookSpec>,
}

/// One environment and its services.
#[derive(Clone, Debug)]
pub struct Environment {
    pub name: String,
    pub tier: Tier,
    pub read_only: bool,
    /// Environment-wide live settings (`auth` for the whole environment).
    pub live: LiveSpec,
    /// How to restart a service after its secret changed (`restart = { program, args }`).
    pub restart: Option<RestartSpec>,
    pub services: Vec<Service>,
}

/// One service holding a copy of the secret.
#[derive(Clone, Debug)]
pub struct Service {
    pub name: String,
    pub role: Role,
    pub source: Source,
    pub live: LiveSpec,
}

impl Inventory {
    /// Reads and validates an inventory file.
    pub fn load(path: &Path) -> Result<Self, InventoryError> {
        let shown = path.display().to_string();
        let bytes = crate::read_small_file(path).map_err(|e| InventoryError::Read {
            path: shown.clone(),
            reason: match e {
                crate::SmallFileError::NotAFile("directory") => {
                    "is a directory; pass the .toml file inside it".into()
                }
                crate::SmallFileError::TooLarge => {
                    "is larger than 1 MiB; is this really an inventory?".into()
                }
                other => other.to_string(),
            },
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_col(
                &String::from_utf8_lossy(e.as_bytes()),
                e.utf8_error().valid_up_to(),
            );
            InventoryError::Invalid {
                path: shown.clone(),
                line,
                column,
                message: "not UTF-8 text; an inventory is a TOML file".into(),
            }
        })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(&text, path, &base_dir)
    }

    /// Parses inventory text; `path` is used in messages, `base_dir` resolves relative paths.
    pub fn parse(text: &str, path: &Path, base_dir: &Path) -> Result<Self, InventoryError> {
        let shown = path.display().to_string();
        let at = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            InventoryError::Invalid {
                path: shown.clone(),
                line,
                column,
                message,
            }
        };
        let raw: RawInventory = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            at(offset, one_line(e.message()))
        })?;

        if raw.secret.name.trim().is_empty() {
            return Err(at(
                0,
                "[secret] name is empty; name the variable to track".into(),
            ));
        }
        if raw.environments.is_empty() {
            return Err(at(
                text.len(),
                "no [[environment]] defined; add at least one with its services".into(),
            ));
        }

        let mut env_names = HashSet::new();
        let mut environments = Vec::with_capacity(raw.environments.len());
        for env in raw.environments {
            let name = env.name.get_ref().trim().to_string();
            check_name("environment", &name).map_err(|m| at(env.name.span().start, m))?;
            if !env_names.insert(name.clone()) {
                return Err(at(
                    env.name.span().start,
                    format!("environment \"{name}\" is defined twice; give each a unique name"),
                ));
            }
            let mut service_names = HashSet::new();
            let mut services = Vec::with_capacity(env.services.len());
            for svc in env.services {
                let svc_name = svc.name.get_ref().trim().to_string();
                check_name("service", &svc_name).map_err(|m| at(svc.name.span().start, m))?;
                if !service_names.insert(svc_name.clone()) {
                    return Err(at(
                        svc.name.span().start,
                        format!(
                            "service \"{svc_name}\" appears twice in environment \"{name}\"; \
                             give each a unique name"
                        ),
                    ));
                }
                services.push(
                    service(svc, svc_name, base_dir, &raw.secret.name)
                        .map_err(|(offset, message)| at(offset, message))?,
                );
            }
            let auth_at = env.auth.as_ref().map_or(env.name.span(), Spanned::span);
            let live = LiveSpec {
                auth: env.auth.map(Spanned::into_inner),
                headers: env.headers,
                ..LiveSpec::default()
            };
            live.validate().map_err(|m| at(auth_at.start, m))?;
            crate::runbook::raw::check_restart(env.restart.as_ref())
                .map_err(|(offset, m)| at(offset, m))?;
            environments.push(Environment {
                name,
                tier: env.tier,
                read_only: env.read_only,
                live,
                restart: env.restart.map(Spanned::into_inner),
                services,
            });
        }
        let env_names: Vec<String> = environments.iter().map(|e| e.name.clone()).collect();
        let runbooks = crate::runbook::raw::resolve_runbooks(raw.runbooks, &env_names)
            .map_err(|(offset, message)| at(offset, message))?;

        Ok(Self {
            path: path.to_path_buf(),
            base_dir: base_dir.to_path_buf(),
            secret: raw.secret.name,
            related: raw.secret.related,
            key_file: raw.fingerprint.key_file.map(|p| base_dir.join(p)),
            min_length: raw.policy.min_length,
            ui: raw.ui,
            scan: ScanSettings {
                root: raw.scan.root.map(|r| base_dir.join(r)),
                services: raw.scan.services,
            },
            environments,
            runbooks,
        })
    }

    /// The minimum length for a tier: the inventory's policy, else the default.
    pub fn min_length(&self, tier: Tier) -> usize {
        self.min_length
            .get(&tier)
            .copied()
            .unwrap_or_else(|| tier.default_min_length())
    }

    /// Looks up an environment by name.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }
}

pub(crate) fn resolve_source(raw: RawSource, base: &Path, secret: &str) -> Result<Source, String> {
    let var = |v: Option<String>| v.unwrap_or_else(|| secret.to_string());
    Ok(match raw {
        RawSource::EnvFile {
            path,
            dialect,
            var: v,
        } => Source::EnvFile {
            path: base.join(path),
            dialect,
            var: var(v),
        },
        RawSource::Compose {
            file,
            service,
            var: v,
        } => {
            let files: Vec<PathBuf> = file.into_vec().into_iter().map(|f| base.join(f)).collect();
            if files.is_empty() {
                return Err("compose source needs at least one file".into());
            }
            Source::Compose {
                files,
                service,
                var: var(v),
            }
        }
        RawSource::ProcessEnv { var: v } => Source::ProcessEnv { var: var(v) },
        RawSource::Command {
            program,
            args,
            timeout,
        } => {
            if program.trim().is_empty() {
                return Err("command source has an empty program".into());
            }
            let timeout = match timeout {
                None => Duration::from_secs(10),
                Some(t) => humantime::parse_duration(&t).map_err(|e| {
                    format!("command timeout \"{t}\" is not a duration ({e}); write e.g. \"10s\"")
                })?,
            };
            Source::Command {
                program,
                args,
                timeout,
                cwd: base.to_path_buf(),
            }
        }
        RawSource::GcpSecretManager {
            project,
            secret,
            version,
            endpoint,
            credentials,
            timeout,
            related_secrets,
        } => {
            let anonymous = match credentials.as_deref() {
                None | Some("adc") => false,
                Some("anonymous") => true,
                Some(other) => {
                    return Err(format!(
                        "credentials \"{other}\" is not known; use \"adc\" (default) or \"anonymous\""
                    ));
                }
            };
            let timeout = match timeout {
                None => Duration::from_secs(10),
                Some(t) => humantime::parse_duration(&t)
                    .map_err(|e| format!("timeout \"{t}\" is not a duration ({e})"))?,
            };
            Source::GcpSecretManager {
                project,
                secret,
                version: version.unwrap_or_else(|| "latest".into()),
                endpoint,
                anonymous,
                timeout,
                related_secrets,
            }
        }
    })
}

/// Names are shown on terminals: they must be non-empty plain text.
fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("{what} name is empty"));
    }
    if name.chars().any(crate::is_unsafe_char) {
        return Err(format!(
            "{what} name holds a control or text-direction character; use plain text"
        ));
    }
    Ok(())
}

/// Resolves one service; errors carry the byte offset they point at.
fn service(
    svc: RawService,
    name: String,
    base_dir: &Path,
    secret: &str,
) -> Result<Service, (usize, String)> {
    let span = svc.source.span();
    let source =
        resolve_source(svc.source.into_inner(), base_dir, secret).map_err(|m| (span.start, m))?;
    let live_at = [
        svc.health.as_ref().map(Spanned::span),
        svc.breaker.as_ref().map(Spanned::span),
        svc.auth.as_ref().map(Spanned::span),
    ]
    .into_iter()
    .flatten()
    .next()
    .unwrap_or(span);
    let live = LiveSpec {
        health: svc.health.map(Spanned::into_inner),
        breaker: svc.breaker.map(Spanned::into_inner),
        auth: svc.auth.map(Spanned::into_inner),
        headers: svc.headers,
    };
    live.validate().map_err(|m| (live_at.start, m))?;
    Ok(Service {
        name,
        role: svc.role,
        source,
        live,
    })
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

fn one_line(message: &str) -> String {
    crate::clean_text(&message.replace(['\n', '\r', '\t'], " "))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
