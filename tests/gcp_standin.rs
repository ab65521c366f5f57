//! Happy paths end to end against the library's stand-in server (the demo backend), which
//! also checks the stand-in speaks what the official client sends.

use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use secretops::sources::gcp::standin::{self, StandIn};
use secretops::sources::gcp::{Client, GcpConfig, GcpErrorKind, VersionState};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const TIMEOUT: Duration = Duration::from_secs(5);

async fn setup(values: &[&str]) -> (StandIn, Client) {
    let values = values.iter().map(|v| SecretString::from(*v)).collect();
    let stand_in = standin::start("demo", "api-key", values)
        .await
        .expect("stand-in starts");
    let client = Client::new(&config(&stand_in))
        .await
        .expect("client builds");
    (stand_in, client)
}

fn config(stand_in: &StandIn) -> GcpConfig {
    let mut cfg = GcpConfig::new("demo", "api-key");
    cfg.endpoint = Some(stand_in.endpoint.clone());
    cfg.anonymous = true;
    cfg.timeout = TIMEOUT;
    cfg
}

#[tokio::test]
async fn reads_latest_and_lists_newest_first() {
    let (_stand_in, client) = setup(&["one", "two", "three"]).await;
    let got = client.access().await.unwrap();
    assert_eq!(got.value.expose_secret(), "three");
    assert_eq!(
        (got.version.number, got.version.state),
        (3, VersionState::Enabled)
    );
    assert!(
        got.version
            .create_time
            .as_deref()
            .is_some_and(|t| t.ends_with('Z')),
        "{:?}",
        got.version
    );
    assert_eq!(got.crc32c_matched, Some(true));
    assert!(
        !format!("{got:?}").contains("three"),
        "Debug redacts the value"
    );
    assert_eq!(
        client
            .access_version("1")
            .await
            .unwrap()
            .value
            .expose_secret(),
        "one"
    );
    let numbers: Vec<u64> = client
        .list_versions(2)
        .await
        .unwrap()
        .iter()
        .map(|v| v.number)
        .collect();
    assert_eq!(numbers, [3, 2]);
}

#[tokio::test]
async fn add_then_verify_reads_back_the_same_value() {
    let (stand_in, client) = setup(&["old"]).await;
    let value = SecretString::from("rotated-Ωmega-2024");
    let got = client.add_version(&value).await.unwrap();
    assert_eq!(got.value.expose_secret(), value.expose_secret());
    assert_eq!(got.version.number, 2);
    assert_eq!(stand_in.version_count(), 2);
    assert_eq!(
        client.access().await.unwrap().value.expose_secret(),
        value.expose_secret()
    );
}

#[tokio::test]
async fn disabled_latest_names_newest_enabled_until_enabled_again() {
    let (stand_in, client) = setup(&["a", "b", "c"]).await;
    assert!(stand_in.set_state(3, VersionState::Disabled));
    let err = client.access().await.expect_err("latest is disabled");
    assert_eq!(err.kind, GcpErrorKind::NotEnabled);
    assert!(
        err.message
            .contains("`latest` is version 3, which is DISABLED; the newest ENABLED version is 2"),
        "{err}"
    );

    let info = client.enable_version(3).await.unwrap();
    assert_eq!(info.state, VersionState::Enabled);
    assert_eq!(client.access().await.unwrap().value.expose_secret(), "c");
}

#[tokio::test]
async fn destroyed_versions_stay_destroyed() {
    let (stand_in, client) = setup(&["a", "b"]).await;
    assert!(stand_in.set_state(1, VersionState::Destroyed));
    let err = client.access_version("1").await.expect_err("destroyed");
    assert!(
        err.message
            .contains("version 1 is DESTROYED; the newest ENABLED version is 2"),
        "{err}"
    );
    let err = client
        .enable_version(1)
        .await
        .expect_err("cannot enable destroyed");
    assert_eq!(err.status.as_deref(), Some("FAILED_PRECONDITION"));
}

#[tokio::test]
async fn unknown_secret_is_not_found_and_oversized_values_are_refused() {
    let (stand_in, _client) = setup(&["a"]).await;
    let mut cfg = config(&stand_in);
    cfg.secret = "other".to_owned();
    let client = Client::new(&cfg).await.unwrap();
    let err = client.access().await.expect_err("no such secret");
    assert_eq!((err.kind, err.code), (GcpErrorKind::NotFound, Some(404)));
    let big = SecretString::from("x".repeat(64 * 1024 + 1));
    let err = client.add_version(&big).await.expect_err("too big");
    assert_eq!(err.kind, GcpErrorKind::Config);
}

#[tokio::test]
async fn speaks_plain_rest_with_enum_names_and_disable() {
    let (stand_in, client) = setup(&["a", "b"]).await;
    let addr = stand_in.endpoint.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = "POST /v1/projects/demo/secrets/api-key/versions/2:disable HTTP/1.1\r\n\
                   Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\
                   Connection: close\r\n\r\n{}";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#""state":"DISABLED""#),
        "names without $alt: {response}"
    );
    let versions = client.list_versions(5).await.unwrap();
    assert_eq!(versions[0].state, VersionState::Disabled);
}

#[tokio::test]
async fn stopped_stand_in_refuses_connections() {
    let (stand_in, client) = setup(&["a"]).await;
    stand_in.stop().await;
    let err = client.access().await.expect_err("stopped");
    assert_eq!(err.kind, GcpErrorKind::Connect, "{err}");
}
