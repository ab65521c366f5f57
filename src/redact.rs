//! Redaction of text secretops did not write itself: the output of a restart command, the body
//! of an HTTP answer. Such text may echo the secret (a script that prints its environment, a
//! debug endpoint), so before it is shown or recorded every known value is replaced by its
//! fingerprint, in the raw form and in the hex and base64 forms a tool may print it in.

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::fingerprint::{Fingerprint, FingerprintKey};

/// Every known secret value, each with its fingerprint, ready to scrub text.
#[derive(Default)]
pub struct Redactor {
    /// (form, replacement), longest form first so a value inside a longer one is caught whole.
    forms: Vec<(Zeroizing<String>, String)>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value: it, its hex and its base64 forms will be replaced by its fingerprint.
    pub fn add(&mut self, value: &SecretString, key: &FingerprintKey) {
        let text = value.expose_secret();
        if text.is_empty() {
            return;
        }
        let fingerprint = key.fingerprint(value);
        self.add_forms(text, &fingerprint);
    }

    fn add_forms(&mut self, text: &str, fingerprint: &Fingerprint) {
        let replacement = format!("[secret {fingerprint}]");
        let b64 = Zeroizing::new(base64(text.as_bytes()));
        let candidates = [
            Zeroizing::new(text.to_string()),
            Zeroizing::new(hex::encode(text)),
            Zeroizing::new(hex::encode_upper(text)),
            Zeroizing::new(b64.trim_end_matches('=').to_string()),
            b64,
        ];
        for form in candidates {
            if !form.is_empty() && !self.forms.iter().any(|(f, _)| **f == *form) {
                self.forms.push((form, replacement.clone()));
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.0.len()));
    }

    /// How many values (in all their forms) are known.
    pub fn len(&self) -> usize {
        self.forms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// Replaces every known value in `text` by `[secret FINGERPRINT]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (form, replacement) in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), replacement);
            }
        }
        out
    }

    /// Redacts, then makes the text safe for a terminal: control characters dropped, cut to
    /// `max` characters. Redaction comes first so a cut can never leave half a value behind.
    pub fn view(&self, text: &str, max: usize) -> String {
        crate::view_text(&self.redact(text), max)
    }
}

/// Standard base64 with padding; a dependency would be more than this needs.
fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FingerprintKey {
        FingerprintKey::from_bytes(b"k".to_vec(), std::path::PathBuf::new()).expect("key")
    }

    #[test]
    fn every_form_is_replaced() {
        let mut r = Redactor::new();
        let value = SecretString::from("hunter2-long-value");
        r.add(&value, &key());
        let fp = key().fingerprint(&value);
        let text = format!(
            "raw hunter2-long-value hex {} b64 {}",
            hex::encode("hunter2-long-value"),
            base64(b"hunter2-long-value")
        );
        let out = r.redact(&text);
        assert!(!out.contains("hunter2"));
        assert!(!out.contains(&hex::encode("hunter2-long-value")));
        assert_eq!(out.matches(&format!("[secret {fp}]")).count(), 3);
    }

    #[test]
    fn base64_known_answers() {
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
