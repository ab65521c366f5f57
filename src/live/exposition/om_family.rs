//! `OpenMetrics` family rules: which sample names a TYPE admits, name clashes,
//! grouping and timestamp order, per-type value constraints and histogram
//! bucket consistency. Mirrors the reference parser the conformance suite
//! was written against, so the suite's verdicts carry over.

use std::collections::HashSet;

use super::lex;
use super::om_histogram::{bucket_bound, check_histogram, label};
use super::{MAX_SAMPLES, ParseError, Sample};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum MetricType {
    Counter,
    Gauge,
    Summary,
    Histogram,
    GaugeHistogram,
    Unknown,
    Info,
    StateSet,
}

impl MetricType {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "counter" => Self::Counter,
            "gauge" => Self::Gauge,
            "summary" => Self::Summary,
            "histogram" => Self::Histogram,
            "gaugehistogram" => Self::GaugeHistogram,
            "unknown" => Self::Unknown,
            "info" => Self::Info,
            "stateset" => Self::StateSet,
            _ => return None,
        })
    }

    /// Sample-name suffixes a family of this type owns.
    fn suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Counter => &["_total", "_created"],
            Self::Summary => &["", "_count", "_sum", "_created"],
            Self::Histogram => &["_count", "_sum", "_bucket", "_created"],
            Self::GaugeHistogram => &["_gcount", "_gsum", "_bucket"],
            Self::Info => &["_info"],
            Self::Gauge | Self::Unknown | Self::StateSet => &[""],
        }
    }

    fn is_histogram(self) -> bool {
        matches!(self, Self::Histogram | Self::GaugeHistogram)
    }
}

pub(super) enum MetaKind {
    Help,
    Type,
    Unit,
}

pub(super) struct Meta {
    pub kind: MetaKind,
    pub name: String,
    pub text: String,
}

/// One sample line before family rules are applied; `timestamp` is in
/// seconds exactly as written, because ordering checks need full precision.
pub(super) struct Parsed {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub timestamp: Option<f64>,
    pub exemplar: bool,
}

type Group = Vec<(String, String)>;

struct Family {
    name: String,
    typ: Option<MetricType>,
    has_help: bool,
    unit: Option<String>,
    line: usize,
    first: usize,
    timestamps: Vec<Option<f64>>,
    group: Option<(Group, Option<f64>)>,
    seen_groups: HashSet<Group>,
}

impl Family {
    fn new(name: String, typ: Option<MetricType>, line: usize, first: usize) -> Self {
        Family {
            name,
            typ,
            has_help: false,
            unit: None,
            line,
            first,
            timestamps: Vec::new(),
            group: None,
            seen_groups: HashSet::new(),
        }
    }

    fn typ(&self) -> MetricType {
        self.typ.unwrap_or(MetricType::Unknown)
    }

    fn suffix<'a>(&self, sample: &'a str) -> Option<&'a str> {
        sample
            .strip_prefix(self.name.as_str())
            .filter(|s| self.typ().suffixes().contains(s))
    }
}

#[derive(Default)]
pub(super) struct Families {
    current: Option<Family>,
    seen_names: HashSet<String>,
}

impl Families {
    pub(super) fn metadata(
        &mut self,
        no: usize,
        meta: &Meta,
        out: &[Sample],
    ) -> Result<(), ParseError> {
        let same = self.current.as_ref().is_some_and(|f| f.name == meta.name);
        if same
            && self
                .current
                .as_ref()
                .is_some_and(|f| !f.timestamps.is_empty())
        {
            return Err(lex::err(
                no,
                format!(
                    "metadata for {} after its samples",
                    lex::snippet(meta.name.as_bytes())
                ),
            ));
        }
        if !same {
            self.finish(out)?;
        }
        let family = self
            .current
            .get_or_insert_with(|| Family::new(meta.name.clone(), None, no, out.len()));
        let dup = |what: &str| {
            lex::err(
                no,
                format!("second {what} for {}", lex::snippet(meta.name.as_bytes())),
            )
        };
        match meta.kind {
            MetaKind::Help if family.has_help => return Err(dup("HELP")),
            MetaKind::Help => family.has_help = true,
            MetaKind::Type if family.typ.is_some() => return Err(dup("TYPE")),
            MetaKind::Type => {
                let typ = MetricType::parse(&meta.text).ok_or_else(|| {
                    lex::err(
                        no,
                        format!("unknown metric type {}", lex::snippet(meta.text.as_bytes())),
                    )
                })?;
                family.typ = Some(typ);
            }
            MetaKind::Unit if family.unit.is_some() => return Err(dup("UNIT")),
            MetaKind::Unit => family.unit = Some(meta.text.clone()),
        }
        Ok(())
    }

    pub(super) fn sample(
        &mut self,
        no: usize,
        s: Parsed,
        out: &mut Vec<Sample>,
    ) -> Result<(), ParseError> {
        if self
            .current
            .as_ref()
            .is_none_or(|f| f.suffix(&s.name).is_none())
        {
            self.finish(out)?;
            self.current = Some(Family::new(
                s.name.clone(),
                Some(MetricType::Unknown),
                no,
                out.len(),
            ));
        }
        let Some(family) = self.current.as_mut() else {
            return Err(lex::err(no, "internal error: no current family"));
        };
        check_sample(family, &s).map_err(|m| lex::err(no, m))?;
        if out.len() >= MAX_SAMPLES {
            return Err(super::too_many_samples(no));
        }
        family.timestamps.push(s.timestamp);
        out.push(Sample {
            name: s.name,
            labels: s.labels,
            value: s.value,
            #[expect(
                clippy::cast_possible_truncation,
                reason = "`as` saturates out-of-range timestamps"
            )]
            timestamp_ms: s.timestamp.map(|t| (t * 1000.0).round() as i64),
        });
        Ok(())
    }

    /// Closes the current family; its name-level and histogram rules can only
    /// be judged once all of its lines are known.
    pub(super) fn finish(&mut self, out: &[Sample]) -> Result<(), ParseError> {
        let Some(f) = self.current.take() else {
            return Ok(());
        };
        let typ = f.typ();
        let fail = |m: String| lex::err(f.line, m);
        let shown = lex::snippet(f.name.as_bytes());
        let extra = (!typ.suffixes().contains(&"")).then_some("");
        for suffix in typ.suffixes().iter().copied().chain(extra) {
            if !self.seen_names.insert(format!("{}{suffix}", f.name)) {
                return Err(fail(format!(
                    "metric family {shown} clashes with an earlier family"
                )));
            }
        }
        if let Some(unit) = f.unit.as_deref().filter(|u| !u.is_empty()) {
            if !f.name.ends_with(&format!("_{unit}")) {
                return Err(fail(format!(
                    "metric name {shown} does not end with its unit"
                )));
            }
            if matches!(typ, MetricType::Info | MetricType::StateSet) {
                return Err(fail(format!(
                    "{shown}: info and stateset metrics cannot have a unit"
                )));
            }
        }
        if typ.is_histogram() {
            let samples = out.get(f.first..).unwrap_or_default();
            check_histogram(&f.name, samples, &f.timestamps)
                .map_err(|m| fail(format!("histogram {shown}: {m}")))?;
        }
        Ok(())
    }
}

fn is_integer(v: f64) -> bool {
    v.is_finite() && v.fract() == 0.0
}

#[expect(clippy::float_cmp, reason = "stateset/info values are exact by spec")]
fn check_sample(f: &mut Family, s: &Parsed) -> Result<(), String> {
    let typ = f.typ();
    let suffix = f.suffix(&s.name).unwrap_or_default();
    let shown = || lex::snippet(s.name.as_bytes());
    if typ == MetricType::StateSet && label(&s.labels, &f.name).is_none() {
        return Err(format!("stateset sample {} lacks its state label", shown()));
    }
    if suffix == "_bucket" {
        let le =
            label(&s.labels, "le").ok_or_else(|| format!("bucket {} has no le label", shown()))?;
        bucket_bound(le)
            .ok_or_else(|| format!("invalid le label {}", lex::snippet(le.as_bytes())))?;
        if !is_integer(s.value) {
            return Err(format!("bucket value of {} must be an integer", shown()));
        }
    }
    if matches!(suffix, "_count" | "_gcount") && !is_integer(s.value) {
        return Err(format!("count value of {} must be an integer", shown()));
    }
    let is_quantile = typ == MetricType::Summary && suffix.is_empty();
    if is_quantile {
        let q = label(&s.labels, "quantile")
            .ok_or_else(|| format!("summary sample {} has no quantile label", shown()))?;
        if !lex::float(q.as_bytes()).is_some_and(|q| (0.0..=1.0).contains(&q)) {
            return Err(format!(
                "invalid quantile label {}",
                lex::snippet(q.as_bytes())
            ));
        }
    }
    check_grouping(f, typ, suffix, s)?;
    if typ == MetricType::StateSet && s.value != 0.0 && s.value != 1.0 {
        return Err(format!("stateset value of {} must be 0 or 1", shown()));
    }
    if typ == MetricType::Info && s.value != 1.0 {
        return Err(format!("info value of {} must be 1", shown()));
    }
    if is_quantile && s.value < 0.0 {
        return Err(format!("quantile value of {} cannot be negative", shown()));
    }
    let counter_like =
        ["_total", "_sum", "_count", "_bucket", "_gcount", "_gsum"].contains(&suffix);
    if counter_like && s.value.is_nan() {
        return Err(format!("counter-like sample {} cannot be NaN", shown()));
    }
    if counter_like && suffix != "_gsum" && s.value < 0.0 {
        return Err(format!(
            "counter-like sample {} cannot be negative",
            shown()
        ));
    }
    let exemplar_ok = (typ.is_histogram() && suffix == "_bucket")
        || (typ == MetricType::Counter && suffix == "_total");
    if s.exemplar && !exemplar_ok {
        return Err(format!(
            "exemplars are only allowed on counter _total and histogram _bucket, not {}",
            shown()
        ));
    }
    Ok(())
}

/// Samples of one labelset (ignoring `le`/`quantile`/state) must be adjacent,
/// and within that run timestamps must be all-or-none and non-decreasing.
fn check_grouping(f: &mut Family, typ: MetricType, suffix: &str, s: &Parsed) -> Result<(), String> {
    let drop = match typ {
        MetricType::Summary if suffix.is_empty() => Some("quantile"),
        MetricType::StateSet => Some(f.name.as_str()),
        t if t.is_histogram() && suffix == "_bucket" => Some("le"),
        _ => None,
    };
    let mut group: Group = if typ == MetricType::Info {
        Vec::new() // info series cannot be told apart, as in the reference parser
    } else {
        s.labels
            .iter()
            .filter(|(k, _)| Some(k.as_str()) != drop)
            .cloned()
            .collect()
    };
    group.sort_unstable();
    match &f.group {
        Some((g, ts)) if *g == group => {
            if ts.is_some() != s.timestamp.is_some() {
                return Err("mix of samples with and without timestamps within a group".into());
            }
            if let (Some(prev), Some(now)) = (ts, s.timestamp)
                && *prev > now
                && typ != MetricType::Info
            {
                return Err("timestamps went backwards within a group".into());
            }
        }
        _ if f.seen_groups.contains(&group) => {
            return Err(format!(
                "samples of {} are not grouped together",
                lex::snippet(s.name.as_bytes())
            ));
        }
        _ => {
            f.seen_groups.insert(group.clone());
        }
    }
    f.group = Some((group, s.timestamp));
    Ok(())
}
