//! Service health: any 2xx is up, optionally checked against a JSON field (Spring's
//! `{"status":"UP"}`).

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Serialize;

use super::http::{self, FetchError};
use super::spec::{DEFAULT_TIMEOUT, HealthSpec};

/// What a health probe found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "lowercase")]
pub enum Health {
    Up,
    /// It answered, and the answer says it is not healthy.
    Down(String),
    /// It did not answer usefully (refused, timed out, TLS, too large…).
    Unreachable(String),
}

impl Health {
    /// `up`, `down` or `unknown`, as `check --live` reports it.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down(_) | Self::Unreachable(_) => "down",
        }
    }
}

/// Decides health from a response.
pub fn judge(spec: &HealthSpec, status: u16, body: &[u8]) -> Health {
    if !(200..300).contains(&status) {
        return Health::Down(format!("HTTP {status}"));
    }
    let (Some(pointer), Some(expect)) = (&spec.pointer, &spec.expect) else {
        return Health::Up;
    };
    let json = match http::json(body) {
        Ok(j) => j,
        Err(e) => return Health::Down(e.to_string()),
    };
    match json.pointer(pointer) {
        None => Health::Down(format!("no {pointer} in the body")),
        Some(v) => {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            if text.eq_ignore_ascii_case(expect) {
                Health::Up
            } else {
                Health::Down(format!("{pointer} is {}", crate::view_text(&text, 24)))
            }
        }
    }
}

/// Probes once; returns the health and the latency when an answer came.
pub async fn probe(
    client: &reqwest::Client,
    spec: &HealthSpec,
    headers: &HeaderMap,
) -> (Health, Option<Duration>) {
    let timeout = spec.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let request = client.get(&spec.url).headers(headers.clone());
    match http::fetch(request, timeout, true).await {
        Ok(f) => (judge(spec, f.status, &f.body), Some(f.latency)),
        Err(e @ FetchError::Status(_)) => (Health::Down(e.to_string()), None),
        Err(e) => (Health::Unreachable(e.to_string()), None),
    }
}
