//! Bad input gets a clear one-line error and never a panic: broken inventories exit 2 with
//! `file:line:column`, broken sources become `source-error` findings while the rest still loads.

mod common;

use std::path::Path;

const HEAD: &str = "[secret]\nname = \"SERVICE_SECRET\"\n";

fn inventory(dir: &Path, text: &str) -> String {
    let path = dir.join("secretops.toml");
    std::fs::write(&path, text).expect("write inventory");
    path.to_str().expect("utf-8").to_string()
}

/// Runs `config validate` and returns (exit code, stderr).
fn validate(path: &str) -> (Option<i32>, String) {
    let home = common::Home::new();
    let out = home.run(&["config", "validate", "--config", path]);
    (out.status.code(), common::stderr(&out))
}

fn assert_one_line_error(path: &str, expected: &str) {
    let (code, err) = validate(path);
    assert_eq!(code, Some(2), "exit status for {expected}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(expected), "expected {expected:?} in {err:?}");
}

#[test]
fn inventory_errors_name_the_position() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let env = "\n[[environment]]\nname = \"a\"\ntier = \"staging\"\n";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown source kind",
            format!(
                "{HEAD}{env}[[environment.service]]\nname = \"x\"\nrole = \"validator\"\nsource = {{ kind = \"vault\", path = \"p\" }}\n"
            ),
            "secretops.toml:10:19: unknown variant `vault`, expected one of `env-file`",
        ),
        (
            "two environments with one name",
            format!("{HEAD}{env}{env}"),
            "secretops.toml:9:8: environment \"a\" is defined twice",
        ),
        (
            "a field of the wrong type",
            format!("{HEAD}\n[[environment]]\nname = 5\ntier = \"staging\"\n"),
            "secretops.toml:5:8: invalid type: integer `5`, expected a string",
        ),
        (
            "an unterminated quote",
            format!("{HEAD}\n[[environment]]\nname = \"a\ntier = \"staging\"\n"),
            "secretops.toml:5:",
        ),
        (
            "an unknown tier",
            format!("{HEAD}\n[[environment]]\nname = \"a\"\ntier = \"prod\"\n"),
            "secretops.toml:6:8: unknown variant `prod`",
        ),
        (
            "a misspelt key",
            format!("{HEAD}\n[[environment]]\nname = \"a\"\ntierr = \"prod\"\n"),
            "unknown field `tierr`",
        ),
        (
            "no environments",
            HEAD.to_string(),
            "no [[environment]] defined",
        ),
        (
            "a bad command time-out",
            format!(
                "{HEAD}{env}[[environment.service]]\nname = \"x\"\nrole = \"validator\"\nsource = {{ kind = \"command\", program = \"true\", timeout = \"soon\" }}\n"
            ),
            "command timeout \"soon\" is not a duration",
        ),
    ];
    for (what, text, expected) in cases {
        let path = inventory(d, &text);
        let (code, err) = validate(&path);
        assert_eq!(code, Some(2), "{what}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{what}: one line: {err}");
        assert!(
            err.contains(expected),
            "{what}: expected {expected:?} in {err:?}"
        );
    }
}

#[test]
fn inventory_file_problems() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();

    // A folder instead of a file.
    assert_one_line_error(d.to_str().expect("utf-8"), "is a directory");

    // A missing file (a dangling link reads the same).
    let missing = d.join("nope.toml");
    assert_one_line_error(missing.to_str().expect("utf-8"), "no such file");

    // Binary garbage.
    let garbage = d.join("garbage.toml");
    std::fs::write(&garbage, [0x5b, 0xff, 0xfe, 0x00, 0x9c, 0x10]).expect("write");
    assert_one_line_error(
        garbage.to_str().expect("utf-8"),
        "garbage.toml:1:2: not UTF-8 text",
    );

    // Huge.
    let huge = d.join("huge.toml");
    std::fs::write(&huge, "#".repeat(2 * 1024 * 1024)).expect("write");
    assert_one_line_error(huge.to_str().expect("utf-8"), "larger than 1 MiB");
}

#[test]
fn the_console_refuses_a_broken_inventory_before_touching_the_terminal() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = inventory(dir.path(), "[secret\n");
    let home = common::Home::new();
    let out = home.run(&["--config", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(err.contains("secretops.toml:1:"), "{err}");
    // No alternate-screen escape was written.
    assert!(!common::stdout(&out).contains("\u{1b}[?1049h"));
}

#[test]
fn broken_sources_become_findings_and_the_rest_still_loads() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::write(
        d.join("good.env"),
        "SERVICE_SECRET=a-good-Value-for-staging-0123456789xyz\n",
    )
    .expect("w");
    std::fs::write(d.join("quote.env"), "A=1\nSERVICE_SECRET=\"never closed\n").expect("w");
    std::fs::write(d.join("binary.env"), b"SERVICE_SECRET=\x00\x01\x02").expect("w");
    std::fs::write(d.join("bad.yml"), "services:\n  a: [unclosed\n").expect("w");
    std::fs::write(
        d.join("huge.env"),
        "A=".to_string() + &"x".repeat(2 * 1024 * 1024),
    )
    .expect("w");
    std::fs::create_dir(d.join("folder.env")).expect("mkdir");
    std::fs::write(d.join("other.yml"), "services:\n  b: {}\n").expect("w");
    let svc = |name: &str, role: &str, source: &str| {
        format!(
            "[[environment.service]]\nname = \"{name}\"\nrole = \"{role}\"\nsource = {source}\n"
        )
    };
    let text = [
        HEAD.to_string(),
        "\n[[environment]]\nname = \"staging\"\ntier = \"staging\"\n".to_string(),
        svc("good", "validator", "{ kind = \"env-file\", path = \"good.env\" }"),
        svc("quote", "consumer", "{ kind = \"env-file\", path = \"quote.env\" }"),
        svc("binary", "consumer", "{ kind = \"env-file\", path = \"binary.env\" }"),
        svc("yaml", "consumer", "{ kind = \"compose\", file = \"bad.yml\", service = \"a\" }"),
        svc("huge", "consumer", "{ kind = \"env-file\", path = \"huge.env\" }"),
        svc("folder", "consumer", "{ kind = \"env-file\", path = \"folder.env\" }"),
        svc("absent", "consumer", "{ kind = \"env-file\", path = \"absent.env\" }"),
        svc("nocompose", "consumer", "{ kind = \"compose\", file = \"other.yml\", service = \"a\" }"),
        svc("fails", "consumer", "{ kind = \"command\", program = \"sh\", args = [\"-c\", \"echo denied >&2; exit 3\"] }"),
        svc("hangs", "consumer", "{ kind = \"command\", program = \"sleep\", args = [\"30\"], timeout = \"200ms\" }"),
        svc("nobin", "consumer", "{ kind = \"command\", program = \"secretops-no-such-program\" }"),
    ]
    .concat();
    let path = inventory(d, &text);
    let home = common::Home::new();
    let started = std::time::Instant::now();
    let out = home.run(&["check", "--config", &path, "--format", "json"]);
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert!(
        elapsed < std::time::Duration::from_secs(20),
        "a hung command must be stopped"
    );
    let json: serde_json::Value = serde_json::from_str(&common::stdout(&out)).expect("json");
    let services = json["environments"][0]["services"]
        .as_array()
        .expect("services");
    let get = |name: &str| {
        services
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(get("good")["status"], "present");
    let expect_error = [
        ("quote", "quote.env:2:"),
        ("quote", "unterminated quoted value"),
        ("binary", "binary data"),
        ("yaml", "bad.yml:"),
        ("huge", "larger than 1 MiB"),
        ("folder", "is a directory"),
        ("absent", "no such file"),
        ("nocompose", "not defined in"),
        ("fails", "exit status 3; stderr: denied"),
        ("hangs", "did not finish within 200ms"),
        ("nobin", "cannot start command"),
    ];
    for (name, needle) in expect_error {
        let s = get(name);
        assert_eq!(s["status"], "error", "{name}: {s}");
        let msg = s["error"].as_str().expect("error text");
        assert!(
            msg.contains(needle),
            "{name}: expected {needle:?} in {msg:?}"
        );
        assert!(
            !msg.contains("never closed"),
            "{name}: the error quotes file content"
        );
    }
    let source_errors = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["id"] == "source-error")
        .count();
    assert_eq!(source_errors, 10, "{}", json["findings"]);
}

/// Special files and runaway commands: no hang, no memory blow-up, no orphan.
#[test]
fn special_files_and_runaway_commands() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let fifo = d.join("fifo.env");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    // A marker no other process on the machine carries, to find orphans.
    let marker = format!("secretops-orphan-{}", std::process::id());
    let svc = |name: &str, source: &str| {
        format!(
            "[[environment.service]]\nname = \"{name}\"\nrole = \"consumer\"\nsource = {source}\n"
        )
    };
    let text = [
        HEAD.to_string(),
        "\n[[environment]]\nname = \"dev\"\ntier = \"development\"\n".to_string(),
        svc("fifo", "{ kind = \"env-file\", path = \"fifo.env\" }"),
        svc("zero", "{ kind = \"env-file\", path = \"/dev/zero\" }"),
        svc("flood", "{ kind = \"command\", program = \"sh\", args = [\"-c\", \"head -c 5000000 /dev/zero | tr '\\\\0' a\"], timeout = \"5s\" }"),
        svc("orphans", &format!("{{ kind = \"command\", program = \"sh\", args = [\"-c\", \"exec -a {marker} sleep 300 & sleep 300\"], timeout = \"500ms\" }}")),
        svc("lingering", &format!("{{ kind = \"command\", program = \"sh\", args = [\"-c\", \"(exec -a {marker} sleep 300) & echo dev-value-0123456789\"], timeout = \"5s\" }}")),
    ]
    .concat();
    let path = inventory(d, &text);
    let home = common::Home::new();
    let started = std::time::Instant::now();
    let out = home.run(&[
        "check",
        "--config",
        &path,
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "no hang"
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&common::stdout(&out)).expect("json");
    let get = |name: &str| {
        json["environments"][0]["services"]
            .as_array()
            .expect("services")
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name}"))
    };
    for (name, needle) in [
        ("fifo", "is a FIFO, not a regular file"),
        ("zero", "is a device, not a regular file"),
        ("flood", "printed more than 1 MiB"),
        ("orphans", "did not finish within 500ms"),
    ] {
        let err = get(name)["error"].as_str().unwrap_or("").to_string();
        assert!(
            err.contains(needle),
            "{name}: expected {needle:?} in {err:?}"
        );
    }
    // Exits with a value while a background child holds the pipe: read, not a time-out.
    assert_eq!(
        get("lingering")["status"],
        "present",
        "{}",
        get("lingering")
    );
    // Nothing it started outlives the check.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let ps = std::process::Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .expect("pgrep");
    assert!(
        ps.stdout.is_empty(),
        "orphaned processes: {}",
        String::from_utf8_lossy(&ps.stdout)
    );
}

#[test]
fn names_with_terminal_controls_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = inventory(
        dir.path(),
        &format!("{HEAD}\n[[environment]]\nname = \"prod\\u001b[2J\"\ntier = \"production\"\n"),
    );
    let (code, err) = validate(&path);
    assert_eq!(code, Some(2));
    assert!(err.contains("control or text-direction character"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "the error itself carries no escape"
    );
}
