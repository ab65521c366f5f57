//! A draft inventory in the format `inventory.rs` parses, so adopting secretops starts from
//! what the repository already says instead of a blank file. Everything guessed carries a
//! `# REVIEW` comment; only keys the parser knows are written (it rejects unknown ones).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::scan::classify::{env_order, env_token, mapped_service};
use crate::scan::{Hit, HitClass, Origin, ScanReport};

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A comment's text on one line.
fn comment(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// One inventory source found for a service in an environment.
struct Source {
    service: String,
    service_note: Option<&'static str>,
    /// The inline table, e.g. `{ kind = "env-file", path = "x.env" }`.
    table: String,
}

/// The inventory service for an env file nobody's compose file loads: the caller's mapping,
/// else a service named in the file name (`production-auth.env` → `auth-service`), else the
/// hit's own service (its folder).
fn env_file_service(
    hit: &Hit,
    report: &ScanReport,
    known: &BTreeSet<&str>,
) -> (String, Option<&'static str>) {
    if let Some(s) = mapped_service(&hit.path, &report.services) {
        return (s.to_string(), None);
    }
    let name = hit
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&hit.path)
        .to_ascii_lowercase();
    let guessed = name
        .split(['.', '-', '_'])
        .filter(|t| !t.is_empty() && *t != "env" && env_token(t).is_none())
        .find_map(|t| {
            known
                .iter()
                .find(|s| **s == t || s.split(['-', '_']).next() == Some(t))
        });
    match guessed {
        Some(s) => ((*s).to_string(), Some("service guessed from the file name")),
        None => (hit.service.clone(), Some("service taken from the folder")),
    }
}

fn role_line(service: &str) -> &'static str {
    let lower = service.to_ascii_lowercase();
    if ["auth", "validator", "gateway"]
        .iter()
        .any(|w| lower.contains(w))
    {
        "role = \"validator\""
    } else {
        "role = \"consumer\"  # REVIEW: role not inferred"
    }
}

fn tier_line(env: &str, inferred: bool) -> String {
    match env {
        "development" | "test" | "staging" | "production" if inferred => {
            format!("tier = {}", toml_str(env))
        }
        _ => "tier = \"development\"  # REVIEW: tier not inferred from the name".to_string(),
    }
}

/// A source with the `path:line` it was found at.
struct Located {
    source: Source,
    at: String,
}

/// Sources per environment (keyed in promotion order), and the deployment hits that no source
/// kind can express.
struct Collected<'a> {
    envs: BTreeMap<(u8, String), (Option<String>, Vec<Located>)>,
    deployment: Vec<&'a Hit>,
}

/// Turns each definition of `secret_name` into a source. Env files that a compose file loads
/// are covered by that compose source, so they are not sources of their own.
fn collect<'a>(report: &'a ScanReport, secret_name: &str) -> Collected<'a> {
    let referenced: BTreeSet<&str> = report
        .hits
        .iter()
        .filter_map(|h| match &h.origin {
            Origin::Compose {
                via_env_file: Some(f),
                ..
            } => Some(f.as_str()),
            _ => None,
        })
        .collect();
    let known: BTreeSet<&str> = report
        .hits
        .iter()
        .map(|h| h.service.as_str())
        .filter(|s| *s != "(root)")
        .collect();
    let mut collected = Collected {
        envs: BTreeMap::new(),
        deployment: Vec::new(),
    };
    for hit in report.hits.iter().filter(|h| h.var == secret_name) {
        if !matches!(hit.class, HitClass::Definition | HitClass::Deployment) {
            continue;
        }
        let source = match &hit.origin {
            Origin::Compose {
                service: Some(svc), ..
            } => Source {
                service: svc.clone(),
                service_note: None,
                table: format!(
                    "{{ kind = \"compose\", file = {}, service = {} }}",
                    toml_str(&hit.path),
                    toml_str(svc)
                ),
            },
            Origin::EnvFile if !referenced.contains(hit.path.as_str()) => {
                let (service, service_note) = env_file_service(hit, report, &known);
                Source {
                    service,
                    service_note,
                    table: format!("{{ kind = \"env-file\", path = {} }}", toml_str(&hit.path)),
                }
            }
            _ => {
                if hit.class == HitClass::Deployment {
                    collected.deployment.push(hit);
                }
                continue;
            }
        };
        let env = hit.environment.as_deref();
        let entry = collected
            .envs
            .entry(env_order(env))
            .or_insert((env.map(str::to_string), Vec::new()));
        entry.1.push(Located {
            source,
            at: format!("{}:{}", hit.path, hit.line),
        });
    }
    collected
}

/// Drafts an inventory for `secret_name` from the definitions in `report`: one environment per
/// environment named by a file, one service per compose service (or env file nobody loads),
/// one source per definition. Other scanned variables become `related`.
#[must_use]
pub fn draft_inventory(report: &ScanReport, secret_name: &str) -> String {
    let Collected { envs, deployment } = collect(report, secret_name);
    let mut out = String::from(
        "# DRAFT generated by secretops scan — review every line marked REVIEW\n\
         # Paths are relative to the scanned folder: save this file there.\n",
    );
    let _ = writeln!(
        out,
        "# One source per definition of {} found; values were read but are never written.\n",
        comment(secret_name)
    );
    let related: Vec<String> = report
        .vars
        .iter()
        .filter(|v| *v != secret_name)
        .map(|v| toml_str(v))
        .collect();
    let _ = writeln!(
        out,
        "[secret]\nname = {}\nrelated = [{}]",
        toml_str(secret_name),
        related.join(", ")
    );
    if envs.is_empty() {
        out.push_str(
            "\n# REVIEW: no definition found; this placeholder reads the process environment.\n\
             [[environment]]\nname = \"development\"\ntier = \"development\"\n\n\
             [[environment.service]]\nname = \"app\"  # REVIEW: service not inferred\n\
             role = \"consumer\"  # REVIEW: role not inferred\nsource = { kind = \"process-env\" }\n",
        );
    }
    for (env, sources) in envs.into_values() {
        write_environment(&mut out, env.as_deref(), sources);
    }
    if !deployment.is_empty() {
        out.push_str(
            "\n# REVIEW: these deployment files also set or pass it; no source kind covers them:\n",
        );
        for hit in deployment {
            let env = hit
                .environment
                .as_deref()
                .unwrap_or("unspecified environment");
            let _ = writeln!(
                out,
                "#   {}:{} ({env}, {})",
                comment(&hit.path),
                hit.line,
                comment(&hit.service)
            );
        }
    }
    out
}

/// One `[[environment]]` with its services; a service found with several different sources
/// keeps the first and lists the others as REVIEW comments (the inventory allows one).
fn write_environment(out: &mut String, env: Option<&str>, sources: Vec<Located>) {
    let name_line = match env {
        Some(e) => format!("name = {}", toml_str(e)),
        None => "name = \"default\"  # REVIEW: no environment in the file names".to_string(),
    };
    let _ = writeln!(
        out,
        "\n[[environment]]\n{name_line}\n{}",
        tier_line(env.unwrap_or(""), env.is_some())
    );
    let mut services: BTreeMap<String, Vec<Located>> = BTreeMap::new();
    for located in sources {
        let list = services.entry(located.source.service.clone()).or_default();
        if !list.iter().any(|l| l.source.table == located.source.table) {
            list.push(located);
        }
    }
    for (name, list) in services {
        let Some((Located { source: first, at }, others)) = list.split_first() else {
            continue;
        };
        let note = first
            .service_note
            .map_or(String::new(), |n| format!("  # REVIEW: {n}"));
        let _ = writeln!(
            out,
            "\n[[environment.service]]\nname = {}{note}\n{}\nsource = {}  # from {}",
            toml_str(&name),
            role_line(&name),
            first.table,
            comment(at)
        );
        for Located { source: other, at } in others {
            let _ = writeln!(
                out,
                "# REVIEW: also defined for this service: {} ({})",
                other.table,
                comment(at)
            );
        }
    }
}
