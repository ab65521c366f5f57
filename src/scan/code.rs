//! Reads in code: Python, JavaScript/TypeScript, Rust, Go, Java/Kotlin.
//!
//! Nearly every way code reads an environment variable passes its name as a string literal
//! (`os.getenv("X")`, `env::var("X")`, `System.getenv("X")`, `viper.GetString("X")`,
//! `config.get("X")`), so a whole quoted name counts as a read in any language. The forms that
//! do not quote it are handled per language: `process.env.X` and destructuring in JavaScript,
//! `${X}` placeholders in Spring's `@Value`, and pydantic `Settings` fields in Python.

use crate::scan::classify::{Kind, Lang};
use crate::scan::text::{is_comment, is_name_byte, is_quoted_at, name_positions, placeholder};
use crate::scan::{Found, Origin, Raw};

/// Scans one source file.
pub(crate) fn scan(lang: Lang, text: &str, vars: &[String], out: &mut Vec<Raw>) {
    let style = Kind::Code(lang).comments();
    let mut settings_indent: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.is_empty() || is_comment(t, style) {
            continue;
        }
        if lang == Lang::Python {
            let indent = line.len() - t.len();
            if settings_indent.is_some_and(|ci| indent <= ci) {
                settings_indent = None;
            }
            if let Some(rest) = t.strip_prefix("class ") {
                settings_indent = is_settings_class(rest).then_some(indent);
                continue;
            }
            if settings_indent.is_some()
                && let Some((v, has_default)) = settings_field(t, vars)
            {
                out.push(Raw::new(
                    i + 1,
                    v,
                    Found::Read { has_default },
                    Origin::Code,
                ));
                continue;
            }
        }
        for (v, var) in vars.iter().enumerate() {
            if t.contains(var.as_str())
                && let Some(found) = read_in_line(lang, t, var)
            {
                out.push(Raw::new(i + 1, v, found, Origin::Code));
            }
        }
    }
}

/// `Settings(BaseSettings):`, `AppSettings:` and the like: pydantic reads each field from the
/// environment variable of the same name, case-insensitively.
fn is_settings_class(rest: &str) -> bool {
    let head = rest.split(':').next().unwrap_or(rest);
    head.contains("Settings")
}

/// A `name: type [= default]` field whose name is one of `vars` in any case.
fn settings_field(t: &str, vars: &[String]) -> Option<(usize, bool)> {
    let end = t.bytes().position(|b| !is_name_byte(b)).unwrap_or(t.len());
    let (ident, rest) = t.split_at(end);
    let annotation = rest.trim_start().strip_prefix(':')?;
    let v = vars
        .iter()
        .position(|var| var.eq_ignore_ascii_case(ident))?;
    Some((v, field_default(annotation)))
}

/// Whether a field annotation assigns a default: `= "x"`, `= None`, `Field("x")`,
/// `Field(default=...)`; not `Field(...)` or `Field(alias="X")`.
fn field_default(annotation: &str) -> bool {
    let mut depth = 0i32;
    let rhs = annotation.char_indices().find_map(|(i, c)| {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '=' if depth == 0 => return Some(&annotation[i + 1..]),
            _ => {}
        }
        None
    });
    let Some(rhs) = rhs else { return false };
    match rhs.trim().strip_prefix("Field(") {
        None => true,
        Some(args) => {
            let args = args.trim_start();
            let first = args.split(',').next().unwrap_or("");
            !args.starts_with("...") && (!first.contains('=') || args.contains("default"))
        }
    }
}

/// What a line of code does with `var`, if it reads it in a recognised form.
fn read_in_line(lang: Lang, t: &str, var: &str) -> Option<Found> {
    for pos in name_positions(t, var) {
        let after = &t[pos + var.len()..];
        if is_quoted_at(t, pos, var) {
            let has_default = default_after(lang, &t[..pos - 1], &after[1..], t);
            return Some(Found::Read { has_default });
        }
        if t[..pos].ends_with("${") {
            let has_default = placeholder(&t[pos - 2..], var).unwrap_or(false);
            return Some(Found::Read { has_default });
        }
        if lang == Lang::JavaScript && t[..pos].ends_with("env.") {
            let has_default = after.contains("||") || after.contains("??");
            return Some(Found::Read { has_default });
        }
    }
    if lang == Lang::JavaScript && (t.contains("process.env") || t.contains("import.meta.env")) {
        // `const { VAR = "dev" } = process.env;`
        let pos = name_positions(t, var).next()?;
        let after = t[pos + var.len()..].trim_start();
        let has_default = after.starts_with('=') && !after.starts_with("==");
        return Some(Found::Read { has_default });
    }
    None
}

/// Whether the code after a quoted name supplies a fallback, per language idiom.
fn default_after(lang: Lang, before: &str, after: &str, line: &str) -> bool {
    let next_arg = after.trim_start().starts_with(',');
    let before = before.trim_end();
    match lang {
        Lang::Python => {
            (next_arg && (before.ends_with("get(") || before.ends_with("getenv(")))
                || after.contains(" or ")
        }
        Lang::JavaScript => after.contains("||") || after.contains("??"),
        Lang::Rust => after.contains(".unwrap_or"),
        Lang::Go => line.contains("default:\""),
        Lang::Java => {
            (next_arg && before.ends_with("getOrDefault("))
                || after.contains("?:")
                || after.contains(".orElse(")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(line, has_default)` of every read found in `text`.
    fn reads(lang: Lang, text: &str) -> Vec<(usize, bool)> {
        let mut out = Vec::new();
        scan(lang, text, &["SERVICE_SECRET".to_string()], &mut out);
        crate::scan::read_lines(&out)
    }

    #[test]
    fn python_reads() {
        let text = r#"import os
a = os.environ["SERVICE_SECRET"]
b = os.environ.get("SERVICE_SECRET")
c = os.getenv("SERVICE_SECRET", "dev")
d = settings.get("SERVICE_SECRET") or "x"
# os.getenv("SERVICE_SECRET")
print(SERVICE_SECRET)

class Settings(BaseSettings):
    service_secret: str
    SERVICE_SECRET: str = "dev"
    service_secret: Optional[str] = Field(..., alias="X")
    service_secret: str = Field(default="x")

class Other:
    service_secret: str
"#;
        assert_eq!(
            reads(Lang::Python, text),
            vec![
                (2, false),
                (3, false),
                (4, true),
                (5, true),
                (10, false),
                (11, true),
                (12, false),
                (13, true),
            ]
        );
    }

    #[test]
    fn javascript_reads() {
        let text = "const a = process.env.SERVICE_SECRET;\nconst b = process.env['SERVICE_SECRET'] ?? 'dev';\nconst { SERVICE_SECRET } = process.env;\nconst { SERVICE_SECRET = 'x' } = process.env;\nconst c = import.meta.env.SERVICE_SECRET || 'y';\n// process.env.SERVICE_SECRET\nconst SERVICE_SECRET_X = 1;\n";
        assert_eq!(
            reads(Lang::JavaScript, text),
            vec![(1, false), (2, true), (3, false), (4, true), (5, true)]
        );
    }

    #[test]
    fn rust_go_java_reads() {
        let rust = "let a = std::env::var(\"SERVICE_SECRET\")?;\nlet b = env::var(\"SERVICE_SECRET\").unwrap_or_default();\nconst C: &str = env!(\"SERVICE_SECRET\");\n";
        assert_eq!(
            reads(Lang::Rust, rust),
            vec![(1, false), (2, true), (3, false)]
        );
        let go = "a := os.Getenv(\"SERVICE_SECRET\")\nb, ok := os.LookupEnv(\"SERVICE_SECRET\")\nSecret string `envconfig:\"SERVICE_SECRET\" default:\"x\"`\n";
        assert_eq!(reads(Lang::Go, go), vec![(1, false), (2, false), (3, true)]);
        let java = "String a = System.getenv(\"SERVICE_SECRET\");\n@Value(\"${SERVICE_SECRET}\")\n@Value(\"${SERVICE_SECRET:dev}\")\nval b = System.getenv(\"SERVICE_SECRET\") ?: \"dev\"\nSystem.getenv().getOrDefault(\"SERVICE_SECRET\", \"d\");\n";
        assert_eq!(
            reads(Lang::Java, java),
            vec![(1, false), (2, false), (3, true), (4, true), (5, true)]
        );
    }
}
