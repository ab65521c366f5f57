//! What to read and where, and the checks made before anything is sent.

use std::time::Duration;

use super::error::GcpError;

/// The alias Secret Manager resolves to the most recently *created* version (even when that
/// version is disabled: it never falls back to an older enabled one).
pub const LATEST: &str = "latest";

/// Default whole-call budget. Long enough for a token refresh plus one retry on a slow network,
/// short enough that a console never looks frozen.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the secret lives and how to reach it. Cheap to clone; build one [`Client`](super::Client) per config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpConfig {
    /// Project ID or number (`my-project` or `123456789`).
    pub project: String,
    /// Secret ID, the last segment of `projects/P/secrets/S`.
    pub secret: String,
    /// Version to read by default: [`LATEST`] or a number such as `"3"`.
    pub version: String,
    /// API root such as `http://127.0.0.1:8085` for an emulator or the stand-in; `None` means
    /// `https://secretmanager.googleapis.com`. Must not end in `/v1`: the client adds it.
    pub endpoint: Option<String>,
    /// Send no credentials (tests and emulators only). Otherwise Application Default Credentials.
    pub anonymous: bool,
    /// Budget for one whole public call, retries and follow-up requests included.
    pub timeout: Duration,
}

impl GcpConfig {
    /// A config for the real service with ADC, `latest` and [`DEFAULT_TIMEOUT`].
    #[must_use]
    pub fn new(project: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            project: project.into(),
            secret: secret.into(),
            version: LATEST.to_owned(),
            endpoint: None,
            anonymous: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// `projects/P/secrets/S`, the parent of every version name.
    #[must_use]
    pub fn secret_name(&self) -> String {
        format!("projects/{}/secrets/{}", self.project, self.secret)
    }
}

impl GcpConfig {
    /// Checks every field and returns the normalized endpoint (`None`: Google's default).
    /// Names are checked here because the client would otherwise put them into the URL path
    /// as they are.
    pub(super) fn validate(&self) -> Result<Option<String>, GcpError> {
        validate_segment("project", &self.project, true)?;
        validate_segment("secret", &self.secret, false)?;
        validate_version(&self.version)?;
        if self.timeout.is_zero() {
            return Err(GcpError::config("timeout must be greater than zero"));
        }
        normalize_endpoint(self.endpoint.as_deref(), self.anonymous)
    }
}

/// Project IDs may be domain-scoped (`example.com:proj`); secret IDs and versions may not.
fn validate_segment(what: &str, value: &str, project: bool) -> Result<(), GcpError> {
    let ok_char = |c: char| {
        c.is_ascii_alphanumeric() || c == '-' || c == '_' || (project && (c == '.' || c == ':'))
    };
    if value.is_empty() || !value.chars().all(ok_char) {
        return Err(GcpError::config(format!("invalid {what} ID `{value}`")));
    }
    Ok(())
}

pub(super) fn validate_version(version: &str) -> Result<(), GcpError> {
    validate_segment("version", version, false)
}

/// Plain HTTP is for emulators only: sending a Google token over it would leak the token.
fn normalize_endpoint(endpoint: Option<&str>, anonymous: bool) -> Result<Option<String>, GcpError> {
    let Some(endpoint) = endpoint else {
        return Ok(None);
    };
    let endpoint = endpoint.trim().trim_end_matches('/');
    if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
        return Err(GcpError::config(format!(
            "endpoint `{endpoint}` must start with https:// or http://"
        )));
    }
    if endpoint.ends_with("/v1") {
        return Err(GcpError::config(format!(
            "endpoint `{endpoint}` must not end in /v1: the client adds it"
        )));
    }
    if endpoint.starts_with("http://") && !anonymous {
        return Err(GcpError::config(format!(
            "endpoint `{endpoint}` is plain HTTP: use it only with anonymous credentials (an emulator)"
        )));
    }
    Ok(Some(endpoint.to_owned()))
}
