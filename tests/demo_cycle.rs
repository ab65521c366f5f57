//! The demo end to end, as a newcomer would run it: the headless fleet as a child process,
//! `check --live` healthy, one env file edited by hand, the outage reported (mismatch, open
//! breaker, failure rate), the file restored and the breakers reset, recovery reported.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Demo {
    child: Child,
    inventory: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(home: &common::Home) -> Demo {
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = home
        .cmd()
        .args(["demo", "--headless", "--workdir"])
        .arg(dir.path().join("fleet"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn demo");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let inventory = PathBuf::from(
        line.trim()
            .strip_prefix("ready: ")
            .unwrap_or_else(|| panic!("not a ready line: {line:?}")),
    );
    assert!(inventory.is_file());
    Demo {
        child,
        inventory,
        _dir: dir,
    }
}

fn check(home: &common::Home, inventory: &Path, env: Option<&str>) -> (i32, Value) {
    let mut args = vec![
        "check", "--live", "--window", "3", "--format", "json", "--config",
    ];
    let inv = inventory.to_str().expect("utf-8");
    args.push(inv);
    if let Some(e) = env {
        args.extend(["--env", e]);
    }
    let out = home.run(&args);
    let json = serde_json::from_str(&common::stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
    (out.status.code().unwrap_or(-1), json)
}

fn ids(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().unwrap_or("").to_string())
        .collect()
}

fn breaker_urls(json: &Value, env: &str) -> Vec<String> {
    // The inventory knows the instance URLs; the JSON names instances as host:port.
    json["environments"]
        .as_array()
        .expect("envs")
        .iter()
        .filter(|e| e["name"] == env)
        .flat_map(|e| e["services"].as_array().cloned().unwrap_or_default())
        .flat_map(|s| {
            s["live"]["breakers"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|b| {
            format!(
                "http://{}/actuator/circuitbreakers/auth-service",
                b["instance"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
#[allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
fn break_and_heal_the_demo() {
    let home = common::Home::new();
    let demo = start(&home);

    // Healthy: wait for rates to exist, then nothing is wrong anywhere.
    let started = Instant::now();
    let healthy = loop {
        let (code, json) = check(&home, &demo.inventory, None);
        let rated = json["environments"]
            .as_array()
            .expect("envs")
            .iter()
            .all(|e| e["live"]["auth"]["failure_ratio"].is_number());
        if code == 0 && rated && ids(&json).is_empty() {
            break json;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the demo never looked healthy: {:?}",
            ids(&json)
        );
    };
    for env in healthy["environments"].as_array().expect("envs") {
        for s in env["services"].as_array().expect("services") {
            assert_eq!(s["live"]["health"], "up", "{}", s["name"]);
            for b in s["live"]["breakers"].as_array().into_iter().flatten() {
                assert_eq!(b["state"], "CLOSED");
            }
        }
    }

    // Break staging by hand: a different value in the backend's file.
    let file = demo
        .inventory
        .parent()
        .expect("workdir")
        .join("staging/backend.env");
    let original = std::fs::read_to_string(&file).expect("read env file");
    let broken: String = original
        .lines()
        .map(|l| {
            if l.starts_with("SERVICE_SECRET=") {
                "SERVICE_SECRET=st-EditedByHand0123456789abcdefghijklmnopqrstuv".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    std::fs::write(&file, broken).expect("edit env file");

    let mut seen: Vec<String> = Vec::new();
    let started = Instant::now();
    let mut last;
    loop {
        let (code, json) = check(&home, &demo.inventory, Some("staging"));
        assert_eq!(code, 1);
        seen.extend(ids(&json));
        last = json;
        if ["mismatch", "breaker-open", "auth-failure-rate"]
            .iter()
            .all(|id| seen.iter().any(|s| s == id))
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "outage not reported in time; seen {seen:?}"
        );
    }
    // Development and production are untouched.
    let (_, others) = check(&home, &demo.inventory, None);
    for f in others["findings"].as_array().expect("findings") {
        assert_eq!(f["environment"], "staging", "{f}");
    }

    // Heal: restore the file, reset the breaker on every backend instance.
    std::fs::write(&file, &original).expect("restore env file");
    std::thread::sleep(Duration::from_secs(1));
    let urls = breaker_urls(&last, "staging");
    assert!(urls.len() >= 3, "breaker instances: {urls:?}");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let client = reqwest::Client::new();
        for u in &urls {
            let r = client
                .post(u)
                .header("content-type", "application/json")
                .body(r#"{"updateState":"CLOSE"}"#)
                .send()
                .await
                .expect("reset breaker");
            assert!(r.status().is_success(), "{u}: {}", r.status());
        }
    });
    let started = Instant::now();
    loop {
        let (code, json) = check(&home, &demo.inventory, Some("staging"));
        let ratio = json["environments"][0]["live"]["auth"]["failure_ratio"].as_f64();
        if code == 0 && ids(&json).is_empty() && ratio.is_some_and(|r| r < 0.05) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "no recovery: {:?}",
            ids(&json)
        );
    }

    // SIGTERM stops the fleet cleanly.
    let status = Command::new("kill")
        .arg(demo.child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let mut demo = demo;
    let exit = demo.child.wait().expect("wait");
    assert!(exit.success(), "the demo exits 0 on SIGTERM: {exit:?}");
}
