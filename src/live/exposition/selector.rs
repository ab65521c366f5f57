//! Picking series out of a scrape by name and label subset, e.g.
//! `auth_requests_total{result="success"}`.

use super::Sample;
use super::lex::{self, Cursor};
use super::prom_labels;

/// A metric name plus a label subset, e.g. `auth_requests_total{result="success"}`; matches every series with that name whose labels include the subset.
///
/// Names match exactly: an `OpenMetrics` counter family `foo` is selected by
/// its sample name `foo_total`, never by `foo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub name: String,
    pub labels: Vec<(String, String)>,
}

impl Selector {
    /// Accepts the text-format spelling of a series (blanks, trailing comma,
    /// quoted UTF-8 names), so a line copied from `/metrics` works verbatim.
    ///
    /// # Errors
    /// A message naming the first problem when `text` is not a name with an
    /// optional label set.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut c = Cursor::new(text.trim().as_bytes());
        let braces_first = c.peek() == Some(b'{');
        let mut name = if braces_first {
            None
        } else {
            prom_labels::name_token(&mut c, true)?
        };
        c.skip_blanks();
        let labels = if c.peek() == Some(b'{') {
            prom_labels::braces(&mut c, &mut name, braces_first)?
        } else {
            Vec::new()
        };
        c.skip_blanks();
        if !c.at_end() {
            return Err(format!(
                "unexpected text in selector: {}",
                lex::snippet(c.rest())
            ));
        }
        let name = name.ok_or_else(|| "selector needs a metric name".to_string())?;
        Ok(Selector { name, labels })
    }

    #[must_use]
    pub fn matches(&self, s: &Sample) -> bool {
        s.name == self.name
            && self
                .labels
                .iter()
                .all(|(k, v)| s.label(k) == Some(v.as_str()))
    }

    /// Sum of matching samples, None when none match.
    ///
    /// `None` lets the console show "no data" instead of a misleading 0 when
    /// a series is absent (e.g. no failures have happened yet on a fresh
    /// process that only creates label values lazily).
    #[must_use]
    pub fn sum(&self, samples: &[Sample]) -> Option<f64> {
        samples
            .iter()
            .filter(|s| self.matches(s))
            .fold(None, |acc, s| Some(acc.unwrap_or(0.0) + s.value))
    }
}

impl std::str::FromStr for Selector {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}
