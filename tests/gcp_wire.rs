//! The exact requests the official client sends, and every reply encoding it must accept
//! (enums as integers and names, int64 as strings and numbers).

mod gcp_fake;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use gcp_fake::{ALT, CREATE_TIME, Recorded, Reply, SECRET_NAME, STYLES, Style};
use secrecy::{ExposeSecret as _, SecretString};
use secretops::sources::gcp::{VersionInfo, VersionState};
use serde_json::json;

const TIMEOUT: Duration = Duration::from_secs(5);
const VALUE: &str = "s3cr3t-wire-value";

/// Answers like Secret Manager for versions 1..=3 (2 disabled) plus whatever gets added as 4.
fn handler(style: Style) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let added: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
    move |r| {
        let base = "/v1/projects/proj/secrets/db-password";
        let Some(rest) = r.path.strip_prefix(base) else {
            return Reply::html_404();
        };
        match (r.method.as_str(), rest) {
            ("GET", "/versions/latest:access" | "/versions/3:access") => {
                Reply::json(&gcp_fake::access(style, 3, VALUE.as_bytes(), None))
            }
            ("GET", "/versions/3") => Reply::json(&gcp_fake::version(style, 3, "ENABLED")),
            ("GET", "/versions") => Reply::json(&gcp_fake::list(
                style,
                &[(3, "ENABLED"), (2, "DISABLED"), (1, "ENABLED")],
            )),
            ("POST", ":addVersion") => {
                let body = r.json_body();
                let data = body["payload"]["data"].as_str().unwrap_or_default();
                let data = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .expect("client sends standard base64");
                *added.lock().expect("lock") = Some(data);
                Reply::json(&gcp_fake::version(style, 4, "ENABLED"))
            }
            ("GET", "/versions/4:access") => match added.lock().expect("lock").as_deref() {
                Some(data) => Reply::json(&gcp_fake::access(style, 4, data, None)),
                None => Reply::error(404, "NOT_FOUND", "Secret Version not found."),
            },
            ("GET", "/versions/4") => Reply::json(&gcp_fake::version(style, 4, "ENABLED")),
            ("POST", "/versions/2:enable") => Reply::json(&gcp_fake::version(style, 2, "ENABLED")),
            _ => Reply::error(404, "NOT_FOUND", "unexpected request"),
        }
    }
}

fn assert_common(r: &Recorded, method: &str, path: &str, query: &str) {
    assert_eq!(r.method, method, "{r:?}");
    assert_eq!(r.path, path, "{r:?}");
    assert_eq!(r.query, query, "{r:?}");
    // Anonymous credentials add no header; Host is set by the client, without the port.
    assert!(!r.headers.contains_key("authorization"), "{r:?}");
    assert_eq!(
        r.headers.get("host").map(String::as_str),
        Some("127.0.0.1"),
        "{r:?}"
    );
    assert!(r.headers["x-goog-api-client"].contains("gapic/"), "{r:?}");
}

#[tokio::test]
async fn access_sends_exact_request_and_reads_every_encoding() {
    for style in STYLES {
        let fake = gcp_fake::start(handler(style)).await;
        let client = fake.client(TIMEOUT).await;
        let got = client
            .access()
            .await
            .unwrap_or_else(|e| panic!("{style:?}: {e}"));
        assert_eq!(got.value.expose_secret(), VALUE, "{style:?}");
        assert_eq!(got.crc32c_matched, Some(true), "{style:?}");
        let expected = VersionInfo {
            number: 3,
            state: VersionState::Enabled,
            create_time: Some(CREATE_TIME.to_owned()),
        };
        assert_eq!(got.version, expected, "{style:?}");

        let reqs = fake.requests();
        assert_eq!(reqs.len(), 2, "access, then metadata: {reqs:?}");
        assert_common(
            &reqs[0],
            "GET",
            &format!("/v1/{SECRET_NAME}/versions/latest:access"),
            ALT,
        );
        assert_eq!(reqs[0].body, "", "GET sends no body");
        // Metadata is fetched for the resolved number, not for `latest` (which may have moved).
        assert_common(
            &reqs[1],
            "GET",
            &format!("/v1/{SECRET_NAME}/versions/3"),
            ALT,
        );
        assert_eq!(reqs[1].body, "");
    }
}

#[tokio::test]
async fn list_sends_empty_paging_fields_first_and_sorts_newest_first() {
    for style in STYLES {
        let fake = gcp_fake::start(handler(style)).await;
        let client = fake.client(TIMEOUT).await;
        let versions = client.list_versions(2).await.unwrap();
        let numbers: Vec<_> = versions.iter().map(|v| (v.number, v.state)).collect();
        assert_eq!(
            numbers,
            [(3, VersionState::Enabled), (2, VersionState::Disabled)],
            "{style:?}"
        );
        let reqs = fake.requests();
        assert_eq!(reqs.len(), 1);
        // Verified: paging fields come first, always present even when unset, then `$alt`.
        let query = format!("pageSize=0&pageToken=&filter=&{ALT}");
        assert_common(
            &reqs[0],
            "GET",
            &format!("/v1/{SECRET_NAME}/versions"),
            &query,
        );
    }
}

#[tokio::test]
async fn add_sends_data_and_crc_then_rereads() {
    for style in STYLES {
        let fake = gcp_fake::start(handler(style)).await;
        let client = fake.client(TIMEOUT).await;
        let value = SecretString::from("n3w-value-äöü");
        let got = client
            .add_version(&value)
            .await
            .unwrap_or_else(|e| panic!("{style:?}: {e}"));
        assert_eq!(
            got.value.expose_secret(),
            value.expose_secret(),
            "read back equals what was added"
        );
        assert_eq!(got.version.number, 4);
        assert_eq!(got.crc32c_matched, Some(true));

        let reqs = fake.requests();
        assert_eq!(reqs.len(), 3, "add, access, metadata: {reqs:?}");
        let add = &reqs[0];
        assert_common(add, "POST", &format!("/v1/{SECRET_NAME}:addVersion"), ALT);
        assert_eq!(add.headers["content-type"], "application/json");
        let crc = secretops::sources::gcp::crc32c_of(value.expose_secret().as_bytes());
        let data = base64::engine::general_purpose::STANDARD.encode(value.expose_secret());
        // `parent` travels in the path only; the CRC is an int64, hence a decimal string.
        let expected = json!({"payload": {"data": data, "dataCrc32c": crc.to_string()}});
        assert_eq!(add.json_body(), expected);
        assert_common(
            &reqs[1],
            "GET",
            &format!("/v1/{SECRET_NAME}/versions/4:access"),
            ALT,
        );
    }
}

#[tokio::test]
async fn enable_posts_name_and_returns_state() {
    for style in STYLES {
        let fake = gcp_fake::start(handler(style)).await;
        let client = fake.client(TIMEOUT).await;
        let info = client.enable_version(2).await.unwrap();
        assert_eq!(
            (info.number, info.state),
            (2, VersionState::Enabled),
            "{style:?}"
        );
        let reqs = fake.requests();
        assert_eq!(reqs.len(), 1);
        let path = format!("/v1/{SECRET_NAME}/versions/2:enable");
        assert_common(&reqs[0], "POST", &path, ALT);
        // `name` travels in the path; with no etag set the body is an empty object.
        assert_eq!(reqs[0].json_body(), json!({}));
    }
}

#[tokio::test]
async fn list_follows_page_tokens() {
    let fake = gcp_fake::start(|r| {
        let style = STYLES[0];
        if r.query.contains("pageToken=&") {
            let mut page = gcp_fake::list(style, &[(1, "ENABLED")]);
            page["nextPageToken"] = json!("p2");
            Reply::json(&page)
        } else {
            Reply::json(&gcp_fake::list(style, &[(2, "DISABLED")]))
        }
    })
    .await;
    let client = fake.client(TIMEOUT).await;
    let numbers: Vec<u64> = client
        .list_versions(10)
        .await
        .unwrap()
        .iter()
        .map(|v| v.number)
        .collect();
    assert_eq!(
        numbers,
        [2, 1],
        "merged across pages and sorted newest first"
    );
    let reqs = fake.requests();
    assert_eq!(
        reqs[1].query,
        format!("pageSize=0&pageToken=p2&filter=&{ALT}")
    );
}
