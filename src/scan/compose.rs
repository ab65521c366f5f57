//! Compose files: `environment:` entries (map and list forms, inline or block) and `env_file:`
//! references (string, list of strings, list of `{path, required}` objects, flow list).
//!
//! A compose file is scanned even when it never names the variable: an `env_file:` entry brings
//! in every variable of the file it points at, which is resolved once the walk has seen that
//! file (see [`EnvFileRef`]).

use crate::scan::classify::{environment_of, join_rel};
use crate::scan::envfile::reference;
use crate::scan::text::{interpolates, literal, placeholder, strip_comment, unquote, yaml_key};
use crate::scan::{Found, Origin, Raw};
use secrecy::SecretString;

/// An `env_file:` entry, resolved against the scanned env files after the walk.
#[derive(Clone, Debug)]
pub(crate) struct EnvFileRef {
    pub line: usize,
    pub service: String,
    /// Relative to the scan root.
    pub target: String,
    /// The service's environment, if the compose file or its env files name one.
    pub environment: Option<String>,
}

/// An `environment:` entry: its line index, key and value (`None` = taken from the shell).
struct Entry {
    idx: usize,
    key: String,
    value: Option<String>,
    list_form: bool,
}

#[derive(Default)]
struct Service {
    name: String,
    entries: Vec<Entry>,
    env_files: Vec<(usize, String)>,
    /// Other lines of the service that name a variable.
    loose: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Environment,
    EnvFile,
}

impl Service {
    fn add_env_item(&mut self, idx: usize, item: &str) {
        let item = unquote(item);
        if item.is_empty() {
            return;
        }
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.to_string())),
            None => (item, None),
        };
        self.entries.push(Entry {
            idx,
            key: key.to_string(),
            value,
            list_form: true,
        });
    }

    fn add_env_pair(&mut self, idx: usize, key: &str, value: &str) {
        self.entries.push(Entry {
            idx,
            key: unquote(key).to_string(),
            value: (!value.is_empty()).then(|| value.to_string()),
            list_form: false,
        });
    }

    /// An `environment:` line: `- KEY=v`, `- KEY` or `KEY: v`; inline `[..]` or `{..}` too.
    fn environment_line(&mut self, idx: usize, content: &str) {
        if let Some(item) = content.strip_prefix('-') {
            self.add_env_item(idx, item.trim());
        } else if let Some(inner) = flow(content, '[', ']') {
            inner
                .split(',')
                .for_each(|i| self.add_env_item(idx, i.trim()));
        } else if let Some(inner) = flow(content, '{', '}') {
            for pair in inner.split(',') {
                if let Some((k, v)) = pair.split_once(':') {
                    self.add_env_pair(idx, k.trim(), v.trim());
                }
            }
        } else if let Some((k, v)) = yaml_key(content) {
            self.add_env_pair(idx, k, v);
        }
    }

    /// An `env_file:` line: `- path`, `- path: p`, `path: p`, a scalar or a flow list.
    fn env_file_line(&mut self, idx: usize, content: &str) {
        let item = content.strip_prefix('-').map_or(content, str::trim_start);
        if let Some(inner) = flow(item, '[', ']') {
            for p in inner.split(',').map(unquote).filter(|p| !p.is_empty()) {
                self.env_files.push((idx, p.to_string()));
            }
        } else if let Some((key, value)) = yaml_key(item) {
            if key == "path" && !value.is_empty() {
                self.env_files.push((idx, unquote(value).to_string()));
            }
        } else if !item.is_empty() {
            self.env_files.push((idx, unquote(item).to_string()));
        }
    }
}

/// The inside of `open … close`, if `s` is written that way.
fn flow(s: &str, open: char, close: char) -> Option<&str> {
    s.trim().strip_prefix(open)?.strip_suffix(close)
}

/// Parses the compose file into its services (and the lines outside them naming a variable).
fn parse(lines: &[&str], vars: &[String]) -> (Vec<Service>, Vec<usize>) {
    let mut services: Vec<Service> = Vec::new();
    let mut outside = Vec::new();
    let (mut in_services, mut svc_indent, mut child_indent) = (false, None, None);
    let mut section: Option<(Section, usize)> = None;
    for (i, raw) in lines.iter().enumerate() {
        let body = raw.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = raw.len() - body.len();
        let content = strip_comment(body);
        let named = vars.iter().any(|v| content.contains(v.as_str()));
        if indent == 0 {
            in_services = yaml_key(content).is_some_and(|(k, _)| k == "services");
            (svc_indent, section) = (None, None);
        }
        if indent == 0 || !in_services {
            if named {
                outside.push(i);
            }
            continue;
        }
        if svc_indent.is_none_or(|s| indent <= s) {
            if let Some((key, _)) = yaml_key(content) {
                (svc_indent, child_indent, section) = (Some(indent), None, None);
                services.push(Service {
                    name: key.to_string(),
                    ..Service::default()
                });
            }
            continue;
        }
        let Some(svc) = services.last_mut() else {
            continue;
        };
        if let Some((sec, at)) = section {
            if indent > at || (indent == at && content.starts_with('-')) {
                match sec {
                    Section::Environment => svc.environment_line(i, content),
                    Section::EnvFile => svc.env_file_line(i, content),
                }
                continue;
            }
            section = None;
        }
        let at_child = *child_indent.get_or_insert(indent) == indent;
        match yaml_key(content) {
            Some(("environment", v)) if at_child => {
                section = Some((Section::Environment, indent));
                if !v.is_empty() {
                    svc.environment_line(i, v);
                }
            }
            Some(("env_file", v)) if at_child => {
                section = Some((Section::EnvFile, indent));
                if !v.is_empty() {
                    svc.env_file_line(i, v);
                }
            }
            _ if named => svc.loose.push(i),
            _ => {}
        }
    }
    (services, outside)
}

/// What an `environment:` entry says about `var`.
fn entry_found(entry: &Entry, var: &str) -> Option<Found> {
    let value = entry.value.as_deref().unwrap_or("");
    if entry.key == var {
        let literal_value = match &entry.value {
            None => None,
            Some(v) if entry.list_form => {
                (!interpolates(v)).then(|| SecretString::from(v.as_str()))
            }
            Some(v) => literal(v),
        };
        return Some(Found::Define {
            value: literal_value,
            has_default: placeholder(value, var).unwrap_or(false),
        });
    }
    placeholder(value, var).map(|has_default| Found::Read { has_default })
}

/// A line outside `environment:` and `env_file:`: a `VAR: x` key or a `${VAR}` reference.
fn loose_found(content: &str, var: &str) -> Option<Found> {
    match yaml_key(content.trim_start_matches(['-', ' '])) {
        Some((key, value)) if key == var => Some(Found::Define {
            value: literal(value).filter(|_| !value.is_empty()),
            has_default: placeholder(value, var).unwrap_or(false),
        }),
        _ => reference(content, var),
    }
}

/// One value if every item is that same value.
fn unique(mut items: impl Iterator<Item = Option<String>>) -> Option<String> {
    let first = items.next()??;
    items
        .all(|i| i.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// Scans the compose file `rel`. Entries get the environment of the file name, else the one
/// every `env_file` of their service names (`docker-compose.yml` loading `.env.development`).
pub(crate) fn scan(
    rel: &str,
    text: &str,
    vars: &[String],
    out: &mut Vec<Raw>,
    refs: &mut Vec<EnvFileRef>,
) {
    let lines: Vec<&str> = text.lines().collect();
    let (services, outside) = parse(&lines, vars);
    let file_env = environment_of(rel);
    let mut push = |idx: usize, v: usize, found, service: Option<&str>, env: &Option<String>| {
        let origin = Origin::Compose {
            service: service.map(str::to_string),
            via_env_file: None,
        };
        let mut raw = Raw::new(idx + 1, v, found, origin);
        raw.environment.clone_from(env);
        out.push(raw);
    };
    for svc in &services {
        let env = file_env.clone().or_else(|| {
            unique(
                svc.env_files
                    .iter()
                    .map(|(_, t)| environment_of(&join_rel(rel, t))),
            )
        });
        for (v, var) in vars.iter().enumerate() {
            for entry in &svc.entries {
                if let Some(found) = entry_found(entry, var) {
                    push(entry.idx, v, found, Some(&svc.name), &env);
                }
            }
            for &idx in &svc.loose {
                if let Some(found) = loose_found(strip_comment(lines[idx].trim()), var) {
                    push(idx, v, found, Some(&svc.name), &env);
                }
            }
        }
        refs.extend(svc.env_files.iter().map(|(idx, target)| EnvFileRef {
            line: idx + 1,
            service: svc.name.clone(),
            target: join_rel(rel, target),
            environment: env.clone(),
        }));
    }
    for &idx in &outside {
        for (v, var) in vars.iter().enumerate() {
            if let Some(found) = loose_found(strip_comment(lines[idx].trim()), var) {
                push(idx, v, found, None, &None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// `(line, service, env, value or "read", has_default)` of every finding.
    type Row = (usize, Option<String>, Option<String>, String, bool);

    /// `(line, service, target, environment)` of an `env_file` reference.
    type RefRow = (usize, String, String, Option<String>);

    fn run(rel: &str, text: &str) -> (Vec<Row>, Vec<RefRow>) {
        let (mut out, mut refs) = (Vec::new(), Vec::new());
        scan(rel, text, &["S".to_string()], &mut out, &mut refs);
        let rows = out
            .iter()
            .map(|r| {
                let service = match &r.origin {
                    Origin::Compose { service, .. } => service.clone(),
                    _ => None,
                };
                let (what, default) = match &r.found {
                    Found::Define { value, has_default } => (
                        format!(
                            "{:?}",
                            value.as_ref().map(|v| v.expose_secret().to_string())
                        ),
                        *has_default,
                    ),
                    Found::Read { has_default } => ("read".to_string(), *has_default),
                    Found::Mention => ("mention".to_string(), false),
                    Found::Claimed => ("claimed".to_string(), false),
                };
                (r.line, service, r.environment.clone(), what, default)
            })
            .collect();
        let refs = refs
            .into_iter()
            .map(|r| (r.line, r.service, r.target, r.environment))
            .collect();
        (rows, refs)
    }

    #[allow(clippy::unnecessary_wraps)] // Shorthand for expected `Option` fields.
    fn s(x: &str) -> Option<String> {
        Some(x.to_string())
    }

    #[test]
    fn environment_forms_and_env_file_environment() {
        let text = "x-common: &common\n  S: ${S}\nservices:\n  a:\n    env_file: .env.development\n    environment:\n      - S=list-value\n      - OTHER=${S:-d}\n  b:\n    env_file: [\"config/dev.env\"]\n    environment:\n      S: \"map value\" # comment\n  c:\n    environment: [S]\n  d:\n    environment: { S: inline }\n    command: [\"--secret\", \"${S}\"]\n";
        let (rows, refs) = run("docker-compose.yml", text);
        let dev = s("development");
        assert_eq!(
            rows,
            vec![
                (
                    7,
                    s("a"),
                    dev.clone(),
                    format!("{:?}", s("list-value")),
                    false
                ),
                (8, s("a"), dev.clone(), "read".into(), true),
                (
                    12,
                    s("b"),
                    dev.clone(),
                    format!("{:?}", s("map value")),
                    false
                ),
                (14, s("c"), None, "None".into(), false),
                (16, s("d"), None, format!("{:?}", s("inline")), false),
                (17, s("d"), None, "read".into(), false),
                (2, None, None, "None".into(), false),
            ]
        );
        assert_eq!(
            refs,
            vec![
                (5, "a".into(), ".env.development".into(), dev.clone()),
                (10, "b".into(), "config/dev.env".into(), dev),
            ]
        );
    }

    #[test]
    fn env_file_object_and_list_forms() {
        let text = "services:\n  auth:\n    env_file:\n      - path: config/staging.env\n        required: true\n      - path: ./config/staging.local.env\n        required: false\n    environment:\n      S: \"x\"\n  backend:\n    env_file:\n    - ../shared/a.env\n";
        let (rows, refs) = run("deploy/docker-compose.staging.yml", text);
        assert_eq!(
            rows,
            vec![(9, s("auth"), s("staging"), format!("{:?}", s("x")), false)]
        );
        let targets: Vec<(usize, String)> = refs.into_iter().map(|r| (r.0, r.2)).collect();
        assert_eq!(
            targets,
            vec![
                (4, "deploy/config/staging.env".into()),
                (6, "deploy/config/staging.local.env".into()),
                (12, "shared/a.env".into()),
            ]
        );
    }
}
