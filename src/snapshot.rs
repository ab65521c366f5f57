//! What secretops knows about every copy of the secret, with no value in it.
//!
//! A [`ServiceState`] is built from a source's reading in one step ([`assess`]): the value is
//! fingerprinted, measured and checked against the weak-value rules, and then dropped. Everything
//! downstream (findings, reports, the console) works from these states alone, so no value can
//! reach a screen or a file through them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::ExposeSecret;
use serde::Serialize;

use crate::fingerprint::{Fingerprint, FingerprintKey};
use crate::inventory::{Inventory, Role, Tier};
use crate::sources::{self, LoadContext, Reading, SourceError};

/// Whether a service's copy could be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not read yet (the console shows this while a slow source runs).
    Loading,
    Present,
    Missing,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Loading => "loading",
            Self::Present => "present",
            Self::Missing => "missing",
            Self::Error => "error",
        }
    }
}

/// Markers that say a value is a placeholder, not a real secret.
pub const PLACEHOLDER_MARKERS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "placeholder",
    "example",
    "dummy",
    "insecure",
    "secret-manager",
    "secret_manager",
    "set-via",
    "todo",
    "replace-me",
    "<",
    "${",
];

/// Prefixes that betray a non-production value when found in staging or production.
pub const NON_LIVE_PREFIXES: &[&str] = &["dev", "test", "local"];

/// Facts about a value that the findings need, computed before the value is dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ValueTraits {
    /// The first placeholder marker the lowercased value contains.
    pub placeholder: Option<&'static str>,
    pub distinct_chars: usize,
    /// The non-live prefix the lowercased value starts with.
    pub non_live_prefix: Option<&'static str>,
}

impl ValueTraits {
    fn of(value: &str) -> Self {
        let lower = zeroize::Zeroizing::new(value.to_lowercase());
        let mut chars: Vec<char> = value.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        let distinct_chars = chars.len();
        chars.fill('\0');
        Self {
            placeholder: PLACEHOLDER_MARKERS
                .iter()
                .copied()
                .find(|m| lower.contains(m)),
            distinct_chars,
            non_live_prefix: NON_LIVE_PREFIXES
                .iter()
                .copied()
                .find(|p| lower.starts_with(p)),
        }
    }
}

/// One service's copy of the secret, as far as can be said without the value.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceState {
    pub environment: String,
    pub name: String,
    pub role: Role,
    /// Source kind and file, for display.
    pub source: String,
    pub status: Status,
    pub fingerprint: Option<Fingerprint>,
    /// Length in characters.
    pub length: Option<usize>,
    /// `file:line` (or a label) where the value came from, relative to the inventory.
    pub origin: Option<String>,
    /// The file the value came from, for permission and duplicate checks.
    #[serde(skip)]
    pub origin_path: Option<PathBuf>,
    /// Unix mode bits of the origin file.
    #[serde(skip)]
    pub origin_mode: Option<u32>,
    pub error: Option<String>,
    /// Where the error is (`file:line`), when known.
    pub error_location: Option<String>,
    pub traits: ValueTraits,
    /// Related secrets whose value equals this one.
    pub equals_related: Vec<String>,
    /// Lines of the origin file assigning the variable, when more than one.
    pub duplicate_lines: Vec<usize>,
    /// The source's own words about the value (a secret manager's version and checksum).
    pub detail: Option<String>,
    /// A secret manager's recent versions, with fingerprints of the enabled ones.
    pub versions: Vec<VersionSummary>,
}

/// One version of a secret-manager secret, without its value.
#[derive(Clone, Debug, Serialize)]
pub struct VersionSummary {
    pub number: u64,
    pub state: String,
    pub create_time: Option<String>,
    pub fingerprint: Option<Fingerprint>,
}

impl ServiceState {
    /// A state for a service whose source has not answered yet.
    pub fn loading(env: &str, name: &str, role: Role, source: String) -> Self {
        Self {
            environment: env.to_string(),
            name: name.to_string(),
            role,
            source,
            status: Status::Loading,
            fingerprint: None,
            length: None,
            origin: None,
            origin_path: None,
            origin_mode: None,
            error: None,
            error_location: None,
            traits: ValueTraits::default(),
            equals_related: Vec::new(),
            duplicate_lines: Vec::new(),
            detail: None,
            versions: Vec::new(),
        }
    }

    /// `environment/service`, the id used in findings.
    pub fn id(&self) -> String {
        format!("{}/{}", self.environment, self.name)
    }
}

/// Turns a reading into a state, fingerprinting and measuring the value, then dropping it.
pub fn assess(
    mut state: ServiceState,
    result: Result<Reading, SourceError>,
    key: &FingerprintKey,
    base: &Path,
) -> ServiceState {
    match result {
        Err(e) => {
            state.status = Status::Error;
            state.error_location = e.location.as_ref().map(|(p, line)| match line {
                Some(l) => format!("{}:{l}", crate::display_path(p, base)),
                None => crate::display_path(p, base),
            });
            state.error = Some(e.message);
        }
        Ok(reading) => {
            let origin = reading.origin.display(base);
            state.origin = (!origin.is_empty()).then_some(origin);
            state.origin_path.clone_from(&reading.origin.path);
            state.origin_mode = reading.origin.path.as_deref().and_then(file_mode);
            state.detail.clone_from(&reading.detail);
            state.versions = reading
                .versions
                .iter()
                .map(|v| VersionSummary {
                    number: v.number,
                    state: v.state.clone(),
                    create_time: v.create_time.clone(),
                    fingerprint: v.value.as_ref().map(|value| key.fingerprint(value)),
                })
                .collect();
            match &reading.value {
                Some(v) if !v.expose_secret().is_empty() => {
                    let text = v.expose_secret();
                    state.status = Status::Present;
                    state.fingerprint = Some(key.fingerprint(v));
                    state.length = Some(text.chars().count());
                    state.traits = ValueTraits::of(text);
                    state.equals_related = reading
                        .related
                        .iter()
                        .filter(|(_, r)| r.expose_secret() == text)
                        .map(|(name, _)| name.clone())
                        .collect();
                    state.duplicate_lines = reading.duplicate_lines;
                }
                _ => {
                    state.status = Status::Missing;
                    state.duplicate_lines = reading.duplicate_lines;
                }
            }
        }
    }
    state
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_: &Path) -> Option<u32> {
    None
}

/// One environment's services.
#[derive(Clone, Debug, Serialize)]
pub struct EnvState {
    pub name: String,
    pub tier: Tier,
    pub services: Vec<ServiceState>,
}

/// Every environment's services, in inventory order.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub environments: Vec<EnvState>,
}

impl Snapshot {
    /// A snapshot with every service still loading.
    pub fn loading(inv: &Inventory) -> Self {
        Self {
            environments: inv
                .environments
                .iter()
                .map(|env| EnvState {
                    name: env.name.clone(),
                    tier: env.tier,
                    services: env
                        .services
                        .iter()
                        .map(|s| {
                            ServiceState::loading(
                                &env.name,
                                &s.name,
                                s.role,
                                s.source.describe(&inv.base_dir),
                            )
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// Every service, across environments.
    pub fn services(&self) -> impl Iterator<Item = &ServiceState> {
        self.environments.iter().flat_map(|e| e.services.iter())
    }

    /// Replaces one service's state (by position).
    pub fn set(&mut self, env: usize, service: usize, state: ServiceState) {
        if let Some(slot) = self
            .environments
            .get_mut(env)
            .and_then(|e| e.services.get_mut(service))
        {
            *slot = state;
        }
    }
}

/// The context every source read of an inventory shares.
pub fn load_context(inv: &Inventory, env: sources::Lookup) -> LoadContext {
    LoadContext {
        secret: inv.secret.clone(),
        related: inv.related.clone(),
        env,
    }
}

/// Reads one service and assesses it.
pub async fn load_service(
    inv: &Inventory,
    env_index: usize,
    service_index: usize,
    key: &FingerprintKey,
    ctx: &LoadContext,
) -> Option<ServiceState> {
    let env = inv.environments.get(env_index)?;
    let svc = env.services.get(service_index)?;
    let state = ServiceState::loading(
        &env.name,
        &svc.name,
        svc.role,
        svc.source.describe(&inv.base_dir),
    );
    let reading = sources::read(&svc.source, ctx).await;
    Some(assess(state, reading, key, &inv.base_dir))
}

/// Reads every service of the inventory at once and waits for all of them.
pub async fn load_all(
    inv: &Arc<Inventory>,
    key: &Arc<FingerprintKey>,
    ctx: &LoadContext,
) -> Snapshot {
    let mut snapshot = Snapshot::loading(inv);
    let mut tasks = Vec::new();
    for (ei, env) in inv.environments.iter().enumerate() {
        for si in 0..env.services.len() {
            let (inv, key, ctx) = (Arc::clone(inv), Arc::clone(key), ctx.clone());
            tasks.push(async move { (ei, si, load_service(&inv, ei, si, &key, &ctx).await) });
        }
    }
    for (ei, si, state) in futures::future::join_all(tasks).await {
        if let Some(state) = state {
            snapshot.set(ei, si, state);
        }
    }
    snapshot
}
