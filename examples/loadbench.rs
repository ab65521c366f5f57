//! Load harness: measures what an on-call engineer feels, with the product's own code.
//!
//! ```sh
//! cargo run --release --example loadbench            # full run, about 2 minutes
//! cargo run --release --example loadbench -- --quick # shorter idle measurement
//! ```
//!
//! It starts local endpoints on 127.0.0.1 in a child process (so their CPU is not counted),
//! writes inventories over them, and prints one table: launch to first frame, one poll cycle
//! over 1,000 endpoints with 10% hung against a bare tokio + reqwest loop, key-to-frame
//! latency while polling, idle CPU, and peak memory. docs/performance.md records the figures.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secretops::fingerprint::FingerprintKey;
use secretops::inventory::Inventory;
use secretops::tui::app::App;
use secretops::tui::keymap::Keymap;
use secretops::tui::theme::Theme;

const BREAKER_JSON: &str =
    r#"{"circuitBreakers":{"auth":{"failureRate":"-1.0%","state":"CLOSED"}}}"#;

/// Child mode: serve `n` endpoints over 20 listeners; every tenth one hangs.
async fn serve(n: usize) {
    let per = n.div_ceil(20);
    let mut ports = Vec::new();
    for _ in 0..20 {
        let app = Router::new()
            .route(
                "/ok/{i}",
                get(|| async { ([("content-type", "application/json")], BREAKER_JSON) }),
            )
            .route(
                "/hang/{i}",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    ""
                }),
            )
            .route("/health", get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        ports.push(listener.local_addr().expect("addr").port());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    let list: Vec<String> = ports.iter().map(ToString::to_string).collect();
    println!("ports {per} {}", list.join(","));
    std::io::stdout().flush().expect("flush");
    // Serve until the parent closes our stdin.
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await;
}

struct Endpoints {
    child: Child,
    urls: Vec<String>,
}

impl Drop for Endpoints {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_endpoints(n: usize) -> Endpoints {
    let exe = std::env::current_exe().expect("exe");
    let mut child = Command::new(exe)
        .args(["--serve", &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn endpoint server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ports line");
    let mut fields = line.split_whitespace().skip(1);
    let per: usize = fields.next().and_then(|p| p.parse().ok()).expect("per");
    let ports: Vec<u16> = fields
        .next()
        .expect("ports")
        .split(',')
        .map(|p| p.parse().expect("port"))
        .collect();
    let mut urls = Vec::with_capacity(n);
    for i in 0..n {
        let port = ports[i / per];
        let kind = if i % 10 == 9 { "hang" } else { "ok" };
        urls.push(format!("http://127.0.0.1:{port}/{kind}/{i}"));
    }
    Endpoints { child, urls }
}

/// Writes an inventory of `envs` x `per_env` env-file services; with `urls`, service i polls
/// breaker URL i every `interval`.
fn write_inventory(
    dir: &Path,
    envs: usize,
    per_env: usize,
    urls: &[String],
    interval: &str,
) -> PathBuf {
    let mut text = String::from(
        "[secret]\nname = \"SERVICE_SECRET\"\n\n[fingerprint]\nkey_file = \"fp.key\"\n",
    );
    std::fs::write(dir.join("fp.key"), "bench-key\n").expect("key");
    let mut i = 0;
    for e in 0..envs {
        let _ = write!(
            text,
            "\n[[environment]]\nname = \"env{e}\"\ntier = \"staging\"\n"
        );
        for s in 0..per_env {
            let file = format!("e{e}s{s}.env");
            std::fs::write(
                dir.join(&file),
                format!("SERVICE_SECRET=st-value-for-env-{e}-0123456789abcdefghij\n"),
            )
            .expect("env");
            let role = if s == 0 { "validator" } else { "consumer" };
            let _ = write!(
                text,
                "\n[[environment.service]]\nname = \"svc{s}\"\nrole = \"{role}\"\nsource = {{ kind = \"env-file\", path = \"{file}\" }}\n"
            );
            if let Some(url) = urls.get(i) {
                let _ = writeln!(
                    text,
                    "breaker = {{ kind = \"resilience4j\", urls = [\"{url}\"], timeout = \"2s\", interval = \"{interval}\" }}"
                );
            }
            i += 1;
        }
    }
    let path = dir.join("secretops.toml");
    std::fs::write(&path, text).expect("inventory");
    path
}

fn app_for(path: &Path) -> (App, Arc<FingerprintKey>) {
    let inv = Arc::new(Inventory::load(path).expect("inventory"));
    let key =
        Arc::new(FingerprintKey::from_file(inv.key_file.as_deref().expect("key")).expect("key"));
    let mut app = App::new(inv, Theme::load("dark").expect("theme"), Keymap::default());
    app.size = (160, 48);
    (app, key)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn cpu_time() -> Duration {
    // utime + stime of this process, in clock ticks (100 per second on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

struct Row {
    what: &'static str,
    figure: String,
    target: &'static str,
    ok: bool,
}

fn first_frame() -> Row {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write_inventory(dir.path(), 8, 40, &[], "5s");
    let mut times = Vec::new();
    for _ in 0..15 {
        let started = Instant::now();
        let (app, _key) = app_for(&path);
        let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
        term.draw(|f| secretops::tui::view::draw(f, &app))
            .expect("draw");
        times.push(started.elapsed());
    }
    times.sort();
    let median = percentile(&times, 0.5);
    Row {
        what: "launch to first frame (8 envs x 40 services)",
        figure: format!("{:.1} ms (median of 15)", median.as_secs_f64() * 1000.0),
        target: "< 100 ms",
        ok: median < Duration::from_millis(100),
    }
}

fn poll_cycle(rt: &tokio::runtime::Runtime, urls: &[String]) -> Vec<Row> {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write_inventory(dir.path(), 10, 100, urls, "5s");
    let inv = Arc::new(Inventory::load(&path).expect("inventory"));
    let ctx = secretops::snapshot::load_context(&inv, Arc::new(|_| None));
    // Warm up connections once, as a running console would have.
    rt.block_on(secretops::live::poller::read_once(
        &inv,
        &ctx,
        Duration::ZERO,
    ));
    let started = Instant::now();
    let state = rt.block_on(secretops::live::poller::read_once(
        &inv,
        &ctx,
        Duration::ZERO,
    ));
    let ours = started.elapsed();
    let answered = state
        .services
        .iter()
        .flatten()
        .flat_map(|s| &s.breakers)
        .flatten()
        .filter(|o| o.value.result.is_ok())
        .count();

    let client = reqwest::Client::new();
    let started = Instant::now();
    let bare = rt.block_on(async {
        let calls = urls.iter().map(|u| {
            let c = client.clone();
            async move {
                let r = tokio::time::timeout(Duration::from_secs(2), async {
                    c.get(u).send().await?.bytes().await
                })
                .await;
                matches!(r, Ok(Ok(_)))
            }
        });
        futures::future::join_all(calls)
            .await
            .into_iter()
            .filter(|ok| *ok)
            .count()
    });
    let bare_time = started.elapsed();
    let ratio = ours.as_secs_f64() / bare_time.as_secs_f64();
    vec![
        Row {
            what: "poll cycle, 1,000 endpoints, 10% hung (2 s time-out)",
            figure: format!("{:.2} s ({answered} answered)", ours.as_secs_f64()),
            target: "<= 2.2 s",
            ok: ours <= Duration::from_millis(2200),
        },
        Row {
            what: "  same fan-out, bare tokio + reqwest",
            figure: format!(
                "{:.2} s ({bare} answered); ratio {ratio:.2}",
                bare_time.as_secs_f64()
            ),
            target: "ratio <= 1.2",
            ok: ratio <= 1.2,
        },
    ]
}

/// Drives the real event loop on a test backend with injected keys while pollers run.
fn key_to_frame(rt: &tokio::runtime::Runtime, urls: &[String]) -> Row {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write_inventory(dir.path(), 10, 100, urls, "1s");
    let (app, key) = app_for(&path);
    let ctx = secretops::snapshot::load_context(&app.inventory, Arc::new(|_| None));
    let keymap = Keymap::default();
    let frames: Arc<Mutex<Vec<Instant>>> = Arc::new(Mutex::new(Vec::new()));
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = futures::channel::mpsc::unbounded::<std::io::Result<crossterm::event::Event>>();
    let frames_in = Arc::clone(&frames);
    let sent_in = Arc::clone(&sent);
    rt.block_on(async move {
        let driver = tokio::spawn(async move {
            // Let the pollers get going first.
            tokio::time::sleep(Duration::from_secs(3)).await;
            for i in 0..300 {
                let action = if i % 2 == 0 {
                    secretops::tui::action::Action::Down
                } else {
                    secretops::tui::action::Action::Up
                };
                let event = crossterm::event::Event::Key(keymap.event_for(action).expect("bound"));
                sent_in.lock().expect("lock").push(Instant::now());
                let _ = tx.unbounded_send(Ok(event));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let quit = keymap
                .event_for(secretops::tui::action::Action::Quit)
                .expect("bound");
            let _ = tx.unbounded_send(Ok(crossterm::event::Event::Key(quit)));
        });
        let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
        let frames_cb = Arc::clone(&frames_in);
        secretops::tui::event_loop(
            &mut term,
            app,
            secretops::tui::Services {
                key,
                ctx,
                demo: None,
            },
            rx.boxed(),
            move || {
                frames_cb.lock().expect("lock").push(Instant::now());
            },
        )
        .await
        .expect("event loop");
        let _ = driver.await;
    });
    let frames = frames.lock().expect("lock").clone();
    let mut latencies: Vec<Duration> = sent
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|t| {
            frames
                .iter()
                .find(|f| *f >= t)
                .map(|f| f.duration_since(*t))
        })
        .collect();
    latencies.sort();
    let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
    Row {
        what: "key press to frame, while polling 1,000 endpoints",
        figure: format!(
            "p50 {:.2} ms, p99 {:.2} ms",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        ),
        target: "p99 < 16 ms",
        ok: p99 < Duration::from_millis(16),
    }
}

fn idle_cpu(rt: &tokio::runtime::Runtime, urls: &[String], seconds: u64) -> Row {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write_inventory(dir.path(), 4, 50, &urls[..200], "5s");
    let (app, key) = app_for(&path);
    let ctx = secretops::snapshot::load_context(&app.inventory, Arc::new(|_| None));
    let (tx, rx) = futures::channel::mpsc::unbounded::<std::io::Result<crossterm::event::Event>>();
    let mut cpu_used = Duration::ZERO;
    rt.block_on(async {
        let measure = async {
            // Skip start-up (first load, first polls), then measure the steady state.
            tokio::time::sleep(Duration::from_secs(5)).await;
            let cpu0 = cpu_time();
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            cpu_used = cpu_time().saturating_sub(cpu0);
            let quit = Keymap::default()
                .event_for(secretops::tui::action::Action::Quit)
                .expect("bound");
            let _ = tx.unbounded_send(Ok(crossterm::event::Event::Key(quit)));
        };
        let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
        let run = secretops::tui::event_loop(
            &mut term,
            app,
            secretops::tui::Services {
                key,
                ctx,
                demo: None,
            },
            rx.boxed(),
            || {},
        );
        let (result, ()) = tokio::join!(run, measure);
        result.expect("event loop");
    });
    #[allow(clippy::cast_precision_loss)]
    let percent = cpu_used.as_secs_f64() / seconds as f64 * 100.0;
    Row {
        what: "CPU while idle, 200 endpoints every 5 s",
        figure: format!("{percent:.2}% of a core over {seconds} s"),
        target: "< 1%",
        ok: percent < 1.0,
    }
}

fn peak_memory(urls: &[String]) -> Row {
    // In a fresh process so nothing else this harness did counts.
    let exe = std::env::current_exe().expect("exe");
    let mut child = Command::new(exe)
        .arg("--memory")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for u in urls {
            writeln!(stdin, "{u}").expect("send urls");
        }
    }
    let out = child.wait_with_output().expect("memory child");
    let mb: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(f64::NAN);
    Row {
        what: "peak memory, 1,000 endpoints + 1 h of rate history",
        figure: format!("{mb:.1} MB"),
        target: "< 50 MB",
        ok: mb < 50.0,
    }
}

/// Child mode: the console's state for 1,000 endpoints fed an hour of polls, drawn.
fn memory_child() {
    let urls: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .collect();
    let dir = tempfile::tempdir().expect("tmp");
    let path = write_inventory(dir.path(), 10, 100, &urls, "5s");
    let (mut app, _key) = app_for(&path);
    let start = Instant::now();
    let wall0 = std::time::SystemTime::now();
    // An hour of 5-second polls: 720 breaker readings and auth totals per service.
    for tick in 0..720u32 {
        let at = start + Duration::from_secs(u64::from(tick) * 5);
        let wall = wall0 + Duration::from_secs(u64::from(tick) * 5);
        for env in 0..10 {
            for service in 0..100 {
                let reading = secretops::live::breaker::InstanceReading {
                    instance: "127.0.0.1:1".into(),
                    url: urls.get(env * 100 + service).cloned().unwrap_or_default(),
                    result: Ok(vec![secretops::live::breaker::BreakerReading {
                        name: "auth".into(),
                        state: Some(secretops::live::spec::BreakerState::Closed),
                    }]),
                };
                app.live
                    .apply(secretops::live::poller::LiveMessage::Breaker {
                        env,
                        service,
                        instance: 0,
                        reading,
                        latency: Duration::from_millis(2),
                        at,
                    });
                app.live
                    .apply(secretops::live::poller::LiveMessage::AuthTotals {
                        target: secretops::live::poller::AuthTarget::Service(env, service),
                        result: Ok(secretops::live::auth::Totals {
                            success: f64::from(tick) * 100.0,
                            failure: f64::from(tick),
                        }),
                        at,
                        wall,
                    });
            }
        }
    }
    app.refresh();
    let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    term.draw(|f| secretops::tui::view::draw(f, &app))
        .expect("draw");
    println!("{:.2}", peak_rss_mb());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--memory") {
        memory_child();
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if args.get(1).map(String::as_str) == Some("--serve") {
        let n = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000);
        rt.block_on(serve(n));
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let endpoints = start_endpoints(1000);
    let mut rows = vec![first_frame()];
    rows.extend(poll_cycle(&rt, &endpoints.urls));
    rows.push(key_to_frame(&rt, &endpoints.urls));
    rows.push(idle_cpu(&rt, &endpoints.urls, if quick { 15 } else { 60 }));
    rows.push(peak_memory(&endpoints.urls));

    println!(
        "\nsecretops load harness ({} cores)\n",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    println!("{:<54} {:<44} {:<14}", "measure", "figure", "target");
    for r in &rows {
        println!(
            "{:<54} {:<44} {:<14} {}",
            r.what,
            r.figure,
            r.target,
            if r.ok { "ok" } else { "MISSED" }
        );
    }
}
