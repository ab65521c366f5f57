//! A scripted fake Secret Manager: records every request exactly as received and answers with
//! whatever the test's closure returns. Unlike the library's stand-in it has no behaviour of its
//! own, so error cases (503 bursts, HTML pages, bad checksums) are easy to script.
#![allow(dead_code)] // each test binary uses a different subset
#![allow(
    clippy::unwrap_used,
    reason = "test fixture: a failure here is a broken test setup"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use secretops::sources::gcp::{Client, GcpConfig};

/// The query every call carries, as reqwest encodes it (`$alt=json;enum-encoding=int`).
pub const ALT: &str = "%24alt=json%3Benum-encoding%3Dint";
pub const PROJECT: &str = "proj";
pub const SECRET: &str = "db-password";
pub const SECRET_NAME: &str = "projects/proj/secrets/db-password";

/// One request as the client sent it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Raw query string, still percent-encoded.
    pub query: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Recorded {
    pub fn json_body(&self) -> Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

/// What the fake answers.
pub struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Reply {
    pub fn json(body: &Value) -> Self {
        Self {
            status: 200,
            content_type: "application/json",
            body: body.to_string(),
        }
    }

    /// The AIP-193 error shape every Google REST API uses.
    pub fn error(code: u16, status: &str, message: &str) -> Self {
        let body = json!({"error": {"code": code, "message": message, "status": status}});
        Self {
            status: code,
            content_type: "application/json",
            body: body.to_string(),
        }
    }

    /// A non-JSON body, as a load balancer in front of the API might send.
    pub fn plain(status: u16, body: &str) -> Self {
        Self {
            status,
            content_type: "text/plain",
            body: body.to_owned(),
        }
    }

    /// What Google's front end serves for a path it does not know.
    pub fn html_404() -> Self {
        let body = "<!DOCTYPE html><html><head><title>Error 404 (Not Found)!!1</title></head>\
                    <body><p><b>404.</b> That's an error.</p></body></html>";
        Self {
            status: 404,
            content_type: "text/html; charset=UTF-8",
            body: body.to_owned(),
        }
    }
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

pub struct Fake {
    pub endpoint: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Fake {
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// A client for this fake, anonymous, with `timeout`.
    pub async fn client(&self, timeout: Duration) -> Client {
        Client::new(&config(&self.endpoint, timeout))
            .await
            .expect("client builds")
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn config(endpoint: &str, timeout: Duration) -> GcpConfig {
    let mut cfg = GcpConfig::new(PROJECT, SECRET);
    cfg.endpoint = Some(endpoint.to_owned());
    cfg.anonymous = true;
    cfg.timeout = timeout;
    cfg
}

pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Fake {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let state = (Arc::clone(&requests), Arc::new(handler) as Handler);
    let app = Router::new().fallback(serve).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Fake {
        endpoint,
        requests,
        task,
    }
}

async fn serve(
    State((requests, handler)): State<(Arc<Mutex<Vec<Recorded>>>, Handler)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or("<binary>").to_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let reply = handler(&recorded);
    requests.lock().unwrap().push(recorded);
    let status = StatusCode::from_u16(reply.status).unwrap();
    (status, [("content-type", reply.content_type)], reply.body).into_response()
}

/// How the fake encodes enums and int64s: the client must accept every combination.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub enum_ints: bool,
    pub int64_strings: bool,
}

pub const STYLES: [Style; 4] = [
    Style {
        enum_ints: true,
        int64_strings: true,
    },
    Style {
        enum_ints: true,
        int64_strings: false,
    },
    Style {
        enum_ints: false,
        int64_strings: true,
    },
    Style {
        enum_ints: false,
        int64_strings: false,
    },
];

pub const CREATE_TIME: &str = "2024-05-01T12:00:00.123456Z";

/// A `SecretVersion`; `state` is the API name (`ENABLED`, ...).
pub fn version(style: Style, number: u64, state: &str) -> Value {
    let state_value = if style.enum_ints {
        json!(match state {
            "ENABLED" => 1,
            "DISABLED" => 2,
            "DESTROYED" => 3,
            _ => 0,
        })
    } else {
        json!(state)
    };
    json!({
        "name": format!("projects/123456/secrets/{SECRET}/versions/{number}"),
        "createTime": CREATE_TIME,
        "state": state_value,
        "etag": format!("\"e{number}\""),
    })
}

/// An `AccessSecretVersionResponse`; `crc` overrides the correct checksum.
pub fn access(style: Style, number: u64, data: &[u8], crc: Option<u32>) -> Value {
    let crc = crc.unwrap_or_else(|| secretops::sources::gcp::crc32c_of(data));
    let crc_value = if style.int64_strings {
        json!(crc.to_string())
    } else {
        json!(crc)
    };
    json!({
        "name": format!("projects/123456/secrets/{SECRET}/versions/{number}"),
        "payload": {"data": base64::engine::general_purpose::STANDARD.encode(data), "dataCrc32c": crc_value},
    })
}

/// A one-page `ListSecretVersionsResponse`, versions given newest first as `(number, state)`.
pub fn list(style: Style, versions: &[(u64, &str)]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|(n, s)| version(style, *n, s))
        .collect();
    // totalSize is an int32, which proto JSON writes as a number.
    json!({"versions": versions, "totalSize": versions.len()})
}

/// An address where nothing listens: bind, note the port, close.
pub async fn refused_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A server that accepts connections, reads, and never answers.
pub async fn hung_endpoint() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (endpoint, task)
}
