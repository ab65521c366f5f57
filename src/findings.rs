//! Findings: what is wrong with the secret across the fleet, and what to do about it.
//!
//! Each rule reads only [`Snapshot`] states (fingerprints and value traits, never values), so
//! the same rules serve the console, `secretops check` and CI without any of them seeing a
//! secret.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::inventory::{Inventory, Role, Tier};
use crate::snapshot::{ServiceState, Snapshot, Status};

/// How bad a finding is. Ordered: `Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Parses a severity name as given on the command line.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "low" => Some(Self::Low),
            "medium" => Some(Self::Medium),
            "high" => Some(Self::High),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }

    /// Picks the severity for a tier: the first for staging and production, the second for
    /// development and test.
    fn by_tier(tier: Tier, live: Self, other: Self) -> Self {
        if tier.is_live() { live } else { other }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable identifiers of the rules; documented in docs/findings.md.
pub mod ids {
    pub const MISSING: &str = "missing";
    pub const SOURCE_ERROR: &str = "source-error";
    pub const MISMATCH: &str = "mismatch";
    pub const REUSED_ACROSS_TIERS: &str = "reused-across-tiers";
    pub const EQUALS_RELATED_SECRET: &str = "equals-related-secret";
    pub const TOO_SHORT: &str = "too-short";
    pub const WEAK_VALUE: &str = "weak-value";
    pub const DUPLICATE_DEFINITION: &str = "duplicate-definition";
    pub const FILE_PERMISSIONS: &str = "file-permissions";
}

/// One thing that is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub severity: Severity,
    pub environment: String,
    /// `environment/service` ids, sorted.
    pub services: Vec<String>,
    /// What is wrong and what to do.
    pub message: String,
    /// `file:line` where known.
    pub location: Option<String>,
}

/// Runs every rule over a snapshot. Services still loading are left out.
///
/// Sorted most severe first, then by environment order and rule.
pub fn evaluate(inv: &Inventory, snapshot: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    for env in &snapshot.environments {
        for svc in &env.services {
            per_service(inv, env.tier, svc, &mut out);
        }
        mismatches(env.tier, &env.name, &env.services, &mut out);
        validator_mismatches(env.tier, &env.name, &env.services, &mut out);
        per_file(env.tier, &env.name, &env.services, &mut out);
    }
    reused_across_tiers(snapshot, &mut out);
    sort(&mut out, snapshot);
    out
}

/// Static findings plus the live ones.
pub fn evaluate_with_live(
    inv: &Inventory,
    snapshot: &Snapshot,
    live: &crate::live::state::LiveState,
) -> Vec<Finding> {
    let mut out = evaluate(inv, snapshot);
    out.extend(crate::live::findings::evaluate(inv, live));
    sort(&mut out, snapshot);
    out
}

/// Most severe first, then by environment order, rule and services.
fn sort(out: &mut [Finding], snapshot: &Snapshot) {
    let order: BTreeMap<&str, usize> = snapshot
        .environments
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.as_str(), i))
        .collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| {
                order
                    .get(a.environment.as_str())
                    .cmp(&order.get(b.environment.as_str()))
            })
            .then_with(|| a.id.cmp(b.id))
            .then_with(|| a.services.cmp(&b.services))
    });
}

fn finding(
    id: &'static str,
    severity: Severity,
    env: &str,
    mut services: Vec<String>,
    message: String,
    location: Option<String>,
) -> Finding {
    services.sort();
    services.dedup();
    Finding {
        id,
        severity,
        environment: env.to_string(),
        services,
        message,
        location,
    }
}

fn per_service(inv: &Inventory, tier: Tier, svc: &ServiceState, out: &mut Vec<Finding>) {
    let sev = |live, other| Severity::by_tier(tier, live, other);
    let id = svc.id();
    match svc.status {
        Status::Loading => {}
        Status::Error => out.push(finding(
            ids::SOURCE_ERROR,
            sev(Severity::Critical, Severity::High),
            &svc.environment,
            vec![id.clone()],
            format!(
                "{id}: its source cannot be read: {}",
                svc.error.as_deref().unwrap_or("unknown error")
            ),
            svc.error_location.clone(),
        )),
        Status::Missing => out.push(finding(
            ids::MISSING,
            sev(Severity::Critical, Severity::High),
            &svc.environment,
            vec![id.clone()],
            format!(
                "{id} has no {} (unset or empty{}); every call it {} is rejected. Restore the \
                 value from the validator or the secret manager.",
                inv.secret,
                svc.origin
                    .as_deref()
                    .map(|o| format!(" at {o}"))
                    .unwrap_or_default(),
                if svc.role == Role::Validator {
                    "checks"
                } else {
                    "makes"
                },
            ),
            svc.origin.clone(),
        )),
        Status::Present => present_rules(inv, tier, svc, out),
    }
}

fn present_rules(inv: &Inventory, tier: Tier, svc: &ServiceState, out: &mut Vec<Finding>) {
    let sev = |live, other| Severity::by_tier(tier, live, other);
    let id = svc.id();
    for related in &svc.equals_related {
        out.push(finding(
            ids::EQUALS_RELATED_SECRET,
            sev(Severity::High, Severity::Medium),
            &svc.environment,
            vec![id.clone()],
            format!(
                "{id}: {} equals {related}; a leak of one exposes both. Give {} its own \
                 random value.",
                inv.secret, inv.secret
            ),
            svc.origin.clone(),
        ));
    }
    let min = inv.min_length(tier);
    let length = svc.length.unwrap_or(0);
    if length < min {
        out.push(finding(
            ids::TOO_SHORT,
            sev(Severity::High, Severity::Medium),
            &svc.environment,
            vec![id.clone()],
            format!(
                "{id}: the value is {length} characters; {tier} needs at least {min}. Generate \
                 a longer one (e.g. `openssl rand -base64 48`)."
            ),
            svc.origin.clone(),
        ));
    }
    let mut reasons = Vec::new();
    if let Some(marker) = svc.traits.placeholder {
        reasons.push(format!("it contains the placeholder marker \"{marker}\""));
    }
    if svc.traits.distinct_chars < 8 {
        reasons.push(format!(
            "it has only {} distinct characters",
            svc.traits.distinct_chars
        ));
    }
    if tier.is_live()
        && let Some(prefix) = svc.traits.non_live_prefix
    {
        reasons.push(format!(
            "it starts with \"{prefix}\", like a non-production value"
        ));
    }
    if !reasons.is_empty() {
        out.push(finding(
            ids::WEAK_VALUE,
            sev(Severity::Critical, Severity::Low),
            &svc.environment,
            vec![id.clone()],
            format!(
                "{id}: the value looks weak or misplaced: {}. Replace it with a random secret \
                 meant for {tier}.",
                reasons.join("; ")
            ),
            svc.origin.clone(),
        ));
    }
}

fn mismatches(tier: Tier, env: &str, services: &[ServiceState], out: &mut Vec<Finding>) {
    let present = |s: &&ServiceState| s.status == Status::Present;
    let validators: Vec<&ServiceState> = services
        .iter()
        .filter(|s| s.role == Role::Validator)
        .filter(present)
        .collect();
    for consumer in services
        .iter()
        .filter(|s| s.role == Role::Consumer)
        .filter(present)
    {
        for validator in &validators {
            if consumer.fingerprint != validator.fingerprint {
                out.push(finding(
                    ids::MISMATCH,
                    Severity::by_tier(tier, Severity::Critical, Severity::High),
                    env,
                    vec![consumer.id(), validator.id()],
                    format!(
                        "{} sends {} but {} expects {}: its calls get 403. Copy the validator's \
                         value to {} (origin {}), or run the emergency-restore runbook.",
                        consumer.id(),
                        fp(consumer),
                        validator.id(),
                        fp(validator),
                        consumer.name,
                        consumer.origin.as_deref().unwrap_or("unknown"),
                    ),
                    consumer.origin.clone(),
                ));
            }
        }
    }
}

/// Two validators of one environment that disagree: callers pass one and fail the other.
fn validator_mismatches(tier: Tier, env: &str, services: &[ServiceState], out: &mut Vec<Finding>) {
    let validators: Vec<&ServiceState> = services
        .iter()
        .filter(|s| s.role == Role::Validator && s.status == Status::Present)
        .collect();
    for (i, a) in validators.iter().enumerate() {
        for b in &validators[i + 1..] {
            if a.fingerprint != b.fingerprint {
                out.push(finding(
                    ids::MISMATCH,
                    Severity::by_tier(tier, Severity::Critical, Severity::High),
                    env,
                    vec![a.id(), b.id()],
                    format!(
                        "validators {} ({}) and {} ({}) disagree: every caller fails on one of \
                         them. Decide which value is right and copy it to the other.",
                        a.id(),
                        fp(a),
                        b.id(),
                        fp(b)
                    ),
                    b.origin.clone(),
                ));
            }
        }
    }
}

fn fp(s: &ServiceState) -> &str {
    s.fingerprint.as_ref().map_or("?", |f| f.as_str())
}

/// Findings about files: duplicate assignments and loose permissions, one per file.
fn per_file(tier: Tier, env: &str, services: &[ServiceState], out: &mut Vec<Finding>) {
    let mut duplicates: BTreeMap<&std::path::Path, (Vec<String>, &ServiceState)> = BTreeMap::new();
    let mut loose: BTreeMap<&std::path::Path, (Vec<String>, u32, &ServiceState)> = BTreeMap::new();
    for svc in services {
        let Some(path) = svc.origin_path.as_deref() else {
            continue;
        };
        if svc.duplicate_lines.len() > 1 && svc.status == Status::Present {
            duplicates
                .entry(path)
                .or_insert_with(|| (Vec::new(), svc))
                .0
                .push(svc.id());
        }
        if let Some(mode) = svc.origin_mode
            && svc.status == Status::Present
            && mode & 0o044 != 0
        {
            loose
                .entry(path)
                .or_insert_with(|| (Vec::new(), mode, svc))
                .0
                .push(svc.id());
        }
    }
    for (path, (ids_, svc)) in duplicates {
        let lines: Vec<String> = svc
            .duplicate_lines
            .iter()
            .map(ToString::to_string)
            .collect();
        let file = svc
            .origin
            .as_deref()
            .and_then(|o| o.rsplit_once(':').map(|(f, _)| f.to_string()))
            .unwrap_or_else(|| path.display().to_string());
        let last = svc.duplicate_lines.last().copied().unwrap_or(0);
        out.push(finding(
            ids::DUPLICATE_DEFINITION,
            Severity::by_tier(tier, Severity::Medium, Severity::Low),
            env,
            ids_,
            format!(
                "{file} assigns the secret on lines {}; only line {last} takes effect. Delete \
                 the stale line so the next edit does not change the wrong one.",
                lines.join(", ")
            ),
            Some(format!("{file}:{last}")),
        ));
    }
    for (path, (ids_, mode, svc)) in loose {
        let file = svc.origin.as_deref().map_or_else(
            || path.display().to_string(),
            |o| o.rsplit_once(':').map_or(o, |(f, _)| f).to_string(),
        );
        out.push(finding(
            ids::FILE_PERMISSIONS,
            Severity::by_tier(tier, Severity::Medium, Severity::Low),
            env,
            ids_,
            format!(
                "{file} holds the secret and is readable by group or others (mode {:03o}); \
                 run `chmod 600 {}`.",
                mode & 0o777,
                path.display()
            ),
            Some(file),
        ));
    }
}

fn reused_across_tiers(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<&str, Vec<(&ServiceState, Tier, &str)>> = BTreeMap::new();
    for env in &snapshot.environments {
        for svc in &env.services {
            if let (Status::Present, Some(fp)) = (svc.status, &svc.fingerprint) {
                groups
                    .entry(fp.as_str())
                    .or_default()
                    .push((svc, env.tier, env.name.as_str()));
            }
        }
    }
    for (fp, members) in groups {
        let mut tiers: Vec<Tier> = members.iter().map(|m| m.1).collect();
        tiers.sort();
        tiers.dedup();
        if tiers.len() < 2 {
            continue;
        }
        let top = members.iter().max_by_key(|m| m.1).map_or("", |m| m.2);
        let has_production = tiers.contains(&Tier::Production);
        let tier_names: Vec<&str> = tiers.iter().map(|t| t.as_str()).collect();
        out.push(finding(
            ids::REUSED_ACROSS_TIERS,
            if has_production {
                Severity::Critical
            } else {
                Severity::High
            },
            top,
            members.iter().map(|m| m.0.id()).collect(),
            format!(
                "the same value (fingerprint {fp}) is used in {} tiers; anyone with {} access \
                 holds the {} secret. Give each tier its own value.",
                tier_names.join(" and "),
                tier_names.first().copied().unwrap_or("another"),
                tier_names.last().copied().unwrap_or("other"),
            ),
            members
                .iter()
                .max_by_key(|m| m.1)
                .and_then(|m| m.0.origin.clone()),
        ));
    }
}

/// Whether any finding is at or above a threshold (`None` = never fail).
pub fn fails(findings: &[Finding], threshold: Option<Severity>) -> bool {
    threshold.is_some_and(|t| findings.iter().any(|f| f.severity >= t))
}
