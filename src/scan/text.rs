//! Small text helpers shared by the detectors: whole-name matching, `${VAR}` placeholders,
//! quoting and literal values.
//!
//! Every detector is a line scanner on purpose: a scan over a whole codebase must never stop on
//! a file that a strict parser would reject, and the common forms of each format fit on a line.

use secrecy::SecretString;

/// A byte that may be part of a variable name in every language and dialect the scan reads.
pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Byte offsets where `name` occurs in `hay` as a whole name, so that `SERVICE_SECRET` does not
/// match inside `SERVICE_SECRET_FILE` or `OLD_SERVICE_SECRET`.
pub(crate) fn name_positions<'a>(hay: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    let bytes = hay.as_bytes();
    hay.match_indices(name).map(|(i, _)| i).filter(move |&i| {
        let end = i + name.len();
        (i == 0 || !is_name_byte(bytes[i - 1])) && (end >= bytes.len() || !is_name_byte(bytes[end]))
    })
}

/// Whether `hay` mentions `name` as a whole name.
pub(crate) fn mentions(hay: &str, name: &str) -> bool {
    name_positions(hay, name).next().is_some()
}

/// `Some(has_default)` when `hay` holds a `${NAME…}` placeholder (shell, compose, Spring).
///
/// `${NAME:-x}`, `${NAME-x}`, `${NAME:=x}` and Spring's `${NAME:x}` fall back to a default;
/// `${NAME:?msg}` and `${NAME:+alt}` do not.
pub(crate) fn placeholder(hay: &str, name: &str) -> Option<bool> {
    name_positions(hay, name)
        .find(|&pos| hay[..pos].ends_with("${"))
        .map(|pos| match &hay.as_bytes()[pos + name.len()..] {
            [b':', b'?' | b'+', ..] | [b'?' | b'+', ..] => false,
            [b':' | b'-' | b'=', ..] => true,
            _ => false,
        })
}

/// Whether `hay` reads `$NAME` shell-style (not the escaped `$$NAME`).
pub(crate) fn dollar_ref(hay: &str, name: &str) -> bool {
    name_positions(hay, name).any(|pos| hay[..pos].ends_with('$') && !hay[..pos].ends_with("$$"))
}

/// Whether `name` at `pos` is a whole quoted string: `"NAME"`, `'NAME'` or `` `NAME` ``.
pub(crate) fn is_quoted_at(hay: &str, pos: usize, name: &str) -> bool {
    let b = hay.as_bytes();
    let end = pos + name.len();
    pos > 0 && end < b.len() && matches!(b[pos - 1], b'"' | b'\'' | b'`') && b[end] == b[pos - 1]
}

/// Offsets of `name` written as a whole quoted string.
pub(crate) fn quoted_positions<'a>(
    hay: &'a str,
    name: &'a str,
) -> impl Iterator<Item = usize> + 'a {
    name_positions(hay, name).filter(move |&pos| is_quoted_at(hay, pos, name))
}

/// `s` without one pair of surrounding double or single quotes.
pub(crate) fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

/// Whether a value takes its content from elsewhere (`${X}`, `$X`, `$(cmd)`, `{{ tpl }}`)
/// rather than being a literal: such a value is a reference, and fingerprinting it would report
/// false conflicts.
pub(crate) fn interpolates(s: &str) -> bool {
    s.contains("${")
        || s.contains("$(")
        || s.contains("{{")
        || s.as_bytes()
            .windows(2)
            .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'_'))
}

/// A YAML/TOML/HCL scalar as written after `:` or `=`, if it is a literal value. Single quotes
/// never interpolate; `~` and `null` are no value at all.
pub(crate) fn literal(raw: &str) -> Option<SecretString> {
    let t = raw.trim();
    if t.len() >= 2 && t.starts_with('\'') && t.ends_with('\'') {
        return Some(SecretString::from(&t[1..t.len() - 1]));
    }
    if matches!(t, "~" | "null" | "Null" | "NULL") {
        return None;
    }
    let inner = unquote(t);
    (!interpolates(inner)).then(|| SecretString::from(inner))
}

/// The value of a `KEY=value` line in an env file or shell script: quotes removed, an unquoted
/// value cut at ` #`. `None` when the value is interpolated or its quote is not closed on the
/// line (a multi-line value, which the line scan cannot see whole).
pub(crate) fn assignment_value(rest: &str) -> Option<SecretString> {
    let t = rest.trim_start();
    if let Some(&q @ (b'"' | b'\'')) = t.as_bytes().first() {
        let body = &t[1..];
        let inner = &body[..closing_quote(body, q)?];
        return (q == b'\'' || !interpolates(inner)).then(|| SecretString::from(inner));
    }
    let cut = t.find(" #").or_else(|| t.find("\t#")).unwrap_or(t.len());
    let v = t[..cut].trim_end();
    (!interpolates(v)).then(|| SecretString::from(v))
}

/// Index of the quote closing a string that started just before `body`, skipping `\"`.
fn closing_quote(body: &str, q: u8) -> Option<usize> {
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if q == b'"' && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// A line with its trailing ` # comment` removed, quotes respected. A quote only opens a
/// string where a scalar can start, so the apostrophe in `note: it's` is not one.
pub(crate) fn strip_comment(s: &str) -> &str {
    let b = s.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate() {
        let prev = if i == 0 { b' ' } else { b[i - 1] };
        match quote {
            Some(q) if c == q => quote = None,
            None if (c == b'"' || c == b'\'') && b" \t:[{,=-".contains(&prev) => quote = Some(c),
            None if c == b'#' && prev.is_ascii_whitespace() => return s[..i].trim_end(),
            _ => {}
        }
    }
    s.trim_end()
}

/// Splits a YAML `key: value` line (key possibly quoted); the value is empty when a block
/// follows. `None` for list items, flow collections and plain scalars.
pub(crate) fn yaml_key(content: &str) -> Option<(&str, &str)> {
    let c = content.trim();
    let (key, after) = match c.as_bytes().first()? {
        q @ (b'"' | b'\'') => {
            let close = c[1..].find(char::from(*q))? + 1;
            (&c[1..close], &c[close + 1..])
        }
        b'-' | b'[' | b'{' | b'#' => return None,
        _ => {
            let colon = c
                .match_indices(':')
                .map(|(i, _)| i)
                .find(|&i| c[i + 1..].is_empty() || c[i + 1..].starts_with([' ', '\t']))?;
            (c[..colon].trim_end(), &c[colon..])
        }
    };
    let value = after.trim_start().strip_prefix(':')?;
    (!key.is_empty()).then_some((key, value.trim()))
}

/// How a kind of file writes comment lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comments {
    /// `#` (shell, Python, YAML, env files, Dockerfile).
    Hash,
    /// `//`, `/*`, ` * ` (C-family languages).
    Slash,
    /// Both (HCL).
    HashSlash,
    /// `#` and `;` (INI).
    HashSemicolon,
    /// None that the scan should skip (Markdown, JSON).
    None,
}

/// Whether a trimmed line is a whole-line comment in `style`. Commented-out assignments such
/// as `# SERVICE_SECRET=<set-via-secrets>` are not definitions, so detectors skip them.
pub(crate) fn is_comment(trimmed: &str, style: Comments) -> bool {
    let hash = trimmed.starts_with('#');
    let slash = trimmed.starts_with("//")
        || trimmed.starts_with("/*")
        || trimmed.starts_with("* ")
        || trimmed.starts_with("*/")
        || trimmed == "*";
    match style {
        Comments::Hash => hash,
        Comments::Slash => slash,
        Comments::HashSlash => hash || slash,
        Comments::HashSemicolon => hash || trimmed.starts_with(';'),
        Comments::None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn lit(s: &str) -> Option<String> {
        literal(s).map(|v| v.expose_secret().to_string())
    }

    fn assigned(s: &str) -> Option<String> {
        assignment_value(s).map(|v| v.expose_secret().to_string())
    }

    #[test]
    fn whole_names_only() {
        assert!(mentions("X=SERVICE_SECRET", "SERVICE_SECRET"));
        assert!(!mentions("SERVICE_SECRET_FILE=1", "SERVICE_SECRET"));
        assert!(!mentions("OLD_SERVICE_SECRET=1", "SERVICE_SECRET"));
        assert!(mentions("$SERVICE_SECRET", "SERVICE_SECRET"));
    }

    #[test]
    fn placeholders_and_defaults() {
        assert_eq!(placeholder("${S}", "S"), Some(false));
        assert_eq!(placeholder("${S:-dev}", "S"), Some(true));
        assert_eq!(placeholder("${S-dev}", "S"), Some(true));
        assert_eq!(placeholder("${S:dev}", "S"), Some(true));
        assert_eq!(placeholder("${S:?required}", "S"), Some(false));
        assert_eq!(placeholder("${S:+alt}", "S"), Some(false));
        assert_eq!(placeholder("${{ secrets.S }}", "S"), None);
        assert!(dollar_ref("echo $S", "S"));
        assert!(!dollar_ref("echo $$S", "S"));
    }

    #[test]
    fn literals() {
        assert_eq!(lit("\"abc\""), Some("abc".into()));
        assert_eq!(lit("'a$b'"), Some("a$b".into()));
        assert_eq!(lit("${X}"), None);
        assert_eq!(lit("${{ secrets.X }}"), None);
        assert_eq!(lit("~"), None);
        assert_eq!(assigned("abc # note"), Some("abc".into()));
        assert_eq!(assigned("\"a # b\""), Some("a # b".into()));
        assert_eq!(assigned("\"$(vault read x)\""), None);
        assert_eq!(assigned("'unterminated"), None);
        assert_eq!(assigned(""), Some(String::new()));
    }

    #[test]
    fn comments_and_keys() {
        assert_eq!(strip_comment("KEY: \"a # b\" # c"), "KEY: \"a # b\"");
        assert_eq!(strip_comment("note: it's # c"), "note: it's");
        assert_eq!(yaml_key("SERVICE_SECRET: x"), Some(("SERVICE_SECRET", "x")));
        assert_eq!(
            yaml_key("\"SERVICE_SECRET\": x"),
            Some(("SERVICE_SECRET", "x"))
        );
        assert_eq!(yaml_key("env:"), Some(("env", "")));
        assert_eq!(
            yaml_key("image: http://x:80"),
            Some(("image", "http://x:80"))
        );
        assert_eq!(yaml_key("- a: b"), None);
        assert_eq!(yaml_key("\"8081:8081\""), None);
    }
}
