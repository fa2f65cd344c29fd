//! `--verify`: every check runs, the summary names each, a failing one fails the command while
//! the project stays written; tests run only with a database to run them against.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

/// A `cargo` that logs its arguments and fails `clippy` when `FAIL_CLIPPY` is set.
fn stub_cargo(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("cargo");
    fs::write(
        &path,
        "#!/bin/sh\necho \"$*\" >> \"$CARGO_LOG\"\nif [ \"$1\" = clippy ] && [ -n \"$FAIL_CLIPPY\" ]; then exit 101; fi\nexit 0\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

fn archgen(dir: &Path, stubs: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("cargo-archgen"));
    cmd.current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir)
        .env("CARGO", stubs.join("cargo"))
        .env("CARGO_LOG", stubs.join("log"))
        // Nothing else is installed: every linter is skipped and says so.
        .env("PATH", stubs)
        .env_remove("DATABASE_URL")
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

#[test]
fn a_failing_check_fails_the_command_after_every_check_ran() {
    let tmp = tempfile::tempdir().unwrap();
    let stubs = tmp.path().join("stubs");
    fs::create_dir(&stubs).unwrap();
    stub_cargo(&stubs);
    archgen(tmp.path(), &stubs)
        .args(["new", "shop", "--no-git", "--verify", "--output", "p"])
        .env("FAIL_CLIPPY", "1")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Created monolith project `shop`"))
        .stderr(predicate::str::contains("  ok       rustfmt\n"))
        .stderr(predicate::str::contains("  FAILED   clippy  (`"))
        .stderr(predicate::str::contains("  ok       tests  (compiled, not run: set DATABASE_URL"))
        .stderr(predicate::str::contains("  skipped  actionlint  (actionlint is not installed)\n"))
        .stderr(predicate::str::contains("  skipped  hadolint  (hadolint is not installed)\n"))
        .stderr(predicate::str::contains("error: 1 check(s) failed\nhelp: the project was written"));
    assert!(tmp.path().join("p/Cargo.toml").is_file(), "the project stays written");
    let log = fs::read_to_string(stubs.join("log")).unwrap();
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "fmt --all -- --check",
            "build --locked --workspace",
            "clippy --locked --workspace --all-targets -- -D warnings",
            "test --locked --workspace --no-run"
        ]
    );
}

#[test]
fn with_a_database_the_tests_run_and_json_carries_the_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let stubs = tmp.path().join("stubs");
    fs::create_dir(&stubs).unwrap();
    stub_cargo(&stubs);
    let output = archgen(tmp.path(), &stubs)
        .args(["new", "shop", "--no-git", "--verify", "--json", "--output", "p"])
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop")
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert_eq!(json["ok"], true);
    let checks = json["verify"]["checks"].as_array().unwrap();
    assert_eq!(checks[3]["check"], "tests");
    assert_eq!(checks[3]["status"], "passed");
    assert!(checks.iter().any(|c| c["check"] == "yamllint" && c["status"] == "skipped"));
    let log = fs::read_to_string(stubs.join("log")).unwrap();
    assert_eq!(log.lines().last(), Some("test --locked --workspace"));
}

/// The real thing: a generated monolith on `SQLite` passes every check this machine can run.
#[test]
#[ignore = "slow: builds a generated project (run by .ci/run)"]
fn a_generated_project_passes_its_own_verification() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("cargo-archgen"));
    cmd.current_dir(tmp.path())
        .env("GIT_CEILING_DIRECTORIES", tmp.path())
        .env("CARGO_TARGET_DIR", common::e2e::shared_target())
        .env_remove("DATABASE_URL")
        .env_remove("RUSTFLAGS")
        .args(["new", "shop", "--db", "sqlite", "--verify", "--output", "p"])
        .timeout(std::time::Duration::from_secs(1800))
        .assert()
        .success()
        .stderr(predicate::str::contains("All checks passed."))
        .stderr(predicate::str::contains("  ok       clippy\n"));
}
