//! Time and retry policy: why every call ends within `GcpConfig::timeout`.
//!
//! The client's defaults (no builder settings) are AIP-194 retries capped at 10 attempts or
//! 60 s, exponential backoff from 1 s, and an attempt timeout equal to the time left in that
//! 60 s. A console cannot wait that long, so each request gets the time left until the call's
//! deadline as both its retry-loop limit and its attempt timeout, with at most 3 attempts.

use std::time::Duration;

use google_cloud_gax::exponential_backoff::ExponentialBackoffBuilder;
use google_cloud_gax::options::RequestOptionsBuilder;
use google_cloud_gax::retry_policy::{Aip194Strict, RetryPolicy, RetryPolicyExt as _};
use google_cloud_gax::retry_throttler::CircuitBreaker;
use google_cloud_secretmanager_v1::builder::secret_manager_service::ClientBuilder;
use tokio::time::Instant;

use super::error::{Ctx, GcpError};

/// At most this many attempts per request, and only for errors AIP-194 calls retryable
/// (`UNAVAILABLE`, HTTP 503, I/O errors on reads, refused connections). Writes that reached
/// the server are never retried (the client treats POST as non-idempotent).
const MAX_ATTEMPTS: u32 = 3;

/// Client-wide defaults. The per-request settings from [`Within::within`] are the real bound;
/// these only cover a request that forgets to set them.
pub(super) fn configure(builder: ClientBuilder, timeout: Duration) -> ClientBuilder {
    builder
        .with_retry_policy(retry_policy(timeout))
        // Jittered: the first retry waits up to 200 ms, the second up to 400 ms.
        .with_backoff_policy(
            ExponentialBackoffBuilder::new()
                .with_initial_delay(Duration::from_millis(200))
                .with_maximum_delay(Duration::from_secs(2))
                .with_scaling(2.0)
                .clamp(),
        )
        // Deterministic, unlike the default adaptive throttler (which may skip a retry at
        // random): retries stop only after 10 failed attempts without a success.
        .with_retry_throttler(CircuitBreaker::clamp(100, 0, 10))
        .with_attempt_timeout(timeout)
}

fn retry_policy(limit: Duration) -> impl RetryPolicy + 'static {
    Aip194Strict
        .with_attempt_limit(MAX_ATTEMPTS)
        .with_time_limit(limit)
}

/// Gives one request the time left until `deadline`, as its retry-loop limit and as its
/// attempt timeout (otherwise the client's own 60-second default applies).
pub(super) trait Within: RequestOptionsBuilder + Sized {
    fn within(self, deadline: Instant, ctx: &Ctx<'_>) -> Result<Self, GcpError> {
        let left = remaining(deadline, ctx)?;
        Ok(self
            .with_retry_policy(retry_policy(left))
            .with_attempt_timeout(left))
    }
}

impl<B: RequestOptionsBuilder> Within for B {}

fn remaining(deadline: Instant, ctx: &Ctx<'_>) -> Result<Duration, GcpError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(GcpError::timeout(ctx))
    } else {
        Ok(left)
    }
}
