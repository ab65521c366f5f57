//! Live findings: breakers open or half open, services unreachable, auth failing. They turn
//! "403 spike + breaker OPEN + fingerprints differ" into one diagnosis next to the static ones.

use super::health::Health;
use super::spec::BreakerState;
use super::state::{AuthTrack, LiveState};
use crate::findings::{Finding, Severity};
use crate::inventory::{Inventory, Tier};

/// Stable identifiers, documented in docs/findings.md.
pub mod ids {
    pub const BREAKER_OPEN: &str = "breaker-open";
    pub const BREAKER_HALF_OPEN: &str = "breaker-half-open";
    pub const SERVICE_UNREACHABLE: &str = "service-unreachable";
    pub const AUTH_FAILURE_RATE: &str = "auth-failure-rate";
}

/// Failure ratio from which auth failures are critical in staging and production.
pub const FAILURE_CRITICAL: f64 = 0.5;
/// Failure ratio from which auth failures are a finding at all.
pub const FAILURE_WARN: f64 = 0.05;

fn sev(tier: Tier, live: Severity, other: Severity) -> Severity {
    if tier.is_live() { live } else { other }
}

/// Every live finding.
pub fn evaluate(inv: &Inventory, live: &LiveState) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ei, env) in inv.environments.iter().enumerate() {
        for (si, svc) in env.services.iter().enumerate() {
            let Some(state) = live.service(ei, si) else {
                continue;
            };
            let id = format!("{}/{}", env.name, svc.name);
            if let Some(h) = &state.health {
                let reason = match &h.value {
                    Health::Up => None,
                    Health::Down(r) => Some(format!("answers but is down ({r})")),
                    Health::Unreachable(r) => Some(format!("does not answer ({r})")),
                };
                if let Some(reason) = reason {
                    out.push(Finding {
                        id: ids::SERVICE_UNREACHABLE,
                        severity: sev(env.tier, Severity::High, Severity::Medium),
                        environment: env.name.clone(),
                        services: vec![id.clone()],
                        message: format!(
                            "{id} {reason} at {}. Check that it runs and that the URL is right.",
                            svc.live.health.as_ref().map_or("", |s| s.url.as_str())
                        ),
                        location: None,
                    });
                }
            }
            breaker_findings(state, env.tier, &env.name, &id, &mut out);
            auth_finding(
                &state.auth,
                env.tier,
                &env.name,
                &id,
                vec![id.clone()],
                &mut out,
            );
        }
        if let Some(track) = live.environments.get(ei) {
            // Name the validators, whose rate it is; without any, the whole environment.
            let mut ids: Vec<String> = env
                .services
                .iter()
                .filter(|s| s.role == crate::inventory::Role::Validator)
                .map(|s| format!("{}/{}", env.name, s.name))
                .collect();
            if ids.is_empty() {
                ids = env
                    .services
                    .iter()
                    .map(|s| format!("{}/{}", env.name, s.name))
                    .collect();
            }
            ids.sort();
            auth_finding(track, env.tier, &env.name, &env.name, ids, &mut out);
        }
    }
    out
}

/// `breaker-open` and `breaker-half-open` for one service, across its instances.
fn breaker_findings(
    state: &super::state::ServiceLive,
    tier: Tier,
    env: &str,
    id: &str,
    out: &mut Vec<Finding>,
) {
    let mut open = Vec::new();
    let mut half = Vec::new();
    let mut open_instances = 0;
    for reading in state.breakers.iter().flatten() {
        let mut any_open = false;
        for b in reading.value.result.iter().flatten() {
            let label = format!(
                "{} on {}",
                crate::view_text(&b.name, 40),
                reading.value.instance
            );
            match b.state {
                Some(BreakerState::Open | BreakerState::ForcedOpen) => {
                    any_open = true;
                    open.push(label);
                }
                Some(BreakerState::HalfOpen) => half.push(label),
                _ => {}
            }
        }
        open_instances += usize::from(any_open);
    }
    let total = state.breakers.len();
    if !open.is_empty() {
        out.push(Finding {
            id: ids::BREAKER_OPEN,
            severity: sev(tier, Severity::Critical, Severity::High),
            environment: env.to_string(),
            services: vec![id.to_string()],
            message: format!(
                "{id}: breaker OPEN ({}; {} of {total} instances): its calls are not sent. \
                 Fix the cause (see mismatch / missing findings), then reset the breaker on \
                 every instance.",
                open.join(", "),
                open_instances,
            ),
            location: None,
        });
    }
    if !half.is_empty() {
        out.push(Finding {
            id: ids::BREAKER_HALF_OPEN,
            severity: sev(tier, Severity::Medium, Severity::Low),
            environment: env.to_string(),
            services: vec![id.to_string()],
            message: format!(
                "{id}: breaker HALF_OPEN ({}): it is trying calls again; watch whether it \
                 closes.",
                half.join(", ")
            ),
            location: None,
        });
    }
}

fn auth_finding(
    track: &AuthTrack,
    tier: Tier,
    env: &str,
    whose: &str,
    services: Vec<String>,
    out: &mut Vec<Finding>,
) {
    let Some(rates) = track.rates() else {
        return;
    };
    let Some(ratio) = rates.failure_ratio() else {
        return;
    };
    let severity = if ratio >= FAILURE_CRITICAL {
        sev(tier, Severity::Critical, Severity::High)
    } else if ratio >= FAILURE_WARN {
        sev(tier, Severity::High, Severity::Medium)
    } else {
        return;
    };
    out.push(Finding {
        id: ids::AUTH_FAILURE_RATE,
        severity,
        environment: env.to_string(),
        services,
        message: format!(
            "{whose}: {:.0}% of authentications fail ({:.1}/s failing, {:.1}/s succeeding). Compare \
             the fingerprints of the callers with the validator's.",
            ratio * 100.0,
            rates.failure_per_s,
            rates.success_per_s
        ),
        location: None,
    });
}
