//! python-dotenv's `parser.py` (`parse_stream`) and the interpolation of `dotenv_values`.
//!
//! Upstream is a set of regular expressions applied with Python's backtracking engine; each is
//! re-expressed here as a scan that accepts exactly the same text. Notable consequences kept:
//! - a quoted value with no unescaped closing quote still matches if it contains an escaped
//!   quote (`'a\'` is the value `a\`), because the regex backtracks to the last `\'`;
//! - lines that fail to parse are skipped, never fatal;
//! - only `${NAME}` and `${NAME:-default}` are expanded (also inside single quotes), the
//!   default is literal, and `:-` applies only when the name is *absent* (not when empty).

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::{Assignment, Binding, secret, strip_bom};

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Python's `str.isspace` / regex `\s`: Unicode `White_Space` plus U+001C..U+001F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// Regex `[^\S\r\n]`: whitespace other than a line break.
fn h_space(c: char) -> bool {
    py_space(c) && c != '\r' && c != '\n'
}

/// A binding with its value still in a zeroizing buffer.
pub(super) struct RawBinding {
    key: Option<String>,
    value: Option<Zeroizing<String>>,
    error: bool,
    line: usize,
    statement_line: usize,
    start: usize,
    end: usize,
}

/// Marker for "this regex did not match"; the binding becomes an error binding.
struct NoMatch;

/// Memoised forward search, so that many failing statements do not each rescan the rest of
/// the file (python-dotenv is quadratic there; we must not be).
struct NextFinder {
    from: usize,
    found: Option<usize>,
}

impl NextFinder {
    fn new() -> Self {
        Self {
            from: usize::MAX,
            found: None,
        }
    }

    fn next(&mut self, at: usize, search: impl Fn(usize) -> Option<usize>) -> Option<usize> {
        let reusable = self.from <= at && self.found.is_none_or(|f| f >= at);
        if !reusable {
            self.from = at;
            self.found = search(at);
        }
        self.found
    }
}

struct Reader<'a> {
    s: &'a str,
    pos: usize,
    line: usize,
    unescaped: [NextFinder; 2],
    last_escaped: [Option<usize>; 2],
    key_quote: NextFinder,
}

fn quote_index(q: u8) -> usize {
    usize::from(q == b'"')
}

impl<'a> Reader<'a> {
    fn new(s: &'a str) -> Self {
        let last_escaped = |q: char| {
            let pair: String = ['\\', q].iter().collect();
            s.rfind(&pair).map(|p| p + 1)
        };
        Self {
            s,
            pos: 0,
            line: 1,
            unescaped: [NextFinder::new(), NextFinder::new()],
            last_escaped: [last_escaped('\''), last_escaped('"')],
            key_quote: NextFinder::new(),
        }
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// `Position.advance`: counts `\r\n|\n|\r` in the consumed text.
    fn advance_to(&mut self, new: usize) {
        let chunk = &self.s.as_bytes()[self.pos..new];
        let mut i = 0;
        while i < chunk.len() {
            match chunk[i] {
                b'\r' => {
                    self.line += 1;
                    if chunk.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                }
                b'\n' => self.line += 1,
                _ => {}
            }
            i += 1;
        }
        self.pos = new;
    }

    fn skip_while(&mut self, pred: impl Fn(char) -> bool) {
        let len = self
            .rest()
            .find(|c: char| !pred(c))
            .unwrap_or(self.rest().len());
        self.advance_to(self.pos + len);
    }

    /// `'([^']+)'` or `([^=\#\s]+)`; `None` for a comment (`#`).
    fn key(&mut self) -> Result<Option<String>, NoMatch> {
        match self.peek() {
            Some('#') => Ok(None),
            Some('\'') => {
                let bytes = self.s.as_bytes();
                let close = self
                    .key_quote
                    .next(self.pos + 1, |at| {
                        bytes[at..].iter().position(|&b| b == b'\'').map(|p| at + p)
                    })
                    .ok_or(NoMatch)?;
                if close == self.pos + 1 {
                    return Err(NoMatch);
                }
                let key = self.s[self.pos + 1..close].to_owned();
                self.advance_to(close + 1);
                Ok(Some(key))
            }
            _ => {
                let rest = self.rest();
                let len = rest
                    .find(|c: char| c == '=' || c == '#' || py_space(c))
                    .unwrap_or(rest.len());
                if len == 0 {
                    return Err(NoMatch);
                }
                let key = rest[..len].to_owned();
                self.advance_to(self.pos + len);
                Ok(Some(key))
            }
        }
    }

    /// `'((?:\\'|[^'])*)'` (or the `"` twin) with backtracking: the value closes at the first
    /// quote not preceded by a backslash, or failing that at the last escaped quote.
    fn quoted(&mut self, q: u8) -> Result<Zeroizing<String>, NoMatch> {
        let start = self.pos;
        let bytes = self.s.as_bytes();
        let idx = quote_index(q);
        let close = self.unescaped[idx]
            .next(start + 1, |at| {
                (at..bytes.len()).find(|&r| bytes[r] == q && bytes[r - 1] != b'\\')
            })
            .or_else(|| self.last_escaped[idx].filter(|&r| r >= start + 2))
            .ok_or(NoMatch)?;
        let value = decode_escapes(&self.s[start + 1..close], q == b'"');
        self.advance_to(close + 1);
        Ok(value)
    }

    fn value(&mut self) -> Result<Zeroizing<String>, NoMatch> {
        match self.peek() {
            Some('\'') => self.quoted(b'\''),
            Some('"') => self.quoted(b'"'),
            None | Some('\n' | '\r') => Ok(Zeroizing::new(String::new())),
            Some(_) => {
                let rest = self.rest();
                let len = rest.find(['\r', '\n']).unwrap_or(rest.len());
                let part = &rest[..len];
                let value = strip_inline_comment(part).trim_end_matches(py_space);
                let value = Zeroizing::new(value.to_owned());
                self.advance_to(self.pos + len);
                Ok(value)
            }
        }
    }

    /// `(?:[^\S\r\n]*#[^\r\n]*)?` then `[^\S\r\n]*(?:\r\n|\n|\r|$)`.
    fn comment_and_end_of_line(&mut self) -> Result<(), NoMatch> {
        let rest = self.rest();
        let ws = rest.find(|c: char| !h_space(c)).unwrap_or(rest.len());
        if rest[ws..].starts_with('#') {
            let len = rest.find(['\r', '\n']).unwrap_or(rest.len());
            self.advance_to(self.pos + len);
        }
        let rest = self.rest();
        let ws = rest.find(|c: char| !h_space(c)).unwrap_or(rest.len());
        let after = &rest[ws..];
        let eol = if after.starts_with("\r\n") {
            2
        } else if after.is_empty() || after.starts_with(['\r', '\n']) {
            usize::from(!after.is_empty())
        } else {
            return Err(NoMatch);
        };
        self.advance_to(self.pos + ws + eol);
        Ok(())
    }

    /// `parse_binding`.
    fn binding(&mut self) -> RawBinding {
        let (start, line) = (self.pos, self.line);
        self.skip_while(py_space);
        let statement_line = self.line;
        let mut raw = RawBinding {
            key: None,
            value: None,
            error: false,
            line,
            statement_line,
            start,
            end: self.pos,
        };
        if self.pos >= self.s.len() {
            return raw;
        }
        if let Ok((key, value)) = self.statement() {
            raw.key = key;
            raw.value = value;
        } else {
            // `_rest_of_line`: `[^\r\n]*(?:\r|\n|\r\n)?` (a lone `\r` wins over `\r\n`).
            let rest = self.rest();
            let len = rest.find(['\r', '\n']).map_or(rest.len(), |p| p + 1);
            self.advance_to(self.pos + len);
            raw.error = true;
        }
        raw.end = self.pos;
        raw
    }

    #[allow(
        clippy::type_complexity,
        reason = "private helper; the pair is (key, value)"
    )]
    fn statement(&mut self) -> Result<(Option<String>, Option<Zeroizing<String>>), NoMatch> {
        // `(?:export[^\S\r\n]+)?`
        if let Some(after) = self.rest().strip_prefix("export") {
            let ws = after.find(|c: char| !h_space(c)).unwrap_or(after.len());
            if ws > 0 {
                self.advance_to(self.pos + "export".len() + ws);
            }
        }
        let key = self.key()?;
        self.skip_while(h_space);
        let value = if self.peek() == Some('=') {
            self.advance_to(self.pos + 1);
            self.skip_while(h_space);
            Some(self.value()?)
        } else {
            None
        };
        self.comment_and_end_of_line()?;
        Ok((key, value))
    }
}

/// `re.sub(r"\s+#.*", "", part)`: cut at the whitespace run before the first `#` that follows
/// whitespace.
fn strip_inline_comment(part: &str) -> &str {
    let mut run_start = None;
    for (i, c) in part.char_indices() {
        if py_space(c) {
            run_start.get_or_insert(i);
        } else if c == '#' && run_start.is_some() {
            return &part[..run_start.unwrap_or(i)];
        } else {
            run_start = None;
        }
    }
    part
}

/// `decode_escapes` with `\\[\\'"abfnrtv]` (double quotes) or `\\[\\']` (single quotes).
fn decode_escapes(s: &str, double: bool) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(s.len()));
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.peek() {
            Some('\\') => Some('\\'),
            Some('\'') => Some('\''),
            Some('"') if double => Some('"'),
            Some('a') if double => Some('\u{7}'),
            Some('b') if double => Some('\u{8}'),
            Some('f') if double => Some('\u{C}'),
            Some('n') if double => Some('\n'),
            Some('r') if double => Some('\r'),
            Some('t') if double => Some('\t'),
            Some('v') if double => Some('\u{B}'),
            _ => None,
        };
        match decoded {
            Some(d) => {
                chars.next();
                out.push(d);
            }
            None => out.push('\\'),
        }
    }
    out
}

pub(super) fn raw_bindings(text: &str) -> Vec<RawBinding> {
    let mut reader = Reader::new(text);
    let mut out = Vec::new();
    while reader.pos < text.len() {
        out.push(reader.binding());
    }
    out
}

/// python-dotenv's `parse_stream` on `text`: one binding per statement, comments, blank runs
/// and unparsable lines included. Spans index into `text` as given (a leading BOM is skipped,
/// as upstream now does, and is not part of any span).
#[must_use]
pub fn parse_python_bindings(text: &str) -> Vec<Binding> {
    let stripped = strip_bom(text);
    let offset = text.len() - stripped.len();
    raw_bindings(stripped)
        .into_iter()
        .map(|b| Binding {
            key: b.key,
            value: b.value.as_deref().map(|v| secret(v)),
            error: b.error,
            line: b.line,
            statement_line: b.statement_line,
            span: b.start + offset..b.end + offset,
        })
        .collect()
}

/// `dotenv_values(..., interpolate=True)` (override=True): file keys so far, then `earlier`,
/// then `lookup`.
pub(super) fn values(text: &str, lookup: Lookup<'_>, earlier: Lookup<'_>) -> Vec<Assignment> {
    let mut defined: HashMap<String, Option<Zeroizing<String>>> = HashMap::new();
    let mut out = Vec::new();
    for b in raw_bindings(text) {
        let Some(key) = b.key else { continue };
        let value = b.value.map(|v| {
            resolve(&v, &|name: &str| match defined.get(name) {
                // A bare key defined earlier maps to None, which resolves to "".
                Some(v) => Some(v.as_deref().cloned().unwrap_or_default()),
                None => earlier(name).or_else(|| lookup(name)),
            })
        });
        out.push(Assignment {
            key: key.clone(),
            value: value.as_deref().map(|v| secret(v)),
            line: b.statement_line,
            inherited: false,
        });
        defined.insert(key, value);
    }
    out
}

/// `parse_variables` + `Atom.resolve`: `\$\{(?P<name>[^\}:]*)(?::-(?P<default>[^\}]*))?\}`.
pub(super) fn resolve(value: &str, env: &dyn Fn(&str) -> Option<String>) -> Zeroizing<String> {
    let bytes = value.as_bytes();
    let mut out = Zeroizing::new(String::with_capacity(value.len()));
    let mut name_stop = NextFinder::new();
    let mut brace = NextFinder::new();
    let find = |set: &'static [u8]| {
        move |at: usize| {
            bytes[at..]
                .iter()
                .position(|b| set.contains(b))
                .map(|p| at + p)
        }
    };
    let mut cursor = 0;
    let mut i = 0;
    while let Some(p) = value[i..].find("${") {
        let at = i + p;
        let name_start = at + 2;
        let stop = name_stop.next(name_start, find(b"}:"));
        let matched = match stop {
            Some(s) if bytes[s] == b'}' => Some((s, None, s + 1)),
            Some(s) if value[s..].starts_with(":-") => brace
                .next(s + 2, find(b"}"))
                .map(|close| (s, Some(&value[s + 2..close]), close + 1)),
            _ => None,
        };
        let Some((name_end, default, end)) = matched else {
            i = at + 1;
            continue;
        };
        out.push_str(&value[cursor..at]);
        let name = &value[name_start..name_end];
        match env(name) {
            Some(v) => out.push_str(&Zeroizing::new(v)),
            None => out.push_str(default.unwrap_or("")),
        }
        cursor = end;
        i = end;
    }
    out.push_str(&value[cursor..]);
    out
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn backtracking_quotes() {
        let b = parse_python_bindings(r"a='value\'");
        assert!(!b[0].error);
        assert_eq!(b[0].value.as_ref().unwrap().expose_secret(), "value\\");
        let b = parse_python_bindings("a='x\nb=c");
        assert!(b[0].error);
        assert_eq!(b[1].key.as_deref(), Some("b"));
    }

    #[test]
    fn resolve_rules() {
        let env = |n: &str| (n == "b").then(|| "B".to_owned());
        assert_eq!(&*resolve("${b}${c:-d}${c}$b${b:x}", &env), "Bd$b${b:x}");
        assert_eq!(&*resolve("${${b}}", &env), "}");
    }
}
