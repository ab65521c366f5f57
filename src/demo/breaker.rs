//! A small circuit breaker with Resilience4j's states and counting rules, so the actuator and
//! metrics show what a real Spring service would during the outage. Time is passed in, which
//! keeps the state machine deterministic under test.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Breaker states, named as Resilience4j's `CircuitBreaker.State`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    Closed,
    Open,
    HalfOpen,
    Disabled,
    ForcedOpen,
    MetricsOnly,
}

impl State {
    /// Every state, in the order Micrometer's state gauge lists them.
    pub const ALL: [State; 6] = [
        State::Closed,
        State::Open,
        State::HalfOpen,
        State::ForcedOpen,
        State::Disabled,
        State::MetricsOnly,
    ];

    #[must_use]
    /// The Java enum name, as the actuator JSON carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "CLOSED",
            Self::Open => "OPEN",
            Self::HalfOpen => "HALF_OPEN",
            Self::Disabled => "DISABLED",
            Self::ForcedOpen => "FORCED_OPEN",
            Self::MetricsOnly => "METRICS_ONLY",
        }
    }

    #[must_use]
    /// The `state` label of `resilience4j_circuitbreaker_state`.
    pub fn metric_label(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
            Self::Disabled => "disabled",
            Self::ForcedOpen => "forced_open",
            Self::MetricsOnly => "metrics_only",
        }
    }
}

/// Breaker parameters. The defaults are chosen so the demo opens within about a second of a
/// broken secret and tries again after a few seconds.
#[derive(Clone, Copy, Debug)]
pub struct BreakerConfig {
    /// Count-based sliding window: the last N calls.
    pub window: usize,
    /// Below this many calls in the window the failure rate is -1 and never trips.
    pub minimum_calls: usize,
    /// Percent of failed calls in the window at or above which the breaker opens.
    pub failure_rate_threshold: f32,
    /// How long `OPEN` lasts before `HALF_OPEN`: short, so a broken caller keeps sending a few
    /// trial calls and the validator's failure rate shows the outage, as a real fleet's does.
    pub wait_in_open: Duration,
    /// Trial calls allowed in `HALF_OPEN`.
    pub half_open_calls: usize,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            window: 10,
            minimum_calls: 5,
            failure_rate_threshold: 50.0,
            wait_in_open: Duration::from_secs(2),
            half_open_calls: 3,
        }
    }
}

/// Outcomes of recent calls (`true` = failed), bounded like Resilience4j's ring buffer.
#[derive(Debug)]
struct Window {
    outcomes: VecDeque<bool>,
    capacity: usize,
    minimum: usize,
}

impl Window {
    fn new(capacity: usize, minimum: usize) -> Self {
        Self {
            outcomes: VecDeque::with_capacity(capacity),
            capacity,
            minimum,
        }
    }

    fn record(&mut self, failed: bool) {
        if self.outcomes.len() == self.capacity {
            self.outcomes.pop_front();
        }
        self.outcomes.push_back(failed);
    }

    fn failed(&self) -> usize {
        self.outcomes.iter().filter(|f| **f).count()
    }

    /// Percent failed as Resilience4j computes it (f32), or -1 below the minimum.
    #[allow(clippy::cast_precision_loss)] // counts are at most the window size
    fn failure_rate(&self) -> f32 {
        if self.outcomes.len() < self.minimum.max(1) {
            return -1.0;
        }
        self.failed() as f32 * 100.0 / self.outcomes.len() as f32
    }
}

/// A point-in-time view for the actuator and metrics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Snapshot {
    pub(crate) state: State,
    pub(crate) failure_rate: f32,
    /// -1 below the minimum, else 0: the demo has no slow calls.
    pub(crate) slow_call_rate: f32,
    pub(crate) failure_rate_threshold: f32,
    pub(crate) buffered_calls: usize,
    pub(crate) failed_calls: usize,
    pub(crate) not_permitted_calls: u64,
}

/// The breaker. Like Resilience4j, each state has its own metrics: entering `CLOSED`,
/// `HALF_OPEN`, `FORCED_OPEN` or `DISABLED` starts a fresh window; entering `OPEN` keeps the window that tripped it.
#[derive(Debug)]
pub(crate) struct Breaker {
    config: BreakerConfig,
    state: State,
    since: Instant,
    window: Window,
    not_permitted: u64,
    half_open_permits: usize,
}

impl Breaker {
    pub(crate) fn new(config: BreakerConfig, now: Instant) -> Self {
        Self {
            config,
            state: State::Closed,
            since: now,
            window: Window::new(config.window, config.minimum_calls),
            not_permitted: 0,
            half_open_permits: 0,
        }
    }

    /// Moves `OPEN` to `HALF_OPEN` once the wait is over, checked on every access so the
    /// actuator shows `HALF_OPEN` on time even without traffic.
    fn tick(&mut self, now: Instant) {
        if self.state == State::Open
            && now.saturating_duration_since(self.since) >= self.config.wait_in_open
        {
            self.enter(State::HalfOpen, now);
        }
    }

    fn enter(&mut self, state: State, now: Instant) {
        if state != State::Open {
            self.window = match state {
                State::HalfOpen => {
                    Window::new(self.config.half_open_calls, self.config.half_open_calls)
                }
                _ => Window::new(self.config.window, self.config.minimum_calls),
            };
            self.not_permitted = 0;
        }
        self.half_open_permits = if state == State::HalfOpen {
            self.config.half_open_calls
        } else {
            0
        };
        self.state = state;
        self.since = now;
    }

    /// Whether a call may go out now. A refused call is counted as not permitted.
    pub(crate) fn try_acquire(&mut self, now: Instant) -> bool {
        self.tick(now);
        let permitted = match self.state {
            State::Closed | State::Disabled | State::MetricsOnly => true,
            State::Open | State::ForcedOpen => false,
            State::HalfOpen => {
                let ok = self.half_open_permits > 0;
                self.half_open_permits = self.half_open_permits.saturating_sub(1);
                ok
            }
        };
        if !permitted {
            self.not_permitted += 1;
        }
        permitted
    }

    /// Records the outcome of a permitted call and applies the transitions it causes.
    pub(crate) fn on_result(&mut self, now: Instant, failed: bool) {
        self.tick(now);
        match self.state {
            State::Disabled | State::ForcedOpen => {}
            State::MetricsOnly | State::Open => self.window.record(failed),
            State::Closed => {
                self.window.record(failed);
                if self.window.failure_rate() >= self.config.failure_rate_threshold {
                    self.enter(State::Open, now);
                }
            }
            State::HalfOpen => {
                self.window.record(failed);
                if failed {
                    self.enter(State::Open, now);
                } else if self.window.outcomes.len() >= self.config.half_open_calls {
                    self.enter(State::Closed, now);
                }
            }
        }
    }

    /// The actuator's `updateState`: `CLOSE`, `FORCE_OPEN` or `DISABLE`.
    pub(crate) fn force(&mut self, state: State, now: Instant) {
        self.enter(state, now);
    }

    pub(crate) fn snapshot(&mut self, now: Instant) -> Snapshot {
        self.tick(now);
        let failure_rate = self.window.failure_rate();
        Snapshot {
            state: self.state,
            failure_rate,
            slow_call_rate: if failure_rate < 0.0 { -1.0 } else { 0.0 },
            failure_rate_threshold: self.config.failure_rate_threshold,
            buffered_calls: self.window.outcomes.len(),
            failed_calls: self.window.failed(),
            not_permitted_calls: self.not_permitted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(b: &mut Breaker, now: Instant, failed: bool) -> bool {
        let ok = b.try_acquire(now);
        if ok {
            b.on_result(now, failed);
        }
        ok
    }

    #[test]
    fn opens_at_half_failures_after_minimum() {
        let t = Instant::now();
        let mut b = Breaker::new(BreakerConfig::default(), t);
        for _ in 0..4 {
            call(&mut b, t, true);
        }
        assert_eq!(b.snapshot(t).state, State::Closed, "below minimum calls");
        assert!((b.snapshot(t).failure_rate + 1.0).abs() < f32::EPSILON);
        call(&mut b, t, true);
        let s = b.snapshot(t);
        assert_eq!(
            (s.state, s.buffered_calls, s.failed_calls),
            (State::Open, 5, 5)
        );
        assert!(!call(&mut b, t, false));
        assert_eq!(b.snapshot(t).not_permitted_calls, 1);
    }

    #[test]
    fn mixed_window_trips_at_threshold() {
        let t = Instant::now();
        let mut b = Breaker::new(BreakerConfig::default(), t);
        for failed in [
            false, false, false, false, false, false, true, true, true, true,
        ] {
            call(&mut b, t, failed);
        }
        assert_eq!(b.snapshot(t).state, State::Closed, "40% stays closed");
        call(&mut b, t, true);
        assert_eq!(b.snapshot(t).state, State::Open, "50% opens");
    }

    #[test]
    fn half_open_closes_on_three_successes_and_reopens_on_failure() {
        let t = Instant::now();
        let mut b = Breaker::new(BreakerConfig::default(), t);
        for _ in 0..5 {
            call(&mut b, t, true);
        }
        let later = t + Duration::from_secs(5);
        assert_eq!(b.snapshot(later).state, State::HalfOpen);
        assert!(call(&mut b, later, false));
        assert!(call(&mut b, later, true));
        assert_eq!(b.snapshot(later).state, State::Open);
        let again = later + Duration::from_secs(5);
        for _ in 0..3 {
            assert!(call(&mut b, again, false));
        }
        let s = b.snapshot(again);
        assert_eq!((s.state, s.buffered_calls), (State::Closed, 0));
    }

    #[test]
    fn half_open_limits_trial_calls() {
        let t = Instant::now();
        let mut b = Breaker::new(BreakerConfig::default(), t);
        for _ in 0..5 {
            call(&mut b, t, true);
        }
        let later = t + Duration::from_secs(6);
        let permits: Vec<bool> = (0..4).map(|_| b.try_acquire(later)).collect();
        assert_eq!(permits, [true, true, true, false]);
    }

    #[test]
    fn forced_states() {
        let t = Instant::now();
        let mut b = Breaker::new(BreakerConfig::default(), t);
        b.force(State::ForcedOpen, t);
        assert!(!call(&mut b, t, false));
        b.force(State::Disabled, t);
        for _ in 0..10 {
            assert!(call(&mut b, t, true));
        }
        assert_eq!(b.snapshot(t).state, State::Disabled);
        b.force(State::Closed, t);
        assert_eq!(b.snapshot(t).buffered_calls, 0);
    }
}
