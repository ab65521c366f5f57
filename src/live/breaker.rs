//! Circuit-breaker states, read from whatever the instance exposes: the Resilience4j actuator
//! (2.x map or 1.x list of names), Spring's health component, a metrics page, or any JSON.
//! One URL per instance: a reset must reach every instance, so each is read on its own.

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use serde::Serialize;
use serde_json::Value;

use super::exposition::{self, Format};
use super::http;
use super::spec::{BreakerKind, BreakerSpec, BreakerState, DEFAULT_STATE_METRIC, DEFAULT_TIMEOUT};

/// One breaker on one instance. `state` is `None` when the endpoint names the breaker without
/// saying its state (Resilience4j 1.x).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BreakerReading {
    pub name: String,
    pub state: Option<BreakerState>,
}

/// What one instance said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceReading {
    /// `host:port` of the instance (or the URL when it has no host).
    pub instance: String,
    pub url: String,
    pub result: Result<Vec<BreakerReading>, String>,
}

/// A short name for an instance: `host:port`.
pub fn instance_name(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| url.to_string())
}

fn keep(names: &[String], name: &str) -> bool {
    names.is_empty() || names.iter().any(|n| n == name)
}

/// `GET /actuator/circuitbreakers`: the 2.x map `{name: {state, …}}` or the 1.x list of names.
pub fn parse_resilience4j(json: &Value, names: &[String]) -> Result<Vec<BreakerReading>, String> {
    let breakers = json
        .get("circuitBreakers")
        .ok_or("no circuitBreakers field; is this the /actuator/circuitbreakers URL?")?;
    let mut out = Vec::new();
    match breakers {
        Value::Object(map) => {
            for (name, details) in map.iter().filter(|(n, _)| keep(names, n)) {
                let state = details
                    .get("state")
                    .and_then(Value::as_str)
                    .and_then(BreakerState::parse);
                out.push(BreakerReading {
                    name: name.clone(),
                    state,
                });
            }
        }
        Value::Array(list) => {
            for name in list
                .iter()
                .filter_map(Value::as_str)
                .filter(|n| keep(names, n))
            {
                out.push(BreakerReading {
                    name: name.to_string(),
                    state: None,
                });
            }
        }
        _ => return Err("circuitBreakers is neither a map nor a list".into()),
    }
    Ok(out)
}

/// `/actuator/health`: the `circuitBreakers` component's per-breaker statuses. The HTTP status
/// says nothing about breakers, so only the body is read.
pub fn parse_spring_health(json: &Value, names: &[String]) -> Result<Vec<BreakerReading>, String> {
    // Boot 2.2+ nests under `components`, 2.0/2.1 under `details`; the component alone also works.
    let component = ["components", "details"]
        .iter()
        .find_map(|k| json.get(k).and_then(|c| c.get("circuitBreakers")))
        .or_else(|| {
            json.get("details")
                .filter(|_| json.get("status").is_some())
                .map(|_| json)
        })
        .ok_or("no circuitBreakers component; enable management.health.circuitbreakers")?;
    let details = component
        .get("details")
        .and_then(Value::as_object)
        .ok_or("the circuitBreakers component has no details; set show-details=always")?;
    let mut out = Vec::new();
    for (name, entry) in details.iter().filter(|(n, _)| keep(names, n)) {
        let from_details = entry
            .get("details")
            .and_then(|d| d.get("state"))
            .and_then(Value::as_str)
            .and_then(BreakerState::parse);
        let from_status = entry
            .get("status")
            .and_then(Value::as_str)
            .and_then(|s| match s {
                "UP" => Some(BreakerState::Closed),
                "CIRCUIT_OPEN" | "DOWN" => Some(BreakerState::Open),
                "CIRCUIT_HALF_OPEN" => Some(BreakerState::HalfOpen),
                _ => None,
            });
        out.push(BreakerReading {
            name: name.clone(),
            state: from_details.or(from_status),
        });
    }
    Ok(out)
}

/// A metrics page: the state gauge has one series per state, and the current one is 1.
pub fn parse_metric(
    samples: &[exposition::Sample],
    metric: &str,
    names: &[String],
) -> Result<Vec<BreakerReading>, String> {
    let mut by_name: BTreeMap<String, Option<BreakerState>> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.name == metric) {
        let label = |k: &str| {
            s.labels
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        let name = label("name").unwrap_or("").to_string();
        if !keep(names, &name) {
            continue;
        }
        let entry = by_name.entry(name).or_insert(None);
        if (s.value - 1.0).abs() < f64::EPSILON {
            *entry = label("state").and_then(BreakerState::parse);
        }
    }
    if by_name.is_empty() {
        // Silence would read as "no breakers"; say what was looked for instead.
        let which = if names.is_empty() {
            String::new()
        } else {
            format!(" for {}", names.join(", "))
        };
        return Err(format!(
            "no {metric} series{which} on this page; check `metric` and `names`"
        ));
    }
    Ok(by_name
        .into_iter()
        .map(|(name, state)| BreakerReading {
            name: crate::view_text(&name, 80),
            state,
        })
        .collect())
}

/// Any JSON: a pointer to a state string and a mapping of strings to states.
pub fn parse_json(
    json: &Value,
    pointer: &str,
    states: &BTreeMap<String, BreakerState>,
    names: &[String],
) -> Result<Vec<BreakerReading>, String> {
    let raw = json
        .pointer(pointer)
        .ok_or_else(|| format!("no {pointer} in the body"))?;
    let text = raw.as_str().map_or_else(|| raw.to_string(), str::to_string);
    let state = states
        .get(&text)
        .copied()
        .or_else(|| BreakerState::parse(&text));
    let name = names.first().cloned().unwrap_or_else(|| "breaker".into());
    Ok(vec![BreakerReading { name, state }])
}

/// Reads one instance.
pub async fn probe_instance(
    client: &reqwest::Client,
    spec: &BreakerSpec,
    url: &str,
    headers: &HeaderMap,
) -> InstanceReading {
    let timeout = spec.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let mut request = client.get(url).headers(headers.clone());
    if spec.kind == BreakerKind::PrometheusMetric {
        request = request.header(reqwest::header::ACCEPT, exposition::ACCEPT);
    }
    // Spring answers 503 with a full body when something is DOWN.
    let any_status = spec.kind == BreakerKind::SpringHealth;
    let result = match http::fetch(request, timeout, any_status).await {
        Err(e) => Err(e.to_string()),
        Ok(f) => match spec.kind {
            BreakerKind::Resilience4j => http::json(&f.body)
                .map_err(|e| e.to_string())
                .and_then(|j| parse_resilience4j(&j, &spec.names)),
            BreakerKind::SpringHealth => http::json(&f.body)
                .map_err(|e| e.to_string())
                .and_then(|j| parse_spring_health(&j, &spec.names)),
            BreakerKind::Json => http::json(&f.body)
                .map_err(|e| e.to_string())
                .and_then(|j| {
                    parse_json(
                        &j,
                        spec.pointer.as_deref().unwrap_or(""),
                        &spec.states,
                        &spec.names,
                    )
                }),
            BreakerKind::PrometheusMetric => {
                let format = exposition::format_for(f.content_type.as_deref());
                exposition::parse(&f.body, format)
                    .or_else(|e| {
                        // Some servers label OpenMetrics bodies as plain text; try the other.
                        let other = if format == Format::OpenMetrics {
                            Format::PrometheusText
                        } else {
                            Format::OpenMetrics
                        };
                        exposition::parse(&f.body, other).map_err(|_| e)
                    })
                    .map_err(|e| format!("malformed metrics: {e}"))
                    .and_then(|samples| {
                        parse_metric(
                            &samples,
                            spec.metric.as_deref().unwrap_or(DEFAULT_STATE_METRIC),
                            &spec.names,
                        )
                    })
            }
        },
    };
    // Names come from the remote side: no terminal escapes, bounded length.
    let result = result.map(|list| {
        list.into_iter()
            .map(|b| BreakerReading {
                name: crate::view_text(&b.name, 80),
                state: b.state,
            })
            .collect()
    });
    InstanceReading {
        instance: instance_name(url),
        url: url.to_string(),
        result,
    }
}

/// Sends a breaker reset (`{"updateState":"CLOSE"}`) to one Resilience4j instance.
pub async fn reset_resilience4j(
    client: &reqwest::Client,
    base_url: &str,
    name: &str,
    headers: &HeaderMap,
    timeout: std::time::Duration,
) -> Result<(), String> {
    let url = format!("{}/{name}", base_url.trim_end_matches('/'));
    let request = client
        .post(url)
        .headers(headers.clone())
        .json(&serde_json::json!({"updateState": "CLOSE"}));
    http::fetch(request, timeout, false)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
