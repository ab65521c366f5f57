//! Helpers shared by the integration tests: a fleet in a temp workdir, HTTP reads over real
//! sockets, and polling with a deadline instead of fixed sleeps.
#![allow(dead_code)] // each test file uses a different subset

use std::time::{Duration, Instant};

use secretops::demo::{DemoOptions, Fleet, ServiceEndpoint};
use serde_json::Value;

pub struct Demo {
    pub fleet: Fleet,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client")
}

/// A ready fleet in a fresh temp workdir.
pub async fn start() -> Demo {
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = Fleet::start(DemoOptions {
        workdir: dir.path().join("demo"),
    })
    .await
    .expect("start");
    fleet
        .wait_ready(Duration::from_secs(10))
        .await
        .expect("ready");
    Demo {
        fleet,
        dir,
        http: http(),
    }
}

/// Polls `f` every 100 ms until it returns `Some`, failing the test after `timeout`.
pub async fn eventually<T>(
    timeout: Duration,
    what: &str,
    mut f: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn get_text(http: &reqwest::Client, url: &str) -> String {
    let r = http.get(url).send().await.expect("GET");
    assert!(r.status().is_success(), "GET {url}: {}", r.status());
    r.text().await.expect("body")
}

pub async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    serde_json::from_str(&get_text(http, url).await).expect("JSON")
}

/// The value of one exact series (`name{labels}`) in a Prometheus text page.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// The state of the `auth-service` breaker of one consumer instance, from the actuator.
pub async fn breaker_state(http: &reqwest::Client, e: &ServiceEndpoint) -> String {
    let url = format!("{}/actuator/circuitbreakers", e.base_url());
    let v = get_json(http, &url).await;
    v["circuitBreakers"]["auth-service"]["state"]
        .as_str()
        .expect("state")
        .to_owned()
}

/// `(success, failure)` counters of one environment's auth-service.
pub async fn auth_counts(d: &Demo, env: &str) -> (f64, f64) {
    let auth = d.fleet.instances(env, "auth-service")[0].clone();
    let text = get_text(&d.http, &format!("{}/metrics", auth.base_url())).await;
    (
        metric(&text, r#"auth_requests_total{result="success"}"#).expect("success series"),
        metric(&text, r#"auth_requests_total{result="failure"}"#).expect("failure series"),
    )
}

/// One consumer instance's outgoing counter for `result`.
pub async fn outgoing(http: &reqwest::Client, e: &ServiceEndpoint, result: &str) -> f64 {
    let text = get_text(http, &format!("{}/metrics", e.base_url())).await;
    metric(
        &text,
        &format!("demo_outgoing_requests_total{{result=\"{result}\"}}"),
    )
    .expect("outgoing series")
}

/// `POST /actuator/circuitbreakers/{name}` with a raw body; returns status and JSON body.
pub async fn post_state(
    http: &reqwest::Client,
    e: &ServiceEndpoint,
    name: &str,
    body: &str,
) -> (u16, Value) {
    let r = http
        .post(format!("{}/actuator/circuitbreakers/{name}", e.base_url()))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON body"))
}

/// Every consumer instance of the fleet.
pub fn consumers(fleet: &Fleet) -> Vec<ServiceEndpoint> {
    fleet
        .endpoints()
        .iter()
        .filter(|e| e.service != "auth-service")
        .cloned()
        .collect()
}

/// Every secret value present in the workdir (env files and originals), for canary checks.
pub fn all_values(workdir: &std::path::Path) -> Vec<String> {
    let mut files = vec![workdir.join(".demo-originals")];
    for env in ["development", "staging", "production"] {
        for svc in ["auth-service", "backend", "analytics"] {
            files.push(workdir.join(format!("{env}/{svc}.env")));
        }
    }
    let mut values = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            if let Some((_, v)) = line.split_once('=')
                && !v.is_empty()
            {
                values.push(v.to_owned());
            }
        }
    }
    values.sort();
    values.dedup();
    values
}
