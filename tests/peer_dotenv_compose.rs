//! compose-go `dotenv` peer cases (`tests/fixtures/peer/dotenv-compose`), interpreted as the
//! folder's README says: `environ` counts only for the lookup APIs, `Read*` drop keys that begin
//! with a digit, `inputs` are merged in order, `exact` decides equality versus subset.

#[path = "peer/mod.rs"]
mod common;

use std::collections::HashMap;

use secrecy::ExposeSecret;
use secretops::dotenv::{Assignment, Dialect, parse_after};
use serde_json::Value;

fn inputs(case: &Value) -> Vec<String> {
    if let Some(file) = case["file"].as_str() {
        let path = common::fixture_dir("dotenv-compose").join(file);
        vec![std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))]
    } else if let Some(input) = case["input"].as_str() {
        vec![input.to_owned()]
    } else {
        case["inputs"]
            .as_array()
            .expect("file, input or inputs")
            .iter()
            .map(|v| v.as_str().expect("string input").to_owned())
            .collect()
    }
}

/// Folds assignments into compose's map: last one wins, an unresolved bare key (None) is absent.
fn to_map(assignments: &[Assignment], drop_digit_keys: bool) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for a in assignments {
        // Go: regexp `^\s*\d.*` on the key.
        if drop_digit_keys
            && a.key
                .trim_start_matches([' ', '\t', '\n', '\r', '\u{C}'])
                .starts_with(|c: char| c.is_ascii_digit())
        {
            continue;
        }
        if let Some(v) = &a.value {
            map.insert(a.key.clone(), v.expose_secret().to_owned());
        }
    }
    map
}

/// Upstream's "unexpected character" message ends by quoting the whole line, which may hold a
/// value; ours deliberately stops after "in variable name", so compare that stable prefix.
fn expected_substring(want: &str) -> &str {
    const CUT: &str = " in variable name";
    match want.find(CUT) {
        Some(p) => &want[..p + CUT.len()],
        None => want,
    }
}

#[test]
fn dotenv_compose_peer_cases() {
    let cases = common::load_cases("dotenv-compose", "cases.json");
    let mut failures = Vec::new();
    for case in &cases {
        let name = common::name(case);
        let api = case["api"].as_str().unwrap_or("Parse");
        let with_lookup = matches!(api, "ParseWithLookup" | "ReadWithLookup" | "GetEnvFromFile");
        let environ = if with_lookup {
            common::string_map(&case["environ"])
        } else {
            HashMap::new()
        };
        let lookup = common::lookup_from(environ);

        let mut all: Vec<Assignment> = Vec::new();
        let mut result = Ok(());
        for text in inputs(case) {
            match parse_after(&text, Dialect::Compose, &lookup, &all) {
                Ok(mut a) => all.append(&mut a),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }

        if case["error"].as_bool() == Some(true) {
            match result {
                Ok(()) => failures.push(format!("{name}: expected an error, parse succeeded")),
                Err(e) => {
                    let msg = e.to_string();
                    if let Some(want) = case["error_contains"].as_str().map(expected_substring)
                        && !msg.contains(want)
                    {
                        failures.push(format!("{name}: message {msg:?} lacks {want:?}"));
                    }
                }
            }
            continue;
        }
        if let Err(e) = result {
            failures.push(format!("{name}: unexpected error {e}"));
            continue;
        }
        let got = to_map(&all, matches!(api, "Read" | "ReadWithLookup"));
        let want = common::string_map(&case["expected"]);
        if case["exact"].as_bool() == Some(true) {
            if got != want {
                failures.push(format!(
                    "{name}: got {:?}, want {:?}",
                    common::sorted(&got),
                    common::sorted(&want)
                ));
            }
        } else {
            for (k, v) in &want {
                if got.get(k) != Some(v) {
                    failures.push(format!("{name}: key {k:?} is {:?}, want {v:?}", got.get(k)));
                }
            }
        }
    }
    common::report("dotenv-compose", cases.len(), &failures);
}
