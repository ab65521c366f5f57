//! Local HTTP endpoints that speak the real formats secretops reads: Resilience4j 1.x and 2.x,
//! Spring health with `CIRCUIT_OPEN`, Prometheus text and `OpenMetrics` (with escapes and counter
//! resets), plus every way an endpoint can misbehave. Loopback only.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

/// Counters the test controls: each scrape of `/metrics` adds `step_success` and
/// `step_failure`; `reset_after` makes the counters restart from zero on that scrape.
#[derive(Default)]
pub struct Counters {
    pub scrapes: AtomicU64,
    pub step_success: AtomicU64,
    pub step_failure: AtomicU64,
    pub base_success: AtomicU64,
    pub base_failure: AtomicU64,
    /// On this scrape number (1-based) the counters drop to one step (a restart).
    pub reset_on: AtomicU64,
}

pub struct Endpoints {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    _task: tokio::task::JoinHandle<()>,
}

impl Endpoints {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn json(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn metrics(State(c): State<Arc<Counters>>) -> Response {
    let n = c.scrapes.fetch_add(1, Ordering::SeqCst) + 1;
    let (s, f) = if c.reset_on.load(Ordering::SeqCst) == n {
        (
            c.step_success.load(Ordering::SeqCst),
            c.step_failure.load(Ordering::SeqCst),
        )
    } else {
        (
            c.base_success.load(Ordering::SeqCst) + n * c.step_success.load(Ordering::SeqCst),
            c.base_failure.load(Ordering::SeqCst) + n * c.step_failure.load(Ordering::SeqCst),
        )
    };
    let body = format!(
        "# HELP auth_requests_total Authentications by result.\n\
         # TYPE auth_requests_total counter\n\
         auth_requests_total{{result=\"success\",path=\"/a\\\"b\\\\c\\n\"}} {s}\n\
         auth_requests_total{{result=\"failure\"}} {f}\n\
         # TYPE http_latency_seconds histogram\n\
         http_latency_seconds_bucket{{le=\"0.1\"}} 3\n\
         http_latency_seconds_bucket{{le=\"+Inf\"}} 4\n\
         http_latency_seconds_sum 0.5\n\
         http_latency_seconds_count 4\n\
         odd_gauge NaN\n\
         inf_gauge +Inf 1700000000000\n\
         # TYPE resilience4j_circuitbreaker_state gauge\n\
         resilience4j_circuitbreaker_state{{name=\"auth\",state=\"closed\",}} 0\n\
         resilience4j_circuitbreaker_state{{name=\"auth\",state=\"open\",}} 0\n\
         resilience4j_circuitbreaker_state{{name=\"auth\",state=\"half_open\",}} 1\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn openmetrics() -> Response {
    let body = "# TYPE auth_requests counter\n\
                auth_requests_total{result=\"success\"} 10\n\
                auth_requests_created{result=\"success\"} 1700000000.0\n\
                auth_requests_total{result=\"failure\"} 0\n\
                # TYPE resilience4j_circuitbreaker_state gauge\n\
                resilience4j_circuitbreaker_state{name=\"auth\",state=\"closed\"} 1\n\
                resilience4j_circuitbreaker_state{name=\"auth\",state=\"open\"} 0\n\
                # EOF\n";
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Starts the endpoints on 127.0.0.1 with a free port.
pub async fn start() -> Endpoints {
    let counters = Arc::new(Counters::default());
    let app = Router::new()
        .route("/health", get(|| async { json(r#"{"status":"UP"}"#) }))
        .route(
            "/health-down",
            get(|| async {
                (StatusCode::SERVICE_UNAVAILABLE, json(r#"{"status":"DOWN"}"#)).into_response()
            }),
        )
        .route(
            "/r4j2-open",
            get(|| async {
                json(
                    r#"{"circuitBreakers":{"auth":{"failureRate":"80.0%","slowCallRate":"-1.0%","failureRateThreshold":"50.0%","slowCallRateThreshold":"100.0%","bufferedCalls":10,"failedCalls":8,"slowCalls":0,"slowFailedCalls":0,"notPermittedCalls":3,"state":"OPEN"},"other":{"state":"CLOSED"}}}"#,
                )
            }),
        )
        .route(
            "/r4j2-closed",
            get(|| async { json(r#"{"circuitBreakers":{"auth":{"failureRate":"-1.0%","state":"CLOSED"}}}"#) }),
        )
        .route("/r4j1", get(|| async { json(r#"{"circuitBreakers":["auth","other"]}"#) }))
        .route(
            "/r4j2-escape",
            get(|| async { json("{\"circuitBreakers\":{\"au\\u001b[31mth\":{\"state\":\"OPEN\"}}}") }),
        )
        .route(
            "/spring-health",
            get(|| async {
                // One breaker open: the aggregate is still UP and the status 200.
                json(
                    r#"{"status":"UP","components":{"circuitBreakers":{"status":"UP","details":{"auth":{"status":"CIRCUIT_OPEN","details":{"failureRate":"100.0%","state":"OPEN"}},"other":{"status":"UP","details":{"state":"CLOSED"}}}},"ping":{"status":"UP"}}}"#,
                )
            }),
        )
        .route("/pybreaker", get(|| async { json(r#"{"breaker":{"current_state":"half-open"}}"#) }))
        .route("/metrics", get(metrics))
        .route(
            "/state-metrics",
            get(|| async {
                "# TYPE resilience4j_circuitbreaker_state gauge\n\
                 resilience4j_circuitbreaker_state{name=\"auth\",state=\"closed\",} 0\n\
                 resilience4j_circuitbreaker_state{name=\"auth\",state=\"half_open\",} 1\n"
            }),
        )
        .route("/openmetrics", get(openmetrics))
        .route(
            "/malformed-metrics",
            get(|| async { "auth_requests_total{result=\"success\" 12\nthis is not metrics\n" }),
        )
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                "never"
            }),
        )
        .route("/500", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response() }))
        .route(
            "/html",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/html")], "<html><body>Login</body></html>").into_response()
            }),
        )
        .route("/huge", get(|| async { "x".repeat(10 * 1024 * 1024) }))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .with_state(Arc::clone(&counters));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Endpoints {
        addr,
        counters,
        _task: task,
    }
}

/// A loopback port nothing listens on.
pub fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
