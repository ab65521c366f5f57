//! `check --live` against local endpoints that speak the real formats: states and rates as
//! served (counter resets included), live findings, and a clear per-service status for every
//! kind of broken endpoint.

mod common;
#[path = "support/fake_endpoints.rs"]
mod fake;

use serde_json::Value;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn svc(name: &str, role: &str, extra: &str) -> String {
    format!(
        "[[environment.service]]\nname = \"{name}\"\nrole = \"{role}\"\nsource = {{ kind = \"env-file\", path = \"s.env\" }}\n{extra}\n"
    )
}

fn write_inventory(dir: &std::path::Path, e: &fake::Endpoints, refused: u16) -> String {
    std::fs::write(
        dir.join("s.env"),
        "SERVICE_SECRET=st-Zq8Lm3Xv7Rb2Nw6Kp1Ty5Hc9Gd4Fj0Sa\n",
    )
    .expect("w");
    let u = |p: &str| e.url(p);
    let text = [
        "[secret]\nname = \"SERVICE_SECRET\"\n\n[[environment]]\nname = \"staging\"\ntier = \"staging\"\n".to_string(),
        format!("auth = {{ kind = \"scrape\", url = \"{}\", success = 'auth_requests_total{{result=\"success\"}}', failure = 'auth_requests_total{{result=\"failure\"}}' }}\n", u("/metrics")),
        svc("auth-service", "validator", &format!("health = {{ url = \"{}\", pointer = \"/status\", expect = \"UP\" }}", u("/health"))),
        svc("backend", "consumer", &format!("health = {{ url = \"{}\" }}\nbreaker = {{ kind = \"resilience4j\", urls = [\"{}\", \"{}\"], names = [\"auth\"] }}", u("/health"), u("/r4j2-open"), u("/r4j2-closed"))),
        svc("analytics", "consumer", &format!("breaker = {{ kind = \"spring-health\", urls = [\"{}\"], names = [\"auth\"] }}", u("/spring-health"))),
        svc("worker", "consumer", &format!("breaker = {{ kind = \"prometheus-metric\", urls = [\"{}\"], names = [\"auth\"] }}", u("/state-metrics"))),
        svc("py", "consumer", &format!("breaker = {{ kind = \"json\", urls = [\"{}\"], pointer = \"/breaker/current_state\", states = {{ \"half-open\" = \"HALF_OPEN\" }} }}", u("/pybreaker"))),
        svc("legacy", "consumer", &format!("breaker = {{ kind = \"resilience4j\", urls = [\"{}\"] }}", u("/r4j1"))),
        svc("om", "consumer", &format!("breaker = {{ kind = \"prometheus-metric\", urls = [\"{}\"] }}", u("/openmetrics"))),
        "\n[[environment]]\nname = \"dev\"\ntier = \"development\"\n".to_string(),
        svc("refused", "validator", &format!("health = {{ url = \"http://127.0.0.1:{refused}/health\" }}")),
        svc("down", "consumer", &format!("health = {{ url = \"{}\", pointer = \"/status\", expect = \"UP\" }}", u("/health-down"))),
        svc("hung", "consumer", &format!("breaker = {{ kind = \"resilience4j\", urls = [\"{}\"], timeout = \"300ms\" }}", u("/hang"))),
        svc("fivehundred", "consumer", &format!("breaker = {{ kind = \"resilience4j\", urls = [\"{}\"] }}", u("/500"))),
        svc("html", "consumer", &format!("breaker = {{ kind = \"resilience4j\", urls = [\"{}\"] }}", u("/html"))),
        svc("huge", "consumer", &format!("breaker = {{ kind = \"resilience4j\", urls = [\"{}\"] }}", u("/huge"))),
        svc("badmetrics", "consumer", &format!("breaker = {{ kind = \"prometheus-metric\", urls = [\"{}\"] }}", u("/malformed-metrics"))),
        svc("loop", "consumer", &format!("breaker = {{ kind = \"resilience4j\", urls = [\"{}\"] }}", u("/loop"))),
        svc("escape", "consumer", &format!("breaker = {{ kind = \"resilience4j\", urls = [\"{}\"] }}", u("/r4j2-escape"))),
        svc("nometric", "consumer", &format!("breaker = {{ kind = \"prometheus-metric\", urls = [\"{}\"], names = [\"nope\"] }}", u("/state-metrics"))),
        svc("tls", "consumer", &format!("breaker = {{ kind = \"resilience4j\", urls = [\"https://{}/r4j2-closed\"] }}", e.addr)),
    ]
    .concat();
    let path = dir.join("secretops.toml");
    std::fs::write(&path, text).expect("write inventory");
    path.to_str().expect("utf-8").to_string()
}

fn service<'a>(json: &'a Value, env: &str, name: &str) -> &'a Value {
    json["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .find(|e| e["name"] == env)
        .and_then(|e| e["services"].as_array())
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("{env}/{name}"))
}

fn states(s: &Value) -> Vec<(String, Value, Value)> {
    s["live"]["breakers"]
        .as_array()
        .expect("breakers")
        .iter()
        .map(|b| {
            (
                b["instance"].as_str().unwrap_or("").to_string(),
                b["name"].clone(),
                b["state"].clone(),
            )
        })
        .collect()
}

fn error_of(s: &Value) -> String {
    s["live"]["breakers"][0]["error"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn run_check(e: &fake::Endpoints) -> Value {
    let dir = tempfile::tempdir().expect("tmp");
    let inv = write_inventory(dir.path(), e, fake::refused_port());
    let home = common::Home::new();
    let started = std::time::Instant::now();
    let out = home.run(&[
        "check", "--config", &inv, "--live", "--window", "1", "--format", "json",
    ]);
    // A hung endpoint must not hold the check: the window plus a few time-outs at most.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "check --live took too long"
    );
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    serde_json::from_str(&common::stdout(&out)).expect("json")
}

#[test]
fn check_live_reports_what_the_servers_serve() {
    let rt = runtime();
    let e = rt.block_on(fake::start());
    e.counters
        .step_success
        .store(30, std::sync::atomic::Ordering::SeqCst);
    e.counters
        .step_failure
        .store(10, std::sync::atomic::Ordering::SeqCst);
    let json = run_check(&e);

    // Health: up, with latency; pointer mismatch is down.
    let auth = service(&json, "staging", "auth-service");
    assert_eq!(auth["live"]["health"], "up");
    assert!(auth["live"]["latency_ms"].is_u64());
    assert_eq!(service(&json, "dev", "down")["live"]["health"], "down");
    assert_eq!(service(&json, "dev", "refused")["live"]["health"], "down");
    assert!(
        service(&json, "dev", "refused")["live"]["health_detail"]
            .as_str()
            .unwrap_or("")
            .contains("refused")
    );

    // Breakers, per instance.
    let backend = states(service(&json, "staging", "backend"));
    assert_eq!(backend.len(), 2);
    assert_eq!(backend[0].2, "OPEN");
    assert_eq!(backend[1].2, "CLOSED");
    assert_ne!(backend[0].0, "", "instance named");
    assert_eq!(states(service(&json, "staging", "analytics"))[0].2, "OPEN");
    assert_eq!(
        states(service(&json, "staging", "worker"))[0].2,
        "HALF_OPEN"
    );
    assert_eq!(states(service(&json, "staging", "py"))[0].2, "HALF_OPEN");
    assert_eq!(states(service(&json, "staging", "om"))[0].2, "CLOSED");
    let legacy = states(service(&json, "staging", "legacy"));
    assert_eq!(legacy.len(), 2, "1.x lists names without state");
    assert_eq!(legacy[0].2, "UNKNOWN");

    // Rates: 30 successes and 10 failures per scrape, one second apart.
    let rates = &json["environments"][0]["live"]["auth"];
    let ratio = rates["failure_ratio"].as_f64().expect("ratio");
    assert!((ratio - 0.25).abs() < 1e-9, "{rates}");
    let success = rates["success_per_s"].as_f64().expect("success");
    assert!((10.0..=31.0).contains(&success), "{rates}");

    // Live findings.
    let ids: Vec<(String, String)> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or("").to_string(),
                f["services"][0].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for (id, svc) in [
        ("breaker-open", "staging/backend"),
        ("breaker-open", "staging/analytics"),
        ("breaker-half-open", "staging/worker"),
        ("auth-failure-rate", "staging/auth-service"),
        ("service-unreachable", "dev/refused"),
        ("service-unreachable", "dev/down"),
    ] {
        assert!(
            ids.contains(&(id.to_string(), svc.to_string())),
            "{id} for {svc} in {ids:?}"
        );
    }
    let sev = |id: &str| {
        json["findings"]
            .as_array()
            .expect("f")
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| f["severity"].clone())
    };
    assert_eq!(sev("breaker-open"), Some(Value::from("critical")));
    assert_eq!(sev("auth-failure-rate"), Some(Value::from("high")));

    // Terminal escapes from a remote name never reach the output.
    let escape = states(service(&json, "dev", "escape"));
    assert_eq!(escape[0].1, "au[31mth", "control characters stripped");
    assert!(!json.to_string().contains('\u{1b}'));

    // Every broken endpoint says what is wrong, per service.
    for (name, needle) in [
        ("hung", "timed out after 300ms"),
        ("fivehundred", "HTTP 500"),
        ("html", "HTML instead of JSON"),
        ("huge", "over 1 MiB"),
        ("badmetrics", "malformed metrics"),
        ("loop", "too many redirects"),
        ("tls", "TLS"),
        (
            "nometric",
            "no resilience4j_circuitbreaker_state series for nope",
        ),
    ] {
        let err = error_of(service(&json, "dev", name));
        assert!(
            err.contains(needle),
            "{name}: expected {needle:?} in {err:?}"
        );
    }
}

#[test]
fn counter_resets_count_the_new_value_as_the_increase() {
    let rt = runtime();
    let e = rt.block_on(fake::start());
    let c = &e.counters;
    c.step_success
        .store(30, std::sync::atomic::Ordering::SeqCst);
    c.step_failure
        .store(10, std::sync::atomic::Ordering::SeqCst);
    c.base_success
        .store(100_000, std::sync::atomic::Ordering::SeqCst);
    c.base_failure
        .store(50_000, std::sync::atomic::Ordering::SeqCst);
    // The first scrape sees 100030/50010, the second a restarted service at 30/10.
    c.reset_on.store(2, std::sync::atomic::Ordering::SeqCst);
    let json = run_check(&e);
    let rates = &json["environments"][0]["live"]["auth"];
    let success = rates["success_per_s"].as_f64().expect("success");
    assert!(
        (10.0..=31.0).contains(&success),
        "a reset must not read as a huge drop or spike: {rates}"
    );
    assert!((rates["failure_ratio"].as_f64().expect("ratio") - 0.25).abs() < 1e-9);
}

#[test]
fn no_traffic_is_not_zero_percent_failure() {
    let rt = runtime();
    let e = rt.block_on(fake::start());
    // Counters that never move.
    let json = run_check(&e);
    let rates = &json["environments"][0]["live"]["auth"];
    assert_eq!(rates["failure_ratio"], Value::Null, "{rates}");
    assert_eq!(rates["success_per_s"].as_f64(), Some(0.0));
    assert!(
        !json["findings"]
            .as_array()
            .expect("f")
            .iter()
            .any(|f| f["id"] == "auth-failure-rate"),
        "no traffic must not raise an auth finding"
    );
}

#[path = "support/tmux.rs"]
mod tmux;

#[test]
fn console_updates_live_signals_while_an_endpoint_hangs() {
    let rt = runtime();
    let e = rt.block_on(fake::start());
    e.counters
        .step_success
        .store(30, std::sync::atomic::Ordering::SeqCst);
    e.counters
        .step_failure
        .store(10, std::sync::atomic::Ordering::SeqCst);
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("s.env"),
        "SERVICE_SECRET=st-Zq8Lm3Xv7Rb2Nw6Kp1Ty5Hc9Gd4Fj0Sa\n",
    )
    .expect("w");
    let u = |p: &str| e.url(p);
    let text = [
        "[secret]\nname = \"SERVICE_SECRET\"\n\n[[environment]]\nname = \"staging\"\ntier = \"staging\"\n".to_string(),
        format!("auth = {{ kind = \"scrape\", url = \"{}\", success = 'auth_requests_total{{result=\"success\"}}', failure = 'auth_requests_total{{result=\"failure\"}}', interval = \"1s\" }}\n", u("/metrics")),
        svc("auth-service", "validator", &format!("health = {{ url = \"{}\", interval = \"1s\" }}", u("/health"))),
        svc("backend", "consumer", &format!("breaker = {{ kind = \"resilience4j\", urls = [\"{}\", \"{}\"], interval = \"1s\" }}", u("/r4j2-open"), u("/hang"))),
    ]
    .concat();
    let inv = dir.path().join("secretops.toml");
    std::fs::write(&inv, text).expect("inventory");
    let home = common::Home::new();
    let h = home.path().display();
    let cmdline = format!(
        "XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data XDG_STATE_HOME={h}/state {} --config {}; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_secretops"),
        inv.display()
    );
    let t = tmux::Tmux::start(&cmdline, 120, 36);
    // Rates show (75% success, 40 requests per scrape) and the open breaker is a finding,
    // while the second breaker instance never answers.
    let screen = t.wait_for("live rates", std::time::Duration::from_secs(20), |s| {
        s.contains("75%") && s.contains("breaker-open") && s.contains("auth-failure-rate")
    });
    assert!(screen.contains('⊘'), "open breaker badge:\n{screen}");
    let asked = std::time::Instant::now();
    t.keys("\r");
    t.wait_for(
        "the environment view",
        std::time::Duration::from_secs(2),
        |s| s.contains("per instance") && s.contains("OPEN"),
    );
    assert!(asked.elapsed() < std::time::Duration::from_secs(2));
    t.keys("q");
    let screen = t.wait_for("exit", std::time::Duration::from_secs(5), |s| {
        s.contains("EXIT=")
    });
    assert!(screen.contains("EXIT=0"), "{screen}");
}
