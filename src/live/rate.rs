//! Rates from successive scrapes of counters.
//!
//! The console scrapes `/metrics` itself, so instead of `PromQL`'s windowed and
//! extrapolated `rate()` it keeps the last two readings per series and
//! divides the increase by the time between them.

/// Increase between two readings of a counter: a drop means a reset, and the new value is the increase.
///
/// A counter only restarts from zero, so after a drop everything counted
/// since the restart is `current`. NaN in either reading yields NaN.
#[must_use]
pub fn increase(previous: f64, current: f64) -> f64 {
    if current < previous {
        current
    } else {
        current - previous
    }
}

/// Share of failures among all attempts; `None` when there were none, so the
/// console can say "no traffic" rather than a misleading 0 %.
#[must_use]
pub fn failure_ratio(success: f64, failure: f64) -> Option<f64> {
    let total = success + failure;
    (total.is_finite() && total > 0.0).then(|| failure / total)
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Reading {
    time_s: f64,
    value: f64,
    start: Option<f64>,
}

/// Per-second rate of one counter series from the two latest readings.
///
/// A new series has no rate until a second reading arrives, because one
/// reading says nothing about how fast the counter moves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CounterRate {
    last: Option<Reading>,
    rate: Option<f64>,
}

impl CounterRate {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a reading taken at `time_s` (seconds on any clock that only
    /// moves forward).
    ///
    /// Non-finite values are ignored (a NaN scrape must not wipe out a good
    /// rate), and so are readings not newer than the last one, since a zero
    /// or negative interval has no meaningful rate.
    pub fn feed(&mut self, time_s: f64, value: f64) {
        self.feed_with_start(time_s, value, None);
    }

    /// Like [`feed`](Self::feed), with the counter's start time (`OpenMetrics`
    /// `_created`, or `process_start_time_seconds`). A changed start time
    /// means a restart even when the counter has already climbed past its
    /// old value, which the drop rule alone would miss.
    pub fn feed_with_start(&mut self, time_s: f64, value: f64, start: Option<f64>) {
        if !time_s.is_finite() || !value.is_finite() {
            return;
        }
        if let Some(prev) = self.last {
            let dt = time_s - prev.time_s;
            if dt <= 0.0 {
                return;
            }
            // Any change of the start time, however small, is a restart.
            #[expect(
                clippy::float_cmp,
                reason = "start times are copied verbatim between scrapes"
            )]
            let restarted = matches!((prev.start, start), (Some(a), Some(b)) if a != b);
            let delta = if restarted {
                value
            } else {
                increase(prev.value, value)
            };
            self.rate = Some(delta / dt);
        }
        self.last = Some(Reading {
            time_s,
            value,
            start,
        });
    }

    /// Increase per second between the two latest readings; `None` until two exist.
    #[must_use]
    pub fn rate_per_s(&self) -> Option<f64> {
        self.rate
    }

    /// The latest accepted reading, for showing the raw counter next to its rate.
    #[must_use]
    pub fn last_value(&self) -> Option<f64> {
        self.last.map(|r| r.value)
    }
}
