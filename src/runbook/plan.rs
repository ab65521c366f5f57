//! Planning the built-in runbooks: `emergency-restore` and `breaker-reset`.
//!
//! A plan is computed from the environment as it is when the run starts, so its previews name
//! the exact lines, instances and commands. Where secretops cannot act safely (a compose
//! literal, a command source, a process environment, a file it cannot parse) the step becomes
//! a manual one naming the exact place, and its effect is still verified afterwards.

use std::time::Duration;

use super::command::{self, fill};
use super::context::{Read, RunContext, Truth};
use super::spec::{DEFAULT_COMMAND_TIMEOUT, Predicate};
use super::step::{Action, Body, Step};
use secrecy::SecretString;

use crate::fingerprint::Fingerprint;
use crate::inventory::{Role, Source};
use crate::snapshot::Status;

/// The steps of a run, with what the run must remember if it stops half way.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
    /// Services whose value this run changes (they get restarted).
    pub affected: Vec<String>,
}

/// Options of `emergency-restore` and `breaker-reset`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The service whose value is right (default: the validator).
    pub from: Option<String>,
    /// `breaker-reset`: only this service.
    pub service: Option<String>,
    pub wait_timeout: Option<Duration>,
    /// Services an earlier, failed run of the same runbook already changed.
    pub resume_affected: Vec<String>,
}

pub(super) fn planned(id: &str, title: &str, ok: bool, detail: Vec<String>) -> Step {
    Step {
        id: id.into(),
        title: title.into(),
        preview: Vec::new(),
        body: Body::Planned { ok, detail },
    }
}

pub(super) fn status_word(r: &Read) -> String {
    match (&r.state.status, &r.state.fingerprint) {
        (Status::Present, Some(fp)) => fp.to_string(),
        (s, _) => s.as_str().to_string(),
    }
}

/// Picks the service whose value is right: `--from`, else the validators when they agree.
fn choose_truth(reads: &[Read], from: Option<&str>, rc: &RunContext) -> Result<usize, String> {
    let present = |r: &Read| r.state.status == Status::Present && r.value.is_some();
    if let Some(name) = from {
        let i = reads
            .iter()
            .position(|r| r.state.name == name)
            .ok_or_else(|| rc.unknown_service(name))?;
        if !present(&reads[i]) {
            return Err(format!(
                "{name} has no value to restore from ({}); pick another service with --from",
                status_word(&reads[i])
            ));
        }
        return Ok(i);
    }
    let validators: Vec<usize> = (0..reads.len())
        .filter(|&i| reads[i].state.role == Role::Validator)
        .collect();
    let with_value: Vec<usize> = validators
        .iter()
        .copied()
        .filter(|&i| present(&reads[i]))
        .collect();
    let Some(&first) = with_value.first() else {
        let names: Vec<String> = validators
            .iter()
            .map(|&i| format!("{} {}", reads[i].state.name, status_word(&reads[i])))
            .collect();
        return Err(format!(
            "no validator of {} has a value to restore from ({}); name the service whose value \
             is right with --from SERVICE",
            rc.environment().name,
            if names.is_empty() {
                "it has no validator".into()
            } else {
                names.join(", ")
            }
        ));
    };
    let disagree = with_value
        .iter()
        .any(|&i| reads[i].state.fingerprint != reads[first].state.fingerprint);
    if disagree {
        let names: Vec<String> = with_value
            .iter()
            .map(|&i| format!("{} {}", reads[i].state.name, status_word(&reads[i])))
            .collect();
        return Err(format!(
            "the validators disagree ({}); name the one whose value is right with --from SERVICE",
            names.join(", ")
        ));
    }
    Ok(first)
}

/// Where the value every service should get comes from.
struct Chosen {
    value: SecretString,
    fingerprint: Fingerprint,
    /// A service (`auth-service`), or a service and a version (`auth-service@5`).
    from: String,
    origin: String,
    /// The service whose current value it is; `None` for a Secret Manager version.
    index: Option<usize>,
}

/// One line per service saying whether it agrees with the source of truth, and the indexes
/// of those that do not.
fn diagnose(reads: &[Read], truth: &Chosen) -> (Vec<String>, Vec<usize>) {
    let mut detail = Vec::new();
    let mut disagreeing = Vec::new();
    if truth.index.is_none() {
        detail.push(format!(
            "source of truth: {} {} ({})",
            truth.from, truth.fingerprint, truth.origin
        ));
    }
    for (i, r) in reads.iter().enumerate() {
        let role = r.state.role.as_str();
        let now = status_word(r);
        detail.push(if Some(i) == truth.index {
            format!(
                "{} {role} {now} ← source of truth ({})",
                r.state.name, truth.origin
            )
        } else if r.state.fingerprint.as_ref() == Some(&truth.fingerprint) {
            format!("{} {role} {now} agrees", r.state.name)
        } else {
            disagreeing.push(i);
            format!(
                "{} {role} {now}: will get the value of {}",
                r.state.name, truth.from
            )
        });
    }
    if disagreeing.is_empty() {
        detail.push("every copy agrees: nothing to write".into());
    }
    (detail, disagreeing)
}

/// `--from SERVICE@VERSION`: a version of the Secret Manager secret the service reads.
async fn version_truth(rc: &RunContext, service: &str, version: &str) -> Result<Chosen, String> {
    use crate::sources::gcp::{Client, GcpConfig};
    let index = rc
        .service_index(service)
        .ok_or_else(|| rc.unknown_service(service))?;
    let Source::GcpSecretManager {
        project,
        secret,
        endpoint,
        anonymous,
        timeout,
        ..
    } = &rc.environment().services[index].source
    else {
        return Err(format!(
            "--from {service}@{version}: {service} does not read Secret Manager; a version \
             applies to gcp-secret-manager sources only"
        ));
    };
    let config = GcpConfig {
        project: project.clone(),
        secret: secret.clone(),
        version: version.to_string(),
        endpoint: endpoint.clone(),
        anonymous: *anonymous,
        timeout: *timeout,
    };
    let client = Client::new(&config)
        .await
        .map_err(|e| format!("{}: {e}", config.secret_name()))?;
    let accessed = client
        .access_version(version)
        .await
        .map_err(|e| format!("{}: {e}", config.secret_name()))?;
    Ok(Chosen {
        fingerprint: rc.key.fingerprint(&accessed.value),
        value: accessed.value,
        from: format!("{service}@{version}"),
        origin: format!(
            "{}/versions/{}",
            config.secret_name(),
            accessed.version.number
        ),
        index: None,
    })
}

/// The source of truth: `--from SERVICE@VERSION`, `--from SERVICE`, or the validator.
async fn choose(reads: &[Read], from: Option<&str>, rc: &RunContext) -> Result<Chosen, String> {
    if let Some((service, version)) = from.and_then(|f| f.split_once('@')) {
        return version_truth(rc, service, version).await;
    }
    let i = choose_truth(reads, from, rc)?;
    let source = &reads[i];
    match (source.value.clone(), source.state.fingerprint.clone()) {
        (Some(value), Some(fingerprint)) => Ok(Chosen {
            value,
            fingerprint,
            from: source.state.name.clone(),
            origin: source.state.origin.clone().unwrap_or_default(),
            index: Some(i),
        }),
        _ => Err(format!("{} has no value", source.state.name)),
    }
}

/// Warnings about the value about to be copied everywhere: a placeholder, too short.
fn value_notes(source: &Read, rc: &RunContext) -> Vec<String> {
    let from = &source.state.name;
    let mut notes = Vec::new();
    if let Some(marker) = source.state.traits.placeholder {
        notes.push(format!(
            "the value of {from} contains the placeholder marker \"{marker}\"; if it is not the \
             real secret, stop and pick another with --from"
        ));
    }
    let min = rc.inv.min_length(rc.environment().tier);
    if source.state.length.is_some_and(|l| l < min) {
        notes.push(format!(
            "the value of {from} is shorter than the {min} characters {} needs; restoring it \
             ends the outage, rotate it afterwards",
            rc.environment().tier
        ));
    }
    notes
}

/// `emergency-restore`: diagnose, write the truth everywhere it is missing or different,
/// check agreement, restart, reset breakers, wait for recovery.
pub async fn emergency_restore(rc: &mut RunContext, opts: &Options) -> Plan {
    let reads = rc.read_env().await;
    let chosen = match choose(&reads, opts.from.as_deref(), rc).await {
        Ok(c) => c,
        Err(e) => {
            let mut detail: Vec<String> = reads
                .iter()
                .map(|r| {
                    format!(
                        "{} {} {}",
                        r.state.name,
                        r.state.role.as_str(),
                        status_word(r)
                    )
                })
                .collect();
            detail.push(e);
            return Plan {
                steps: vec![planned(
                    "diagnose",
                    "diagnose: which copies disagree",
                    false,
                    detail,
                )],
                ..Plan::default()
            };
        }
    };
    let (detail, disagreeing) = diagnose(&reads, &chosen);
    let mut notes = chosen
        .index
        .map(|i| value_notes(&reads[i], rc))
        .unwrap_or_default();
    let (from, from_origin) = (chosen.from.clone(), chosen.origin.clone());
    // Command output may echo this value even when no source holds it now (an old version).
    rc.redactor.add(&chosen.value, &rc.key);
    rc.truths.push(Truth {
        value: chosen.value,
        fingerprint: chosen.fingerprint,
        from: from.clone(),
    });
    let mut steps = vec![planned(
        "diagnose",
        "diagnose: which copies disagree",
        true,
        detail,
    )];
    // What secretops can write first, then what the operator does by hand.
    let (writes, manual): (Vec<Step>, Vec<Step>) = disagreeing
        .iter()
        .map(|&i| super::writes::write_step(rc, i, &reads[i], &from, &from_origin))
        .partition(|s| s.body.is_action());
    steps.extend(writes);
    steps.extend(manual);
    if !disagreeing.is_empty() {
        steps.push(Step {
            id: "check:agree".into(),
            title: "check: every copy now agrees".into(),
            preview: vec!["read every service's source again and compare fingerprints".into()],
            body: Body::Check(Predicate::FingerprintsAgree),
        });
    }
    let mut affected: Vec<String> = opts.resume_affected.clone();
    for &i in &disagreeing {
        let name = &reads[i].state.name;
        if !affected.contains(name) {
            affected.push(name.clone());
        }
    }
    steps.extend(restart_steps(rc, &affected));
    steps.extend(super::breakers::reset_steps(rc, None));
    match super::breakers::recovery_wait(rc, opts.wait_timeout) {
        Some(step) => steps.push(step),
        None => notes.push(format!(
            "{} has no breakers or auth rates configured: secretops cannot watch it recover; \
             check the services yourself",
            rc.environment().name
        )),
    }
    Plan {
        steps,
        notes,
        affected,
    }
}

/// The environment's `restart` command for each affected service (or once for all).
fn restart_steps(rc: &RunContext, affected: &[String]) -> Vec<Step> {
    let env = rc.environment();
    let Some(restart) = &env.restart else {
        return Vec::new();
    };
    if affected.is_empty() {
        return Vec::new();
    }
    let timeout = restart.timeout.unwrap_or(DEFAULT_COMMAND_TIMEOUT);
    let per_service = restart.args.iter().any(|a| a.contains("{service}"));
    let groups: Vec<Vec<String>> = if per_service {
        affected.iter().map(|s| vec![s.clone()]).collect()
    } else {
        vec![affected.to_vec()]
    };
    let mut steps = Vec::new();
    for group in groups {
        let service = group.first().cloned().unwrap_or_default();
        let args: Vec<String> = restart
            .args
            .iter()
            .map(|a| fill(a, &[("service", &service), ("env", &env.name)]))
            .collect();
        let await_health: Vec<String> = group
            .iter()
            .filter(|s| {
                env.services
                    .iter()
                    .any(|x| &x.name == *s && x.live.health.is_some())
            })
            .cloned()
            .collect();
        let shown = command::shown(&restart.program, &args, &rc.redactor);
        let mut preview = vec![format!(
            "run {shown} in {} (time-out {})",
            rc.inv.base_dir.display(),
            humantime::format_duration(timeout)
        )];
        for s in &await_health {
            preview.push(format!("then wait until {s} answers healthy"));
        }
        steps.push(Step {
            id: if per_service {
                format!("restart:{service}")
            } else {
                "restart".into()
            },
            title: format!("restart {}", group.join(", ")),
            preview,
            body: Body::Action(Action::RunCommand {
                program: restart.program.clone(),
                args,
                timeout,
                cwd: rc.inv.base_dir.clone(),
                await_health,
            }),
        });
    }
    steps
}
