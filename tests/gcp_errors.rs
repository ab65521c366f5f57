//! Error cases against the scripted fake: each must give the right kind, status, message and
//! hint, fail within the timeout, and never show a value.

mod gcp_fake;

use std::time::Duration;

use gcp_fake::{Recorded, Reply, STYLES};
use secrecy::SecretString;
use secretops::sources::gcp::{GcpError, GcpErrorKind};

const TIMEOUT: Duration = Duration::from_secs(3);
/// A scripted reply built from the (non-UTF-8) canary bytes.
type Script = fn(&[u8]) -> Reply;

const CANARY: &str = "CANARY-7f3a9-do-not-print";

fn is_access(r: &Recorded) -> bool {
    r.method == "GET" && r.path.ends_with(":access")
}

fn is_list(r: &Recorded) -> bool {
    r.method == "GET" && r.path.ends_with("/versions")
}

async fn access_err(
    reply: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
) -> (GcpError, gcp_fake::Fake) {
    let fake = gcp_fake::start(reply).await;
    let err = fake
        .client(TIMEOUT)
        .await
        .access()
        .await
        .expect_err("must fail");
    (err, fake)
}

/// The canary check: no error text may contain the payload, raw or base64.
fn assert_no_value(err: &GcpError) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(CANARY);
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(
            !text.contains(CANARY) && !text.contains(&b64[..16]),
            "value leaked: {text}"
        );
    }
}

#[tokio::test]
async fn latest_on_disabled_version_names_newest_enabled() {
    let (err, fake) = access_err(|r| {
        if is_access(r) {
            Reply::error(400, "FAILED_PRECONDITION", "Secret Version [projects/123456/secrets/db-password/versions/4] is in DISABLED state.")
        } else if is_list(r) {
            Reply::json(&gcp_fake::list(STYLES[0], &[(4, "DISABLED"), (3, "DESTROYED"), (2, "ENABLED"), (1, "ENABLED")]))
        } else {
            Reply::error(404, "NOT_FOUND", "unexpected")
        }
    })
    .await;
    assert_eq!(err.kind, GcpErrorKind::NotEnabled);
    assert_eq!(
        (err.status.as_deref(), err.code),
        (Some("FAILED_PRECONDITION"), Some(400))
    );
    assert!(
        err.message
            .contains("`latest` is version 4, which is DISABLED"),
        "{err}"
    );
    assert!(
        err.message.contains("the newest ENABLED version is 2"),
        "{err}"
    );
    assert!(err.hint.contains("secretVersionManager"), "{err}");
    assert_eq!(fake.requests().len(), 2, "access, then one list");
}

#[tokio::test]
async fn destroyed_version_is_explained() {
    let fake = gcp_fake::start(|r| {
        if is_access(r) {
            Reply::error(400, "FAILED_PRECONDITION", "Secret Version [projects/123456/secrets/db-password/versions/3] is in DESTROYED state.")
        } else {
            Reply::json(&gcp_fake::list(STYLES[3], &[(3, "DESTROYED"), (2, "DISABLED"), (1, "ENABLED")]))
        }
    })
    .await;
    let err = fake
        .client(TIMEOUT)
        .await
        .access_version("3")
        .await
        .expect_err("destroyed");
    assert_eq!(err.kind, GcpErrorKind::NotEnabled);
    assert!(
        err.message
            .contains("version 3 is DESTROYED; the newest ENABLED version is 1"),
        "{err}"
    );
    assert!(err.hint.contains("cannot come back"), "{err}");
    assert_eq!(
        fake.requests()[0].path,
        "/v1/projects/proj/secrets/db-password/versions/3:access"
    );
}

#[tokio::test]
async fn disabled_latest_without_list_permission_keeps_api_message() {
    let (err, _fake) = access_err(|r| {
        if is_access(r) {
            Reply::error(
                400,
                "FAILED_PRECONDITION",
                "Secret Version [projects/1/secrets/db-password/versions/4] is in DISABLED state.",
            )
        } else {
            Reply::error(
                403,
                "PERMISSION_DENIED",
                "Permission 'secretmanager.versions.list' denied.",
            )
        }
    })
    .await;
    assert!(
        err.message.contains("versions/4] is in DISABLED state"),
        "{err}"
    );
    assert!(
        err.message.contains("PERMISSION_DENIED")
            && err.message.contains("roles/secretmanager.viewer"),
        "{err}"
    );
}

#[tokio::test]
async fn api_errors_map_to_kind_status_and_hint() {
    let cases = [
        (
            404,
            "NOT_FOUND",
            GcpErrorKind::NotFound,
            "gcloud secrets versions list",
        ),
        (
            403,
            "PERMISSION_DENIED",
            GcpErrorKind::PermissionDenied,
            "roles/secretmanager.secretAccessor",
        ),
        (
            401,
            "UNAUTHENTICATED",
            GcpErrorKind::Credentials,
            "gcloud auth application-default login",
        ),
        (
            429,
            "RESOURCE_EXHAUSTED",
            GcpErrorKind::Unavailable,
            "quotas",
        ),
        (400, "INVALID_ARGUMENT", GcpErrorKind::Api, "Access"),
    ];
    for (code, status, kind, hint) in cases {
        let message = format!("{status} for the test");
        let (err, fake) = access_err(move |_| Reply::error(code, status, &message)).await;
        assert_eq!(err.kind, kind, "{err}");
        assert_eq!(err.status.as_deref(), Some(status));
        assert_eq!(err.code, Some(i32::from(code)));
        assert_eq!(err.message, format!("{status} for the test"));
        assert!(err.hint.contains(hint), "{err}");
        assert_eq!(fake.requests().len(), 1, "{status} is not retried");
    }
}

#[tokio::test]
async fn permission_hints_name_the_role_of_each_operation() {
    let fake = gcp_fake::start(|_| Reply::error(403, "PERMISSION_DENIED", "denied")).await;
    let client = fake.client(TIMEOUT).await;
    let add = client
        .add_version(&SecretString::from(CANARY))
        .await
        .expect_err("denied");
    assert!(
        add.hint.contains("roles/secretmanager.secretVersionAdder"),
        "{add}"
    );
    let enable = client.enable_version(1).await.expect_err("denied");
    assert!(
        enable
            .hint
            .contains("roles/secretmanager.secretVersionManager"),
        "{enable}"
    );
    let list = client.list_versions(5).await.expect_err("denied");
    assert!(list.hint.contains("roles/secretmanager.viewer"), "{list}");
    assert_no_value(&add);
}

#[tokio::test]
async fn crc_mismatch_is_an_error() {
    let (err, _fake) = access_err(|r| {
        if is_access(r) {
            Reply::json(&gcp_fake::access(
                STYLES[0],
                5,
                CANARY.as_bytes(),
                Some(12345),
            ))
        } else {
            Reply::json(&gcp_fake::version(STYLES[0], 5, "ENABLED"))
        }
    })
    .await;
    assert_eq!(err.kind, GcpErrorKind::Checksum);
    assert!(err.message.contains("versions/5"), "{err}");
    assert_no_value(&err);
}

#[tokio::test]
async fn html_404_page_is_a_bad_endpoint() {
    let (err, _fake) = access_err(|_| Reply::html_404()).await;
    assert_eq!(err.kind, GcpErrorKind::BadResponse);
    assert_eq!((err.status.as_deref(), err.code), (None, Some(404)));
    assert!(err.hint.contains("no `/v1` suffix"), "{err}");
    assert!(
        !err.to_string().contains("<html"),
        "no body in the error: {err}"
    );
}

/// Canary: serve the value (or text containing it) in every way a reply can go wrong, and
/// check that no error's Display or Debug shows it.
#[tokio::test]
async fn no_error_shows_the_value() {
    use serde_json::json;
    let mut not_utf8 = CANARY.as_bytes().to_vec();
    not_utf8.push(0xff);
    let replies: Vec<(GcpErrorKind, Script)> = vec![
        (GcpErrorKind::NotUtf8, |b| {
            Reply::json(&gcp_fake::access(STYLES[0], 1, b, None))
        }),
        (GcpErrorKind::Checksum, |_| {
            Reply::json(&gcp_fake::access(STYLES[2], 1, CANARY.as_bytes(), Some(1)))
        }),
        // Not base64: the deserializer's message (which quotes input) must not reach the error.
        (GcpErrorKind::BadResponse, |_| {
            Reply::json(
                &json!({"name": "projects/1/secrets/s/versions/1", "payload": {"data": CANARY}}),
            )
        }),
        (GcpErrorKind::BadResponse, |_| {
            Reply::json(&json!({"name": "x/versions/1", "payload": {"data": 7, "x": CANARY}}))
        }),
        (GcpErrorKind::BadResponse, |_| Reply::plain(200, CANARY)),
        (GcpErrorKind::BadResponse, |_| Reply::plain(404, CANARY)),
        (GcpErrorKind::Unavailable, |_| Reply::plain(503, CANARY)),
    ];
    for (kind, reply) in replies {
        let body = not_utf8.clone();
        let (err, _fake) = access_err(move |_| reply(&body)).await;
        assert_eq!(err.kind, kind, "{err}");
        assert_no_value(&err);
    }
    // Writes carry the value in the request: their errors must not echo it either.
    for (code, status) in [
        (503, "UNAVAILABLE"),
        (403, "PERMISSION_DENIED"),
        (400, "INVALID_ARGUMENT"),
    ] {
        let fake = gcp_fake::start(move |_| Reply::error(code, status, "refused")).await;
        let err = fake
            .client(TIMEOUT)
            .await
            .add_version(&SecretString::from(CANARY))
            .await
            .expect_err("refused");
        assert_no_value(&err);
    }
}

#[tokio::test]
async fn invalid_configs_fail_before_sending() {
    let mut cfg = gcp_fake::config("http://127.0.0.1:9", TIMEOUT);
    cfg.anonymous = false;
    let err = secretops::sources::gcp::Client::new(&cfg)
        .await
        .expect_err("plain HTTP with real credentials");
    assert_eq!(err.kind, GcpErrorKind::Config);
    let bad = [
        ("http://127.0.0.1:9/v1", "s", "latest"),
        ("http://x", "a/b", "latest"),
        ("http://x", "s", ""),
    ];
    for (endpoint, secret, version) in bad {
        let mut cfg = gcp_fake::config(endpoint, TIMEOUT);
        cfg.secret = secret.to_owned();
        cfg.version = version.to_owned();
        let err = secretops::sources::gcp::Client::new(&cfg)
            .await
            .expect_err("invalid");
        assert_eq!(err.kind, GcpErrorKind::Config, "{err}");
    }
}

#[tokio::test]
async fn add_whose_reread_fails_says_the_version_exists() {
    let fake = gcp_fake::start(|r| {
        if r.method == "POST" {
            Reply::json(&gcp_fake::version(STYLES[0], 7, "ENABLED"))
        } else {
            Reply::error(
                403,
                "PERMISSION_DENIED",
                "Permission 'secretmanager.versions.access' denied.",
            )
        }
    })
    .await;
    let err = fake
        .client(TIMEOUT)
        .await
        .add_version(&SecretString::from(CANARY))
        .await
        .expect_err("re-read denied");
    assert_eq!(err.kind, GcpErrorKind::PermissionDenied);
    assert!(
        err.message
            .starts_with("version 7 was added, but reading it back failed"),
        "{err}"
    );
    assert!(
        err.hint.contains("roles/secretmanager.secretAccessor"),
        "{err}"
    );
    assert_no_value(&err);
}
