//! Parsing of `/metrics` scrapes in Prometheus text 0.0.4 and `OpenMetrics` 1.0.
//!
//! The console only needs flat samples, but it must not show numbers from a
//! body the reference parsers would reject, so both formats are validated as
//! strictly as their upstream conformance suites demand. Written in-house
//! because the existing crates either skip validation (`prometheus-parse`)
//! or are LGPL-licensed (`openmetrics-parser`).

mod lex;
mod om;
mod om_family;
mod om_histogram;
mod prom;
mod prom_labels;
mod selector;

use std::fmt;

pub use selector::Selector;

/// Longer lines are refused outright, so one endless line cannot grow memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Caps memory for a scrape; real endpoints are far below this.
pub const MAX_SAMPLES: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    PrometheusText,
    OpenMetrics,
}

/// Picks the format from a Content-Type header (`application/openmetrics-text` → `OpenMetrics`, anything else → `PrometheusText`).
///
/// Anything unrecognised falls back to the text format because that is what
/// Prometheus itself assumes for legacy endpoints.
#[must_use]
pub fn format_for(content_type: Option<&str>) -> Format {
    let media = content_type
        .and_then(|ct| ct.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    if media.eq_ignore_ascii_case("application/openmetrics-text") {
        Format::OpenMetrics
    } else {
        Format::PrometheusText
    }
}

/// The Accept header secretops sends (prefers `OpenMetrics` 1.0, falls back to text 0.0.4).
///
/// The trailing `*/*` keeps servers that ignore versions from answering 406.
pub const ACCEPT: &str =
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    /// Milliseconds since the Unix epoch; `OpenMetrics` seconds are converted
    /// (rounded, saturating at the `i64` range).
    pub timestamp_ms: Option<i64>,
}

impl Sample {
    /// Looks a label up by name; label sets are small, so a scan beats a map.
    #[must_use]
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A rejected scrape. `message` quotes at most 40 characters of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole scrape body; all-or-nothing so a half-valid scrape never
/// shows partial numbers.
///
/// # Errors
/// Any syntax or consistency violation of the chosen format, a line longer
/// than [`MAX_LINE_BYTES`], or more than [`MAX_SAMPLES`] samples.
pub fn parse(input: &[u8], format: Format) -> Result<Vec<Sample>, ParseError> {
    match format {
        Format::PrometheusText => prom::parse(input),
        Format::OpenMetrics => om::parse(input),
    }
}

fn line_too_long(line: usize) -> ParseError {
    lex::err(
        line,
        format!("line longer than {MAX_LINE_BYTES} bytes; refusing to parse"),
    )
}

fn too_many_samples(line: usize) -> ParseError {
    lex::err(
        line,
        format!("more than {MAX_SAMPLES} samples; refusing to parse"),
    )
}
