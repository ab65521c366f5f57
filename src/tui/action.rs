//! Named actions: the only way the console's state changes.
//!
//! Keys map to these through the keymap; tests send them directly. Each has a stable name (used
//! in the `[keys]` table of the user config and in the help screen).

use std::fmt;

/// Something the operator asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    NextPane,
    Filter,
    Command,
    Reload,
    Help,
    Findings,
    Overview,
    CycleSeverity,
    CycleEnvironment,
    Runbook,
    Audit,
    References,
}

impl Action {
    /// Every action, in the order the help screen lists them.
    pub const ALL: &'static [Self] = &[
        Self::Up,
        Self::Down,
        Self::Left,
        Self::Right,
        Self::PageUp,
        Self::PageDown,
        Self::Top,
        Self::Bottom,
        Self::Open,
        Self::Back,
        Self::NextPane,
        Self::Overview,
        Self::Findings,
        Self::References,
        Self::CycleSeverity,
        Self::CycleEnvironment,
        Self::Runbook,
        Self::Audit,
        Self::Filter,
        Self::Command,
        Self::Reload,
        Self::Help,
        Self::Quit,
    ];

    /// The name used in the `[keys]` config table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Up => "up",
            Self::Down => "down",
            Self::Left => "left",
            Self::Right => "right",
            Self::PageUp => "page-up",
            Self::PageDown => "page-down",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::Open => "open",
            Self::Back => "back",
            Self::NextPane => "next-pane",
            Self::Filter => "filter",
            Self::Command => "command",
            Self::Reload => "reload",
            Self::Help => "help",
            Self::Findings => "findings",
            Self::Overview => "overview",
            Self::CycleSeverity => "cycle-severity",
            Self::CycleEnvironment => "cycle-environment",
            Self::Runbook => "runbook",
            Self::Audit => "audit",
            Self::References => "references",
        }
    }

    /// What it does, for the help screen.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Quit => "quit secretops",
            Self::Up => "move up",
            Self::Down => "move down",
            Self::Left => "move left",
            Self::Right => "move right",
            Self::PageUp => "scroll a page up",
            Self::PageDown => "scroll a page down",
            Self::Top => "go to the first row",
            Self::Bottom => "go to the last row",
            Self::Open => "open the selected environment or finding",
            Self::Back => "go back / close",
            Self::NextPane => "switch pane",
            Self::Filter => "filter rows by text",
            Self::Command => "command line (:env NAME, :findings, :theme NAME, :q)",
            Self::Reload => "reload every source",
            Self::Help => "show this help",
            Self::Findings => "list every finding",
            Self::Overview => "back to the overview",
            Self::CycleSeverity => "findings: cycle minimum severity",
            Self::CycleEnvironment => "findings: cycle environment filter",
            Self::Runbook => {
                "emergency-restore on the environment in view (runbook view: resume a failed run)"
            }
            Self::Audit => "show the audit log of runbook steps",
            Self::References => "where the secret is defined and read in the code ([scan] root)",
        }
    }

    /// Looks an action up by its config name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
