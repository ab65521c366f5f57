//! The keymap: which key triggers which [`Action`].
//!
//! Defaults are built in; the `[keys]` table of the user config (`action = ["key", ...]`)
//! replaces an action's keys. The help screen is generated from the live keymap, so it always
//! tells the truth.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// A key with its modifiers, normalised so `Shift+g` and `G` compare equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// `KeyCode` with an ordering, for stable help output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

impl Key {
    /// Converts a crossterm key event; `None` for keys secretops never binds.
    pub fn from_event(ev: KeyEvent) -> Option<Self> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            KeyCode::F(n) => KeyCodeOrd::F(n),
            _ => return None,
        };
        Some(Self {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// The crossterm event this key stands for (tests send these).
    pub fn to_event(self) -> KeyEvent {
        let code = match self.code {
            KeyCodeOrd::Char(c) => KeyCode::Char(c),
            KeyCodeOrd::Enter => KeyCode::Enter,
            KeyCodeOrd::Esc => KeyCode::Esc,
            KeyCodeOrd::Tab => KeyCode::Tab,
            KeyCodeOrd::BackTab => KeyCode::BackTab,
            KeyCodeOrd::Up => KeyCode::Up,
            KeyCodeOrd::Down => KeyCode::Down,
            KeyCodeOrd::Left => KeyCode::Left,
            KeyCodeOrd::Right => KeyCode::Right,
            KeyCodeOrd::PageUp => KeyCode::PageUp,
            KeyCodeOrd::PageDown => KeyCode::PageDown,
            KeyCodeOrd::Home => KeyCode::Home,
            KeyCodeOrd::End => KeyCode::End,
            KeyCodeOrd::F(n) => KeyCode::F(n),
        };
        let mut mods = KeyModifiers::NONE;
        if self.ctrl {
            mods |= KeyModifiers::CONTROL;
        }
        if self.alt {
            mods |= KeyModifiers::ALT;
        }
        KeyEvent::new(code, mods)
    }

    /// Parses `q`, `?`, `enter`, `ctrl-c`, `alt-x`, `f1`, `space`, `pgdn` …
    pub fn parse(text: &str) -> Option<Self> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        loop {
            if let Some(r) = rest
                .strip_prefix("ctrl-")
                .or_else(|| rest.strip_prefix("ctrl+"))
            {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest
                .strip_prefix("alt-")
                .or_else(|| rest.strip_prefix("alt+"))
            {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCodeOrd::Enter,
            "esc" | "escape" => KeyCodeOrd::Esc,
            "tab" => KeyCodeOrd::Tab,
            "backtab" | "shift-tab" => KeyCodeOrd::BackTab,
            "up" => KeyCodeOrd::Up,
            "down" => KeyCodeOrd::Down,
            "left" => KeyCodeOrd::Left,
            "right" => KeyCodeOrd::Right,
            "pageup" | "pgup" => KeyCodeOrd::PageUp,
            "pagedown" | "pgdn" => KeyCodeOrd::PageDown,
            "home" => KeyCodeOrd::Home,
            "end" => KeyCodeOrd::End,
            "space" => KeyCodeOrd::Char(' '),
            lower => {
                if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    KeyCodeOrd::F(n)
                } else {
                    let mut chars = rest.chars();
                    let c = chars.next()?;
                    if chars.next().is_some() {
                        return None;
                    }
                    KeyCodeOrd::Char(c)
                }
            }
        };
        Some(Self { code, ctrl, alt })
    }

    /// The key as the help screen writes it.
    pub fn label(self) -> String {
        let base = match self.code {
            KeyCodeOrd::Char(' ') => "space".to_string(),
            KeyCodeOrd::Char(c) => c.to_string(),
            KeyCodeOrd::Enter => "enter".into(),
            KeyCodeOrd::Esc => "esc".into(),
            KeyCodeOrd::Tab => "tab".into(),
            KeyCodeOrd::BackTab => "shift-tab".into(),
            KeyCodeOrd::Up => "↑".into(),
            KeyCodeOrd::Down => "↓".into(),
            KeyCodeOrd::Left => "←".into(),
            KeyCodeOrd::Right => "→".into(),
            KeyCodeOrd::PageUp => "pgup".into(),
            KeyCodeOrd::PageDown => "pgdn".into(),
            KeyCodeOrd::Home => "home".into(),
            KeyCodeOrd::End => "end".into(),
            KeyCodeOrd::F(n) => format!("f{n}"),
        };
        match (self.ctrl, self.alt) {
            (true, _) => format!("ctrl-{base}"),
            (_, true) => format!("alt-{base}"),
            _ => base,
        }
    }
}

/// Key → action, plus the reverse for help and tests.
#[derive(Clone, Debug)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let defaults: &[(Action, &[&str])] = &[
            (Action::Up, &["up", "k"]),
            (Action::Down, &["down", "j"]),
            (Action::Left, &["left", "h"]),
            (Action::Right, &["right", "l"]),
            (Action::PageUp, &["pgup", "ctrl-u"]),
            (Action::PageDown, &["pgdn", "ctrl-d"]),
            (Action::Top, &["home", "g"]),
            (Action::Bottom, &["end", "G"]),
            (Action::Open, &["enter"]),
            (Action::Back, &["esc"]),
            (Action::NextPane, &["tab"]),
            (Action::Overview, &["o"]),
            (Action::Findings, &["f"]),
            (Action::References, &["x"]),
            (Action::CycleSeverity, &["s"]),
            (Action::CycleEnvironment, &["e"]),
            (Action::Runbook, &["R"]),
            (Action::Audit, &["a"]),
            (Action::Filter, &["/"]),
            (Action::Command, &[":"]),
            (Action::Reload, &["r"]),
            (Action::Help, &["?"]),
            (Action::Quit, &["q", "ctrl-c"]),
        ];
        let bindings = defaults
            .iter()
            .map(|(a, keys)| (*a, keys.iter().filter_map(|k| Key::parse(k)).collect()))
            .collect();
        Self { bindings }
    }
}

impl Keymap {
    /// Applies a `[keys]` table: each entry replaces that action's keys.
    pub fn with_overrides(mut self, table: &BTreeMap<String, Vec<String>>) -> Result<Self, String> {
        for (name, keys) in table {
            let action = Action::from_name(name).ok_or_else(|| {
                let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                format!("[keys] {name}: no such action; known: {}", known.join(", "))
            })?;
            let parsed = keys
                .iter()
                .map(|k| {
                    Key::parse(k).ok_or_else(|| format!("[keys] {name}: cannot read key \"{k}\""))
                })
                .collect::<Result<Vec<_>, _>>()?;
            self.bindings.insert(action, parsed);
        }
        Ok(self)
    }

    /// The action a key triggers, if any.
    pub fn action_for(&self, event: KeyEvent) -> Option<Action> {
        let key = Key::from_event(event)?;
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(a, _)| *a)
    }

    /// The keys bound to an action.
    pub fn keys_for(&self, action: Action) -> &[Key] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// The first key of an action, as a crossterm event (tests type keys this way).
    pub fn event_for(&self, action: Action) -> Option<KeyEvent> {
        self.keys_for(action).first().map(|k| k.to_event())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip() {
        let map = Keymap::default();
        for &action in Action::ALL {
            let ev = map
                .event_for(action)
                .expect("every action has a default key");
            assert_eq!(map.action_for(ev), Some(action), "{action}");
        }
    }

    #[test]
    fn overrides_replace_and_reject_unknown() {
        let mut table = BTreeMap::new();
        table.insert("quit".to_string(), vec!["x".to_string()]);
        let map = Keymap::default().with_overrides(&table).expect("valid");
        assert_eq!(map.keys_for(Action::Quit)[0].label(), "x");
        table.insert("explode".to_string(), vec!["y".to_string()]);
        let err = Keymap::default()
            .with_overrides(&table)
            .expect_err("unknown action");
        assert!(err.contains("explode"));
    }
}
