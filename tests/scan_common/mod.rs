//! Shared by the scan tests: the fixture's options and a test fingerprint.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;

use secrecy::ExposeSecret;
use secretops::scan::{ScanOptions, SecretString};

pub fn fixture_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scan-platform")
}

/// The fixture scanned for both variables, with the services a platform team would map.
pub fn fixture_options() -> ScanOptions {
    let services: BTreeMap<String, String> = [
        ("deploy", "platform-ops"),
        ("deploy/helm/platform", "analytics"),
        ("deploy/k8s/production/auth-service.yaml", "auth-service"),
        ("deploy/k8s/production/backend.yaml", "backend"),
        (".github", "ci"),
    ]
    .into_iter()
    .map(|(p, s)| (p.to_string(), s.to_string()))
    .collect();
    ScanOptions {
        root: fixture_root(),
        vars: vec!["SERVICE_SECRET".to_string(), "JWT_SECRET_KEY".to_string()],
        services,
    }
}

/// The copy of the handed `platform` case, scanned for its secret and the related JWT key.
pub fn handed_options() -> ScanOptions {
    ScanOptions {
        root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/handed/platform"),
        vars: vec!["SERVICE_SECRET".into(), "JWT_SECRET_KEY".into()],
        services: BTreeMap::new(),
    }
}

/// A stand-in for the real HMAC fingerprint: stable, and shows nothing of the value.
pub fn fingerprint(value: &SecretString) -> String {
    let mut h = DefaultHasher::new();
    value.expose_secret().hash(&mut h);
    format!("fp-{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// A folder under the system temp dir, removed on drop. Not inside any git repository, so it
/// also checks that `.gitignore` is honoured without one.
pub struct TempTree {
    pub root: PathBuf,
}

impl TempTree {
    pub fn new(name: &str) -> Self {
        let root =
            std::env::temp_dir().join(format!("secretops-scan-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("create temp tree");
        Self { root }
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create folder");
        }
        std::fs::write(path, content).expect("write file");
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
