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
) -> CheckReport<'a> {
    let chosen = |env: &str| only.is_empty() || only.iter().any(|o| o == env);
    let environments = snapshot
        .environments
        .iter()
        .filter(|e| chosen(&e.name))
        .map(|e| EnvReport {
            name: &e.name,
            tier: e.tier.as_str(),
            services: e
                .services
                .iter()
                .map(|s| ServiceReport {
                    name: &s.name,
                    role: s.role,
                    status: s.status,
                    fingerprint: s.fingerprint.as_ref().map(Fingerprint::as_str),
                    length: s.length,
                    origin: s.origin.as_deref(),
                    error: s.error.as_deref(),
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
pub fn check_text(report: &CheckReport<'_>, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "secret: {}", report.secret);
    for env in &report.environments {
        let _ = writeln!(
            out,
            "\n{} ({})",
            paint(env.name, Color::Cyan, color),
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
                s.name,
                s.role.as_str(),
                " ".repeat(pad),
                s.fingerprint.unwrap_or("-"),
                s.length.map_or_else(|| "-".to_string(), |l| l.to_string()),
                s.error.or(s.origin).unwrap_or("-"),
            );
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
                f.message
            );
            if let Some(loc) = &f.location {
                let _ = writeln!(out, "  {:<8} {:<22} at {loc}", "", "");
            }
        }
    }
    out
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
        let verdict = if r.agree {
            paint("same", Color::Green, color)
        } else {
            paint("differs", Color::Yellow, color)
        };
        let _ = writeln!(
            out,
            "  {:<20} {:<14} {:<14} {verdict}",
            r.service,
            cell(&r.a),
            cell(&r.b)
        );
    }
    out
}
