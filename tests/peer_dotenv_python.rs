//! python-dotenv peer cases (`tests/fixtures/peer/dotenv-python`): `parse_stream` bindings and
//! `dotenv_values` with and without interpolation.

#[path = "peer/mod.rs"]
mod common;

use std::collections::HashMap;

use secrecy::ExposeSecret;
use secretops::dotenv::{Dialect, parse, parse_python_bindings};
use serde_json::Value;

#[test]
fn parse_stream_peer_cases() {
    let cases = common::load_cases("dotenv-python", "cases.json");
    let mut failures = Vec::new();
    for case in &cases {
        let name = common::name(case);
        let input = case["input"].as_str().expect("input");
        let got = parse_python_bindings(input);
        let want = case["bindings"].as_array().expect("bindings");
        if got.len() != want.len() {
            failures.push(format!(
                "{name}: {} bindings, want {}",
                got.len(),
                want.len()
            ));
            continue;
        }
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let value = g.value.as_ref().map(|v| v.expose_secret().to_owned());
            let original = &input[g.span.clone()];
            let checks = [
                (
                    "key",
                    g.key.as_deref() == w["key"].as_str(),
                    format!("{:?}", g.key),
                ),
                (
                    "value",
                    value.as_deref() == w["value"].as_str(),
                    format!("{value:?}"),
                ),
                (
                    "error",
                    Some(g.error) == w["error"].as_bool(),
                    g.error.to_string(),
                ),
                (
                    "original.string",
                    Some(original) == w["original"]["string"].as_str(),
                    format!("{original:?}"),
                ),
                (
                    "original.line",
                    Some(g.line as u64) == w["original"]["line"].as_u64(),
                    g.line.to_string(),
                ),
            ];
            for (field, ok, shown) in checks {
                if !ok {
                    failures.push(format!(
                        "{name}[{i}].{field}: got {shown}, want {}",
                        w[field.split('.').next().unwrap_or(field)]
                    ));
                }
            }
        }
    }
    common::report("dotenv-python parse_stream", cases.len(), &failures);
}

/// `dotenv_values(stream, interpolate)`. With `interpolate: false` python-dotenv just folds the
/// `parse_stream` bindings into a dict, so those cases go through `parse_python_bindings`.
#[test]
fn dotenv_values_peer_cases() {
    let cases = common::load_cases("dotenv-python", "interpolation.json");
    let mut failures = Vec::new();
    for case in &cases {
        let name = common::name(case);
        let input = case["input"].as_str().expect("input");
        let lookup = common::lookup_from(common::string_map(&case["environ"]));
        let mut got: HashMap<String, Option<String>> = HashMap::new();
        if case["interpolate"].as_bool() == Some(true) {
            for a in
                parse(input, Dialect::PythonDotenv, &lookup).expect("python dialect never fails")
            {
                got.insert(a.key, a.value.map(|v| v.expose_secret().to_owned()));
            }
        } else {
            for b in parse_python_bindings(input) {
                if let Some(k) = b.key {
                    got.insert(k, b.value.map(|v| v.expose_secret().to_owned()));
                }
            }
        }
        let want: HashMap<String, Option<String>> = case["expected"]
            .as_object()
            .expect("expected map")
            .iter()
            .map(|(k, v): (&String, &Value)| (k.clone(), v.as_str().map(str::to_owned)))
            .collect();
        if got != want {
            failures.push(format!(
                "{name}: got {:?}, want {:?}",
                common::sorted(&got),
                common::sorted(&want)
            ));
        }
    }
    common::report("dotenv-python dotenv_values", cases.len(), &failures);
}
