//! Carrying out actions, each followed by a check of its post-condition against state read
//! afresh: a write is read back through the service's own source, a breaker reset is read
//! back from every instance, a restart waits for the service's health.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use secrecy::SecretString;

use super::command::{self, fill, safe_url};
use super::context::RunContext;
use super::predicates;
use super::spec::Predicate;
use super::step::{Action, ResetHow, ResetTarget};
use crate::live::breaker;
use crate::live::spec::DEFAULT_TIMEOUT;

/// What an action did and whether its post-condition holds now.
#[derive(Clone, Debug, Default)]
pub struct ActionResult {
    pub ok: bool,
    pub lines: Vec<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl ActionResult {
    fn failed(line: String) -> Self {
        Self {
            ok: false,
            lines: vec![line],
            ..Self::default()
        }
    }
}

/// Whether the action's effect is already there (a write whose value is already in place),
/// so that a second run or a resume does not redo it.
pub async fn already_done(action: &Action, rc: &RunContext) -> Option<ActionResult> {
    let (Action::WriteEnvFile { service, from, .. }
    | Action::AddSecretVersion { service, from, .. }) = action
    else {
        return None;
    };
    let truth = rc.truth(Some(from))?;
    let read = rc.read_service(rc.service_index(service)?).await?;
    let fp = read.state.fingerprint?;
    (fp == truth.fingerprint).then(|| ActionResult {
        ok: true,
        lines: vec![format!("{service} already reads {fp}, the value of {from}")],
        before: Some(fp.to_string()),
        after: Some(fp.to_string()),
    })
}

/// Carries out the action, then checks its post-condition.
pub async fn run(action: &Action, rc: &RunContext) -> ActionResult {
    match action {
        Action::WriteEnvFile {
            service,
            from,
            plan,
        } => write(service, from, plan, rc).await,
        Action::AddSecretVersion {
            service,
            from,
            config,
        } => add_version(service, from, config, rc).await,
        Action::ResetBreakers { targets } => reset(targets, rc).await,
        Action::RunCommand {
            program,
            args,
            timeout,
            cwd,
            await_health,
        } => {
            let result = command::run(program, args, cwd, *timeout, &rc.redactor).await;
            let shown = command::shown(program, args, &rc.redactor);
            let mut lines = vec![result.summary(&shown)];
            lines.extend(result.tail.iter().map(|l| format!("| {l}")));
            if !result.ok() {
                return ActionResult {
                    ok: false,
                    lines,
                    ..ActionResult::default()
                };
            }
            let mut ok = true;
            for service in await_health {
                let (up, line) = wait_healthy(service, *timeout, rc).await;
                ok &= up;
                lines.push(line);
            }
            ActionResult {
                ok,
                lines,
                ..ActionResult::default()
            }
        }
        Action::HttpRequest(call) => http(call, rc).await,
    }
}

async fn write(
    service: &str,
    from: &str,
    plan: &crate::envwrite::EnvWritePlan,
    rc: &RunContext,
) -> ActionResult {
    let Some(truth) = rc.truth(Some(from)) else {
        return ActionResult::failed(format!("no value was taken from {from}; nothing written"));
    };
    let Some(index) = rc.service_index(service) else {
        return ActionResult::failed(rc.unknown_service(service));
    };
    let before = rc
        .read_service(index)
        .await
        .and_then(|r| r.state.fingerprint)
        .map(|f| f.to_string());
    let (plan2, value, env) = (
        plan.clone(),
        SecretString::from(secrecy::ExposeSecret::expose_secret(&truth.value).to_string()),
        rc.load.env.clone(),
    );
    let written =
        tokio::task::spawn_blocking(move || crate::envwrite::write(&plan2, &value, &|n| env(n)))
            .await
            .unwrap_or_else(|e| {
                Err(crate::envwrite::WriteError {
                    message: format!("the writer task failed: {e}"),
                })
            });
    if let Err(e) = written {
        return ActionResult {
            ok: false,
            lines: vec![rc.redactor.redact(&e.message)],
            before,
            after: None,
        };
    }
    let base = &rc.inv.base_dir;
    let mut lines = vec![format!(
        "wrote {}; the previous file is {}",
        crate::display_path(&plan.path, base),
        crate::display_path(&plan.backup, base)
    )];
    // The post-condition: the service's own source now reads the truth.
    let after = rc.read_service(index).await.map(|r| r.state);
    let after_fp = after.as_ref().and_then(|s| s.fingerprint.clone());
    let ok = after_fp.as_ref() == Some(&truth.fingerprint);
    lines.push(match (&after_fp, ok) {
        (Some(fp), true) => format!("read back: {service} now reads {fp}, the value of {from}"),
        (Some(fp), false) => format!(
            "read back: {service} still reads {fp}, not {}: something overrides the line \
             written (origin {}); restore from the backup if needed",
            truth.fingerprint,
            after
                .as_ref()
                .and_then(|s| s.origin.clone())
                .unwrap_or_default()
        ),
        (None, _) => format!(
            "read back: {service} has no readable value now ({}); restore from the backup",
            after
                .and_then(|s| s.error)
                .unwrap_or_else(|| "missing".into())
        ),
    });
    ActionResult {
        ok,
        lines,
        before,
        after: after_fp.map(|f| f.to_string()),
    }
}

/// Adds a Secret Manager version holding the truth, reads it back, then reads the service
/// through its own source. Older versions are left as they are.
async fn add_version(
    service: &str,
    from: &str,
    config: &crate::sources::gcp::GcpConfig,
    rc: &RunContext,
) -> ActionResult {
    let Some(truth) = rc.truth(Some(from)) else {
        return ActionResult::failed(format!("no value was taken from {from}; nothing added"));
    };
    let Some(index) = rc.service_index(service) else {
        return ActionResult::failed(rc.unknown_service(service));
    };
    let before = rc
        .read_service(index)
        .await
        .and_then(|r| r.state.fingerprint)
        .map(|f| f.to_string());
    let name = config.secret_name();
    let added = match crate::sources::gcp::Client::new(config).await {
        Ok(client) => client.add_version(&truth.value).await,
        Err(e) => Err(e),
    };
    let accessed = match added {
        Ok(a) => a,
        Err(e) => {
            return ActionResult {
                ok: false,
                lines: vec![
                    rc.redactor.redact(&format!("{name}: {e}")),
                    "list the versions before trying again: the add may have reached the \
                     server"
                        .into(),
                ],
                before,
                after: None,
            };
        }
    };
    let read_back = rc.key.fingerprint(&accessed.value);
    let mut lines = vec![format!(
        "added version {} to {name}; it reads back as {read_back}",
        accessed.version.number
    )];
    let after = rc
        .read_service(index)
        .await
        .and_then(|r| r.state.fingerprint);
    let ok = read_back == truth.fingerprint && after.as_ref() == Some(&truth.fingerprint);
    lines.push(match &after {
        Some(fp) if *fp == truth.fingerprint => {
            format!("read back: {service} now reads {fp}, the value of {from}")
        }
        Some(fp) => format!(
            "read back: {service} reads {fp}, not {}: does it read `latest`?",
            truth.fingerprint
        ),
        None => format!("read back: {service} has no readable value now"),
    });
    ActionResult {
        ok,
        lines,
        before,
        after: after.map(|f| f.to_string()),
    }
}

/// Headers an instance of `service` is polled with (a bearer token, say).
async fn headers_for(service: usize, rc: &RunContext) -> HeaderMap {
    let spec = &rc.environment().services[service].live;
    crate::live::poller::headers(spec, &rc.inv, &rc.load)
        .await
        .unwrap_or_default()
}

async fn reset(targets: &[ResetTarget], rc: &RunContext) -> ActionResult {
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

/// Waits until `service` answers healthy, up to `budget`.
async fn wait_healthy(service: &str, budget: Duration, rc: &RunContext) -> (bool, String) {
    let started = Instant::now();
    let pred = [Predicate::Healthy {
        service: Some(service.to_string()),
    }];
    loop {
        let j = predicates::judge(&pred, rc).await.remove(0);
        if j.ok || started.elapsed() >= budget {
            let verdict = if j.ok {
                "healthy again"
            } else {
                "not healthy in time"
            };
            return (
                j.ok,
                format!("{service}: {verdict} ({})", j.lines.join("; ")),
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn http(call: &super::spec::HttpCall, rc: &RunContext) -> ActionResult {
    let shown = format!("{} {}", call.method, safe_url(&call.url));
    let Ok(m) = reqwest::Method::from_bytes(call.method.as_bytes()) else {
        return ActionResult::failed(format!("\"{}\" is not an HTTP method", call.method));
    };
    let mut request = rc.client.request(m, &call.url);
    if let Some(b) = &call.body {
        request = request.body(b.clone());
    }
    let mut lines = Vec::new();
    if let Some(secret) = &call.secret {
        // The value the service holds now, read afresh: the point is to test what it sends.
        let read = match rc.service_index(&secret.from) {
            Some(i) => rc.read_service(i).await,
            None => None,
        };
        let Some((value, fp)) = read.and_then(|r| Some((r.value?, r.state.fingerprint?))) else {
            return ActionResult::failed(format!(
                "{} has no value to send in {}",
                secret.from, secret.header
            ));
        };
        match crate::live::http::sensitive_headers(&[(secret.header.clone(), value)]) {
            Ok(h) => request = request.headers(h),
            Err(e) => return ActionResult::failed(e),
        }
        lines.push(format!(
            "sent {} with the value of {} ({fp})",
            secret.header, secret.from
        ));
    }
    match crate::live::http::fetch(request, call.timeout, true).await {
        Err(e) => ActionResult::failed(format!("{shown}: {e}")),
        Ok(f) => {
            let text = String::from_utf8_lossy(&f.body);
            let excerpt = rc.redactor.view(&text, 160);
            lines.insert(
                0,
                format!(
                    "{shown} answered {} (expected {}) in {} ms",
                    f.status,
                    call.expect_status,
                    f.latency.as_millis()
                ),
            );
            if !excerpt.trim().is_empty() {
                lines.push(format!("| {excerpt}"));
            }
            ActionResult {
                ok: f.status == call.expect_status,
                lines,
                ..ActionResult::default()
            }
        }
    }
}
