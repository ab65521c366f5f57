//! Planning a custom runbook from the inventory: its steps in order, each with a preview.
//!
//! A step that names a service the environment does not have makes the whole plan fail before
//! anything runs: a runbook that stops half way because of a typo is worse than none.

use super::breakers::reset_steps;
use super::command::{self, fill, safe_url};
use super::context::{Read, RunContext, Truth};
use super::plan::Plan;
use super::spec::{CustomBody, CustomStep, RunbookSpec};
use super::step::{Action, Body, Step};
use super::writes::write_step;
use crate::snapshot::Status;

fn failed(detail: String) -> Plan {
    Plan {
        steps: vec![Step {
            id: "plan".into(),
            title: "plan the runbook".into(),
            preview: Vec::new(),
            body: Body::Planned {
                ok: false,
                detail: vec![detail],
            },
        }],
        ..Plan::default()
    }
}

/// The services a step names, for the up-front check.
fn named(step: &CustomStep) -> Vec<&str> {
    match &step.body {
        CustomBody::Check(p) | CustomBody::Wait { until: p, .. } => {
            p.service().into_iter().collect()
        }
        CustomBody::WriteSecret { from, service } => std::iter::once(from.as_str())
            .chain(service.as_deref())
            .collect(),
        CustomBody::ResetBreakers { service } => service.as_deref().into_iter().collect(),
        CustomBody::HttpRequest(call) => call.secret.iter().map(|s| s.from.as_str()).collect(),
        CustomBody::Manual { .. } | CustomBody::RunCommand { .. } => Vec::new(),
    }
}

/// Plans `spec` on the run's environment.
pub async fn plan(rc: &mut RunContext, spec: &RunbookSpec) -> Plan {
    let env_name = rc.environment().name.clone();
    if !spec.environments.is_empty() && !spec.environments.contains(&env_name) {
        return failed(format!(
            "runbook {} runs only in {}; not in {env_name}",
            spec.name,
            spec.environments.join(", ")
        ));
    }
    for (i, step) in spec.steps.iter().enumerate() {
        if let Some(s) = named(step)
            .into_iter()
            .find(|s| rc.service_index(s).is_none())
        {
            return failed(format!("step {}: {}", i + 1, rc.unknown_service(s)));
        }
    }
    let mut reads: Option<Vec<Read>> = None;
    let mut steps = Vec::new();
    for (i, step) in spec.steps.iter().enumerate() {
        let no = i + 1;
        match &step.body {
            CustomBody::WriteSecret { from, service } => {
                if reads.is_none() {
                    reads = Some(rc.read_env().await);
                }
                let reads = reads.as_deref().unwrap_or_default();
                match writes(rc, reads, from, service.as_deref()) {
                    Ok(list) => steps.extend(list.into_iter().map(|s| numbered(no, s, step))),
                    Err(e) => return failed(format!("step {no}: {e}")),
                }
            }
            CustomBody::ResetBreakers { service } => {
                let list = reset_steps(rc, service.as_deref());
                if list.is_empty() {
                    return failed(format!(
                        "step {no}: {} has no breaker configured; nothing to reset",
                        service.clone().unwrap_or_else(|| env_name.clone())
                    ));
                }
                steps.extend(list.into_iter().map(|s| numbered(no, s, step)));
            }
            _ => steps.extend(single(no, step, rc)),
        }
    }
    Plan {
        steps,
        ..Plan::default()
    }
}

/// A step that plans into exactly one step: a check, a wait, a manual step, a command or a
/// request.
fn single(no: usize, step: &CustomStep, rc: &RunContext) -> Option<Step> {
    let env_name = rc.environment().name.as_str();
    let title = |default: String| step.name.clone().unwrap_or(default);
    Some(match &step.body {
        CustomBody::Check(p) => Step {
            id: format!("{no}:check"),
            title: title(format!("check: {}", p.describe())),
            preview: vec![format!("check that {}", p.describe())],
            body: Body::Check(p.clone()),
        },
        CustomBody::Wait { until, timeout } => Step {
            id: format!("{no}:wait"),
            title: title(format!("wait until {}", until.describe())),
            preview: vec![
                format!("until {}", until.describe()),
                format!("give up after {}", humantime::format_duration(*timeout)),
            ],
            body: Body::Wait {
                until: vec![until.clone()],
                timeout: *timeout,
            },
        },
        CustomBody::Manual { text } => Step {
            id: format!("{no}:manual"),
            title: title("manual step".into()),
            preview: vec![text.clone()],
            body: Body::Manual {
                text: text.clone(),
                verify: None,
                expect: None,
            },
        },
        CustomBody::RunCommand {
            program,
            args,
            timeout,
        } => {
            let args: Vec<String> = args.iter().map(|a| fill(a, &[("env", env_name)])).collect();
            let shown = command::shown(program, &args, &rc.redactor);
            Step {
                id: format!("{no}:run-command"),
                title: title(format!("run {shown}")),
                preview: vec![format!(
                    "run {shown} in {} (time-out {}); it must exit 0",
                    rc.inv.base_dir.display(),
                    humantime::format_duration(*timeout)
                )],
                body: Body::Action(Action::RunCommand {
                    program: program.clone(),
                    args,
                    timeout: *timeout,
                    cwd: rc.inv.base_dir.clone(),
                    await_health: Vec::new(),
                }),
            }
        }
        CustomBody::HttpRequest(call) => {
            let mut call = call.clone();
            call.url = fill(&call.url, &[("env", env_name)]);
            let shown = safe_url(&call.url);
            let mut preview = vec![format!(
                "{} {shown}, expecting HTTP {} within {}",
                call.method,
                call.expect_status,
                humantime::format_duration(call.timeout)
            )];
            if let Some(b) = &call.body {
                preview.push(format!("with a body of {} bytes", b.len()));
            }
            if let Some(s) = &call.secret {
                preview.push(format!(
                    "with {} set to the value {} reads when the request is sent (not shown)",
                    s.header, s.from
                ));
            }
            Step {
                id: format!("{no}:http-request"),
                title: title(format!("{} {shown}", call.method)),
                preview,
                body: Body::Action(Action::HttpRequest(call)),
            }
        }
        CustomBody::WriteSecret { .. } | CustomBody::ResetBreakers { .. } => return None,
    })
}

/// Step ids of custom runbooks carry the step's number, so a resume finds them again.
fn numbered(no: usize, mut step: Step, custom: &CustomStep) -> Step {
    step.id = format!("{no}:{}", step.id);
    if let Some(name) = &custom.name {
        step.title = format!("{name}: {}", step.title);
    }
    step
}

/// Writes of `from`'s value into `service`, or into every service that disagrees with it.
fn writes(
    rc: &mut RunContext,
    reads: &[Read],
    from: &str,
    service: Option<&str>,
) -> Result<Vec<Step>, String> {
    let source = reads
        .iter()
        .find(|r| r.state.name == from)
        .ok_or_else(|| rc.unknown_service(from))?;
    let (Some(value), Some(fingerprint)) = (source.value.clone(), source.state.fingerprint.clone())
    else {
        return Err(format!(
            "{from} has no value to copy ({})",
            source.state.status.as_str()
        ));
    };
    if rc.truth(Some(from)).is_none() {
        rc.truths.push(Truth {
            value,
            fingerprint: fingerprint.clone(),
            from: from.to_string(),
        });
    }
    let origin = source.state.origin.clone().unwrap_or_default();
    let mut out = Vec::new();
    for (i, r) in reads.iter().enumerate() {
        let chosen = match service {
            Some(s) => r.state.name == s,
            None => {
                r.state.name != from
                    && (r.state.status != Status::Present
                        || r.state.fingerprint.as_ref() != Some(&fingerprint))
            }
        };
        if chosen {
            out.push(write_step(rc, i, r, from, &origin));
        }
    }
    Ok(out)
}
