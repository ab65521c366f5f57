//! The `gcp-secret-manager` source kind end to end through `check`: value, version, state,
//! checksum and history from a local Secret Manager stand-in, and the documented
//! `source-error`s when the version is disabled or the endpoint is unreachable.

mod common;

use secrecy::SecretString;
use secretops::sources::gcp::VersionState;
use secretops::sources::gcp::standin;
use serde_json::Value;

fn inventory(dir: &std::path::Path, endpoint: &str) -> String {
    std::fs::write(dir.join("fp.key"), "gcp-test-key\n").expect("key");
    let text = format!(
        "[secret]\nname = \"SERVICE_SECRET\"\nrelated = [\"JWT_SECRET_KEY\"]\n\n[fingerprint]\nkey_file = \"fp.key\"\n\n\
         [[environment]]\nname = \"production\"\ntier = \"production\"\n\n\
         [[environment.service]]\nname = \"auth\"\nrole = \"validator\"\n\
         source = {{ kind = \"gcp-secret-manager\", project = \"p1\", secret = \"svc\", endpoint = \"{endpoint}\", credentials = \"anonymous\", timeout = \"2s\", related_secrets = {{ JWT_SECRET_KEY = \"jwt\" }} }}\n"
    );
    let path = dir.join("secretops.toml");
    std::fs::write(&path, text).expect("inventory");
    path.to_str().expect("utf-8").to_string()
}

fn check(inv: &str) -> Value {
    let home = common::Home::new();
    let out = home.run(&[
        "check",
        "--config",
        inv,
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    serde_json::from_str(&common::stdout(&out)).expect("json")
}

fn fingerprint(value: &str) -> String {
    let key =
        secretops::fingerprint::FingerprintKey::from_bytes(b"gcp-test-key".to_vec(), "k".into())
            .expect("key");
    key.fingerprint_bytes(value.as_bytes()).to_string()
}

const V1: &str = "pr-Older0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
const V2: &str = "pr-Newer0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

#[test]
fn reads_value_version_and_history() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sm = rt
        .block_on(standin::start(
            "p1",
            "svc",
            vec![SecretString::from(V1), SecretString::from(V2)],
        ))
        .expect("stand-in");
    let dir = tempfile::tempdir().expect("tmp");
    let inv = inventory(dir.path(), &sm.endpoint);
    let json = check(&inv);
    let svc = &json["environments"][0]["services"][0];
    assert_eq!(svc["status"], "present", "{svc}");
    assert_eq!(svc["fingerprint"], fingerprint(V2));
    assert_eq!(svc["length"], V2.len());
    let detail = svc["detail"].as_str().expect("detail");
    assert!(detail.starts_with("version 2 ENABLED"), "{detail}");
    assert!(detail.contains("CRC32C ok"), "{detail}");
    assert!(
        svc["origin"]
            .as_str()
            .unwrap_or("")
            .ends_with("projects/p1/secrets/svc/versions/2")
    );
    let versions = svc["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["number"], 2);
    assert_eq!(versions[0]["fingerprint"], fingerprint(V2));
    assert_eq!(versions[1]["fingerprint"], fingerprint(V1));
    assert!(!common::stdout_contains(&json, V1) && !common::stdout_contains(&json, V2));
}

#[test]
fn latest_on_a_disabled_version_names_the_newest_enabled() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sm = rt
        .block_on(standin::start(
            "p1",
            "svc",
            vec![SecretString::from(V1), SecretString::from(V2)],
        ))
        .expect("stand-in");
    assert!(sm.set_state(2, VersionState::Disabled));
    let dir = tempfile::tempdir().expect("tmp");
    let json = check(&inventory(dir.path(), &sm.endpoint));
    let svc = &json["environments"][0]["services"][0];
    assert_eq!(svc["status"], "error");
    let err = svc["error"].as_str().expect("error");
    assert!(
        err.contains("DISABLED") && err.contains("newest ENABLED version is 1"),
        "{err}"
    );
    let finding = &json["findings"][0];
    assert_eq!(finding["id"], "source-error");
    assert_eq!(finding["severity"], "critical");
}

#[test]
fn an_unreachable_endpoint_fails_within_the_time_out() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let dir = tempfile::tempdir().expect("tmp");
    let started = std::time::Instant::now();
    let json = check(&inventory(dir.path(), &format!("http://127.0.0.1:{port}")));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    let svc = &json["environments"][0]["services"][0];
    assert_eq!(svc["status"], "error");
    assert!(
        svc["error"]
            .as_str()
            .unwrap_or("")
            .contains("Secret Manager"),
        "{svc}"
    );
}
