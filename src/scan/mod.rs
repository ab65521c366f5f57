//! `secretops scan`: maps every place a shared secret is defined or read in a codebase.
//!
//! Before a rotation, or during an outage, the question is "who holds this secret and where
//! does each copy come from?". The scan answers it from the files alone: env files, compose
//! files, Kubernetes/Helm/Terraform/CI/Docker deployment files, code that reads the variable,
//! tests and docs. Each detector is a line scanner tuned to the common forms of its format
//! rather than a full parser: a scan must never stop on a file it half understands, and a
//! missed exotic form costs less than a crash halfway through 100,000 files.
//!
//! Values are held as [`SecretString`], and file text is zeroized after each file. No output
//! prints a value: the table, JSON and Markdown take a caller-supplied fingerprint function and
//! show its result instead; the draft inventory shows none at all.

mod classify;
mod code;
mod compose;
mod config;
mod deploy;
mod draft;
mod envfile;
mod file;
mod markdown;
mod output;
mod risks;
mod text;
mod walk;
mod yaml;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use secrecy::SecretString;

pub use draft::draft_inventory;
pub use markdown::to_markdown;
pub use output::{ServiceCounts, service_counts, summary_table, to_json};
pub use risks::{Risk, RiskLocation, risks};

/// Largest file the scan reads: anything bigger is data, not configuration or code.
pub const MAX_SCAN_BYTES: u64 = 1024 * 1024;

/// How much of a file is searched for a NUL byte to call it binary (what git and ripgrep do).
pub const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// Turns a value into something safe to show. Supplied by the caller (an HMAC with the
/// project's key in the real tool) so the scan itself never decides how values are shown.
pub type Fingerprint<'a> = &'a dyn Fn(&SecretString) -> String;

/// What to scan and how to name what is found.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// The folder to walk; `.gitignore` files inside it (and above it) are honoured.
    pub root: PathBuf,
    /// Variable names to look for, matched as whole names (`SERVICE_SECRET` does not match
    /// `SERVICE_SECRET_FILE`).
    pub vars: Vec<String>,
    /// Path prefix (relative to `root`, whole components) → service name. The longest matching
    /// prefix wins over every guess.
    pub services: BTreeMap<String, String>,
}

/// What a hit is, by the precedence test path → documentation → deployment → definition →
/// read: a test that defines the variable is still a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HitClass {
    Definition,
    Read,
    Test,
    Deployment,
    Documentation,
}

impl HitClass {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Definition => "definition",
            Self::Read => "read",
            Self::Test => "test",
            Self::Deployment => "deployment",
            Self::Documentation => "documentation",
        }
    }
}

/// Which detector found a hit. The draft inventory needs it: only env files and compose
/// entries can become inventory sources, and a compose entry needs its compose service even
/// when the caller's mapping renamed the hit's service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    EnvFile,
    Compose {
        /// The compose service the line sits under (`None` outside `services:`).
        service: Option<String>,
        /// For an `env_file` reference: the referenced file, relative to the root.
        via_env_file: Option<String>,
    },
    Kubernetes,
    Helm,
    Terraform,
    Ci,
    Dockerfile,
    Shell,
    Code,
    /// A YAML/JSON/TOML/INI config file read by a config loader.
    Config,
    /// A plain mention (docs, or a line no detector understood).
    Text,
}

impl Origin {
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::EnvFile => "env-file",
            Self::Compose { .. } => "compose",
            Self::Kubernetes => "kubernetes",
            Self::Helm => "helm",
            Self::Terraform => "terraform",
            Self::Ci => "ci",
            Self::Dockerfile => "dockerfile",
            Self::Shell => "shell",
            Self::Code => "code",
            Self::Config => "config",
            Self::Text => "text",
        }
    }
}

/// One place where a variable is defined, read or mentioned.
#[derive(Clone, Debug)]
pub struct Hit {
    /// Relative to the scan root, `/`-separated.
    pub path: String,
    /// 1-based.
    pub line: usize,
    pub var: String,
    pub class: HitClass,
    pub service: String,
    /// From the file name (or, for compose, from the env files the service loads).
    pub environment: Option<String>,
    /// The literal value of a definition; `None` for reads, references (`${{ secrets.X }}`,
    /// `secretKeyRef`) and everything in tests and docs. Never printed.
    pub value: Option<SecretString>,
    /// A read with a fallback default (`os.getenv("X", "dev")`, `${X:-dev}`): the service
    /// starts with a wrong value instead of failing when the variable is missing.
    pub has_default: bool,
    pub origin: Origin,
}

/// A test file that names a file holding definitions (it loads real values).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TestReference {
    pub test_path: String,
    pub line: usize,
    /// The definition file it names.
    pub file: String,
}

/// How many files were read and how many were passed over, and why.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Text files read (whether or not they held a hit).
    pub files_scanned: usize,
    /// A NUL byte in the first 8 KiB.
    pub skipped_binary: usize,
    /// Over [`MAX_SCAN_BYTES`].
    pub skipped_too_large: usize,
    /// Could not be listed or read.
    pub skipped_unreadable: usize,
}

/// Everything the scan found, sorted by path, line and variable.
#[derive(Clone, Debug, Default)]
pub struct ScanReport {
    pub root: PathBuf,
    pub vars: Vec<String>,
    /// The caller's service mapping, kept so the draft inventory can tell chosen names from
    /// guessed ones.
    pub services: BTreeMap<String, String>,
    pub hits: Vec<Hit>,
    pub test_references: Vec<TestReference>,
    pub stats: ScanStats,
}

/// Walks `opts.root` in parallel and maps every definition, read and mention of `opts.vars`.
#[must_use]
pub fn scan(opts: &ScanOptions) -> ScanReport {
    walk::run(opts)
}

/// What a detector saw on a line, before the path decides the hit's class.
pub(crate) enum Found {
    Define {
        value: Option<SecretString>,
        has_default: bool,
    },
    Read {
        has_default: bool,
    },
    /// Named without a recognised form: kept only in tests, docs and deployment files.
    Mention,
    /// Part of an entry reported on another line (the `key:` under a `secretKeyRef`).
    Claimed,
}

/// A detector's finding: `var` indexes `ScanOptions::vars`.
pub(crate) struct Raw {
    pub line: usize,
    pub var: usize,
    pub found: Found,
    pub origin: Origin,
    /// Overrides the environment of the path (compose services take it from their env files).
    pub environment: Option<String>,
}

impl Raw {
    pub(crate) fn new(line: usize, var: usize, found: Found, origin: Origin) -> Self {
        Self {
            line,
            var,
            found,
            origin,
            environment: None,
        }
    }
}

/// `(line, has_default)` of every hit, reads with their default flag: what the detector tests
/// compare.
#[cfg(test)]
pub(crate) fn read_lines(raws: &[Raw]) -> Vec<(usize, bool)> {
    raws.iter()
        .map(|r| match r.found {
            Found::Read { has_default } => (r.line, has_default),
            _ => (r.line, false),
        })
        .collect()
}
