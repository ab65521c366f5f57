//! Behaviour the peer cases do not pin down: line endings, BOM, duplicates, bare keys,
//! required-variable errors and the rule that no error or `Debug` output leaks a value.

use std::collections::HashMap;

use secrecy::ExposeSecret;
use secretops::dotenv::{Assignment, Dialect, parse, parse_after, parse_python_bindings};
use secretops::interpolate::interpolate;

fn no_env(_: &str) -> Option<String> {
    None
}

fn env_with(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    }
}

/// (key, value, line) triples, values exposed.
fn triples(a: &[Assignment]) -> Vec<(String, Option<String>, usize)> {
    a.iter()
        .map(|a| {
            (
                a.key.clone(),
                a.value.as_ref().map(|v| v.expose_secret().to_owned()),
                a.line,
            )
        })
        .collect()
}

fn t(k: &str, v: Option<&str>, line: usize) -> (String, Option<String>, usize) {
    (k.to_owned(), v.map(str::to_owned), line)
}

#[test]
fn crlf_files() {
    let text = "A=1\r\nB=\"two\"\r\n# note\r\nC='three' \r\nD=x #c\r\n";
    for dialect in [Dialect::Compose, Dialect::PythonDotenv] {
        let got = triples(&parse(text, dialect, &no_env).unwrap());
        let want = vec![
            t("A", Some("1"), 1),
            t("B", Some("two"), 2),
            t("C", Some("three"), 4),
            t("D", Some("x"), 5),
        ];
        assert_eq!(got, want, "{dialect:?}");
    }
}

#[test]
fn crlf_inside_multiline_quotes() {
    let text = "K=\"a\r\nb\"\r\nL=1\r\n";
    // compose-go keeps the raw bytes inside quotes.
    let compose = triples(&parse(text, Dialect::Compose, &no_env).unwrap());
    assert_eq!(
        compose,
        vec![t("K", Some("a\r\nb"), 1), t("L", Some("1"), 3)]
    );
    // Python's open() translates newlines before python-dotenv sees them.
    let python = triples(&parse(text, Dialect::PythonDotenv, &no_env).unwrap());
    assert_eq!(python, vec![t("K", Some("a\nb"), 1), t("L", Some("1"), 3)]);
    // parse_stream on the raw text keeps them, like a StringIO stream.
    let b = parse_python_bindings(text);
    assert_eq!(b[0].value.as_ref().unwrap().expose_secret(), "a\r\nb");
}

#[test]
fn bom_is_stripped_in_both_dialects() {
    let text = "\u{FEFF}A=1\nB=2";
    for dialect in [Dialect::Compose, Dialect::PythonDotenv] {
        let got = triples(&parse(text, dialect, &no_env).unwrap());
        assert_eq!(
            got,
            vec![t("A", Some("1"), 1), t("B", Some("2"), 2)],
            "{dialect:?}"
        );
    }
    let b = parse_python_bindings(text);
    assert_eq!(&text[b[0].span.clone()], "A=1\n");
    // Only a leading BOM is special.
    let err = parse("A=1\n\u{FEFF}B=2", Dialect::Compose, &no_env).unwrap_err();
    assert_eq!(err.line, 2);
}

#[test]
fn duplicate_keys_are_all_returned_in_order() {
    let text = "# header\nTOKEN=old\nOTHER=x\n\nTOKEN=new\n";
    for dialect in [Dialect::Compose, Dialect::PythonDotenv] {
        let got = triples(&parse(text, dialect, &no_env).unwrap());
        let want = vec![
            t("TOKEN", Some("old"), 2),
            t("OTHER", Some("x"), 3),
            t("TOKEN", Some("new"), 5),
        ];
        assert_eq!(got, want, "{dialect:?}");
    }
}

#[test]
fn interpolation_sees_the_latest_duplicate() {
    let text = "A=1\nA=2\nB=${A}";
    for dialect in [Dialect::Compose, Dialect::PythonDotenv] {
        let got = triples(&parse(text, dialect, &no_env).unwrap());
        assert_eq!(got[2], t("B", Some("2"), 3), "{dialect:?}");
    }
}

#[test]
fn bare_keys() {
    let env = env_with(&[("FROM_ENV", "v")]);
    let text = "FROM_ENV\nMISSING\nX=1\n";
    let compose = parse(text, Dialect::Compose, &env).unwrap();
    assert_eq!(
        triples(&compose),
        vec![
            t("FROM_ENV", Some("v"), 1),
            t("MISSING", None, 2),
            t("X", Some("1"), 3)
        ]
    );
    assert!(compose[0].inherited && compose[1].inherited && !compose[2].inherited);
    // python-dotenv never consults the environment for a bare key: its value is None.
    let python = parse(text, Dialect::PythonDotenv, &env).unwrap();
    assert_eq!(
        triples(&python),
        vec![
            t("FROM_ENV", None, 1),
            t("MISSING", None, 2),
            t("X", Some("1"), 3)
        ]
    );
    // ... and a bare key defined earlier resolves to "" in python-dotenv interpolation.
    let python = parse(
        "K\nY=${K:-d}",
        Dialect::PythonDotenv,
        &env_with(&[("K", "env")]),
    )
    .unwrap();
    assert_eq!(triples(&python)[1], t("Y", Some(""), 2));
}

#[test]
fn compose_bare_key_at_eof_without_newline_is_upstreams_empty_key() {
    // compose-go finds no key terminator and reads the text as the value of "".
    let got = triples(&parse("A=1\nLAST", Dialect::Compose, &no_env).unwrap());
    assert_eq!(got, vec![t("A", Some("1"), 1), t("", Some("LAST"), 2)]);
}

#[test]
fn required_variable_error_text() {
    let e = interpolate("x${VAR:?msg}", &no_env).unwrap_err();
    assert_eq!(
        e.to_string(),
        "required variable VAR is missing a value: msg"
    );
    let e = interpolate("${VAR?}", &no_env).unwrap_err();
    assert_eq!(e.to_string(), "required variable VAR is missing a value");
    // In a .env file the reason is left out: it is part of the value text.
    let e = parse("A=1\nB=\"${VAR:?msg}\"", Dialect::Compose, &no_env).unwrap_err();
    assert_eq!((e.line, e.column), (2, 4));
    assert_eq!(
        e.message,
        "required variable VAR is missing a value (needed by key \"B\")"
    );
    assert!(
        e.to_string()
            .starts_with("line 2: required variable VAR is missing a value")
    );
}

#[test]
fn compose_lookup_beats_file_and_python_file_beats_lookup() {
    let env = env_with(&[("A", "env")]);
    let text = "A=file\nB=${A}";
    let compose = triples(&parse(text, Dialect::Compose, &env).unwrap());
    assert_eq!(compose[1], t("B", Some("env"), 2));
    let python = triples(&parse(text, Dialect::PythonDotenv, &env).unwrap());
    assert_eq!(python[1], t("B", Some("file"), 2));
}

#[test]
fn parse_after_shadows_earlier_files() {
    let first = parse("H=one\nU=${H}", Dialect::Compose, &no_env).unwrap();
    let second = parse_after("X=${H}\nH=two\nY=${H}", Dialect::Compose, &no_env, &first).unwrap();
    let got = triples(&second);
    assert_eq!(got[0], t("X", Some("one"), 1));
    assert_eq!(got[2], t("Y", Some("two"), 3));
}

#[test]
fn python_skipped_lines_are_reported() {
    let b = parse_python_bindings("ok=1\nnot valid\n\n  'broken\nlast=2\n");
    let errors: Vec<(usize, usize)> = b
        .iter()
        .filter(|b| b.error)
        .map(|b| (b.line, b.statement_line))
        .collect();
    assert_eq!(errors, vec![(2, 2), (3, 4)]);
    let values: HashMap<_, _> = parse("ok=1\nnot valid\nlast=2", Dialect::PythonDotenv, &no_env)
        .unwrap()
        .into_iter()
        .map(|a| (a.key, a.value.map(|v| v.expose_secret().to_owned())))
        .collect();
    assert_eq!(values.len(), 2);
}

const SECRET: &str = "s3cr3tPASSw0rd";

#[test]
fn errors_and_debug_never_contain_values() {
    let bad_files = [
        format!("A=\"{SECRET}"),
        format!("A='{SECRET}"),
        format!("A={SECRET}${{"),
        format!("A=\"{SECRET}${{x!}}\""),
        format!("A=${{X:?{SECRET}}}"),
        format!("A=${{X:?${{B}}}}\nB={SECRET}"),
        format!("{SECRET} {SECRET}=1"),
        format!("OK=1\n{SECRET}%=1"),
        format!("export {SECRET}$"),
    ];
    for text in &bad_files {
        let e = parse(text, Dialect::Compose, &env_with(&[("B", SECRET)])).unwrap_err();
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(!shown.contains("s3cr"), "{shown}");
        }
    }
    let e = interpolate(&format!("{SECRET}${{ {SECRET}}}"), &no_env).unwrap_err();
    assert!(!e.to_string().contains(SECRET) && !format!("{e:?}").contains(SECRET));

    let good = format!("A={SECRET}\nB=\"{SECRET}\"\nC");
    for dialect in [Dialect::Compose, Dialect::PythonDotenv] {
        let a = parse(&good, dialect, &env_with(&[("C", SECRET)])).unwrap();
        assert!(!format!("{a:?}").contains(SECRET), "{dialect:?}");
    }
    let b = parse_python_bindings(&format!("{good}\nbroken {SECRET}"));
    assert!(!format!("{b:?}").contains(SECRET));
}
