//! Where secretops keeps its own files: the user's config, data and state directories.
//!
//! Everything goes through the `directories` crate so that `XDG_*` variables are honoured; the
//! tests rely on that to give every run a private home.

use std::path::PathBuf;

use directories::BaseDirs;

/// The folder name used under each base directory.
const APP: &str = "secretops";

fn base() -> Option<BaseDirs> {
    BaseDirs::new()
}

/// `secretops/` under the user's config directory (user inventory, themes, keymap).
pub fn config_dir() -> Option<PathBuf> {
    base().map(|b| b.config_dir().join(APP))
}

/// `secretops/` under the user's data directory (the default fingerprint key).
pub fn data_dir() -> Option<PathBuf> {
    base().map(|b| b.data_dir().join(APP))
}

/// `secretops/` under the user's state directory (log file, audit log).
///
/// Not every platform has a state directory; the local data directory stands in.
pub fn state_dir() -> Option<PathBuf> {
    base().map(|b| {
        b.state_dir()
            .unwrap_or_else(|| b.data_local_dir())
            .join(APP)
    })
}
