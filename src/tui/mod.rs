//! The console: `secretops` with no sub-command.
//!
//! An event loop over crossterm's event stream, background loader tasks that send typed results
//! over a channel, and a renderer that draws at most about 60 frames a second and only when
//! something changed. Nothing on this path waits on a source.

pub mod action;
pub mod app;
pub mod background;
pub mod keymap;
pub mod recovery;
mod recovery_actions;
pub mod settings;
pub mod theme;
pub mod view;

use std::io::{Stdout, stdout};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use self::app::{App, Effect, Message};
use self::keymap::Keymap;
use self::theme::Theme;
use crate::cli::UsageError;
use crate::fingerprint::FingerprintKey;
use crate::inventory::Inventory;
use crate::snapshot;
use crate::sources::{self, LoadContext};

/// Shortest time between two frames (about 60 per second).
const FRAME: Duration = Duration::from_millis(16);

/// Shortest time between two frames drawn for background results alone (polls, refreshes):
/// a thousand endpoints answering at different moments cost five frames a second, not a
/// frame per answer. Input is still drawn at once.
const BACKGROUND_FRAME: Duration = Duration::from_millis(200);

/// Builds the app from the command line and config, everything checked before the terminal is
/// touched: a broken inventory, theme or keymap exits 2 with its message on a normal screen.
pub fn prepare(
    config: Option<&Path>,
    theme: Option<String>,
) -> Result<(App, FingerprintKey), UsageError> {
    let inv = Arc::new(crate::cli::load_inventory(config)?);
    let key = crate::cli::key_for(Some(&inv))?;
    let user = settings::UserSettings::load()?;
    let name = theme
        .or_else(|| inv.ui.theme.clone())
        .or(user.ui.theme.clone())
        .unwrap_or_else(|| theme::DEFAULT_THEME.to_string());
    let mut theme = Theme::load(&name)?;
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        theme = theme.without_color();
    }
    let keymap = Keymap::default().with_overrides(&user.keys)?;
    Ok((App::new(inv, theme, keymap), key))
}

/// Opens the console and runs it until the operator quits. With a demo fleet, the `:demo`
/// commands break and heal it.
pub fn run_console(
    runtime: &tokio::runtime::Runtime,
    config: Option<&Path>,
    theme: Option<String>,
    demo: Option<Arc<crate::demo::Fleet>>,
    read_only: bool,
) -> Result<ExitCode, UsageError> {
    let (mut app, key) = prepare(config, theme)?;
    app.demo = demo.is_some();
    app.recovery.read_only = read_only;
    let mut terminal = enter()?;
    if let Ok(size) = terminal.size() {
        app.size = (size.width, size.height);
    }
    let ctx = snapshot::load_context(&app.inventory, sources::process_lookup());
    let result = runtime.block_on(event_loop(
        &mut terminal,
        app,
        Services {
            key: Arc::new(key),
            ctx,
            demo,
        },
        EventStream::new(),
        || {},
    ));
    leave();
    tracing::info!("console closed");
    result.map(|()| ExitCode::SUCCESS)
}

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Switches to the alternate screen, and makes sure every exit path switches back: a panic hook
/// restores the terminal before the previous hook prints.
fn enter() -> Result<Term, UsageError> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave();
        previous(info);
    }));
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    Ok(Terminal::new(CrosstermBackend::new(stdout()))?)
}

/// Gives the terminal back. Safe to call more than once.
fn leave() {
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Runs the References view's scan: the summary table and the risks, fingerprints only.
pub fn scan_references(inv: &Inventory, key: &FingerprintKey) -> Result<String, String> {
    let root = inv
        .scan
        .root
        .clone()
        .ok_or("no [scan] root in the inventory")?;
    if !root.is_dir() {
        return Err(format!("[scan] root {} is not a folder", root.display()));
    }
    let options = crate::scan::ScanOptions {
        root,
        vars: std::iter::once(inv.secret.clone())
            .chain(inv.related.iter().cloned())
            .collect(),
        services: inv.scan.services.clone(),
    };
    let report = crate::scan::scan(&options);
    let fingerprint = |v: &secrecy::SecretString| key.fingerprint(v).to_string();
    let mut text = crate::scan::summary_table(&report, &fingerprint);
    for risk in crate::scan::risks(&report, &fingerprint) {
        text.push_str("\n  risk: ");
        text.push_str(&risk.describe());
    }
    Ok(text)
}

/// How often file sources are read again.
const REFRESH: Duration = Duration::from_secs(3);

/// What the event loop needs besides the app: the fingerprint key, the source context, and
/// the demo fleet when there is one.
pub struct Services {
    pub key: Arc<FingerprintKey>,
    pub ctx: LoadContext,
    pub demo: Option<Arc<crate::demo::Fleet>>,
}

fn run_demo_command(
    fleet: &crate::demo::Fleet,
    command: &app::DemoCommand,
) -> Result<String, String> {
    let result = match command {
        app::DemoCommand::BreakMismatch(env) => fleet.break_mismatch(env),
        app::DemoCommand::BreakMissing(env) => fleet.break_missing(env),
        app::DemoCommand::Heal => fleet.heal(),
    };
    result.map_err(|e| e.to_string())
}

/// Re-reads the sources that are cheap to read (files and the process environment), keeping
/// their last state on screen meanwhile; commands and remote stores are read on `r` only.
pub fn spawn_refresh(
    inventory: &Arc<Inventory>,
    generation: u64,
    key: &Arc<FingerprintKey>,
    ctx: &LoadContext,
    tx: &mpsc::UnboundedSender<Message>,
) {
    spawn_reads(inventory, generation, key, ctx, tx, true);
}

/// Starts one task per service; each sends its result (errors included) when done.
pub fn spawn_load(
    inventory: &Arc<Inventory>,
    generation: u64,
    key: &Arc<FingerprintKey>,
    ctx: &LoadContext,
    tx: &mpsc::UnboundedSender<Message>,
) {
    spawn_reads(inventory, generation, key, ctx, tx, false);
}

/// One task per service (only the cheap ones for a refresh), each sending its result as a
/// load or a refresh.
fn spawn_reads(
    inventory: &Arc<Inventory>,
    generation: u64,
    key: &Arc<FingerprintKey>,
    ctx: &LoadContext,
    tx: &mpsc::UnboundedSender<Message>,
    refresh: bool,
) {
    use crate::inventory::Source;
    for (env, e) in inventory.environments.iter().enumerate() {
        for (service, s) in e.services.iter().enumerate() {
            let cheap = matches!(
                s.source,
                Source::EnvFile { .. } | Source::Compose { .. } | Source::ProcessEnv { .. }
            );
            if refresh && !cheap {
                continue;
            }
            let (inv, key, ctx, tx) = (
                Arc::clone(inventory),
                Arc::clone(key),
                ctx.clone(),
                tx.clone(),
            );
            tokio::spawn(async move {
                if let Some(state) = snapshot::load_service(&inv, env, service, &key, &ctx).await {
                    let state = Box::new(state);
                    let _ = tx.send(if refresh {
                        Message::Refreshed {
                            generation,
                            env,
                            service,
                            state,
                        }
                    } else {
                        Message::Service {
                            generation,
                            env,
                            service,
                            state,
                        }
                    });
                }
            });
        }
    }
}

/// Runs the console until it quits: terminal events from `events`, sources and live polls
/// from background tasks. `on_frame` is called after every frame drawn (benchmarks time
/// key-to-frame with it).
///
/// Input is drawn at once; background updates are batched to at most one frame per
/// [`BACKGROUND_FRAME`] (and never more often than [`FRAME`]), and nothing is drawn while
/// nothing changed.
pub async fn event_loop<B, S>(
    terminal: &mut Terminal<B>,
    mut app: App,
    services: Services,
    mut events: S,
    mut on_frame: impl FnMut(),
) -> Result<(), UsageError>
where
    B: ratatui::backend::Backend,
    B::Error: std::fmt::Display,
    S: futures::Stream<Item = std::io::Result<crossterm::event::Event>> + Unpin,
{
    let Services { key, ctx, demo } = services;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut sigterm = signal_stream()?;
    // File sources are read again every few seconds, so an edit by hand shows up by itself.
    let mut refresh = tokio::time::interval(REFRESH);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    refresh.tick().await;
    app.begin_reload();
    spawn_load(&app.inventory, app.generation, &key, &ctx, &tx);

    // Live pollers forward into the same channel; they stop when `_pollers` drops.
    let (live_tx, mut live_rx) = mpsc::unbounded_channel();
    let _pollers = crate::live::poller::spawn(&app.inventory, &ctx, &live_tx);
    drop(live_tx);
    // Ages and staleness change with time alone: redraw once a second when live data shows.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut last_draw = Instant::now()
        .checked_sub(FRAME)
        .unwrap_or_else(Instant::now);
    let mut urgent = false;
    // Where the running runbook's engine waits for the operator's answers.
    let mut answers: Option<mpsc::UnboundedSender<crate::runbook::step::Answer>> = None;
    loop {
        if std::mem::take(&mut app.recovery.reload_wanted) {
            app.begin_reload();
            spawn_load(&app.inventory, app.generation, &key, &ctx, &tx);
        }
        if app.dirty && (urgent || last_draw.elapsed() >= BACKGROUND_FRAME) {
            app.refresh();
            terminal
                .draw(|frame| view::draw(frame, &app))
                .map_err(|e| UsageError(format!("cannot draw: {e}")))?;
            app.dirty = false;
            urgent = false;
            last_draw = Instant::now();
            on_frame();
        }
        let next_frame = tokio::time::Instant::from_std(last_draw + BACKGROUND_FRAME);
        // Input first: a key must never wait behind a burst of background results.
        let effect = tokio::select! {
            biased;
            event = events.next() => match event {
                Some(Ok(event)) => {
                    urgent = true;
                    app.on_event(&event)
                }
                Some(Err(e)) => return Err(UsageError(format!("terminal input failed: {e}"))),
                None => Some(Effect::Quit),
            },
            Some(message) = rx.recv() => {
                app.on_message(message);
                while let Ok(more) = rx.try_recv() {
                    app.on_message(more);
                }
                None
            }
            Some(message) = live_rx.recv() => {
                app.on_message(Message::Live(message));
                while let Ok(more) = live_rx.try_recv() {
                    app.on_message(Message::Live(more));
                }
                None
            }
            _ = refresh.tick() => {
                spawn_refresh(&app.inventory, app.generation, &key, &ctx, &tx);
                None
            }
            _ = tick.tick(), if app.has_live => {
                app.dirty = true;
                None
            }
            () = tokio::time::sleep_until(next_frame), if app.dirty => None,
            _ = sigterm.recv() => Some(Effect::Quit),
        };
        match effect {
            Some(Effect::Quit) => return Ok(()),
            Some(Effect::Reload) => {
                app.begin_reload();
                spawn_load(&app.inventory, app.generation, &key, &ctx, &tx);
            }
            Some(Effect::Scan) => {
                let (inv, key, tx) = (Arc::clone(&app.inventory), Arc::clone(&key), tx.clone());
                tokio::task::spawn_blocking(move || {
                    let result = scan_references(&inv, &key);
                    let _ = tx.send(Message::Scanned(result));
                });
            }
            Some(Effect::Demo(command)) => {
                let note = match &demo {
                    Some(fleet) => run_demo_command(fleet, &command),
                    None => Err("not in demo mode: start with `secretops demo`".to_string()),
                };
                app.on_message(Message::Note(note));
                // Show the edit at once instead of at the next refresh.
                spawn_refresh(&app.inventory, app.generation, &key, &ctx, &tx);
            }
            Some(e @ (Effect::StartRunbook(_) | Effect::Answer(_) | Effect::LoadAudit)) => {
                background::recovery(e, &mut app, (&key, &ctx), &tx, &mut answers);
            }
            None => {}
        }
    }
}

#[cfg(unix)]
fn signal_stream() -> Result<tokio::signal::unix::Signal, UsageError> {
    Ok(tokio::signal::unix::signal(
        tokio::signal::unix::SignalKind::terminate(),
    )?)
}
