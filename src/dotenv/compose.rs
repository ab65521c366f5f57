//! compose-go `dotenv/parser.go`, statement by statement.
//!
//! Upstream quirks are kept on purpose, because secretops must predict what `docker compose`
//! does with a file, not what it should do:
//! - `:` is a separator like `=` (`KEY: value`);
//! - only ` #` (space, hash) starts an inline comment in an unquoted value;
//! - text after a closing quote starts a new statement unless it is a `#` comment;
//! - a bare key on the last line without a trailing newline is read as the **value** of the
//!   empty key (`""`), because upstream finds no key terminator there;
//! - key characters are letters, numbers and `_ . - [ ]`, plus whitespace other than newline
//!   (which is kept inside the key, except that an ASCII space is an error).
//!
//! One known divergence: Go's `unicode.IsLetter` is the `L*` categories; Rust's std has no
//! category API, so we use `char::is_alphabetic`, which also accepts combining marks with the
//! `Other_Alphabetic` property (e.g. some Indic vowel signs). Such keys error in compose.

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::{Assignment, ParseError, column_of, secret};
use crate::interpolate::{InterpolateError, interpolate};

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Go's `unicode.IsSpace`; identical to Rust's `White_Space` property.
fn is_unicode_space(c: char) -> bool {
    c.is_whitespace()
}

/// compose-go's `isSpace`: horizontal whitespace, `\r` included, `\n` excluded.
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{B}' | '\u{C}' | '\r' | ' ' | '\u{85}' | '\u{A0}'
    )
}

fn is_key_char(c: char) -> bool {
    matches!(c, '_' | '.' | '-' | '[' | ']') || c.is_alphabetic() || c.is_numeric()
}

struct Parser<'a> {
    text: &'a str,
    lookup: Lookup<'a>,
    earlier: Lookup<'a>,
    /// Upstream's `out` map: what this file defined so far (last one wins).
    vars: HashMap<String, Zeroizing<String>>,
    /// Line counting: `line` is the line of byte `counted_to`.
    counted_to: usize,
    line: usize,
}

pub(super) fn parse(
    text: &str,
    lookup: Lookup<'_>,
    earlier: Lookup<'_>,
) -> Result<Vec<Assignment>, ParseError> {
    let mut p = Parser {
        text,
        lookup,
        earlier,
        vars: HashMap::new(),
        counted_to: 0,
        line: 1,
    };
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(start) = p.statement_start(pos) {
        let (assignment, rest) = p.statement(start)?;
        if let Some(a) = assignment {
            out.push(a);
        }
        pos = rest;
    }
    Ok(out)
}

impl Parser<'_> {
    fn line_at(&mut self, pos: usize) -> usize {
        if pos > self.counted_to {
            self.line += self.text[self.counted_to..pos].matches('\n').count();
            self.counted_to = pos;
        }
        self.line
    }

    fn error(&mut self, line_pos: usize, at: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            line: self.line_at(line_pos),
            column: column_of(self.text, at),
            message: message.into(),
        }
    }

    /// `getStatementStart`: skips whitespace and `#` comment lines.
    fn statement_start(&self, mut pos: usize) -> Option<usize> {
        loop {
            let rest = &self.text[pos..];
            let offset = rest.find(|c: char| !is_unicode_space(c))?;
            pos += offset;
            if !self.text[pos..].starts_with('#') {
                return Some(pos);
            }
            pos += self.text[pos..].find('\n')?;
        }
    }

    /// Parses the statement at `start`; returns it (if it yields an assignment) and where the
    /// rest of the file begins.
    fn statement(&mut self, start: usize) -> Result<(Option<Assignment>, usize), ParseError> {
        let text = self.text;
        let line = self.line_at(start);
        let mut key_start = start;
        // `^export\s+` with Go's ASCII `\s` = [\t\n\f\r ].
        if let Some(after) = text[start..].strip_prefix("export")
            && after.starts_with(['\t', '\n', '\u{C}', '\r', ' '])
        {
            let trimmed = after.trim_start_matches(is_space);
            key_start = text.len() - trimmed.len();
        }
        let (raw_key, value_from, inherited) = self.scan_key(key_start)?;
        if key_start == text.len() {
            return Err(self.error(start, start, "expected a variable name after `export`"));
        }
        let key = raw_key.trim_end_matches(is_unicode_space);
        if key.contains(' ') {
            return Err(self.error(start, key_start, "key cannot contain a space"));
        }
        let key = key.to_owned();
        let value_start = value_from
            + (text[value_from..].len() - text[value_from..].trim_start_matches(is_space).len());

        if inherited {
            let found = (self.lookup)(&key).map(Zeroizing::new);
            let value = found.as_ref().map(|v| secret(v));
            if let Some(v) = found {
                self.vars.insert(key.clone(), v);
            }
            let a = Assignment {
                key,
                value,
                line,
                inherited: true,
            };
            return Ok((Some(a), value_start));
        }

        let (value, rest) = self.value(&key, start, value_start)?;
        let a = Assignment {
            key: key.clone(),
            value: Some(secret(&value)),
            line,
            inherited: false,
        };
        self.vars.insert(key, value);
        Ok((Some(a), rest))
    }

    /// Finds the key terminator (`=`, `:` or newline). Returns the raw key, the offset after
    /// the terminator and whether the key is inherited (bare). With no terminator before the
    /// end of input, upstream yields the empty key and treats the text as the value.
    fn scan_key(&mut self, key_start: usize) -> Result<(&str, usize, bool), ParseError> {
        let text = self.text;
        for (i, c) in text[key_start..].char_indices() {
            if is_space(c) {
                continue;
            }
            match c {
                '=' | ':' | '\n' => {
                    let at = key_start + i;
                    return Ok((&text[key_start..at], at + 1, c == '\n'));
                }
                c if is_key_char(c) => {}
                c => {
                    let shown = if c.is_ascii_graphic() {
                        format!("\"{c}\"")
                    } else {
                        format!("U+{:04X}", u32::from(c))
                    };
                    let at = key_start + i;
                    return Err(self.error(
                        key_start,
                        at,
                        format!("unexpected character {shown} in variable name"),
                    ));
                }
            }
        }
        Ok(("", key_start, false))
    }

    /// `extractVarValue`: returns the final value and where the rest of the file begins.
    fn value(
        &mut self,
        key: &str,
        stmt: usize,
        start: usize,
    ) -> Result<(Zeroizing<String>, usize), ParseError> {
        let text = self.text;
        let quote = text
            .as_bytes()
            .get(start)
            .copied()
            .filter(|b| matches!(b, b'"' | b'\''));
        let Some(quote) = quote else {
            let (line, rest) = match text[start..].find('\n') {
                Some(nl) => (&text[start..start + nl], start + nl + 1),
                None => (&text[start..], text.len()),
            };
            let raw = line.split_once(" #").map_or(line, |(v, _)| v);
            let raw = raw.trim_end_matches(is_unicode_space);
            let value = self.expand(key, raw, stmt, start)?;
            return Ok((value, rest));
        };
        let Some((raw, rest)) = extract_quoted(text, start, quote) else {
            return Err(self.error(
                stmt,
                start,
                format!("unterminated quoted value for key {key:?}"),
            ));
        };
        if quote == b'\'' {
            return Ok((raw, rest));
        }
        let escaped = expand_escapes(&raw);
        let value = self.expand(key, &escaped, stmt, start + 1)?;
        Ok((value, rest))
    }

    fn expand(
        &mut self,
        key: &str,
        raw: &str,
        stmt: usize,
        value_pos: usize,
    ) -> Result<Zeroizing<String>, ParseError> {
        let vars = &self.vars;
        let (lookup, earlier) = (self.lookup, self.earlier);
        let resolve = |name: &str| -> Option<String> {
            lookup(name)
                .or_else(|| vars.get(name).map(|v| String::clone(v)))
                .or_else(|| earlier(name))
        };
        match interpolate(raw, &resolve) {
            Ok(v) => Ok(Zeroizing::new(v)),
            Err(InterpolateError::Required { var, .. }) => Err(self.error(
                stmt,
                value_pos,
                // The reason text is omitted: it sits in the value and is interpolated.
                format!("required variable {var} is missing a value (needed by key {key:?})"),
            )),
            Err(InterpolateError::Invalid { column, reason }) => {
                let mut err = self.error(
                    stmt,
                    value_pos,
                    format!("Invalid template in the value of key {key:?}: {reason}"),
                );
                let before = raw
                    .get(..column.saturating_sub(1))
                    .map_or(0, |s| s.chars().count());
                err.column += before;
                Err(err)
            }
        }
    }
}

/// `extractQuotedValue`: `src[start]` is the quote. An escaped quote loses its backslash; any
/// other backslash is kept. Returns the raw value and the offset after the closing quote.
fn extract_quoted(text: &str, start: usize, quote: u8) -> Option<(Zeroizing<String>, usize)> {
    let bytes = text.as_bytes();
    let mut out = Zeroizing::new(String::new());
    let mut segment = start + 1;
    let mut escaped = false;
    for i in start + 1..bytes.len() {
        let b = bytes[i];
        if escaped {
            escaped = false;
            // Keep the backslash (segment starts at it) unless it escapes the quote.
            segment = if b == quote { i } else { i - 1 };
        } else if b == b'\\' {
            out.push_str(&text[segment..i]);
            escaped = true;
        } else if b == quote {
            out.push_str(&text[segment..i]);
            return Some((out, i + 1));
        }
    }
    None
}

/// compose-go's `expandEscapes`: regex `\\(?:[abcfnrtv$"\\]|0\d{0,3})`, each match decoded
/// with Go's `strconv.UnquoteChar` (after rewriting `\0` to `\`), `\$` becoming `$$` so the
/// interpolation step yields a literal `$`. Undecodable matches are kept.
fn expand_escapes(s: &str) -> Zeroizing<String> {
    let bytes = s.as_bytes();
    let mut out = Zeroizing::new(String::with_capacity(s.len()));
    let mut literal = 0;
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let simple = match bytes[i + 1] {
            b'a' => Some("\u{7}"),
            b'b' => Some("\u{8}"),
            b'f' => Some("\u{C}"),
            b'n' => Some("\n"),
            b'r' => Some("\r"),
            b't' => Some("\t"),
            b'v' => Some("\u{B}"),
            b'\\' => Some("\\"),
            b'"' => Some("\""),
            b'$' => Some("$$"),
            b'c' => Some("\\c"),
            b'0' => None,
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&s[literal..i]);
        if let Some(r) = simple {
            out.push_str(r);
            i += 2;
        } else {
            let digits = bytes[i + 2..]
                .iter()
                .take(3)
                .take_while(|b| b.is_ascii_digit())
                .count();
            let ds = &bytes[i + 2..i + 2 + digits];
            if let Some(c) = octal(ds) {
                out.push(c);
            } else {
                out.push('\\');
                out.push_str(&s[i + 2..i + 2 + digits]);
            }
            i += 2 + digits;
        }
        literal = i;
    }
    out.push_str(&s[literal..]);
    out
}

/// Go's `UnquoteChar` on `\ddd`: exactly three octal digits, value at most 255.
fn octal(digits: &[u8]) -> Option<char> {
    if digits.len() != 3 || digits.iter().any(|d| !(b'0'..=b'7').contains(d)) {
        return None;
    }
    let v = digits
        .iter()
        .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
    if v > 255 { None } else { char::from_u32(v) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_go() {
        assert_eq!(&*expand_escapes(r"\0"), "\\");
        assert_eq!(&*expand_escapes(r"\01"), r"\1");
        assert_eq!(&*expand_escapes(r"\0777"), r"\777");
        assert_eq!(&*expand_escapes(r"\0101x"), "Ax");
        assert_eq!(&*expand_escapes(r"\c\q\$"), "\\c\\q$$");
        assert_eq!(&*expand_escapes("\\"), "\\");
    }

    #[test]
    fn quoted_extraction() {
        let (v, rest) = extract_quoted(r#""a\"b\\c\n" tail"#, 0, b'"').unwrap();
        assert_eq!(&*v, r#"a"b\\c\n"#);
        assert_eq!(rest, 11);
        assert!(extract_quoted(r#""abc\""#, 0, b'"').is_none());
    }
}
