//! The parallel walk, and what can only be worked out once every file has been seen: compose
//! `env_file:` references and test files naming definition files.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use ignore::{DirEntry, WalkBuilder, WalkState};
use zeroize::Zeroize;

use crate::scan::classify::{environment_of, join_rel};
use crate::scan::file::{FileScan, make_hit, scan_file};
use crate::scan::{
    BINARY_SNIFF_BYTES, Found, Hit, HitClass, MAX_SCAN_BYTES, Origin, Raw, ScanOptions, ScanReport,
    ScanStats, TestReference,
};

/// Counters shared by the walker threads.
#[derive(Default)]
struct Counters {
    scanned: AtomicUsize,
    binary: AtomicUsize,
    too_large: AtomicUsize,
    unreadable: AtomicUsize,
}

impl Counters {
    fn bump(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn stats(&self) -> ScanStats {
        ScanStats {
            files_scanned: self.scanned.load(Ordering::Relaxed),
            skipped_binary: self.binary.load(Ordering::Relaxed),
            skipped_too_large: self.too_large.load(Ordering::Relaxed),
            skipped_unreadable: self.unreadable.load(Ordering::Relaxed),
        }
    }
}

/// Walks `opts.root` on every core. Hidden files are walked (`.env*`, `.github`) but `.git` is
/// not; `.gitignore` is honoured even outside a git repository, because a checkout copied
/// without `.git` still means what its ignore files say.
pub(crate) fn run(opts: &ScanOptions) -> ScanReport {
    let counters = Counters::default();
    let (tx, rx) = mpsc::channel::<FileScan>();
    if !opts.vars.is_empty() {
        let mut builder = WalkBuilder::new(&opts.root);
        builder
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git");
        builder.build_parallel().run(|| {
            let tx = tx.clone();
            let counters = &counters;
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => {
                        if let Some(file) = visit(&entry, opts, counters) {
                            tx.send(file).ok();
                        }
                    }
                    Err(_) => Counters::bump(&counters.unreadable),
                }
                WalkState::Continue
            })
        });
    }
    drop(tx);
    finish(opts, rx.into_iter().collect(), counters.stats())
}

/// Reads and scans one entry, counting what is skipped. The text is wiped after the scan: it
/// may hold every secret of the repository.
fn visit(entry: &DirEntry, opts: &ScanOptions, counters: &Counters) -> Option<FileScan> {
    if !entry.file_type().is_some_and(|t| t.is_file()) {
        return None;
    }
    let path = entry.path();
    let Ok(meta) = entry.metadata() else {
        Counters::bump(&counters.unreadable);
        return None;
    };
    if meta.len() > MAX_SCAN_BYTES {
        Counters::bump(&counters.too_large);
        return None;
    }
    let Ok(mut bytes) = std::fs::read(path) else {
        Counters::bump(&counters.unreadable);
        return None;
    };
    if bytes[..bytes.len().min(BINARY_SNIFF_BYTES)].contains(&0) {
        Counters::bump(&counters.binary);
        bytes.zeroize();
        return None;
    }
    Counters::bump(&counters.scanned);
    let mut text = String::from_utf8(bytes).unwrap_or_else(|e| {
        let mut raw = e.into_bytes();
        let lossy = String::from_utf8_lossy(&raw).into_owned();
        raw.zeroize();
        lossy
    });
    let result = scan_file(relative(&opts.root, path), &text, opts);
    text.zeroize();
    result
}

/// `path` relative to `root`, `/`-separated; the file name when `root` is the file itself.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        parts.join("/")
    }
}

/// Resolves compose `env_file:` references into hits, finds tests naming definition files, and
/// sorts everything so the report does not depend on thread timing.
fn finish(opts: &ScanOptions, mut files: Vec<FileScan>, stats: ScanStats) -> ScanReport {
    let defined: HashMap<String, BTreeSet<usize>> = files
        .iter()
        .filter(|f| !f.defines.is_empty())
        .map(|f| (f.info.rel.clone(), f.defines.iter().copied().collect()))
        .collect();
    let mut from_refs = Vec::new();
    for file in &files {
        for r in &file.env_refs {
            for &v in defined.get(&r.target).into_iter().flatten() {
                let origin = Origin::Compose {
                    service: Some(r.service.clone()),
                    via_env_file: Some(r.target.clone()),
                };
                let found = Found::Define {
                    value: None,
                    has_default: false,
                };
                let mut raw = Raw::new(r.line, v, found, origin);
                raw.environment = r.environment.clone().or_else(|| environment_of(&r.target));
                from_refs.extend(make_hit(&file.info, raw, opts));
            }
        }
    }
    let mut hits: Vec<Hit> = files
        .iter_mut()
        .flat_map(|f| std::mem::take(&mut f.hits))
        .chain(from_refs)
        .collect();
    hits.sort_by(|a, b| (&a.path, a.line, &a.var).cmp(&(&b.path, b.line, &b.var)));
    hits.dedup_by(|a, b| a.path == b.path && a.line == b.line && a.var == b.var);
    ScanReport {
        root: opts.root.clone(),
        vars: opts.vars.clone(),
        services: opts.services.clone(),
        test_references: test_references(&opts.root, &files, &hits),
        hits,
        stats,
    }
}

/// Tests that name a file holding definitions: they run against real values. Files of the
/// test environment (`.env.test`) are what tests are meant to use, so they do not count. A
/// word names a file by its path from the test's own folder when a file is there (a fixture's
/// compose file naming its own `.env`), else by its path from the root (where test runners
/// start). Bare names and path endings are not matched: they flagged fixtures that share a name
/// with a real file. One reference per test file and definition file.
fn test_references(root: &Path, files: &[FileScan], hits: &[Hit]) -> Vec<TestReference> {
    let definition_files: BTreeSet<&str> = hits
        .iter()
        .filter(|h| matches!(h.origin, Origin::EnvFile | Origin::Compose { .. }))
        .filter(|h| matches!(h.class, HitClass::Definition | HitClass::Deployment))
        .filter(|h| h.environment.as_deref() != Some("test"))
        .map(|h| h.path.as_str())
        .collect();
    let mut first: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for file in files {
        for (line, word) in &file.file_words {
            let from_test = join_rel(&file.info.rel, word);
            let target = if root.join(&from_test).is_file() {
                from_test
            } else {
                word.clone()
            };
            if let Some(def) = definition_files.get(target.as_str()).copied() {
                let at = first.entry((file.info.rel.as_str(), def)).or_insert(*line);
                *at = (*at).min(*line);
            }
        }
    }
    first
        .into_iter()
        .map(|((test_path, file), line)| TestReference {
            test_path: test_path.to_string(),
            line,
            file: file.to_string(),
        })
        .collect()
}
