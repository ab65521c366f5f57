//! Risks the map reveals: one environment holding different values for a variable, tests
//! loading files with real values, and reads that fall back to a default.

use std::collections::{BTreeMap, BTreeSet};

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::scan::{Fingerprint, HitClass, ScanReport};

/// One risk, in a stable order: conflicts, then test references, then fallback defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Risk {
    /// Definitions of `var` in one environment whose values differ: whichever copy a service
    /// reads, another service disagrees with it.
    ConflictingValues {
        var: String,
        environment: Option<String>,
        definitions: Vec<RiskLocation>,
    },
    /// A test names a file that holds definitions: the test suite runs with (and may leak or
    /// pin) the values of a real environment.
    TestUsesDefinitionFile {
        test_path: String,
        line: usize,
        file: String,
    },
    /// A read with a fallback default: when the variable is missing the service starts with a
    /// value nobody else has instead of failing loudly.
    FallbackDefault {
        var: String,
        path: String,
        line: usize,
        service: String,
    },
}

/// A definition taking part in a conflict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiskLocation {
    pub path: String,
    pub line: usize,
    pub service: String,
    pub fingerprint: String,
}

/// The caller's fingerprint of a value, or `(empty)`: an empty value is a finding in itself and
/// its fingerprint would look like a real one.
pub(crate) fn show_fingerprint(value: &SecretString, fp: Fingerprint<'_>) -> String {
    if value.expose_secret().is_empty() {
        "(empty)".to_string()
    } else {
        fp(value)
    }
}

/// Every risk in `report`, comparing values only through `fp`.
pub fn risks(report: &ScanReport, fp: Fingerprint<'_>) -> Vec<Risk> {
    let mut groups: BTreeMap<(&str, Option<&str>), Vec<RiskLocation>> = BTreeMap::new();
    for hit in &report.hits {
        let Some(value) = &hit.value else { continue };
        if matches!(hit.class, HitClass::Definition | HitClass::Deployment) {
            groups
                .entry((hit.var.as_str(), hit.environment.as_deref()))
                .or_default()
                .push(RiskLocation {
                    path: hit.path.clone(),
                    line: hit.line,
                    service: hit.service.clone(),
                    fingerprint: show_fingerprint(value, fp),
                });
        }
    }
    let mut out: Vec<Risk> = groups
        .into_iter()
        .filter(|(_, locs)| {
            locs.iter()
                .map(|l| &l.fingerprint)
                .collect::<BTreeSet<_>>()
                .len()
                > 1
        })
        .map(|((var, env), definitions)| Risk::ConflictingValues {
            var: var.to_string(),
            environment: env.map(str::to_string),
            definitions,
        })
        .collect();
    out.extend(
        report
            .test_references
            .iter()
            .map(|r| Risk::TestUsesDefinitionFile {
                test_path: r.test_path.clone(),
                line: r.line,
                file: r.file.clone(),
            }),
    );
    out.extend(
        report
            .hits
            .iter()
            .filter(|h| {
                h.has_default && !matches!(h.class, HitClass::Test | HitClass::Documentation)
            })
            .map(|h| Risk::FallbackDefault {
                var: h.var.clone(),
                path: h.path.clone(),
                line: h.line,
                service: h.service.clone(),
            }),
    );
    out
}

impl Risk {
    /// One line for terminals and Markdown lists; paths in backticks.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::ConflictingValues {
                var,
                environment,
                definitions,
            } => {
                let places: Vec<String> = definitions
                    .iter()
                    .map(|d| {
                        format!(
                            "`{}:{}` ({}, fingerprint `{}`)",
                            d.path, d.line, d.service, d.fingerprint
                        )
                    })
                    .collect();
                format!(
                    "Conflicting values: `{var}` in {} differs between {}",
                    environment
                        .as_deref()
                        .unwrap_or("(unspecified environment)"),
                    places.join(", ")
                )
            }
            Self::TestUsesDefinitionFile {
                test_path,
                line,
                file,
            } => format!("Test uses a definition file: `{test_path}:{line}` names `{file}`"),
            Self::FallbackDefault {
                var,
                path,
                line,
                service,
            } => format!(
                "Fallback default: `{path}:{line}` ({service}) reads `{var}` with a default"
            ),
        }
    }
}
