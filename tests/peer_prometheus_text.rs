//! Prometheus text 0.0.4 cases from prometheus/common expfmt
//! (tests/fixtures/peer/prometheus-text): corpus files plus the transcribed
//! parser test table.
//!
//! Decision: the parser runs in UTF-8 name mode (quoted names, as
//! Prometheus 3), so no `needs_utf8_names` case is skipped, and the two
//! `error_only_with_legacy_names` cases must parse successfully.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper: a panic is the failure report"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use secretops::live::exposition::{Format, Sample, parse};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peer/prometheus-text")
}

fn files(sub: &str) -> Vec<PathBuf> {
    let mut v: Vec<_> = fs::read_dir(root().join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn text(path: &Path) -> Vec<Sample> {
    parse(&fs::read(path).unwrap(), Format::PrometheusText).unwrap()
}

#[test]
fn corpus_valid_and_invalid() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (sub, want_ok) in [("valid", true), ("invalid", false)] {
        for path in files(sub) {
            total += 1;
            let result = parse(&fs::read(&path).unwrap(), Format::PrometheusText);
            if result.is_ok() != want_ok {
                failures.push(format!(
                    "{sub}/{}: {result:?}",
                    path.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert_eq!(total, 27);
    println!(
        "prometheus-text corpus: {} passed, {} failed",
        total - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_real_scrape_and_comment_variant() {
    assert_eq!(text(&root().join("valid/text")).len(), 248);
    assert_eq!(text(&root().join("valid/minimal")).len(), 1);
    // Differs from the table's valid_03 only in no-op HELP comments.
    let table: Vec<Value> =
        serde_json::from_slice(&fs::read(root().join("table.json")).unwrap()).unwrap();
    let v03 = table
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("valid_03"))
        .unwrap();
    let from_table = parse(
        v03["input"].as_str().unwrap().as_bytes(),
        Format::PrometheusText,
    )
    .unwrap();
    assert_eq!(
        text(&root().join("valid/from_test_parse_3")).len(),
        from_table.len()
    );
}

/// Bit-exact except that NaN equals NaN, as the case folder README asks.
#[allow(clippy::float_cmp)]
fn same_value(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

fn compare(got: &[Sample], want: &[Value]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("{} samples, want {}", got.len(), want.len()));
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let want_labels: BTreeMap<String, String> = w["labels"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let got_labels: BTreeMap<String, String> = g.labels.iter().cloned().collect();
        let want_value: f64 = w["value"].as_str().unwrap().parse().unwrap();
        let want_ts = w.get("timestamp_ms").and_then(Value::as_i64);
        if g.name != w["name"].as_str().unwrap()
            || got_labels != want_labels
            || got_labels.len() != g.labels.len()
            || !same_value(g.value, want_value)
            || g.timestamp_ms != want_ts
        {
            return Err(format!("sample {i}: got {g:?}, want {w}"));
        }
    }
    Ok(())
}

/// Minimal standard base64 decoder, to avoid a dependency for one test case.
fn base64(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = alphabet.iter().position(|&a| a == c).expect("base64 digit");
        acc = (acc << 6) | u32::try_from(v).unwrap();
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
        }
    }
    out
}

#[test]
fn expfmt_table() {
    let table: Vec<Value> =
        serde_json::from_slice(&fs::read(root().join("table.json")).unwrap()).unwrap();
    let mut failures = Vec::new();
    for case in &table {
        let name = case["name"].as_str().unwrap();
        let input = match case["input"].as_str() {
            Some(s) => s.as_bytes().to_vec(),
            None => base64(case["input_base64"].as_str().unwrap()),
        };
        let result = parse(&input, Format::PrometheusText);
        let verdict = match (&case["expected"], &result) {
            (Value::Array(want), Ok(got)) => compare(got, want),
            (Value::Array(_), Err(e)) => Err(format!("unexpected error {e}")),
            // Valid under UTF-8 names, which this parser supports.
            (Value::String(s), Ok(_)) if s == "error_only_with_legacy_names" => Ok(()),
            (Value::String(s), Err(e)) if s == "error_only_with_legacy_names" => {
                Err(format!("valid with UTF-8 names, got {e}"))
            }
            (Value::String(_), Err(e)) => {
                // Upstream prefixes read "text format parsing error in line N: …".
                let prefix = case["error_prefix"].as_str().unwrap();
                let want_line = prefix
                    .split("line ")
                    .nth(1)
                    .and_then(|r| r.split(':').next());
                if want_line == Some(e.line.to_string().as_str()) {
                    Ok(())
                } else {
                    Err(format!("error on the wrong line: {e} (want {prefix})"))
                }
            }
            (Value::String(_), Ok(got)) => {
                Err(format!("expected an error, parsed {} samples", got.len()))
            }
            (other, _) => Err(format!("unknown expectation {other}")),
        };
        if let Err(why) = verdict {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert_eq!(table.len(), 66);
    println!(
        "prometheus-text table: {} passed, {} failed",
        table.len() - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
