//! The validator: `auth-service`, which accepts a call only when its `X-Service-Secret` header
//! equals its own copy of the secret.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::demo::metrics::ValidatorMetrics;
use crate::demo::watch::SecretCell;
use crate::demo::{SECRET_HEADER, actuator};

struct Shared {
    secret: SecretCell,
    metrics: ValidatorMetrics,
}

/// Compares every byte of `expected` whatever `given` holds, so the time taken does not tell an
/// attacker how much of a guess was right. (The length is not secret: each tier has a fixed one.)
fn constant_time_eq(expected: &[u8], given: &[u8]) -> bool {
    let mut diff = u8::from(expected.len() != given.len());
    for (i, e) in expected.iter().enumerate() {
        diff |= e ^ given.get(i).copied().unwrap_or(0);
    }
    std::hint::black_box(diff) == 0
}

/// `GET|POST /auth/verify`: 200 when the header matches, 403 otherwise. A validator with no
/// value rejects everything, like a service started without its secret.
async fn verify(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let given = headers
        .get(SECRET_HEADER)
        .map(axum::http::HeaderValue::as_bytes);
    let ok = shared.secret.with(|expected| match (expected, given) {
        (Some(e), Some(g)) => constant_time_eq(e.as_bytes(), g),
        _ => false,
    });
    shared.metrics.record(ok);
    if ok {
        Json(json!({ "status": "ok" })).into_response()
    } else {
        let message = format!("{SECRET_HEADER} missing or not accepted");
        actuator::error(StatusCode::FORBIDDEN, message, "/auth/verify".to_owned())
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    shared.metrics.respond()
}

/// `/health` answers UP whatever the secret: the process is alive, and a health check that failed
/// on a bad secret would hide the real symptom (403s) behind a restart loop.
pub(crate) async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "UP" }))
}

/// The validator's routes.
pub(crate) fn router(secret: SecretCell) -> Router {
    let shared = Arc::new(Shared {
        secret,
        metrics: ValidatorMetrics::new(),
    });
    Router::new()
        .route("/auth/verify", get(verify).post(verify))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn compares_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"abc", b""));
    }
}
