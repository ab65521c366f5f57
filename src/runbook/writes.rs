//! Writes of a source-of-truth value into one service's copy: an env file (or a compose
//! service's `env_file`) is rewritten by secretops; anything else becomes a manual step that
//! names the exact place, and is verified afterwards all the same.

use std::path::Path;

use super::command;
use super::context::{Read, RunContext};
use super::plan::{planned, status_word};
use super::step::{Action, Body, SameAs, Step};
use crate::dotenv::Dialect;
use crate::inventory::{EnvDialect, Source};

fn dialect(d: EnvDialect) -> Dialect {
    match d {
        EnvDialect::Compose => Dialect::Compose,
        EnvDialect::PythonDotenv => Dialect::PythonDotenv,
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// A write of the truth into one service's source, or a manual step where that is unsafe.
pub(super) fn write_step(
    rc: &RunContext,
    index: usize,
    read: &Read,
    from: &str,
    from_origin: &str,
) -> Step {
    let svc = &rc.environment().services[index];
    let base = &rc.inv.base_dir;
    let Some(truth) = rc.truth(Some(from)) else {
        return planned("write", "write", false, vec!["no source of truth".into()]);
    };
    let var = svc.source.var(&rc.inv.secret).to_string();
    let change = format!(
        "{} {var}: {} → {} (the value of {from})",
        svc.name,
        status_word(read),
        truth.fingerprint
    );
    let copy = format!(
        "the value of {from} ({from_origin}, fingerprint {})",
        truth.fingerprint
    );
    let env = rc.load.env.clone();
    let lookup = move |n: &str| env(n);
    let file_write = |path: &Path, d: Dialect| match crate::envwrite::plan(path, d, &var, &lookup) {
        Ok(plan) => {
            let mut preview = vec![change.clone()];
            preview.extend(plan.preview(base));
            preview.push(format!("then read {} back through its source", svc.name));
            Ok(Step {
                id: format!("write:{}", svc.name),
                title: format!("write the value into {}", svc.name),
                preview,
                body: Body::Action(Action::WriteEnvFile {
                    service: svc.name.clone(),
                    from: from.to_string(),
                    plan,
                }),
            })
        }
        Err(why) => Err(format!(
            "secretops cannot rewrite {} safely ({why}); set {var} there to {copy} by hand",
            crate::display_path(path, base)
        )),
    };
    // An env file (or a compose service's env_file) is written; anything else is manual.
    let file = match &svc.source {
        _ if read.state.status == crate::snapshot::Status::Error => None,
        Source::EnvFile {
            path, dialect: d, ..
        } => Some((path.clone(), dialect(*d))),
        Source::Compose { files, .. } => read
            .state
            .origin_path
            .clone()
            .filter(|p| !files.iter().any(|f| same_file(f, p)))
            .map(|p| (p, Dialect::Compose)),
        Source::GcpSecretManager { .. } => {
            if let Some(step) = gcp_step(svc, &change, from) {
                return step;
            }
            None
        }
        Source::ProcessEnv { .. } | Source::Command { .. } => None,
    };
    let manual_text = match file {
        Some((path, d)) => match file_write(&path, d) {
            Ok(step) => return step,
            Err(text) => text,
        },
        None => instruction(rc, svc, read, &var, &copy),
    };
    Step {
        id: format!("manual:{}", svc.name),
        title: format!("restore {} by hand", svc.name),
        preview: vec![change, manual_text.clone()],
        body: Body::Manual {
            text: manual_text,
            verify: None,
            expect: Some(SameAs {
                service: svc.name.clone(),
                from: from.to_string(),
            }),
        },
    }
}

/// A new Secret Manager version for a service that reads `latest`; `None` for a pinned
/// version, which becomes a manual step.
fn gcp_step(svc: &crate::inventory::Service, change: &str, from: &str) -> Option<Step> {
    let Source::GcpSecretManager {
        project,
        secret,
        version,
        endpoint,
        anonymous,
        timeout,
        ..
    } = &svc.source
    else {
        return None;
    };
    if version != crate::sources::gcp::LATEST {
        return None;
    }
    let config = crate::sources::gcp::GcpConfig {
        project: project.clone(),
        secret: secret.clone(),
        version: version.clone(),
        endpoint: endpoint.clone(),
        anonymous: *anonymous,
        timeout: *timeout,
    };
    let at = endpoint
        .as_deref()
        .map_or_else(|| "Google's API".to_string(), command::safe_url);
    Some(Step {
        id: format!("write:{}", svc.name),
        title: format!("add a Secret Manager version for {}", svc.name),
        preview: vec![
            change.to_string(),
            format!(
                "add a version to {} at {at} holding the value of {from}; CRC32C is computed \
                 and sent, the new version is read back",
                config.secret_name()
            ),
            "older versions stay as they are: secretops never disables or destroys one".into(),
            format!(
                "then read {} back through its source (it reads `latest`)",
                svc.name
            ),
        ],
        body: Body::Action(Action::AddSecretVersion {
            service: svc.name.clone(),
            from: from.to_string(),
            config,
        }),
    })
}

/// What the operator does where secretops does not write: a copy it cannot read, a compose
/// literal, a process environment, a command's store.
fn instruction(
    rc: &RunContext,
    svc: &crate::inventory::Service,
    read: &Read,
    var: &str,
    copy: &str,
) -> String {
    if read.state.status == crate::snapshot::Status::Error {
        return format!(
            "secretops cannot read {}'s copy ({}{}); fix that, then set {var} to {copy}",
            svc.name,
            read.state.error.as_deref().unwrap_or("unknown error"),
            read.state
                .error_location
                .as_ref()
                .map(|l| format!(" at {l}"))
                .unwrap_or_default()
        );
    }
    let base = &rc.inv.base_dir;
    match &svc.source {
        Source::Compose { files, service, .. } => match &read.state.origin {
            Some(origin) => format!(
                "{var} of compose service {service} is written in the compose file at {origin}; \
                 secretops does not rewrite compose files: set it there to {copy}, then \
                 recreate the container"
            ),
            None => format!(
                "compose service {service} has no {var}: add it to its `environment` or an \
                 `env_file` in {} with {copy}",
                files
                    .iter()
                    .map(|f| crate::display_path(f, base))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        Source::ProcessEnv { var } => format!(
            "{} reads ${var} from its process environment: set it to {copy} where the service \
             is started (unit file, container spec, shell), then restart it (secretops reads \
             ${var} from its own environment: to check it, run secretops where the service \
             runs)",
            svc.name
        ),
        Source::Command {
            program, args, cwd, ..
        } => format!(
            "{}'s value comes from the command {} (in {}): store {copy} where that command \
             reads it (for a secret manager, add a version)",
            svc.name,
            command::shown(program, args, &rc.redactor),
            cwd.display()
        ),
        Source::GcpSecretManager {
            project,
            secret,
            version,
            ..
        } => format!(
            "{} reads version {version} of projects/{project}/secrets/{secret}, a pinned \
             version: add a version holding {copy} and move the pin to it (secretops adds \
             versions only for sources that read `latest`)",
            svc.name
        ),
        Source::EnvFile { path, .. } => {
            format!("set {var} in {} to {copy}", crate::display_path(path, base))
        }
    }
}
