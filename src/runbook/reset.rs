//! Sending breaker resets to every instance, then reading each instance back: a reset counts
//! only when the instance says CLOSED afterwards.

use std::time::Duration;

use reqwest::header::HeaderMap;

use super::actions::ActionResult;
use super::command::{self, fill};
use super::context::RunContext;
use super::step::{ResetHow, ResetTarget};
use crate::live::breaker;
use crate::live::spec::DEFAULT_TIMEOUT;

/// Headers an instance of `service` is polled with (a bearer token, say).
async fn headers_for(service: usize, rc: &RunContext) -> HeaderMap {
    let spec = &rc.environment().services[service].live;
    crate::live::poller::headers(spec, &rc.inv, &rc.load)
        .await
        .unwrap_or_default()
}

pub(super) async fn reset(targets: &[ResetTarget], rc: &RunContext) -> ActionResult {
    let mut lines = Vec::new();
    let mut ok = true;
    for t in targets {
        let svc = &rc.environment().services[t.service_index];
        let Some(spec) = svc.live.breaker.as_ref() else {
            continue;
        };
        let headers = headers_for(t.service_index, rc).await;
        let instance = breaker::instance_name(&t.url);
        let timeout = spec.timeout.unwrap_or(DEFAULT_TIMEOUT);
        // The names: as configured, else every breaker the instance reports now.
        let names = if t.names.is_empty() {
            match breaker::probe_instance(&rc.client, spec, &t.url, &headers)
                .await
                .result
            {
                Ok(list) => list.into_iter().map(|b| b.name).collect(),
                Err(e) => {
                    ok = false;
                    lines.push(format!(
                        "{} {instance}: cannot list its breakers: {e}",
                        t.service
                    ));
                    continue;
                }
            }
        } else {
            t.names.clone()
        };
        for name in &names {
            let sent = send_reset(t, name, &headers, timeout, rc).await;
            match sent {
                Ok(()) => lines.push(format!("{} {instance} {name}: reset sent", t.service)),
                Err(e) => {
                    ok = false;
                    lines.push(format!(
                        "{} {instance} {name}: reset failed: {e}",
                        t.service
                    ));
                }
            }
        }
        // Read the instance back: the reset counts only if it now says CLOSED.
        let reading = breaker::probe_instance(&rc.client, spec, &t.url, &headers).await;
        match reading.result {
            Err(e) => {
                ok = false;
                lines.push(format!(
                    "{} {instance}: cannot read it back: {e}",
                    t.service
                ));
            }
            Ok(list) => {
                for name in &names {
                    let state = list.iter().find(|b| &b.name == name).and_then(|b| b.state);
                    let closed = state.is_some_and(|s| s.rank() == 0);
                    ok &= closed;
                    lines.push(format!(
                        "{} {instance} {name}: reads {}",
                        t.service,
                        state.map_or("no state", |s| s.as_str())
                    ));
                }
            }
        }
    }
    ActionResult {
        ok,
        lines,
        ..ActionResult::default()
    }
}

async fn send_reset(
    t: &ResetTarget,
    name: &str,
    headers: &HeaderMap,
    timeout: Duration,
    rc: &RunContext,
) -> Result<(), String> {
    let instance = breaker::instance_name(&t.url);
    let pairs = [
        ("url", t.url.as_str()),
        ("instance", instance.as_str()),
        ("name", name),
        ("env", rc.environment().name.as_str()),
    ];
    match &t.how {
        ResetHow::Resilience4j => {
            breaker::reset_resilience4j(&rc.client, &t.url, name, headers, timeout).await
        }
        ResetHow::Http { method, url, body } => {
            let method = reqwest::Method::from_bytes(method.as_bytes())
                .map_err(|_| format!("\"{method}\" is not an HTTP method"))?;
            let mut request = rc
                .client
                .request(method, fill(url, &pairs))
                .headers(headers.clone());
            if let Some(b) = body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(fill(b, &pairs));
            }
            crate::live::http::fetch(request, timeout, false)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        ResetHow::Command { program, args } => {
            let args: Vec<String> = args.iter().map(|a| fill(a, &pairs)).collect();
            let cwd = rc.inv.base_dir.clone();
            let r = command::run(
                program,
                &args,
                &cwd,
                timeout.max(Duration::from_secs(10)),
                &rc.redactor,
            )
            .await;
            if r.ok() {
                Ok(())
            } else {
                Err(r.summary(&command::shown(program, &args, &rc.redactor)))
            }
        }
    }
}
