//! The command line as a user meets it: messages, exit codes, and what is (not) written.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

/// The binary with stdin piped (never a terminal), a time limit, and git confined to `dir`.
fn archgen(dir: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("cargo-archgen"));
    cmd.current_dir(dir).env("GIT_CEILING_DIRECTORIES", dir).timeout(std::time::Duration::from_secs(60));
    cmd
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn read_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    common::files(root).into_iter().collect()
}

#[test]
fn invalid_names_are_refused_with_a_reason_and_an_alternative() {
    let cases = [
        ("self", "Rust keyword", "self-service"),
        ("test", "reserved", "test-service"),
        ("café", "non-ASCII", "caf"),
        ("../escape", "looks like a path", "escape"),
        ("/tmp/abs", "looks like a path", "abs"),
        ("Shop", "uppercase", "shop"),
        ("shop_api-v2", "mixes '-' and '_'", "shop-api-v2"),
        ("yes", "YAML 1.1", "yes-app"),
        ("time", "depends on", "time-service"),
        ("9lives", "start with a letter", "app-9lives"),
        ("tokio", "depends on", "tokio-service"),
    ];
    let long = "a".repeat(64);
    for (name, reason, suggestion) in cases.into_iter().chain([(long.as_str(), "at most 63", "")]) {
        let tmp = tempfile::tempdir().unwrap();
        archgen(tmp.path())
            .args(["new", name, "--yes"])
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with(format!("error: invalid project name \"{name}\"")))
            .stderr(predicate::str::contains(reason))
            .stderr(predicate::str::contains(format!("help: pick another name, e.g. \"{suggestion}")));
        assert!(entries(tmp.path()).is_empty(), "{name}: something was written");
    }
}

#[test]
fn without_a_terminal_a_missing_name_is_an_error_not_a_prompt() {
    let tmp = tempfile::tempdir().unwrap();
    archgen(tmp.path())
        .arg("new")
        .assert()
        .code(2)
        .stderr("error: no project name given and no terminal to ask on\nhelp: pass the name, e.g. `cargo archgen new shop`, or run in a terminal to be asked\n");
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn a_non_empty_target_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("shop")).unwrap();
    fs::write(tmp.path().join("shop/notes.txt"), "mine").unwrap();
    archgen(tmp.path())
        .args(["new", "shop", "--no-git"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: shop already exists and is not empty\nhelp: "))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(entries(&tmp.path().join("shop")), ["notes.txt"]);
    assert_eq!(entries(tmp.path()), ["shop"], "a staging directory was left behind");
}

#[test]
fn force_writes_into_a_non_empty_directory_and_keeps_other_files() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    archgen(tmp.path()).args(["new", "shop", "--no-git", "--force", "--output", "."]).assert().success();
    assert_eq!(fs::read_to_string(tmp.path().join("notes.txt")).unwrap(), "mine");
    assert!(tmp.path().join("Cargo.toml").is_file());
}

#[test]
fn an_unwritable_target_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("file"), "").unwrap();
    archgen(tmp.path())
        .args(["new", "shop", "--no-git", "--output", "file/shop"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: cannot write file"))
        .stderr(predicate::str::contains("help: check that the directory is writable"));
    archgen(tmp.path())
        .args(["new", "shop", "--no-git", "--output", "file"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: file exists and is not a directory"));
    assert_eq!(entries(tmp.path()), ["file"]);
}

#[test]
fn a_bad_answers_file_is_reported_with_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("answers.toml"), "name = \"shop\"\nstyle = \"monolith\"\ndb = \"oracle\"\n").unwrap();
    archgen(tmp.path())
        .args(["new", "--answers", "answers.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: invalid answers file answers.toml:3:6: "))
        .stderr(predicate::str::contains("oracle").or(predicate::str::contains("unknown variant")))
        .stderr(predicate::str::contains("help: fix that line"));
    fs::write(tmp.path().join("broken.toml"), "name = \"shop\nstyle = 1\n").unwrap();
    archgen(tmp.path())
        .args(["new", "--answers", "broken.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: invalid answers file broken.toml:1:"));
    archgen(tmp.path())
        .args(["new", "--answers", "missing.toml"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: cannot read answers file missing.toml"));
    assert_eq!(entries(tmp.path()), ["answers.toml", "broken.toml"]);
}

#[test]
fn unknown_styles_and_options_that_do_not_fit_the_style_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    archgen(tmp.path())
        .args(["new", "shop", "--style", "mainframe"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'mainframe'"));
    let cases: [(&[&str], &str); 7] = [
        (&["--services", "users"], "error: --services does not apply to the monolith style\nhelp: "),
        (&["--style", "serverless", "--events", "nats"], "error: --events does not apply to the serverless style"),
        (&["--platform", "knative"], "error: --platform does not apply to the monolith style"),
        (
            &["--style", "microservices", "--db", "sqlite"],
            "error: --db sqlite does not apply to the microservices style\nhelp: supported here: postgres\n",
        ),
        (&["--style", "serverless", "--db", "sqlite"], "help: supported here: postgres, none\n"),
        (
            &["--style", "microservices", "--services", "users,users"],
            "error: invalid service name \"users\": it is listed twice\nhelp: pick another service name",
        ),
        (
            &["--style", "microservices", "--services", "users,gateway"],
            "error: invalid service name \"gateway\": the workspace already has a crate by that name",
        ),
    ];
    for (args, message) in cases {
        archgen(tmp.path())
            .args(["new", "shop", "--yes"])
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    archgen(tmp.path())
        .args(["new", "shop", "--yes", "--style", "microservices", "--services", "Users"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: invalid service name \"Users\": it contains uppercase letters"));
    assert!(entries(tmp.path()).is_empty());
}

/// Every class of bad `--calls` is one `error:` and one `help:` line, exit 2, nothing written.
#[test]
fn bad_calls_are_usage_errors_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let services = ["--style", "microservices", "--services", "users,orders,billing", "--calls"];
    for (calls, reason) in [
        ("orders", "error: invalid call \"orders\": it is not CALLER:CALLEE\nhelp: e.g. --calls orders:users"),
        ("orders:payments", "error: invalid call \"orders:payments\": \"payments\" is not a service of this project"),
        ("users:users", "error: invalid call \"users:users\": a service calling itself is a function call"),
        ("orders:users,orders:users", "error: invalid call \"orders:users\": it is listed twice\nhelp: "),
        (
            "orders:users,users:orders",
            "error: invalid call \"users:orders\": it closes the cycle users → orders → users: \
             a call cycle couples both services' availability\nhelp: ",
        ),
        ("orders:users,users:billing,billing:orders", "it closes the cycle billing → orders → users → billing"),
    ] {
        let output = archgen(tmp.path()).args(["new", "shop", "--yes"]).args(services).arg(calls).assert().code(2);
        let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains(reason), "{calls}: {stderr}");
        assert_eq!(stderr.lines().count(), 2, "{calls}: {stderr}");
        assert!(stderr.lines().nth(1).is_some_and(|l| l.starts_with("help: ")), "{stderr}");
    }
    for style in [&["--db", "none"][..], &["--style", "serverless"]] {
        archgen(tmp.path())
            .args(["new", "shop", "--yes", "--calls", "orders:users"])
            .args(style)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("error: --calls does not apply to the"));
    }
    assert!(entries(tmp.path()).is_empty());
}

/// Calls are recorded, replayed by the printed command line, changed by `update --set calls=`,
/// and a service taken out takes its calls with it.
#[test]
fn calls_are_recorded_replayed_and_follow_the_services() {
    let tmp = tempfile::tempdir().unwrap();
    let new = archgen(tmp.path())
        .args(["new", "shop", "--style", "microservices", "--services", "users,orders,billing", "--ci", "none"])
        .args(["--calls", "billing:orders,orders:users"])
        .assert()
        .success();
    let stdout = String::from_utf8(new.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("--services users,orders,billing --calls billing:orders,orders:users "), "{stdout}");
    let shop = tmp.path().join("shop");
    let recorded = std::fs::read_to_string(shop.join("archgen.toml")).unwrap();
    assert!(recorded.contains("calls = [\"billing:orders\", \"orders:users\"]\n"), "{recorded}");
    assert!(shop.join("services/billing/src/calls.rs").is_file());
    assert!(shop.join("services/orders/src/calls.rs").is_file());
    assert!(!shop.join("services/users/src/calls.rs").exists(), "users calls nobody");

    archgen(tmp.path()).args(["update", "--path", "shop", "--set", "services=users,orders"]).assert().success();
    let recorded = std::fs::read_to_string(shop.join("archgen.toml")).unwrap();
    assert!(recorded.contains("calls = [\"orders:users\"]\n"), "{recorded}");
    common::git(&shop, &["add", "-A"]);
    common::git(&shop, &["commit", "-qm", "fewer"]);
    archgen(tmp.path()).args(["update", "--path", "shop", "--set", "calls=none"]).assert().success();
    let recorded = std::fs::read_to_string(shop.join("archgen.toml")).unwrap();
    assert!(recorded.contains("calls = []\n"), "{recorded}");
    assert!(!shop.join("services/orders/src/calls.rs").exists(), "no call, no client");
    common::git(&shop, &["add", "-A"]);
    common::git(&shop, &["commit", "-qm", "none"]);
    archgen(tmp.path())
        .args(["update", "--path", "shop", "--set", "calls=users:orders,orders:users"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a call cycle couples both services' availability"));
}

#[test]
fn add_service_refuses_outside_a_generated_microservices_project() {
    let tmp = tempfile::tempdir().unwrap();
    archgen(tmp.path()).args(["add", "service", "billing"]).assert().code(1).stderr(predicate::str::starts_with(
        "error: no archgen.toml in .: this is not a project generated by cargo-archgen\nhelp: ",
    ));
    archgen(tmp.path()).args(["new", "shop", "--db", "none", "--no-git"]).assert().success();
    archgen(tmp.path()).args(["add", "service", "billing", "--path", "shop"]).assert().code(1).stderr(
        predicate::str::starts_with("error: `add service` needs a microservices project; this one is a monolith\n"),
    );
}

#[test]
fn recorded_answers_replay_to_a_byte_identical_tree() {
    let tmp = tempfile::tempdir().unwrap();
    archgen(tmp.path())
        .args(["new", "shop", "--db", "sqlite", "--ci", "gitlab", "--no-git"])
        .assert()
        .success()
        .stdout(predicate::str::contains("cargo archgen new shop --style monolith --db sqlite --ci gitlab --yes"));
    archgen(tmp.path())
        .args(["new", "--answers", "shop/archgen.toml", "--output", "again", "--no-git"])
        .assert()
        .success();
    let (first, second) = (read_tree(&tmp.path().join("shop")), read_tree(&tmp.path().join("again")));
    assert!(first.iter().any(|(path, _)| path == "archgen.toml"));
    assert_eq!(first, second);
}

#[test]
fn dry_run_lists_files_with_sizes_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    archgen(tmp.path())
        .args(["new", "shop", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Would create monolith project `shop` in shop ("))
        .stdout(predicate::str::is_match(r"\n +\d+  Cargo\.toml\n").unwrap());
    let output = archgen(tmp.path()).args(["new", "shop", "--dry-run", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["dry_run"], true);
    assert!(
        json["files"].as_array().unwrap().iter().any(|f| f["path"] == "archgen.toml" && f["bytes"].as_u64() > Some(0))
    );
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn json_errors_are_machine_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let output = archgen(tmp.path()).args(["new", "self", "--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["error"]["code"], "invalid_name");
    assert!(json["error"]["help"].as_str().unwrap().contains("self-service"));
}

#[test]
fn git_repository_with_an_initial_commit_of_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    archgen(tmp.path())
        .args(["new", "shop", "--db", "none"])
        .assert()
        .success()
        .stdout(predicate::str::contains("git: initialized a repository with an initial commit"));
    let repo = git2::Repository::open(tmp.path().join("shop")).unwrap();
    let tree = repo.head().unwrap().peel_to_commit().unwrap().tree().unwrap();
    assert!(tree.get_name("archgen.toml").is_some());
    assert!(tree.get_path(Path::new("deploy/k8s/base/kustomization.yaml")).is_ok());
    assert!(repo.statuses(None).unwrap().is_empty(), "files were left out of the commit");
}

/// The repository is written by cargo-archgen itself, so git is the judge of it.
#[test]
fn git_accepts_the_repository_and_it_carries_the_identity_and_branch_of_git_config() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::write(
        home.join(".gitconfig"),
        "[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n[init]\n\tdefaultBranch = trunk\n",
    )
    .unwrap();
    archgen(tmp.path())
        .env("HOME", &home)
        .env_remove("XDG_CONFIG_HOME")
        .args(["new", "shop", "--style", "microservices", "--services", "users,orders"])
        .assert()
        .success();
    let project = tmp.path().join("shop");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&project)
            .env("HOME", &home)
            .env("GIT_CEILING_DIRECTORIES", tmp.path())
            .args(args)
            .output()
            .expect("git is installed (see DEVELOPERS.md)");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    git(&["fsck", "--full", "--strict", "--no-progress"]);
    assert_eq!(git(&["status", "--porcelain", "--untracked-files=all"]), "", "the work tree differs from the commit");
    assert_eq!(
        git(&["log", "--format=%an <%ae>|%cn|%s"]),
        "Ada Lovelace <ada@example.com>|Ada Lovelace|Initial commit from cargo-archgen\n"
    );
    assert_eq!(git(&["symbolic-ref", "HEAD"]), "refs/heads/trunk\n");
    let script = "scripts/dev.sh";
    assert!(git(&["ls-files", "--stage", script]).starts_with("100755 "), "{script} is committed as executable");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_ne!(fs::metadata(project.join(script)).unwrap().permissions().mode() & 0o111, 0);
    }
    let tracked = git(&["ls-files"]).lines().count();
    assert_eq!(tracked, read_tree(&project).len(), "every file is committed");
    // `git gc` can repack what cargo-archgen stored, and the history survives it.
    git(&["gc", "--quiet"]);
    git(&["fsck", "--full", "--strict", "--no-progress"]);
    assert_eq!(git(&["status", "--porcelain"]), "");
}

#[test]
fn inside_an_existing_work_tree_git_is_skipped_and_said() {
    let tmp = tempfile::tempdir().unwrap();
    git2::Repository::init(tmp.path()).unwrap();
    archgen(tmp.path())
        .env_remove("GIT_CEILING_DIRECTORIES")
        .args(["new", "shop", "--db", "none"])
        .assert()
        .success()
        .stdout(predicate::str::contains("git: skipped: already inside the git work tree"));
    assert!(!tmp.path().join("shop/.git").exists());
}

#[test]
fn works_as_a_cargo_subcommand_and_directly() {
    let tmp = tempfile::tempdir().unwrap();
    archgen(tmp.path())
        .args(["archgen", "--version"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("cargo-archgen "));
    archgen(tmp.path()).args(["--help"]).assert().success().stdout(predicate::str::contains("Examples:"));
    archgen(tmp.path())
        .args(["archgen", "completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("cargo-archgen"));
    archgen(tmp.path()).args(["new", "--no-such-flag"]).assert().code(2);
}

#[test]
fn new_help_says_which_options_apply_to_which_style() {
    let tmp = tempfile::tempdir().unwrap();
    let help = archgen(tmp.path()).args(["new", "--help"]).assert().success().get_output().stdout.clone();
    let help = String::from_utf8(help).unwrap();
    for row in [
        "monolith        --db postgres|sqlite|none\n",
        "microservices   --db postgres   --services NAMES   --calls A:B   --events nats|none\n",
        "serverless      --db postgres|none   --platform aws-lambda|knative\n",
        "every style     --ci github|gitlab|none\n",
    ] {
        assert!(help.contains(row), "`new --help` lacks {row:?}:\n{help}");
    }
}

#[test]
fn completions_help_says_how_to_install_each_shell() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [["completions", "--help"], ["completions", "-h"]] {
        let help = archgen(tmp.path()).args(args).assert().success().get_output().stdout.clone();
        let help = String::from_utf8(help).unwrap();
        for line in [
            "eval \"$(cargo-archgen completions bash)\"",
            "~/.bashrc",
            "eval \"$(cargo-archgen completions zsh)\"",
            "after `compinit`",
            "cargo-archgen completions fish > ~/.config/fish/conf.d/cargo-archgen.fish",
            "cargo archgen …",
        ] {
            assert!(help.contains(line), "{args:?} lacks {line:?}:\n{help}");
        }
    }
}
