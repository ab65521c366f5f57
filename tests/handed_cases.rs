//! The handed cases (tests/fixtures/handed/*): each inventory's `check --format json` must give
//! exactly the expected statuses, fingerprints, lengths and findings, and the exit status.

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

/// (id, severity, sorted services) — how the handed cases compare findings.
type FindingKey = (String, String, Vec<String>);

fn finding_keys(findings: &[Value]) -> Vec<FindingKey> {
    let mut keys: Vec<FindingKey> = findings
        .iter()
        .filter(|f| f["id"] != "file-permissions")
        .map(|f| {
            let mut services: Vec<String> = f["services"]
                .as_array()
                .expect("services list")
                .iter()
                .map(|s| s.as_str().expect("service id").to_string())
                .collect();
            services.sort();
            (
                f["id"].as_str().expect("id").to_string(),
                f["severity"].as_str().expect("severity").to_string(),
                services,
            )
        })
        .collect();
    keys.sort();
    keys
}

fn run_case(name: &str) {
    let dir = common::fixture(&format!("handed/{name}"));
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected/check.json")).expect("expected/check.json"),
    )
    .expect("expected json");
    let home = common::Home::new();
    let out = home.run(&[
        "check",
        "--config",
        dir.join("secretops.toml").to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    let stdout = common::stdout(&out);
    let actual: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "check did not print JSON ({e}): {stdout}\n{}",
            common::stderr(&out)
        )
    });

    assert_eq!(
        out.status.code(),
        expected["exit_status"]
            .as_i64()
            .map(|c| i32::try_from(c).expect("small")),
        "exit status; stderr: {}",
        common::stderr(&out)
    );

    let mut services = BTreeMap::new();
    for env in actual["environments"].as_array().expect("environments") {
        for s in env["services"].as_array().expect("services") {
            let id = format!(
                "{}/{}",
                env["name"].as_str().expect("env"),
                s["name"].as_str().expect("name")
            );
            services.insert(id, s.clone());
        }
    }
    let want = expected["services"].as_object().expect("services map");
    assert_eq!(services.len(), want.len(), "service count");
    for (id, w) in want {
        let got = services
            .get(id)
            .unwrap_or_else(|| panic!("no service {id} in output"));
        for field in ["status", "fingerprint", "length"] {
            assert_eq!(got[field], w[field], "{id}.{field}: {got}");
        }
    }

    let got = finding_keys(actual["findings"].as_array().expect("findings"));
    let want = finding_keys(expected["findings"].as_array().expect("expected findings"));
    assert_eq!(got, want, "findings differ");
}

#[test]
fn handed_platform() {
    run_case("platform");
}

#[test]
fn every_handed_case_has_a_test() {
    let dir = common::fixture("handed");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("handed dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // Add a `#[test]` calling `run_case` for each new case folder.
    assert_eq!(names, ["platform"]);
}
