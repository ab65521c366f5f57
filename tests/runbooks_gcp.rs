//! emergency-restore with a Secret Manager source (a local stand-in speaking the real API): a
//! bad version added by a half-done rotation is undone by adding a version with the right
//! value (never by disabling one), a version can be the source of truth, and a pinned version
//! becomes a manual step.

mod common;
#[path = "runbook_support/mod.rs"]
mod support;

use secrecy::{ExposeSecret, SecretString};
use secretops::sources::gcp::{Client, GcpConfig, standin};

const GOOD: &str = "st-Good0Value0Every0Service0Holds0Long0Enough0000";
const BAD: &str = "st-Bad0Value0From0A0Half0Done0Rotation0Long0Enough";

fn inventory(dir: &std::path::Path, endpoint: &str, version: &str) -> String {
    for name in ["backend", "analytics"] {
        std::fs::write(
            dir.join(format!("{name}.env")),
            format!("SERVICE_SECRET={GOOD}\n"),
        )
        .expect("w");
    }
    let text = format!(
        "[secret]\nname = \"SERVICE_SECRET\"\n\n[[environment]]\nname = \"staging\"\n\
         tier = \"staging\"\n\n[[environment.service]]\nname = \"auth\"\nrole = \"validator\"\n\
         source = {{ kind = \"gcp-secret-manager\", project = \"p1\", secret = \"svc\", \
         version = \"{version}\", endpoint = \"{endpoint}\", credentials = \"anonymous\" }}\n\n\
         [[environment.service]]\nname = \"backend\"\nrole = \"consumer\"\n\
         source = {{ kind = \"env-file\", path = \"backend.env\" }}\n\n\
         [[environment.service]]\nname = \"analytics\"\nrole = \"consumer\"\n\
         source = {{ kind = \"env-file\", path = \"analytics.env\" }}\n"
    );
    let path = dir.join("secretops.toml");
    std::fs::write(&path, text).expect("w");
    path.to_str().expect("utf-8").to_string()
}

fn client(rt: &tokio::runtime::Runtime, endpoint: &str) -> Client {
    let mut cfg = GcpConfig::new("p1", "svc");
    cfg.endpoint = Some(endpoint.to_string());
    cfg.anonymous = true;
    rt.block_on(Client::new(&cfg)).expect("client")
}

#[test]
fn a_bad_version_is_undone_by_adding_a_good_one() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sm = rt
        .block_on(standin::start("p1", "svc", vec![SecretString::from(GOOD)]))
        .expect("stand-in");
    let sm_client = client(&rt, &sm.endpoint);
    rt.block_on(sm_client.add_version(&SecretString::from(BAD)))
        .expect("the bad rotation");
    let dir = tempfile::tempdir().expect("tmp");
    let inv = inventory(dir.path(), &sm.endpoint, "latest");
    let home = common::Home::new();

    // Version 1 as the source of truth, previewed: one version to add, to auth.
    let out = home.run(&[
        "runbook",
        "run",
        "emergency-restore",
        "--env",
        "staging",
        "--from",
        "auth@1",
        "--dry-run",
        "--config",
        &inv,
    ]);
    let stdout = common::stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        common::stderr(&out)
    );
    assert!(stdout.contains("source of truth: auth@1"), "{stdout}");
    assert!(
        stdout.contains("add a version to projects/p1/secrets/svc"),
        "{stdout}"
    );
    assert!(stdout.contains("backend consumer"), "{stdout}");

    // For real, from backend's value.
    let out = home.run(&[
        "runbook",
        "run",
        "emergency-restore",
        "--env",
        "staging",
        "--from",
        "backend",
        "--yes",
        "--config",
        &inv,
    ]);
    let stdout = common::stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        common::stderr(&out)
    );
    assert!(
        stdout.contains("added version 3 to projects/p1/secrets/svc"),
        "{stdout}"
    );
    let latest = rt.block_on(sm_client.access()).expect("latest");
    assert_eq!(latest.value.expose_secret(), GOOD);
    assert_eq!(latest.version.number, 3);
    // Nothing was disabled or destroyed: the bad version is still there to look at.
    let versions = rt.block_on(sm_client.list_versions(10)).expect("versions");
    assert_eq!(versions.len(), 3);
    assert!(versions.iter().all(|v| v.state.as_str() == "ENABLED"));

    let values = vec![GOOD.to_string(), BAD.to_string()];
    support::assert_no_value("stdout", &stdout, &values);
    let audit =
        std::fs::read_to_string(home.path().join("state/secretops/audit.jsonl")).expect("audit");
    assert!(audit.contains("\"step\":\"write:auth\""), "{audit}");
    support::assert_no_value("audit", &audit, &values);
}

#[test]
fn a_pinned_version_becomes_a_manual_step() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sm = rt
        .block_on(standin::start(
            "p1",
            "svc",
            vec![SecretString::from(BAD), SecretString::from(GOOD)],
        ))
        .expect("stand-in");
    let dir = tempfile::tempdir().expect("tmp");
    let inv = inventory(dir.path(), &sm.endpoint, "1");
    let home = common::Home::new();
    let out = home.run(&[
        "runbook",
        "run",
        "emergency-restore",
        "--env",
        "staging",
        "--from",
        "backend",
        "--dry-run",
        "--config",
        &inv,
    ]);
    let stdout = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("reads version 1 of projects/p1/secrets/svc, a pinned version"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("add a version to projects/p1/secrets/svc at"),
        "{stdout}"
    );
}
