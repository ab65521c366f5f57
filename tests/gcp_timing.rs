//! Retry and time bounds: retries stop after 3 attempts, writes are not retried, and every
//! call ends within the configured timeout even when nothing answers.

mod gcp_fake;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gcp_fake::{Recorded, Reply, STYLES};
use secrecy::SecretString;
use secretops::sources::gcp::GcpErrorKind;

const TIMEOUT: Duration = Duration::from_secs(3);

fn is_access(r: &Recorded) -> bool {
    r.method == "GET" && r.path.ends_with(":access")
}

#[tokio::test]
async fn unavailable_then_success_is_retried() {
    for plain_503 in [false, true] {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let fake = gcp_fake::start(move |r| {
            if is_access(r) && seen.fetch_add(1, Ordering::SeqCst) == 0 {
                if plain_503 {
                    return Reply::plain(503, "Service Unavailable");
                }
                return Reply::error(503, "UNAVAILABLE", "The service is currently unavailable.");
            }
            if is_access(r) {
                Reply::json(&gcp_fake::access(STYLES[1], 2, b"ok", None))
            } else {
                Reply::json(&gcp_fake::version(STYLES[1], 2, "ENABLED"))
            }
        })
        .await;
        let got = fake
            .client(TIMEOUT)
            .await
            .access()
            .await
            .expect("second attempt succeeds");
        assert_eq!(got.version.number, 2);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "exactly one retry (plain_503={plain_503})"
        );
    }
}

#[tokio::test]
async fn unavailable_forever_gives_up_after_three_attempts() {
    let started = Instant::now();
    let fake = gcp_fake::start(|_| Reply::error(503, "UNAVAILABLE", "down")).await;
    let err = fake
        .client(TIMEOUT)
        .await
        .access()
        .await
        .expect_err("always 503");
    assert!(started.elapsed() < TIMEOUT, "{:?}", started.elapsed());
    assert_eq!(err.kind, GcpErrorKind::Unavailable);
    assert_eq!(err.status.as_deref(), Some("UNAVAILABLE"));
    assert!(err.hint.contains("gave up after 3 attempts"), "{err}");
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn add_version_is_not_retried_after_reaching_the_server() {
    let fake = gcp_fake::start(|_| Reply::error(503, "UNAVAILABLE", "down")).await;
    let err = fake
        .client(TIMEOUT)
        .await
        .add_version(&SecretString::from("value"))
        .await
        .expect_err("503");
    assert_eq!(err.kind, GcpErrorKind::Unavailable);
    assert_eq!(
        fake.requests().len(),
        1,
        "a retried add could create a duplicate version"
    );
}

#[tokio::test]
async fn connection_refused_fails_fast() {
    let endpoint = gcp_fake::refused_endpoint().await;
    let client = secretops::sources::gcp::Client::new(&gcp_fake::config(&endpoint, TIMEOUT))
        .await
        .unwrap();
    let started = Instant::now();
    let err = client.access().await.expect_err("nothing listens");
    let elapsed = started.elapsed();
    assert!(elapsed < TIMEOUT + Duration::from_secs(1), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(2),
        "three quick attempts, not the timeout: {elapsed:?}"
    );
    assert_eq!(err.kind, GcpErrorKind::Connect, "{err}");
    assert!(err.message.contains(&endpoint), "{err}");
}

#[tokio::test]
async fn hung_server_fails_within_timeout() {
    let (endpoint, _task) = gcp_fake::hung_endpoint().await;
    let timeout = Duration::from_millis(1500);
    let client = secretops::sources::gcp::Client::new(&gcp_fake::config(&endpoint, timeout))
        .await
        .unwrap();
    let started = Instant::now();
    let err = client.access().await.expect_err("never answers");
    let elapsed = started.elapsed();
    assert!(elapsed < timeout + Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed >= timeout / 2, "waited for the server: {elapsed:?}");
    assert_eq!(err.kind, GcpErrorKind::Timeout, "{err}");
}
