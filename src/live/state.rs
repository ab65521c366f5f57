//! What the pollers last saw, per service and environment, with enough history to draw rates
//! over the last ten minutes and to tell fresh data from stale.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use super::auth::{AuthRates, Totals};
use super::breaker::InstanceReading;
use super::health::Health;
use super::rate::increase;
use super::spec::{BreakerState, DEFAULT_INTERVAL};
use crate::inventory::Inventory;

/// How much rate history is kept.
pub const HISTORY: Duration = Duration::from_secs(600);

/// A value and when it was seen.
#[derive(Clone, Debug)]
pub struct Observed<T> {
    pub value: T,
    pub at: Instant,
    pub latency: Option<Duration>,
}

impl<T> Observed<T> {
    pub fn new(value: T, at: Instant, latency: Option<Duration>) -> Self {
        Self { value, at, latency }
    }

    /// Older than two poll intervals: drawn as stale, with its age.
    pub fn is_stale(&self, interval: Duration, now: Instant) -> bool {
        now.saturating_duration_since(self.at) > interval * 2
    }

    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.at)
    }
}

/// Auth rates of one service or environment.
#[derive(Clone, Debug, Default)]
pub struct AuthTrack {
    /// `Ok(None)`: reachable but no rate yet (a first scrape, or a new series).
    pub current: Option<Observed<Result<Option<AuthRates>, String>>>,
    pub history: VecDeque<(SystemTime, AuthRates)>,
    last_totals: Option<(Instant, Totals)>,
}

impl AuthTrack {
    /// Feeds a scrape's counter totals; a rate appears from the second one on. A counter that
    /// dropped was reset, and its new value counts as the increase.
    pub fn on_totals(
        &mut self,
        totals: Totals,
        at: Instant,
        wall: SystemTime,
        latency: Option<Duration>,
    ) {
        let rates = self.last_totals.and_then(|(then, prev)| {
            let dt = at.saturating_duration_since(then).as_secs_f64();
            (dt > 0.0).then(|| AuthRates {
                success_per_s: increase(prev.success, totals.success) / dt,
                failure_per_s: increase(prev.failure, totals.failure) / dt,
            })
        });
        self.last_totals = Some((at, totals));
        if let Some(r) = rates {
            self.push_history(wall, r);
        }
        self.current = Some(Observed::new(Ok(rates), at, latency));
    }

    /// Feeds rates computed elsewhere (Prometheus).
    pub fn on_rates(
        &mut self,
        rates: AuthRates,
        at: Instant,
        wall: SystemTime,
        latency: Option<Duration>,
    ) {
        self.push_history(wall, rates);
        self.current = Some(Observed::new(Ok(Some(rates)), at, latency));
    }

    /// Prepends history read at start (a range query).
    pub fn on_history(&mut self, points: Vec<(SystemTime, AuthRates)>) {
        let known_from = self.history.front().map(|(t, _)| *t);
        let mut older: VecDeque<(SystemTime, AuthRates)> = points
            .into_iter()
            .filter(|(t, _)| known_from.is_none_or(|k| *t < k))
            .collect();
        older.append(&mut self.history);
        self.history = older;
        self.trim(SystemTime::now());
    }

    pub fn on_error(&mut self, error: String, at: Instant) {
        self.current = Some(Observed::new(Err(error), at, None));
    }

    fn push_history(&mut self, wall: SystemTime, rates: AuthRates) {
        self.history.push_back((wall, rates));
        self.trim(wall);
    }

    fn trim(&mut self, now: SystemTime) {
        while let Some((t, _)) = self.history.front() {
            if now.duration_since(*t).is_ok_and(|age| age > HISTORY) {
                self.history.pop_front();
            } else {
                break;
            }
        }
    }

    /// The latest rates, when there are any.
    pub fn rates(&self) -> Option<AuthRates> {
        self.current
            .as_ref()
            .and_then(|o| o.value.as_ref().ok().copied().flatten())
    }
}

/// What is known live about one service.
#[derive(Clone, Debug, Default)]
pub struct ServiceLive {
    pub health: Option<Observed<Health>>,
    /// One slot per configured instance URL.
    pub breakers: Vec<Option<Observed<InstanceReading>>>,
    pub auth: AuthTrack,
}

impl ServiceLive {
    /// The worst breaker state over every instance and breaker.
    pub fn worst_breaker(&self) -> Option<BreakerState> {
        self.breakers
            .iter()
            .flatten()
            .filter_map(|o| o.value.result.as_ref().ok())
            .flatten()
            .filter_map(|b| b.state)
            .max_by_key(|s| (s.rank(), *s))
    }
}

/// Live knowledge of the whole inventory, shaped like it.
#[derive(Clone, Debug, Default)]
pub struct LiveState {
    pub services: Vec<Vec<ServiceLive>>,
    pub environments: Vec<AuthTrack>,
    /// Poll interval per service, for staleness.
    pub intervals: Vec<Vec<Duration>>,
}

impl LiveState {
    /// Empty slots for every service, sized from the inventory.
    pub fn new(inv: &Inventory) -> Self {
        Self {
            services: inv
                .environments
                .iter()
                .map(|e| {
                    e.services
                        .iter()
                        .map(|s| ServiceLive {
                            breakers: vec![
                                None;
                                s.live.breaker.as_ref().map_or(0, |b| b.urls.len())
                            ],
                            ..ServiceLive::default()
                        })
                        .collect()
                })
                .collect(),
            environments: vec![AuthTrack::default(); inv.environments.len()],
            intervals: inv
                .environments
                .iter()
                .map(|e| {
                    e.services
                        .iter()
                        .map(|s| {
                            s.live
                                .health
                                .as_ref()
                                .and_then(|h| h.interval)
                                .or_else(|| s.live.breaker.as_ref().and_then(|b| b.interval))
                                .unwrap_or(DEFAULT_INTERVAL)
                        })
                        .collect()
                })
                .collect(),
        }
    }

    pub fn service(&self, env: usize, service: usize) -> Option<&ServiceLive> {
        self.services.get(env)?.get(service)
    }

    pub fn service_mut(&mut self, env: usize, service: usize) -> Option<&mut ServiceLive> {
        self.services.get_mut(env)?.get_mut(service)
    }

    /// The auth track of an environment: its own, else the first service that has one.
    pub fn env_auth(&self, env: usize) -> Option<&AuthTrack> {
        let own = self.environments.get(env).filter(|t| t.current.is_some());
        own.or_else(|| {
            self.services
                .get(env)?
                .iter()
                .map(|s| &s.auth)
                .find(|t| t.current.is_some())
        })
    }

    /// The staleness interval of a service.
    pub fn interval(&self, env: usize, service: usize) -> Duration {
        self.intervals
            .get(env)
            .and_then(|e| e.get(service))
            .copied()
            .unwrap_or(DEFAULT_INTERVAL)
    }
}
