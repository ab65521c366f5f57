//! The console's runbook and audit views, driven headless with keys from the keymap: the
//! runbook key starts emergency-restore on the environment in view, a confirmation takes the
//! keyboard and answers the engine, Esc declines, a failed run resumes with the same key,
//! read-only only ever previews, quitting during a run asks twice. Plus a snapshot of a run
//! waiting for a production confirmation.

use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secretops::audit::Outcome;
use secretops::inventory::Tier;
use secretops::runbook::step::{Answer, Prompt, RunEvent, StepInfo, Summary};
use secretops::tui::action::Action;
use secretops::tui::app::{App, Effect, Message, Mode, View};
use secretops::tui::keymap::Keymap;
use secretops::tui::theme::Theme;

fn console(read_only_env: bool) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().expect("tmp");
    let env = |name: &str, tier: &str, ro: bool| {
        format!(
            "\n[[environment]]\nname = \"{name}\"\ntier = \"{tier}\"\nread_only = {ro}\n\
             [[environment.service]]\nname = \"auth\"\nrole = \"validator\"\n\
             source = {{ kind = \"env-file\", path = \"a.env\" }}\n"
        )
    };
    let text = format!(
        "[secret]\nname = \"SERVICE_SECRET\"\n{}{}",
        env("staging", "staging", read_only_env),
        env("production", "production", false)
    );
    let path = dir.path().join("secretops.toml");
    std::fs::write(&path, text).expect("w");
    let inv = Arc::new(secretops::inventory::Inventory::load(&path).expect("inventory"));
    let app = App::new(inv, Theme::load("dark").expect("theme"), Keymap::default());
    (dir, app)
}

fn key(app: &mut App, action: Action) -> Option<Effect> {
    let ev = app.keymap.event_for(action).expect("bound");
    app.on_event(&Event::Key(ev))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_event(&Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
}

fn press(app: &mut App, code: KeyCode) -> Option<Effect> {
    app.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn step(id: &str, kind: &'static str) -> StepInfo {
    StepInfo {
        id: id.into(),
        title: format!("step {id}"),
        kind,
        preview: vec![format!("what {id} does")],
    }
}

fn planned(env: &str, tier: Tier) -> RunEvent {
    RunEvent::Planned {
        runbook: "emergency-restore".into(),
        environment: env.into(),
        tier,
        dry_run: false,
        steps: vec![
            step("diagnose", "check"),
            step("write:backend", "write-secret"),
            step("wait:recovery", "wait"),
        ],
        notes: Vec::new(),
    }
}

fn ask(app: &mut App, index: usize, expect: &str) {
    app.on_message(Message::Runbook(RunEvent::Ask {
        index,
        prompt: Prompt {
            question: "write the value into backend: type it".into(),
            expect: expect.into(),
            retry: None,
        },
    }));
}

fn start_request(effect: Option<Effect>) -> secretops::runbook::RunRequest {
    match effect {
        Some(Effect::StartRunbook(r)) => *r,
        other => panic!("expected a runbook to start, got {other:?}"),
    }
}

#[test]
fn the_runbook_key_starts_confirms_declines_and_resumes() {
    let (_dir, mut app) = console(false);
    let req = start_request(key(&mut app, Action::Runbook));
    assert_eq!(
        (req.runbook.as_str(), req.environment.as_str()),
        ("emergency-restore", "staging")
    );
    assert!(!req.dry_run && !req.resume && req.confirmation.interactive);
    assert!(
        !req.confirmation.yes,
        "the console never answers for the operator"
    );
    assert_eq!(app.view, View::Runbook);

    app.on_message(Message::Runbook(planned("staging", Tier::Staging)));
    app.on_message(Message::Runbook(RunEvent::Started { index: 0 }));
    app.on_message(Message::Runbook(RunEvent::Finished {
        index: 0,
        outcome: Outcome::Ok,
        detail: vec!["fine".into()],
    }));
    app.on_message(Message::Runbook(RunEvent::Started { index: 1 }));
    ask(&mut app, 1, "yes");
    assert_eq!(app.mode, Mode::Confirm);
    // Keys go to the field, not the keymap: `q` does not quit.
    typed(&mut app, "q");
    assert_eq!(app.confirm.value(), "q");
    press(&mut app, KeyCode::Backspace);
    typed(&mut app, "yes");
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        Some(Effect::Answer(Answer::Text("yes".into())))
    );
    assert_eq!(app.mode, Mode::Normal);

    // A second question, declined.
    ask(&mut app, 1, "yes");
    assert_eq!(
        press(&mut app, KeyCode::Esc),
        Some(Effect::Answer(Answer::Decline))
    );
    app.on_message(Message::Runbook(RunEvent::Finished {
        index: 1,
        outcome: Outcome::Declined,
        detail: vec!["declined by the operator".into()],
    }));
    // Quitting while the run is active asks twice.
    assert_eq!(key(&mut app, Action::Quit), None);
    assert!(
        app.note
            .as_ref()
            .is_some_and(|n| n.text.contains("quit again"))
    );
    app.on_message(Message::Runbook(RunEvent::Done(Summary {
        run: "r1".into(),
        ok: false,
        dry_run: false,
        refused: false,
        failed_step: Some(1),
        reason: Some("step 2 declined".into()),
        next: Some("nothing was changed by this step".into()),
    })));
    assert!(
        app.recovery.reload_wanted,
        "a finished run reloads the sources"
    );
    assert_eq!(
        app.recovery
            .run
            .as_ref()
            .and_then(secretops::tui::recovery::RunView::shown),
        Some(1)
    );

    // In the runbook view, the same key resumes the failed run.
    let req = start_request(key(&mut app, Action::Runbook));
    assert!(req.resume && req.environment == "staging");
}

#[test]
fn read_only_only_previews_and_audit_reads_the_log() {
    let (_dir, mut app) = console(true);
    let req = start_request(key(&mut app, Action::Runbook));
    assert!(req.dry_run, "a read-only environment only previews");
    assert!(
        app.note
            .as_ref()
            .is_some_and(|n| n.text.contains("read-only"))
    );

    let (_dir, mut app) = console(false);
    app.recovery.read_only = true;
    let req = start_request(app.run_command("runbook breaker-reset production"));
    assert!(req.dry_run && req.read_only);

    let (_dir, mut app) = console(false);
    assert_eq!(app.run_command("runbook nope staging"), None);
    assert!(
        app.note
            .as_ref()
            .is_some_and(|n| n.error && n.text.contains("no runbook \"nope\""))
    );
    assert_eq!(app.run_command("audit"), Some(Effect::LoadAudit));
    assert_eq!(app.view, View::Audit);
}

#[test]
fn snapshot_of_a_run_waiting_for_a_production_confirmation() {
    let (_dir, mut app) = console(false);
    app.size = (100, 30);
    let _ = start_request(app.run_command("runbook emergency-restore production"));
    app.on_message(Message::Runbook(planned("production", Tier::Production)));
    app.on_message(Message::Runbook(RunEvent::Started { index: 0 }));
    app.on_message(Message::Runbook(RunEvent::Finished {
        index: 0,
        outcome: Outcome::Ok,
        detail: vec!["auth validator 1c8a65eb1546 ← source of truth".into()],
    }));
    app.on_message(Message::Runbook(RunEvent::Started { index: 1 }));
    ask(&mut app, 1, "production");
    typed(&mut app, "produ");
    let mut term = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
    term.draw(|f| secretops::tui::view::draw(f, &app))
        .expect("draw");
    let screen: String = term
        .backend()
        .buffer()
        .content()
        .chunks(100)
        .map(|row| {
            row.iter()
                .map(ratatui::buffer::Cell::symbol)
                .collect::<String>()
                + "\n"
        })
        .collect();
    // The status line names the inventory's temp folder: keep the snapshot stable.
    let screen: String = screen
        .lines()
        .map(|l| {
            if l.contains("secretops.toml") {
                "<status line>"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("runbook-production-confirm", screen);
}
