//! The walk itself: what is skipped and counted, on trees made in a temp folder (outside any
//! git repository).

mod scan_common;

use std::collections::BTreeMap;

use secretops::scan::{HitClass, ScanOptions, ScanStats, scan};

fn options(tree: &scan_common::TempTree) -> ScanOptions {
    ScanOptions {
        root: tree.root.clone(),
        vars: vec!["SERVICE_SECRET".into()],
        services: BTreeMap::new(),
    }
}

#[test]
fn skips_large_binary_ignored_and_git_files() {
    let tree = scan_common::TempTree::new("walk-skips");
    tree.write(".gitignore", "secrets/\n*.local.env\n");
    tree.write("secrets/prod.env", "SERVICE_SECRET=hidden\n");
    tree.write("app/local.env", "SERVICE_SECRET=kept\n");
    tree.write("app/dev.local.env", "SERVICE_SECRET=hidden\n");
    tree.write(".git/config.env", "SERVICE_SECRET=in-git-dir\n");
    let mut big = "SERVICE_SECRET=big\n".to_string();
    big.push_str(&"x".repeat(1024 * 1024));
    tree.write("data/big.env", big);
    let mut late_nul = b"SERVICE_SECRET=text\n".to_vec();
    late_nul.extend(std::iter::repeat_n(b'a', 9000));
    late_nul.push(0);
    tree.write("late-nul.env", late_nul);
    tree.write("image.env", b"\x00SERVICE_SECRET=binary\n");
    tree.write("latin1.env", b"# caf\xe9\nSERVICE_SECRET=ok\n");
    let report = scan(&options(&tree));
    let paths: Vec<(&str, usize, HitClass)> = report
        .hits
        .iter()
        .map(|h| (h.path.as_str(), h.line, h.class))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("app/local.env", 1, HitClass::Definition),
            ("late-nul.env", 1, HitClass::Definition),
            ("latin1.env", 2, HitClass::Definition),
        ]
    );
    assert_eq!(
        report.stats,
        ScanStats {
            files_scanned: 4,
            skipped_binary: 1,
            skipped_too_large: 1,
            skipped_unreadable: 0
        }
    );
}

#[test]
fn compose_env_file_outside_the_compose_folder() {
    let tree = scan_common::TempTree::new("walk-compose");
    tree.write("shared/.env.staging", "SERVICE_SECRET=a\nOTHER=b\n");
    tree.write(
        "deploy/compose/docker-compose.yml",
        "services:\n  web:\n    env_file:\n      - ../../shared/.env.staging\n      - ./missing.env\n",
    );
    let report = scan(&options(&tree));
    let rows: Vec<(&str, usize, HitClass, &str, Option<&str>)> = report
        .hits
        .iter()
        .map(|h| {
            (
                h.path.as_str(),
                h.line,
                h.class,
                h.service.as_str(),
                h.environment.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "deploy/compose/docker-compose.yml",
                4,
                HitClass::Deployment,
                "web",
                Some("staging")
            ),
            (
                "shared/.env.staging",
                1,
                HitClass::Definition,
                "shared",
                Some("staging")
            ),
        ]
    );
}

#[test]
fn test_references_resolve_from_root_or_test_folder_only() {
    let tree = scan_common::TempTree::new("walk-test-refs");
    tree.write(".env.development", "SERVICE_SECRET=a\n");
    tree.write("config/production.env", "SERVICE_SECRET=b\n");
    tree.write(".env.test", "SERVICE_SECRET=c\n");
    // A fixture with its own `.env.development`: names it, but not the root's.
    tree.write("tests/fixtures/app/.env.development", "SERVICE_SECRET=d\n");
    tree.write(
        "tests/fixtures/app/docker-compose.yml",
        "services:\n  a:\n    env_file: .env.development\n",
    );
    tree.write(
        "tests/test_app.py",
        "load_dotenv(\"../config/production.env\")\nload_dotenv(\".env.test\")\nopen(\"config/production.env\")\n",
    );
    let report = scan(&options(&tree));
    let refs: Vec<(&str, usize, &str)> = report
        .test_references
        .iter()
        .map(|r| (r.test_path.as_str(), r.line, r.file.as_str()))
        .collect();
    assert_eq!(
        refs,
        vec![("tests/test_app.py", 1, "config/production.env")]
    );
}
