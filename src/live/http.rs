//! One HTTP request to a live endpoint, with every guard a hostile or broken endpoint needs:
//! a time-out, a 1 MiB body cap, limited redirects, TLS verified by rustls, and errors that say
//! in a few words what went wrong.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

/// Largest body read from an endpoint.
pub const MAX_BODY: usize = 1024 * 1024;
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;

/// Builds the client every poller shares.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .user_agent(concat!("secretops/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Why a request failed, short enough for a table cell.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("timed out after {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("connection refused")]
    Refused,
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("TLS failed: {0}")]
    Tls(String),
    #[error("too many redirects (over {MAX_REDIRECTS})")]
    Redirects,
    #[error("response over 1 MiB")]
    TooLarge,
    #[error("HTTP {0}")]
    Status(u16),
    #[error("{0}")]
    Other(String),
}

/// A response that arrived in time and within the size cap.
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub latency: Duration,
}

/// Headers to send, built from secret values: marked sensitive so they never show in debug
/// output.
pub fn sensitive_headers(pairs: &[(String, SecretString)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("header name \"{name}\" is not valid"))?;
        let mut v = HeaderValue::from_str(value.expose_secret()).map_err(|_| {
            format!("the value for header {name} has characters a header cannot hold")
        })?;
        v.set_sensitive(true);
        map.insert(name, v);
    }
    Ok(map)
}

fn classify(e: &reqwest::Error, timeout: Duration) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout(timeout);
    }
    if e.is_redirect() {
        return FetchError::Redirects;
    }
    // Walk the source chain: the useful words are at the bottom.
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let all = chain.join(": ").to_lowercase();
    let https = e.url().is_some_and(|u| u.scheme() == "https");
    let tls_words = [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "alert",
    ];
    if tls_words.iter().any(|w| all.contains(w))
        || (https && e.is_connect() && !all.contains("refused") && !all.contains("dns"))
    {
        let last = chain.last().cloned().unwrap_or_default();
        return FetchError::Tls(crate::redact_quoted(&last));
    }
    if e.is_connect() {
        if all.contains("refused") {
            return FetchError::Refused;
        }
        let last = chain.last().cloned().unwrap_or_default();
        return FetchError::Connect(crate::redact_quoted(&last));
    }
    FetchError::Other(crate::redact_quoted(
        chain.last().map_or("request failed", String::as_str),
    ))
}

/// Sends one request and reads at most [`MAX_BODY`] bytes of the answer, all within `timeout`.
///
/// Non-2xx statuses are returned as [`FetchError::Status`] unless `accept_any_status` is set
/// (a health endpoint's 503 still carries a body worth reading).
pub async fn fetch(
    request: reqwest::RequestBuilder,
    timeout: Duration,
    accept_any_status: bool,
) -> Result<Fetched, FetchError> {
    let started = Instant::now();
    let work = async {
        let response = request.send().await.map_err(|e| classify(&e, timeout))?;
        let status = response.status().as_u16();
        if !accept_any_status && !response.status().is_success() {
            return Err(FetchError::Status(status));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, timeout))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status,
            content_type,
            body,
            latency: started.elapsed(),
        })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout(timeout)),
    }
}

/// Parses a JSON body, saying briefly what it was instead when it is not JSON.
pub fn json(body: &[u8]) -> Result<serde_json::Value, FetchError> {
    serde_json::from_slice(body).map_err(|_| {
        let start = String::from_utf8_lossy(&body[..body.len().min(64)]).to_lowercase();
        if start.trim_start().starts_with('<') {
            FetchError::Other("HTML instead of JSON (is the URL right?)".into())
        } else {
            FetchError::Other("the body is not JSON".into())
        }
    })
}
