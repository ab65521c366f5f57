//! `secretops scan` and `secretops init --from-scan` through the binary, and the console's
//! References view.

mod common;

use std::sync::Arc;

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

#[test]
fn init_from_scan_drafts_an_inventory_that_validates() {
    let dir = tempfile::tempdir().expect("tmp");
    copy_dir(&common::fixture("handed/platform"), dir.path());
    std::fs::remove_file(dir.path().join("secretops.toml")).expect("rm");
    let home = common::Home::new();
    let root = dir.path().to_str().expect("utf-8");
    let out = home.run(&["init", "--from-scan", root]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let draft = dir.path().join("secretops.toml");
    let text = std::fs::read_to_string(&draft).expect("draft written");
    assert!(text.starts_with("# DRAFT"));
    for env in ["development", "test", "staging", "production"] {
        assert!(
            text.contains(&format!("name = \"{env}\"")),
            "{env} in the draft"
        );
    }
    for svc in ["auth-service", "backend", "analytics"] {
        assert!(
            text.contains(&format!("service = \"{svc}\"")),
            "compose service {svc}"
        );
    }
    assert!(text.contains("REVIEW: role not inferred"));
    let out = home.run(&[
        "config",
        "validate",
        "--config",
        draft.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "the draft validates: {}",
        common::stderr(&out)
    );
    assert!(common::stdout(&out).contains("4 environments"));

    // A second run refuses to overwrite.
    let out = home.run(&["init", "--from-scan", root]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("--force"));
}

#[test]
fn scan_prints_every_format_without_values() {
    let home = common::Home::new();
    let root = common::fixture("scan-platform");
    let root = root.to_str().expect("utf-8");
    for format in ["text", "json", "markdown"] {
        let out = home.run(&["scan", root, "--var", "SERVICE_SECRET", "--format", format]);
        assert!(out.status.success(), "{format}: {}", common::stderr(&out));
        let text = common::stdout(&out);
        assert!(text.contains("auth-service"), "{format}");
        // A value planted in the fixture's env file.
        let env = std::fs::read_to_string(common::fixture("scan-platform/.env.development"))
            .expect("env");
        for line in env
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(_, v)| v.trim())
        {
            if line.len() > 8 {
                assert!(!text.contains(line), "{format} leaks a value");
            }
        }
    }
    let out = home.run(&["scan", "/definitely/not/here"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn console_references_view_scans_the_configured_root() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = common::fixture("scan-platform");
    std::fs::write(
        dir.path().join("a.env"),
        "SERVICE_SECRET=x-0123456789abcdefghijklmnop\n",
    )
    .expect("w");
    std::fs::write(dir.path().join("k"), "key\n").expect("w");
    let inv_path = dir.path().join("secretops.toml");
    std::fs::write(
        &inv_path,
        format!(
            "[secret]\nname = \"SERVICE_SECRET\"\n[fingerprint]\nkey_file = \"k\"\n[scan]\nroot = \"{}\"\n[[environment]]\nname = \"dev\"\ntier = \"development\"\n[[environment.service]]\nname = \"a\"\nrole = \"validator\"\nsource = {{ kind = \"env-file\", path = \"a.env\" }}\n",
            root.display()
        ),
    )
    .expect("inventory");
    let inv = Arc::new(secretops::inventory::Inventory::load(&inv_path).expect("inventory"));
    let key =
        secretops::fingerprint::FingerprintKey::from_file(&dir.path().join("k")).expect("key");
    let theme = secretops::tui::theme::Theme::load("dark").expect("theme");
    let mut app = secretops::tui::app::App::new(
        Arc::clone(&inv),
        theme,
        secretops::tui::keymap::Keymap::default(),
    );
    let effect = app.apply(secretops::tui::action::Action::References);
    assert_eq!(effect, Some(secretops::tui::app::Effect::Scan));
    let table = secretops::tui::scan_references(&inv, &key).expect("scan");
    assert!(
        table.contains("TOTAL") && table.contains("risk:"),
        "{table}"
    );
}
