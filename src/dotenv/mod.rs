//! `.env` parsing in the two dialects secretops has to predict.
//!
//! The same file means different things to `docker compose` (compose-go's `dotenv` package) and
//! to a Python service loading it with python-dotenv: separators, quoting, escapes, comment rules
//! and interpolation order all differ. A shared secret can only be tracked reliably if each
//! file is read the way its consumer reads it, so each dialect re-implements its upstream
//! grammar instead of a common approximation.
//!
//! Security: values are secrets. They are returned as [`SecretString`], intermediate buffers
//! live in [`Zeroizing`] strings, and no error, `Debug` output or panic message contains value
//! text: errors name the line, column, what is wrong and at most the key.

mod compose;
mod python;

use std::fmt;
use std::ops::Range;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

pub use python::parse_python_bindings;

/// Which program's reading of a `.env` file to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `docker compose` (`env_file:`, `--env-file`, the project `.env`), i.e. compose-go's
    /// `dotenv/parser.go`.
    Compose,
    /// python-dotenv's `dotenv_values(path)` with `interpolate=True`.
    PythonDotenv,
}

/// One statement of a `.env` file that names a key.
///
/// `Debug` is safe to log: the value is a [`SecretString`], whose `Debug` is redacted.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// The variable name, exactly as the dialect reads it (may be empty in both dialects).
    pub key: String,
    /// The final value: unquoted, unescaped and interpolated.
    ///
    /// `None` marks a bare `KEY` line. Its meaning differs by dialect, mirroring upstream:
    /// - Compose: the key is inherited from the lookup (OS / project environment) and the
    ///   lookup did not have it, so compose leaves the variable **absent** (not empty). This
    ///   statement assigns nothing: an earlier assignment of the same key in this file stays in
    ///   effect. When the lookup has the key, `value` is `Some(lookup value)` and `inherited`
    ///   is true.
    /// - `PythonDotenv`: `dotenv_values` maps the key to `None` (and `load_dotenv` skips it).
    ///   It does override an earlier value of the same key.
    pub value: Option<SecretString>,
    /// 1-based line where the statement (its key) starts.
    pub line: usize,
    /// True when the value came from the lookup rather than from the file (compose bare keys).
    /// Callers tracking where a secret lives need this: the file does not contain it.
    pub inherited: bool,
}

/// A file compose would refuse to load. Only the compose dialect produces these; python-dotenv
/// skips bad lines instead (see [`parse_python_bindings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the offending statement.
    pub line: usize,
    /// 1-based column (in characters) of the offending character or quote. For interpolation
    /// errors inside a double-quoted value it is approximate, because escapes were expanded
    /// before interpolation, as compose does.
    pub column: usize,
    /// What is wrong, never including value text.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // "line N: message" first, matching compose's wording so users can search for it.
        write!(
            f,
            "line {}: {} (column {})",
            self.line, self.message, self.column
        )
    }
}

impl std::error::Error for ParseError {}

/// One statement as python-dotenv's `parse_stream` yields it, including comments, blank runs
/// and lines it could not parse. Callers use it to warn about lines python-dotenv silently
/// skips (a common reason a Python service does not see a secret).
#[derive(Debug, Clone)]
pub struct Binding {
    /// `None` for comments, blank runs and errors.
    pub key: Option<String>,
    /// The value after unquoting and unescaping, **before** interpolation (as `parse_stream`
    /// returns it). `None` for a bare key, a comment, a blank run or an error.
    pub value: Option<SecretString>,
    /// True when the statement could not be parsed and python-dotenv skipped it.
    pub error: bool,
    /// python-dotenv's `Original.line`: the 1-based line where the consumed text begins
    /// (this includes leading blank lines, so it can precede `statement_line`).
    pub line: usize,
    /// 1-based line of the first non-whitespace character of the statement (of the key), the
    /// line to show in a diagnostic.
    pub statement_line: usize,
    /// Byte range of the consumed text in the input (`Original.string`). A range rather than a
    /// copy so the secret text is not duplicated; slice the input to see it.
    pub span: Range<usize>,
}

/// Parses a whole file.
///
/// Returns every assignment in file order, duplicates included, so callers can see that a
/// variable is assigned twice (the last one wins in both dialects). `lookup` is the OS/project
/// environment: compose consults it **before** keys defined earlier in the file and uses it for
/// bare keys; python-dotenv's `dotenv_values` consults it **after** them.
///
/// Dialect notes: a UTF-8 BOM at the start is stripped in both (compose-go does; python-dotenv
/// does since its BOM fix, which the peer cases include). For `PythonDotenv`, `\r\n` and `\r`
/// are first turned into `\n`, as Python's `open()` does when `dotenv_values(path)` reads the
/// file; [`parse_python_bindings`] works on the text as given, like `parse_stream` on a stream.
///
/// # Errors
/// Compose only: the first statement compose would reject (bad key character, space in a
/// key, unterminated quote, bad `${…}`, unmet `${VAR:?…}`). python-dotenv never fails; its
/// skipped lines are reported by [`parse_python_bindings`].
pub fn parse(
    text: &str,
    dialect: Dialect,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Assignment>, ParseError> {
    parse_after(text, dialect, lookup, &[])
}

/// Parses a file that is read after others into one map, where the variables those earlier
/// files defined (`earlier`, last one wins) are visible to interpolation.
///
/// This is compose-go's `GetEnvFromFile` (several `--env-file`s): while parsing, a reference
/// looks in `lookup` first, then in keys defined so far in this file and the earlier ones (this
/// file's own definitions shadow the earlier files'). For `PythonDotenv` the order is this
/// file, then `earlier`, then `lookup`, as if the files were concatenated.
///
/// # Errors
/// As [`parse`].
pub fn parse_after(
    text: &str,
    dialect: Dialect,
    lookup: &dyn Fn(&str) -> Option<String>,
    earlier: &[Assignment],
) -> Result<Vec<Assignment>, ParseError> {
    let text = strip_bom(text);
    let earlier_lookup = |key: &str| -> Option<String> {
        earlier
            .iter()
            .rev()
            .find(|a| a.key == key)
            .and_then(|a| a.value.as_ref().map(|v| v.expose_secret().to_owned()))
    };
    match dialect {
        Dialect::Compose => compose::parse(text, lookup, &earlier_lookup),
        Dialect::PythonDotenv => {
            let normalized = normalize_newlines(text);
            Ok(python::values(&normalized, lookup, &earlier_lookup))
        }
    }
}

pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

/// Python's universal-newlines translation.
fn normalize_newlines(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// Copies a buffer into a secret without leaving an unzeroized reallocation behind.
pub(crate) fn secret(value: &str) -> SecretString {
    SecretString::from(value)
}

/// 1-based character column of byte offset `pos` within its line.
pub(crate) fn column_of(text: &str, pos: usize) -> usize {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let line_start = text[..pos].rfind('\n').map_or(0, |p| p + 1);
    text[line_start..pos].chars().count() + 1
}
