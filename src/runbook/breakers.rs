//! Breakers in runbooks: resetting every instance (by the Resilience4j actuator, a configured
//! request or a command), and waiting for recovery.

use std::time::Duration;

use super::command::{self, fill, safe_url};
use super::context::{LiveNeeds, RunContext};
use super::plan::{Plan, planned};
use super::spec::{DEFAULT_THRESHOLD, Predicate};
use super::step::{Action, Body, ResetHow, ResetTarget, Step};
use crate::live::breaker::instance_name;
use crate::live::spec::BreakerKind;

/// How a service's breakers are closed: `Err` with the endpoint kind when they cannot be.
fn reset_how(spec: &crate::live::spec::BreakerSpec) -> Option<Result<ResetHow, BreakerKind>> {
    Some(match (&spec.reset, spec.kind) {
        (Some(r), _) => match (&r.url, &r.program) {
            (Some(url), _) => Ok(ResetHow::Http {
                method: r
                    .method
                    .clone()
                    .unwrap_or_else(|| "POST".into())
                    .to_uppercase(),
                url: url.clone(),
                body: r.body.clone(),
            }),
            (None, Some(p)) => Ok(ResetHow::Command {
                program: p.clone(),
                args: r.args.clone(),
            }),
            (None, None) => return None,
        },
        (None, BreakerKind::Resilience4j) => Ok(ResetHow::Resilience4j),
        (None, kind) => Err(kind),
    })
}

/// One line of a reset's preview: the request or command for one breaker of one instance.
fn reset_line(how: &ResetHow, url: &str, name: &str, service: &str, rc: &RunContext) -> String {
    let instance = instance_name(url);
    let pairs = [
        ("url", url),
        ("instance", instance.as_str()),
        ("name", name),
        ("env", rc.environment().name.as_str()),
    ];
    match how {
        ResetHow::Resilience4j => format!(
            "POST {}/{name} {{\"updateState\":\"CLOSE\"}} ({service} on {instance})",
            safe_url(url).trim_end_matches('/'),
        ),
        ResetHow::Http { method, url: u, .. } => format!(
            "{method} {} ({service} on {instance}, breaker {name})",
            safe_url(&fill(u, &pairs)),
        ),
        ResetHow::Command { program, args } => {
            let args: Vec<String> = args.iter().map(|a| fill(a, &pairs)).collect();
            format!(
                "run {} ({service} on {instance}, breaker {name})",
                command::shown(program, &args, &rc.redactor),
            )
        }
    }
}

/// A reset of every breaker on every instance (of `only`, or of every service), plus a
/// manual step per service whose endpoint takes no reset.
pub fn reset_steps(rc: &RunContext, only: Option<&str>) -> Vec<Step> {
    let env = rc.environment();
    let mut targets = Vec::new();
    let mut manual = Vec::new();
    let mut preview = Vec::new();
    for (si, svc) in env.services.iter().enumerate() {
        let Some(spec) = &svc.live.breaker else {
            continue;
        };
        if only.is_some_and(|o| o != svc.name) {
            continue;
        }
        let how = match reset_how(spec) {
            Some(Ok(how)) => how,
            Some(Err(kind)) => {
                manual.push((svc.name.clone(), kind, spec.urls.clone()));
                continue;
            }
            None => continue,
        };
        for (i, url) in spec.urls.iter().enumerate() {
            let names: Vec<String> = if spec.names.is_empty() {
                vec!["{every breaker it reports}".into()]
            } else {
                spec.names.clone()
            };
            for name in &names {
                preview.push(reset_line(&how, url, name, &svc.name, rc));
            }
            targets.push(ResetTarget {
                service: svc.name.clone(),
                service_index: si,
                instance: i,
                url: url.clone(),
                names: spec.names.clone(),
                how: how.clone(),
            });
        }
    }
    let mut steps = Vec::new();
    if !targets.is_empty() {
        preview.push("then read every instance back: each breaker must read CLOSED".into());
        let count = targets.len();
        steps.push(Step {
            id: "reset-breakers".into(),
            title: format!(
                "reset the breakers on {count} instance{}",
                if count == 1 { "" } else { "s" }
            ),
            preview,
            body: Body::Action(Action::ResetBreakers { targets }),
        });
    }
    for (service, kind, urls) in manual {
        let instances: Vec<String> = urls.iter().map(|u| instance_name(u)).collect();
        let text = format!(
            "reset the breakers of {service} on every instance ({}) by hand: its {} endpoint \
             takes no reset (add breaker.reset to the inventory to automate this)",
            instances.join(", "),
            serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        );
        steps.push(Step {
            id: format!("manual-reset:{service}"),
            title: format!("reset {service}'s breakers by hand"),
            preview: vec![text.clone()],
            body: Body::Manual {
                text,
                verify: Some(Predicate::BreakersClosed {
                    service: Some(service.clone()),
                }),
                expect: None,
            },
        });
    }
    steps
}

/// Waits for the auth failure ratio and the breakers, whichever the environment has.
pub(super) fn recovery_wait(rc: &RunContext, timeout: Option<Duration>) -> Option<Step> {
    let env = rc.environment();
    let mut until = Vec::new();
    if env.live.auth.is_some() || env.services.iter().any(|s| s.live.auth.is_some()) {
        until.push(Predicate::FailureRatioBelow {
            threshold: DEFAULT_THRESHOLD,
        });
    }
    if env.services.iter().any(|s| s.live.breaker.is_some()) {
        until.push(Predicate::BreakersClosed { service: None });
    }
    if until.is_empty() {
        return None;
    }
    let timeout = timeout.unwrap_or(super::spec::DEFAULT_WAIT);
    let mut preview: Vec<String> = until
        .iter()
        .map(|p| format!("until {}", p.describe()))
        .collect();
    preview.push(format!(
        "give up after {}",
        humantime::format_duration(timeout)
    ));
    Some(Step {
        id: "wait:recovery".into(),
        title: "wait for recovery".into(),
        preview,
        body: Body::Wait { until, timeout },
    })
}

/// `breaker-reset`: show every instance's breakers, reset them all, read them back.
pub async fn breaker_reset(rc: &RunContext, service: Option<&str>) -> Plan {
    let env = rc.environment();
    if let Some(s) = service
        && rc.service_index(s).is_none()
    {
        let detail = vec![rc.unknown_service(s)];
        return Plan {
            steps: vec![planned("breakers:now", "read the breakers", false, detail)],
            ..Plan::default()
        };
    }
    let has = env
        .services
        .iter()
        .any(|s| s.live.breaker.is_some() && service.is_none_or(|o| o == s.name));
    if !has {
        let whose = service.unwrap_or(&env.name);
        let detail = vec![format!(
            "{whose} has no breaker configured (breaker = {{ kind, urls }} on a service); \
             nothing to reset"
        )];
        return Plan {
            steps: vec![planned("breakers:now", "read the breakers", false, detail)],
            ..Plan::default()
        };
    }
    let live = rc
        .read_live(LiveNeeds {
            breakers: true,
            ..LiveNeeds::default()
        })
        .await;
    let pred = Predicate::BreakersClosed {
        service: service.map(str::to_string),
    };
    let mut now = super::predicates::judge_live(&pred, &live, rc);
    now.lines
        .insert(0, "as the instances report them now:".into());
    let mut steps = vec![planned(
        "breakers:now",
        "read the breakers",
        true,
        now.lines,
    )];
    steps.extend(reset_steps(rc, service));
    Plan {
        steps,
        ..Plan::default()
    }
}
