//! The console's state, and the only place it changes: [`App::apply`] for actions and
//! [`App::on_message`] for results from background tasks.

use std::collections::HashMap;
use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::action::Action;
use super::keymap::Keymap;
use super::theme::Theme;
use crate::findings::{self, Finding, Severity};
use crate::inventory::Inventory;
use crate::live::state::LiveState;
use crate::snapshot::{ServiceState, Snapshot, Status};

/// Which screen is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Overview,
    /// One environment, by index in the inventory.
    Environment(usize),
    Findings,
    /// Where the secret is defined and read in the code (`[scan] root`).
    References,
    Help,
    /// The runbook the console started last.
    Runbook,
    Audit,
}

/// Which pane of the overview has the focus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Matrix,
    Findings,
}

/// Whether keys go to the keymap or to a text field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Command,
    /// Typing a runbook confirmation.
    Confirm,
}

/// What the event loop must do after a state change (the app itself does no I/O).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Read every source again.
    Reload,
    Quit,
    /// Break or heal the demo fleet (demo mode only).
    Demo(DemoCommand),
    /// Start the runbook engine.
    StartRunbook(Box<crate::runbook::RunRequest>),
    /// Hand the operator's answer to the running engine.
    Answer(crate::runbook::step::Answer),
    /// Read the audit log.
    LoadAudit,
    /// Scan the inventory's `[scan] root` for the References view.
    Scan,
}

/// A result sent by a background task.
#[derive(Debug)]
pub enum Message {
    /// One service's source was read.
    Service {
        generation: u64,
        env: usize,
        service: usize,
        state: Box<ServiceState>,
    },
    /// A periodic re-read of a cheap source: replaces the state without counting as a load.
    Refreshed {
        generation: u64,
        env: usize,
        service: usize,
        state: Box<ServiceState>,
    },
    /// A live poll's result.
    Live(crate::live::poller::LiveMessage),
    /// The outcome of something the operator asked for, for the status line.
    Note(Result<String, String>),
    /// The running runbook's news.
    Runbook(crate::runbook::step::RunEvent),
    /// The audit log's records and the number of lines that were not records.
    Audit(Result<(Vec<crate::audit::Record>, usize), String>),
    /// The References view's scan finished: its summary table, or why it failed.
    Scanned(Result<String, String>),
}

/// `:demo` commands: break and heal the demo fleet by editing its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemoCommand {
    BreakMismatch(String),
    BreakMissing(String),
    Heal,
}

/// A short note for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub error: bool,
}

/// Everything the console shows.
// Each flag is an independent fact (dirty, demo mode, live configured, live changed); an
// enum would only hide that.
#[allow(clippy::struct_excessive_bools)]
pub struct App {
    pub inventory: Arc<Inventory>,
    pub snapshot: Snapshot,
    pub findings: Vec<Finding>,
    pub view: View,
    history: Vec<View>,
    pub pane: Pane,
    pub mode: Mode,
    /// Row names of the matrix (service names in first-seen order).
    pub service_names: Vec<String>,
    /// Selected matrix cell as (service index, environment index).
    pub cell: (usize, usize),
    pub overview_finding: usize,
    pub env_row: usize,
    /// Scroll offset of long text panes (help, an environment's findings).
    pub scroll: u16,
    pub findings_row: usize,
    /// Findings view: lowest severity shown.
    pub min_severity: Severity,
    /// Findings view: only this environment.
    pub env_filter: Option<usize>,
    pub filter: Input,
    pub command: Input,
    /// A runbook confirmation being typed.
    pub confirm: Input,
    pub theme: Theme,
    pub keymap: Keymap,
    pub note: Option<Note>,
    /// When the last full load finished (UTC, seconds).
    pub loaded_at: Option<String>,
    /// Sources still being read.
    pub pending: usize,
    pub generation: u64,
    /// Terminal size, for layout-dependent movement and mouse hits.
    pub size: (u16, u16),
    /// Service id → positions in `findings` that name it (drawing asks per cell).
    pub finding_index: HashMap<String, Vec<usize>>,
    /// Palette slot of each fingerprint: distinct fingerprints get distinct colours.
    pub fingerprint_slots: HashMap<String, usize>,
    /// Set when something visible changed since the last frame.
    pub dirty: bool,
    /// The console runs on `secretops demo`: `:demo` commands are offered.
    pub demo: bool,
    /// The References view's text (`None` until a scan ran).
    pub references: Option<Result<String, String>>,
    /// What the live pollers last saw.
    pub live: LiveState,
    /// Whether the inventory configures any live signal.
    pub has_live: bool,
    /// Runbooks and the audit log in the console.
    pub recovery: super::recovery::Recovery,
    /// Live results arrived since findings were last computed.
    findings_stale: bool,
}

impl App {
    /// A console on an inventory whose sources are about to be read.
    pub fn new(inventory: Arc<Inventory>, theme: Theme, keymap: Keymap) -> Self {
        let snapshot = Snapshot::loading(&inventory);
        let mut service_names: Vec<String> = Vec::new();
        for env in &inventory.environments {
            for s in &env.services {
                if !service_names.contains(&s.name) {
                    service_names.push(s.name.clone());
                }
            }
        }
        let pending = snapshot.services().count();
        let live = LiveState::new(&inventory);
        let has_live = inventory
            .environments
            .iter()
            .any(|e| e.live.auth.is_some() || e.services.iter().any(|s| !s.live.is_empty()));
        let mut app = Self {
            live,
            has_live,
            recovery: super::recovery::Recovery::default(),
            demo: false,
            references: None,
            findings_stale: false,
            inventory,
            snapshot,
            findings: Vec::new(),
            view: View::Overview,
            history: Vec::new(),
            pane: Pane::Matrix,
            mode: Mode::Normal,
            service_names,
            cell: (0, 0),
            overview_finding: 0,
            env_row: 0,
            scroll: 0,
            findings_row: 0,
            min_severity: Severity::Low,
            env_filter: None,
            filter: Input::default(),
            command: Input::default(),
            confirm: Input::default(),
            theme,
            keymap,
            note: None,
            loaded_at: None,
            pending,
            generation: 0,
            size: (80, 24),
            fingerprint_slots: HashMap::new(),
            finding_index: HashMap::new(),
            dirty: true,
        };
        app.recompute();
        app
    }

    /// Starts a new load: every service shows as loading until its result arrives.
    pub fn begin_reload(&mut self) {
        self.generation += 1;
        self.pending = self.snapshot.services().count();
        for env in &mut self.snapshot.environments {
            for s in &mut env.services {
                s.status = Status::Loading;
            }
        }
        self.note = Some(Note {
            text: "reloading every source…".into(),
            error: false,
        });
        self.recompute();
    }

    /// Applies a background result. Results of an older load are dropped.
    pub fn on_message(&mut self, message: Message) {
        match message {
            Message::Service {
                generation,
                env,
                service,
                state,
            } => {
                if generation != self.generation {
                    return;
                }
                self.snapshot.set(env, service, *state);
                self.pending = self.pending.saturating_sub(1);
                if self.pending == 0 {
                    self.loaded_at = Some(now_utc());
                    if self.note.as_ref().is_some_and(|n| !n.error) {
                        self.note = None;
                    }
                }
                self.findings_stale = true;
                self.dirty = true;
            }
            Message::Refreshed {
                generation,
                env,
                service,
                state,
            } => {
                // A refresh never replaces a state a full reload has not delivered yet.
                let loading = self
                    .snapshot
                    .environments
                    .get(env)
                    .and_then(|e| e.services.get(service))
                    .is_some_and(|s| s.status == Status::Loading);
                let unchanged = self
                    .snapshot
                    .environments
                    .get(env)
                    .and_then(|e| e.services.get(service))
                    .is_some_and(|old| same_reading(old, &state));
                if generation == self.generation && !loading && !unchanged {
                    self.snapshot.set(env, service, *state);
                    self.findings_stale = true;
                    self.dirty = true;
                }
            }
            Message::Scanned(result) => {
                self.references = Some(result);
                self.dirty = true;
            }
            Message::Note(result) => {
                self.note = Some(match result {
                    Ok(text) => Note { text, error: false },
                    Err(text) => Note { text, error: true },
                });
                self.dirty = true;
            }
            Message::Live(message) => {
                self.live.apply(message);
                self.findings_stale = true;
                self.dirty = true;
            }
            Message::Runbook(event) => self.on_run_event(event),
            Message::Audit(result) => self.on_audit(result),
        }
    }

    /// Brings derived state up to date before a frame: results are batched, so a burst of
    /// loads or polls costs one evaluation of the findings, not one per result.
    pub fn refresh(&mut self) {
        if self.findings_stale {
            self.findings_stale = false;
            self.recompute();
        }
    }

    fn recompute(&mut self) {
        self.findings = if self.has_live {
            findings::evaluate_with_live(&self.inventory, &self.snapshot, &self.live)
        } else {
            findings::evaluate(&self.inventory, &self.snapshot)
        };
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, f) in self.findings.iter().enumerate() {
            for s in &f.services {
                index.entry(s.clone()).or_default().push(i);
            }
        }
        self.finding_index = index;
        let mut slots: HashMap<String, usize> = HashMap::new();
        for s in self.snapshot.services() {
            if let Some(fp) = &s.fingerprint {
                let next = slots.len();
                slots.entry(fp.as_str().to_string()).or_insert(next);
            }
        }
        self.fingerprint_slots = slots;
        self.dirty = true;
    }

    /// The state of a matrix cell: `None` when the environment has no such service.
    pub fn cell_state(&self, service: usize, env: usize) -> Option<&ServiceState> {
        let name = self.service_names.get(service)?;
        self.snapshot
            .environments
            .get(env)?
            .services
            .iter()
            .find(|s| &s.name == name)
    }

    /// Index, within its environment, of the service in a matrix cell.
    pub fn cell_index(&self, service: usize, env: usize) -> Option<usize> {
        let name = self.service_names.get(service)?;
        self.snapshot
            .environments
            .get(env)?
            .services
            .iter()
            .position(|s| &s.name == name)
    }

    /// Findings that name a service.
    pub fn findings_for<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.finding_index
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.findings.get(i))
    }

    /// Findings the findings view shows, after its filters.
    pub fn visible_findings(&self) -> Vec<&Finding> {
        let text = self.filter.value().to_lowercase();
        let env = self
            .env_filter
            .and_then(|i| self.snapshot.environments.get(i))
            .map(|e| e.name.as_str());
        self.findings
            .iter()
            .filter(|f| f.severity >= self.min_severity)
            .filter(|f| {
                env.is_none_or(|e| {
                    f.environment == e || f.services.iter().any(|s| s.starts_with(&format!("{e}/")))
                })
            })
            .filter(|f| {
                text.is_empty()
                    || f.id.contains(&text)
                    || f.message.to_lowercase().contains(&text)
                    || f.services.iter().any(|s| s.to_lowercase().contains(&text))
            })
            .collect()
    }

    /// Whether the matrix is drawn with environments as rows.
    pub fn transposed(&self) -> bool {
        let envs = self.snapshot.environments.len();
        let fits = 18 + envs * 15 <= usize::from(self.size.0);
        envs > self.service_names.len() || !fits
    }

    pub(super) fn go(&mut self, view: View) {
        if self.view != view {
            self.scroll = 0;
            self.history.push(self.view);
            self.view = view;
        }
    }

    fn back(&mut self) {
        self.scroll = 0;
        self.view = self.history.pop().unwrap_or(View::Overview);
    }

    /// Handles a terminal event: keys through the keymap (or the active text field), mouse
    /// clicks and wheel, resizes.
    pub fn on_event(&mut self, event: &Event) -> Option<Effect> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.on_key(*key),
            Event::Mouse(mouse) => {
                match mouse.kind {
                    MouseEventKind::ScrollUp => return self.apply(Action::Up),
                    MouseEventKind::ScrollDown => return self.apply(Action::Down),
                    MouseEventKind::Down(MouseButton::Left) => self.click(mouse.column, mouse.row),
                    _ => {}
                }
                None
            }
            Event::Resize(w, h) => {
                self.size = (*w, *h);
                self.dirty = true;
                None
            }
            _ => None,
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Option<Effect> {
        match self.mode {
            Mode::Normal => {
                let action = self.keymap.action_for(key)?;
                self.apply(action)
            }
            Mode::Filter => {
                match key.code {
                    KeyCode::Enter | KeyCode::Esc => {
                        if key.code == KeyCode::Esc {
                            self.filter.reset();
                        }
                        self.mode = Mode::Normal;
                    }
                    _ => {
                        self.filter.handle_event(&Event::Key(key));
                        self.findings_row = 0;
                    }
                }
                self.dirty = true;
                None
            }
            Mode::Confirm => self.confirm_key(key),
            Mode::Command => {
                self.dirty = true;
                match key.code {
                    KeyCode::Esc => {
                        self.command.reset();
                        self.mode = Mode::Normal;
                        None
                    }
                    KeyCode::Enter => {
                        let line = self.command.value().trim().to_string();
                        self.command.reset();
                        self.mode = Mode::Normal;
                        self.run_command(&line)
                    }
                    _ => {
                        self.command.handle_event(&Event::Key(key));
                        None
                    }
                }
            }
        }
    }

    /// Runs a `:` command line.
    pub fn run_command(&mut self, line: &str) -> Option<Effect> {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or("");
        let arg = words.next();
        let fail = |app: &mut Self, text: String| {
            app.note = Some(Note { text, error: true });
            None
        };
        match (verb, arg) {
            ("", _) => None,
            ("q" | "quit" | "q!", _) => Some(Effect::Quit),
            ("env" | "e", Some(name)) => {
                match self
                    .snapshot
                    .environments
                    .iter()
                    .position(|e| e.name == name)
                {
                    Some(i) => {
                        self.env_row = 0;
                        self.go(View::Environment(i));
                        None
                    }
                    None => {
                        let names: Vec<&str> = self
                            .snapshot
                            .environments
                            .iter()
                            .map(|e| e.name.as_str())
                            .collect();
                        fail(
                            self,
                            format!("no environment \"{name}\"; try {}", names.join(", ")),
                        )
                    }
                }
            }
            ("runbook", _) => {
                let args: Vec<&str> = line.split_whitespace().skip(1).collect();
                self.runbook_command(&args)
            }
            ("audit", _) => self.apply(Action::Audit),
            ("findings" | "f", _) => self.apply(Action::Findings),
            ("refs" | "references", _) => self.apply(Action::References),
            ("overview" | "o", _) => self.apply(Action::Overview),
            ("help" | "h", _) => self.apply(Action::Help),
            ("reload" | "r", _) => self.apply(Action::Reload),
            ("demo", _) if !self.demo => fail(
                self,
                "the :demo commands work in `secretops demo` only".to_string(),
            ),
            ("demo", Some(what)) => {
                let rest: Vec<&str> = words.collect();
                match (what, rest.as_slice()) {
                    ("heal", []) => Some(Effect::Demo(DemoCommand::Heal)),
                    ("break", ["mismatch", env]) => {
                        Some(Effect::Demo(DemoCommand::BreakMismatch((*env).to_string())))
                    }
                    ("break", ["missing", env]) => {
                        Some(Effect::Demo(DemoCommand::BreakMissing((*env).to_string())))
                    }
                    _ => fail(
                        self,
                        "try :demo break mismatch ENV, :demo break missing ENV, :demo heal".into(),
                    ),
                }
            }
            ("theme", Some(name)) => match Theme::load(name) {
                Ok(theme) => {
                    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                    self.theme = if no_color {
                        theme.without_color()
                    } else {
                        theme
                    };
                    self.note = Some(Note {
                        text: format!("theme {name}"),
                        error: false,
                    });
                    None
                }
                Err(e) => fail(self, e),
            },
            _ => fail(
                self,
                format!(
                    "unknown command \":{line}\"; try :env NAME, :findings, :runbook NAME ENV, \
                     :audit, :theme NAME, :q"
                ),
            ),
        }
    }

    /// Applies one named action.
    pub fn apply(&mut self, action: Action) -> Option<Effect> {
        self.dirty = true;
        match action {
            Action::Quit => return self.quit_action(),
            Action::Runbook => return self.runbook_action(),
            Action::Audit => return Some(self.audit_action()),
            Action::Reload => return Some(Effect::Reload),
            Action::Help => self.go(View::Help),
            Action::References => {
                self.go(View::References);
                if self.inventory.scan.root.is_none() {
                    self.references = Some(Err(
                        "set [scan] root in the inventory to the repository to scan".into(),
                    ));
                } else if self.references.is_none() {
                    return Some(Effect::Scan);
                }
            }
            Action::Findings => {
                self.findings_row = 0;
                self.go(View::Findings);
            }
            Action::Overview => {
                self.history.clear();
                self.view = View::Overview;
            }
            Action::Back => {
                if self.view == View::Findings && !self.filter.value().is_empty() {
                    self.filter.reset();
                } else {
                    self.back();
                }
            }
            Action::Filter => {
                // The filter narrows the findings list: open it if another view shows.
                if self.view != View::Findings {
                    self.findings_row = 0;
                    self.go(View::Findings);
                }
                self.mode = Mode::Filter;
            }
            Action::Command => self.mode = Mode::Command,
            Action::NextPane => {
                self.pane = match self.pane {
                    Pane::Matrix => Pane::Findings,
                    Pane::Findings => Pane::Matrix,
                };
            }
            Action::CycleSeverity => {
                self.go(View::Findings);
                self.min_severity = match self.min_severity {
                    Severity::Low => Severity::Medium,
                    Severity::Medium => Severity::High,
                    Severity::High => Severity::Critical,
                    Severity::Critical => Severity::Low,
                };
                self.findings_row = 0;
            }
            Action::CycleEnvironment => {
                self.go(View::Findings);
                let n = self.snapshot.environments.len();
                self.env_filter = match self.env_filter {
                    None if n > 0 => Some(0),
                    Some(i) if i + 1 < n => Some(i + 1),
                    _ => None,
                };
                self.findings_row = 0;
            }
            Action::Open => self.open(),
            Action::Up
            | Action::Down
            | Action::Left
            | Action::Right
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.navigate(action),
        }
        None
    }

    fn open(&mut self) {
        match self.view {
            View::Overview => {
                let env = match self.pane {
                    Pane::Matrix => Some(self.cell.1),
                    Pane::Findings => self.findings.get(self.overview_finding).and_then(|f| {
                        self.snapshot
                            .environments
                            .iter()
                            .position(|e| e.name == f.environment)
                    }),
                };
                if let Some(env) = env {
                    self.env_row = 0;
                    self.go(View::Environment(env));
                }
            }
            View::Findings => {
                let visible = self.visible_findings();
                let env = visible.get(self.findings_row).and_then(|f| {
                    self.snapshot
                        .environments
                        .iter()
                        .position(|e| e.name == f.environment)
                });
                if let Some(env) = env {
                    self.env_row = 0;
                    self.go(View::Environment(env));
                }
            }
            View::Environment(_) | View::Help | View::Runbook | View::Audit | View::References => {}
        }
    }

    fn navigate(&mut self, action: Action) {
        let page = usize::from(self.size.1.saturating_sub(8)).max(1);
        let step = |pos: usize, len: usize, action: Action| -> usize {
            let last = len.saturating_sub(1);
            match action {
                Action::Up | Action::Left => pos.saturating_sub(1),
                Action::Down | Action::Right => (pos + 1).min(last),
                Action::PageUp => pos.saturating_sub(page),
                Action::PageDown => (pos + page).min(last),
                Action::Top => 0,
                _ => last,
            }
        };
        match self.view {
            View::Overview if self.pane == Pane::Findings => {
                if !matches!(action, Action::Left | Action::Right) {
                    self.overview_finding =
                        step(self.overview_finding, self.findings.len(), action);
                }
            }
            View::Overview => {
                let services = self.service_names.len();
                let envs = self.snapshot.environments.len();
                // Up/down move along rows; rows are services, or environments when transposed.
                let vertical = matches!(
                    action,
                    Action::Up
                        | Action::Down
                        | Action::PageUp
                        | Action::PageDown
                        | Action::Top
                        | Action::Bottom
                );
                let moves_service = vertical != self.transposed();
                if moves_service {
                    self.cell.0 = step(self.cell.0, services, action);
                } else {
                    self.cell.1 = step(self.cell.1, envs, action);
                }
            }
            View::Environment(i) => {
                // Up/down pick a service; page keys scroll the findings below.
                if matches!(action, Action::PageUp | Action::PageDown) {
                    let delta = u16::try_from(page).unwrap_or(u16::MAX);
                    self.scroll = if action == Action::PageUp {
                        self.scroll.saturating_sub(delta)
                    } else {
                        self.scroll.saturating_add(delta).min(500)
                    };
                } else {
                    let rows = self
                        .snapshot
                        .environments
                        .get(i)
                        .map_or(0, |e| e.services.len());
                    self.env_row = step(self.env_row, rows, action);
                }
            }
            View::Findings => {
                let rows = self.visible_findings().len();
                self.findings_row = step(self.findings_row, rows, action);
            }
            View::Runbook | View::Audit => self.navigate_recovery(action),
            View::Help | View::References => {
                let pos = usize::from(self.scroll);
                self.scroll = u16::try_from(step(pos, 60, action)).unwrap_or(0);
            }
        }
    }

    fn click(&mut self, column: u16, row: u16) {
        if self.view != View::Overview {
            return;
        }
        if let Some((service, env)) = super::view::overview::hit(self, column, row) {
            self.pane = Pane::Matrix;
            self.cell = (service, env);
            self.dirty = true;
        }
    }
}

/// Whether a re-read found what was already known (nothing to redraw or re-evaluate).
fn same_reading(old: &ServiceState, new: &ServiceState) -> bool {
    old.status == new.status
        && old.fingerprint == new.fingerprint
        && old.length == new.length
        && old.origin == new.origin
        && old.error == new.error
        && old.origin_mode == new.origin_mode
        && old.duplicate_lines == new.duplicate_lines
        && old.equals_related == new.equals_related
        && old.traits == new.traits
}

fn now_utc() -> String {
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    // 2026-12-03T16:45:03Z -> 16:45:03Z
    stamp
        .split_once('T')
        .map_or(stamp.clone(), |(_, t)| t.to_string())
}
