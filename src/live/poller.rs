//! Background polling: every endpoint is its own tokio task with its own interval, time-out
//! and back-off, so one hung or unreachable endpoint never slows another. Results, errors
//! included, go to the console over a channel as [`LiveMessage`]s.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;

use super::auth::{self, AuthRates, Totals};
use super::breaker::{self, InstanceReading};
use super::health::{self, Health};
use super::spec::{AuthKind, AuthSpec, DEFAULT_INTERVAL, LiveSpec};
use crate::inventory::Inventory;
use crate::sources::LoadContext;

/// Longest wait between two polls of a failing endpoint.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Whose auth rates a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthTarget {
    Environment(usize),
    Service(usize, usize),
}

/// One poll's result.
#[derive(Debug)]
pub enum LiveMessage {
    Health {
        env: usize,
        service: usize,
        health: Health,
        latency: Option<Duration>,
        at: Instant,
    },
    Breaker {
        env: usize,
        service: usize,
        instance: usize,
        reading: InstanceReading,
        latency: Duration,
        at: Instant,
    },
    AuthTotals {
        target: AuthTarget,
        result: Result<Totals, String>,
        at: Instant,
        wall: SystemTime,
    },
    AuthRates {
        target: AuthTarget,
        result: Result<AuthRates, String>,
        at: Instant,
        wall: SystemTime,
    },
    AuthHistory {
        target: AuthTarget,
        points: Vec<(SystemTime, AuthRates)>,
    },
}

impl super::state::LiveState {
    /// Records one message.
    pub fn apply(&mut self, message: LiveMessage) {
        match message {
            LiveMessage::Health {
                env,
                service,
                health,
                latency,
                at,
            } => {
                if let Some(s) = self.service_mut(env, service) {
                    s.health = Some(super::state::Observed::new(health, at, latency));
                }
            }
            LiveMessage::Breaker {
                env,
                service,
                instance,
                reading,
                latency,
                at,
            } => {
                if let Some(slot) = self
                    .service_mut(env, service)
                    .and_then(|s| s.breakers.get_mut(instance))
                {
                    *slot = Some(super::state::Observed::new(reading, at, Some(latency)));
                }
            }
            LiveMessage::AuthTotals {
                target,
                result,
                at,
                wall,
            } => {
                if let Some(track) = self.track_mut(target) {
                    match result {
                        Ok(t) => track.on_totals(t, at, wall, None),
                        Err(e) => track.on_error(e, at),
                    }
                }
            }
            LiveMessage::AuthRates {
                target,
                result,
                at,
                wall,
            } => {
                if let Some(track) = self.track_mut(target) {
                    match result {
                        Ok(r) => track.on_rates(r, at, wall, None),
                        Err(e) => track.on_error(e, at),
                    }
                }
            }
            LiveMessage::AuthHistory { target, points } => {
                if let Some(track) = self.track_mut(target) {
                    track.on_history(points);
                }
            }
        }
    }

    fn track_mut(&mut self, target: AuthTarget) -> Option<&mut super::state::AuthTrack> {
        match target {
            AuthTarget::Environment(e) => self.environments.get_mut(e),
            AuthTarget::Service(e, s) => self.service_mut(e, s).map(|s| &mut s.auth),
        }
    }
}

/// The running pollers; dropping this stops them all.
pub struct Pollers {
    tasks: JoinSet<()>,
}

impl Pollers {
    /// How many endpoint tasks run.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

/// Resolves a spec's `headers` table into sensitive header values.
pub async fn headers(
    spec: &LiveSpec,
    inv: &Inventory,
    ctx: &LoadContext,
) -> Result<HeaderMap, String> {
    let mut pairs = Vec::new();
    for (name, raw) in &spec.headers {
        let source = crate::inventory::resolve_source(raw.clone(), &inv.base_dir, name)?;
        let reading = crate::sources::read(&source, ctx)
            .await
            .map_err(|e| format!("header {name}: {}", e.message))?;
        let value = reading
            .value
            .ok_or_else(|| format!("header {name}: its source has no value"))?;
        pairs.push((name.clone(), value));
    }
    super::http::sensitive_headers(&pairs)
}

/// Next delay: the interval while healthy, doubling per failure up to [`MAX_BACKOFF`].
pub fn next_delay(interval: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return interval;
    }
    let factor = 2u32.saturating_pow(failures.min(16));
    interval
        .saturating_mul(factor)
        .min(MAX_BACKOFF)
        .max(interval)
}

/// Starts one task per endpoint of the inventory.
pub fn spawn(
    inv: &Arc<Inventory>,
    ctx: &LoadContext,
    tx: &UnboundedSender<LiveMessage>,
) -> Pollers {
    let client = super::http::client();
    let mut tasks = JoinSet::new();
    for (ei, env) in inv.environments.iter().enumerate() {
        if let Some(spec) = env.live.auth.clone() {
            let target = AuthTarget::Environment(ei);
            let (inv, ctx, tx, client, live) = (
                Arc::clone(inv),
                ctx.clone(),
                tx.clone(),
                client.clone(),
                env.live.clone(),
            );
            tasks.spawn(async move {
                let headers = headers(&live, &inv, &ctx).await;
                auth_loop(client, spec, headers, target, tx).await;
            });
        }
        for (si, svc) in env.services.iter().enumerate() {
            let live = svc.live.clone();
            if let Some(spec) = live.health.clone() {
                let (inv, ctx, tx, client, live) = (
                    Arc::clone(inv),
                    ctx.clone(),
                    tx.clone(),
                    client.clone(),
                    live.clone(),
                );
                tasks.spawn(async move {
                    let headers = headers(&live, &inv, &ctx).await.unwrap_or_default();
                    let interval = spec.interval.unwrap_or(DEFAULT_INTERVAL);
                    let mut failures = 0;
                    loop {
                        let (health, latency) = health::probe(&client, &spec, &headers).await;
                        failures = if health == Health::Up {
                            0
                        } else {
                            failures + 1
                        };
                        let msg = LiveMessage::Health {
                            env: ei,
                            service: si,
                            health,
                            latency,
                            at: Instant::now(),
                        };
                        if tx.send(msg).is_err() {
                            return;
                        }
                        tokio::time::sleep(next_delay(interval, failures)).await;
                    }
                });
            }
            if let Some(spec) = live.breaker.clone() {
                for (ii, url) in spec.urls.clone().into_iter().enumerate() {
                    let (inv, ctx, tx, client, live, spec) = (
                        Arc::clone(inv),
                        ctx.clone(),
                        tx.clone(),
                        client.clone(),
                        live.clone(),
                        spec.clone(),
                    );
                    tasks.spawn(async move {
                        let headers = headers(&live, &inv, &ctx).await.unwrap_or_default();
                        let interval = spec.interval.unwrap_or(DEFAULT_INTERVAL);
                        let mut failures = 0;
                        loop {
                            let started = Instant::now();
                            let reading =
                                breaker::probe_instance(&client, &spec, &url, &headers).await;
                            failures = if reading.result.is_ok() {
                                0
                            } else {
                                failures + 1
                            };
                            let msg = LiveMessage::Breaker {
                                env: ei,
                                service: si,
                                instance: ii,
                                reading,
                                latency: started.elapsed(),
                                at: Instant::now(),
                            };
                            if tx.send(msg).is_err() {
                                return;
                            }
                            tokio::time::sleep(next_delay(interval, failures)).await;
                        }
                    });
                }
            }
            if let Some(spec) = live.auth.clone() {
                let target = AuthTarget::Service(ei, si);
                let (inv, ctx, tx, client) =
                    (Arc::clone(inv), ctx.clone(), tx.clone(), client.clone());
                tasks.spawn(async move {
                    let headers = headers(&live, &inv, &ctx).await;
                    auth_loop(client, spec, headers, target, tx).await;
                });
            }
        }
    }
    Pollers { tasks }
}

async fn auth_loop(
    client: reqwest::Client,
    spec: AuthSpec,
    headers: Result<HeaderMap, String>,
    target: AuthTarget,
    tx: UnboundedSender<LiveMessage>,
) {
    let interval = spec.interval.unwrap_or(DEFAULT_INTERVAL);
    let headers = match headers {
        Ok(h) => h,
        Err(e) => {
            let _ = tx.send(LiveMessage::AuthRates {
                target,
                result: Err(e),
                at: Instant::now(),
                wall: SystemTime::now(),
            });
            return;
        }
    };
    if spec.kind == AuthKind::Prometheus {
        let step = interval.max(Duration::from_secs(5));
        if let Ok(points) =
            auth::prometheus_history(&client, &spec, &headers, super::state::HISTORY, step).await
        {
            let _ = tx.send(LiveMessage::AuthHistory { target, points });
        }
    }
    let mut failures = 0;
    loop {
        let msg = match spec.kind {
            AuthKind::Scrape => {
                let result = auth::scrape(&client, &spec, &headers).await;
                failures = if result.is_ok() { 0 } else { failures + 1 };
                LiveMessage::AuthTotals {
                    target,
                    result,
                    at: Instant::now(),
                    wall: SystemTime::now(),
                }
            }
            AuthKind::Prometheus => {
                let result = auth::prometheus_rates(&client, &spec, &headers).await;
                failures = if result.is_ok() { 0 } else { failures + 1 };
                LiveMessage::AuthRates {
                    target,
                    result,
                    at: Instant::now(),
                    wall: SystemTime::now(),
                }
            }
        };
        if tx.send(msg).is_err() {
            return;
        }
        tokio::time::sleep(next_delay(interval, failures)).await;
    }
}

/// Reads every endpoint once (scrape sources twice, `window` apart), for `check --live`.
pub async fn read_once(
    inv: &Arc<Inventory>,
    ctx: &LoadContext,
    window: Duration,
) -> super::state::LiveState {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let client = super::http::client();
    let mut tasks = JoinSet::new();
    let mut auth_jobs: Vec<(AuthTarget, AuthSpec, LiveSpec)> = Vec::new();
    for (ei, env) in inv.environments.iter().enumerate() {
        if let Some(spec) = env.live.auth.clone() {
            auth_jobs.push((AuthTarget::Environment(ei), spec, env.live.clone()));
        }
        for (si, svc) in env.services.iter().enumerate() {
            let live = svc.live.clone();
            if let Some(spec) = live.auth.clone() {
                auth_jobs.push((AuthTarget::Service(ei, si), spec, live.clone()));
            }
            if let Some(spec) = live.health.clone() {
                let (inv, ctx, tx, client, live) = (
                    Arc::clone(inv),
                    ctx.clone(),
                    tx.clone(),
                    client.clone(),
                    live.clone(),
                );
                tasks.spawn(async move {
                    let headers = headers(&live, &inv, &ctx).await.unwrap_or_default();
                    let (health, latency) = health::probe(&client, &spec, &headers).await;
                    let _ = tx.send(LiveMessage::Health {
                        env: ei,
                        service: si,
                        health,
                        latency,
                        at: Instant::now(),
                    });
                });
            }
            if let Some(spec) = live.breaker.clone() {
                for (ii, url) in spec.urls.clone().into_iter().enumerate() {
                    let (inv, ctx, tx, client, live, spec) = (
                        Arc::clone(inv),
                        ctx.clone(),
                        tx.clone(),
                        client.clone(),
                        live.clone(),
                        spec.clone(),
                    );
                    tasks.spawn(async move {
                        let headers = headers(&live, &inv, &ctx).await.unwrap_or_default();
                        let started = Instant::now();
                        let reading = breaker::probe_instance(&client, &spec, &url, &headers).await;
                        let _ = tx.send(LiveMessage::Breaker {
                            env: ei,
                            service: si,
                            instance: ii,
                            reading,
                            latency: started.elapsed(),
                            at: Instant::now(),
                        });
                    });
                }
            }
        }
    }
    for (target, spec, live) in auth_jobs {
        let (inv, ctx, tx, client) = (Arc::clone(inv), ctx.clone(), tx.clone(), client.clone());
        tasks.spawn(async move {
            let headers = match headers(&live, &inv, &ctx).await {
                Ok(h) => h,
                Err(e) => {
                    let _ = tx.send(LiveMessage::AuthRates {
                        target,
                        result: Err(e),
                        at: Instant::now(),
                        wall: SystemTime::now(),
                    });
                    return;
                }
            };
            match spec.kind {
                AuthKind::Prometheus => {
                    let result = auth::prometheus_rates(&client, &spec, &headers).await;
                    let _ = tx.send(LiveMessage::AuthRates {
                        target,
                        result,
                        at: Instant::now(),
                        wall: SystemTime::now(),
                    });
                }
                AuthKind::Scrape => {
                    for round in 0..2 {
                        if round == 1 {
                            tokio::time::sleep(window).await;
                        }
                        let result = auth::scrape(&client, &spec, &headers).await;
                        let failed = result.is_err();
                        let _ = tx.send(LiveMessage::AuthTotals {
                            target,
                            result,
                            at: Instant::now(),
                            wall: SystemTime::now(),
                        });
                        if failed {
                            return;
                        }
                    }
                }
            }
        });
    }
    drop(tx);
    let mut state = super::state::LiveState::new(inv);
    while let Some(msg) = rx.recv().await {
        state.apply(msg);
    }
    while tasks.join_next().await.is_some() {}
    state
}
