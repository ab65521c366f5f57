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

/// One endpoint to poll, with the live settings whose `headers` it sends.
#[derive(Clone)]
enum Job {
    Health {
        env: usize,
        service: usize,
        spec: super::spec::HealthSpec,
    },
    Breaker {
        env: usize,
        service: usize,
        instance: usize,
        url: String,
        spec: super::spec::BreakerSpec,
    },
    Auth {
        target: AuthTarget,
        spec: AuthSpec,
    },
}

/// Every endpoint of the inventory, each with the settings it belongs to.
fn jobs(inv: &Inventory) -> Vec<(Job, LiveSpec)> {
    let mut out = Vec::new();
    for (env, e) in inv.environments.iter().enumerate() {
        if let Some(spec) = e.live.auth.clone() {
            let target = AuthTarget::Environment(env);
            out.push((Job::Auth { target, spec }, e.live.clone()));
        }
        for (service, svc) in e.services.iter().enumerate() {
            let live = &svc.live;
            if let Some(spec) = live.health.clone() {
                out.push((Job::Health { env, service, spec }, live.clone()));
            }
            if let Some(spec) = &live.breaker {
                for (instance, url) in spec.urls.iter().enumerate() {
                    let job = Job::Breaker {
                        env,
                        service,
                        instance,
                        url: url.clone(),
                        spec: spec.clone(),
                    };
                    out.push((job, live.clone()));
                }
            }
            if let Some(spec) = live.auth.clone() {
                let target = AuthTarget::Service(env, service);
                out.push((Job::Auth { target, spec }, live.clone()));
            }
        }
    }
    out
}

/// How a job runs: forever with back-off (the console), or once (`check --live`, where a
/// scrape source is read twice, `window` apart).
#[derive(Clone, Copy)]
enum Mode {
    Forever,
    Once { window: Duration },
}

fn interval_of(job: &Job) -> Duration {
    match job {
        Job::Health { spec, .. } => spec.interval,
        Job::Breaker { spec, .. } => spec.interval,
        Job::Auth { spec, .. } => spec.interval,
    }
    .unwrap_or(DEFAULT_INTERVAL)
}

/// Polls one endpoint once; returns the message and whether it succeeded.
async fn poll(client: &reqwest::Client, job: &Job, headers: &HeaderMap) -> (LiveMessage, bool) {
    let now = || (Instant::now(), SystemTime::now());
    match job {
        Job::Health { env, service, spec } => {
            let (health, latency) = health::probe(client, spec, headers).await;
            let ok = health == Health::Up;
            let msg = LiveMessage::Health {
                env: *env,
                service: *service,
                health,
                latency,
                at: now().0,
            };
            (msg, ok)
        }
        Job::Breaker {
            env,
            service,
            instance,
            url,
            spec,
        } => {
            let started = Instant::now();
            let reading = breaker::probe_instance(client, spec, url, headers).await;
            let ok = reading.result.is_ok();
            let msg = LiveMessage::Breaker {
                env: *env,
                service: *service,
                instance: *instance,
                reading,
                latency: started.elapsed(),
                at: now().0,
            };
            (msg, ok)
        }
        Job::Auth { target, spec } => match spec.kind {
            AuthKind::Scrape => {
                let result = auth::scrape(client, spec, headers).await;
                let ok = result.is_ok();
                let (at, wall) = now();
                (
                    LiveMessage::AuthTotals {
                        target: *target,
                        result,
                        at,
                        wall,
                    },
                    ok,
                )
            }
            AuthKind::Prometheus => {
                let result = auth::prometheus_rates(client, spec, headers).await;
                let ok = result.is_ok();
                let (at, wall) = now();
                (
                    LiveMessage::AuthRates {
                        target: *target,
                        result,
                        at,
                        wall,
                    },
                    ok,
                )
            }
        },
    }
}

/// Runs one job until the receiver is gone (or once).
async fn run(
    client: reqwest::Client,
    job: Job,
    live: LiveSpec,
    inv: Arc<Inventory>,
    ctx: LoadContext,
    tx: UnboundedSender<LiveMessage>,
    mode: Mode,
) {
    let headers = match headers(&live, &inv, &ctx).await {
        Ok(h) => h,
        Err(e) => {
            // A header that cannot be built is this endpoint's error, shown where it belongs.
            if let Job::Auth { target, .. } = &job {
                let _ = tx.send(LiveMessage::AuthRates {
                    target: *target,
                    result: Err(e),
                    at: Instant::now(),
                    wall: SystemTime::now(),
                });
                return;
            }
            tracing::warn!(error = %e, "live headers unavailable; polling without them");
            HeaderMap::new()
        }
    };
    if let (Job::Auth { target, spec }, Mode::Forever) = (&job, mode)
        && spec.kind == AuthKind::Prometheus
    {
        let step = interval_of(&job).max(Duration::from_secs(5));
        if let Ok(points) =
            auth::prometheus_history(&client, spec, &headers, super::state::HISTORY, step).await
        {
            let _ = tx.send(LiveMessage::AuthHistory {
                target: *target,
                points,
            });
        }
    }
    let interval = interval_of(&job);
    let rounds = match (mode, &job) {
        (Mode::Once { .. }, Job::Auth { spec, .. }) if spec.kind == AuthKind::Scrape => 2,
        (Mode::Once { .. }, _) => 1,
        (Mode::Forever, _) => u64::MAX,
    };
    let mut failures = 0;
    let mut round = 0;
    loop {
        let (msg, ok) = poll(&client, &job, &headers).await;
        failures = if ok { 0 } else { failures + 1 };
        round += 1;
        if tx.send(msg).is_err() || round >= rounds || !ok && matches!(mode, Mode::Once { .. }) {
            return;
        }
        let delay = match mode {
            Mode::Forever => next_delay(interval, failures),
            Mode::Once { window } => window,
        };
        tokio::time::sleep(delay).await;
    }
}

/// Starts one task per endpoint of the inventory.
pub fn spawn(
    inv: &Arc<Inventory>,
    ctx: &LoadContext,
    tx: &UnboundedSender<LiveMessage>,
) -> Pollers {
    let client = super::http::client();
    let mut tasks = JoinSet::new();
    for (job, live) in jobs(inv) {
        let task = run(
            client.clone(),
            job,
            live,
            Arc::clone(inv),
            ctx.clone(),
            tx.clone(),
            Mode::Forever,
        );
        tasks.spawn(task);
    }
    Pollers { tasks }
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
    for (job, live) in jobs(inv) {
        let mode = Mode::Once { window };
        tasks.spawn(run(
            client.clone(),
            job,
            live,
            Arc::clone(inv),
            ctx.clone(),
            tx.clone(),
            mode,
        ));
    }
    drop(tx);
    let mut state = super::state::LiveState::new(inv);
    while let Some(msg) = rx.recv().await {
        state.apply(msg);
    }
    while tasks.join_next().await.is_some() {}
    state
}
