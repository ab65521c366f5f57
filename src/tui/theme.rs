//! Themes: semantic styles (ok, warning, critical, …) read from TOML, never colours at call
//! sites. Built-ins are compiled in from the top-level `themes/` folder; users add their own in
//! `secretops/themes/` in their config directory.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The themes shipped with secretops, as (name, TOML source).
pub const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

/// The theme used when none is chosen.
pub const DEFAULT_THEME: &str = "dark";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    name: String,
    styles: RawStyles,
    palette: RawPalette,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyles {
    text: RawStyle,
    title: RawStyle,
    muted: RawStyle,
    border: RawStyle,
    ok: RawStyle,
    warning: RawStyle,
    high: RawStyle,
    critical: RawStyle,
    stale: RawStyle,
    selected: RawStyle,
    production: RawStyle,
    header: RawStyle,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPalette {
    fingerprints: Vec<String>,
}

/// Resolved styles for every semantic role.
#[derive(Clone, Debug)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub title: Style,
    pub muted: Style,
    pub border: Style,
    pub ok: Style,
    pub warning: Style,
    pub high: Style,
    pub critical: Style,
    pub stale: Style,
    pub selected: Style,
    pub production: Style,
    pub header: Style,
    /// Colours for fingerprints: equal fingerprints get equal colours.
    pub fingerprints: Vec<Color>,
}

fn color(text: &str, theme: &str) -> Result<Color, String> {
    Color::from_str(text).map_err(|_| format!("theme {theme}: \"{text}\" is not a colour"))
}

fn style(raw: &RawStyle, theme: &str) -> Result<Style, String> {
    let mut s = Style::default();
    if let Some(fg) = &raw.fg {
        s = s.fg(color(fg, theme)?);
    }
    if let Some(bg) = &raw.bg {
        s = s.bg(color(bg, theme)?);
    }
    for m in &raw.modifiers {
        let modifier = match m.as_str() {
            "bold" => Modifier::BOLD,
            "dim" => Modifier::DIM,
            "italic" => Modifier::ITALIC,
            "underlined" => Modifier::UNDERLINED,
            "reversed" => Modifier::REVERSED,
            "crossed-out" => Modifier::CROSSED_OUT,
            other => return Err(format!("theme {theme}: unknown modifier \"{other}\"")),
        };
        s = s.add_modifier(modifier);
    }
    Ok(s)
}

impl Theme {
    /// Parses a theme file's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: RawTheme = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let n = raw.name.clone();
        let st = |r: &RawStyle| style(r, &n);
        let fingerprints = raw
            .palette
            .fingerprints
            .iter()
            .map(|c| color(c, &n))
            .collect::<Result<Vec<_>, _>>()?;
        if fingerprints.is_empty() {
            return Err(format!("theme {n}: palette.fingerprints is empty"));
        }
        Ok(Self {
            text: st(&raw.styles.text)?,
            title: st(&raw.styles.title)?,
            muted: st(&raw.styles.muted)?,
            border: st(&raw.styles.border)?,
            ok: st(&raw.styles.ok)?,
            warning: st(&raw.styles.warning)?,
            high: st(&raw.styles.high)?,
            critical: st(&raw.styles.critical)?,
            stale: st(&raw.styles.stale)?,
            selected: st(&raw.styles.selected)?,
            production: st(&raw.styles.production)?,
            header: st(&raw.styles.header)?,
            fingerprints,
            name: raw.name,
        })
    }

    /// Finds a theme by name: the user's themes folder first, then the built-ins.
    pub fn load(name: &str) -> Result<Self, String> {
        if let Some(dir) = crate::paths::config_dir() {
            let path = dir.join("themes").join(format!("{name}.toml"));
            if path.is_file() {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {}", path.display(), crate::io_reason(&e)))?;
                return Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()));
            }
        }
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = Self::names();
            format!("no theme \"{name}\"; available: {}", names.join(", "))
        })?;
        Self::parse(text)
    }

    /// Names of the built-in themes.
    pub fn names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(n, _)| *n).collect()
    }

    /// The same theme with every colour removed (for `NO_COLOR`): modifiers stay, so the
    /// selection and critical states still stand out.
    #[must_use]
    pub fn without_color(mut self) -> Self {
        let strip = |s: Style| Style {
            fg: None,
            bg: None,
            ..s
        };
        for s in [
            &mut self.text,
            &mut self.title,
            &mut self.muted,
            &mut self.border,
            &mut self.ok,
            &mut self.warning,
            &mut self.high,
            &mut self.critical,
            &mut self.stale,
            &mut self.header,
        ] {
            *s = strip(*s);
        }
        self.selected = Style::default().add_modifier(Modifier::REVERSED);
        self.production = Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED);
        self.fingerprints = vec![Color::Reset];
        self
    }
}

/// Parses every built-in theme (a test and `--theme` help use this).
pub fn built_ins() -> BTreeMap<&'static str, Result<Theme, String>> {
    BUILT_IN
        .iter()
        .map(|(n, t)| (*n, Theme::parse(t)))
        .collect()
}
