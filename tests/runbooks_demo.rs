//! Runbooks against the real demo fleet (`secretops demo --headless`): a staging mismatch
//! restored end to end, production refused without `--confirm`, every instance's breaker
//! reset, and a custom runbook that restarts, validates the auth flow and watches the rates.

mod common;
#[path = "runbook_support/mod.rs"]
mod support;

use std::time::Duration;

use serde_json::Value;
use support::{DemoProcess, assert_no_value, eventually, get_var, mode, set_mode, set_var};

fn check_live(home: &common::Home, inv: &str, env: &str) -> Value {
    let out = home.run(&[
        "check",
        "--config",
        inv,
        "--env",
        env,
        "--live",
        "--window",
        "1",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    serde_json::from_str(&common::stdout(&out)).expect("check json")
}

fn finding_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn audit(home: &common::Home) -> Vec<Value> {
    let out = home.run(&["audit", "--format", "json"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    common::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line"))
        .collect()
}

/// Only the secret's line changed, the mode is kept, and the old file is kept as a backup.
fn assert_restored(demo: &DemoProcess, broken: &[u8]) {
    let backend = demo.env_file("staging", "backend");
    let auth_value = get_var(&demo.env_file("staging", "auth-service"), "SERVICE_SECRET");
    assert_eq!(get_var(&backend, "SERVICE_SECRET"), auth_value);
    let now = std::fs::read_to_string(&backend).expect("read");
    let before = String::from_utf8_lossy(broken).to_string();
    let unchanged = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.starts_with("SERVICE_SECRET="))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(unchanged(&now), unchanged(&before));
    assert_eq!(mode(&backend), 0o640);
    let backup = backend.with_file_name("backend.env.secretops-backup");
    assert_eq!(std::fs::read(&backup).expect("backup"), broken);
    assert_eq!(mode(&backup), 0o640);
    assert!(
        !backend
            .with_file_name(".backend.env.secretops-tmp")
            .exists()
    );
}

/// `check --live`: fingerprints agree, every breaker CLOSED, failure ratio under 5%. Returns
/// the fingerprint they agree on.
fn assert_healthy(home: &common::Home, inv: &str) -> Value {
    let report = check_live(home, inv, "staging");
    let ids = finding_ids(&report);
    for bad in [
        "mismatch",
        "missing",
        "breaker-open",
        "breaker-half-open",
        "auth-failure-rate",
    ] {
        assert!(
            !ids.contains(&bad.to_string()),
            "{bad} after the restore: {ids:?}"
        );
    }
    let env = &report["environments"][0];
    let fps: Vec<&Value> = env["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| &s["fingerprint"])
        .collect();
    assert!(fps.iter().all(|f| *f == fps[0] && f.is_string()), "{fps:?}");
    for s in env["services"].as_array().expect("services") {
        for b in s["live"]["breakers"].as_array().into_iter().flatten() {
            assert_eq!(b["state"], "CLOSED", "{b}");
        }
    }
    let ratio = env["live"]["auth"]["failure_ratio"]
        .as_f64()
        .expect("a ratio");
    assert!(ratio < 0.05, "failure ratio {ratio}");

    fps[0].clone()
}

/// Production, broken the same way, run without `--confirm` (or with another name): refused,
/// nothing changed, the refusal recorded.
fn refuse_production(home: &common::Home, demo: &DemoProcess) {
    let inv = demo.inv();
    let prod = demo.env_file("production", "backend");
    set_var(&prod, "SERVICE_SECRET", &support::random_value("pr-", 72));
    let prod_before = std::fs::read(&prod).expect("read");
    for extra in [&[][..], &["--confirm", "staging"][..]] {
        let out = home
            .cmd()
            .args([
                "runbook",
                "run",
                "emergency-restore",
                "--env",
                "production",
                "--yes",
            ])
            .args(extra)
            .args(["--config", inv])
            .output()
            .expect("run");
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("refused"), "{err}");
        assert_eq!(std::fs::read(&prod).expect("read"), prod_before);
        assert!(!prod.with_file_name("backend.env.secretops-backup").exists());
    }
    let refused = audit(home)
        .into_iter()
        .filter(|r| r["environment"] == "production" && r["outcome"] == "refused")
        .count();
    assert_eq!(refused, 2);
}

#[test]
fn staging_mismatch_is_restored_end_to_end_and_production_needs_confirm() {
    let home = common::Home::new();
    let work = tempfile::tempdir().expect("tmp");
    let demo = DemoProcess::start(home.cmd(), &work.path().join("w"));
    let inv = demo.inv();

    // Staging's backend secret changed in its file (mode 0640 to see that it is kept).
    let backend = demo.env_file("staging", "backend");
    set_var(
        &backend,
        "SERVICE_SECRET",
        &support::random_value("st-", 48),
    );
    set_mode(&backend, 0o640);
    let broken = std::fs::read(&backend).expect("read");
    eventually(Duration::from_secs(30), "staging breakers to open", || {
        finding_ids(&check_live(&home, inv, "staging"))
            .contains(&"breaker-open".to_string())
            .then_some(())
    });

    let out = home
        .cmd()
        .args([
            "runbook",
            "run",
            "emergency-restore",
            "--env",
            "staging",
            "--yes",
        ])
        .args(["--wait-timeout", "60s", "--config", inv])
        .output()
        .expect("run");
    let stdout = common::stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        common::stderr(&out)
    );
    assert!(stdout.contains("done: every step succeeded"), "{stdout}");

    assert_restored(&demo, &broken);

    let agreed = assert_healthy(&home, inv);

    // The audit log: a record per step, the write with its fingerprints.
    let records = audit(&home);
    let write = records
        .iter()
        .find(|r| r["step"] == "write:backend")
        .expect("write record");
    assert_eq!(write["outcome"], "ok");
    assert_ne!(write["fingerprint_before"], write["fingerprint_after"]);
    assert_eq!(write["fingerprint_after"], agreed);
    for step in [
        "diagnose",
        "check:agree",
        "reset-breakers",
        "wait:recovery",
        "run",
    ] {
        let r = records.iter().find(|r| r["step"] == step);
        assert_eq!(r.map(|r| &r["outcome"]), Some(&Value::from("ok")), "{step}");
    }

    refuse_production(&home, &demo);

    // With --confirm production it goes ahead.
    let out = home
        .cmd()
        .args([
            "runbook",
            "run",
            "emergency-restore",
            "--env",
            "production",
            "--yes",
        ])
        .args([
            "--confirm",
            "production",
            "--wait-timeout",
            "60s",
            "--config",
            inv,
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));

    // No value anywhere: output, audit log, log file, resume files.
    let mut values = support::values_below(&demo.workdir);
    values.push(String::from_utf8_lossy(&broken).to_string());
    for (what, text) in [
        ("stdout", common::stdout(&out)),
        ("stderr", common::stderr(&out)),
        (
            "audit",
            std::fs::read_to_string(home.path().join("state/secretops/audit.jsonl"))
                .expect("audit"),
        ),
        (
            "log",
            std::fs::read_to_string(home.log_path()).expect("log"),
        ),
    ] {
        assert_no_value(what, &text, &values);
    }
}

/// The demo's inventory plus a custom runbook for development: restart (a command that also
/// prints the secret, to see it redacted), validate the auth flow with backend's value, reset
/// backend's breakers, watch the failure ratio.
fn custom_inventory(demo: &DemoProcess) -> String {
    let text = std::fs::read_to_string(&demo.inventory).expect("inventory");
    let auth_url = text
        .split("url = \"http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("auth address");
    let custom = format!(
        "{text}\n[[runbook]]\nname = \"restart-and-watch\"\ndescription = \"restart, validate, watch\"\n\
         environments = [\"development\"]\n\n\
         [[runbook.step]]\nkind = \"check\"\ncheck = \"fingerprints-agree\"\n\n\
         [[runbook.step]]\nname = \"restart the backend\"\nkind = \"action\"\naction = \"run-command\"\n\
         program = \"sh\"\nargs = [\"-c\", \"echo restarting {{env}}; cat {{env}}/backend.env\"]\n\n\
         [[runbook.step]]\nname = \"validate the auth flow\"\nkind = \"action\"\naction = \"http-request\"\n\
         method = \"POST\"\nurl = \"http://{auth_url}/auth/verify\"\nsecret_header = \"X-Service-Secret\"\n\
         from = \"backend\"\nexpect_status = 200\n\n\
         [[runbook.step]]\nkind = \"action\"\naction = \"reset-breakers\"\nservice = \"backend\"\n\n\
         [[runbook.step]]\nkind = \"wait\"\nuntil = \"failure-ratio-below\"\nthreshold = 0.05\ntimeout = \"60s\"\n"
    );
    let inv = demo.workdir.join("custom.toml");
    std::fs::write(&inv, custom).expect("write");
    inv.to_str().expect("utf-8").to_string()
}

/// Forces every staging consumer's breaker open through the actuator.
fn force_open_staging(demo: &DemoProcess) {
    let text = std::fs::read_to_string(&demo.inventory).expect("inventory");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let client = reqwest::Client::new();
    let urls: Vec<String> = text
        .lines()
        .skip_while(|l| !l.contains("name = \"staging\""))
        .filter_map(|l| l.strip_prefix("breaker = { kind = \"resilience4j\", urls = ["))
        .flat_map(|l| {
            l.split(']')
                .next()
                .unwrap_or("")
                .split(", ")
                .map(|u| u.trim_matches('"').to_string())
                .collect::<Vec<_>>()
        })
        .take(3)
        .collect();
    assert_eq!(urls.len(), 3, "{urls:?}");
    for u in &urls {
        let r = rt
            .block_on(
                client
                    .post(format!("{u}/auth-service"))
                    .header("content-type", "application/json")
                    .body(r#"{"updateState":"FORCE_OPEN"}"#)
                    .send(),
            )
            .expect("force open");
        assert!(r.status().is_success());
    }
}

#[test]
fn a_custom_runbook_restarts_validates_the_auth_flow_and_watches() {
    let home = common::Home::new();
    let work = tempfile::tempdir().expect("tmp");
    let demo = DemoProcess::start(home.cmd(), &work.path().join("w"));
    let inv = custom_inventory(&demo);
    let inv = inv.as_str();

    let out = home
        .cmd()
        .args([
            "runbook",
            "run",
            "restart-and-watch",
            "--env",
            "development",
            "--yes",
        ])
        .args(["--config", inv])
        .output()
        .expect("run");
    let stdout = common::stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        common::stderr(&out)
    );
    assert!(stdout.contains("answered 200 (expected 200)"), "{stdout}");
    assert!(stdout.contains("| restarting development"), "{stdout}");
    assert!(
        stdout.contains("SERVICE_SECRET=[secret "),
        "the command output is redacted: {stdout}"
    );

    // A custom runbook refuses environments it does not list.
    let out = home.run(&[
        "runbook",
        "run",
        "restart-and-watch",
        "--env",
        "staging",
        "--yes",
        "--config",
        inv,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stdout(&out));
    assert!(common::stdout(&out).contains("runs only in development"));

    let values = support::values_below(&demo.workdir);
    let audit =
        std::fs::read_to_string(home.path().join("state/secretops/audit.jsonl")).expect("audit");
    assert_no_value("audit", &audit, &values);
}

#[test]
fn breaker_reset_closes_every_breaker_on_every_instance() {
    let home = common::Home::new();
    let work = tempfile::tempdir().expect("tmp");
    let demo = DemoProcess::start(home.cmd(), &work.path().join("w"));
    force_open_staging(&demo);
    let out = home.run(&[
        "runbook",
        "run",
        "breaker-reset",
        "--env",
        "staging",
        "--yes",
        "--config",
        demo.inv(),
    ]);
    let stdout = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("FORCED_OPEN"),
        "the plan shows the states before: {stdout}"
    );
    assert_eq!(
        stdout.matches("auth-service: reads CLOSED").count(),
        3,
        "{stdout}"
    );

    let values = support::values_below(&demo.workdir);
    let audit =
        std::fs::read_to_string(home.path().join("state/secretops/audit.jsonl")).expect("audit");
    assert_no_value("audit", &audit, &values);
    assert_no_value("stdout", &stdout, &values);
}
