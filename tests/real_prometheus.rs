//! The `prometheus` auth adapter against a real Prometheus server (Debian's `prometheus`
//! package) scraping a local target. Ignored by default so `cargo test` needs no Prometheus;
//! `.ci/run` installs it and runs the ignored tests.

mod common;
#[path = "support/fake_endpoints.rs"]
mod fake;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_prometheus(target: &str) -> Prometheus {
    let dir = tempfile::tempdir().expect("tmp");
    let port = fake::refused_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: auth\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .expect("config");
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the prometheus binary (apt-get install prometheus)");
    Prometheus {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

#[test]
#[ignore = "needs the prometheus binary; .ci/run runs it"]
fn prometheus_adapter_reports_the_rates_the_target_served() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let e = rt.block_on(fake::start());
    // Every scrape (one a second) adds 30 successes and 10 failures.
    e.counters.step_success.store(30, Ordering::SeqCst);
    e.counters.step_failure.store(10, Ordering::SeqCst);
    let prom = start_prometheus(&e.addr.to_string());

    let spec = secretops::live::spec::AuthSpec {
        kind: secretops::live::spec::AuthKind::Prometheus,
        url: prom.url.clone(),
        success: r#"sum(rate(auth_requests_total{result="success"}[10s]))"#.into(),
        failure: r#"sum(rate(auth_requests_total{result="failure"}[10s]))"#.into(),
        timeout: Some(Duration::from_secs(2)),
        interval: None,
    };
    let client = secretops::live::http::client();
    let headers = reqwest::header::HeaderMap::new();

    // Wait until Prometheus has scraped long enough to fill the 10 s rate window.
    let started = Instant::now();
    while e.counters.scrapes.load(Ordering::SeqCst) < 13 {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "Prometheus did not scrape the target"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let rates = rt
        .block_on(secretops::live::auth::prometheus_rates(
            &client, &spec, &headers,
        ))
        .expect("instant queries");
    let served = e.counters.scrapes.load(Ordering::SeqCst);
    assert!(served >= 2, "Prometheus scraped the target");
    let ratio = rates.failure_ratio().expect("traffic");
    assert!(
        (ratio - 0.25).abs() < 0.02,
        "failure ratio {ratio} for 10 of 40 per scrape"
    );
    // 30 per one-second scrape; Prometheus extrapolates, so allow for jitter in its timing.
    assert!((15.0..=45.0).contains(&rates.success_per_s), "{rates:?}");

    // The range query that fills the console's history at start.
    let history = rt
        .block_on(secretops::live::auth::prometheus_history(
            &client,
            &spec,
            &headers,
            Duration::from_secs(60),
            Duration::from_secs(1),
        ))
        .expect("range query");
    assert!(!history.is_empty());

    // A PromQL error comes back as the server's own words.
    let bad = secretops::live::spec::AuthSpec {
        success: "sum(rate(".into(),
        ..spec
    };
    let err = rt
        .block_on(secretops::live::auth::prometheus_rates(
            &client, &bad, &headers,
        ))
        .expect_err("bad PromQL");
    assert!(err.contains("bad_data"), "{err}");

    // And the whole path through `check --live`.
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("s.env"),
        "SERVICE_SECRET=st-Zq8Lm3Xv7Rb2Nw6Kp1Ty5Hc9Gd4Fj0Sa\n",
    )
    .expect("w");
    let inv = dir.path().join("secretops.toml");
    std::fs::write(
        &inv,
        format!(
            "[secret]\nname = \"SERVICE_SECRET\"\n\n[[environment]]\nname = \"staging\"\ntier = \"staging\"\nauth = {{ kind = \"prometheus\", url = \"{}\", success = 'sum(rate(auth_requests_total{{result=\"success\"}}[10s]))', failure = 'sum(rate(auth_requests_total{{result=\"failure\"}}[10s]))' }}\n\n[[environment.service]]\nname = \"auth\"\nrole = \"validator\"\nsource = {{ kind = \"env-file\", path = \"s.env\" }}\n",
            prom.url
        ),
    )
    .expect("inventory");
    let home = common::Home::new();
    let out = home.run(&[
        "check",
        "--config",
        inv.to_str().expect("utf-8"),
        "--live",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&common::stdout(&out)).expect("json");
    let ratio = json["environments"][0]["live"]["auth"]["failure_ratio"]
        .as_f64()
        .expect("ratio");
    assert!((ratio - 0.25).abs() < 0.02, "{json}");
}
