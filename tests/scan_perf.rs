//! Timing on a generated 100,000-file tree. Ignored by default (writing the tree takes a while);
//! run with `cargo test --release --test scan_perf -- --ignored --nocapture`. Prints the time;
//! asserts only the counts, so a slow machine never fails it.

mod scan_common;

use std::collections::BTreeMap;
use std::time::Instant;

use secretops::scan::{ScanOptions, scan};

/// File templates: (extension, body). One file in twenty names the variable.
fn body(i: usize) -> (&'static str, String) {
    let mention = i.is_multiple_of(20);
    match i % 7 {
        0 => (
            "py",
            if mention {
                format!("import os\nSECRET = os.getenv(\"SERVICE_SECRET\")\nN = {i}\n")
            } else {
                format!("def f{i}(x):\n    return x * {i}\n")
            },
        ),
        1 => (
            "ts",
            if mention {
                format!("export const s{i} = process.env.SERVICE_SECRET;\n")
            } else {
                format!("export const n{i} = {i};\n")
            },
        ),
        2 => (
            "go",
            if mention {
                format!("package p\nvar S{i} = os.Getenv(\"SERVICE_SECRET\")\n")
            } else {
                format!("package p\nconst N{i} = {i}\n")
            },
        ),
        3 => (
            "md",
            if mention {
                format!("# Doc {i}\nSet `SERVICE_SECRET` first.\n")
            } else {
                format!("# Doc {i}\nNothing here.\n")
            },
        ),
        4 => (
            "yaml",
            if mention {
                format!("auth:\n  secret: ${{SERVICE_SECRET}}\n  n: {i}\n")
            } else {
                format!("a:\n  n: {i}\n")
            },
        ),
        5 => (
            "env",
            if mention {
                format!("SERVICE_SECRET=value-{i}\n")
            } else {
                format!("N={i}\n")
            },
        ),
        _ => (
            "json",
            format!("{{\"n\": {i}, \"padding\": \"{}\"}}\n", "x".repeat(200)),
        ),
    }
}

#[test]
#[ignore = "writes 100,000 files; run in release to measure"]
fn hundred_thousand_files() {
    const FILES: usize = 100_000;
    let tree = scan_common::TempTree::new("perf");
    let start = Instant::now();
    for i in 0..FILES {
        let (ext, text) = body(i);
        tree.write(
            &format!("svc{:03}/mod{:02}/f{i}.{ext}", i % 100, (i / 100) % 10),
            text,
        );
    }
    println!("generated {FILES} files in {:?}", start.elapsed());
    let opts = ScanOptions {
        root: tree.root.clone(),
        vars: vec!["SERVICE_SECRET".into(), "JWT_SECRET_KEY".into()],
        services: BTreeMap::new(),
    };
    for run in 1..=3 {
        let start = Instant::now();
        let report = scan(&opts);
        println!(
            "run {run}: scanned {} files, {} hits in {:?}",
            report.stats.files_scanned,
            report.hits.len(),
            start.elapsed()
        );
        assert_eq!(report.stats.files_scanned, FILES);
        assert_eq!(
            report.hits.len(),
            (0..FILES)
                .filter(|i| i.is_multiple_of(20) && i % 7 != 6)
                .count()
        );
    }
}
