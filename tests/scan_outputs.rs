//! The summary table, JSON and Markdown outputs, and the promise that no planted value ever
//! appears in any output (the draft inventory included).

mod scan_common;

use std::path::Path;

use secretops::scan::{draft_inventory, scan, summary_table, to_json, to_markdown};

/// Every value planted in the fixtures, including the ignored file's and the binary's.
const CANARIES: &[&str] = &[
    "canary-ignored-local-override",
    "canary-dev-service-secret-1",
    "canary-dev-jwt-1",
    "canary-prod-service-secret",
    "canary-prod-jwt-env",
    "canary-staging-secret-a",
    "canary-staging-secret-b",
    "canary-staging-jwt",
    "canary-compose-default",
    "canary-insecure-dev-jwt-default",
    "canary-dev-only-jwt",
    "canary-test-secret",
    "canary-dev-jwt-fallback",
    "canary-jest-secret",
    "canary-go-test-secret",
    "canary-yaml-default",
    "canary-binary-embedded",
    "canary-docker-jwt",
    "canary-prod-jwt-k8s",
    "canary-tfvars-jwt",
];

#[test]
fn no_value_appears_in_any_output() {
    let root = scan_common::fixture_root();
    let planted = all_text(&root);
    for canary in CANARIES {
        assert!(planted.contains(canary), "{canary} is not planted");
    }
    let report = scan(&scan_common::fixture_options());
    let handed = scan(&scan_common::handed_options());
    let fp = &scan_common::fingerprint;
    let outputs = [
        summary_table(&report, fp),
        to_json(&report, fp),
        to_markdown(&report, fp),
        draft_inventory(&report, "SERVICE_SECRET"),
        draft_inventory(&report, "JWT_SECRET_KEY"),
        format!("{report:?}"),
        to_json(&handed, fp),
        to_markdown(&handed, fp),
    ];
    for out in &outputs {
        assert!(
            !out.to_ascii_lowercase().contains("canary"),
            "a value leaked:\n{out}"
        );
        assert!(!out.contains(".env.local"));
    }
    // The handed case's values, read from its own files.
    for line in all_text(&scan_common::handed_options().root).lines() {
        if let Some((_, value)) = line.split_once("SERVICE_SECRET=") {
            let value = value
                .trim_matches(['"', '\''])
                .split(' ')
                .next()
                .unwrap_or("");
            if value.len() > 8 {
                assert!(
                    outputs[6..].iter().all(|o| !o.contains(value)),
                    "{value} leaked"
                );
            }
        }
    }
}

fn all_text(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).expect("fixture folder") {
        let path = entry.expect("fixture entry").path();
        if path.is_dir() {
            out.push_str(&all_text(&path));
        } else {
            out.push_str(&String::from_utf8_lossy(
                &std::fs::read(&path).expect("fixture file"),
            ));
        }
    }
    out
}

#[test]
fn json_schema_is_stable() {
    let report = scan(&scan_common::fixture_options());
    let json: serde_json::Value =
        serde_json::from_str(&to_json(&report, &scan_common::fingerprint)).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        vec!["counts", "hits", "risks", "schema", "skipped", "vars"]
    );
    assert_eq!(json["schema"], "secretops.scan/1");
    assert_eq!(json["counts"]["hits"], 48);
    assert_eq!(json["counts"]["risks"], 8);
    assert_eq!(json["counts"]["by_class"]["definition"], 18);
    assert_eq!(json["counts"]["by_class"]["deployment"], 12);
    assert_eq!(json["skipped"]["binary"], 1);
    let hits = json["hits"].as_array().unwrap();
    let hit_keys: Vec<&str> = hits[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        hit_keys,
        vec![
            "class",
            "compose_service",
            "environment",
            "fingerprint",
            "has_default",
            "line",
            "origin",
            "path",
            "service",
            "var",
            "via_env_file"
        ]
    );
    let with_fp = hits.iter().filter(|h| h["fingerprint"].is_string()).count();
    assert_eq!(with_fp, 11);
    assert!(hits.iter().all(|h| {
        h["fingerprint"]
            .as_str()
            .is_none_or(|f| f.starts_with("fp-"))
    }));
    let kinds: Vec<&str> = json["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds[..3],
        [
            "conflicting-values",
            "conflicting-values",
            "test-uses-definition-file"
        ]
    );
}

#[test]
fn summary_table_and_markdown_shape() {
    let report = scan(&scan_common::fixture_options());
    let table = summary_table(&report, &scan_common::fingerprint);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "SERVICE       DEFINITIONS  READS  TESTS  DEPLOYMENT FILES  DOCS"
    );
    assert_eq!(
        lines[3],
        "auth-service            4      4      1                 2     0"
    );
    assert_eq!(
        lines[10],
        "TOTAL                  18     12      3                 8     3"
    );
    assert!(
        table.ends_with(
            "27 files scanned; skipped 1 binary, 0 over 1 MiB, 0 unreadable. 8 risks.\n"
        )
    );

    let md = to_markdown(&report, &scan_common::fingerprint);
    for needle in [
        "# Secret dependency report",
        "| `auth-service` | 4 | 4 | 1 | 2 | 0 |",
        "## Service `backend`",
        "#### `staging`",
        "- `SERVICE_SECRET` — `docker-compose.yml:11` (definition, compose, no literal value, with a fallback default)",
        "- `SERVICE_SECRET` — `docker-compose.yml:4` (definition, compose, via env_file `.env.development`, no literal value)",
        "- `JWT_SECRET_KEY` — `auth-service/app/security.py:7` (falls back to a default)",
        "3. Test uses a definition file: `auth-service/tests/test_security.py:6` names `.env.development`",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
}
