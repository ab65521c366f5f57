//! The command line: argument parsing and the headless commands.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::findings::{self, Severity};
use crate::fingerprint::FingerprintKey;
use crate::inventory::{self, Inventory};
use crate::report;
use crate::snapshot;
use crate::sources;

/// Exit status for a usage or inventory error.
const EXIT_USAGE: u8 = 2;

/// See, fix and verify the secret your services share.
#[derive(Debug, Parser)]
#[command(name = "secretops", version, about, long_about = None)]
pub struct Cli {
    /// Inventory file (default: ./secretops.toml, then the user config directory).
    #[arg(long, global = true, env = "SECRETOPS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Colour theme for the console.
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,

    /// Refuse every action: runbooks only check and preview, the console offers no action.
    #[arg(long, global = true)]
    pub read_only: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the console (the default).
    Tui,
    /// Check every copy of the secret and exit 1 when a finding is at or above --fail-on.
    Check(CheckArgs),
    /// Compare two environments service by service.
    Diff(DiffArgs),
    /// Print the fingerprint of one value read from stdin (no echo on a terminal).
    Fingerprint,
    /// Start a local fleet that reproduces the outage, and open the console on it.
    Demo(DemoArgs),
    /// Map every place a secret is defined, read, tested, deployed or documented in a tree.
    Scan(ScanArgs),
    /// Write a draft inventory from what a scan finds.
    Init(InitArgs),
    /// Inspect the inventory.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Guided recovery: list runbooks, or run one with previews, confirmations and checks.
    Runbook {
        #[command(subcommand)]
        action: RunbookAction,
    },
    /// Show the audit log of runbook steps.
    Audit(AuditArgs),
}

#[derive(Debug, Subcommand)]
pub enum RunbookAction {
    /// List the built-in runbooks and the inventory's own.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Run a runbook on one environment; exit 0 only when every step succeeded.
    Run(RunArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The runbook (see `secretops runbook list`).
    pub name: String,
    /// The environment to act on.
    #[arg(long = "env", value_name = "ENV")]
    pub env: String,
    /// Run the checks and show every preview; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Answer confirmations (outside production; production also needs --confirm ENV).
    #[arg(long)]
    pub yes: bool,
    /// The environment's name, typed ahead: with --yes, answers production's confirmations.
    #[arg(long, value_name = "ENV")]
    pub confirm: Option<String>,
    /// emergency-restore: the service whose value is right (default: the validator).
    #[arg(long, value_name = "SERVICE")]
    pub from: Option<String>,
    /// breaker-reset: only this service's breakers.
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// Carry on from the step where the last run of this runbook on ENV failed.
    #[arg(long)]
    pub resume: bool,
    /// How long a wait step waits before it fails (e.g. "3m").
    #[arg(long, value_name = "DURATION")]
    pub wait_timeout: Option<String>,
    /// Seconds between the two scrapes that give an auth rate.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub window: f64,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only the last N records.
    #[arg(long, value_name = "N")]
    pub tail: Option<usize>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            Self::Critical => Some(Severity::Critical),
            Self::High => Some(Severity::High),
            Self::Medium => Some(Severity::Medium),
            Self::Low => Some(Severity::Low),
            Self::Never => None,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Only report these environments (repeatable).
    #[arg(long = "env", value_name = "NAME")]
    pub envs: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Lowest severity that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Also read health, breakers and auth rates from the configured endpoints.
    #[arg(long)]
    pub live: bool,
    /// Seconds between the two scrapes that give a rate (with --live).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub window: f64,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    pub env_a: String,
    pub env_b: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder for the fleet's env files and inventory (default: a fresh folder in the data
    /// directory). Reusing one keeps its values.
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// Run the fleet without the console; print `ready: <inventory>` and run until stopped.
    #[arg(long)]
    pub headless: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ScanFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// The folder to scan (.gitignore honoured; binary files and files over 1 MiB skipped).
    pub path: PathBuf,
    /// Variables to look for (default: the inventory's secret and related names, else
    /// `SERVICE_SECRET`).
    #[arg(long = "var", value_name = "NAME")]
    pub vars: Vec<String>,
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Scan this folder and draft an inventory from it.
    #[arg(long = "from-scan", value_name = "PATH")]
    pub from_scan: PathBuf,
    /// Where to write the draft (default: PATH/secretops.toml; `-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The variable the inventory tracks.
    #[arg(long, value_name = "NAME", default_value = "SERVICE_SECRET")]
    pub secret: String,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Parse and validate the inventory; exit 2 with `file:line:column` on an error.
    Validate,
    /// Print which inventory file would be used, and why.
    Path,
}

/// A failure to report on stderr with exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

/// Entry point for the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log = crate::logging::init();
    match run(cli) {
        Ok(code) => code,
        Err(UsageError(message)) => {
            tracing::error!(%message, "command failed");
            eprintln!("secretops: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode, UsageError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match cli.command {
        None | Some(Command::Tui) => crate::tui::run_console(
            &runtime,
            cli.config.as_deref(),
            cli.theme,
            None,
            cli.read_only,
        ),
        Some(Command::Check(args)) => check(&runtime, cli.config.as_deref(), &args),
        Some(Command::Diff(args)) => diff(&runtime, cli.config.as_deref(), &args),
        Some(Command::Fingerprint) => fingerprint(cli.config.as_deref()),
        Some(Command::Demo(args)) => demo(&runtime, &args, cli.theme, cli.read_only),
        Some(Command::Scan(args)) => scan(cli.config.as_deref(), &args),
        Some(Command::Init(args)) => init(&args),
        Some(Command::Config { action }) => config(cli.config.as_deref(), &action),
        Some(Command::Runbook { action }) => {
            runbook(&runtime, cli.config.as_deref(), action, cli.read_only)
        }
        Some(Command::Audit(args)) => audit(&args),
    }
}

fn runbook(
    runtime: &tokio::runtime::Runtime,
    config: Option<&std::path::Path>,
    action: RunbookAction,
    read_only: bool,
) -> Result<ExitCode, UsageError> {
    let inv = Arc::new(load_inventory(config)?);
    match action {
        RunbookAction::List { format } => {
            print(&crate::runbook::headless::list(
                &inv,
                format == Format::Json,
                read_only,
            )?)?;
            Ok(ExitCode::SUCCESS)
        }
        RunbookAction::Run(args) => {
            if !(args.window.is_finite() && (0.1..=60.0).contains(&args.window)) {
                return Err(UsageError(
                    "--window must be between 0.1 and 60 seconds".into(),
                ));
            }
            let wait_timeout = args
                .wait_timeout
                .as_deref()
                .map(|t| {
                    humantime::parse_duration(t).map_err(|e| {
                        UsageError(format!(
                            "--wait-timeout \"{t}\" is not a duration ({e}); write e.g. \"3m\""
                        ))
                    })
                })
                .transpose()?;
            let request = crate::runbook::RunRequest {
                runbook: args.name,
                environment: args.env,
                from: args.from,
                service: args.service,
                dry_run: args.dry_run,
                resume: args.resume,
                read_only,
                wait_timeout,
                window: std::time::Duration::from_secs_f64(args.window),
                confirmation: crate::runbook::Confirmation {
                    yes: args.yes,
                    confirm: args.confirm,
                    // Set by the runner, which knows whether stdin is a terminal.
                    interactive: false,
                },
            };
            crate::runbook::headless::run(runtime, inv, request)
        }
    }
}

fn audit(args: &AuditArgs) -> Result<ExitCode, UsageError> {
    let path = crate::audit::default_path()
        .ok_or_else(|| UsageError("no state directory for the audit log; set HOME".into()))?;
    let (records, bad) = crate::audit::read(&path)?;
    if bad > 0 {
        eprintln!(
            "secretops: {bad} lines of {} are not audit records; skipped",
            path.display()
        );
    }
    if records.is_empty() {
        eprintln!("secretops: no audit records yet ({})", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let start = args.tail.map_or(0, |n| records.len().saturating_sub(n));
    let mut text = String::new();
    for r in &records[start..] {
        match args.format {
            Format::Json => text.push_str(&serde_json::to_string(r)?),
            Format::Text => text.push_str(&crate::audit::text_line(r)),
        }
        text.push('\n');
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Finds and loads the inventory.
pub fn load_inventory(explicit: Option<&std::path::Path>) -> Result<Inventory, UsageError> {
    let found = inventory::discover(explicit)?;
    Ok(Inventory::load(found.path())?)
}

/// The inventory's fingerprint key, or the default one (created and announced on first use).
pub fn key_for(inv: Option<&Inventory>) -> Result<FingerprintKey, UsageError> {
    if let Some(path) = inv.and_then(|i| i.key_file.as_deref()) {
        return Ok(FingerprintKey::from_file(path)?);
    }
    let (key, created) = FingerprintKey::default_key()?;
    if created {
        eprintln!(
            "secretops: created a fingerprint key at {} (share it with your team so fingerprints \
             compare; see docs/security.md)",
            key.path.display()
        );
    }
    Ok(key)
}

fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn load_snapshot(
    runtime: &tokio::runtime::Runtime,
    inv: &Arc<Inventory>,
) -> Result<snapshot::Snapshot, UsageError> {
    let key = Arc::new(key_for(Some(inv))?);
    let ctx = snapshot::load_context(inv, sources::process_lookup());
    Ok(runtime.block_on(snapshot::load_all(inv, &key, &ctx)))
}

fn check(
    runtime: &tokio::runtime::Runtime,
    config: Option<&std::path::Path>,
    args: &CheckArgs,
) -> Result<ExitCode, UsageError> {
    let inv = Arc::new(load_inventory(config)?);
    for name in &args.envs {
        require_env(&inv, name)?;
    }
    if !(args.window.is_finite() && (0.0..=3600.0).contains(&args.window)) {
        return Err(UsageError(
            "--window must be between 0 and 3600 seconds".into(),
        ));
    }
    let snap = load_snapshot(runtime, &inv)?;
    let live = if args.live {
        let ctx = snapshot::load_context(&inv, sources::process_lookup());
        let window = std::time::Duration::from_secs_f64(args.window);
        Some(runtime.block_on(crate::live::poller::read_once(&inv, &ctx, window)))
    } else {
        None
    };
    let all = match &live {
        Some(l) => findings::evaluate_with_live(&inv, &snap, l),
        None => findings::evaluate(&inv, &snap),
    };
    let rep = report::check_report(&inv, &snap, &all, &args.envs, live.as_ref());
    let failed = findings::fails(
        &rep.findings.iter().copied().cloned().collect::<Vec<_>>(),
        args.fail_on.threshold(),
    );
    tracing::info!(findings = rep.findings.len(), failed, "check finished");
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&rep)? + "\n",
        Format::Text => report::check_text(&rep, use_color()),
    };
    print(&text)?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn require_env(inv: &Inventory, name: &str) -> Result<(), UsageError> {
    if inv.environment(name).is_some() {
        return Ok(());
    }
    let names: Vec<&str> = inv.environments.iter().map(|e| e.name.as_str()).collect();
    Err(UsageError(format!(
        "no environment \"{name}\" in {}; it has: {}",
        inv.path.display(),
        names.join(", ")
    )))
}

fn diff(
    runtime: &tokio::runtime::Runtime,
    config: Option<&std::path::Path>,
    args: &DiffArgs,
) -> Result<ExitCode, UsageError> {
    let inv = Arc::new(load_inventory(config)?);
    require_env(&inv, &args.env_a)?;
    require_env(&inv, &args.env_b)?;
    let snap = load_snapshot(runtime, &inv)?;
    let d = report::diff_report(&snap, &args.env_a, &args.env_b)
        .ok_or_else(|| UsageError("environment vanished while loading".into()))?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&d)? + "\n",
        Format::Text => report::diff_text(&d, use_color()),
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn demo(
    runtime: &tokio::runtime::Runtime,
    args: &DemoArgs,
    theme: Option<String>,
    read_only: bool,
) -> Result<ExitCode, UsageError> {
    let workdir = match &args.workdir {
        Some(dir) => dir.clone(),
        None => {
            let base = crate::paths::data_dir()
                .ok_or_else(|| UsageError("no data directory; pass --workdir DIR".into()))?;
            let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                .to_string()
                .replace(':', "");
            base.join(format!("demo-{stamp}"))
        }
    };
    let options = crate::demo::DemoOptions { workdir };
    if args.headless {
        runtime.block_on(crate::demo::run_headless(options))?;
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "secretops demo: starting a local fleet in {}",
        options.workdir.display()
    );
    let fleet = runtime.block_on(crate::demo::Fleet::start(options))?;
    if let Err(e) = runtime.block_on(fleet.wait_ready(std::time::Duration::from_secs(30))) {
        runtime.block_on(fleet.shutdown());
        return Err(e.into());
    }
    let inventory = fleet.inventory.clone();
    let fleet = Arc::new(fleet);
    let result = crate::tui::run_console(
        runtime,
        Some(&inventory),
        theme,
        Some(Arc::clone(&fleet)),
        read_only,
    );
    if let Ok(fleet) = Arc::try_unwrap(fleet) {
        runtime.block_on(fleet.shutdown());
    }
    eprintln!(
        "secretops demo: stopped; its files stay in {}",
        inventory
            .parent()
            .map_or_else(String::new, |p| p.display().to_string())
    );
    result
}

/// Scan options from the command line and, when there is one, the inventory.
fn scan_options(
    path: &std::path::Path,
    vars: &[String],
    inv: Option<&Inventory>,
) -> Result<crate::scan::ScanOptions, UsageError> {
    if !path.is_dir() {
        return Err(UsageError(format!(
            "{} is not a folder; scan takes a folder",
            path.display()
        )));
    }
    let vars = if !vars.is_empty() {
        vars.to_vec()
    } else if let Some(inv) = inv {
        std::iter::once(inv.secret.clone())
            .chain(inv.related.iter().cloned())
            .collect()
    } else {
        vec!["SERVICE_SECRET".to_string()]
    };
    Ok(crate::scan::ScanOptions {
        root: path.to_path_buf(),
        vars,
        services: inv.map(|i| i.scan.services.clone()).unwrap_or_default(),
    })
}

fn scan(config: Option<&std::path::Path>, args: &ScanArgs) -> Result<ExitCode, UsageError> {
    // The inventory is optional here: it only supplies names, a service map and the key.
    let inv = match inventory::discover(config) {
        Ok(found) => Some(Inventory::load(found.path())?),
        Err(_) => None,
    };
    let options = scan_options(&args.path, &args.vars, inv.as_ref())?;
    let key = key_for(inv.as_ref())?;
    let fingerprint = |v: &SecretString| key.fingerprint(v).to_string();
    let report = crate::scan::scan(&options);
    let text = match args.format {
        ScanFormat::Text => crate::scan::summary_table(&report, &fingerprint),
        ScanFormat::Json => crate::scan::to_json(&report, &fingerprint),
        ScanFormat::Markdown => crate::scan::to_markdown(&report, &fingerprint),
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn init(args: &InitArgs) -> Result<ExitCode, UsageError> {
    let options = scan_options(&args.from_scan, std::slice::from_ref(&args.secret), None)?;
    let report = crate::scan::scan(&options);
    let draft = crate::scan::draft_inventory(&report, &args.secret);
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| args.from_scan.join("secretops.toml"));
    if target.as_os_str() == "-" {
        print(&draft)?;
        return Ok(ExitCode::SUCCESS);
    }
    if target.exists() && !args.force {
        return Err(UsageError(format!(
            "{} exists; pass --force to replace it or --output FILE to write elsewhere",
            target.display()
        )));
    }
    std::fs::write(&target, &draft).map_err(|e| {
        UsageError(format!(
            "cannot write {}: {}",
            target.display(),
            crate::io_reason(&e)
        ))
    })?;
    eprintln!(
        "secretops: wrote a draft inventory to {}; review every line marked REVIEW, then run \
         `secretops config validate --config {}`",
        target.display(),
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn print(text: &str) -> Result<(), UsageError> {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn fingerprint(config: Option<&std::path::Path>) -> Result<ExitCode, UsageError> {
    // Use the inventory's key when there is one, so the result compares with `check`.
    let inv = match inventory::discover(config) {
        Ok(found) => Some(Inventory::load(found.path())?),
        Err(_) => None,
    };
    let key = key_for(inv.as_ref())?;
    let value: Zeroizing<String> = if std::io::stdin().is_terminal() {
        Zeroizing::new(rpassword::prompt_password("value (not echoed): ")?)
    } else {
        let mut buf = Zeroizing::new(String::new());
        std::io::stdin()
            .take(crate::MAX_FILE_BYTES)
            .read_to_string(&mut buf)
            .map_err(|_| UsageError("stdin is not UTF-8 text".into()))?;
        let trimmed = buf
            .strip_suffix("\r\n")
            .or_else(|| buf.strip_suffix('\n'))
            .unwrap_or(&buf);
        Zeroizing::new(trimmed.to_string())
    };
    if value.is_empty() {
        return Err(UsageError(
            "no value on stdin; pipe or type the value to fingerprint".into(),
        ));
    }
    let secret = SecretString::from(value.to_string());
    print(&format!("{}\n", key.fingerprint(&secret)))?;
    Ok(ExitCode::SUCCESS)
}

fn config(config: Option<&std::path::Path>, action: &ConfigAction) -> Result<ExitCode, UsageError> {
    match action {
        ConfigAction::Path => {
            let found = inventory::discover(config)?;
            print(&format!("{}\t({})\n", found.path().display(), found.rule()))?;
        }
        ConfigAction::Validate => {
            let inv = load_inventory(config)?;
            let services: usize = inv.environments.iter().map(|e| e.services.len()).sum();
            print(&format!(
                "{}: ok, {} environments, {services} services, tracking {}\n",
                inv.path.display(),
                inv.environments.len(),
                inv.secret
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
