//! Hostile input must never panic, hang or blow the stack. No timing asserts: finishing is the
//! test (every parser here is linear, or bounded by `interpolate::MAX_NESTING`).

use secretops::dotenv::{Dialect, parse, parse_python_bindings};
use secretops::interpolate::interpolate;

fn lookup(k: &str) -> Option<String> {
    k.len().is_multiple_of(2).then(|| "v$x${".to_owned())
}

fn exercise(text: &str) {
    let _ = parse(text, Dialect::Compose, &lookup);
    let _ = parse(text, Dialect::PythonDotenv, &lookup);
    let _ = parse_python_bindings(text);
    let _ = interpolate(text, &lookup);
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

#[test]
fn random_bytes() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..2_000 {
        let len = rng.below(512);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next().to_le_bytes()[0]).collect();
        exercise(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_tokens() {
    const TOKENS: &[&str] = &[
        "A", "b", "=", ":", "'", "\"", "\\", "#", "\n", "\r", "\r\n", " ", "\t", "export ", "$",
        "$$", "{", "}", "${", "${A", ":-", ":?", ":+", "-", "+", "?", "\0", "\u{FEFF}", "\u{A0}",
        "é", "[", "]", "\\0123", "\\$",
    ];
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let n = rng.below(64);
        let text: String = (0..n).map(|_| TOKENS[rng.below(TOKENS.len())]).collect();
        exercise(&text);
    }
}

#[test]
fn pathological_inputs() {
    let mb = 1 << 20;
    let cases = [
        "${".repeat(mb / 2),
        format!("A={}", "${".repeat(mb / 2)),
        format!("A=\"{}\"", "${A:-".repeat(100_000)),
        format!("A={}x{}", "${A:-".repeat(100_000), "}".repeat(100_000)),
        format!("A={}", "${A-x}".repeat(100_000)),
        format!("A=\"{}", "${A:-{".repeat(100_000)),
        "\"".repeat(100_000),
        "'".repeat(100_000),
        "a=\"\n".repeat(100_000),
        "a='\n".repeat(100_000),
        "'a\n".repeat(100_000),
        "a=\\'\n".repeat(100_000),
        format!("a='{}", "\\'".repeat(100_000)),
        "\\".repeat(mb),
        "#".repeat(mb),
        "a".repeat(mb),
        "\0".repeat(mb),
        "export ".repeat(100_000),
        "\n".repeat(mb),
        "\r".repeat(mb),
        "a b\n".repeat(100_000),
        format!("K={}", "$A".repeat(200_000)),
    ];
    for text in &cases {
        exercise(text);
    }
}
