//! Google Cloud Secret Manager as a secret source, through the official client crates
//! (`google-cloud-secretmanager-v1` over HTTP/1.1 + JSON).
//!
//! Why a wrapper instead of using the client directly: the console needs three guarantees the
//! client does not give by default.
//! - **Bounded time.** The client's default retry policy can spend up to 60 s (10 attempts) on one
//!   call; a console must answer within the configured `timeout`, so every call gets a 3-attempt
//!   policy, a per-attempt timeout from one shared deadline, and a `tokio` timeout as a backstop.
//! - **No value leaks.** The client's `SecretPayload` derives `Debug` with the raw bytes, its
//!   deserialization errors carry serde's message (which can quote input), and its non-JSON
//!   HTTP errors keep the raw body. Values leave this module only inside
//!   [`secrecy::SecretString`]; errors are rebuilt from the API's own `status`/`message` and never
//!   carry a body or a value.
//! - **Actionable errors.** [`GcpError::hint`] says which role, name, credential or endpoint to check.
//!
//! Restore must never lose data, so this module exposes no way to disable or destroy a version
//! (the [`standin`] test server supports disable only so tests can create that state).

mod client;
mod config;
mod error;
mod payload;
mod policy;
pub mod standin;

pub use client::Client;
pub use config::{DEFAULT_TIMEOUT, GcpConfig, LATEST};
pub use error::{GcpError, GcpErrorKind};
pub use payload::crc32c_of;

use error::Ctx;
use google_cloud_secretmanager_v1::model::{SecretVersion, secret_version::State};

/// Lifecycle state of a version. Only `Enabled` versions can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionState {
    Enabled,
    Disabled,
    /// Terminal: the data is gone and the version can never be enabled again.
    Destroyed,
    /// `STATE_UNSPECIFIED` or a state newer than this client knows.
    Unspecified,
}

impl VersionState {
    /// The API's enum name, for messages that users compare with `gcloud` output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "ENABLED",
            Self::Disabled => "DISABLED",
            Self::Destroyed => "DESTROYED",
            Self::Unspecified => "STATE_UNSPECIFIED",
        }
    }
}

impl std::fmt::Display for VersionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Metadata of one version; never holds data, so it is safe to log and display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub number: u64,
    pub state: VersionState,
    /// RFC 3339 UTC, as the API reports it. `None` when the caller may read but not view
    /// metadata (`secretAccessor` without `viewer`).
    pub create_time: Option<String>,
}

impl VersionInfo {
    /// The number at the end of a version name (`projects/1/secrets/s/versions/3`).
    pub(crate) fn number_of(name: &str, ctx: &Ctx<'_>) -> Result<u64, GcpError> {
        name.rsplit_once("/versions/")
            .and_then(|(_, n)| n.parse().ok())
            .ok_or_else(|| GcpError::bad_response(ctx, "a version name without a number"))
    }

    /// Converts the API's version; unknown future states become `Unspecified`.
    pub(crate) fn from_api(v: &SecretVersion, ctx: &Ctx<'_>) -> Result<Self, GcpError> {
        let state = match v.state {
            State::Enabled => VersionState::Enabled,
            State::Disabled => VersionState::Disabled,
            State::Destroyed => VersionState::Destroyed,
            _ => VersionState::Unspecified,
        };
        Ok(Self {
            number: Self::number_of(&v.name, ctx)?,
            state,
            create_time: v.create_time.map(String::from),
        })
    }
}

/// A value read from Secret Manager. `Debug` is safe: `SecretString` prints `[REDACTED]`.
#[derive(Debug)]
pub struct Accessed {
    pub value: secrecy::SecretString,
    pub version: VersionInfo,
    /// `Some(true)` when the server sent a CRC32C and it matched; `None` when it sent none.
    /// A mismatch is an error, never `Some(false)`.
    pub crc32c_matched: Option<bool>,
}
