//! A consumer instance (`backend` or `analytics`): it calls the validator about five times a
//! second through its `auth-service` breaker and serves the actuator, `/health` and `/metrics`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::{get, post};
use tokio::sync::watch;

use crate::demo::breaker::{Breaker, BreakerConfig};
use crate::demo::metrics::{ConsumerMetrics, Outcome};
use crate::demo::watch::SecretCell;
use crate::demo::{SECRET_HEADER, actuator, validator};

/// Time between calls: about five per second per instance, enough to trip the breaker within
/// about a second of a broken secret while staying light on two cores.
pub(crate) const CALL_INTERVAL: Duration = Duration::from_millis(200);
/// A call slower than this counts as failed, so a hung validator also opens the breaker.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);

/// State shared by the traffic loop and the HTTP handlers of one instance.
pub(crate) struct Shared {
    breaker: Mutex<Breaker>,
    metrics: ConsumerMetrics,
}

impl Shared {
    /// The breaker, locked. Held only for a few non-async steps, never across an await.
    pub(crate) fn breaker(&self) -> MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let snapshot = shared.breaker().snapshot(Instant::now());
    shared.metrics.respond(&snapshot)
}

/// Builds one instance: its routes and the traffic future to spawn.
pub(crate) fn instance(
    config: BreakerConfig,
    secret: SecretCell,
    client: reqwest::Client,
    verify_url: String,
    stop: watch::Receiver<bool>,
) -> (Router, impl Future<Output = ()> + Send + 'static) {
    let shared = Arc::new(Shared {
        breaker: Mutex::new(Breaker::new(config, Instant::now())),
        metrics: ConsumerMetrics::new(),
    });
    let router = Router::new()
        .route("/actuator/circuitbreakers", get(actuator::list))
        .route("/actuator/circuitbreakers/{name}", post(actuator::update))
        .route("/actuator/health", get(actuator::health))
        .route("/health", get(validator::health))
        .route("/metrics", get(metrics))
        .with_state(Arc::clone(&shared));
    let traffic = traffic(shared, secret, client, verify_url, stop);
    (router, traffic)
}

/// Calls the validator every [`CALL_INTERVAL`], starting at once, until `stop` turns true.
async fn traffic(
    shared: Arc<Shared>,
    secret: SecretCell,
    client: reqwest::Client,
    url: String,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(CALL_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        if !shared.breaker().try_acquire(Instant::now()) {
            shared.metrics.record(Outcome::NotPermitted);
            continue;
        }
        let ok = call(&client, &url, &secret).await;
        shared.breaker().on_result(Instant::now(), !ok);
        shared.metrics.record(if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        });
    }
}

/// One call; anything but a 2xx answer in time is a failure. With no value held, the header is
/// left out, as a service started without its secret would.
async fn call(client: &reqwest::Client, url: &str, secret: &SecretCell) -> bool {
    let header = secret.with(|v| {
        let mut h = HeaderValue::from_str(v?).ok()?;
        // Keeps the value out of any debug output of the request.
        h.set_sensitive(true);
        Some(h)
    });
    let mut req = client.get(url).timeout(CALL_TIMEOUT);
    if let Some(h) = header {
        req = req.header(SECRET_HEADER, h);
    }
    matches!(req.send().await, Ok(r) if r.status().is_success())
}
