//! The console at three levels: snapshots of every view on a test backend after keys taken
//! from the keymap, a headless app driven by actions, and the real binary in tmux.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secretops::tui::action::Action;
use secretops::tui::app::{App, Effect, Message, Mode, View};
use secretops::tui::keymap::Keymap;
use secretops::tui::theme::Theme;

/// Copies the handed platform case to a temp folder with fixed file modes, so the
/// file-permission findings do not depend on the checkout's umask.
fn platform_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    copy_dir(&common::fixture("handed/platform"), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
            set_mode(&target, 0o644);
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// An app with every source of the inventory loaded, as the event loop would feed it.
fn loaded_app(inventory: &Path) -> App {
    let inv = Arc::new(secretops::inventory::Inventory::load(inventory).expect("inventory"));
    let key = Arc::new(
        secretops::fingerprint::FingerprintKey::from_file(
            inv.key_file.as_deref().expect("key file"),
        )
        .expect("key"),
    );
    let lookup: secretops::sources::Lookup = Arc::new(|_| None);
    let ctx = secretops::snapshot::load_context(&inv, lookup);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let snapshot = runtime.block_on(secretops::snapshot::load_all(&inv, &key, &ctx));
    let theme = Theme::load("dark").expect("theme");
    let mut app = App::new(Arc::clone(&inv), theme, Keymap::default());
    app.begin_reload();
    for (ei, env) in snapshot.environments.iter().enumerate() {
        for (si, s) in env.services.iter().enumerate() {
            app.on_message(Message::Service {
                generation: app.generation,
                env: ei,
                service: si,
                state: Box::new(s.clone()),
            });
        }
    }
    app.loaded_at = Some("12:00:00Z".into());
    app.refresh();
    app
}

/// Types the first key bound to each action, as the operator would.
fn press(app: &mut App, actions: &[Action]) -> Option<Effect> {
    let mut last = None;
    for &a in actions {
        let event = app.keymap.event_for(a).expect("bound");
        last = app.on_event(&crossterm::event::Event::Key(event));
    }
    last
}

fn render(app: &App, w: u16, h: u16, dir: &Path) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| secretops::tui::view::draw(f, app))
        .expect("draw");
    let buffer = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    // The temp folder's name changes every run.
    out.replace(&dir.display().to_string(), "<case>").replace(
        &dir.display()
            .to_string()
            .trim_start_matches('/')
            .to_string(),
        "<case>",
    )
}

#[test]
fn snapshots_of_every_view() {
    let dir = platform_copy();
    let inv = dir.path().join("secretops.toml");
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let views: &[(&str, &[Action])] = &[
            ("overview", &[]),
            ("overview-findings-pane", &[Action::NextPane, Action::Down]),
            ("environment", &[Action::Down, Action::Down, Action::Open]),
            ("findings", &[Action::Findings, Action::Down]),
            (
                "findings-critical",
                &[
                    Action::Findings,
                    Action::CycleSeverity,
                    Action::CycleSeverity,
                    Action::CycleSeverity,
                ],
            ),
            ("help", &[Action::Help]),
        ];
        for (name, keys) in views {
            let mut app = loaded_app(&inv);
            app.size = (w, h);
            press(&mut app, keys);
            let screen = render(&app, w, h, dir.path());
            insta::assert_snapshot!(format!("{name}-{w}x{h}"), screen);
        }
    }
}

#[test]
fn overview_shows_every_environment_and_fingerprint() {
    let dir = platform_copy();
    let app = loaded_app(&dir.path().join("secretops.toml"));
    for (w, h) in [(80, 24), (160, 48)] {
        let screen = render(&app, w, h, dir.path());
        for env in &app.snapshot.environments {
            assert!(
                screen.contains(&env.name),
                "{} missing at {w}x{h}",
                env.name
            );
            for s in &env.services {
                if let Some(fp) = &s.fingerprint {
                    assert!(screen.contains(fp.short(8)), "{} at {w}x{h}", s.id());
                }
            }
        }
    }
}

#[test]
fn actions_drive_the_app() {
    let dir = platform_copy();
    let mut app = loaded_app(&dir.path().join("secretops.toml"));
    assert_eq!(app.view, View::Overview);
    assert_eq!(app.findings.len(), 18);

    // Four environments over three services: environments are rows.
    assert!(app.transposed());
    app.apply(Action::Down);
    app.apply(Action::Down);
    assert_eq!(app.cell, (0, 2));
    app.apply(Action::Open);
    assert_eq!(app.view, View::Environment(2));
    app.apply(Action::Back);
    assert_eq!(app.view, View::Overview);

    // Findings: severity cycles low → medium → high → critical; Enter opens the environment.
    app.apply(Action::Findings);
    assert_eq!(app.visible_findings().len(), 18);
    for _ in 0..3 {
        app.apply(Action::CycleSeverity);
    }
    assert!(
        app.visible_findings()
            .iter()
            .all(|f| f.severity.as_str() == "critical")
    );
    assert_eq!(app.visible_findings().len(), 7);
    app.apply(Action::CycleEnvironment);
    app.apply(Action::CycleEnvironment);
    app.apply(Action::CycleEnvironment);
    // staging: two critical mismatches.
    assert_eq!(app.visible_findings().len(), 2);
    app.apply(Action::Open);
    assert_eq!(app.view, View::Environment(2));

    // The text filter goes through the input field.
    app.apply(Action::Findings);
    app.apply(Action::Filter);
    assert_eq!(app.mode, Mode::Filter);
    for c in "weak".chars() {
        app.on_event(&crossterm::event::Event::Key(
            crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(c)),
        ));
    }
    assert_eq!(app.mode, Mode::Filter);
    assert!(app.visible_findings().iter().all(|f| f.id == "weak-value"));

    // The command line.
    assert_eq!(app.run_command("env production"), None);
    assert_eq!(app.view, View::Environment(3));
    app.run_command("env nowhere");
    assert!(
        app.note
            .as_ref()
            .is_some_and(|n| n.error && n.text.contains("nowhere"))
    );
    app.run_command("theme light");
    assert_eq!(app.theme.name, "light");
    app.run_command("theme nope");
    assert!(app.note.as_ref().is_some_and(|n| n.error));
    assert_eq!(app.theme.name, "light");
    assert_eq!(app.run_command("q"), Some(Effect::Quit));
    assert_eq!(app.apply(Action::Reload), Some(Effect::Reload));
    assert_eq!(app.apply(Action::Quit), Some(Effect::Quit));
}

#[test]
fn results_of_an_older_load_are_dropped() {
    let dir = platform_copy();
    let mut app = loaded_app(&dir.path().join("secretops.toml"));
    let old = app.generation;
    let stale = app.snapshot.environments[0].services[0].clone();
    app.begin_reload();
    assert_eq!(app.pending, 12);
    app.on_message(Message::Service {
        generation: old,
        env: 0,
        service: 0,
        state: Box::new(stale),
    });
    assert_eq!(app.pending, 12, "an old result must not count");
}

#[test]
fn every_theme_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("themes/") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read theme");
        let theme = Theme::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            Some(theme.name.as_str()),
            path.file_stem().and_then(|s| s.to_str())
        );
        names.push(theme.name);
    }
    names.sort();
    let mut built_in: Vec<String> = Theme::names().iter().map(ToString::to_string).collect();
    built_in.sort();
    assert_eq!(names, built_in, "every file in themes/ is compiled in");
    assert!(Theme::parse("name = \"x\"\n[styles]\n").is_err());
}

// ---- the real binary in tmux ----

#[path = "support/tmux.rs"]
mod tmux;
use tmux::Tmux;

fn console_cmdline(home: &common::Home, inventory: &Path) -> String {
    let h = home.path().display();
    format!(
        "env -u SERVICE_SECRET XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data XDG_STATE_HOME={h}/state {} --config {}; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_secretops"),
        inventory.display()
    )
}

#[test]
fn real_terminal_overview_help_and_quit() {
    let dir = platform_copy();
    let inventory = dir.path().join("secretops.toml");
    let home = common::Home::new();
    let tmux = Tmux::start(&console_cmdline(&home, &inventory), 180, 50);

    let screen = tmux.wait_for("the overview", Duration::from_secs(20), |s| {
        s.contains("production") && s.contains("18 findings")
    });
    for env in ["development", "test", "staging", "production"] {
        assert!(screen.contains(env), "{env}");
    }
    for fp in [
        "070437ef", "d97bc891", "99ba8d99", "67bc74d6", "f285f2df", "1c8a65eb",
    ] {
        assert!(screen.contains(fp), "{fp} on the first screen");
    }

    tmux.keys("?");
    tmux.wait_for("help", Duration::from_secs(5), |s| {
        s.lines().any(|l| l.contains(" q ") && l.contains("quit"))
    });

    tmux.keys("q");
    let screen = tmux.wait_for("exit", Duration::from_secs(5), |s| s.contains("EXIT="));
    assert!(screen.contains("EXIT=0"), "{screen}");
    // The alternate screen is gone: the console's frame is no longer on screen.
    assert!(!screen.contains("┌ environments"), "{screen}");
}

#[test]
fn real_terminal_stays_responsive_while_a_source_is_slow() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("a.env"),
        "SERVICE_SECRET=dev-value-abcdefghij\n",
    )
    .expect("w");
    set_mode(&dir.path().join("a.env"), 0o600);
    let inventory = dir.path().join("secretops.toml");
    std::fs::write(
        &inventory,
        r#"[secret]
name = "SERVICE_SECRET"

[[environment]]
name = "dev"
tier = "development"

[[environment.service]]
name = "auth"
role = "validator"
source = { kind = "env-file", path = "a.env" }

[[environment.service]]
name = "slow"
role = "consumer"
source = { kind = "command", program = "sh", args = ["-c", "sleep 5; echo dev-value-abcdefghij"] }
"#,
    )
    .expect("write inventory");
    let home = common::Home::new();
    let tmux = Tmux::start(&console_cmdline(&home, &inventory), 100, 30);

    tmux.wait_for(
        "the slow source shown as loading",
        Duration::from_secs(10),
        |s| s.contains("loading") && s.contains("dev"),
    );
    let asked = Instant::now();
    tmux.keys("?");
    tmux.wait_for("help while loading", Duration::from_secs(2), |s| {
        s.contains("quit secretops")
    });
    assert!(asked.elapsed() < Duration::from_secs(2));
    tmux.keys("o");
    tmux.wait_for("the slow source done", Duration::from_secs(15), |s| {
        !s.contains("loading") && s.contains("0 findings")
    });
    tmux.keys("q");
    let screen = tmux.wait_for("exit", Duration::from_secs(5), |s| s.contains("EXIT="));
    assert!(screen.contains("EXIT=0"), "{screen}");
}
