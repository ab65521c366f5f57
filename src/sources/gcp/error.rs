//! One error type for every Secret Manager failure, built so it can be shown and logged as is.
//!
//! Why the client's error is not wrapped: its `Display` for a bad response quotes the
//! deserializer's message, and its non-JSON error keeps the raw body, either of which could
//! include payload text. [`GcpError`] keeps only the API's `status`, HTTP `code` and `message`
//! (which Google writes without values) plus fixed text of our own.

use std::time::Duration;

use google_cloud_gax::error::Error as GaxError;
use google_cloud_gax::error::rpc::Code;

use super::payload::PayloadProblem;

/// What went wrong, for callers that branch (the TUI colours, retry buttons, exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GcpErrorKind {
    /// Bad project, secret, version or endpoint in the config; nothing was sent.
    Config,
    /// ADC could not be loaded, or the server said `UNAUTHENTICATED`.
    Credentials,
    PermissionDenied,
    NotFound,
    /// The version is disabled or destroyed (`FAILED_PRECONDITION`).
    NotEnabled,
    /// `UNAVAILABLE`/503 on every attempt, or `RESOURCE_EXHAUSTED`.
    Unavailable,
    /// Nothing listens at the endpoint (connection refused, DNS failure).
    Connect,
    /// The endpoint accepted the connection but did not answer within the budget.
    Timeout,
    /// The payload's CRC32C did not match: corrupted in transit or in storage.
    Checksum,
    /// The payload is not UTF-8.
    NotUtf8,
    /// A reply that is not Secret Manager's (HTML page, wrong JSON): probably a wrong endpoint.
    BadResponse,
    /// Any other API error (`INVALID_ARGUMENT`, `INTERNAL`, ...).
    Api,
}

/// A failed Secret Manager call. `message` and `hint` never contain a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} [{}] (check: {hint})", status.as_deref().unwrap_or("client"))]
pub struct GcpError {
    pub kind: GcpErrorKind,
    /// Canonical status name from the API, e.g. `PERMISSION_DENIED`; `None` for local failures.
    pub status: Option<String>,
    /// HTTP status of the failing reply, when there was one.
    pub code: Option<i32>,
    /// What happened: the API's own message, or ours for local failures.
    pub message: String,
    /// What to check: role, resource name, credentials or endpoint.
    pub hint: String,
}

/// The operation that failed: decides which IAM role the hint names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Access,
    Get,
    List,
    Add,
    Enable,
}

impl Op {
    fn role(self) -> &'static str {
        match self {
            Op::Access => "roles/secretmanager.secretAccessor",
            Op::Get | Op::List => "roles/secretmanager.viewer",
            Op::Add => "roles/secretmanager.secretVersionAdder",
            Op::Enable => "roles/secretmanager.secretVersionManager",
        }
    }
}

/// Context the hints need; built by the client for each call.
pub(crate) struct Ctx<'a> {
    pub op: Op,
    /// The resource the call named, e.g. `projects/p/secrets/s/versions/latest`.
    pub resource: &'a str,
    pub endpoint: &'a str,
    pub timeout: Duration,
}

impl GcpError {
    pub(crate) fn new(
        kind: GcpErrorKind,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            status: None,
            code: None,
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(
            GcpErrorKind::Config,
            message,
            "project and secret IDs (letters, digits, '-', '_'), version `latest` or a number, \
             endpoint like https://secretmanager.googleapis.com or http://127.0.0.1:PORT",
        )
    }

    /// The call ran out of its budget: an attempt timed out, or the `tokio` backstop fired.
    pub(crate) fn timeout(ctx: &Ctx<'_>) -> Self {
        Self::new(
            GcpErrorKind::Timeout,
            format!(
                "no answer from {} within {:?} for {}",
                ctx.endpoint, ctx.timeout, ctx.resource
            ),
            "the server never replied (or the connection never completed): check the endpoint \
             is Secret Manager or the stand-in, the network, firewall and any proxy; or raise \
             the timeout",
        )
    }

    pub(crate) fn payload(problem: PayloadProblem, resource: &str) -> Self {
        match problem {
            PayloadProblem::CrcMismatch => Self::new(
                GcpErrorKind::Checksum,
                format!(
                    "CRC32C mismatch on {resource}: the data was corrupted in transit or storage"
                ),
                "retry; if it persists, check for a proxy rewriting bodies or a faulty emulator",
            ),
            PayloadProblem::NotUtf8 => Self::new(
                GcpErrorKind::NotUtf8,
                format!("{resource} holds bytes that are not UTF-8 (a binary secret)"),
                "this console tracks text secrets only; store the value as text (e.g. base64)",
            ),
        }
    }

    pub(crate) fn bad_response(ctx: &Ctx<'_>, what: &str) -> Self {
        Self::new(
            GcpErrorKind::BadResponse,
            format!("unexpected reply for {}: {what}", ctx.resource),
            endpoint_hint(ctx.endpoint),
        )
    }

    /// Maps a failure to build the client (loading ADC, universe-domain check).
    pub(crate) fn from_builder(e: &google_cloud_gax::client_builder::Error) -> Self {
        if e.is_universe_domain_mismatch() {
            return Self::new(
                GcpErrorKind::Config,
                format!("cannot build the client: {e}"),
                "unset GOOGLE_CLOUD_UNIVERSE_DOMAIN (or make it match the credentials' universe)",
            );
        }
        Self::new(
            GcpErrorKind::Credentials,
            format!("cannot build the client: {e}"),
            "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS \
             to a readable service-account key file",
        )
    }

    /// Maps the client's error. Never formats the client error itself (see module docs).
    pub(crate) fn from_gax(err: &GaxError, ctx: &Ctx<'_>) -> Self {
        // A retry loop whose next backoff would pass the deadline wraps the last attempt's
        // error; report that one.
        let err = match std::error::Error::source(err).and_then(|s| s.downcast_ref::<GaxError>()) {
            Some(inner) if err.is_exhausted() => inner,
            _ => err,
        };
        let code = err.http_status_code().map(i32::from);
        if let Some(status) = err.status() {
            let mut e = Self::from_status(status.code, &status.message, ctx);
            e.code = code;
            return e;
        }
        let (kind, message, hint) = if let Some(http @ 500..) = code {
            (
                GcpErrorKind::Unavailable,
                format!(
                    "HTTP {http} from {} with a body that is not a Google API error",
                    ctx.endpoint
                ),
                "a proxy or load balancer in front of the API is failing: retry later; check the \
                 endpoint and HTTPS_PROXY"
                    .to_owned(),
            )
        } else if let Some(http) = code {
            (
                GcpErrorKind::BadResponse,
                format!(
                    "HTTP {http} from {} with a body that is not a Google API error (an HTML page?)",
                    ctx.endpoint
                ),
                endpoint_hint(ctx.endpoint),
            )
        } else if err.is_connect() {
            (
                GcpErrorKind::Connect,
                format!("cannot connect to {}", ctx.endpoint),
                "is the endpoint right and the server (emulator, stand-in) running? check DNS, \
                 firewall and HTTPS_PROXY/NO_PROXY"
                    .to_owned(),
            )
        } else if err.is_timeout() {
            return Self::timeout(ctx);
        } else if err.is_authentication() {
            (
                GcpErrorKind::Credentials,
                format!("cannot get credentials: {}", auth_detail(err)),
                "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS \
                 to a service-account key file; on GCE/GKE/Cloud Run check the attached service account"
                    .to_owned(),
            )
        } else if err.is_deserialization() {
            (
                GcpErrorKind::BadResponse,
                format!(
                    "the reply for {} is not valid Secret Manager JSON",
                    ctx.resource
                ),
                endpoint_hint(ctx.endpoint),
            )
        } else if err.is_binding() {
            (
                GcpErrorKind::Config,
                format!(
                    "`{}` is not a valid Secret Manager resource name",
                    ctx.resource
                ),
                "project, secret and version must not be empty or contain '/'".to_owned(),
            )
        } else if err.is_io() {
            (
                GcpErrorKind::Unavailable,
                format!(
                    "the connection to {} broke during the request",
                    ctx.endpoint
                ),
                "transient network problem: retry; check proxies and load balancers".to_owned(),
            )
        } else {
            (
                GcpErrorKind::Api,
                format!("the Secret Manager client failed on {}", ctx.resource),
                "unexpected client error: retry, then report with the operation and endpoint"
                    .to_owned(),
            )
        };
        Self {
            kind,
            status: None,
            code,
            message,
            hint,
        }
    }

    fn from_status(code: Code, api_message: &str, ctx: &Ctx<'_>) -> Self {
        let (kind, hint) = match code {
            Code::NotFound => (
                GcpErrorKind::NotFound,
                format!(
                    "check the project, secret and version in `{}` exist \
                     (`gcloud secrets versions list SECRET --project PROJECT`)",
                    ctx.resource
                ),
            ),
            Code::PermissionDenied => (
                GcpErrorKind::PermissionDenied,
                format!(
                    "grant {} on the secret to the caller (which account ADC uses: \
                     `gcloud auth application-default print-access-token` / GOOGLE_APPLICATION_CREDENTIALS); \
                     also check the project ID, since a missing secret looks the same",
                    ctx.op.role()
                ),
            ),
            Code::Unauthenticated => (
                GcpErrorKind::Credentials,
                "credentials missing, expired or for another audience: run \
                 `gcloud auth application-default login` or check GOOGLE_APPLICATION_CREDENTIALS"
                    .to_owned(),
            ),
            Code::FailedPrecondition => (
                GcpErrorKind::NotEnabled,
                "the version is DISABLED or DESTROYED: choose an ENABLED version, or enable it \
                 (roles/secretmanager.secretVersionManager); DESTROYED versions cannot come back"
                    .to_owned(),
            ),
            Code::ResourceExhausted => (
                GcpErrorKind::Unavailable,
                "quota or rate limit exceeded (not retried): wait and retry; check the project's \
                 Secret Manager quotas"
                    .to_owned(),
            ),
            Code::Unavailable => (
                GcpErrorKind::Unavailable,
                format!(
                    "the service is overloaded or unreachable ({}): retry later; check quotas and the endpoint {}",
                    if ctx.op == Op::Add {
                        "not retried, since a retry could add a duplicate version: list versions first"
                    } else {
                        "gave up after 3 attempts"
                    },
                    ctx.endpoint
                ),
            ),
            _ => (
                GcpErrorKind::Api,
                format!("the API refused the {:?} call on {}", ctx.op, ctx.resource),
            ),
        };
        let message = if api_message.is_empty() {
            format!("{} on {}", code.name(), ctx.resource)
        } else {
            api_message.to_owned()
        };
        Self {
            kind,
            status: Some(code.name().to_owned()),
            code: None,
            message,
            hint,
        }
    }
}

fn endpoint_hint(endpoint: &str) -> String {
    format!(
        "check the endpoint `{endpoint}` is the Secret Manager API root (no `/v1` suffix, no path), \
         e.g. https://secretmanager.googleapis.com or the stand-in's http://127.0.0.1:PORT"
    )
}

/// Credential errors describe files and metadata-server failures; they never contain the
/// secret being read, which is the only value this module protects.
fn auth_detail(err: &GaxError) -> String {
    std::error::Error::source(err).map_or_else(|| "unknown reason".to_owned(), ToString::to_string)
}
