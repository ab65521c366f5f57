//! Prometheus text format 0.0.4, following the behaviour of the reference
//! parser (`prometheus/common` `expfmt`) with UTF-8 (quoted) names enabled.
//!
//! Deliberate differences, both lenient: blanks after the value or the
//! timestamp are ignored (the format documentation says so, expfmt rejects
//! them), and a TYPE line may carry trailing blanks.

use std::collections::HashMap;

use super::lex::{self, Cursor, Line, Lines};
use super::prom_labels;
use super::{MAX_LINE_BYTES, MAX_SAMPLES, ParseError, Sample};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Type {
    Counter,
    Gauge,
    Summary,
    Untyped,
    Histogram,
    GaugeHistogram,
}

fn parse_type(text: &[u8]) -> Option<Type> {
    let t = std::str::from_utf8(text).ok()?.to_ascii_lowercase();
    Some(match t.as_str() {
        "counter" => Type::Counter,
        "gauge" => Type::Gauge,
        "summary" => Type::Summary,
        "untyped" => Type::Untyped,
        "histogram" => Type::Histogram,
        "gaugehistogram" | "gauge_histogram" => Type::GaugeHistogram,
        _ => return None,
    })
}

#[derive(Default)]
struct Family {
    typ: Option<Type>,
    has_help: bool,
}

/// Which family a name belongs to, and whether it is that family's
/// `_count`/`_sum` series (only meaningful for typed summaries/histograms).
struct Resolved {
    family: String,
    is_count: bool,
    is_sum: bool,
}

#[derive(Default)]
struct Parser {
    families: HashMap<String, Family>,
    out: Vec<Sample>,
}

pub(super) fn parse(input: &[u8]) -> Result<Vec<Sample>, ParseError> {
    let mut p = Parser::default();
    for line in Lines::new(input) {
        p.line(&line)?;
    }
    Ok(p.out)
}

impl Parser {
    fn line(&mut self, line: &Line<'_>) -> Result<(), ParseError> {
        let no = line.number;
        if line.bytes.len() > MAX_LINE_BYTES {
            return Err(super::line_too_long(no));
        }
        let mut c = Cursor::new(line.bytes);
        c.skip_blanks();
        if c.at_end() {
            return Ok(());
        }
        match c.peek() {
            Some(b'#') => self.comment(no, &mut c)?,
            Some(b'{') => self.sample(no, &mut c, true)?,
            _ => self.sample(no, &mut c, false)?,
        }
        // expfmt only accepts end of input at the start of a line: a last
        // line without '\n' means the body was cut off. Checked after the
        // line itself so a real syntax error is reported first.
        if line.terminated {
            Ok(())
        } else {
            Err(lex::err(
                no,
                "unexpected end of input stream (last line has no newline)",
            ))
        }
    }

    /// Resolves a name to its family the way expfmt does: `x_count`/`x_sum`
    /// (and `x_bucket`) join `x` only when `x` is already typed summary or
    /// histogram; otherwise they are families of their own.
    fn resolve(&mut self, name: &str) -> Resolved {
        let plain = |family: &str| Resolved {
            family: family.to_string(),
            is_count: false,
            is_sum: false,
        };
        if self.families.contains_key(name) {
            return plain(name);
        }
        let is_count = name.len() > 6 && name.ends_with("_count");
        let is_sum = name.len() > 4 && name.ends_with("_sum");
        let is_bucket = name.len() > 7 && name.ends_with("_bucket");
        let base = |suffix_len: usize| &name[..name.len() - suffix_len];
        let summary_base = match (is_count, is_sum) {
            (true, _) => Some(base(6)),
            (_, true) => Some(base(4)),
            _ => None,
        };
        let histogram_base = summary_base.or_else(|| is_bucket.then(|| base(7)));
        for (candidate, wanted) in [
            (summary_base, Type::Summary),
            (histogram_base, Type::Histogram),
        ] {
            if let Some(b) = candidate
                && self.families.get(b).and_then(|f| f.typ) == Some(wanted)
            {
                return Resolved {
                    family: b.to_string(),
                    is_count,
                    is_sum,
                };
            }
        }
        self.families.insert(name.to_string(), Family::default());
        plain(name)
    }

    fn comment(&mut self, no: usize, c: &mut Cursor<'_>) -> Result<(), ParseError> {
        c.bump();
        c.skip_blanks();
        let keyword = c.take_while(|b| !lex::is_blank(b));
        if c.at_end() || (keyword != b"HELP" && keyword != b"TYPE") {
            return Ok(()); // a plain comment
        }
        c.skip_blanks();
        let name = prom_labels::name_token(c, true).map_err(|m| lex::err(no, m))?;
        if c.at_end() {
            return Ok(()); // `# HELP name` with nothing after it is a no-op
        }
        if !c.peek().is_some_and(lex::is_blank) {
            return Err(lex::err(
                no,
                format!(
                    "invalid metric name in comment at {}",
                    lex::snippet(c.rest())
                ),
            ));
        }
        let Some(name) = name else {
            return Err(lex::err(no, "invalid metric name in comment"));
        };
        let resolved = self.resolve(&name);
        c.skip_blanks();
        if c.at_end() {
            return Ok(());
        }
        let family = self.families.entry(resolved.family).or_default();
        if keyword == b"HELP" {
            if family.has_help {
                return Err(lex::err(
                    no,
                    format!(
                        "second HELP line for metric name {}",
                        lex::snippet(name.as_bytes())
                    ),
                ));
            }
            family.has_help = true;
            return check_help(no, c.rest());
        }
        if family.typ.is_some() {
            return Err(lex::err(
                no,
                format!(
                    "second TYPE line for metric name {}, or TYPE reported after samples",
                    lex::snippet(name.as_bytes())
                ),
            ));
        }
        let text = c.rest();
        let trimmed_len = text
            .iter()
            .rposition(|&b| !lex::is_blank(b))
            .map_or(0, |i| i + 1);
        let Some(typ) = parse_type(&text[..trimmed_len]) else {
            return Err(lex::err(
                no,
                format!("unknown metric type {}", lex::snippet(text)),
            ));
        };
        family.typ = Some(typ);
        Ok(())
    }

    fn sample(
        &mut self,
        no: usize,
        c: &mut Cursor<'_>,
        braces_first: bool,
    ) -> Result<(), ParseError> {
        let fail = |m: String| lex::err(no, m);
        let (name, labels) = series(c, braces_first).map_err(fail)?;
        let resolved = self.resolve(&name);
        let family = self.families.entry(resolved.family.clone()).or_default();
        let typ = *family.typ.get_or_insert(Type::Untyped);
        check_special_labels(typ, &labels).map_err(fail)?;
        let le = labels.iter().find(|(k, _)| k == "le");
        c.skip_blanks();
        let token = c.take_while(|b| !lex::is_blank(b));
        let value = go_float(token).ok_or_else(|| {
            fail(format!(
                "expected float as value, got {}",
                lex::snippet(token)
            ))
        })?;
        if typ == Type::Histogram && value < 0.0 {
            if resolved.is_count {
                return Err(fail(format!(
                    "negative count for histogram {}",
                    lex::snippet(resolved.family.as_bytes())
                )));
            }
            if !resolved.is_sum && le.is_some() {
                return Err(fail(format!(
                    "negative bucket population for histogram {}",
                    lex::snippet(resolved.family.as_bytes())
                )));
            }
        }
        let timestamp_ms = timestamp(c).map_err(fail)?;
        if self.out.len() >= MAX_SAMPLES {
            return Err(super::too_many_samples(no));
        }
        self.out.push(Sample {
            name,
            labels,
            value,
            timestamp_ms,
        });
        Ok(())
    }
}

/// Reads the metric name and label set, from either `name{…}` or `{"name",…}`.
fn series(
    c: &mut Cursor<'_>,
    braces_first: bool,
) -> Result<(String, Vec<(String, String)>), String> {
    let mut name = None;
    if !braces_first {
        name = prom_labels::name_token(c, true)?;
        let had_blank = c.skip_blanks() > 0;
        if name.is_none() || (!had_blank && !c.at_end() && c.peek() != Some(b'{')) {
            return Err(format!("invalid metric name at {}", lex::snippet(c.rest())));
        }
    }
    let labels = if c.peek() == Some(b'{') {
        prom_labels::braces(c, &mut name, braces_first)?
    } else {
        Vec::new()
    };
    let name = name.ok_or_else(|| "invalid metric name: none given".to_string())?;
    Ok((name, labels))
}

/// expfmt turns `quantile`/`le` into numbers for typed summaries and
/// histograms, so an unparsable one fails the scrape there.
fn check_special_labels(typ: Type, labels: &[(String, String)]) -> Result<(), String> {
    let special = match typ {
        Type::Summary => "quantile",
        Type::Histogram => "le",
        _ => return Ok(()),
    };
    match labels.iter().find(|(k, _)| k == special) {
        Some((_, v)) if lex::float(v.as_bytes()).is_none() => Err(format!(
            "expected float as value for '{special}' label, got {}",
            lex::snippet(v.as_bytes())
        )),
        _ => Ok(()),
    }
}

/// Optional integer milliseconds, then only blanks to the end of the line.
fn timestamp(c: &mut Cursor<'_>) -> Result<Option<i64>, String> {
    c.skip_blanks();
    if c.at_end() {
        return Ok(None);
    }
    let token = c.take_while(|b| !lex::is_blank(b));
    let ts = std::str::from_utf8(token)
        .ok()
        .and_then(|t| t.parse::<i64>().ok());
    let ts =
        ts.ok_or_else(|| format!("expected integer as timestamp, got {}", lex::snippet(token)))?;
    c.skip_blanks();
    if !c.at_end() {
        return Err(format!(
            "spurious string after timestamp: {}",
            lex::snippet(c.rest())
        ));
    }
    Ok(Some(ts))
}

/// HELP text is not kept, but its escapes are still checked because expfmt
/// rejects the whole scrape on an unknown one (a trailing `\\` included).
fn check_help(no: usize, text: &[u8]) -> Result<(), ParseError> {
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        if b != b'\\' {
            i += 1;
            continue;
        }
        match text.get(i + 1) {
            Some(b'\\' | b'n' | b'"') => i += 2,
            other => {
                let shown = other.map_or_else(|| vec![b'\\'], |&e| vec![b'\\', e]);
                return Err(lex::err(
                    no,
                    format!("invalid escape sequence {} in HELP", lex::snippet(&shown)),
                ));
            }
        }
    }
    Ok(())
}

/// expfmt uses Go's `ParseFloat`, which reports an overflowing literal such
/// as `1e999` as an error instead of rounding it to infinity.
fn go_float(token: &[u8]) -> Option<f64> {
    let v = lex::float(token)?;
    (v.is_finite() || v.is_nan() || lex::is_infinity_word(token)).then_some(v)
}
