//! The canary test: every source kind holds a unique value; every command runs in every format,
//! every console view is rendered; no value, nor its hex or base64 form, may appear in stdout,
//! stderr, the log, any file secretops wrote, or any rendered screen.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secretops::tui::action::Action;
use secretops::tui::app::{App, Message};

/// A value that cannot appear by chance.
fn canary(tag: &str) -> String {
    let mut raw = [0u8; 12];
    getrandom::fill(&mut raw).expect("random");
    format!("canary-{tag}-{}", hex::encode(raw))
}

/// Every form a leaked value could take.
fn forms(value: &str) -> Vec<String> {
    use base64_like::encode;
    vec![
        value.to_string(),
        hex::encode(value),
        encode(value.as_bytes()),
    ]
}

/// Minimal standard base64 (the test must not trust the code under test for this).
mod base64_like {
    pub fn encode(bytes: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    canaries: Vec<String>,
    /// Files the test wrote (inputs): they are allowed to hold the values.
    inputs: Vec<PathBuf>,
}

fn write(dir: &Path, rel: &str, text: &str, inputs: &mut Vec<PathBuf>) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write fixture");
    inputs.push(path);
}

#[allow(clippy::too_many_lines, reason = "one fixture, read top to bottom")]
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut inputs = Vec::new();
    let c: Vec<String> = [
        "envfile",
        "jwt",
        "python",
        "compose-env",
        "compose-file",
        "process",
        "command",
        "unterminated",
        "yaml",
        "dotenv-project",
    ]
    .iter()
    .map(|t| canary(t))
    .collect();

    write(
        d,
        "a.env",
        &format!("SERVICE_SECRET={}\nJWT_SECRET_KEY={}\n", c[0], c[1]),
        &mut inputs,
    );
    write(
        d,
        "b.env",
        &format!("SERVICE_SECRET='{}'\nSERVICE_SECRET=\"{}\"\n", c[2], c[2]),
        &mut inputs,
    );
    write(
        d,
        "c.env",
        &format!("SERVICE_SECRET={}\n", c[4]),
        &mut inputs,
    );
    write(
        d,
        "docker-compose.yml",
        &format!(
            "services:\n  auth:\n    env_file: c.env\n    environment:\n      SERVICE_SECRET: \"{}\"\n  broken:\n    environment: \"{}\"\n",
            c[3], c[8]
        ),
        &mut inputs,
    );
    write(d, ".env", &format!("UNUSED={}\n", c[9]), &mut inputs);
    write(d, "cmd.secret", &format!("{}\n", c[6]), &mut inputs);
    write(
        d,
        "bad.env",
        &format!("SERVICE_SECRET=\"{}\n", c[7]),
        &mut inputs,
    );
    write(
        d,
        "secretops.toml",
        r#"
[secret]
name = "SERVICE_SECRET"
related = ["JWT_SECRET_KEY"]

[fingerprint]
key_file = "fp.key"

[[environment]]
name = "staging"
tier = "staging"

[[environment.service]]
name = "auth"
role = "validator"
source = { kind = "compose", file = "docker-compose.yml", service = "auth" }

[[environment.service]]
name = "api"
role = "consumer"
source = { kind = "env-file", path = "a.env" }

[[environment.service]]
name = "worker"
role = "consumer"
source = { kind = "env-file", path = "b.env", dialect = "python-dotenv" }

[[environment.service]]
name = "cron"
role = "consumer"
source = { kind = "process-env", var = "CANARY_PROCESS" }

[[environment.service]]
name = "batch"
role = "consumer"
source = { kind = "command", program = "cat", args = ["cmd.secret"] }

[[environment]]
name = "production"
tier = "production"

[[environment.service]]
name = "auth"
role = "validator"
source = { kind = "env-file", path = "bad.env" }

[[environment.service]]
name = "broken"
role = "consumer"
source = { kind = "compose", file = "docker-compose.yml", service = "broken" }
"#,
        &mut inputs,
    );
    write(d, "fp.key", "canary-test-key\n", &mut inputs);
    Fixture {
        dir,
        canaries: c,
        inputs,
    }
}

fn assert_clean(what: &str, text: &str, canaries: &[String]) {
    // Every canary starts with this; even a truncated one must not show.
    assert!(
        !text.contains("canary-"),
        "{what} shows part of a secret value"
    );
    for c in canaries {
        for form in forms(c) {
            assert!(!text.contains(&form), "{what} leaks a secret value ({c})");
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn no_value_leaves_the_secret_types() {
    let fx = fixture();
    let home = common::Home::new();
    let inv = fx.dir.path().join("secretops.toml");
    let inv = inv.to_str().expect("utf-8");
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", "--config", inv],
        vec!["check", "--config", inv, "--format", "json"],
        vec![
            "check",
            "--config",
            inv,
            "--format",
            "json",
            "--env",
            "production",
        ],
        vec!["check", "--config", inv, "--fail-on", "never"],
        vec!["diff", "staging", "production", "--config", inv],
        vec![
            "diff",
            "staging",
            "production",
            "--config",
            inv,
            "--format",
            "json",
        ],
        vec!["config", "validate", "--config", inv],
        vec!["config", "path", "--config", inv],
    ];
    let mut seen = 0;
    for args in &runs {
        let out = home
            .cmd()
            .args(args)
            .current_dir(fx.dir.path())
            .env("CANARY_PROCESS", &fx.canaries[5])
            .output()
            .expect("run");
        let label = args.join(" ");
        assert_clean(
            &format!("stdout of {label}"),
            &common::stdout(&out),
            &fx.canaries,
        );
        assert_clean(
            &format!("stderr of {label}"),
            &common::stderr(&out),
            &fx.canaries,
        );
        seen += out.stdout.len();
    }
    assert!(seen > 0, "the commands printed nothing at all");

    // `fingerprint` reads a value on stdin and prints only its fingerprint.
    let mut child = home
        .cmd()
        .args(["fingerprint", "--config", inv])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn fingerprint");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{}", fx.canaries[0]).expect("write stdin");
    }
    let out = child.wait_with_output().expect("fingerprint");
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out).trim().len(), 12);
    assert_clean("fingerprint stdout", &common::stdout(&out), &fx.canaries);
    assert_clean("fingerprint stderr", &common::stderr(&out), &fx.canaries);

    // The log exists (so this part of the test can fail) and holds no value.
    let log = std::fs::read_to_string(home.log_path()).expect("log file written");
    assert!(log.contains("secretops started"));
    assert_clean("the log", &log, &fx.canaries);

    // No file secretops wrote anywhere holds a value.
    let mut files = Vec::new();
    walk(home.path(), &mut files);
    walk(fx.dir.path(), &mut files);
    for f in files.iter().filter(|f| !fx.inputs.contains(f)) {
        let bytes = std::fs::read(f).expect("read written file");
        assert_clean(
            &f.display().to_string(),
            &String::from_utf8_lossy(&bytes),
            &fx.canaries,
        );
    }
}

#[test]
fn no_value_on_any_console_screen() {
    let fx = fixture();
    let inv = Arc::new(
        secretops::inventory::Inventory::load(&fx.dir.path().join("secretops.toml"))
            .expect("inventory"),
    );
    let key = Arc::new(
        secretops::fingerprint::FingerprintKey::from_file(&fx.dir.path().join("fp.key"))
            .expect("key"),
    );
    let canary_process = fx.canaries[5].clone();
    let lookup: secretops::sources::Lookup =
        Arc::new(move |name| (name == "CANARY_PROCESS").then(|| canary_process.clone()));
    let ctx = secretops::snapshot::load_context(&inv, lookup);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let snapshot = runtime.block_on(secretops::snapshot::load_all(&inv, &key, &ctx));

    let theme = secretops::tui::theme::Theme::load("dark").expect("theme");
    let mut app = App::new(
        Arc::clone(&inv),
        theme,
        secretops::tui::keymap::Keymap::default(),
    );
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
    app.refresh();
    assert_eq!(app.pending, 0);

    let mut screens = 0;
    let script: &[&[Action]] = &[
        &[],
        &[Action::Open],
        &[Action::Down, Action::Down],
        &[Action::Back, Action::Right, Action::Open],
        &[Action::Back, Action::NextPane, Action::Down],
        &[Action::Findings],
        &[Action::Down, Action::Down, Action::Down],
        &[Action::Help],
    ];
    for (w, h) in [(80, 24), (160, 48)] {
        app.size = (w, h);
        for steps in script {
            for &a in *steps {
                app.apply(a);
            }
            let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
            term.draw(|f| secretops::tui::view::draw(f, &app))
                .expect("draw");
            let buffer = term.backend().buffer().clone();
            let text: String = buffer
                .content()
                .iter()
                .map(ratatui::buffer::Cell::symbol)
                .collect();
            assert!(!text.trim().is_empty());
            assert_clean("a console screen", &text, &fx.canaries);
            screens += 1;
        }
        app.apply(Action::Overview);
    }
    assert_eq!(screens, 16);
}

/// `runbook run NAME --env ENV FLAGS… --config INV`.
fn run_args<'a>(words: &'a str, inv: &'a str) -> Vec<&'a str> {
    let mut w = words.split(' ');
    let name = w.next().unwrap_or_default();
    let env = w.next().unwrap_or_default();
    let mut args = vec!["runbook", "run", name, "--env", env];
    args.extend(w);
    args.extend(["--config", inv]);
    args
}

/// Files a runbook may write that hold a value by design: the env files it rewrites (inputs)
/// and the backup of each, which is the previous file with its mode.
fn is_backup(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".secretops-backup")
}

#[test]
fn no_value_in_runbook_output_audit_log_or_resume_files() {
    let fx = fixture();
    let home = common::Home::new();
    let inv = fx.dir.path().join("secretops.toml");
    let inv = inv.to_str().expect("utf-8");
    let runs: Vec<Vec<&str>> = vec![
        vec!["runbook", "list", "--config", inv],
        vec!["runbook", "list", "--config", inv, "--format", "json"],
        // staging's validator cannot be read (its compose file is broken): the first dry run
        // says so; the others take api's value.
        run_args("emergency-restore staging --dry-run", inv),
        run_args("emergency-restore staging --from api --dry-run", inv),
        // Writes worker's env file, then stops at the first copy it cannot write.
        run_args("emergency-restore staging --from api --yes", inv),
        run_args("emergency-restore staging --yes --resume", inv),
        vec![
            "runbook",
            "run",
            "emergency-restore",
            "--env",
            "production",
            "--yes",
            "--config",
            inv,
        ],
        vec![
            "runbook",
            "run",
            "breaker-reset",
            "--env",
            "staging",
            "--dry-run",
            "--config",
            inv,
        ],
        vec!["audit"],
        vec!["audit", "--format", "json"],
    ];
    let mut seen = 0;
    for args in &runs {
        let out = home
            .cmd()
            .args(args)
            .current_dir(fx.dir.path())
            .env("CANARY_PROCESS", &fx.canaries[5])
            .output()
            .expect("run");
        let label = args.join(" ");
        assert!(!common::stderr(&out).contains("panicked"), "{label}");
        assert_clean(
            &format!("stdout of {label}"),
            &common::stdout(&out),
            &fx.canaries,
        );
        assert_clean(
            &format!("stderr of {label}"),
            &common::stderr(&out),
            &fx.canaries,
        );
        seen += out.stdout.len();
    }
    assert!(seen > 0);
    let audit = home.path().join("state/secretops/audit.jsonl");
    let text = std::fs::read_to_string(&audit).expect("audit log written");
    assert!(
        text.contains("\"step\":\"write:worker\""),
        "the real run wrote: {text}"
    );
    let log = std::fs::read_to_string(home.log_path()).expect("log file written");
    assert_clean("the log", &log, &fx.canaries);

    let mut files = Vec::new();
    walk(home.path(), &mut files);
    walk(fx.dir.path(), &mut files);
    for f in files
        .iter()
        .filter(|f| !fx.inputs.contains(f) && !is_backup(f))
    {
        let bytes = std::fs::read(f).expect("read written file");
        assert_clean(
            &f.display().to_string(),
            &String::from_utf8_lossy(&bytes),
            &fx.canaries,
        );
    }
}

#[test]
fn no_value_on_the_runbook_and_audit_screens() {
    use secretops::tui::app::Effect;
    let fx = fixture();
    let state = tempfile::tempdir().expect("tmp");
    let inv = Arc::new(
        secretops::inventory::Inventory::load(&fx.dir.path().join("secretops.toml"))
            .expect("inventory"),
    );
    let key = Arc::new(
        secretops::fingerprint::FingerprintKey::from_file(&fx.dir.path().join("fp.key"))
            .expect("key"),
    );
    let canary_process = fx.canaries[5].clone();
    let lookup: secretops::sources::Lookup =
        Arc::new(move |name| (name == "CANARY_PROCESS").then(|| canary_process.clone()));
    let ctx = secretops::snapshot::load_context(&inv, lookup);
    let theme = secretops::tui::theme::Theme::load("dark").expect("theme");
    let mut app = App::new(
        Arc::clone(&inv),
        theme,
        secretops::tui::keymap::Keymap::default(),
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");

    let Some(Effect::StartRunbook(mut request)) =
        app.run_command("runbook emergency-restore staging dry-run")
    else {
        panic!("no runbook started: {:?}", app.note);
    };
    // staging's validator cannot be read (its compose file is broken): take api's value.
    request.from = Some("api".into());
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (_answers, answers_rx) = tokio::sync::mpsc::unbounded_channel();
    let setup = secretops::runbook::engine::Setup {
        inv: Arc::clone(&inv),
        key,
        load: ctx,
        request: *request,
        audit_path: state.path().join("audit.jsonl"),
        state_dir: state.path().to_path_buf(),
    };
    let summary = runtime.block_on(secretops::runbook::engine::run(
        setup, events_tx, answers_rx,
    ));
    assert!(summary.dry_run);
    while let Ok(event) = events.try_recv() {
        app.on_message(Message::Runbook(event));
    }
    let records = secretops::audit::read(&state.path().join("audit.jsonl")).expect("audit");
    assert!(!records.0.is_empty());

    let mut screens = 0;
    for (w, h) in [(80, 24), (160, 48)] {
        app.size = (w, h);
        let steps = app.recovery.run.as_ref().map_or(0, |r| r.steps.len());
        assert!(steps >= 4, "the plan has its steps");
        app.apply(Action::Top);
        for i in 0..=steps {
            if i > 0 {
                app.apply(Action::Down);
            }
            let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
            term.draw(|f| secretops::tui::view::draw(f, &app))
                .expect("draw");
            let text: String = term
                .backend()
                .buffer()
                .content()
                .iter()
                .map(ratatui::buffer::Cell::symbol)
                .collect();
            assert_clean("a runbook screen", &text, &fx.canaries);
            screens += 1;
        }
        app.apply(Action::Audit);
        app.on_message(Message::Audit(Ok(records.clone())));
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        term.draw(|f| secretops::tui::view::draw(f, &app))
            .expect("draw");
        let text: String = term
            .backend()
            .buffer()
            .content()
            .iter()
            .map(ratatui::buffer::Cell::symbol)
            .collect();
        assert!(text.contains("audit log"));
        assert_clean("the audit screen", &text, &fx.canaries);
        app.apply(Action::Back);
    }
    assert!(screens >= 10);
}
