//! The staged outage end to end: a broken staging backend secret opens only staging's backend
//! breakers and raises staging's auth failures; heal plus CLOSE brings the traffic back.

#[path = "demo_support/mod.rs"]
mod common;

use std::time::Duration;

use common::{
    Demo, auth_counts, breaker_state, consumers, eventually, get_json, outgoing, post_state,
};

#[derive(Clone, Copy)]
enum Break {
    Mismatch,
    Missing,
}

/// Every consumer breaker CLOSED and every auth-service counting new successes.
async fn assert_healthy_start(d: &Demo) {
    for e in consumers(&d.fleet) {
        let state = breaker_state(&d.http, &e).await;
        assert_eq!(
            state, "CLOSED",
            "{}/{}#{}",
            e.environment, e.service, e.instance
        );
    }
    for env in ["development", "staging", "production"] {
        let (before, _) = auth_counts(d, env).await;
        eventually(
            Duration::from_secs(5),
            "auth successes to climb",
            async || (auth_counts(d, env).await.0 > before).then_some(()),
        )
        .await;
    }
}

async fn stage_and_recover(kind: Break) {
    let d = common::start().await;
    assert_healthy_start(&d).await;
    let mut baseline = Vec::new();
    for env in ["development", "staging", "production"] {
        baseline.push((env, auth_counts(&d, env).await.1));
    }

    let before = auth_counts(&d, "staging").await.1;
    let message = match kind {
        Break::Mismatch => d.fleet.break_mismatch("staging"),
        Break::Missing => d.fleet.break_missing("staging"),
    }
    .expect("break");
    assert!(message.contains("staging/backend.env"), "{message}");
    for value in common::all_values(&d.fleet.workdir) {
        assert!(!message.contains(&value), "the description shows a value");
    }

    let backends: Vec<_> = d
        .fleet
        .instances("staging", "backend")
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(backends.len(), 2);
    eventually(
        Duration::from_secs(15),
        "staging backend breakers to open",
        async || {
            for b in &backends {
                if breaker_state(&d.http, b).await != "OPEN" {
                    return None;
                }
            }
            Some(())
        },
    )
    .await;
    assert!(
        auth_counts(&d, "staging").await.1 > before,
        "staging failures rise"
    );
    let health = get_json(
        &d.http,
        &format!("{}/actuator/health", backends[0].base_url()),
    )
    .await;
    let component = health["components"]["circuitBreakers"]["status"]
        .as_str()
        .expect("status");
    assert!(
        ["CIRCUIT_OPEN", "CIRCUIT_HALF_OPEN"].contains(&component),
        "health component {component}"
    );

    // The rest of the fleet does not notice: other environments and staging's analytics.
    for e in consumers(&d.fleet) {
        if e.environment == "staging" && e.service == "backend" {
            continue;
        }
        assert_eq!(breaker_state(&d.http, &e).await, "CLOSED", "{e:?}");
    }
    for (env, failures) in &baseline {
        if *env != "staging" {
            let now = auth_counts(&d, env).await.1;
            assert!((now - failures).abs() < 0.5, "{env} failures unchanged");
        }
    }

    let healed = d.fleet.heal().expect("heal");
    assert!(healed.contains("staging/backend.env"), "{healed}");
    let mut since = Vec::new();
    for b in &backends {
        since.push(outgoing(&d.http, b, "success").await);
    }
    // CLOSE may land before the instances reload the file; then the breaker trips again, so
    // CLOSE is repeated until both stay closed and succeed.
    eventually(
        Duration::from_secs(15),
        "staging backends to recover",
        async || {
            let mut ok = true;
            for (b, before) in backends.iter().zip(&since) {
                if breaker_state(&d.http, b).await != "CLOSED" {
                    let (status, _) =
                        post_state(&d.http, b, "auth-service", r#"{"updateState":"CLOSE"}"#).await;
                    assert_eq!(status, 200);
                    ok = false;
                } else if outgoing(&d.http, b, "success").await <= *before {
                    ok = false;
                }
            }
            ok.then_some(())
        },
    )
    .await;
    d.fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatch_opens_staging_only_and_heal_recovers() {
    stage_and_recover(Break::Mismatch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_opens_staging_only_and_heal_recovers() {
    stage_and_recover(Break::Missing).await;
}

/// Without any `CLOSE`, a healed breaker goes `OPEN` → `HALF_OPEN` after 5 s and closes after three
/// successful trial calls: what an on-call engineer sees when they only fix the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healed_breakers_close_by_themselves_via_half_open() {
    let d = common::start().await;
    d.fleet.break_mismatch("development").expect("break");
    let backends: Vec<_> = d
        .fleet
        .instances("development", "backend")
        .into_iter()
        .cloned()
        .collect();
    eventually(
        Duration::from_secs(15),
        "development backends to open",
        async || {
            for b in &backends {
                if breaker_state(&d.http, b).await != "OPEN" {
                    return None;
                }
            }
            Some(())
        },
    )
    .await;
    d.fleet.heal().expect("heal");
    eventually(
        Duration::from_secs(15),
        "breakers to close through HALF_OPEN",
        async || {
            for b in &backends {
                if breaker_state(&d.http, b).await != "CLOSED" {
                    return None;
                }
            }
            Some(())
        },
    )
    .await;
    d.fleet.shutdown().await;
}
