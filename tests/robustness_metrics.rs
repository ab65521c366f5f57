//! Hostile input: the parsers must return (Ok or Err), never panic or hang,
//! and errors must not echo more than 40 characters of input. No timing
//! asserts; a hang would simply time the test run out.

use secretops::live::exposition::{
    Format, MAX_LINE_BYTES, MAX_SAMPLES, ParseError, Selector, parse,
};

const FORMATS: [Format; 2] = [Format::PrometheusText, Format::OpenMetrics];

/// Small deterministic xorshift so failures reproduce without a rand dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn assert_short_message(e: &ParseError) {
    // 40 echoed characters, plus quoting/escaping and our own wording.
    assert!(
        e.message.chars().count() < 200,
        "message too long: {}",
        e.message
    );
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Biased towards bytes that matter to the grammars.
    let alphabet = b"ab_:{}=\",# \t\n\\.01eE+-InfNaN\x00\xff\xc3";
    for _ in 0..4000 {
        let len = usize::try_from(rng.next() % 200).unwrap();
        let input: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if r.is_multiple_of(4) {
                    u8::try_from(r >> 8 & 0xff).unwrap()
                } else {
                    alphabet[usize::try_from(r >> 8).unwrap() % alphabet.len()]
                }
            })
            .collect();
        for f in FORMATS {
            if let Err(e) = parse(&input, f) {
                assert_short_message(&e);
            }
        }
        let _ = Selector::parse(&String::from_utf8_lossy(&input));
    }
}

#[test]
fn megabyte_line_is_rejected_with_short_message() {
    let mut line = b"m{a=\"".to_vec();
    line.extend(std::iter::repeat_n(b'x', 1 << 20));
    line.extend_from_slice(b"\"} 1\n# EOF\n");
    for f in FORMATS {
        let e = parse(&line, f).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("longer than"), "{e}");
        assert_short_message(&e);
    }
    // Just under the limit is fine.
    let mut ok = b"m{a=\"".to_vec();
    ok.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES - 10));
    ok.extend_from_slice(b"\"} 1\n# EOF\n");
    for f in FORMATS {
        assert_eq!(parse(&ok, f).unwrap().len(), 1);
    }
}

#[test]
fn long_bad_token_is_not_echoed() {
    let token = "z".repeat(5000);
    for (input, f) in [
        (format!("m {token}\n"), Format::PrometheusText),
        (format!("m {token}\n# EOF\n"), Format::OpenMetrics),
    ] {
        let e = parse(input.as_bytes(), f).unwrap_err();
        assert!(!e.message.contains(&"z".repeat(41)), "{e}");
        assert_short_message(&e);
    }
}

#[test]
fn deeply_repeated_braces() {
    let braces = "{".repeat(60_000);
    for f in FORMATS {
        for input in [
            format!("m{braces} 1\n"),
            format!("{braces}\n"),
            format!("m{{a=\"{braces}\"}} 1\n# EOF\n"),
        ] {
            let r = parse(input.as_bytes(), f);
            if let Err(e) = &r {
                assert_short_message(e);
            }
        }
    }
    assert!(Selector::parse(&braces).is_err());
}

#[test]
fn many_lines_and_sample_cap() {
    let mut body = String::with_capacity(8 * (MAX_SAMPLES + 2));
    for _ in 0..=MAX_SAMPLES {
        body.push_str("a 1\n");
    }
    let e = parse(body.as_bytes(), Format::PrometheusText).unwrap_err();
    assert!(e.message.contains("samples"), "{e}");
    assert_eq!(e.line, MAX_SAMPLES + 1);
}

#[test]
fn nul_and_invalid_utf8() {
    assert!(parse(b"# HELP a x\xffy\na 1\n", Format::PrometheusText).is_ok());
    assert!(parse(b"a{b=\"\xff\"} 1\n", Format::PrometheusText).is_err());
    assert!(parse(b"a 1\n# HELP a \xff\n# EOF\n", Format::OpenMetrics).is_err());
    assert!(parse(b"a\x00 1\n", Format::PrometheusText).is_err());
}

#[test]
fn thousands_of_labels_on_one_line() {
    let labels: Vec<String> = (0..6000).map(|i| format!("l{i}=\"\"")).collect();
    let line = format!("m{{{}}} 1\n", labels.join(","));
    assert!(line.len() < MAX_LINE_BYTES);
    for f in FORMATS {
        let body = format!("{line}# EOF\n");
        assert_eq!(parse(body.as_bytes(), f).unwrap()[0].labels.len(), 6000);
        let dup = format!("m{{{},l0=\"x\"}} 1\n# EOF\n", labels.join(","));
        assert!(
            parse(dup.as_bytes(), f)
                .unwrap_err()
                .message
                .contains("duplicate")
        );
    }
}
