//! Building the new file text: the planned line replaced (or one appended), the value quoted
//! in the plainest way the file's dialect reads back exactly.

use std::fmt::Write as _;

use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::{EnvWritePlan, parse};
use crate::dotenv::{self, Dialect};

/// The file with `var` set to `value` on the planned line, checked by parsing it back.
pub(super) fn render(
    text: &str,
    plan: &EnvWritePlan,
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Zeroizing<String>, String> {
    let before = parse(text, plan.dialect, lookup)?;
    let shape = |list: &[dotenv::Assignment], skip: Option<usize>| -> Vec<(String, usize)> {
        list.iter()
            .filter(|a| Some(a.line) != skip || a.key != plan.var)
            .map(|a| (a.key.clone(), a.line))
            .collect()
    };
    let errors = |t: &str| {
        dotenv::parse_python_bindings(t)
            .iter()
            .filter(|b| b.error)
            .count()
    };
    let target_line = plan.line.unwrap_or(plan.lines + 1);
    for encoded in encodings(value) {
        let candidate = splice(text, plan.line, &plan.var, &encoded);
        let Ok(after) = parse(&candidate, plan.dialect, lookup) else {
            continue;
        };
        let reads_back = after
            .iter()
            .rev()
            .find(|a| a.key == plan.var)
            .is_some_and(|a| {
                a.line == target_line
                    && a.value.as_ref().is_some_and(|v| v.expose_secret() == value)
            });
        let same_shape = shape(&before, plan.line) == shape(&after, Some(target_line));
        let no_new_errors =
            plan.dialect != Dialect::PythonDotenv || errors(&candidate) <= errors(text);
        if reads_back && same_shape && no_new_errors {
            return Ok(candidate);
        }
    }
    Err(format!(
        "no quoting of the new value reads back exactly under the {} rules",
        match plan.dialect {
            Dialect::Compose => "docker compose",
            Dialect::PythonDotenv => "python-dotenv",
        }
    ))
}

/// Ways to write the value, plainest first.
fn encodings(value: &str) -> Vec<Zeroizing<String>> {
    let escaped = Zeroizing::new(value.replace('\\', "\\\\").replace('"', "\\\""));
    vec![
        Zeroizing::new(value.to_string()),
        Zeroizing::new(format!("'{value}'")),
        Zeroizing::new(format!("\"{}\"", escaped.as_str())),
        Zeroizing::new(format!("\"{}\"", escaped.replace('$', "$$"))),
        Zeroizing::new(format!("\"{}\"", escaped.replace('$', "\\$"))),
    ]
}

/// Replaces line `line` (keeping its indentation, `export` and line ending), or appends.
fn splice(text: &str, line: Option<usize>, var: &str, encoded: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len() + encoded.len() + 16));
    let Some(line) = line else {
        out.push_str(text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
        let _ = writeln!(out, "{var}={encoded}");
        return out;
    };
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        if i + 1 != line {
            out.push_str(raw);
            continue;
        }
        let ending = if raw.ends_with("\r\n") {
            "\r\n"
        } else if raw.ends_with('\n') {
            "\n"
        } else {
            ""
        };
        let content = &raw[..raw.len() - ending.len()];
        let (bom, content) = match content.strip_prefix('\u{feff}') {
            Some(rest) => ("\u{feff}", rest),
            None => ("", content),
        };
        let trimmed = content.trim_start();
        let indent = &content[..content.len() - trimmed.len()];
        let export = if trimmed.starts_with("export ") || trimmed.starts_with("export\t") {
            "export "
        } else {
            ""
        };
        let _ = write!(out, "{bom}{indent}{export}{var}={encoded}{ending}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envwrite::{plan, write};
    use secrecy::SecretString;

    fn none(_: &str) -> Option<String> {
        None
    }

    fn plan_for(text: &str, dialect: Dialect) -> (tempfile::TempDir, EnvWritePlan) {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("app.env");
        std::fs::write(&path, text).expect("write");
        let plan = plan(&path, dialect, "S", &none).expect("plan");
        (dir, plan)
    }

    #[test]
    fn rewrites_only_the_line_and_keeps_export_and_crlf() {
        let text = "# c\r\nA=1\r\n  export S=old # note\r\nB=\"x\ny\"\r\n";
        let (_d, p) = plan_for(text, Dialect::Compose);
        assert_eq!(p.line, Some(3));
        let out = render(text, &p, "new-value", &none).expect("render");
        assert_eq!(
            out.as_str(),
            "# c\r\nA=1\r\n  export S=new-value\r\nB=\"x\ny\"\r\n"
        );
    }

    #[test]
    fn quotes_when_needed_and_appends_when_absent() {
        for dialect in [Dialect::Compose, Dialect::PythonDotenv] {
            let (_d, p) = plan_for("A=1", dialect);
            assert_eq!(p.line, None);
            let out = render("A=1", &p, "a b#c$d'e\"f\\g", &none).expect("render");
            let back = dotenv::parse(&out, dialect, &none).expect("parse");
            assert_eq!(back.len(), 2, "{dialect:?}");
            assert_eq!(
                back[1]
                    .value
                    .as_ref()
                    .map(|v| v.expose_secret().to_string()),
                Some("a b#c$d'e\"f\\g".to_string()),
                "{dialect:?}"
            );
        }
    }

    #[test]
    fn refuses_multi_line_values() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("m.env");
        std::fs::write(&path, "S=\"a\nb\"\n").expect("write");
        let err = plan(&path, Dialect::Compose, "S", &none).expect_err("multi-line");
        assert!(err.contains("spans several lines"), "{err}");
    }

    #[test]
    fn writes_atomically_with_mode_and_backup() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, p) = plan_for("A=1\nS=old\n", Dialect::Compose);
        std::fs::set_permissions(&p.path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let p = plan(&p.path, Dialect::Compose, "S", &none).expect("plan");
        write(&p, &SecretString::from("fresh"), &none).expect("write");
        assert_eq!(
            std::fs::read_to_string(&p.path).expect("read"),
            "A=1\nS=fresh\n"
        );
        let backup = dir.path().join("app.env.secretops-backup");
        assert_eq!(
            std::fs::read_to_string(&backup).expect("backup"),
            "A=1\nS=old\n"
        );
        for f in [&p.path, &backup] {
            let mode = std::fs::metadata(f).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o640, "{}", f.display());
        }
        assert!(!p.temp.exists());
    }
}
