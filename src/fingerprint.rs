//! Keyed fingerprints: how secretops tells values apart without ever showing one.
//!
//! A plain hash of a low-entropy secret can be reversed by brute force from a screenshot, so the
//! fingerprint is an HMAC-SHA256 keyed with a team-shared key, cut to 12 hex digits: enough to
//! tell copies apart at a glance, useless without the key.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;

/// Number of hex digits shown for a fingerprint.
pub const FINGERPRINT_HEX_LEN: usize = 12;

/// The HMAC key. Kept in a secret box: it is as sensitive as the values it protects.
pub struct FingerprintKey {
    bytes: SecretBox<Vec<u8>>,
    /// Where the key came from, for messages.
    pub path: PathBuf,
}

/// The first 12 hex digits of the HMAC of a value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The full 12-digit form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first `n` digits, for narrow cells.
    pub fn short(&self, n: usize) -> &str {
        &self.0[..n.min(self.0.len())]
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "cannot read fingerprint key {path}: {source}; check the path in [fingerprint] key_file"
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("fingerprint key {path} is empty; put at least 16 random bytes in it")]
    Empty { path: PathBuf },
    #[error("cannot create fingerprint key {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no data directory for the default fingerprint key; set [fingerprint] key_file")]
    NoDataDir,
}

impl FingerprintKey {
    /// Builds a key from raw bytes (the file's content with one trailing newline removed).
    pub fn from_bytes(mut bytes: Vec<u8>, path: PathBuf) -> Result<Self, KeyError> {
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        if bytes.is_empty() {
            return Err(KeyError::Empty { path });
        }
        Ok(Self {
            bytes: SecretBox::new(Box::new(bytes)),
            path,
        })
    }

    /// Reads the key file named in the inventory.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let bytes = crate::read_small_file(path).map_err(|e| KeyError::Read {
            path: path.to_path_buf(),
            source: match e {
                crate::SmallFileError::Io(io) => io,
                other => std::io::Error::other(other.to_string()),
            },
        })?;
        Self::from_bytes(bytes, path.to_path_buf())
    }

    /// Reads `secretops/fingerprint.key` in the data directory, creating it on first use.
    ///
    /// Returns whether it was created, so the caller can say so once.
    pub fn default_key() -> Result<(Self, bool), KeyError> {
        let dir = crate::paths::data_dir().ok_or(KeyError::NoDataDir)?;
        let path = dir.join("fingerprint.key");
        if path.exists() {
            return Ok((Self::from_file(&path)?, false));
        }
        let create = |source| KeyError::Create {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(&dir).map_err(create)?;
        let mut raw = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(raw.as_mut_slice())
            .map_err(|e| create(std::io::Error::other(e.to_string())))?;
        let hex = zeroize::Zeroizing::new(hex::encode(raw.as_slice()));
        write_private(&path, hex.as_bytes()).map_err(create)?;
        Ok((
            Self::from_bytes(hex.as_bytes().to_vec(), path.clone())?,
            true,
        ))
    }

    /// Fingerprints a value's bytes exactly as the service receives them.
    pub fn fingerprint(&self, value: &SecretString) -> Fingerprint {
        self.fingerprint_bytes(value.expose_secret().as_bytes())
    }

    /// Fingerprints raw bytes (used by `secretops fingerprint`).
    pub fn fingerprint_bytes(&self, value: &[u8]) -> Fingerprint {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.bytes.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(value);
        let digest = mac.finalize().into_bytes();
        let mut hex = hex::encode(digest);
        hex.truncate(FINGERPRINT_HEX_LEN);
        Fingerprint(hex)
    }
}

/// Creates a file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_newline_is_not_part_of_the_key() {
        let a = FingerprintKey::from_bytes(b"k\n".to_vec(), PathBuf::new()).expect("key");
        let b = FingerprintKey::from_bytes(b"k".to_vec(), PathBuf::new()).expect("key");
        let c = FingerprintKey::from_bytes(b"k\n\n".to_vec(), PathBuf::new()).expect("key");
        assert_eq!(a.fingerprint_bytes(b"v"), b.fingerprint_bytes(b"v"));
        assert_ne!(a.fingerprint_bytes(b"v"), c.fingerprint_bytes(b"v"));
    }

    #[test]
    fn known_answer() {
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        let key = FingerprintKey::from_bytes(b"Jefe".to_vec(), PathBuf::new()).expect("key");
        let fp = key.fingerprint_bytes(b"what do ya want for nothing?");
        assert_eq!(fp.as_str(), "5bdcc146bf60");
    }

    #[test]
    fn empty_key_is_refused() {
        assert!(matches!(
            FingerprintKey::from_bytes(b"\n".to_vec(), PathBuf::new()),
            Err(KeyError::Empty { .. })
        ));
    }
}
