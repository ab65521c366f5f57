//! Helpers for the runbook tests: the real `secretops demo --headless` as a child process, env
//! file edits, and a leak check over every form a value could take.
#![allow(dead_code)] // each test file uses a different subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `secretops demo --headless` running in a temp workdir; killed when dropped.
pub struct DemoProcess {
    child: Child,
    pub inventory: PathBuf,
    pub workdir: PathBuf,
}

impl DemoProcess {
    /// Starts the demo with `cmd` (a `Home::cmd()`) and waits for its `ready: PATH` line.
    pub fn start(mut cmd: Command, workdir: &Path) -> Self {
        let mut child = cmd
            .args(["demo", "--headless", "--workdir"])
            .arg(workdir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start secretops demo --headless");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let mut demo = Self {
            child,
            inventory: PathBuf::new(),
            workdir: workdir.to_path_buf(),
        };
        let path = line.trim().strip_prefix("ready: ").map(PathBuf::from);
        demo.inventory = path.unwrap_or_else(|| panic!("no ready line from the demo: {line:?}"));
        demo
    }

    pub fn inv(&self) -> &str {
        self.inventory.to_str().expect("utf-8")
    }

    /// An env file of the demo, by environment and service.
    pub fn env_file(&self, env: &str, service: &str) -> PathBuf {
        self.workdir.join(env).join(format!("{service}.env"))
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new random value shaped like the demo's for `prefix` (`st-`, `pr-`), `len` long.
pub fn random_value(prefix: &str, len: usize) -> String {
    let mut raw = [0u8; 64];
    getrandom::fill(&mut raw).expect("random");
    let mut v = format!("{prefix}{}", hex::encode(raw));
    v.truncate(len);
    v
}

/// Replaces `VAR=…` in a file (keeping every other line), as a person editing it would.
pub fn set_var(path: &Path, var: &str, value: &str) {
    let text = std::fs::read_to_string(path).expect("read env file");
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with(&format!("{var}=")) {
                format!("{var}={value}")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(path, out.join("\n") + "\n").expect("write env file");
}

/// The value of `VAR=` in a simple env file.
pub fn get_var(path: &Path, var: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()?.lines().find_map(|l| {
        l.strip_prefix(&format!("{var}="))
            .map(|v| v.trim_matches(['\'', '"']).to_string())
    })
}

/// Every value assigned in every `.env` file below `dir` (backups included).
pub fn values_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().contains(".env") {
                for line in std::fs::read_to_string(&p).unwrap_or_default().lines() {
                    if let Some((_, v)) = line.split_once('=') {
                        let v = v.trim_matches(['\'', '"']);
                        if v.len() >= 8 {
                            out.push(v.to_string());
                        }
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Standard base64 (the test must not trust the code under test for this).
fn base64(bytes: &[u8]) -> String {
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

/// Fails when `text` holds any of `values`, raw, hex or base64.
pub fn assert_no_value(what: &str, text: &str, values: &[String]) {
    for v in values {
        for form in [
            v.clone(),
            hex::encode(v),
            base64(v.as_bytes()).trim_end_matches('=').to_string(),
        ] {
            assert!(!text.contains(&form), "{what} shows a secret value");
        }
    }
}

/// Polls `f` until it returns `Some`, failing after `timeout`.
pub fn eventually<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
