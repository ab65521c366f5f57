//! The wire formats over real HTTP: Resilience4j 2.x actuator JSON, state changes, errors,
//! health, Prometheus text, and the validator's verify endpoint.

#[path = "demo_support/mod.rs"]
mod common;

use std::time::Duration;

use common::{eventually, get_json, get_text, metric, post_state};
use serde_json::Value;

const FIELDS: [&str; 10] = [
    "failureRate",
    "slowCallRate",
    "failureRateThreshold",
    "slowCallRateThreshold",
    "bufferedCalls",
    "failedCalls",
    "slowCalls",
    "slowFailedCalls",
    "notPermittedCalls",
    "state",
];

fn assert_details(d: &Value) {
    let obj = d.as_object().expect("details object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = FIELDS.to_vec();
    want.sort_unstable();
    assert_eq!(keys, want);
    for k in [
        "failureRate",
        "slowCallRate",
        "failureRateThreshold",
        "slowCallRateThreshold",
    ] {
        let s = d[k].as_str().expect("rates are strings");
        let n = s.strip_suffix('%').expect("ends with %");
        assert!(n.contains('.') && n.parse::<f32>().is_ok(), "{k}={s}");
    }
    for k in [
        "bufferedCalls",
        "failedCalls",
        "slowCalls",
        "slowFailedCalls",
        "notPermittedCalls",
    ] {
        assert!(d[k].is_u64(), "{k} is an integer");
    }
    assert_eq!(d["failureRateThreshold"], "50.0%");
    assert_eq!(d["slowCallRateThreshold"], "100.0%");
}

/// The states whose `resilience4j_circuitbreaker_state` series is 1; every state must have one.
fn current_states(text: &str) -> Vec<&'static str> {
    let all = [
        "closed",
        "open",
        "half_open",
        "forced_open",
        "disabled",
        "metrics_only",
    ];
    all.into_iter()
        .filter(|label| {
            let series = format!(
                r#"resilience4j_circuitbreaker_state{{name="auth-service",state="{label}"}}"#
            );
            metric(text, &series).expect("one series per state") > 0.5
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actuator_health_and_metrics_formats() {
    let d = common::start().await;
    let base = d.fleet.instances("development", "backend")[0].base_url();
    let list = get_json(&d.http, &format!("{base}/actuator/circuitbreakers")).await;
    let names: Vec<&String> = list["circuitBreakers"]
        .as_object()
        .expect("map")
        .keys()
        .collect();
    assert_eq!(names, ["auth-service"]);
    assert_details(&list["circuitBreakers"]["auth-service"]);
    assert_eq!(list["circuitBreakers"]["auth-service"]["state"], "CLOSED");

    let health = get_json(&d.http, &format!("{base}/actuator/health")).await;
    assert_eq!(health["status"], "UP");
    assert_eq!(health["components"]["ping"]["status"], "UP");
    let cb = &health["components"]["circuitBreakers"];
    assert_eq!(cb["status"], "UP");
    assert_eq!(cb["details"]["auth-service"]["status"], "UP");
    assert_details(&cb["details"]["auth-service"]["details"]);

    let r = d
        .http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("GET");
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.text().await.expect("body");
    assert!(
        text.contains("# TYPE demo_outgoing_requests_total counter\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE resilience4j_circuitbreaker_state gauge\n"),
        "{text}"
    );
    assert!(
        text.ends_with('\n') && !text.contains("# EOF"),
        "0.0.4, not OpenMetrics"
    );
    for result in ["success", "failure", "not_permitted"] {
        let series = format!(r#"demo_outgoing_requests_total{{result="{result}"}}"#);
        assert!(metric(&text, &series).is_some(), "{series}");
    }
    assert_eq!(current_states(&text), ["closed"]);
    d.fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_open_disable_and_close() {
    let d = common::start().await;
    let e = d.fleet.instances("development", "backend")[0].clone();
    let base = e.base_url();
    let (code, body) = post_state(
        &d.http,
        &e,
        "auth-service",
        r#"{"updateState":"FORCE_OPEN"}"#,
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(body["circuitBreakerName"], "auth-service");
    assert_eq!(body["currentState"], "FORCED_OPEN");
    assert_eq!(
        body["message"],
        "auth-service state has been changed successfully"
    );
    let list = get_json(&d.http, &format!("{base}/actuator/circuitbreakers")).await;
    assert_eq!(
        list["circuitBreakers"]["auth-service"]["state"],
        "FORCED_OPEN"
    );
    let health = get_json(&d.http, &format!("{base}/actuator/health")).await;
    let entry = &health["components"]["circuitBreakers"]["details"]["auth-service"];
    assert_eq!(entry["status"], "UNKNOWN");
    eventually(
        Duration::from_secs(5),
        "calls to be refused while forced open",
        async || {
            let text = get_text(&d.http, &format!("{base}/metrics")).await;
            let refused = metric(
                &text,
                r#"demo_outgoing_requests_total{result="not_permitted"}"#,
            )?;
            (refused > 0.0 && current_states(&text) == ["forced_open"]).then_some(())
        },
    )
    .await;

    let (code, body) =
        post_state(&d.http, &e, "auth-service", r#"{"updateState":"DISABLE"}"#).await;
    assert_eq!(
        (code, body["currentState"].as_str()),
        (200, Some("DISABLED"))
    );
    let text = get_text(&d.http, &format!("{base}/metrics")).await;
    assert_eq!(current_states(&text), ["disabled"]);

    let (code, body) = post_state(&d.http, &e, "auth-service", r#"{"updateState":"CLOSE"}"#).await;
    assert_eq!((code, body["currentState"].as_str()), (200, Some("CLOSED")));
    let list = get_json(&d.http, &format!("{base}/actuator/circuitbreakers")).await;
    assert_eq!(list["circuitBreakers"]["auth-service"]["state"], "CLOSED");
    d.fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_breaker_is_404_and_bad_bodies_400() {
    let d = common::start().await;
    let e = d.fleet.instances("staging", "analytics")[0].clone();
    let (code, body) =
        post_state(&d.http, &e, "no-such-breaker", r#"{"updateState":"CLOSE"}"#).await;
    assert_eq!(code, 404);
    assert_eq!(body["status"], 404);
    assert_eq!(body["path"], "/actuator/circuitbreakers/no-such-breaker");
    for bad in [
        r#"{"updateState":"OPEN"}"#,
        r#"{"updateState":"HALF_OPEN"}"#,
        "not json",
        "{}",
    ] {
        let (code, _) = post_state(&d.http, &e, "auth-service", bad).await;
        assert_eq!(code, 400, "{bad}");
    }
    d.fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validator_checks_the_header() {
    let d = common::start().await;
    let auth = d.fleet.instances("production", "auth-service")[0].clone();
    let url = format!("{}/auth/verify", auth.base_url());
    let env =
        std::fs::read_to_string(d.fleet.workdir.join("production/auth-service.env")).expect("env");
    let secret = env
        .lines()
        .find_map(|l| l.strip_prefix("SERVICE_SECRET="))
        .expect("secret line");
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(d.http.get(&url).send().await.expect("GET")), 403);
    let last = if secret.ends_with('x') { 'y' } else { 'x' };
    let wrong = format!("{}{last}", &secret[..secret.len() - 1]);
    assert_eq!(
        status(
            d.http
                .get(&url)
                .header("X-Service-Secret", wrong)
                .send()
                .await
                .expect("GET")
        ),
        403
    );
    assert_eq!(
        status(
            d.http
                .get(&url)
                .header("X-Service-Secret", secret)
                .send()
                .await
                .expect("GET")
        ),
        200
    );
    assert_eq!(
        status(
            d.http
                .post(&url)
                .header("X-Service-Secret", secret)
                .send()
                .await
                .expect("POST")
        ),
        200
    );
    let health = get_json(&d.http, &format!("{}/health", auth.base_url())).await;
    assert_eq!(health, serde_json::json!({"status": "UP"}));
    let text = get_text(&d.http, &format!("{}/metrics", auth.base_url())).await;
    assert!(
        text.contains("# TYPE auth_requests_total counter\n"),
        "{text}"
    );
    assert!(metric(&text, r#"auth_requests_total{result="failure"}"#).expect("failures") >= 2.0);
    d.fleet.shutdown().await;
}
