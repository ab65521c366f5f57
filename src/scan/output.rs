//! The summary table for terminals and the JSON document for machines. Both show fingerprints
//! from the caller's function, never values.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::scan::risks::{Risk, risks, show_fingerprint};
use crate::scan::{Fingerprint, Hit, HitClass, Origin, ScanReport};

/// Per-service counts: hits for definitions, reads, tests and docs; distinct files for
/// deployment, since one manifest often names the variable on several lines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServiceCounts {
    pub definitions: usize,
    pub reads: usize,
    pub tests: usize,
    pub deployment_files: usize,
    pub docs: usize,
}

/// Counts per service, sorted by service name.
#[must_use]
pub fn service_counts(report: &ScanReport) -> BTreeMap<String, ServiceCounts> {
    let mut counts: BTreeMap<String, ServiceCounts> = BTreeMap::new();
    let mut deploy_files: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for hit in &report.hits {
        let c = counts.entry(hit.service.clone()).or_default();
        match hit.class {
            HitClass::Definition => c.definitions += 1,
            HitClass::Read => c.reads += 1,
            HitClass::Test => c.tests += 1,
            HitClass::Documentation => c.docs += 1,
            HitClass::Deployment => {
                deploy_files
                    .entry(&hit.service)
                    .or_default()
                    .insert(&hit.path);
            }
        }
    }
    for (service, files) in deploy_files {
        if let Some(c) = counts.get_mut(service) {
            c.deployment_files = files.len();
        }
    }
    counts
}

/// A fixed-width table: one row per service, a total row, then what was skipped.
pub fn summary_table(report: &ScanReport, fp: Fingerprint<'_>) -> String {
    let counts = service_counts(report);
    let header = [
        "SERVICE",
        "DEFINITIONS",
        "READS",
        "TESTS",
        "DEPLOYMENT FILES",
        "DOCS",
    ];
    let mut rows: Vec<[String; 6]> = counts.iter().map(|(s, c)| row(s, c)).collect();
    let total = counts.values().fold(ServiceCounts::default(), |mut t, c| {
        t.definitions += c.definitions;
        t.reads += c.reads;
        t.tests += c.tests;
        t.deployment_files += c.deployment_files;
        t.docs += c.docs;
        t
    });
    rows.push(row("TOTAL", &total));
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..6).map(width).collect();
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(ToString::to_string).collect();
    for r in std::iter::once(header.as_slice()).chain(rows.iter().map(<[String; 6]>::as_slice)) {
        let mut line = format!("{:<w$}", r[0], w = widths[0]);
        for (cell, w) in r.iter().zip(&widths).skip(1) {
            let _ = write!(line, "  {cell:>w$}");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let s = report.stats;
    let _ = writeln!(
        out,
        "\n{} files scanned; skipped {} binary, {} over 1 MiB, {} unreadable. {} risks.",
        s.files_scanned,
        s.skipped_binary,
        s.skipped_too_large,
        s.skipped_unreadable,
        risks(report, fp).len()
    );
    out
}

fn row(service: &str, c: &ServiceCounts) -> [String; 6] {
    [
        service.to_string(),
        c.definitions.to_string(),
        c.reads.to_string(),
        c.tests.to_string(),
        c.deployment_files.to_string(),
        c.docs.to_string(),
    ]
}

#[derive(Serialize)]
struct JsonReport<'a> {
    /// Bumped on any incompatible change, so consumers can refuse what they do not know.
    schema: &'static str,
    vars: &'a [String],
    counts: JsonCounts,
    skipped: JsonSkipped,
    hits: Vec<JsonHit<'a>>,
    risks: Vec<Risk>,
}

#[derive(Serialize)]
struct JsonCounts {
    files_scanned: usize,
    hits: usize,
    by_class: BTreeMap<&'static str, usize>,
    by_service: BTreeMap<String, ServiceCounts>,
    risks: usize,
}

#[derive(Serialize)]
struct JsonSkipped {
    binary: usize,
    too_large: usize,
    unreadable: usize,
}

#[derive(Serialize)]
struct JsonHit<'a> {
    path: &'a str,
    line: usize,
    var: &'a str,
    class: &'static str,
    service: &'a str,
    environment: Option<&'a str>,
    origin: &'static str,
    compose_service: Option<&'a str>,
    via_env_file: Option<&'a str>,
    fingerprint: Option<String>,
    has_default: bool,
}

fn json_hit<'a>(hit: &'a Hit, fp: Fingerprint<'_>) -> JsonHit<'a> {
    let (compose_service, via_env_file) = match &hit.origin {
        Origin::Compose {
            service,
            via_env_file,
        } => (service.as_deref(), via_env_file.as_deref()),
        _ => (None, None),
    };
    JsonHit {
        path: &hit.path,
        line: hit.line,
        var: &hit.var,
        class: hit.class.as_str(),
        service: &hit.service,
        environment: hit.environment.as_deref(),
        origin: hit.origin.as_str(),
        compose_service,
        via_env_file,
        fingerprint: hit.value.as_ref().map(|v| show_fingerprint(v, fp)),
        has_default: hit.has_default,
    }
}

/// The report as pretty JSON, schema `secretops.scan/1`: every key is always present (`null`
/// when empty) so consumers need no optional-field handling.
pub fn to_json(report: &ScanReport, fp: Fingerprint<'_>) -> String {
    let risks = risks(report, fp);
    let mut by_class = BTreeMap::new();
    for class in [
        HitClass::Definition,
        HitClass::Read,
        HitClass::Test,
        HitClass::Deployment,
        HitClass::Documentation,
    ] {
        let n = report.hits.iter().filter(|h| h.class == class).count();
        by_class.insert(class.as_str(), n);
    }
    let doc = JsonReport {
        schema: "secretops.scan/1",
        vars: &report.vars,
        counts: JsonCounts {
            files_scanned: report.stats.files_scanned,
            hits: report.hits.len(),
            by_class,
            by_service: service_counts(report),
            risks: risks.len(),
        },
        skipped: JsonSkipped {
            binary: report.stats.skipped_binary,
            too_large: report.stats.skipped_too_large,
            unreadable: report.stats.skipped_unreadable,
        },
        hits: report.hits.iter().map(|h| json_hit(h, fp)).collect(),
        risks,
    };
    // Serializing plain structs of strings and numbers cannot fail.
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
