//! The `OpenMetrics` conformance suite (tests/fixtures/peer/openmetrics): each
//! case must parse if and only if its `test.json` says `shouldParse`.

// Values written in the fixtures are exactly representable.
#![allow(clippy::float_cmp)]

use std::fs;
use std::path::Path;

use secretops::live::exposition::{Format, parse};

#[test]
fn openmetrics_conformance_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peer/openmetrics");
    let mut cases: Vec<_> = fs::read_dir(&root)
        .expect("fixture folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let test: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join("test.json")).unwrap()).unwrap();
        assert_eq!(test["type"], "text", "{name}");
        let should_parse = test["shouldParse"].as_bool().expect("shouldParse");
        let input = fs::read(dir.join(test["file"].as_str().unwrap())).unwrap();
        let result = parse(&input, Format::OpenMetrics);
        if result.is_ok() != should_parse {
            failures.push(format!(
                "{name}: shouldParse={should_parse}, got {result:?}"
            ));
        }
        if let Err(e) = &result {
            assert!(e.to_string().starts_with(&format!("line {}: ", e.line)));
        }
    }
    assert_eq!(cases.len(), 211, "the suite has 211 cases");
    println!(
        "openmetrics suite: {} passed, {} failed",
        cases.len() - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn openmetrics_values_and_timestamps() {
    let input = b"# TYPE a counter\n# UNIT a \na_total{x=\"b\\\"c\\z\"} 3 1.5 # {t=\"1\"} 2\na_created 1.7e9\n# EOF";
    let s = parse(input, Format::OpenMetrics).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].name, "a_total");
    assert_eq!(s[0].labels, vec![("x".to_string(), "b\"c\\z".to_string())]);
    assert_eq!(s[0].value, 3.0);
    assert_eq!(s[0].timestamp_ms, Some(1500));
    assert_eq!(s[1].value, 1.7e9);
    assert_eq!(s[1].timestamp_ms, None);
}

#[test]
fn huge_openmetrics_timestamp_saturates() {
    let input = b"a 1 12345678901234567890.1234567890\n# EOF\n";
    let s = parse(input, Format::OpenMetrics).unwrap();
    assert_eq!(s[0].timestamp_ms, Some(i64::MAX));
}
