//! Headless reports: what `secretops check` and `secretops diff` print, as text or JSON.

use std::fmt::Write as _;

use crossterm::style::{Color, Stylize};
use serde::Serialize;

use crate::findings::{Finding, Severity};
use crate::fingerprint::Fingerprint;
use crate::inventory::{Inventory, Role};
use crate::snapshot::{Snapshot, Status};

/// The JSON document of `secretops check --format json`.
#[derive(Serialize)]
pub struct CheckReport<'a> {
    pub secret: &'a str,
    pub environments: Vec<EnvReport<'a>>,
    pub findings: Vec<&'a Finding>,
}

#[derive(Serialize)]
pub struct EnvReport<'a> {
    pub name: &'a str,
    pub tier: &'static str,
    pub services: Vec<ServiceReport<'a>>,
    /// Environment-wide live signals (`auth` set on the environment), with `--live`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveReport>,
}

#[derive(Serialize)]
pub struct ServiceReport<'a> {
    pub name: &'a str,
    pub role: Role,
    pub status: Status,
    pub fingerprint: Option<&'a str>,
    pub length: Option<usize>,
    pub origin: Option<&'a str>,
    pub error: Option<&'a str>,
    /// A secret manager's version, state, creation time and checksum verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
    /// A secret manager's recent versions with fingerprints of the enabled ones.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub versions: &'a [crate::snapshot::VersionSummary],
    /// Health, breakers and auth rates, with `--live`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveReport>,
}

/// Live signals of one service (or an environment's `auth`).
#[derive(Serialize)]
pub struct LiveReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub breakers: Vec<BreakerReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthReport>,
}

#[derive(Serialize)]
pub struct BreakerReport {
    pub instance: String,
    pub name: Option<String>,
    /// `null` when the instance could not be read or does not say.
    pub state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize)]
pub struct AuthReport {
    pub success_per_s: Option<f64>,
    pub failure_per_s: Option<f64>,
    /// `null` without traffic: no traffic is not 0% failure.
    pub failure_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn auth_report(track: &crate::live::state::AuthTrack, configured: bool) -> Option<AuthReport> {
    if !configured {
        return None;
    }
    let error = track
        .current
        .as_ref()
        .and_then(|o| o.value.as_ref().err().cloned());
    let rates = track.rates();
    Some(AuthReport {
        success_per_s: rates.map(|r| round3(r.success_per_s)),
        failure_per_s: rates.map(|r| round3(r.failure_per_s)),
        failure_ratio: rates.and_then(|r| r.failure_ratio()).map(round3),
        error,
    })
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn service_live(
    svc: &crate::inventory::Service,
    live: &crate::live::state::ServiceLive,
) -> LiveReport {
    use crate::live::health::Health;
    let health = live.health.as_ref();
    LiveReport {
        health: svc
            .live
            .health
            .as_ref()
            .map(|_| health.map_or("unknown", |h| h.value.word())),
        health_detail: health.and_then(|h| match &h.value {
            Health::Up => None,
            Health::Down(r) | Health::Unreachable(r) => Some(r.clone()),
        }),
        latency_ms: health
            .and_then(|h| h.latency)
            .map(|l| u64::try_from(l.as_millis()).unwrap_or(u64::MAX)),
        breakers: live
            .breakers
            .iter()
            .enumerate()
            .flat_map(|(i, slot)| {
                let url = svc
                    .live
                    .breaker
                    .as_ref()
                    .and_then(|b| b.urls.get(i))
                    .map_or_else(String::new, |u| crate::live::breaker::instance_name(u));
                match slot.as_ref().map(|o| &o.value.result) {
                    None => vec![BreakerReport {
                        instance: url,
                        name: None,
                        state: None,
                        error: Some("not read".into()),
                    }],
                    Some(Err(e)) => vec![BreakerReport {
                        instance: url,
                        name: None,
                        state: None,
                        error: Some(e.clone()),
                    }],
                    Some(Ok(list)) => list
                        .iter()
                        .map(|b| BreakerReport {
                            instance: url.clone(),
                            name: Some(b.name.clone()),
                            state: Some(b.state.map_or("UNKNOWN", |s| s.as_str())),
                            error: None,
                        })
                        .collect(),
                }
            })
            .collect(),
        auth: auth_report(&live.auth, svc.live.auth.is_some()),
    }
}

/// Builds the check report for the chosen environments (all when `only` is empty).
///
/// Findings are kept when any of their services is in a chosen environment, so a value reused
/// from another tier still shows when checking one environment.
pub fn check_report<'a>(
    inv: &'a Inventory,
    snapshot: &'a Snapshot,
    findings: &'a [Finding],
    only: &[String],
    live: Option<&crate::live::state::LiveState>,
) -> CheckReport<'a> {
    let chosen = |env: &str| only.is_empty() || only.iter().any(|o| o == env);
    let environments = snapshot
        .environments
        .iter()
        .enumerate()
        .filter(|(_, e)| chosen(&e.name))
        .map(|(ei, e)| EnvReport {
            name: &e.name,
            tier: e.tier.as_str(),
            live: live.and_then(|l| {
                let spec = inv.environments.get(ei)?;
                auth_report(l.environments.get(ei)?, spec.live.auth.is_some()).map(|auth| {
                    LiveReport {
                        health: None,
                        health_detail: None,
                        latency_ms: None,
                        breakers: Vec::new(),
                        auth: Some(auth),
                    }
                })
            }),
            services: e
                .services
                .iter()
                .enumerate()
                .map(|(si, s)| ServiceReport {
                    name: &s.name,
                    role: s.role,
                    status: s.status,
                    fingerprint: s.fingerprint.as_ref().map(Fingerprint::as_str),
                    length: s.length,
                    origin: s.origin.as_deref(),
                    error: s.error.as_deref(),
                    detail: s.detail.as_deref(),
                    versions: &s.versions,
                    live: live.and_then(|l| {
                        let spec = inv.environments.get(ei)?.services.get(si)?;
                        let state = l.service(ei, si)?;
                        (!spec.live.is_empty()).then(|| service_live(spec, state))
                    }),
                })
                .collect(),
        })
        .collect();
    let findings = findings
        .iter()
        .filter(|f| {
            only.is_empty()
                || f.services
                    .iter()
                    .any(|s| s.split_once('/').is_some_and(|(env, _)| chosen(env)))
        })
        .collect();
    CheckReport {
        secret: &inv.secret,
        environments,
        findings,
    }
}

/// Colour for a severity in text output.
fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Red,
        Severity::High => Color::Magenta,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Blue,
    }
}

fn paint(text: &str, color: Color, on: bool) -> String {
    if on {
        text.with(color).to_string()
    } else {
        text.to_string()
    }
}

/// Renders the check report as a table per environment and the findings by severity.
///
/// Names, paths and messages come from files and endpoints: each is cleaned of control and
/// text-direction characters, so nothing can move the cursor or forge a line.
pub fn check_text(report: &CheckReport<'_>, color: bool) -> String {
    use crate::clean_text as c;
    let mut out = String::new();
    let _ = writeln!(out, "secret: {}", report.secret);
    for env in &report.environments {
        let _ = writeln!(
            out,
            "\n{} ({})",
            paint(&c(env.name), Color::Cyan, color),
            env.tier
        );
        let _ = writeln!(
            out,
            "  {:<20} {:<9} {:<8} {:<12} {:>6}  origin",
            "service", "role", "status", "fingerprint", "length"
        );
        for s in &env.services {
            let status = match s.status {
                Status::Present => paint("present", Color::Green, color),
                Status::Missing => paint("missing", Color::Red, color),
                Status::Error => paint("error", Color::Red, color),
                Status::Loading => "loading".to_string(),
            };
            let pad = 8usize.saturating_sub(s.status.as_str().len());
            let _ = writeln!(
                out,
                "  {:<20} {:<9} {status}{} {:<12} {:>6}  {}",
                c(s.name),
                s.role.as_str(),
                " ".repeat(pad),
                s.fingerprint.unwrap_or("-"),
                s.length.map_or_else(|| "-".to_string(), |l| l.to_string()),
                c(s.error.or(s.origin).unwrap_or("-")),
            );
            if let Some(live) = &s.live {
                let _ = writeln!(out, "  {:<20} {}", "", c(&live_text(live)));
            }
        }
        if let Some(auth) = env.live.as_ref().and_then(|l| l.auth.as_ref()) {
            let _ = writeln!(out, "  auth: {}", c(&auth_text(auth)));
        }
    }
    let _ = writeln!(out);
    if report.findings.is_empty() {
        let _ = writeln!(out, "{}", paint("no findings", Color::Green, color));
    } else {
        let _ = writeln!(out, "findings ({}):", report.findings.len());
        for f in &report.findings {
            let sev = format!("{:<8}", f.severity.as_str());
            let _ = writeln!(
                out,
                "  {} {:<22} {}",
                paint(&sev, severity_color(f.severity), color),
                f.id,
                c(&f.message)
            );
            if let Some(loc) = &f.location {
                let _ = writeln!(out, "  {:<8} {:<22} at {}", "", "", c(loc));
            }
        }
    }
    out
}

fn auth_text(a: &AuthReport) -> String {
    if let Some(e) = &a.error {
        return format!("cannot read rates: {}", crate::view_text(e, 100));
    }
    match (a.failure_ratio, a.success_per_s, a.failure_per_s) {
        (Some(r), Some(s), Some(f)) => {
            format!(
                "{:.1}% failing ({f:.1}/s failing, {s:.1}/s succeeding)",
                r * 100.0
            )
        }
        (None, Some(_), _) => "no traffic".to_string(),
        _ => "no rate yet".to_string(),
    }
}

/// One line of live signals under a service in the text report.
fn live_text(l: &LiveReport) -> String {
    let mut parts = Vec::new();
    if let Some(h) = l.health {
        let mut p = format!("health {h}");
        if let Some(ms) = l.latency_ms {
            let _ = write!(p, " {ms} ms");
        }
        if let Some(d) = &l.health_detail {
            let _ = write!(p, " ({})", crate::view_text(d, 60));
        }
        parts.push(p);
    }
    for b in &l.breakers {
        parts.push(match (&b.state, &b.error) {
            (_, Some(e)) => format!("breaker on {}: {}", b.instance, crate::view_text(e, 60)),
            (Some(s), None) => format!(
                "breaker {} on {}: {s}",
                crate::view_text(b.name.as_deref().unwrap_or("?"), 30),
                b.instance
            ),
            (None, None) => format!("breaker on {}: unknown", b.instance),
        });
    }
    if let Some(a) = &l.auth {
        parts.push(format!("auth {}", auth_text(a)));
    }
    parts.join("; ")
}

/// One row of `secretops diff`.
#[derive(Serialize)]
pub struct DiffRow<'a> {
    pub service: &'a str,
    pub a: Option<DiffSide<'a>>,
    pub b: Option<DiffSide<'a>>,
    /// Both present with the same fingerprint.
    pub agree: bool,
}

#[derive(Serialize)]
pub struct DiffSide<'a> {
    pub status: Status,
    pub fingerprint: Option<&'a str>,
}

/// The JSON document of `secretops diff`.
#[derive(Serialize)]
pub struct DiffReport<'a> {
    pub a: &'a str,
    pub b: &'a str,
    pub services: Vec<DiffRow<'a>>,
}

/// Pairs two environments' services by name, in the order they first appear.
pub fn diff_report<'a>(snapshot: &'a Snapshot, a: &'a str, b: &'a str) -> Option<DiffReport<'a>> {
    let ea = snapshot.environments.iter().find(|e| e.name == a)?;
    let eb = snapshot.environments.iter().find(|e| e.name == b)?;
    let mut names: Vec<&str> = ea.services.iter().map(|s| s.name.as_str()).collect();
    for s in &eb.services {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let side = |e: &'a crate::snapshot::EnvState, n: &str| {
        e.services.iter().find(|s| s.name == n).map(|s| DiffSide {
            status: s.status,
            fingerprint: s.fingerprint.as_ref().map(Fingerprint::as_str),
        })
    };
    let services = names
        .into_iter()
        .map(|n| {
            let (sa, sb) = (side(ea, n), side(eb, n));
            let agree = matches!((&sa, &sb), (Some(x), Some(y))
                if x.fingerprint.is_some() && x.fingerprint == y.fingerprint);
            DiffRow {
                service: n,
                a: sa,
                b: sb,
                agree,
            }
        })
        .collect();
    Some(DiffReport { a, b, services })
}

/// Renders a diff as a side-by-side table.
pub fn diff_text(d: &DiffReport<'_>, color: bool) -> String {
    let cell = |s: &Option<DiffSide<'_>>| match s {
        None => "(absent)".to_string(),
        Some(s) => s
            .fingerprint
            .map_or_else(|| format!("({})", s.status.as_str()), ToString::to_string),
    };
    let mut out = String::new();
    let _ = writeln!(out, "  {:<20} {:<14} {:<14} verdict", "service", d.a, d.b);
    for r in &d.services {
        let service = crate::clean_text(r.service);
        let verdict = if r.agree {
            paint("same", Color::Green, color)
        } else {
            paint("differs", Color::Yellow, color)
        };
        let _ = writeln!(
            out,
            "  {:<20} {:<14} {:<14} {verdict}",
            service,
            cell(&r.a),
            cell(&r.b)
        );
    }
    out
}
