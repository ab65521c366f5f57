//! Request routing and the in-memory secret behind the stand-in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::super::VersionState;
use super::super::payload::{MAX_PAYLOAD_BYTES, crc32c_of};

pub(super) struct Version {
    pub(super) number: u64,
    pub(super) state: VersionState,
    create_time: String,
    pub(super) data: Zeroizing<Vec<u8>>,
}

pub(super) struct Store {
    project: String,
    secret: String,
    pub(super) versions: Vec<Version>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("secret", &self.secret_name())
            .field("versions", &self.versions.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    pub(super) fn new(project: String, secret: String) -> Self {
        Self {
            project,
            secret,
            versions: Vec::new(),
        }
    }

    fn secret_name(&self) -> String {
        format!("projects/{}/secrets/{}", self.project, self.secret)
    }

    pub(super) fn add(&mut self, data: Zeroizing<Vec<u8>>) -> u64 {
        let number = self.versions.last().map_or(1, |v| v.number + 1);
        let create_time = google_cloud_wkt::Timestamp::try_from(std::time::SystemTime::now())
            .map(String::from)
            .unwrap_or_default();
        self.versions.push(Version {
            number,
            state: VersionState::Enabled,
            create_time,
            data,
        });
        number
    }

    /// `latest` is the newest version whatever its state, as in the real service.
    fn find(&self, id: &str) -> Result<&Version, Reply> {
        let found = if id == "latest" {
            self.versions.last()
        } else {
            id.parse::<u64>()
                .ok()
                .and_then(|n| self.versions.iter().find(|v| v.number == n))
        };
        found.ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                &format!(
                    "Secret Version [{}/versions/{id}] not found.",
                    self.secret_name()
                ),
            )
        })
    }

    fn version_json(&self, v: &Version, ints: bool) -> Value {
        let state = if ints {
            json!(state_number(v.state))
        } else {
            json!(v.state.as_str())
        };
        let mut out = json!({
            "name": format!("{}/versions/{}", self.secret_name(), v.number),
            "createTime": v.create_time,
            "state": state,
            "etag": format!("\"{}-{}\"", v.number, v.state.as_str().to_ascii_lowercase()),
            "clientSpecifiedPayloadChecksum": true,
        });
        if v.state == VersionState::Destroyed {
            out["destroyTime"] = json!(v.create_time);
        }
        out
    }
}

type Reply = (StatusCode, Value);

fn error(status: StatusCode, name: &str, message: &str) -> Reply {
    (
        status,
        json!({"error": {"code": status.as_u16(), "message": message, "status": name}}),
    )
}

fn state_number(state: VersionState) -> i32 {
    match state {
        VersionState::Unspecified => 0,
        VersionState::Enabled => 1,
        VersionState::Disabled => 2,
        VersionState::Destroyed => 3,
    }
}

pub(super) async fn handle(
    State(store): State<Arc<Mutex<Store>>>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    // The official client asks for integer enums; other callers (curl) get names.
    let ints = query
        .get("$alt")
        .is_some_and(|alt| alt.contains("enum-encoding=int"));
    let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
    let (status, body) =
        route(&mut store, &method, uri.path(), &query, &body, ints).unwrap_or_else(|e| e);
    (status, axum::Json(body)).into_response()
}

fn route(
    store: &mut Store,
    method: &Method,
    path: &str,
    query: &HashMap<String, String>,
    body: &[u8],
    ints: bool,
) -> Result<Reply, Reply> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("No route for {method} {path}."),
        )
    };
    if parts.len() < 4 || parts[0] != "v1" || parts[1] != "projects" || parts[3] != "secrets" {
        return Err(not_found());
    }
    let (secret, secret_verb) = parts.get(4).map_or(("", None), |s| split_verb(s));
    if parts[2] != store.project || secret != store.secret {
        let name = format!("projects/{}/secrets/{secret}", parts[2]);
        return Err(error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("Secret [{name}] not found or has no versions."),
        ));
    }
    match (method, parts.len(), secret_verb, parts.get(5)) {
        (&Method::POST, 5, Some("addVersion"), None) => add_version(store, body, ints),
        (&Method::GET, 6, None, Some(&"versions")) => list(store, query, ints),
        (_, 7, None, Some(&"versions")) => {
            let (id, verb) = split_verb(parts[6]);
            match (method, verb) {
                (&Method::GET, None) => {
                    Ok((StatusCode::OK, store.version_json(store.find(id)?, ints)))
                }
                (&Method::GET, Some("access")) => access(store, id),
                (&Method::POST, Some("enable")) => {
                    set_state(store, id, VersionState::Enabled, ints)
                }
                (&Method::POST, Some("disable")) => {
                    set_state(store, id, VersionState::Disabled, ints)
                }
                _ => Err(not_found()),
            }
        }
        _ => Err(not_found()),
    }
}

fn split_verb(segment: &str) -> (&str, Option<&str>) {
    match segment.split_once(':') {
        Some((id, verb)) => (id, Some(verb)),
        None => (segment, None),
    }
}

fn access(store: &Store, id: &str) -> Result<Reply, Reply> {
    let v = store.find(id)?;
    let name = format!("{}/versions/{}", store.secret_name(), v.number);
    if v.state != VersionState::Enabled {
        let message = format!("Secret Version [{name}] is in {} state.", v.state);
        return Err(error(
            StatusCode::BAD_REQUEST,
            "FAILED_PRECONDITION",
            &message,
        ));
    }
    let payload =
        json!({"data": STANDARD.encode(&*v.data), "dataCrc32c": crc32c_of(&v.data).to_string()});
    Ok((StatusCode::OK, json!({"name": name, "payload": payload})))
}

fn list(store: &Store, query: &HashMap<String, String>, ints: bool) -> Result<Reply, Reply> {
    let filter = query.get("filter").map_or("", String::as_str);
    let wanted = match filter {
        "" => None,
        "state:ENABLED" => Some(VersionState::Enabled),
        "state:DISABLED" => Some(VersionState::Disabled),
        "state:DESTROYED" => Some(VersionState::Destroyed),
        _ => {
            let message =
                format!("The stand-in supports only state:STATE filters, not `{filter}`.");
            return Err(error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", &message));
        }
    };
    let matching: Vec<&Version> = store
        .versions
        .iter()
        .rev()
        .filter(|v| wanted.is_none_or(|w| v.state == w))
        .collect();
    // pageSize 0 (what the client sends when unset) means the server's default page size.
    let page_size = match query.get("pageSize").map_or(Ok(0), |s| s.parse::<usize>()) {
        Ok(0) => 25_000,
        Ok(n) => n,
        Err(_) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                "Bad pageSize.",
            ));
        }
    };
    let start = match query.get("pageToken").map(String::as_str) {
        None | Some("") => 0,
        Some(token) => token.parse::<usize>().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                "Bad pageToken.",
            )
        })?,
    };
    let end = (start + page_size).min(matching.len());
    let versions: Vec<Value> = matching
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|v| store.version_json(v, ints))
        .collect();
    let mut out = json!({"versions": versions, "totalSize": matching.len()});
    if end < matching.len() {
        out["nextPageToken"] = json!(end.to_string());
    }
    Ok((StatusCode::OK, out))
}

fn add_version(store: &mut Store, body: &[u8], ints: bool) -> Result<Reply, Reply> {
    let bad = |message: &str| error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message);
    let request: Value =
        serde_json::from_slice(body).map_err(|_| bad("Request body is not JSON."))?;
    let payload = &request["payload"];
    let encoded = payload["data"].as_str().unwrap_or_default();
    let data = Zeroizing::new(
        STANDARD
            .decode(encoded)
            .map_err(|_| bad("payload.data is not base64."))?,
    );
    if data.len() > MAX_PAYLOAD_BYTES {
        return Err(bad("Secret payload data exceeds the 65536-byte limit."));
    }
    // int64 in proto JSON: a decimal string, though a number is accepted too.
    let sent = match &payload["dataCrc32c"] {
        Value::Null => None,
        Value::String(s) => Some(s.parse::<i64>().map_err(|_| bad("Bad dataCrc32c."))?),
        Value::Number(n) => Some(n.as_i64().ok_or_else(|| bad("Bad dataCrc32c."))?),
        _ => return Err(bad("Bad dataCrc32c.")),
    };
    if sent.is_some_and(|crc| crc != i64::from(crc32c_of(&data))) {
        return Err(bad(
            "Checksum mismatch: payload.data_crc32c does not match the data.",
        ));
    }
    let number = store.add(data);
    store
        .find(&number.to_string())
        .map(|v| (StatusCode::OK, store.version_json(v, ints)))
}

fn set_state(store: &mut Store, id: &str, state: VersionState, ints: bool) -> Result<Reply, Reply> {
    let number = store.find(id)?.number;
    let name = format!("{}/versions/{number}", store.secret_name());
    let version = store
        .versions
        .iter_mut()
        .find(|v| v.number == number)
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                &format!("Secret Version [{name}] not found."),
            )
        })?;
    if version.state == VersionState::Destroyed {
        let message = format!("Secret Version [{name}] is in DESTROYED state.");
        return Err(error(
            StatusCode::BAD_REQUEST,
            "FAILED_PRECONDITION",
            &message,
        ));
    }
    version.state = state;
    store
        .find(id)
        .map(|v| (StatusCode::OK, store.version_json(v, ints)))
}
