//! docker compose `${VAR}` interpolation, following compose-go's `template` package.
//!
//! Compose resolves these references in compose files and in `.env`/`env_file` values, so the
//! value a container finally sees depends on them. We re-implement the rules (instead of a
//! shell-like approximation) so that secretops predicts exactly what compose would produce,
//! including its odd corners: the first operator after the name wins, a default runs to the
//! matching `}` on the same line, and a `$` that starts no reference stays literal.

use std::fmt;

use zeroize::Zeroizing;

/// Deepest nesting of `${A:-${B:-…}}` we follow. Compose has no limit (it recurses), but an
/// attacker-controlled file could then exhaust the stack; 64 levels is far beyond real use.
pub const MAX_NESTING: usize = 64;

/// Why a template could not be substituted.
///
/// Messages deliberately never quote the template: templates are env values and may hold a
/// secret. The one exception is the author's own text after `:?`/`?`, which compose prints
/// too and which exists precisely to be shown (note it is itself interpolated, so a template
/// like `${A:?${SECRET}}` would surface `SECRET`'s value, exactly as compose does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolateError {
    /// `${VAR:?msg}` / `${VAR?msg}` unmet.
    Required {
        /// The variable that had to be set.
        var: String,
        /// The (interpolated) message written after the operator; may be empty.
        message: String,
    },
    /// A malformed `${...` reference.
    Invalid {
        /// 1-based byte offset of the `$` starting the bad reference, within the template.
        column: usize,
        /// What is wrong, without any template text.
        reason: String,
    },
}

impl fmt::Display for InterpolateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Required { var, message } if message.is_empty() => {
                write!(f, "required variable {var} is missing a value")
            }
            Self::Required { var, message } => {
                write!(f, "required variable {var} is missing a value: {message}")
            }
            Self::Invalid { column, reason } => {
                write!(f, "Invalid template at byte column {column}: {reason}")
            }
        }
    }
}

impl std::error::Error for InterpolateError {}

/// Substitutes every `$VAR` / `${VAR…}` reference in `template`.
///
/// `lookup` returns `None` for an unset variable and `Some("")` for a set-but-empty one; the
/// difference matters for `-`/`+`/`?` versus `:-`/`:+`/`:?`. An unset variable without a
/// default becomes the empty string (compose only warns).
///
/// # Errors
/// [`InterpolateError::Required`] for an unmet `:?`/`?`, [`InterpolateError::Invalid`] for a
/// malformed `${…` or nesting deeper than [`MAX_NESTING`].
pub fn interpolate(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpolateError> {
    let ctx = Ctx {
        src: template,
        lookup,
    };
    let mut out = Zeroizing::new(String::with_capacity(template.len()));
    ctx.substitute(0, template.len(), 0, &mut out)?;
    Ok(std::mem::take(&mut *out))
}

struct Ctx<'a> {
    src: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

/// The six operators compose-go understands after a braced name.
#[derive(Clone, Copy)]
enum Op {
    DefaultIfEmptyOrUnset,
    DefaultIfUnset,
    AltIfNonEmpty,
    AltIfSet,
    RequiredNonEmpty,
    RequiredSet,
}

/// Go's `(?i)[_a-z]` also matches U+017F (long s) and U+212A (Kelvin sign) by case folding.
fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic() || c == '\u{17F}' || c == '\u{212A}'
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit()
}

fn invalid(column_index: usize, reason: &str) -> InterpolateError {
    InterpolateError::Invalid {
        column: column_index + 1,
        reason: reason.to_owned(),
    }
}

/// End (exclusive) of the name starting at `start`, or `start` when there is none.
fn name_end(s: &str, start: usize, end: usize) -> usize {
    let mut chars = s[start..end].char_indices();
    match chars.next() {
        Some((_, c)) if is_name_start(c) => {}
        _ => return start,
    }
    for (i, c) in chars {
        if !is_name_char(c) {
            return start + i;
        }
    }
    end
}

impl Ctx<'_> {
    fn lookup(&self, name: &str) -> Option<Zeroizing<String>> {
        (self.lookup)(name).map(Zeroizing::new)
    }

    /// Substitutes `src[start..end]` into `out`. `depth` counts nested defaults.
    fn substitute(
        &self,
        start: usize,
        end: usize,
        depth: usize,
        out: &mut Zeroizing<String>,
    ) -> Result<(), InterpolateError> {
        if depth > MAX_NESTING {
            return Err(invalid(start, "references nested too deeply"));
        }
        let bytes = self.src.as_bytes();
        // Cache of (line end, last `}` on that line) so a long line with many references
        // stays linear.
        let mut line_cache: Option<(usize, Option<usize>)> = None;
        let mut i = start;
        let mut literal_from = start;
        while i < end {
            if bytes[i] != b'$' {
                i += 1;
                continue;
            }
            out.push_str(&self.src[literal_from..i]);
            let dollar = i;
            match bytes.get(i + 1).filter(|_| i + 1 < end) {
                Some(b'$') => {
                    out.push('$');
                    i += 2;
                }
                Some(b'{') => {
                    let last_close = match line_cache {
                        Some((line_end, last_close)) if i < line_end => last_close,
                        _ => {
                            let le = self.src[i..end].find('\n').map_or(end, |p| i + p);
                            let lc = self.src[i..le].rfind('}').map(|p| i + p);
                            line_cache = Some((le, lc));
                            lc
                        }
                    };
                    i = self.braced(dollar, end, last_close, depth, out)?;
                }
                Some(_) => {
                    let ne = name_end(self.src, i + 1, end);
                    if ne == i + 1 {
                        out.push('$');
                        i += 1;
                    } else {
                        if let Some(v) = self.lookup(&self.src[i + 1..ne]) {
                            out.push_str(&v);
                        }
                        i = ne;
                    }
                }
                None => {
                    out.push('$');
                    i += 1;
                }
            }
            literal_from = i;
        }
        out.push_str(&self.src[literal_from..end]);
        Ok(())
    }

    /// Handles `${…` at `dollar`; returns the index to continue scanning from.
    fn braced(
        &self,
        dollar: usize,
        end: usize,
        last_close: Option<usize>,
        depth: usize,
        out: &mut Zeroizing<String>,
    ) -> Result<usize, InterpolateError> {
        let bytes = self.src.as_bytes();
        let name_start = dollar + 2;
        let ne = name_end(self.src, name_start, end);
        if ne == name_start {
            return Err(invalid(dollar, "expected a variable name after `${`"));
        }
        let name = &self.src[name_start..ne];
        let at = |k: usize| if k < end { bytes.get(k).copied() } else { None };
        let (op, op_len) = match (at(ne), at(ne + 1)) {
            (Some(b'}'), _) => {
                if let Some(v) = self.lookup(name) {
                    out.push_str(&v);
                }
                return Ok(ne + 1);
            }
            (Some(b':'), Some(b'-')) => (Op::DefaultIfEmptyOrUnset, 2),
            (Some(b':'), Some(b'+')) => (Op::AltIfNonEmpty, 2),
            (Some(b':'), Some(b'?')) => (Op::RequiredNonEmpty, 2),
            (Some(b'-'), _) => (Op::DefaultIfUnset, 1),
            (Some(b'+'), _) => (Op::AltIfSet, 1),
            (Some(b'?'), _) => (Op::RequiredSet, 1),
            _ => {
                return Err(invalid(
                    dollar,
                    "expected `}` or an operator (:- - :+ + :? ?) after the variable name",
                ));
            }
        };
        let arg_start = ne + op_len;
        let Some(last) = last_close.filter(|&c| c >= arg_start) else {
            return Err(invalid(dollar, "missing closing `}` on the same line"));
        };
        let close = first_brace_closing(bytes, dollar, last).unwrap_or(last);
        let value = self.lookup(name);
        let set = value.is_some();
        let non_empty = value.as_ref().is_some_and(|v| !v.is_empty());
        let use_arg = match op {
            Op::DefaultIfEmptyOrUnset => !non_empty,
            Op::DefaultIfUnset => !set,
            Op::AltIfNonEmpty => non_empty,
            Op::AltIfSet => set,
            Op::RequiredNonEmpty => {
                if !non_empty {
                    return Err(self.required(name, arg_start, close, depth));
                }
                false
            }
            Op::RequiredSet => {
                if !set {
                    return Err(self.required(name, arg_start, close, depth));
                }
                false
            }
        };
        if use_arg {
            self.substitute(arg_start, close, depth + 1, out)?;
        } else if let Some(v) = value {
            out.push_str(&v);
        }
        Ok(close + 1)
    }

    fn required(&self, name: &str, start: usize, end: usize, depth: usize) -> InterpolateError {
        let mut message = Zeroizing::new(String::new());
        match self.substitute(start, end, depth + 1, &mut message) {
            Ok(()) => InterpolateError::Required {
                var: name.to_owned(),
                message: std::mem::take(&mut *message),
            },
            Err(e) => e,
        }
    }
}

/// compose-go's `getFirstBraceClosingIndex`, quirk included: after a `{` the next byte is
/// skipped, so `{}` inside a default does not count as a close.
fn first_brace_closing(bytes: &[u8], from: usize, last: usize) -> Option<usize> {
    let mut open: i64 = 0;
    let mut i = from;
    while i <= last {
        match bytes[i] {
            b'}' => {
                open -= 1;
                if open == 0 {
                    return Some(i);
                }
            }
            b'{' => {
                open += 1;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn required_message_text() {
        let e = interpolate("${X:?must be set}", &env(&[])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "required variable X is missing a value: must be set"
        );
        let e = interpolate("${X?}", &env(&[])).unwrap_err();
        assert_eq!(e.to_string(), "required variable X is missing a value");
        let e = interpolate("${X:?}", &env(&[("X", "")])).unwrap_err();
        assert_eq!(
            e,
            InterpolateError::Required {
                var: "X".into(),
                message: String::new()
            }
        );
    }

    #[test]
    fn invalid_never_echoes_template() {
        let e = interpolate("hunter2 ${ hunter2}", &env(&[])).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("Invalid template"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        assert_eq!(e, invalid(8, &reason_of(&e)));
    }

    fn reason_of(e: &InterpolateError) -> String {
        match e {
            InterpolateError::Invalid { reason, .. } => reason.clone(),
            InterpolateError::Required { .. } => String::new(),
        }
    }

    #[test]
    fn default_must_close_on_same_line() {
        assert!(interpolate("${A:-x\n}", &env(&[])).is_err());
        assert_eq!(interpolate("${A:-x}\n}", &env(&[])).unwrap(), "x\n}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let t = format!("{}x{}", "${A:-".repeat(10_000), "}".repeat(10_000));
        assert!(matches!(
            interpolate(&t, &env(&[])),
            Err(InterpolateError::Invalid { .. })
        ));
        let ok = format!(
            "{}x{}",
            "${A:-".repeat(MAX_NESTING),
            "}".repeat(MAX_NESTING)
        );
        assert_eq!(interpolate(&ok, &env(&[])).unwrap(), "x");
    }
}
