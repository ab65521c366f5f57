//! Byte-level helpers shared by both format parsers.
//!
//! Everything works on `&[u8]` and only ever splits at ASCII bytes, so slicing
//! can never land inside a UTF-8 sequence and no helper can panic.

use super::ParseError;

/// At most this many characters of input are echoed in an error, so a hostile
/// endpoint cannot push megabytes (or secrets) into the console's error line.
const SNIPPET_CHARS: usize = 40;

/// Renders untrusted input for an error message, cut to [`SNIPPET_CHARS`].
pub(super) fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut cut: String = text.chars().take(SNIPPET_CHARS).collect();
    let truncated = text.chars().nth(SNIPPET_CHARS).is_some();
    cut = format!("{cut:?}");
    if truncated {
        cut.push('…');
    }
    cut
}

pub(super) fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// Splits input into lines, remembering whether each one ended with `\n`,
/// because the text format treats an unterminated last line as truncation.
pub(super) struct Lines<'a> {
    rest: Option<&'a [u8]>,
    number: usize,
}

impl<'a> Lines<'a> {
    pub(super) fn new(input: &'a [u8]) -> Self {
        Lines {
            rest: Some(input),
            number: 0,
        }
    }
}

pub(super) struct Line<'a> {
    pub number: usize,
    pub bytes: &'a [u8],
    pub terminated: bool,
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        let rest = self.rest?;
        self.number += 1;
        if let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let (bytes, tail) = rest.split_at(pos);
            self.rest = tail.get(1..).filter(|t| !t.is_empty());
            return Some(Line {
                number: self.number,
                bytes,
                terminated: true,
            });
        }
        self.rest = None;
        if rest.is_empty() {
            return None;
        }
        Some(Line {
            number: self.number,
            bytes: rest,
            terminated: false,
        })
    }
}

pub(super) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub(super) fn bump(&mut self) {
        if self.pos < self.bytes.len() {
            self.pos += 1;
        }
    }

    pub(super) fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn eat_str(&mut self, prefix: &[u8]) -> bool {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            true
        } else {
            false
        }
    }

    pub(super) fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or(&[])
    }

    /// Skips spaces and tabs; returns how many were skipped.
    pub(super) fn skip_blanks(&mut self) -> usize {
        self.take_while(is_blank).len()
    }

    pub(super) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let rest = self.rest();
        let len = rest.iter().position(|&b| !pred(b)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }
}

pub(super) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_label_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_label_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_metric_start(b: u8) -> bool {
    is_label_start(b) || b == b':'
}

fn is_metric_char(b: u8) -> bool {
    is_label_char(b) || b == b':'
}

/// Reads a classic (unquoted) metric name; empty when the first byte cannot start one.
pub(super) fn metric_name<'a>(c: &mut Cursor<'a>) -> &'a [u8] {
    if c.peek().is_some_and(is_metric_start) {
        c.take_while(is_metric_char)
    } else {
        &[]
    }
}

/// Reads a classic (unquoted) label name; empty when the first byte cannot start one.
pub(super) fn label_name<'a>(c: &mut Cursor<'a>) -> &'a [u8] {
    if c.peek().is_some_and(is_label_start) {
        c.take_while(is_label_char)
    } else {
        &[]
    }
}

pub(super) fn is_metric_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && is_metric_start(b[0]) && b.iter().all(|&c| is_metric_char(c))
}

/// Why a quoted string could not be read.
pub(super) enum QuoteError {
    Unterminated,
    BadEscape(u8),
}

/// How backslashes inside quotes are treated: the text format rejects
/// unknown escapes, `OpenMetrics` keeps them verbatim (its suite requires `\z`
/// to survive as-is).
#[derive(Clone, Copy)]
pub(super) enum Escapes {
    Strict,
    Verbatim,
}

/// Reads `"…"` with the cursor on the opening quote and returns the decoded bytes.
pub(super) fn quoted(c: &mut Cursor<'_>, escapes: Escapes) -> Result<Vec<u8>, QuoteError> {
    c.bump();
    let mut out = Vec::new();
    loop {
        let Some(b) = c.peek() else {
            return Err(QuoteError::Unterminated);
        };
        c.bump();
        match b {
            b'"' => return Ok(out),
            b'\\' => {
                let Some(e) = c.peek() else {
                    return Err(QuoteError::Unterminated);
                };
                c.bump();
                match (e, escapes) {
                    (b'\\' | b'"', _) => out.push(e),
                    (b'n', _) => out.push(b'\n'),
                    (_, Escapes::Verbatim) => out.extend_from_slice(&[b'\\', e]),
                    (_, Escapes::Strict) => return Err(QuoteError::BadEscape(e)),
                }
            }
            _ => out.push(b),
        }
    }
}

/// Parses a float the way both reference parsers do for plain decimals,
/// `NaN` and `±Inf`. Rust's grammar already rejects hex, octal, binary and
/// `_` separators, which both formats forbid.
pub(super) fn float(token: &[u8]) -> Option<f64> {
    if token.is_empty() || !token.is_ascii() {
        return None;
    }
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// True for the spellings that legitimately denote infinity, so a finite
/// literal that overflowed can be told apart from a written `+Inf`.
pub(super) fn is_infinity_word(token: &[u8]) -> bool {
    let t = token
        .strip_prefix(b"+")
        .or_else(|| token.strip_prefix(b"-"));
    let t = t.unwrap_or(token);
    t.eq_ignore_ascii_case(b"inf") || t.eq_ignore_ascii_case(b"infinity")
}

/// Finds a repeated label name in O(k log k), because a 64 KiB line can
/// carry thousands of labels and a pairwise scan would be quadratic.
pub(super) fn duplicate_label(labels: &[(String, String)]) -> Option<&str> {
    let mut names: Vec<&str> = labels.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}
