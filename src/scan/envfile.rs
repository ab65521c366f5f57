//! `KEY=value` files: `.env*` / `*.env` files and shell scripts (`export KEY=value`).

use crate::scan::text::{assignment_value, dollar_ref, mentions, placeholder};
use crate::scan::{Found, Origin, Raw};

/// What a `KEY=value` line says about `var`, after any `export `-style prefix was removed.
fn assignment(body: &str, var: &str) -> Option<Found> {
    let rest = body.strip_prefix(var)?;
    let value = rest.trim_start().strip_prefix('=')?;
    Some(Found::Define {
        value: assignment_value(value),
        has_default: false,
    })
}

/// A reference to `var` inside a value or command: `${VAR:-x}`, `$VAR`, or a bare mention.
pub(crate) fn reference(line: &str, var: &str) -> Option<Found> {
    if let Some(has_default) = placeholder(line, var) {
        Some(Found::Read { has_default })
    } else if dollar_ref(line, var) {
        Some(Found::Read { has_default: false })
    } else if mentions(line, var) {
        Some(Found::Mention)
    } else {
        None
    }
}

/// Scans an env file. `defines` receives every variable the file assigns, so compose
/// `env_file:` references can be resolved to the variables they bring in.
pub(crate) fn scan_env_file(
    text: &str,
    vars: &[String],
    out: &mut Vec<Raw>,
    defines: &mut Vec<usize>,
) {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let body = t.strip_prefix("export ").map_or(t, str::trim_start);
        for (v, var) in vars.iter().enumerate() {
            if !t.contains(var.as_str()) {
                continue;
            }
            let found = if let Some(found) = assignment(body, var) {
                defines.push(v);
                found
            } else if let Some(found) = reference(t, var) {
                found
            } else {
                continue;
            };
            out.push(Raw::new(i + 1, v, found, Origin::EnvFile));
        }
    }
}

/// Scans a shell script: `export VAR=...`, `VAR=...` and `export VAR` define it; `$VAR` and
/// `${VAR:-x}` read it.
pub(crate) fn scan_shell(text: &str, vars: &[String], out: &mut Vec<Raw>) {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let body = ["export ", "declare -x ", "readonly ", "local "]
            .iter()
            .find_map(|p| t.strip_prefix(p))
            .map_or(t, str::trim_start);
        for (v, var) in vars.iter().enumerate() {
            if !t.contains(var.as_str()) {
                continue;
            }
            let bare_export = t.starts_with("export ") && body.trim_end_matches(';') == var;
            let found = if bare_export {
                Some(Found::Define {
                    value: None,
                    has_default: false,
                })
            } else {
                assignment(body, var).or_else(|| reference(t, var))
            };
            if let Some(found) = found {
                out.push(Raw::new(i + 1, v, found, Origin::Shell));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn vars() -> Vec<String> {
        vec!["S".to_string()]
    }

    /// (line, kind, value, default) per raw, for compact assertions.
    fn summary(raws: &[Raw]) -> Vec<(usize, &'static str, Option<String>, bool)> {
        raws.iter()
            .map(|r| match &r.found {
                Found::Define { value, has_default } => (
                    r.line,
                    "define",
                    value.as_ref().map(|v| v.expose_secret().to_string()),
                    *has_default,
                ),
                Found::Read { has_default } => (r.line, "read", None, *has_default),
                Found::Mention => (r.line, "mention", None, false),
                Found::Claimed => (r.line, "claimed", None, false),
            })
            .collect()
    }

    #[test]
    fn env_file_forms() {
        let text = "# S=commented\nS=one\nexport S=\"two\" # c\nSX=no\nOTHER=${S:-d}\nS = spaced\n";
        let (mut out, mut defines) = (Vec::new(), Vec::new());
        scan_env_file(text, &vars(), &mut out, &mut defines);
        assert_eq!(
            summary(&out),
            vec![
                (2, "define", Some("one".into()), false),
                (3, "define", Some("two".into()), false),
                (5, "read", None, true),
                (6, "define", Some("spaced".into()), false),
            ]
        );
        assert_eq!(defines, vec![0, 0, 0]);
    }

    #[test]
    fn shell_forms() {
        let text = "export S=\"$(vault read x)\"\nS=lit\nexport S\necho \"$S\"\n: \"${S:?set it}\"\nkubectl --from-literal=S=x\n";
        let mut out = Vec::new();
        scan_shell(text, &vars(), &mut out);
        assert_eq!(
            summary(&out),
            vec![
                (1, "define", None, false),
                (2, "define", Some("lit".into()), false),
                (3, "define", None, false),
                (4, "read", None, false),
                (5, "read", None, false),
                (6, "mention", None, false),
            ]
        );
    }
}
