//! Authentication success and failure rates: from a Prometheus server (instant queries, a range
//! query to fill the history), or from successive scrapes of the auth service's metrics.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use serde::Serialize;
use serde_json::Value;

use super::exposition::{self, Format, Selector};
use super::http;
use super::spec::{AuthSpec, DEFAULT_TIMEOUT};

/// Rates at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AuthRates {
    pub success_per_s: f64,
    pub failure_per_s: f64,
}

impl AuthRates {
    /// Failures over all attempts; `None` when there was no traffic (never shown as 0%).
    pub fn failure_ratio(&self) -> Option<f64> {
        let total = self.success_per_s + self.failure_per_s;
        (total > 0.0 && total.is_finite()).then(|| self.failure_per_s / total)
    }

    pub fn requests_per_s(&self) -> f64 {
        self.success_per_s + self.failure_per_s
    }
}

/// Counter totals from one scrape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Totals {
    pub success: f64,
    pub failure: f64,
}

/// Reads the two selectors' sums from a scraped page.
pub fn totals(body: &[u8], content_type: Option<&str>, spec: &AuthSpec) -> Result<Totals, String> {
    let format = exposition::format_for(content_type);
    let samples = exposition::parse(body, format)
        .or_else(|e| {
            let other = if format == Format::OpenMetrics {
                Format::PrometheusText
            } else {
                Format::OpenMetrics
            };
            exposition::parse(body, other).map_err(|_| e)
        })
        .map_err(|e| format!("malformed metrics: {e}"))?;
    let sum = |text: &str| -> Result<f64, String> {
        let selector = Selector::parse(text)?;
        // A series not there yet means no such request so far.
        Ok(selector.sum(&samples).unwrap_or(0.0))
    };
    Ok(Totals {
        success: sum(&spec.success)?,
        failure: sum(&spec.failure)?,
    })
}

/// One scrape of a metrics page.
pub async fn scrape(
    client: &reqwest::Client,
    spec: &AuthSpec,
    headers: &HeaderMap,
) -> Result<Totals, String> {
    let timeout = spec.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let request = client
        .get(&spec.url)
        .headers(headers.clone())
        .header(reqwest::header::ACCEPT, exposition::ACCEPT);
    let f = http::fetch(request, timeout, false)
        .await
        .map_err(|e| e.to_string())?;
    totals(&f.body, f.content_type.as_deref(), spec)
}

/// Reads a Prometheus API envelope; errors carry the server's `errorType` and message.
fn envelope(json: &Value) -> Result<&Value, String> {
    match json.get("status").and_then(Value::as_str) {
        Some("success") => json
            .get("data")
            .ok_or_else(|| "no data in the answer".into()),
        Some("error") => Err(format!(
            "Prometheus {}: {}",
            json.get("errorType")
                .and_then(Value::as_str)
                .unwrap_or("error"),
            crate::view_text(json.get("error").and_then(Value::as_str).unwrap_or(""), 160)
        )),
        _ => Err("not a Prometheus API answer (no status field)".into()),
    }
}

fn sample_value(v: &Value) -> Option<f64> {
    v.get(1)?.as_str()?.parse::<f64>().ok()
}

/// The sum of an instant query's result (vector or scalar); `None` for an empty result.
pub fn instant_value(json: &Value) -> Result<Option<f64>, String> {
    let data = envelope(json)?;
    let result = data.get("result").ok_or("no result in the answer")?;
    match data.get("resultType").and_then(Value::as_str) {
        Some("scalar") => Ok(sample_value(result)),
        Some("vector") => {
            let list = result.as_array().ok_or("the vector result is not a list")?;
            if list.is_empty() {
                return Ok(None);
            }
            Ok(Some(
                list.iter()
                    .filter_map(|s| s.get("value").and_then(sample_value))
                    .sum(),
            ))
        }
        Some(other) => Err(format!(
            "the query gives a {other}; it must give a vector or scalar"
        )),
        None => Err("no resultType in the answer".into()),
    }
}

/// Points of a range query's result, summed across series per timestamp.
pub fn range_values(json: &Value) -> Result<Vec<(f64, f64)>, String> {
    let data = envelope(json)?;
    let series = data
        .get("result")
        .and_then(Value::as_array)
        .ok_or("no result list in the answer")?;
    let mut points: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for s in series {
        for p in s
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(t), Some(v)) = (p.get(0).and_then(Value::as_f64), sample_value(p)) else {
                continue;
            };
            #[allow(clippy::cast_possible_truncation, reason = "milliseconds fit in i64")]
            let key = (t * 1000.0) as i64;
            *points.entry(key).or_insert(0.0) += v;
        }
    }
    #[allow(clippy::cast_precision_loss, reason = "timestamps in ms fit in f64")]
    Ok(points
        .into_iter()
        .map(|(t, v)| (t as f64 / 1000.0, v))
        .collect())
}

async fn query(
    client: &reqwest::Client,
    spec: &AuthSpec,
    headers: &HeaderMap,
    path: &str,
    params: &[(&str, String)],
) -> Result<Value, String> {
    let timeout = spec.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let url = format!("{}{path}", spec.url.trim_end_matches('/'));
    let request = client.get(url).headers(headers.clone()).query(params);
    // Prometheus puts its error envelope in 4xx/5xx bodies; read them.
    let f = http::fetch(request, timeout, true)
        .await
        .map_err(|e| e.to_string())?;
    match http::json(&f.body) {
        Ok(json) => Ok(json),
        Err(_) if f.status >= 300 => Err(format!("HTTP {}", f.status)),
        Err(e) => Err(e.to_string()),
    }
}

/// Current rates from two instant queries.
pub async fn prometheus_rates(
    client: &reqwest::Client,
    spec: &AuthSpec,
    headers: &HeaderMap,
) -> Result<AuthRates, String> {
    let success = query(
        client,
        spec,
        headers,
        "/api/v1/query",
        &[("query", spec.success.clone())],
    )
    .await?;
    let failure = query(
        client,
        spec,
        headers,
        "/api/v1/query",
        &[("query", spec.failure.clone())],
    )
    .await?;
    Ok(AuthRates {
        success_per_s: instant_value(&success)?.unwrap_or(0.0),
        failure_per_s: instant_value(&failure)?.unwrap_or(0.0),
    })
}

/// History for the last `span`, one point per `step`, to fill the chart at start.
pub async fn prometheus_history(
    client: &reqwest::Client,
    spec: &AuthSpec,
    headers: &HeaderMap,
    span: Duration,
    step: Duration,
) -> Result<Vec<(SystemTime, AuthRates)>, String> {
    let end = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| "the clock is before 1970")?
        .as_secs_f64();
    let start = end - span.as_secs_f64();
    let params = |q: &str| {
        vec![
            ("query", q.to_string()),
            ("start", format!("{start:.3}")),
            ("end", format!("{end:.3}")),
            ("step", format!("{}s", step.as_secs().max(1))),
        ]
    };
    let s = range_values(
        &query(
            client,
            spec,
            headers,
            "/api/v1/query_range",
            &params(&spec.success),
        )
        .await?,
    )?;
    let f = range_values(
        &query(
            client,
            spec,
            headers,
            "/api/v1/query_range",
            &params(&spec.failure),
        )
        .await?,
    )?;
    let failures: std::collections::BTreeMap<i64, f64> = f
        .into_iter()
        .map(|(t, v)| {
            #[allow(clippy::cast_possible_truncation, reason = "milliseconds fit in i64")]
            let key = (t * 1000.0) as i64;
            (key, v)
        })
        .collect();
    Ok(s.into_iter()
        .map(|(t, success)| {
            #[allow(clippy::cast_possible_truncation, reason = "milliseconds fit in i64")]
            let key = (t * 1000.0) as i64;
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs_f64(t.max(0.0));
            (
                at,
                AuthRates {
                    success_per_s: success,
                    failure_per_s: failures.get(&key).copied().unwrap_or(0.0),
                },
            )
        })
        .collect())
}
