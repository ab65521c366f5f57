//! Guided recovery: runbooks that preview every action, ask for the right confirmation, verify
//! each step against fresh state, stop at the first failure, resume from it, and record
//! everything in the audit log.
//!
//! Two runbooks are built in (`emergency-restore`, `breaker-reset`); more come from the
//! inventory's `[[runbook]]` tables. The same engine serves the command line and the console:
//! it sends [`step::RunEvent`]s over a channel and waits for [`step::Answer`]s on another, so
//! neither front end runs any step itself.

pub mod actions;
pub mod breakers;
pub mod command;
pub mod context;
pub mod custom;
pub mod engine;
pub mod headless;
mod journal;
mod operator;
pub mod plan;
pub mod predicates;
pub mod raw;
pub mod resume;
pub mod spec;
pub mod step;
mod writes;

use std::time::Duration;

use crate::inventory::{Inventory, Tier};
use spec::{BUILT_IN, CustomBody};

/// How confirmations are answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Confirmation {
    /// `--yes`: answers confirmations outside production.
    pub yes: bool,
    /// `--confirm ENV`: with `--yes`, answers them in production too.
    pub confirm: Option<String>,
    /// Someone can answer prompts (a terminal, or the console).
    pub interactive: bool,
}

/// What to run, where, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRequest {
    pub runbook: String,
    pub environment: String,
    pub from: Option<String>,
    pub service: Option<String>,
    pub dry_run: bool,
    pub resume: bool,
    /// `--read-only`: refuse every action (the environment's `read_only` adds to this).
    pub read_only: bool,
    pub wait_timeout: Option<Duration>,
    /// Time between the two scrapes that give an auth rate.
    pub window: Duration,
    pub confirmation: Confirmation,
}

/// One runbook as `runbook list` shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Listed {
    pub name: String,
    pub description: String,
    pub built_in: bool,
    /// Environments it may run in; empty means any.
    pub environments: Vec<String>,
    /// Whether it acts (and so is refused where read-only).
    pub acts: bool,
}

/// Every runbook the inventory can run, built-ins first.
pub fn list(inv: &Inventory) -> Vec<Listed> {
    let mut out = vec![
        Listed {
            name: BUILT_IN[0].into(),
            description: "put the right secret back everywhere in one environment: diagnose, \
                          write each disagreeing copy, restart, reset breakers, wait for auth \
                          to recover"
                .into(),
            built_in: true,
            environments: Vec::new(),
            acts: true,
        },
        Listed {
            name: BUILT_IN[1].into(),
            description: "reset every circuit breaker on every instance of one environment (or \
                          one service) and read each back"
                .into(),
            built_in: true,
            environments: Vec::new(),
            acts: true,
        },
    ];
    out.extend(inv.runbooks.iter().map(|r| Listed {
        name: r.name.clone(),
        description: r.description.clone(),
        built_in: false,
        environments: r.environments.clone(),
        acts: r.steps.iter().any(|s| {
            matches!(
                s.body,
                CustomBody::WriteSecret { .. }
                    | CustomBody::ResetBreakers { .. }
                    | CustomBody::RunCommand { .. }
                    | CustomBody::HttpRequest(_)
            )
        }),
    }));
    out
}

/// Checks a request before anything runs. The error says what was refused and what to do;
/// the command line exits 2 with it, the console shows it as a note.
pub fn precheck(inv: &Inventory, req: &RunRequest) -> Result<(), String> {
    let runbooks = list(inv);
    let Some(rb) = runbooks.iter().find(|r| r.name == req.runbook) else {
        let names: Vec<&str> = runbooks.iter().map(|r| r.name.as_str()).collect();
        return Err(format!(
            "no runbook \"{}\"; available: {}",
            req.runbook,
            names.join(", ")
        ));
    };
    let Some(env) = inv.environment(&req.environment) else {
        let names: Vec<&str> = inv.environments.iter().map(|e| e.name.as_str()).collect();
        return Err(format!(
            "no environment \"{}\" in {}; it has: {}",
            req.environment,
            inv.path.display(),
            names.join(", ")
        ));
    };
    if req.from.is_some() && req.runbook != BUILT_IN[0] {
        return Err("--from applies to emergency-restore only".into());
    }
    if req.service.is_some() && req.runbook != BUILT_IN[1] {
        return Err("--service applies to breaker-reset only".into());
    }
    let from = req
        .from
        .as_deref()
        .map(|f| f.split_once('@').map_or(f, |(s, _)| s));
    for name in from.iter().copied().chain(req.service.as_deref()) {
        if !env.services.iter().any(|s| s.name == name) {
            let names: Vec<&str> = env.services.iter().map(|s| s.name.as_str()).collect();
            return Err(format!(
                "{} has no service \"{name}\"; it has: {}",
                env.name,
                names.join(", ")
            ));
        }
    }
    if req.dry_run || !rb.acts {
        return Ok(());
    }
    if env.read_only {
        return Err(format!(
            "refused: {} is read-only (read_only = true in {}); secretops will not act on it. \
             Use --dry-run to see the plan",
            env.name,
            inv.path.display()
        ));
    }
    if req.read_only {
        return Err(
            "refused: --read-only is set; secretops will not act. Use --dry-run to see the plan"
                .into(),
        );
    }
    let c = &req.confirmation;
    if let Some(named) = &c.confirm
        && named != &env.name
    {
        return Err(format!(
            "refused: --confirm {named} does not name the environment this run acts on ({})",
            env.name
        ));
    }
    if env.tier == Tier::Production && c.yes && c.confirm.is_none() {
        return Err(format!(
            "refused: {} is a production environment; --yes alone does not answer its \
             confirmations. Add --confirm {} to say you mean it, or drop --yes and type the \
             name at each prompt",
            env.name, env.name
        ));
    }
    if !c.yes && !c.interactive {
        return Err(format!(
            "refused: nobody can confirm the actions (stdin is not a terminal). Pass --yes{}, \
             or run it in a terminal",
            if env.tier == Tier::Production {
                format!(" --confirm {}", env.name)
            } else {
                String::new()
            }
        ));
    }
    Ok(())
}
