//! Prometheus metrics of the demo services, exposed in text format 0.0.4 through the official
//! `prometheus-client` crate (its `prometheus_text` encoder gives `_total` counter names in TYPE
//! lines and no `# EOF`, as a Micrometer `/actuator/prometheus` page has).

use std::sync::atomic::AtomicU64;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::{EncodeLabelSet, prometheus_text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::demo::BREAKER_NAME;
use crate::demo::breaker::{Snapshot, State};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    name: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    name: &'static str,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NameLabel {
    name: &'static str,
}

/// Renders a registry as a `/metrics` response with the 0.0.4 content type (Prometheus 3 fails
/// a scrape without a valid one).
fn respond(registry: &Registry) -> Response {
    let mut body = String::new();
    if prometheus_text::encode(&mut body, registry).is_err() {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    ([(CONTENT_TYPE, prometheus_text::CONTENT_TYPE)], body).into_response()
}

/// The validator's counters: `auth_requests_total{result="success"|"failure"}`.
pub(crate) struct ValidatorMetrics {
    registry: Registry,
    requests: Family<ResultLabel, Counter>,
}

impl ValidatorMetrics {
    pub(crate) fn new() -> Self {
        let requests = Family::<ResultLabel, Counter>::default();
        // Both series exist from the start, so a rate is computable before the first failure.
        for result in ["success", "failure"] {
            requests.get_or_create_owned(&ResultLabel { result });
        }
        let mut registry = Registry::default();
        registry.register(
            "auth_requests",
            "Requests to /auth/verify by outcome",
            requests.clone(),
        );
        Self { registry, requests }
    }

    pub(crate) fn record(&self, success: bool) {
        let result = if success { "success" } else { "failure" };
        self.requests.get_or_create(&ResultLabel { result }).inc();
    }

    pub(crate) fn respond(&self) -> Response {
        respond(&self.registry)
    }
}

/// How one outgoing call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    Failure,
    NotPermitted,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::NotPermitted => "not_permitted",
        }
    }
}

/// A consumer's counters and its breaker gauges, named as Micrometer's Resilience4j binder names
/// them. Gauges are set from a breaker snapshot just before each scrape.
pub(crate) struct ConsumerMetrics {
    registry: Registry,
    outgoing: Family<ResultLabel, Counter>,
    state: Family<StateLabels, Gauge>,
    failure_rate: Family<NameLabel, Gauge<f64, AtomicU64>>,
    buffered: Family<KindLabels, Gauge>,
    not_permitted: Family<KindLabels, Counter>,
}

impl ConsumerMetrics {
    pub(crate) fn new() -> Self {
        let outgoing = Family::<ResultLabel, Counter>::default();
        for o in [Outcome::Success, Outcome::Failure, Outcome::NotPermitted] {
            outgoing.get_or_create_owned(&ResultLabel { result: o.label() });
        }
        let state = Family::<StateLabels, Gauge>::default();
        let failure_rate = Family::<NameLabel, Gauge<f64, AtomicU64>>::default();
        let buffered = Family::<KindLabels, Gauge>::default();
        let not_permitted = Family::<KindLabels, Counter>::default();
        let mut registry = Registry::default();
        registry.register(
            "demo_outgoing_requests",
            "Calls to auth-service by outcome",
            outgoing.clone(),
        );
        registry.register(
            "resilience4j_circuitbreaker_state",
            "The states of the circuit breaker",
            state.clone(),
        );
        registry.register(
            "resilience4j_circuitbreaker_failure_rate",
            "The failure rate of the circuit breaker",
            failure_rate.clone(),
        );
        registry.register(
            "resilience4j_circuitbreaker_buffered_calls",
            "The number of buffered calls stored in the ring buffer",
            buffered.clone(),
        );
        registry.register(
            "resilience4j_circuitbreaker_not_permitted_calls",
            "Total number of not permitted calls",
            not_permitted.clone(),
        );
        Self {
            registry,
            outgoing,
            state,
            failure_rate,
            buffered,
            not_permitted,
        }
    }

    pub(crate) fn record(&self, outcome: Outcome) {
        let label = ResultLabel {
            result: outcome.label(),
        };
        self.outgoing.get_or_create(&label).inc();
        if outcome == Outcome::NotPermitted {
            let kind = KindLabels {
                name: BREAKER_NAME,
                kind: "not_permitted",
            };
            self.not_permitted.get_or_create(&kind).inc();
        }
    }

    /// Sets the gauges from `s` and renders the page.
    pub(crate) fn respond(&self, s: &Snapshot) -> Response {
        for state in State::ALL {
            let labels = StateLabels {
                name: BREAKER_NAME,
                state: state.metric_label(),
            };
            self.state
                .get_or_create(&labels)
                .set(i64::from(state == s.state));
        }
        self.failure_rate
            .get_or_create(&NameLabel { name: BREAKER_NAME })
            .set(f64::from(s.failure_rate));
        let failed = s.failed_calls;
        let successful = s.buffered_calls.saturating_sub(failed);
        for (kind, n) in [("successful", successful), ("failed", failed)] {
            let labels = KindLabels {
                name: BREAKER_NAME,
                kind,
            };
            self.buffered
                .get_or_create(&labels)
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        self.not_permitted.get_or_create_owned(&KindLabels {
            name: BREAKER_NAME,
            kind: "not_permitted",
        });
        respond(&self.registry)
    }
}
