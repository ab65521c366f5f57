//! The Secret Manager client wrapper: bounded time, no value leaks, errors with hints.

use std::time::Duration;

use bytes::Bytes;
use google_cloud_auth::credentials::anonymous;
use google_cloud_gax::options::RequestOptionsBuilder as _;
use google_cloud_secretmanager_v1::client::SecretManagerService;
use google_cloud_secretmanager_v1::model::SecretPayload;
use secrecy::{ExposeSecret as _, SecretString};
use tokio::time::Instant;

use super::config;
use super::error::{Ctx, GcpError, GcpErrorKind, Op};
use super::payload::{self, MAX_PAYLOAD_BYTES};
use super::policy::{self, Within as _};
use super::{Accessed, GcpConfig, LATEST, VersionInfo, VersionState};

const DEFAULT_ENDPOINT: &str = "https://secretmanager.googleapis.com";
/// Stop following `nextPageToken` after this many pages: guards against a server that loops.
const MAX_PAGES: usize = 100;

/// A Secret Manager client for one secret. Build once per [`GcpConfig`] and reuse: it holds a
/// connection pool and cached credentials.
#[derive(Debug, Clone)]
pub struct Client {
    inner: SecretManagerService,
    secret_name: String,
    version: String,
    endpoint: String,
    timeout: Duration,
}

impl Client {
    /// Validates the config and builds the client. Sends nothing: ADC is only loaded here, and
    /// tokens are fetched on the first call.
    ///
    /// # Errors
    /// [`GcpErrorKind::Config`] for an invalid name, endpoint or timeout (and for a plain-HTTP
    /// endpoint without `anonymous`, which would send a Google token in clear text);
    /// [`GcpErrorKind::Credentials`] when ADC cannot be loaded.
    pub async fn new(cfg: &GcpConfig) -> Result<Self, GcpError> {
        let endpoint = cfg.validate()?;
        let mut builder = policy::configure(SecretManagerService::builder(), cfg.timeout);
        if let Some(endpoint) = &endpoint {
            builder = builder.with_endpoint(endpoint.clone());
        }
        if cfg.anonymous {
            builder = builder.with_credentials(anonymous::Builder::new().build());
        }
        let built = tokio::time::timeout(cfg.timeout, builder.build()).await;
        let inner = match built {
            Ok(Ok(inner)) => inner,
            Ok(Err(e)) => return Err(GcpError::from_builder(&e)),
            Err(_) => {
                return Err(GcpError::new(
                    GcpErrorKind::Credentials,
                    format!("loading credentials took longer than {:?}", cfg.timeout),
                    "check GOOGLE_APPLICATION_CREDENTIALS and the gcloud ADC file",
                ));
            }
        };
        Ok(Self {
            inner,
            secret_name: cfg.secret_name(),
            version: cfg.version.clone(),
            endpoint: endpoint.unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned()),
            timeout: cfg.timeout,
        })
    }

    /// Reads the configured version. `latest` resolving to a DISABLED/DESTROYED version is an
    /// error whose message names the newest ENABLED version; a CRC32C mismatch is an error.
    ///
    /// # Errors
    /// As [`Client::access_version`].
    pub async fn access(&self) -> Result<Accessed, GcpError> {
        self.access_version(&self.version).await
    }

    /// Reads `version` (`latest`, a number or an alias), checking CRC32C and UTF-8.
    ///
    /// # Errors
    /// Any [`GcpErrorKind`]: API refusals keep their status and message, `NotEnabled` names the
    /// newest ENABLED version, `Checksum`/`NotUtf8` for a bad payload, `Timeout` past the budget.
    pub async fn access_version(&self, version: &str) -> Result<Accessed, GcpError> {
        config::validate_version(version)?;
        let name = self.version_name(version);
        let deadline = self.deadline();
        self.bounded(Op::Access, &name, self.access_inner(&name, deadline))
            .await
    }

    /// Newest first, at most `n`. Needs `roles/secretmanager.viewer`.
    ///
    /// # Errors
    /// API refusals, transport failures and timeouts, as for [`Client::access_version`].
    pub async fn list_versions(&self, n: usize) -> Result<Vec<VersionInfo>, GcpError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let deadline = self.deadline();
        let mut all = self
            .bounded(Op::List, &self.secret_name, self.list_all(deadline))
            .await?;
        all.truncate(n);
        Ok(all)
    }

    /// Adds a version with CRC32C computed and sent, then re-reads it; returns what was read
    /// back so the caller can compare fingerprints. Not retried once the request may have
    /// reached the server: a retry could create a duplicate version.
    ///
    /// # Errors
    /// `Config` for a value over 64 KiB (nothing sent); otherwise as the add or the re-read
    /// failed. A failed re-read means the version may exist: list before adding again.
    pub async fn add_version(&self, value: &SecretString) -> Result<Accessed, GcpError> {
        let deadline = self.deadline();
        self.bounded(Op::Add, &self.secret_name, self.add_inner(value, deadline))
            .await
    }

    /// Enables `number` (a no-op when already enabled, hence safe to retry).
    ///
    /// # Errors
    /// `NotEnabled` (`FAILED_PRECONDITION`) for a DESTROYED version; others as for reads.
    pub async fn enable_version(&self, number: u64) -> Result<VersionInfo, GcpError> {
        let name = self.version_name(&number.to_string());
        let deadline = self.deadline();
        let fut = async {
            let ctx = self.ctx(Op::Enable, &name);
            let version = self
                .inner
                .enable_secret_version()
                .set_name(&name)
                .with_idempotency(true)
                .within(deadline, &ctx)?
                .send()
                .await
                .map_err(|e| GcpError::from_gax(&e, &ctx))?;
            VersionInfo::from_api(&version, &ctx)
        };
        self.bounded(Op::Enable, &name, fut).await
    }

    async fn access_inner(&self, name: &str, deadline: Instant) -> Result<Accessed, GcpError> {
        let ctx = self.ctx(Op::Access, name);
        let sent = self
            .inner
            .access_secret_version()
            .set_name(name)
            .within(deadline, &ctx)?
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                let err = GcpError::from_gax(&e, &ctx);
                if err.kind == GcpErrorKind::NotEnabled {
                    return Err(self.explain_not_enabled(err, name, deadline).await);
                }
                return Err(err);
            }
        };
        // The reply names the concrete version even when `latest` was asked for.
        let number = VersionInfo::number_of(&response.name, &ctx)?;
        let Some(payload) = response.payload else {
            return Err(GcpError::bad_response(&ctx, "no payload"));
        };
        let resolved = self.version_name(&number.to_string());
        let (value, crc32c_matched) = payload::into_secret(payload.data, payload.data_crc32c)
            .map_err(|p| GcpError::payload(p, &resolved))?;
        // Metadata needs `versions.get`, which `secretAccessor` alone lacks; the read already
        // proved the version is enabled, so fall back to that rather than fail the read.
        let version = match self.get_info(&resolved, deadline).await {
            Ok(info) => info,
            Err(_) => VersionInfo {
                number,
                state: VersionState::Enabled,
                create_time: None,
            },
        };
        Ok(Accessed {
            value,
            version,
            crc32c_matched,
        })
    }

    async fn get_info(&self, name: &str, deadline: Instant) -> Result<VersionInfo, GcpError> {
        let ctx = self.ctx(Op::Get, name);
        let version = self
            .inner
            .get_secret_version()
            .set_name(name)
            .within(deadline, &ctx)?
            .send()
            .await
            .map_err(|e| GcpError::from_gax(&e, &ctx))?;
        VersionInfo::from_api(&version, &ctx)
    }

    /// Every version, newest (highest number) first. Sorted here because the API documents no order.
    async fn list_all(&self, deadline: Instant) -> Result<Vec<VersionInfo>, GcpError> {
        let ctx = self.ctx(Op::List, &self.secret_name);
        let mut out = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_PAGES {
            let page = self
                .inner
                .list_secret_versions()
                .set_parent(&self.secret_name)
                .set_page_token(token)
                .within(deadline, &ctx)?
                .send()
                .await
                .map_err(|e| GcpError::from_gax(&e, &ctx))?;
            for v in &page.versions {
                out.push(VersionInfo::from_api(v, &ctx)?);
            }
            if page.next_page_token.is_empty() {
                out.sort_by_key(|v| std::cmp::Reverse(v.number));
                return Ok(out);
            }
            token = page.next_page_token;
        }
        Err(GcpError::bad_response(
            &ctx,
            "more than 100 pages of versions (looping page token?)",
        ))
    }

    async fn add_inner(
        &self,
        value: &SecretString,
        deadline: Instant,
    ) -> Result<Accessed, GcpError> {
        let ctx = self.ctx(Op::Add, &self.secret_name);
        let raw = value.expose_secret().as_bytes();
        if raw.len() > MAX_PAYLOAD_BYTES {
            return Err(GcpError::new(
                GcpErrorKind::Config,
                format!(
                    "the value is {} bytes; Secret Manager accepts at most {MAX_PAYLOAD_BYTES}",
                    raw.len()
                ),
                "store a smaller value (the limit is per version); nothing was sent",
            ));
        }
        let crc = i64::from(payload::crc32c_of(raw));
        let data = Bytes::from(raw.to_vec());
        let sent = self
            .inner
            .add_secret_version()
            .set_parent(&self.secret_name)
            .set_payload(
                SecretPayload::new()
                    .set_data(data.clone())
                    .set_data_crc32c(crc),
            )
            .within(deadline, &ctx)?
            .send()
            .await;
        // The request (and its clone of `data`) is gone now, so this is the last owner.
        payload::wipe_bytes(data);
        let version = sent.map_err(|e| GcpError::from_gax(&e, &ctx))?;
        let number = VersionInfo::number_of(&version.name, &ctx)?;
        // The version exists from here on: say so in any error, so nobody adds it twice.
        let accessed = self
            .access_inner(&self.version_name(&number.to_string()), deadline)
            .await
            .map_err(|e| GcpError {
                message: format!(
                    "version {number} was added, but reading it back failed: {}",
                    e.message
                ),
                ..e
            })?;
        if accessed.version.number != number {
            return Err(GcpError::bad_response(
                &ctx,
                "the re-read returned another version",
            ));
        }
        Ok(accessed)
    }

    /// Turns "version is DISABLED" into "…; the newest ENABLED version is N", which is what the
    /// user needs to fix the config. Costs one list call, made only on this error path.
    async fn explain_not_enabled(&self, err: GcpError, name: &str, deadline: Instant) -> GcpError {
        let requested = name.rsplit('/').next().unwrap_or(LATEST);
        let message = match self.list_all(deadline).await {
            Ok(versions) => {
                let target = if requested == LATEST {
                    versions.first()
                } else {
                    versions.iter().find(|v| v.number.to_string() == requested)
                };
                let newest = versions.iter().find(|v| v.state == VersionState::Enabled);
                let what = match target {
                    Some(t) if requested == LATEST => {
                        format!("`latest` is version {}, which is {}", t.number, t.state)
                    }
                    Some(t) => format!("version {} is {}", t.number, t.state),
                    None => err.message.clone(),
                };
                match newest {
                    Some(v) => format!("{what}; the newest ENABLED version is {}", v.number),
                    None => format!("{what}; no version is ENABLED"),
                }
            }
            Err(list_err) => format!(
                "{} (could not list versions to name the newest ENABLED one: {}; that needs \
                 roles/secretmanager.viewer)",
                err.message,
                list_err.status.as_deref().unwrap_or("error")
            ),
        };
        GcpError { message, ..err }
    }

    /// Runs one public call under the hard backstop: whatever the client does, the caller gets
    /// an answer within `timeout`.
    async fn bounded<T>(
        &self,
        op: Op,
        resource: &str,
        fut: impl Future<Output = Result<T, GcpError>>,
    ) -> Result<T, GcpError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(result) => result,
            Err(_) => Err(GcpError::timeout(&self.ctx(op, resource))),
        }
    }

    /// The deadline the inner requests work to: a little before the backstop, so that a slow
    /// follow-up request (metadata after a read) fails on its own and is handled, instead of
    /// the backstop discarding a value that was already read.
    fn deadline(&self) -> Instant {
        let margin = (self.timeout / 10).min(Duration::from_millis(200));
        Instant::now() + self.timeout - margin
    }

    fn version_name(&self, version: &str) -> String {
        format!("{}/versions/{version}", self.secret_name)
    }

    fn ctx<'a>(&'a self, op: Op, resource: &'a str) -> Ctx<'a> {
        Ctx {
            op,
            resource,
            endpoint: &self.endpoint,
            timeout: self.timeout,
        }
    }
}
