//! Names and label sets in the text-format spelling, which tolerates blanks
//! and a trailing comma and allows quoted UTF-8 names (Prometheus 3).
//!
//! Shared by the text parser and [`super::Selector`], so a selector accepts
//! exactly what a scrape line can contain.

use super::lex::{self, Cursor, Escapes, QuoteError};

/// Reads a quoted or classic name; `Ok(None)` when nothing name-like starts here.
pub(super) fn name_token(c: &mut Cursor<'_>, metric: bool) -> Result<Option<String>, String> {
    if c.peek() == Some(b'"') {
        let what = if metric { "metric" } else { "label" };
        let bytes = lex::quoted(c, Escapes::Strict).map_err(|e| match e {
            QuoteError::Unterminated => format!("{what} name is not terminated before end of line"),
            QuoteError::BadEscape(b) => {
                format!(
                    "invalid escape sequence {} in {what} name",
                    lex::snippet(&[b'\\', b])
                )
            }
        })?;
        let name =
            String::from_utf8(bytes).map_err(|_| format!("{what} name is not valid UTF-8"))?;
        if name.is_empty() {
            return Err(format!("empty quoted {what} name"));
        }
        return Ok(Some(name));
    }
    let raw = if metric {
        lex::metric_name(c)
    } else {
        lex::label_name(c)
    };
    // Classic names are ASCII by construction.
    Ok((!raw.is_empty()).then(|| String::from_utf8_lossy(raw).into_owned()))
}

/// Parses `{…}` with the cursor on `{`.
///
/// When `braces_first` is set (the line began with `{`), one label-less name
/// inside the braces is the metric name and is stored into `name`.
pub(super) fn braces(
    c: &mut Cursor<'_>,
    name: &mut Option<String>,
    braces_first: bool,
) -> Result<Vec<(String, String)>, String> {
    c.bump();
    let mut labels: Vec<(String, String)> = Vec::new();
    loop {
        c.skip_blanks();
        if c.eat(b'}') {
            return match lex::duplicate_label(&labels) {
                Some(dup) => Err(format!(
                    "duplicate label name {}",
                    lex::snippet(dup.as_bytes())
                )),
                None => Ok(labels),
            };
        }
        let Some(label) = name_token(c, false)? else {
            return Err(format!("invalid label name at {}", lex::snippet(c.rest())));
        };
        c.skip_blanks();
        if c.eat(b'=') {
            c.skip_blanks();
            if c.peek() != Some(b'"') {
                return Err(format!(
                    "expected '\"' at start of label value, found {}",
                    lex::snippet(c.rest())
                ));
            }
            let value = label_value(c)?;
            if label == "__name__" {
                return Err("label name \"__name__\" is reserved".into());
            }
            labels.push((label, value));
        } else if braces_first && matches!(c.peek(), Some(b',' | b'}')) {
            if name.is_some() {
                return Err("multiple metric names inside braces".into());
            }
            *name = Some(label);
        } else {
            return Err(format!(
                "expected '=' after label name, found {}",
                lex::snippet(c.rest())
            ));
        }
        c.skip_blanks();
        match c.peek() {
            Some(b',') => c.bump(),
            Some(b'}') => {}
            _ => {
                return Err(format!(
                    "expected ',' or '}}' after label, found {}",
                    lex::snippet(c.rest())
                ));
            }
        }
    }
}

fn label_value(c: &mut Cursor<'_>) -> Result<String, String> {
    let bytes = lex::quoted(c, Escapes::Strict).map_err(|e| match e {
        QuoteError::Unterminated => {
            "label value contains unescaped new-line or is not terminated".to_string()
        }
        QuoteError::BadEscape(b) => format!(
            "invalid escape sequence {} in label value",
            lex::snippet(&[b'\\', b])
        ),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "invalid UTF-8 in label value {}",
            lex::snippet(e.as_bytes())
        )
    })
}
