//! Helpers shared by the peer-case test files.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

pub fn fixture_dir(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/peer")
        .join(folder)
}

pub fn load_cases(folder: &str, file: &str) -> Vec<Value> {
    let path = fixture_dir(folder).join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match serde_json::from_str(&text) {
        Ok(Value::Array(cases)) => cases,
        other => panic!("{}: expected a JSON array, got {other:?}", path.display()),
    }
}

pub fn string_map(v: &Value) -> HashMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

pub fn lookup_from(environ: HashMap<String, String>) -> impl Fn(&str) -> Option<String> {
    move |k| environ.get(k).cloned()
}

pub fn name(case: &Value) -> String {
    case["name"].as_str().unwrap_or("<unnamed>").to_owned()
}

/// Panics listing every failure, so one run shows all broken cases.
pub fn report(suite: &str, total: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{suite}: {} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{suite}: all {total} cases passed");
}

pub fn sorted<V: Clone>(m: &HashMap<String, V>) -> BTreeMap<String, V> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}
