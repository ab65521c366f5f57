//! The Spring Boot actuator surface of a consumer, in the Resilience4j 2.x shapes (wire-formats
//! section 2), so the console's real actuator client can be pointed at the demo unchanged.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::demo::BREAKER_NAME;
use crate::demo::breaker::{Snapshot, State as BreakerState};
use crate::demo::consumer::Shared;

/// A rate as Java's `Float.toString` plus `%`: `-1.0%`, `50.0%`, `33.333336%`.
pub(crate) fn java_percent(v: f32) -> String {
    let mut s = v.to_string();
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        s.push_str(".0");
    }
    s.push('%');
    s
}

/// One entry of `GET /actuator/circuitbreakers` (`CircuitBreakerDetails`), fields in its order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Details {
    failure_rate: String,
    slow_call_rate: String,
    failure_rate_threshold: String,
    slow_call_rate_threshold: String,
    buffered_calls: usize,
    failed_calls: usize,
    slow_calls: usize,
    slow_failed_calls: usize,
    not_permitted_calls: u64,
    state: &'static str,
}

/// The same figures as the health indicator orders them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HealthDetails {
    failure_rate: String,
    failure_rate_threshold: String,
    slow_call_rate: String,
    slow_call_rate_threshold: String,
    buffered_calls: usize,
    slow_calls: usize,
    slow_failed_calls: usize,
    failed_calls: usize,
    not_permitted_calls: u64,
    state: &'static str,
}

fn details(s: &Snapshot) -> Details {
    Details {
        failure_rate: java_percent(s.failure_rate),
        slow_call_rate: java_percent(s.slow_call_rate),
        failure_rate_threshold: java_percent(s.failure_rate_threshold),
        slow_call_rate_threshold: java_percent(100.0),
        buffered_calls: s.buffered_calls,
        failed_calls: s.failed_calls,
        slow_calls: 0,
        slow_failed_calls: 0,
        not_permitted_calls: s.not_permitted_calls,
        state: s.state.as_str(),
    }
}

fn health_details(s: &Snapshot) -> HealthDetails {
    let d = details(s);
    HealthDetails {
        failure_rate: d.failure_rate,
        failure_rate_threshold: d.failure_rate_threshold,
        slow_call_rate: d.slow_call_rate,
        slow_call_rate_threshold: d.slow_call_rate_threshold,
        buffered_calls: d.buffered_calls,
        slow_calls: d.slow_calls,
        slow_failed_calls: d.slow_failed_calls,
        failed_calls: d.failed_calls,
        not_permitted_calls: d.not_permitted_calls,
        state: d.state,
    }
}

/// Per-breaker health status, as Resilience4j's indicator maps states.
fn health_status(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "UP",
        BreakerState::Open => "CIRCUIT_OPEN",
        BreakerState::HalfOpen => "CIRCUIT_HALF_OPEN",
        _ => "UNKNOWN",
    }
}

/// Aggregation as with `management.endpoint.health.status.order=DOWN,OUT_OF_SERVICE,
/// CIRCUIT_OPEN,CIRCUIT_HALF_OPEN,UP,UNKNOWN`: the custom statuses are ranked, so an open breaker
/// shows in the component (Spring's default order would hide it as UNKNOWN).
fn aggregate<'a>(statuses: impl IntoIterator<Item = &'a str>) -> &'a str {
    const ORDER: [&str; 6] = [
        "DOWN",
        "OUT_OF_SERVICE",
        "CIRCUIT_OPEN",
        "CIRCUIT_HALF_OPEN",
        "UP",
        "UNKNOWN",
    ];
    statuses
        .into_iter()
        .filter_map(|s| ORDER.iter().position(|o| *o == s).map(|i| (i, s)))
        .min_by_key(|(i, _)| *i)
        .map_or("UNKNOWN", |(_, s)| s)
}

fn snapshot(shared: &Shared) -> Snapshot {
    shared.breaker().snapshot(Instant::now())
}

// Typed bodies rather than `json!`: without serde_json's `preserve_order` a `Value` sorts its
// keys, and the shapes should read like the real ones field by field.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListBody {
    circuit_breakers: BTreeMap<&'static str, Details>,
}

#[derive(Serialize)]
struct Status<T: Serialize> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<T>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Components {
    circuit_breakers: Status<BTreeMap<&'static str, Status<HealthDetails>>>,
    ping: Status<()>,
}

#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    components: Components,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateBody {
    circuit_breaker_name: String,
    current_state: &'static str,
    message: String,
}

#[derive(Serialize)]
struct ErrorBody {
    status: u16,
    error: &'static str,
    message: String,
    path: String,
}

/// `GET /actuator/circuitbreakers`: a map keyed by breaker name, sorted by name.
pub(crate) async fn list(State(shared): State<Arc<Shared>>) -> Response {
    let s = snapshot(&shared);
    let circuit_breakers = [(BREAKER_NAME, details(&s))].into_iter().collect();
    Json(ListBody { circuit_breakers }).into_response()
}

/// `GET /actuator/health` with the `circuitBreakers` component and details shown.
pub(crate) async fn health(State(shared): State<Arc<Shared>>) -> Response {
    let s = snapshot(&shared);
    let breaker_status = health_status(s.state);
    let component = aggregate([breaker_status]);
    let breaker = Status {
        status: breaker_status,
        details: Some(health_details(&s)),
    };
    Json(HealthBody {
        status: aggregate([component, "UP"]),
        components: Components {
            circuit_breakers: Status {
                status: component,
                details: Some([(BREAKER_NAME, breaker)].into_iter().collect()),
            },
            ping: Status {
                status: "UP",
                details: None,
            },
        },
    })
    .into_response()
}

/// A Spring-style error body.
pub(crate) fn error(status: StatusCode, message: String, path: String) -> Response {
    let body = ErrorBody {
        status: status.as_u16(),
        error: status.canonical_reason().unwrap_or(""),
        message,
        path,
    };
    (status, Json(body)).into_response()
}

/// `POST /actuator/circuitbreakers/{name}` with `{"updateState": "CLOSE"|"FORCE_OPEN"|"DISABLE"}`.
/// Unknown names get 404 (Resilience4j would create the breaker, which would only hide a typo in
/// a demo); other `updateState` values or bad JSON get 400, as Spring's enum conversion does.
pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/actuator/circuitbreakers/{name}");
    if name != BREAKER_NAME {
        return error(
            StatusCode::NOT_FOUND,
            format!("no circuit breaker named {name:?}; this service has {BREAKER_NAME:?}"),
            path,
        );
    }
    let requested = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("updateState")?.as_str().map(str::to_owned));
    let target = match requested.as_deref() {
        Some("CLOSE") => BreakerState::Closed,
        Some("FORCE_OPEN") => BreakerState::ForcedOpen,
        Some("DISABLE") => BreakerState::Disabled,
        _ => {
            let message =
                "expected a JSON body {\"updateState\": \"CLOSE\"|\"FORCE_OPEN\"|\"DISABLE\"}";
            return error(StatusCode::BAD_REQUEST, message.to_owned(), path);
        }
    };
    shared.breaker().force(target, Instant::now());
    Json(UpdateBody {
        message: format!("{name} state has been changed successfully"),
        circuit_breaker_name: name,
        current_state: target.as_str(),
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_matches_java() {
        assert_eq!(java_percent(-1.0), "-1.0%");
        assert_eq!(java_percent(50.0), "50.0%");
        assert_eq!(java_percent(100.0 / 3.0), "33.333332%");
        assert_eq!(java_percent(2.0 * 100.0 / 3.0), "66.666664%");
        assert_eq!(java_percent(0.0), "0.0%");
    }

    #[test]
    fn ranked_aggregation() {
        assert_eq!(aggregate(["CIRCUIT_OPEN", "UP"]), "CIRCUIT_OPEN");
        assert_eq!(aggregate(["UNKNOWN", "UP"]), "UP");
        assert_eq!(aggregate(["UNKNOWN"]), "UNKNOWN");
    }
}
