//! Dockerfiles (`ENV`, `ARG`) and Terraform (`VAR = ...`, `name = "VAR"` with its `value`).

use secrecy::SecretString;

use crate::scan::envfile::reference;
use crate::scan::text::{
    Comments, assignment_value, interpolates, is_comment, literal, name_positions, quoted_positions,
};
use crate::scan::{Found, Origin, Raw};

fn define(value: Option<SecretString>) -> Found {
    Found::Define {
        value,
        has_default: false,
    }
}

/// Scans a Dockerfile: `ENV VAR=value`, `ENV VAR value`, `ARG VAR[=default]`, `$VAR`.
pub(crate) fn scan_dockerfile(text: &str, vars: &[String], out: &mut Vec<Raw>) {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let (instr, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        let rest = rest.trim_start();
        for (v, var) in vars.iter().enumerate() {
            if !t.contains(var.as_str()) {
                continue;
            }
            let found = match instr.to_ascii_uppercase().as_str() {
                "ENV" => docker_env(rest, var),
                "ARG" => docker_arg(rest, var),
                _ => None,
            };
            if let Some(found) = found.or_else(|| reference(t, var)) {
                out.push(Raw::new(i + 1, v, found, Origin::Dockerfile));
            }
        }
    }
}

fn docker_env(rest: &str, var: &str) -> Option<Found> {
    if let Some(after) = rest.strip_prefix(var)
        && after.starts_with([' ', '\t'])
    {
        return Some(define(literal(after)));
    }
    let pos = name_positions(rest, var).find(|&p| {
        (p == 0 || rest.as_bytes()[p - 1].is_ascii_whitespace())
            && rest[p + var.len()..].starts_with('=')
    })?;
    let value = &rest[pos + var.len() + 1..];
    let value = if value.starts_with(['"', '\'']) {
        assignment_value(value)
    } else {
        let word = value.split_whitespace().next().unwrap_or("");
        (!interpolates(word)).then(|| SecretString::from(word))
    };
    Some(define(value))
}

fn docker_arg(rest: &str, var: &str) -> Option<Found> {
    let after = rest.strip_prefix(var)?;
    if after.trim().is_empty() {
        Some(define(None))
    } else {
        after.strip_prefix('=').map(|v| define(assignment_value(v)))
    }
}

/// The text after `key =` in `s` (`key` as a whole name, not `==`).
fn attr<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    name_positions(s, key).find_map(|p| {
        let after = s[p + key.len()..].trim_start();
        let value = after.strip_prefix('=')?;
        (!value.starts_with('=')).then_some(value.trim_start())
    })
}

/// An HCL value if it is a literal string (`"x"`); expressions and `${}` templates are not.
fn hcl_literal(value: &str) -> Option<SecretString> {
    let body = value.trim_start().strip_prefix('"')?;
    let close = body.find('"')?;
    let inner = &body[..close];
    (!inner.contains("${")).then(|| SecretString::from(inner))
}

/// Scans Terraform: `VAR = "x"` (tfvars, maps) and `name = "VAR"` blocks with their `value`
/// (ECS container definitions, Kubernetes provider), looking up to three lines ahead.
pub(crate) fn scan_terraform(text: &str, vars: &[String], out: &mut Vec<Raw>) {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.is_empty() || is_comment(t, Comments::HashSlash) {
            continue;
        }
        for (v, var) in vars.iter().enumerate() {
            if !t.contains(var.as_str()) {
                continue;
            }
            let quoted_key = format!("\"{var}\"");
            let key_rest = t
                .strip_prefix(quoted_key.as_str())
                .or_else(|| t.strip_prefix(var.as_str()));
            let key_value = key_rest
                .and_then(|r| r.trim_start().strip_prefix('='))
                .filter(|r| !r.starts_with('='));
            let found = if let Some(value) = key_value {
                Some(define(hcl_literal(value)))
            } else if let Some(p) = quoted_positions(t, var).find(|&p| named_at(t, p)) {
                let here = std::iter::once(&t[p + var.len()..]);
                let ahead = lines[i + 1..]
                    .iter()
                    .take(3)
                    .take_while(|l| !l.trim_start().starts_with('}') && attr(l, "name").is_none())
                    .copied();
                let value = here.chain(ahead).find_map(|l| attr(l, "value"));
                Some(define(value.and_then(hcl_literal)))
            } else {
                reference(t, var)
            };
            if let Some(found) = found {
                out.push(Raw::new(i + 1, v, found, Origin::Terraform));
            }
        }
    }
}

/// Whether the quoted name at `pos` is the value of a `name =` attribute.
fn named_at(t: &str, pos: usize) -> bool {
    let before = t[..pos - 1].trim_end();
    before
        .strip_suffix('=')
        .is_some_and(|b| b.trim_end().ends_with("name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn defs(raws: &[Raw]) -> Vec<(usize, Option<String>)> {
        raws.iter()
            .filter_map(|r| match &r.found {
                Found::Define { value, .. } => Some((
                    r.line,
                    value.as_ref().map(|v| v.expose_secret().to_string()),
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn dockerfile_forms() {
        let text = "FROM x\nARG S\nARG S=dflt\nENV S=v1 OTHER=2\nENV S \"v 2\"\nENV A=1 S=\"v3\"\nRUN echo $S\n";
        let mut out = Vec::new();
        scan_dockerfile(text, &["S".to_string()], &mut out);
        assert_eq!(
            defs(&out),
            vec![
                (2, None),
                (3, Some("dflt".into())),
                (4, Some("v1".into())),
                (5, Some("v 2".into())),
                (6, Some("v3".into())),
            ]
        );
        assert!(matches!(out[5].found, Found::Read { .. }));
    }

    #[test]
    fn terraform_forms() {
        let text = "S = \"lit\"\n\"S\" = var.s\nsecrets = [\n  { name = \"S\", valueFrom = aws_x.arn },\n]\nenv {\n  name  = \"S\"\n  value = \"v\"\n}\n# S = \"c\"\n";
        let mut out = Vec::new();
        scan_terraform(text, &["S".to_string()], &mut out);
        assert_eq!(
            defs(&out),
            vec![
                (1, Some("lit".into())),
                (2, None),
                (4, None),
                (7, Some("v".into()))
            ]
        );
    }
}
