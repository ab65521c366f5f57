//! `scan` on `tests/fixtures/scan-platform`: a three-service platform (auth-service in
//! Python/FastAPI, backend in TypeScript, analytics in Go) with compose files per environment,
//! env files, Kubernetes, Helm, Terraform, a GitHub workflow, a Dockerfile, a deploy script,
//! tests and docs. Every planted hit is listed below; the scan must find exactly these.

mod scan_common;

use std::collections::BTreeMap;
use std::path::Path;

use secretops::scan::{HitClass, Origin, Risk, ScanStats, ServiceCounts, scan, service_counts};

use HitClass::{Definition as Def, Deployment as Dep, Documentation as Doc, Read, Test};

/// (path, line, var, class, service, environment, has literal value, has default)
type Expected = (
    &'static str,
    usize,
    &'static str,
    HitClass,
    &'static str,
    Option<&'static str>,
    bool,
    bool,
);

const S: &str = "SERVICE_SECRET";
const J: &str = "JWT_SECRET_KEY";
const DEV: Option<&str> = Some("development");
const STG: Option<&str> = Some("staging");
const PROD: Option<&str> = Some("production");
const TEST: Option<&str> = Some("test");

#[rustfmt::skip]
const EXPECTED: &[Expected] = &[
    (".env.development", 2, S, Def, "(root)", DEV, true, false),
    (".env.development", 3, J, Def, "(root)", DEV, true, false),
    (".github/workflows/deploy.yml", 10, S, Dep, "ci", None, false, false),
    (".github/workflows/deploy.yml", 11, J, Dep, "ci", None, false, false),
    ("README.md", 3, J, Doc, "(root)", None, false, false),
    ("README.md", 3, S, Doc, "(root)", None, false, false),
    ("analytics/config/pipeline.yaml", 2, S, Read, "analytics", None, false, false),
    ("analytics/config/pipeline.yaml", 3, J, Read, "analytics", None, false, true),
    ("analytics/main.go", 10, S, Read, "analytics", None, false, false),
    ("analytics/main.go", 14, J, Read, "analytics", None, false, false),
    ("analytics/main_test.go", 6, S, Test, "analytics", TEST, false, false),
    ("auth-service/Dockerfile", 2, S, Dep, "auth-service", None, false, false),
    ("auth-service/Dockerfile", 3, J, Dep, "auth-service", None, true, false),
    ("auth-service/app/security.py", 6, S, Read, "auth-service", None, false, false),
    ("auth-service/app/security.py", 7, J, Read, "auth-service", None, false, true),
    ("auth-service/app/settings.py", 6, S, Read, "auth-service", None, false, false),
    ("auth-service/app/settings.py", 7, J, Read, "auth-service", None, false, true),
    ("auth-service/tests/test_security.py", 10, S, Test, "auth-service", TEST, false, false),
    ("backend/config/custom-environment-variables.json", 3, S, Read, "backend", None, false, false),
    ("backend/src/__tests__/client.spec.ts", 5, S, Test, "backend", None, false, false),
    ("backend/src/config.ts", 3, S, Read, "backend", None, false, false),
    ("backend/src/config.ts", 4, J, Read, "backend", None, false, true),
    ("backend/src/middleware.ts", 3, S, Read, "backend", None, false, false),
    ("config/production.env", 3, S, Def, "config", PROD, true, false),
    ("config/production.env", 4, J, Def, "config", PROD, true, false),
    ("config/staging.env", 1, S, Def, "config", STG, true, false),
    ("config/staging.env", 2, J, Def, "config", STG, true, false),
    ("deploy/deploy.sh", 4, S, Dep, "platform-ops", None, false, false),
    ("deploy/deploy.sh", 6, S, Dep, "platform-ops", None, false, false),
    ("deploy/helm/platform/values-prod.yaml", 4, S, Dep, "analytics", PROD, false, false),
    ("deploy/k8s/production/auth-service.yaml", 12, S, Dep, "auth-service", PROD, false, false),
    ("deploy/k8s/production/auth-service.yaml", 17, J, Dep, "auth-service", PROD, true, false),
    ("deploy/k8s/production/backend.yaml", 12, S, Dep, "backend", PROD, false, false),
    ("docker-compose.staging.yml", 5, S, Def, "auth-service", STG, true, false),
    ("docker-compose.staging.yml", 6, J, Def, "auth-service", STG, false, false),
    ("docker-compose.staging.yml", 10, S, Def, "backend", STG, true, false),
    ("docker-compose.staging.yml", 14, J, Def, "analytics", STG, false, false),
    ("docker-compose.staging.yml", 14, S, Def, "analytics", STG, false, false),
    ("docker-compose.yml", 4, J, Def, "auth-service", DEV, false, false),
    ("docker-compose.yml", 4, S, Def, "auth-service", DEV, false, false),
    ("docker-compose.yml", 9, J, Def, "backend", DEV, false, false),
    ("docker-compose.yml", 9, S, Def, "backend", DEV, false, false),
    ("docker-compose.yml", 11, S, Def, "backend", DEV, false, true),
    ("docker-compose.yml", 16, J, Def, "analytics", DEV, false, false),
    ("docker-compose.yml", 16, S, Def, "analytics", DEV, false, false),
    ("docs/architecture.md", 7, S, Doc, "docs", None, false, false),
    ("infra/terraform/main.tf", 7, S, Dep, "infra", None, false, false),
    ("infra/terraform/production.tfvars", 2, J, Dep, "infra", PROD, true, false),
];

fn actual(report: &secretops::scan::ScanReport) -> Vec<Expected> {
    // Leak the strings so rows compare with the `&'static str` table; a test process is short.
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    report
        .hits
        .iter()
        .map(|h| {
            (
                leak(&h.path),
                h.line,
                leak(&h.var),
                h.class,
                leak(&h.service),
                h.environment.as_deref().map(leak),
                h.value.is_some(),
                h.has_default,
            )
        })
        .collect()
}

#[test]
fn every_planted_hit_exactly() {
    let report = scan(&scan_common::fixture_options());
    let got = actual(&report);
    for (want, have) in EXPECTED.iter().zip(&got) {
        assert_eq!(want, have);
    }
    assert_eq!(got.len(), EXPECTED.len(), "extra or missing hits: {got:#?}");
}

#[test]
fn skipped_and_scanned_files() {
    let report = scan(&scan_common::fixture_options());
    assert_eq!(
        report.stats,
        ScanStats {
            files_scanned: 27,
            skipped_binary: 1,
            skipped_too_large: 0,
            skipped_unreadable: 0,
        }
    );
    assert!(
        report
            .hits
            .iter()
            .all(|h| h.path != ".env.local" && h.path != "analytics/bin/collector")
    );
}

/// The ignored file and the binary must really be there, or the two checks above prove
/// nothing. A copy made with `git add` drops `.env.local`: add it with `git add -f`.
#[test]
fn ignored_and_binary_files_are_planted() {
    let root = scan_common::fixture_root();
    let ignored =
        std::fs::read_to_string(root.join(".env.local")).expect(".env.local (git add -f)");
    assert!(ignored.contains("SERVICE_SECRET="));
    let binary = std::fs::read(root.join("analytics/bin/collector")).expect("binary fixture");
    assert!(binary[..8].contains(&0));
    assert!(binary.windows(S.len()).any(|w| w == S.as_bytes()));
}

#[test]
fn compose_env_file_references_name_their_file() {
    let report = scan(&scan_common::fixture_options());
    let via: Vec<(&str, usize, Option<&str>, Option<&str>)> = report
        .hits
        .iter()
        .filter(|h| h.var == S)
        .filter_map(|h| match &h.origin {
            Origin::Compose {
                service,
                via_env_file,
            } => Some((
                h.path.as_str(),
                h.line,
                service.as_deref(),
                via_env_file.as_deref(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        via,
        vec![
            ("docker-compose.staging.yml", 5, Some("auth-service"), None),
            ("docker-compose.staging.yml", 10, Some("backend"), None),
            (
                "docker-compose.staging.yml",
                14,
                Some("analytics"),
                Some("config/staging.env")
            ),
            (
                "docker-compose.yml",
                4,
                Some("auth-service"),
                Some(".env.development")
            ),
            (
                "docker-compose.yml",
                9,
                Some("backend"),
                Some(".env.development")
            ),
            ("docker-compose.yml", 11, Some("backend"), None),
            (
                "docker-compose.yml",
                16,
                Some("analytics"),
                Some(".env.development")
            ),
        ]
    );
}

#[test]
fn risks_found() {
    let report = scan(&scan_common::fixture_options());
    let found = secretops::scan::risks(&report, &scan_common::fingerprint);
    let summary: Vec<String> = found
        .iter()
        .map(|r| match r {
            Risk::ConflictingValues {
                var,
                environment,
                definitions,
            } => {
                let places: Vec<String> = definitions
                    .iter()
                    .map(|d| format!("{}:{}", d.path, d.line))
                    .collect();
                format!(
                    "conflict {var} {} {}",
                    environment.as_deref().unwrap_or("-"),
                    places.join(",")
                )
            }
            Risk::TestUsesDefinitionFile {
                test_path,
                line,
                file,
            } => format!("test {test_path}:{line} {file}"),
            Risk::FallbackDefault {
                var, path, line, ..
            } => format!("default {var} {path}:{line}"),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            "conflict JWT_SECRET_KEY production config/production.env:4,deploy/k8s/production/auth-service.yaml:17,infra/terraform/production.tfvars:2",
            "conflict SERVICE_SECRET staging config/staging.env:1,docker-compose.staging.yml:5,docker-compose.staging.yml:10",
            "test auth-service/tests/test_security.py:6 .env.development",
            "default JWT_SECRET_KEY analytics/config/pipeline.yaml:3",
            "default JWT_SECRET_KEY auth-service/app/security.py:7",
            "default JWT_SECRET_KEY auth-service/app/settings.py:7",
            "default JWT_SECRET_KEY backend/src/config.ts:4",
            "default SERVICE_SECRET docker-compose.yml:11",
        ]
    );
}

#[test]
fn counts_per_service() {
    let report = scan(&scan_common::fixture_options());
    let c = |definitions, reads, tests, deployment_files, docs| ServiceCounts {
        definitions,
        reads,
        tests,
        deployment_files,
        docs,
    };
    let want: BTreeMap<String, ServiceCounts> = [
        ("(root)", c(2, 0, 0, 0, 2)),
        ("analytics", c(4, 4, 1, 1, 0)),
        ("auth-service", c(4, 4, 1, 2, 0)),
        ("backend", c(4, 4, 1, 1, 0)),
        ("ci", c(0, 0, 0, 1, 0)),
        ("config", c(4, 0, 0, 0, 0)),
        ("docs", c(0, 0, 0, 0, 1)),
        ("infra", c(0, 0, 0, 2, 0)),
        ("platform-ops", c(0, 0, 0, 1, 0)),
    ]
    .into_iter()
    .map(|(s, c)| (s.to_string(), c))
    .collect();
    assert_eq!(service_counts(&report), want);
}

#[test]
fn root_without_vars_or_folder_reports_nothing() {
    let mut opts = scan_common::fixture_options();
    opts.vars.clear();
    assert!(scan(&opts).hits.is_empty());
    opts.vars = vec![S.to_string()];
    opts.root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/no-such-folder");
    let report = scan(&opts);
    assert!(report.hits.is_empty());
    assert_eq!(report.stats.skipped_unreadable, 1);
}
