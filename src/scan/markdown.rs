//! A dependency report to paste into a design review: per service and environment, where the
//! secret comes from, who reads it, and the risks found.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::scan::classify::env_order;
use crate::scan::output::service_counts;
use crate::scan::risks::{risks, show_fingerprint};
use crate::scan::{Fingerprint, Hit, HitClass, Origin, ScanReport};

/// `s` as inline code, with backticks (which would end the span) replaced.
fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

/// How a definition gets its value, without showing it.
fn provenance(hit: &Hit, fp: Fingerprint<'_>) -> String {
    let mut parts = vec![format!("{}, {}", hit.class.as_str(), hit.origin.as_str())];
    if let Origin::Compose {
        via_env_file: Some(file),
        ..
    } = &hit.origin
    {
        parts.push(format!("via env_file {}", code(file)));
    }
    match &hit.value {
        Some(v) => parts.push(format!("fingerprint {}", code(&show_fingerprint(v, fp)))),
        None if hit.class == HitClass::Definition => parts.push("no literal value".into()),
        None => {}
    }
    if hit.has_default {
        parts.push("with a fallback default".into());
    }
    parts.join(", ")
}

fn bullet(out: &mut String, hit: &Hit, detail: &str) {
    let place = code(&format!("{}:{}", hit.path, hit.line));
    let _ = write!(out, "- {} — {place}", code(&hit.var));
    if detail.is_empty() {
        out.push('\n');
    } else {
        let _ = writeln!(out, " ({detail})");
    }
}

/// The Markdown report.
pub fn to_markdown(report: &ScanReport, fp: Fingerprint<'_>) -> String {
    let mut out = String::from("# Secret dependency report\n\n");
    let vars: Vec<String> = report.vars.iter().map(|v| code(v)).collect();
    let s = report.stats;
    let _ = writeln!(
        out,
        "Variables: {}. {} files scanned; skipped {} binary, {} over 1 MiB, {} unreadable. \
         Values are never shown: each literal definition shows its fingerprint.\n",
        vars.join(", "),
        s.files_scanned,
        s.skipped_binary,
        s.skipped_too_large,
        s.skipped_unreadable
    );
    out.push_str(
        "## Summary\n\n| Service | Definitions | Reads | Tests | Deployment files | Docs |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|\n");
    for (service, c) in service_counts(report) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            code(&service),
            c.definitions,
            c.reads,
            c.tests,
            c.deployment_files,
            c.docs
        );
    }
    let mut by_service: BTreeMap<&str, Vec<&Hit>> = BTreeMap::new();
    for hit in &report.hits {
        by_service.entry(&hit.service).or_default().push(hit);
    }
    for (service, hits) in by_service {
        let _ = writeln!(out, "\n## Service {}", code(service));
        service_section(&mut out, &hits, fp);
    }
    out.push_str("\n## Risks\n\n");
    let found = risks(report, fp);
    if found.is_empty() {
        out.push_str("No risks found.\n");
    }
    for (i, risk) in found.iter().enumerate() {
        let _ = writeln!(out, "{}. {}", i + 1, risk.describe());
    }
    out
}

fn service_section(out: &mut String, hits: &[&Hit], fp: Fingerprint<'_>) {
    let mut sources: Vec<&Hit> = hits
        .iter()
        .copied()
        .filter(|h| matches!(h.class, HitClass::Definition | HitClass::Deployment))
        .collect();
    if !sources.is_empty() {
        out.push_str("\n### Where it comes from\n");
        sources.sort_by_key(|h| env_order(h.environment.as_deref()));
        let mut current: Option<Option<&str>> = None;
        for hit in sources {
            let env = hit.environment.as_deref();
            if current != Some(env) {
                let _ = writeln!(
                    out,
                    "\n#### {}\n",
                    env.map_or_else(|| "Unspecified environment".to_string(), code)
                );
                current = Some(env);
            }
            bullet(out, hit, &provenance(hit, fp));
        }
    }
    let sections = [
        (HitClass::Read, "Who reads it"),
        (HitClass::Test, "Tests"),
        (HitClass::Documentation, "Documentation"),
    ];
    for (class, title) in sections {
        let list: Vec<&&Hit> = hits.iter().filter(|h| h.class == class).collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n### {title}\n");
        for hit in list {
            let detail = if hit.has_default && class == HitClass::Read {
                "falls back to a default"
            } else {
                ""
            };
            bullet(out, hit, detail);
        }
    }
}
