//! `OpenMetrics` 1.0 line syntax. The grammar is strict (single spaces, no
//! trailing comma, mandatory `# EOF`); family-level rules live in
//! [`super::om_family`].

use super::lex::{self, Cursor, Escapes, Lines, QuoteError};
use super::om_family::{Families, Meta, MetaKind, Parsed};
use super::{MAX_LINE_BYTES, ParseError, Sample};

/// The spec caps exemplar label sets at 128 code points (names plus values).
const MAX_EXEMPLAR_CHARS: usize = 128;

pub(super) fn parse(input: &[u8]) -> Result<Vec<Sample>, ParseError> {
    if let Err(e) = std::str::from_utf8(input) {
        let prefix = input.get(..e.valid_up_to()).unwrap_or_default();
        let line = prefix.split(|&b| b == b'\n').count();
        return Err(lex::err(line, "OpenMetrics input must be valid UTF-8"));
    }
    let mut families = Families::default();
    let mut out = Vec::new();
    let mut eof = false;
    let mut last = 1;
    for line in Lines::new(input) {
        let (no, bytes) = (line.number, line.bytes);
        last = no;
        if bytes.len() > MAX_LINE_BYTES {
            return Err(super::line_too_long(no));
        }
        if eof {
            return Err(lex::err(no, "text after `# EOF`"));
        }
        if bytes.is_empty() {
            return Err(lex::err(no, "blank lines are not allowed in OpenMetrics"));
        }
        if bytes.ends_with(b"\r") {
            return Err(lex::err(
                no,
                "CR line endings are not allowed in OpenMetrics",
            ));
        }
        if bytes == b"# EOF" {
            eof = true;
        } else if bytes[0] == b'#' {
            families.metadata(no, &metadata(no, bytes)?, &out)?;
        } else {
            families.sample(no, sample(no, bytes)?, &mut out)?;
        }
    }
    families.finish(&out)?;
    if !eof {
        return Err(lex::err(
            last,
            "missing `# EOF` at end of OpenMetrics input",
        ));
    }
    Ok(out)
}

/// `# HELP|TYPE|UNIT name text`, split on single spaces like the reference
/// parser; free-form comments do not exist in `OpenMetrics`.
fn metadata(no: usize, line: &[u8]) -> Result<Meta, ParseError> {
    let Some(rest) = line.strip_prefix(b"# ") else {
        return Err(lex::err(
            no,
            format!("invalid comment line {}", lex::snippet(line)),
        ));
    };
    let mut parts = rest.splitn(3, |&b| b == b' ');
    let (Some(keyword), Some(name), Some(text)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(lex::err(
            no,
            format!("incomplete metadata line {}", lex::snippet(line)),
        ));
    };
    let kind = match keyword {
        b"HELP" => MetaKind::Help,
        b"TYPE" => MetaKind::Type,
        b"UNIT" => MetaKind::Unit,
        _ => {
            return Err(lex::err(
                no,
                format!(
                    "unknown metadata keyword {} (comments are not allowed)",
                    lex::snippet(keyword)
                ),
            ));
        }
    };
    let name = utf8(name);
    if !lex::is_metric_name(&name) {
        return Err(lex::err(
            no,
            format!("invalid metric name {}", lex::snippet(name.as_bytes())),
        ));
    }
    Ok(Meta {
        kind,
        name,
        text: utf8(text),
    })
}

/// `name[{labels}] value [timestamp] [# {labels} value [timestamp]]`
fn sample(no: usize, line: &[u8]) -> Result<Parsed, ParseError> {
    let fail = |m: String| lex::err(no, m);
    let mut c = Cursor::new(line);
    let name = lex::metric_name(&mut c);
    if name.is_empty() {
        return Err(fail(format!(
            "invalid metric name at {}",
            lex::snippet(line)
        )));
    }
    let labels = if c.peek() == Some(b'{') {
        labels(&mut c).map_err(fail)?
    } else {
        Vec::new()
    };
    if !c.eat(b' ') {
        return Err(fail(format!(
            "expected a single space before the value at {}",
            lex::snippet(c.rest())
        )));
    }
    let token = c.take_while(|b| b != b' ');
    let value =
        lex::float(token).ok_or_else(|| fail(format!("invalid value {}", lex::snippet(token))))?;
    let mut timestamp = None;
    let mut exemplar = false;
    if c.eat(b' ') {
        if c.peek() != Some(b'#') {
            timestamp = Some(self::timestamp(c.take_while(|b| b != b' ')).map_err(fail)?);
        }
        if c.peek() == Some(b'#') || c.eat(b' ') {
            self::exemplar(&mut c).map_err(fail)?;
            exemplar = true;
        }
    }
    if !c.at_end() {
        return Err(fail(format!(
            "unexpected text after sample: {}",
            lex::snippet(c.rest())
        )));
    }
    Ok(Parsed {
        name: utf8(name),
        labels,
        value,
        timestamp,
        exemplar,
    })
}

fn exemplar(c: &mut Cursor<'_>) -> Result<(), String> {
    if !c.eat_str(b"# ") || c.peek() != Some(b'{') {
        return Err(format!("malformed exemplar at {}", lex::snippet(c.rest())));
    }
    let labels = labels(c)?;
    let chars: usize = labels
        .iter()
        .map(|(k, v)| k.chars().count() + v.chars().count())
        .sum();
    if chars > MAX_EXEMPLAR_CHARS {
        return Err(format!(
            "exemplar labels exceed {MAX_EXEMPLAR_CHARS} characters"
        ));
    }
    if !c.eat(b' ') {
        return Err(format!(
            "expected a space before the exemplar value at {}",
            lex::snippet(c.rest())
        ));
    }
    let token = c.take_while(|b| b != b' ');
    lex::float(token).ok_or_else(|| format!("invalid exemplar value {}", lex::snippet(token)))?;
    if c.eat(b' ') {
        timestamp(c.take_while(|b| b != b' '))?;
    }
    Ok(())
}

/// Seconds since the epoch, any finite float spelling.
fn timestamp(token: &[u8]) -> Result<f64, String> {
    lex::float(token)
        .filter(|t| t.is_finite())
        .ok_or_else(|| format!("invalid timestamp {}", lex::snippet(token)))
}

/// `{name="value",…}` with no blanks and no trailing comma; unknown escapes
/// are kept verbatim as the reference parser does.
fn labels(c: &mut Cursor<'_>) -> Result<Vec<(String, String)>, String> {
    c.bump();
    let mut out: Vec<(String, String)> = Vec::new();
    if c.eat(b'}') {
        return Ok(out);
    }
    loop {
        let name = lex::label_name(c);
        if name.is_empty() {
            return Err(format!("invalid label name at {}", lex::snippet(c.rest())));
        }
        if !c.eat(b'=') || c.peek() != Some(b'"') {
            return Err(format!(
                "expected =\"value\" after label name at {}",
                lex::snippet(c.rest())
            ));
        }
        let value = lex::quoted(c, Escapes::Verbatim).map_err(|e| match e {
            QuoteError::Unterminated | QuoteError::BadEscape(_) => {
                "unterminated label value".to_string()
            }
        })?;
        let name = utf8(name);
        if name == "__name__" {
            return Err("label name \"__name__\" is reserved".into());
        }
        out.push((name, utf8(&value)));
        match c.peek() {
            Some(b',') => c.bump(),
            Some(b'}') => {
                c.bump();
                if let Some(dup) = lex::duplicate_label(&out) {
                    return Err(format!(
                        "duplicate label name {}",
                        lex::snippet(dup.as_bytes())
                    ));
                }
                return Ok(out);
            }
            _ => {
                return Err(format!(
                    "expected ',' or '}}' after label at {}",
                    lex::snippet(c.rest())
                ));
            }
        }
    }
}

/// The whole input was validated as UTF-8 and every slice here is cut at
/// ASCII delimiters, so this never actually loses data.
fn utf8(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
