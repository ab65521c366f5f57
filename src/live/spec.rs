//! What the inventory says about live signals: health URLs, breaker endpoints, auth rates.
//!
//! Written in the inventory next to each service's source (and `auth` also per environment);
//! documented in docs/configuration.md.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::inventory::RawSource;

/// Default time between two polls of one endpoint.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Default time one request may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default metric holding the breaker state, one series per state.
pub const DEFAULT_STATE_METRIC: &str = "resilience4j_circuitbreaker_state";

/// A circuit breaker's state, as Resilience4j names them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BreakerState {
    Closed,
    HalfOpen,
    Open,
    ForcedOpen,
    Disabled,
    MetricsOnly,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "CLOSED",
            Self::Open => "OPEN",
            Self::HalfOpen => "HALF_OPEN",
            Self::ForcedOpen => "FORCED_OPEN",
            Self::Disabled => "DISABLED",
            Self::MetricsOnly => "METRICS_ONLY",
        }
    }

    /// Reads a state name from any of the dialects in the field: Resilience4j (`OPEN`),
    /// Micrometer labels (`half_open`), pybreaker (`half-open`), Polly (`Isolated`).
    pub fn parse(text: &str) -> Option<Self> {
        let norm: String = text
            .trim()
            .chars()
            .map(|c| {
                if c == '-' || c == ' ' {
                    '_'
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect();
        Some(match norm.as_str() {
            "CLOSED" | "CLOSE" => Self::Closed,
            "OPEN" => Self::Open,
            "HALF_OPEN" | "HALFOPEN" => Self::HalfOpen,
            "FORCED_OPEN" | "FORCEDOPEN" | "ISOLATED" => Self::ForcedOpen,
            "DISABLED" => Self::Disabled,
            "METRICS_ONLY" | "METRICSONLY" => Self::MetricsOnly,
            _ => return None,
        })
    }

    /// How bad the state is, for "worst instance" badges.
    pub fn rank(self) -> u8 {
        match self {
            Self::Closed | Self::Disabled | Self::MetricsOnly => 0,
            Self::HalfOpen => 1,
            Self::Open | Self::ForcedOpen => 2,
        }
    }
}

/// How breaker states are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreakerKind {
    /// `GET /actuator/circuitbreakers` (2.x map or 1.x list).
    Resilience4j,
    /// The `circuitBreakers` component of `/actuator/health`.
    SpringHealth,
    /// A metrics page with one state series per state.
    PrometheusMetric,
    /// Any JSON: a pointer to a state string and a mapping to states.
    Json,
}

/// Reads an optional humantime duration (`"2s"`, `"1m 30s"`), naming the bad text on error.
pub(crate) fn duration<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Duration>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    text.map(|t| {
        humantime::parse_duration(&t).map_err(|e| {
            serde::de::Error::custom(format!(
                "\"{t}\" is not a duration ({e}); write e.g. \"2s\""
            ))
        })
    })
    .transpose()
}

/// `health = { url, timeout, pointer, expect }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthSpec {
    pub url: String,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub interval: Option<Duration>,
    /// JSON pointer into the body (`/status`); with `expect`, the value that means up.
    pub pointer: Option<String>,
    pub expect: Option<String>,
}

/// `breaker = { kind, urls, names, … }`: one URL per instance.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSpec {
    pub kind: BreakerKind,
    pub urls: Vec<String>,
    /// Breakers to show; empty means every breaker the endpoint reports.
    #[serde(default)]
    pub names: Vec<String>,
    /// `prometheus-metric`: the state metric.
    pub metric: Option<String>,
    /// `json`: where the state string is.
    pub pointer: Option<String>,
    /// `json`: state string → state.
    #[serde(default)]
    pub states: BTreeMap<String, BreakerState>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub interval: Option<Duration>,
    /// How to close a breaker when the endpoint is not the Resilience4j actuator (which takes
    /// a `POST` without any setting).
    pub reset: Option<Box<ResetSpec>>,
}

/// `reset = { url, method, body }` or `reset = { program, args }`, once per instance and
/// breaker. `{url}` is the instance's breaker URL, `{instance}` its `host:port`, `{name}` the
/// breaker's name.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetSpec {
    pub url: Option<String>,
    /// Default `POST`.
    pub method: Option<String>,
    pub body: Option<String>,
    pub program: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
}

/// `auth = { kind = "prometheus" | "scrape", url, success, failure }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSpec {
    pub kind: AuthKind,
    pub url: String,
    /// `PromQL` (prometheus) or a selector (scrape) for successful authentications.
    pub success: String,
    pub failure: String,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub interval: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// Instant queries on a Prometheus server's HTTP API.
    Prometheus,
    /// Rates from successive scrapes of a metrics page.
    Scrape,
}

/// Live settings of one service or environment, as written.
#[derive(Clone, Debug, Default)]
pub struct LiveSpec {
    pub health: Option<HealthSpec>,
    pub breaker: Option<BreakerSpec>,
    pub auth: Option<AuthSpec>,
    /// Header name → a secret source for its value (bearer tokens); sent, never shown.
    pub headers: BTreeMap<String, RawSource>,
}

impl LiveSpec {
    /// Whether anything is polled.
    pub fn is_empty(&self) -> bool {
        self.health.is_none() && self.breaker.is_none() && self.auth.is_none()
    }

    /// Checks URLs and selectors; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let check_url = |field: &str, url: &str| {
            let parsed = reqwest::Url::parse(url)
                .map_err(|e| format!("{field}: \"{url}\" is not a URL ({e})"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!(
                    "{field}: \"{url}\" must start with http:// or https://"
                ));
            }
            Ok(())
        };
        if let Some(h) = &self.health {
            check_url("health.url", &h.url)?;
            if h.expect.is_some() && h.pointer.is_none() {
                return Err("health.expect needs health.pointer (e.g. \"/status\")".into());
            }
        }
        if let Some(b) = &self.breaker {
            if b.urls.is_empty() {
                return Err("breaker.urls is empty; give one URL per instance".into());
            }
            for u in &b.urls {
                check_url("breaker.urls", u)?;
            }
            if b.kind == BreakerKind::Json && (b.pointer.is_none() || b.states.is_empty()) {
                return Err("breaker kind \"json\" needs `pointer` and a `states` mapping".into());
            }
            if let Some(r) = &b.reset {
                match (&r.url, &r.program) {
                    (Some(_), Some(_)) | (None, None) => {
                        return Err(
                            "breaker.reset needs either `url` (an HTTP request) or `program` \
                             (a command), not both"
                                .into(),
                        );
                    }
                    (None, Some(p)) if p.trim().is_empty() => {
                        return Err("breaker.reset.program is empty".into());
                    }
                    _ => {}
                }
            }
        }
        if let Some(a) = &self.auth {
            check_url("auth.url", &a.url)?;
            if a.kind == AuthKind::Scrape {
                for (field, sel) in [("auth.success", &a.success), ("auth.failure", &a.failure)] {
                    crate::live::exposition::Selector::parse(sel)
                        .map_err(|e| format!("{field}: {e}"))?;
                }
            }
        }
        Ok(())
    }
}
