//! The pinned lockfiles (`lockfiles/*.lock`): refreshed from cargo's own resolution, and proven
//! to be accepted by `cargo --locked` for every case and for names that sort differently.
//!
//! `scripts/refresh-lockfiles.sh` rewrites them (`examples/refresh-lockfiles.rs`); the slow tier
//! runs `every_case_is_accepted_by_cargo_locked`.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use cargo_archgen::answers::Answers;
use cargo_archgen::cli::{Db, Events, NewArgs, Style};
use cargo_archgen::context::RUST_VERSION;
use cargo_archgen::lockfile;
use cargo_archgen::prompt::Defaults;
use cargo_archgen::render::{LOCKFILE, Tree, render};

fn write_tree(tree: &Tree, root: &Path) {
    for (path, body) in tree {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
}

fn cargo(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root)
        .env_remove("CARGO_TARGET_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn every_base_and_unit_has_a_pinned_lockfile() {
    for (answers, units) in lockfile::bases().unwrap() {
        let base = lockfile::base(&answers);
        assert!(
            lockfile::pinned(&base).is_some(),
            "lockfiles/{base}.lock is missing: run scripts/refresh-lockfiles.sh"
        );
        for unit in &units {
            let key = lockfile::file_key(&base, &[unit]);
            assert!(
                lockfile::pinned(&key).is_some(),
                "lockfiles/{key}.lock is missing: run scripts/refresh-lockfiles.sh"
            );
        }
    }
    for answers in common::cases() {
        let tree = render(&answers).unwrap();
        assert!(tree[LOCKFILE].contains(&format!("name = \"{}", answers.names.kebab)));
    }
}

/// No locked package needs a newer Rust than the projects' `rust-version` promises.
fn assert_supports_the_minimum_rust(id: &str, metadata: &[u8]) {
    let version = |v: &str| -> [u64; 3] {
        let mut parts = v.split('.').map(|n| n.parse::<u64>().unwrap());
        [0; 3].map(|_| parts.next().unwrap_or(0))
    };
    let minimum = version(RUST_VERSION);
    let metadata: serde_json::Value = serde_json::from_slice(metadata).unwrap();
    for package in metadata["packages"].as_array().unwrap() {
        if let Some(needs) = package["rust_version"].as_str() {
            assert!(
                version(needs) <= minimum,
                "{id}: {} {} needs Rust {needs}, newer than RUST_VERSION {RUST_VERSION}",
                package["name"],
                package["version"]
            );
        }
    }
}

/// Every case, plus names that sort before, between and after the crates they depend on.
fn cases_and_odd_names() -> Vec<Answers> {
    let mut cases = common::cases();
    let odd = |name: &str, style: Style, services: Option<&str>| {
        let args = NewArgs {
            name: Some(name.into()),
            style: Some(style),
            services: services.map(|s| s.split(',').map(str::to_owned).collect()),
            ..NewArgs::default()
        };
        Answers::resolve(&args, None, &mut Defaults).unwrap()
    };
    cases.push(odd("zzz", Style::Monolith, None));
    cases.push(odd("aaa", Style::Serverless, None));
    cases.push(odd("zz-top", Style::Microservices, Some("zebra,alpha,middle,a1,gate")));
    // Field types that bring in a crate of their own have resolutions of their own.
    for db in [Db::Postgres, Db::Sqlite, Db::None] {
        for fields in ["price:decimal", "code:uuid", "price:decimal code:uuid? doc:json"] {
            let args = NewArgs {
                name: Some("shop".into()),
                style: Some(Style::Monolith),
                db: Some(db),
                resources: vec![format!("products {fields}")],
                ..NewArgs::default()
            };
            cases.push(Answers::resolve(&args, None, &mut Defaults).unwrap());
        }
    }
    // In microservices each service depends only on the crates its own resources need.
    for (events, resources) in [
        (Events::Nats, &["b/prices amount:decimal", "c/codes code:uuid"][..]),
        (Events::None, &["a/things price:decimal code:uuid?"]),
    ] {
        let args = NewArgs {
            name: Some("shop".into()),
            style: Some(Style::Microservices),
            services: Some(vec!["a".into(), "b".into(), "c".into()]),
            events: Some(events),
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
            ..NewArgs::default()
        };
        cases.push(Answers::resolve(&args, None, &mut Defaults).unwrap());
    }
    cases
}

#[test]
#[ignore = "asks cargo (and the crates.io index) about every case: slow tier"]
fn every_case_is_accepted_by_cargo_locked() {
    for answers in cases_and_odd_names() {
        let id = common::case_id(&answers);
        let dir = tempfile::tempdir().unwrap();
        let tree = render(&answers).unwrap();
        write_tree(&tree, dir.path());
        // `--locked` compares resolutions, not text ...
        let output = cargo(dir.path(), &["metadata", "--locked", "--format-version", "1"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{id}: cargo rejects the generated Cargo.lock:\n{stderr}");
        // ... while a plain build rewrites a lockfile whose text differs from cargo's own, which
        // would leave the first build of a fresh project with a modified Cargo.lock.
        let output = cargo(dir.path(), &["metadata", "--format-version", "1"]);
        assert!(output.status.success(), "{id}: {}", String::from_utf8_lossy(&output.stderr));
        assert_supports_the_minimum_rust(&id, &output.stdout);
        let after = std::fs::read_to_string(dir.path().join(LOCKFILE)).unwrap();
        assert!(after == tree[LOCKFILE], "{id}: cargo rewrote the generated Cargo.lock");
    }
}
