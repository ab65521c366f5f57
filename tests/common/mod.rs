//! Helpers shared by the integration tests: run the real binary with a private home.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A private home for one test: config, data and state directories under a temp folder, so
/// no test reads or writes the developer's own files.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp home"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The secretops binary with this home and a clean environment for secret names.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_secretops"));
        let home = self.dir.path();
        cmd.env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("SECRETOPS_LOG", "debug")
            .env_remove("SERVICE_SECRET")
            .env_remove("JWT_SECRET_KEY")
            .env_remove("SECRETOPS_CONFIG")
            .env_remove("NO_COLOR");
        cmd
    }

    /// Runs with arguments and returns the output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run secretops")
    }

    /// The log file the binary writes.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("state/secretops/secretops.log")
    }
}

/// Path of a fixture under tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether a JSON document mentions a string anywhere (for leak checks).
pub fn stdout_contains(json: &serde_json::Value, needle: &str) -> bool {
    json.to_string().contains(needle)
}
