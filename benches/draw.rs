//! Drawing cost of every view, on the handed case and on a large inventory (10 environments x
//! 100 services), with `cargo bench --bench draw`. Drawing is a pure function of the state, so
//! this is the whole per-frame cost apart from the terminal write.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secretops::tui::action::Action;
use secretops::tui::app::{App, Message};

fn loaded(path: &Path) -> App {
    let inv = Arc::new(secretops::inventory::Inventory::load(path).expect("inventory"));
    let key = Arc::new(
        secretops::fingerprint::FingerprintKey::from_file(inv.key_file.as_deref().expect("key"))
            .expect("key"),
    );
    let ctx = secretops::snapshot::load_context(&inv, Arc::new(|_| None));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let snapshot = rt.block_on(secretops::snapshot::load_all(&inv, &key, &ctx));
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
    app.size = (160, 48);
    app
}

fn large_inventory(dir: &Path) -> std::path::PathBuf {
    let mut text =
        String::from("[secret]\nname = \"SERVICE_SECRET\"\n[fingerprint]\nkey_file = \"k\"\n");
    std::fs::write(dir.join("k"), "bench\n").expect("key");
    for e in 0..10 {
        let _ = write!(
            text,
            "\n[[environment]]\nname = \"env{e}\"\ntier = \"staging\"\n"
        );
        for s in 0..100 {
            let file = format!("e{e}s{s}.env");
            // Every tenth service disagrees, so findings exist.
            let v = if s % 10 == 3 { "other" } else { "same" };
            std::fs::write(
                dir.join(&file),
                format!("SERVICE_SECRET=st-{v}-{e}-0123456789abcdefghijklmnop\n"),
            )
            .expect("env");
            let role = if s == 0 { "validator" } else { "consumer" };
            let _ = writeln!(
                text,
                "[[environment.service]]\nname = \"svc{s}\"\nrole = \"{role}\"\nsource = {{ kind = \"env-file\", path = \"{file}\" }}"
            );
        }
    }
    let path = dir.join("secretops.toml");
    std::fs::write(&path, text).expect("inventory");
    path
}

fn bench_views(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let handed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/handed/platform/secretops.toml");
    let large = large_inventory(dir.path());
    let views: &[(&str, &[Action])] = &[
        ("overview", &[]),
        ("environment", &[Action::Open]),
        ("findings", &[Action::Findings]),
        ("help", &[Action::Help]),
    ];
    for (case, path) in [
        ("handed", handed.as_path()),
        ("1000-services", large.as_path()),
    ] {
        for (view, keys) in views {
            let mut app = loaded(path);
            for &k in *keys {
                app.apply(k);
            }
            let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
            c.bench_function(&format!("draw {view} ({case}, 160x48)"), |b| {
                b.iter(|| {
                    term.draw(|f| secretops::tui::view::draw(f, black_box(&app)))
                        .expect("draw");
                });
            });
        }
        // Re-evaluating every finding, as happens once per frame after new results.
        let app = loaded(path);
        c.bench_function(&format!("evaluate findings ({case})"), |b| {
            b.iter(|| {
                secretops::findings::evaluate(black_box(&app.inventory), black_box(&app.snapshot))
            });
        });
    }
}

criterion_group!(benches, bench_views);
criterion_main!(benches);
