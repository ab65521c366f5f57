//! `gcp-secret-manager` sources: the value, its version, state, creation time and checksum,
//! and the last versions with their fingerprints, through the official client.

use std::collections::BTreeMap;
use std::time::Duration;

use super::gcp::{Accessed, Client, GcpConfig, VersionState};
use super::{Origin, Reading, SourceError, VersionEntry};

/// How many versions the environment view lists.
pub const VERSIONS_SHOWN: usize = 10;

/// Everything a `gcp-secret-manager` source says, as written in the inventory.
pub struct Spec<'a> {
    pub project: &'a str,
    pub secret: &'a str,
    pub version: &'a str,
    pub endpoint: Option<&'a str>,
    pub anonymous: bool,
    pub timeout: Duration,
    pub related_secrets: &'a BTreeMap<String, String>,
}

impl Spec<'_> {
    pub fn config(&self, secret: &str) -> GcpConfig {
        GcpConfig {
            project: self.project.to_string(),
            secret: secret.to_string(),
            version: self.version.to_string(),
            endpoint: self.endpoint.map(str::to_string),
            anonymous: self.anonymous,
            timeout: self.timeout,
        }
    }
}

fn error(e: &super::gcp::GcpError) -> SourceError {
    SourceError::new(format!("Secret Manager: {e}"))
}

pub(super) async fn read(spec: &Spec<'_>) -> Result<Reading, SourceError> {
    let config = spec.config(spec.secret);
    let client = Client::new(&config).await.map_err(|e| error(&e))?;
    let accessed = client.access().await.map_err(|e| error(&e))?;

    // The last versions with their fingerprints: "which version did it have yesterday".
    let mut versions = Vec::new();
    if let Ok(list) = client.list_versions(VERSIONS_SHOWN).await {
        for info in list {
            let value = if info.state == VersionState::Enabled {
                client
                    .access_version(&info.number.to_string())
                    .await
                    .ok()
                    .map(|a| a.value)
            } else {
                None
            };
            versions.push(VersionEntry {
                number: info.number,
                state: info.state.as_str().to_string(),
                create_time: info.create_time,
                value,
            });
        }
    }

    let mut related = Vec::new();
    for (name, secret) in spec.related_secrets {
        let mut cfg = spec.config(secret);
        cfg.version = "latest".into();
        if let Ok(c) = Client::new(&cfg).await
            && let Ok(a) = c.access().await
        {
            related.push((name.clone(), a.value));
        }
    }

    let Accessed {
        value,
        version: v,
        crc32c_matched,
    } = accessed;
    let crc = match crc32c_matched {
        Some(true) => ", CRC32C ok",
        Some(false) => ", CRC32C MISMATCH",
        None => ", no CRC32C sent",
    };
    let detail = format!(
        "version {} {}{}{crc}",
        v.number,
        v.state.as_str(),
        v.create_time
            .as_deref()
            .map(|t| format!(", created {t}"))
            .unwrap_or_default(),
    );
    Ok(Reading {
        value: Some(value),
        origin: Origin::label(format!("{}/versions/{}", config.secret_name(), v.number)),
        related,
        duplicate_lines: Vec::new(),
        detail: Some(detail),
        versions,
    })
}
