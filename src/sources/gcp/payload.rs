//! Payload bytes: checksums, UTF-8 and wiping.
//!
//! Why this is careful: the client hands us the value as `bytes::Bytes`, which cannot be zeroized
//! while shared. Every copy made here is either wiped or moved straight into a `SecretString`.
//! Copies inside the HTTP stack (the raw response, the serialized request) are out of reach.

use bytes::Bytes;
use secrecy::SecretString;
use zeroize::{Zeroize, Zeroizing};

/// Secret Manager rejects payloads above 64 KiB; checking first saves a round trip and gives a
/// clearer message than the API's `INVALID_ARGUMENT`.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// CRC-32C (Castagnoli) of `data`, the checksum Secret Manager stores as `dataCrc32c`.
#[must_use]
pub fn crc32c_of(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// Why a payload was refused. Carries no bytes, so it can be formatted anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadProblem {
    /// The server's `dataCrc32c` does not match the bytes received.
    CrcMismatch,
    /// The bytes are not UTF-8 (a binary secret); this console only handles text.
    NotUtf8,
}

/// Checks the checksum and UTF-8, wipes every intermediate copy, and returns the value.
/// Returns whether a checksum was present and matched (`None`: the server sent none).
pub(crate) fn into_secret(
    data: Bytes,
    crc: Option<i64>,
) -> Result<(SecretString, Option<bool>), PayloadProblem> {
    // Copy into a buffer of exactly `len` bytes so `String::into_boxed_str` (inside
    // `SecretString::from`) does not reallocate and leave an unwiped copy behind.
    let mut exact = Zeroizing::new(Vec::with_capacity(data.len()));
    exact.extend_from_slice(&data);
    wipe_bytes(data);

    let matched = match crc {
        None => None,
        // The API sends an int64 holding an unsigned 32-bit value; compare in i64 so a
        // negative or oversized number counts as a mismatch instead of wrapping.
        Some(sent) if sent == i64::from(crc32c_of(&exact)) => Some(true),
        Some(_) => return Err(PayloadProblem::CrcMismatch),
    };
    if std::str::from_utf8(&exact).is_err() {
        return Err(PayloadProblem::NotUtf8);
    }
    let bytes = std::mem::take(&mut *exact);
    match String::from_utf8(bytes) {
        Ok(text) => Ok((SecretString::from(text), matched)),
        // Unreachable after the check above, but wipe rather than panic if it ever happens.
        Err(e) => {
            let mut bytes = e.into_bytes();
            bytes.zeroize();
            Err(PayloadProblem::NotUtf8)
        }
    }
}

/// Wipes `data` when this is its only owner (the usual case: the client decodes base64 into
/// a fresh buffer). A shared buffer cannot be written, so it is simply dropped.
pub(crate) fn wipe_bytes(data: Bytes) {
    if let Ok(mut owned) = data.try_into_mut() {
        owned.as_mut().zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn crc32c_known_answer() {
        // RFC 3720 (iSCSI) check value for "123456789".
        assert_eq!(crc32c_of(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn checks_crc_and_utf8() {
        let crc = i64::from(crc32c_of(b"hunter2"));
        let (value, matched) = into_secret(Bytes::from_static(b"hunter2"), Some(crc)).unwrap();
        assert_eq!(value.expose_secret(), "hunter2");
        assert_eq!(matched, Some(true));
        let (_, matched) = into_secret(Bytes::from_static(b"x"), None).unwrap();
        assert_eq!(matched, None);
        let bad = into_secret(Bytes::from_static(b"hunter2"), Some(crc + 1));
        assert_eq!(bad.err(), Some(PayloadProblem::CrcMismatch));
        let bad = into_secret(Bytes::from_static(&[0xff, 0xfe]), None);
        assert_eq!(bad.err(), Some(PayloadProblem::NotUtf8));
        let bad = into_secret(Bytes::from_static(b"x"), Some(-1));
        assert_eq!(bad.err(), Some(PayloadProblem::CrcMismatch));
    }
}
