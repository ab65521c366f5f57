//! Runbooks against local files: `--read-only` and `read_only = true` refuse, a write that
//! fails half way leaves the file as it was and says so (and `--resume` finishes the job), a
//! dry run changes nothing, values secretops cannot write become manual steps naming the exact
//! place, and broken `[[runbook]]` tables are one-line errors with a position.

mod common;
#[path = "runbook_support/mod.rs"]
mod support;

use std::path::PathBuf;

use support::{assert_no_value, get_var};

const AUTH: &str = "st-Validator0Value0That0Is0Long0Enough0For0Staging";
const OLD: &str = "st-Old0Value0From0Before0The0Rotation0Long0Enough0";

struct Fleet {
    dir: tempfile::TempDir,
    home: common::Home,
}

impl Fleet {
    /// staging: auth (validator) and backend (consumer, an old value), plus `extra` services.
    fn new(env_extra: &str, extra: &str) -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let d = dir.path();
        std::fs::write(d.join("auth.env"), format!("SERVICE_SECRET={AUTH}\n")).expect("w");
        std::fs::write(
            d.join("backend.env"),
            format!("# backend\nOTHER=1\nSERVICE_SECRET='{OLD}'\nTAIL=x\n"),
        )
        .expect("w");
        let inv = format!(
            "[secret]\nname = \"SERVICE_SECRET\"\n\n[[environment]]\nname = \"staging\"\n\
             tier = \"staging\"\n{env_extra}\n\
             [[environment.service]]\nname = \"auth\"\nrole = \"validator\"\n\
             source = {{ kind = \"env-file\", path = \"auth.env\" }}\n\n\
             [[environment.service]]\nname = \"backend\"\nrole = \"consumer\"\n\
             source = {{ kind = \"env-file\", path = \"backend.env\" }}\n{extra}"
        );
        std::fs::write(d.join("secretops.toml"), inv).expect("w");
        Self {
            dir,
            home: common::Home::new(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let inv = self.path("secretops.toml");
        self.home
            .cmd()
            .args(args)
            .arg("--config")
            .arg(inv)
            .output()
            .expect("run")
    }

    fn resume_file(&self) -> PathBuf {
        self.home
            .path()
            .join("state/secretops/runbooks/emergency-restore@staging.json")
    }
}

fn restore(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["runbook", "run", "emergency-restore", "--env", "staging"];
    args.extend_from_slice(extra);
    args.into_iter().map(str::to_string).collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn read_only_refuses_every_action() {
    let f = Fleet::new("", "");
    let before = std::fs::read(f.path("backend.env")).expect("read");
    for args in [
        restore(&["--yes", "--read-only"]),
        ["--read-only".to_string()]
            .into_iter()
            .chain(restore(&["--yes"]))
            .collect(),
    ] {
        let out = f.run(&strs(&args));
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("refused: --read-only is set"), "{err}");
    }
    // A dry run still shows the plan.
    let out = f.run(&strs(&restore(&["--dry-run", "--read-only"])));
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(common::stdout(&out).contains("rewrite line 3 of backend.env"));

    let g = Fleet::new("read_only = true\n", "");
    let out = g.run(&strs(&restore(&["--yes"])));
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("staging is read-only (read_only = true in"),
        "{err}"
    );
    let list = common::stdout(&g.run(&["runbook", "list"]));
    assert!(
        list.contains("refused in staging (read_only = true)"),
        "{list}"
    );
    assert_eq!(std::fs::read(f.path("backend.env")).expect("read"), before);
    assert_eq!(std::fs::read(g.path("backend.env")).expect("read"), before);
    assert!(!f.path("backend.env.secretops-backup").exists());
}

#[test]
fn a_write_that_fails_half_way_leaves_the_file_as_it_was() {
    let f = Fleet::new("", "");
    let before = std::fs::read(f.path("backend.env")).expect("read");
    // The backup's name is taken by a folder that is not empty: the new content has been
    // written to the temporary file when keeping the backup fails. Unlike a read-only
    // folder, this stops root too (the tests run as root).
    let blocker = f.path("backend.env.secretops-backup");
    std::fs::create_dir(&blocker).expect("mkdir");
    std::fs::write(blocker.join("keep"), "x").expect("w");

    let out = f.run(&strs(&restore(&["--yes"])));
    let stdout = common::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("backend.env is unchanged"), "{stdout}");
    assert!(
        stdout.contains("To carry on from this step: secretops runbook run"),
        "{stdout}"
    );
    assert_eq!(std::fs::read(f.path("backend.env")).expect("read"), before);
    assert!(
        !f.path(".backend.env.secretops-tmp").exists(),
        "temporary file left"
    );
    assert!(!f.path(".backend.env.secretops-backup-tmp").exists());
    assert!(f.resume_file().exists());

    // Fixed: the resumed run writes it, and forgets the failed run.
    std::fs::remove_dir_all(&blocker).expect("rm");
    let out = f.run(&strs(&restore(&["--yes", "--resume"])));
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    assert_eq!(
        get_var(&f.path("backend.env"), "SERVICE_SECRET").as_deref(),
        Some(AUTH)
    );
    assert_eq!(std::fs::read(&blocker).expect("backup"), before);
    assert!(!f.resume_file().exists());
    let out = f.run(&strs(&restore(&["--yes", "--resume"])));
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("nothing to resume"));
}

/// Clears the immutable flag even when the test fails, so the temp folder can be removed.
struct Immutable(PathBuf);

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_rename_over_an_immutable_file_fails_and_says_so() {
    let f = Fleet::new("", "");
    let target = f.path("backend.env");
    let before = std::fs::read(&target).expect("read");
    let made = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&target)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("skipped: chattr +i is not available on this file system");
        return;
    }
    let _guard = Immutable(target.clone());
    let out = f.run(&strs(&restore(&["--yes"])));
    let stdout = common::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("cannot replace it"), "{stdout}");
    assert!(stdout.contains("backend.env is unchanged"), "{stdout}");
    assert_eq!(std::fs::read(&target).expect("read"), before);
    assert!(!f.path(".backend.env.secretops-tmp").exists());
}

#[test]
fn dry_run_changes_nothing_and_unwritable_copies_become_exact_manual_steps() {
    let compose = "services:\n  worker:\n    environment:\n      SERVICE_SECRET: \"st-literal-in-compose-file-0000000000000000\"\n";
    let extra = "\n[[environment.service]]\nname = \"worker\"\nrole = \"consumer\"\n\
                 source = { kind = \"compose\", file = \"compose.yml\", service = \"worker\" }\n\n\
                 [[environment.service]]\nname = \"vaulted\"\nrole = \"consumer\"\n\
                 source = { kind = \"command\", program = \"cat\", args = [\"vault.txt\"] }\n";
    let f = Fleet::new("", extra);
    std::fs::write(f.path("compose.yml"), compose).expect("w");
    std::fs::write(
        f.path("vault.txt"),
        "st-from-the-vault-0000000000000000000000000\n",
    )
    .expect("w");
    let files = ["backend.env", "compose.yml", "vault.txt"];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|n| std::fs::read(f.path(n)).expect("r"))
        .collect();

    let out = f.run(&strs(&restore(&["--dry-run"])));
    let stdout = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("rewrite line 3 of backend.env (SERVICE_SECRET=…)"),
        "{stdout}"
    );
    assert!(stdout.contains("compose file at compose.yml:4"), "{stdout}");
    assert!(stdout.contains("the command `cat vault.txt`"), "{stdout}");
    let after: Vec<Vec<u8>> = files
        .iter()
        .map(|n| std::fs::read(f.path(n)).expect("r"))
        .collect();
    assert_eq!(before, after);

    // For real, without a terminal: the file is written, then the first manual step stops
    // the run and says what to do.
    let out = f.run(&strs(&restore(&["--yes"])));
    let stdout = common::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("restore worker by hand"), "{stdout}");
    assert_eq!(
        get_var(&f.path("backend.env"), "SERVICE_SECRET").as_deref(),
        Some(AUTH)
    );
    let values = vec![
        AUTH.to_string(),
        OLD.to_string(),
        "st-literal-in-compose-file-0000000000000000".to_string(),
        "st-from-the-vault-0000000000000000000000000".to_string(),
    ];
    assert_no_value("stdout", &stdout, &values);
    let audit =
        std::fs::read_to_string(f.home.path().join("state/secretops/audit.jsonl")).expect("audit");
    assert_no_value("audit", &audit, &values);
    assert_no_value(
        "resume file",
        &std::fs::read_to_string(f.resume_file()).expect("resume"),
        &values,
    );
}

fn validate(runbook: &str) -> String {
    let f = Fleet::new("", runbook);
    let out = f.run(&["config", "validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stdout(&out));
    common::stderr(&out)
}

#[test]
fn broken_runbook_tables_are_one_line_errors_with_a_position() {
    let cases = [
        (
            "\n[[runbook]]\nname = \"emergency-restore\"\n[[runbook.step]]\nkind = \"check\"\ncheck = \"fingerprints-agree\"\n",
            "secretops.toml:19:8: runbook \"emergency-restore\" is built in; give yours another name",
        ),
        (
            "\n[[runbook]]\nname = \"x\"\n[[runbook.step]]\nkind = \"action\"\naction = \"run-command\"\nprogram = \"true\"\nurl = \"http://a\"\n",
            "runbook \"x\" step 1: `url` does not apply to this action step; it takes: action, program, args, timeout",
        ),
        (
            "\n[[runbook]]\nname = \"x\"\n[[runbook.step]]\nkind = \"wait\"\nuntil = \"breakers-closed\"\ntimeout = \"soon\"\n",
            "runbook \"x\" step 1: timeout \"soon\" is not a duration",
        ),
        (
            "\n[[runbook]]\nname = \"x\"\nenvironments = [\"prod\"]\n[[runbook.step]]\nkind = \"manual\"\ntext = \"t\"\n",
            "runbook \"x\": no environment \"prod\"; it has: staging",
        ),
        (
            "\n[[runbook]]\nname = \"x\"\n[[runbook.step]]\nkind = \"check\"\ncheck = \"all-good\"\n",
            "unknown variant `all-good`, expected one of `fingerprints-agree`",
        ),
        (
            "\n[[runbook]]\nname = \"x\"\n[[runbook.step]]\nkind = \"action\"\naction = \"http-request\"\nurl = \"http://a\"\nsecret_header = \"X-Service-Secret\"\n",
            "secret_header and from go together",
        ),
    ];
    for (text, expected) in cases {
        let err = validate(text);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

#[test]
fn the_example_recovery_inventory_parses_and_plans() {
    let inv = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/recovery.toml");
    let home = common::Home::new();
    let out = home.run(&["config", "validate", "--config", inv]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    for (runbook, expected) in [
        (
            "restart-and-watch",
            "with X-Service-Secret set to the value backend reads when the request is sent",
        ),
        (
            "emergency-restore",
            "run `docker compose -f docker-compose.yml restart backend`",
        ),
    ] {
        let out = home.run(&[
            "runbook",
            "run",
            runbook,
            "--env",
            "staging",
            "--dry-run",
            "--config",
            inv,
        ]);
        let stdout = common::stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}{}",
            common::stderr(&out)
        );
        assert!(stdout.contains(expected), "{stdout}");
        assert!(
            stdout.contains("dry run done: nothing was changed"),
            "{stdout}"
        );
    }
}
