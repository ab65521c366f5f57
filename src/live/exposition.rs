//! TEMPORARY stand-in until the real parser lands (not committed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    PrometheusText,
    OpenMetrics,
}
pub fn format_for(ct: Option<&str>) -> Format {
    if ct.is_some_and(|c| c.contains("openmetrics")) {
        Format::OpenMetrics
    } else {
        Format::PrometheusText
    }
}
pub const ACCEPT: &str =
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub timestamp_ms: Option<i64>,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}
impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}
pub fn parse(input: &[u8], _format: Format) -> Result<Vec<Sample>, ParseError> {
    let text = std::str::from_utf8(input).map_err(|_| ParseError {
        line: 0,
        message: "utf8".into(),
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (head, value) = line.rsplit_once(' ').ok_or(ParseError {
            line: i + 1,
            message: "bad".into(),
        })?;
        let value: f64 = value.parse().map_err(|_| ParseError {
            line: i + 1,
            message: "bad value".into(),
        })?;
        let (name, labels) = match head.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (head, ""),
        };
        let labels = labels
            .split(',')
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect();
        out.push(Sample {
            name: name.to_string(),
            labels,
            value,
            timestamp_ms: None,
        });
    }
    Ok(out)
}
pub struct Selector {
    pub name: String,
    pub labels: Vec<(String, String)>,
}
impl Selector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let s =
            parse(format!("{text} 0").as_bytes(), Format::PrometheusText).map_err(|e| e.message)?;
        let s = s.into_iter().next().ok_or("empty")?;
        Ok(Self {
            name: s.name,
            labels: s.labels,
        })
    }
    pub fn matches(&self, s: &Sample) -> bool {
        s.name == self.name && self.labels.iter().all(|l| s.labels.contains(l))
    }
    pub fn sum(&self, samples: &[Sample]) -> Option<f64> {
        let v: Vec<f64> = samples
            .iter()
            .filter(|s| self.matches(s))
            .map(|s| s.value)
            .collect();
        if v.is_empty() {
            None
        } else {
            Some(v.iter().sum())
        }
    }
}
