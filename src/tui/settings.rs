//! The user's own settings: `secretops/config.toml` in the config directory.
//!
//! ```toml
//! [ui]
//! theme = "light"
//!
//! [keys]
//! quit = ["q", "ctrl-c"]
//! findings = ["F"]
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::inventory::UiSettings;

/// Settings that belong to the person, not the inventory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSettings {
    #[serde(default)]
    pub ui: UiSettings,
    /// Action name → keys, replacing that action's defaults.
    #[serde(default)]
    pub keys: BTreeMap<String, Vec<String>>,
}

impl UserSettings {
    /// Reads the settings file if there is one; a broken file is an error naming the position.
    pub fn load() -> Result<Self, String> {
        let Some(dir) = crate::paths::config_dir() else {
            return Ok(Self::default());
        };
        let path = dir.join("config.toml");
        if !path.is_file() {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: {}", path.display(), crate::io_reason(&e)))?;
        toml::from_str(&text).map_err(|e| {
            let (line, col) = crate::inventory::line_col(&text, e.span().map_or(0, |s| s.start));
            format!("{}:{line}:{col}: {}", path.display(), e.message().trim())
        })
    }
}
