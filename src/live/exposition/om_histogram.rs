//! `OpenMetrics` histogram consistency, judged once a family is complete
//! because `_count`/`_sum` may come before or after the buckets.

use super::Sample;
use super::lex;

pub(super) fn label<'a>(labels: &'a [(String, String)], name: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The bucket bound, refusing NaN and non-canonical infinities like `+INF`.
pub(super) fn bucket_bound(le: &str) -> Option<f64> {
    let b = lex::float(le.as_bytes()).filter(|b| !b.is_nan())?;
    (b.is_finite() || le == "+Inf" || le == "-Inf").then_some(b)
}

/// Which sum a run carried: histograms have `_sum`, gauge histograms `_gsum`.
#[derive(Default, PartialEq)]
enum SumSeen {
    #[default]
    None,
    Sum,
    GSum {
        negative: bool,
    },
}

#[derive(Default)]
struct Run {
    bound: Option<f64>,
    cumulative: f64,
    count: Option<f64>,
    negative_buckets: bool,
    sum: SumSeen,
}

/// A run is one labelset (without `le`) at one timestamp.
type RunKey<'a> = (Vec<&'a (String, String)>, Option<f64>);

impl Run {
    #[expect(clippy::float_cmp, reason = "count must equal the +Inf bucket exactly")]
    fn check(&self) -> Result<(), String> {
        let plain_sum = self.sum == SumSeen::Sum;
        let gauge_sum = matches!(self.sum, SumSeen::GSum { .. });
        let negative_gsum = self.sum == SumSeen::GSum { negative: true };
        if self.bound != Some(f64::INFINITY) {
            return Err("+Inf bucket missing or not last".into());
        }
        if self.count.is_some_and(|c| c != self.cumulative) {
            return Err("count does not match the +Inf bucket".into());
        }
        if plain_sum && self.count.is_none() {
            return Err("_sum present without _count".into());
        }
        if gauge_sum && self.count.is_none() {
            return Err("_gsum present without _gcount".into());
        }
        if !plain_sum && !gauge_sum && self.count.is_some() {
            return Err("_count present without _sum".into());
        }
        if self.negative_buckets && plain_sum {
            return Err("_sum is not allowed with negative buckets".into());
        }
        if !self.negative_buckets && negative_gsum {
            return Err("negative _gsum requires negative buckets".into());
        }
        Ok(())
    }
}

/// Checks each run of one labelset and timestamp: buckets ascending with
/// non-decreasing counts, ending in `+Inf`, consistent `_count`/`_sum`.
pub(super) fn check_histogram(
    name: &str,
    samples: &[Sample],
    timestamps: &[Option<f64>],
) -> Result<(), String> {
    let mut key: Option<RunKey<'_>> = None;
    let mut run = Run::default();
    for (s, ts) in samples.iter().zip(timestamps) {
        let suffix = s.name.get(name.len()..).unwrap_or_default();
        let mut group: Vec<&(String, String)> = s
            .labels
            .iter()
            .filter(|(k, _)| suffix != "_bucket" || k != "le")
            .collect();
        group.sort_unstable();
        let this = Some((group, *ts));
        if key != this {
            if key.is_some() {
                run.check()?;
            }
            run = Run::default();
            key = this;
        }
        match suffix {
            "_bucket" => {
                let bound = label(&s.labels, "le")
                    .and_then(bucket_bound)
                    .unwrap_or(f64::NAN);
                run.negative_buckets |= bound < 0.0;
                if run.bound.is_some_and(|prev| bound <= prev) {
                    return Err("buckets out of order".into());
                }
                if s.value < run.cumulative {
                    return Err("bucket counts decrease".into());
                }
                run.bound = Some(bound);
                run.cumulative = s.value;
            }
            "_count" | "_gcount" => run.count = Some(s.value),
            "_sum" => run.sum = SumSeen::Sum,
            "_gsum" => {
                run.sum = SumSeen::GSum {
                    negative: s.value < 0.0,
                };
            }
            _ => {}
        }
    }
    if key.is_some() {
        run.check()?;
    }
    Ok(())
}
