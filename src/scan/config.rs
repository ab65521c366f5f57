//! JSON, TOML and INI config files read by config loaders: `${VAR}` placeholders, `VAR` as a
//! key (its literal value is the fallback when the variable is missing), and `"VAR"` as a value
//! (node-config's `custom-environment-variables.json` maps keys to variable names this way).

use crate::scan::classify::Kind;
use crate::scan::envfile::reference;
use crate::scan::text::{interpolates, is_comment, placeholder, quoted_positions, unquote};
use crate::scan::{Found, Origin, Raw};

/// Scans one config file of kind `kind` (`Json`, `Toml` or `Ini`).
pub(crate) fn scan(kind: Kind, text: &str, vars: &[String], out: &mut Vec<Raw>) {
    let style = kind.comments();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || is_comment(t, style) {
            continue;
        }
        for (v, var) in vars.iter().enumerate() {
            if !t.contains(var.as_str()) {
                continue;
            }
            let found = if let Some(has_default) = placeholder(t, var) {
                Some(Found::Read { has_default })
            } else if let Some(value) = key_value(kind, t, var) {
                Some(Found::Read {
                    has_default: is_fallback(value),
                })
            } else if quoted_positions(t, var).next().is_some() {
                Some(Found::Read { has_default: false })
            } else {
                reference(t, var)
            };
            if let Some(found) = found {
                out.push(Raw::new(i + 1, v, found, Origin::Config));
            }
        }
    }
}

/// The value text when `var` is the key of this line: `"VAR": v` in JSON, `VAR = v` or
/// `VAR: v` in TOML and INI.
fn key_value<'a>(kind: Kind, t: &'a str, var: &str) -> Option<&'a str> {
    let rest = if kind == Kind::Json {
        let pos = quoted_positions(t, var).next()?;
        t[pos + var.len() + 1..].trim_start().strip_prefix(':')?
    } else {
        let quoted = format!("\"{var}\"");
        let rest = t
            .strip_prefix(quoted.as_str())
            .or_else(|| t.strip_prefix(var))?;
        let rest = rest.trim_start();
        rest.strip_prefix('=').or_else(|| rest.strip_prefix(':'))?
    };
    Some(rest.trim().trim_end_matches(','))
}

/// A non-empty literal value next to the name is what the loader uses when the variable is
/// missing.
fn is_fallback(value: &str) -> bool {
    let v = unquote(value);
    !v.is_empty() && !interpolates(v) && !matches!(v, "null" | "{" | "[")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(kind: Kind, text: &str) -> Vec<(usize, bool)> {
        let mut out = Vec::new();
        scan(kind, text, &["S".to_string()], &mut out);
        crate::scan::read_lines(&out)
    }

    #[test]
    fn config_forms() {
        let json = "{\n  \"S\": \"\",\n  \"S\": \"fallback\",\n  \"auth\": { \"secret\": \"S\" },\n  \"x\": \"${S:-d}\"\n}\n";
        assert_eq!(
            reads(Kind::Json, json),
            vec![(2, false), (3, true), (4, false), (5, true)]
        );
        let toml = "# S = \"no\"\nS = \"dev\"\nsecret = \"${S}\"\nname = \"S\"\n";
        assert_eq!(
            reads(Kind::Toml, toml),
            vec![(2, true), (3, false), (4, false)]
        );
        let ini = "; S=x\n[auth]\nS=\nS: value\n";
        assert_eq!(reads(Kind::Ini, ini), vec![(3, false), (4, true)]);
    }
}
