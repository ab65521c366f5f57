//! YAML other than compose: Kubernetes manifests, Helm values, CI workflows and config files.
//!
//! A line scan that tracks indentation is enough for the forms that matter: `VAR: value` keys
//! (CI `env:` maps, Helm values, Secret `stringData`), Kubernetes `- name: VAR` entries with
//! their `value:` or `valueFrom: secretKeyRef`, and `${VAR}` placeholders.

use secrecy::{ExposeSecret, SecretString};

use crate::scan::envfile::reference;
use crate::scan::text::{literal, placeholder, strip_comment, unquote, yaml_key};
use crate::scan::{Found, Origin, Raw};

/// Whether keys define the variable (deployment files) or name what a config loader reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Deploy,
    Config,
}

/// Whether a YAML document is a Kubernetes manifest, which makes it a deployment file wherever
/// it lives.
pub(crate) fn is_kubernetes(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("apiVersion:"))
        && text.lines().any(|l| l.starts_with("kind:"))
}

/// `content` without its list dashes, and the column where the remaining key starts.
fn list_item(content: &str, indent: usize) -> (&str, usize) {
    let mut c = content;
    let mut col = indent;
    while let Some(rest) = c.strip_prefix("- ") {
        let trimmed = rest.trim_start();
        col += c.len() - trimmed.len();
        c = trimmed;
    }
    if c == "-" { ("", col) } else { (c, col) }
}

/// Scans one YAML file.
pub(crate) fn scan(text: &str, vars: &[String], mode: Mode, origin: &Origin, out: &mut Vec<Raw>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut claimed_until = 0;
    for (i, raw) in lines.iter().enumerate() {
        let body = raw.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let content = strip_comment(body);
        let (item, col) = list_item(content, raw.len() - body.len());
        let kv = yaml_key(item);
        while stack.last().is_some_and(|(c, _)| *c >= col) {
            stack.pop();
        }
        let parent = stack.last().map(|(_, k)| k.clone());
        if let Some((key, _)) = kv {
            stack.push((col, key.to_string()));
        }
        for (v, var) in vars.iter().enumerate() {
            if !content.contains(var.as_str()) {
                continue;
            }
            let found = if i < claimed_until {
                Some(Found::Claimed)
            } else if let Some(("name", value)) = kv
                && unquote(value) == var
            {
                let (end, value) = entry_value(&lines, i, col);
                claimed_until = end;
                Some(match value {
                    EntryValue::Missing => Found::Mention,
                    EntryValue::Given(value) => Found::Define {
                        value,
                        has_default: false,
                    },
                })
            } else if let Some((key, value)) = kv
                && key == var
            {
                Some(keyed(mode, value, var, parent.as_deref()))
            } else if mode == Mode::Config && kv.is_some_and(|(_, value)| unquote(value) == var) {
                Some(Found::Read { has_default: false })
            } else {
                reference(content, var)
            };
            if let Some(found) = found {
                out.push(Raw::new(i + 1, v, found, origin.clone()));
            }
        }
    }
}

/// A `VAR: value` key: a definition in deployment files (base64 `data:` is not a literal), a
/// name a config loader reads elsewhere, whose literal value is a fallback default.
fn keyed(mode: Mode, value: &str, var: &str, parent: Option<&str>) -> Found {
    let from_placeholder = placeholder(value, var);
    match mode {
        Mode::Deploy => Found::Define {
            value: if matches!(parent, Some("data" | "binaryData")) || value.is_empty() {
                None
            } else {
                literal(value)
            },
            has_default: from_placeholder.unwrap_or(false),
        },
        Mode::Config => Found::Read {
            has_default: from_placeholder.unwrap_or_else(|| {
                !value.is_empty() && literal(value).is_some_and(|s| !s.expose_secret().is_empty())
            }),
        },
    }
}

/// What a Kubernetes `- name: VAR` entry sets.
enum EntryValue {
    /// Neither `value:` nor `valueFrom:`: a list of names, not a definition.
    Missing,
    /// The literal of `value:`; `None` for `valueFrom:` or a templated value.
    Given(Option<SecretString>),
}

/// The lines of a Kubernetes `- name: VAR` entry (up to where it ends) and what it sets.
fn entry_value(lines: &[&str], i: usize, col: usize) -> (usize, EntryValue) {
    let mut result = EntryValue::Missing;
    let mut j = i + 1;
    while j < lines.len() {
        let raw = lines[j];
        let body = raw.trim_start();
        let indent = raw.len() - body.len();
        if !body.is_empty() && !body.starts_with('#') {
            if indent < col {
                break;
            }
            if indent == col {
                match yaml_key(strip_comment(body)) {
                    Some(("value", v)) => result = EntryValue::Given(literal(v)),
                    Some(("valueFrom", _)) => result = EntryValue::Given(None),
                    _ => {}
                }
            }
        }
        j += 1;
    }
    (j, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, kind, literal value) of every finding.
    fn found(text: &str, mode: Mode) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        scan(
            text,
            &["S".to_string()],
            mode,
            &Origin::Kubernetes,
            &mut out,
        );
        out.iter()
            .map(|r| {
                let what = match &r.found {
                    Found::Define { value, has_default } => format!(
                        "define {:?} {has_default}",
                        value.as_ref().map(|v| v.expose_secret().to_string())
                    ),
                    Found::Read { has_default } => format!("read {has_default}"),
                    Found::Mention => "mention".into(),
                    Found::Claimed => "claimed".into(),
                };
                (r.line, what)
            })
            .collect()
    }

    #[test]
    fn kubernetes_env_entries() {
        let text = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - env:\n        - name: S\n          valueFrom:\n            secretKeyRef:\n              name: s\n              key: S\n        - name: OTHER\n          value: $(S)\n        - name: S\n          value: \"lit\"\n---\nkind: Secret\ndata:\n  S: c2VjcmV0\nstringData:\n  S: plain\n";
        assert!(is_kubernetes(text));
        assert_eq!(
            found(text, Mode::Deploy),
            vec![
                (6, "define None false".into()),
                (10, "claimed".into()),
                (12, "mention".into()),
                (13, "define Some(\"lit\") false".into()),
                (18, "define None false".into()),
                (20, "define Some(\"plain\") false".into()),
            ]
        );
    }

    #[test]
    fn ci_and_config_keys() {
        let ci = "jobs:\n  a:\n    env:\n      S: ${{ secrets.S }}\n    steps:\n      - run: echo \"$S\"\n";
        assert_eq!(
            found(ci, Mode::Deploy),
            vec![(4, "define None false".into()), (6, "read false".into())]
        );
        let config = "auth:\n  secret: ${S}\n  other: ${S:-x}\n  S: fallback\n  from_env: S\n";
        assert_eq!(
            found(config, Mode::Config),
            vec![
                (2, "read false".into()),
                (3, "read true".into()),
                (4, "read true".into()),
                (5, "read false".into()),
            ]
        );
    }
}
