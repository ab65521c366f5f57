//! The workdir side: loopback-only listeners, the inventory, file contents and modes, values kept
//! across a restart, and no value in errors or in the headless runner's output.

#[path = "demo_support/mod.rs"]
mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use secretops::demo::{DemoError, DemoOptions, Fleet, ready_line, run_headless_with};

const TIERS: [(&str, &str, usize); 3] = [
    ("development", "dv-", 32),
    ("staging", "st-", 48),
    ("production", "pr-", 72),
];

fn env_value(path: &std::path::Path, key: &str) -> String {
    let text = std::fs::read_to_string(path).expect("read env file");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .expect("key present")
        .to_owned()
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines, reason = "one fleet, checked top to bottom")]
async fn loopback_inventory_and_files() {
    let d = common::start().await;
    let addrs = d.fleet.addresses();
    assert_eq!(
        addrs.len(),
        12,
        "3 environments x (auth + 2 backend + analytics)"
    );
    assert!(
        addrs
            .iter()
            .all(|a| a.ip() == IpAddr::V4(Ipv4Addr::LOCALHOST)),
        "{addrs:?}"
    );

    let text = std::fs::read_to_string(&d.fleet.inventory).expect("inventory");
    assert!(text.starts_with("# Written by `secretops demo` for this workdir."));
    let inv: toml::Value = toml::from_str(&text).expect("inventory is TOML");
    assert_eq!(inv["secret"]["name"].as_str(), Some("SERVICE_SECRET"));
    assert_eq!(inv["secret"]["related"][0].as_str(), Some("JWT_SECRET_KEY"));
    assert_eq!(
        inv["fingerprint"]["key_file"].as_str(),
        Some("fingerprint.key")
    );
    let envs = inv["environment"].as_array().expect("environments");
    assert_eq!(envs.len(), 3);
    for (env, (name, prefix, length)) in envs.iter().zip(TIERS) {
        assert_eq!(env["name"].as_str(), Some(name));
        assert_eq!(env["tier"].as_str(), Some(name));
        let auth = d.fleet.instances(name, "auth-service")[0];
        assert_eq!(env["auth"]["kind"].as_str(), Some("scrape"));
        assert_eq!(
            env["auth"]["url"].as_str(),
            Some(format!("{}/metrics", auth.base_url()).as_str())
        );
        assert_eq!(
            env["auth"]["success"].as_str(),
            Some(r#"auth_requests_total{result="success"}"#)
        );
        assert_eq!(
            env["auth"]["failure"].as_str(),
            Some(r#"auth_requests_total{result="failure"}"#)
        );
        let services = env["service"].as_array().expect("services");
        let names: Vec<&str> = services.iter().filter_map(|s| s["name"].as_str()).collect();
        assert_eq!(names, ["auth-service", "backend", "analytics"]);
        for svc in services {
            let sname = svc["name"].as_str().expect("name");
            let instances = d.fleet.instances(name, sname);
            let rel = format!("{name}/{sname}.env");
            if name == "production" && sname == "auth-service" {
                // Production's validator reads the local Secret Manager stand-in.
                assert_eq!(svc["source"]["kind"].as_str(), Some("gcp-secret-manager"));
                assert_eq!(svc["source"]["credentials"].as_str(), Some("anonymous"));
                let endpoint = svc["source"]["endpoint"].as_str().expect("endpoint");
                assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
            } else {
                assert_eq!(svc["source"]["kind"].as_str(), Some("env-file"));
                assert_eq!(svc["source"]["path"].as_str(), Some(rel.as_str()));
            }
            let health = format!("{}/health", instances[0].base_url());
            assert_eq!(svc["health"]["url"].as_str(), Some(health.as_str()));
            assert_eq!(svc["health"]["timeout"].as_str(), Some("2s"));
            if sname == "auth-service" {
                assert_eq!(svc["role"].as_str(), Some("validator"));
                assert!(svc.get("breaker").is_none());
            } else {
                assert_eq!(svc["role"].as_str(), Some("consumer"));
                let urls: Vec<String> = instances
                    .iter()
                    .map(|i| format!("{}/actuator/circuitbreakers", i.base_url()))
                    .collect();
                let got: Vec<&str> = svc["breaker"]["urls"]
                    .as_array()
                    .expect("urls")
                    .iter()
                    .filter_map(|u| u.as_str())
                    .collect();
                assert_eq!(got, urls);
                assert_eq!(got.len(), if sname == "backend" { 2 } else { 1 });
                assert_eq!(svc["breaker"]["kind"].as_str(), Some("resilience4j"));
                assert_eq!(svc["breaker"]["names"][0].as_str(), Some("auth-service"));
            }
            let path = d.fleet.workdir.join(&rel);
            let secret = env_value(&path, "SERVICE_SECRET");
            let jwt = env_value(&path, "JWT_SECRET_KEY");
            assert_eq!((secret.len(), jwt.len()), (length, length));
            assert!(secret.starts_with(prefix) && jwt.starts_with(prefix));
            assert_ne!(secret, jwt);
            let auth_file = d.fleet.workdir.join(format!("{name}/auth-service.env"));
            assert_eq!(
                secret,
                env_value(&auth_file, "SERVICE_SECRET"),
                "all start in sync"
            );
            #[cfg(unix)]
            assert_eq!(mode(&path), 0o600, "{rel}");
        }
    }
    let key = std::fs::read_to_string(d.fleet.workdir.join("fingerprint.key")).expect("key");
    assert_eq!(key.len(), 64);
    assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
    #[cfg(unix)]
    {
        assert_eq!(mode(&d.fleet.workdir.join("fingerprint.key")), 0o600);
        assert_eq!(mode(&d.fleet.workdir.join(".demo-originals")), 0o600);
    }
    d.fleet.shutdown().await;
}

fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for rel in [".demo-originals", "fingerprint.key"] {
        out.push((rel.to_owned(), std::fs::read(dir.join(rel)).expect("read")));
    }
    for (env, _, _) in TIERS {
        for svc in ["auth-service", "backend", "analytics"] {
            let rel = format!("{env}/{svc}.env");
            out.push((rel.clone(), std::fs::read(dir.join(&rel)).expect("read")));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_values_and_heal_still_works() {
    let d = common::start().await;
    d.fleet.break_mismatch("production").expect("break");
    let workdir = d.fleet.workdir.clone();
    let before = snapshot(&workdir);
    d.fleet.shutdown().await;

    let again = Fleet::start(DemoOptions {
        workdir: workdir.clone(),
    })
    .await
    .expect("restart");
    again
        .wait_ready(Duration::from_secs(10))
        .await
        .expect("ready");
    assert_eq!(
        snapshot(&workdir),
        before,
        "a restart keeps every file, the breakage too"
    );
    let backend = workdir.join("production/backend.env");
    let auth = workdir.join("production/auth-service.env");
    assert_ne!(
        env_value(&backend, "SERVICE_SECRET"),
        env_value(&auth, "SERVICE_SECRET")
    );
    let msg = again.heal().expect("heal");
    assert!(msg.contains("production/backend.env"), "{msg}");
    assert_eq!(
        env_value(&backend, "SERVICE_SECRET"),
        env_value(&auth, "SERVICE_SECRET")
    );
    assert!(again.heal().expect("heal").starts_with("nothing to heal"));
    again.shutdown().await;
}

fn assert_clean(err: &DemoError, canaries: &[String]) {
    let shown = format!("{err} / {err:?}");
    for c in canaries {
        assert!(!shown.contains(c.as_str()), "a value leaked into: {shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_value_in_errors_or_headless_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workdir = dir.path().join("headless");
    let mut out = Vec::new();
    let opts = DemoOptions {
        workdir: workdir.clone(),
    };
    // The stop future is first polled after the ready line, so this ends the run 0.3 s later.
    run_headless_with(opts, &mut out, async {
        tokio::time::sleep(Duration::from_millis(300)).await;
    })
    .await
    .expect("headless run");
    let printed = String::from_utf8(out).expect("utf-8");
    assert_eq!(
        printed,
        format!("{}\n", ready_line(&workdir.join("secretops.toml")))
    );
    let values = common::all_values(&workdir);
    assert_eq!(values.len(), 6, "two values per environment");
    for v in &values {
        assert!(!printed.contains(v.as_str()));
    }

    let fleet = Fleet::start(DemoOptions {
        workdir: workdir.clone(),
    })
    .await
    .expect("start");
    assert_clean(
        &fleet.break_mismatch("qa").expect_err("unknown env"),
        &values,
    );
    std::fs::remove_file(workdir.join("staging/backend.env")).expect("rm");
    std::fs::create_dir(workdir.join("staging/backend.env")).expect("dir in the way");
    assert_clean(
        &fleet.break_missing("staging").expect_err("unwritable"),
        &values,
    );
    assert_clean(&fleet.heal().expect_err("unwritable"), &values);
    fleet.shutdown().await;

    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).expect("mkdir");
    let canary = "st-CANARYCANARYCANARYCANARYCANARYCANARYCANARY00".to_owned();
    std::fs::write(
        bad.join(".demo-originals"),
        format!("staging.SERVICE_SECRET={canary}\nstaging.JWT_SECRET_KEY {canary}\n"),
    )
    .expect("write");
    let err = Fleet::start(DemoOptions { workdir: bad })
        .await
        .err()
        .expect("malformed originals");
    assert!(matches!(err, DemoError::Originals { line: 2, .. }), "{err}");
    assert_clean(&err, &[canary]);
}
