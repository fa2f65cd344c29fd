//! Completion scripts exercised in real bash, zsh and fish, for both `cargo-archgen …` and
//! `cargo archgen …`, with cargo's own completion loaded first where the toolchain ships it (it
//! must keep completing cargo's other subcommands). A shell that is not installed is skipped
//! with a message (`.ci/run` installs all three).
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A command line (a trailing space completes a new word), what must be offered, and whether
/// that is all that may be offered.
struct Case {
    line: String,
    want: &'static [&'static str],
    exact: bool,
}

fn cases() -> Vec<Case> {
    let table: &[(&str, &[&str], bool)] = &[
        ("", &["new", "add", "completions", "help"], false),
        ("new --sty", &["--style"], true),
        (
            "new --",
            &[
                "--style",
                "--db",
                "--ci",
                "--services",
                "--events",
                "--platform",
                "--output",
                "--answers",
                "--yes",
                "--dry-run",
                "--json",
                "--force",
                "--no-git",
            ],
            false,
        ),
        ("new --style ", &["monolith", "microservices", "serverless"], true),
        ("new --db ", &["postgres", "sqlite", "none"], true),
        ("new --db s", &["sqlite"], true),
        ("new --ci ", &["github", "gitlab", "none"], true),
        ("new --events ", &["nats", "none"], true),
        ("new --platform ", &["aws-lambda", "knative"], true),
        ("new shop --style serverless --platform k", &["knative"], true),
        ("new shop --db postgres --ci ", &["github", "gitlab", "none"], true),
        ("add ", &["service"], false),
        ("add service --", &["--path", "--dry-run", "--json"], false),
        ("completions ", &["bash", "zsh", "fish"], false),
        ("adv", &["advise"], true),
        (
            "advise --",
            &[
                "--teams",
                "--team-size",
                "--domain",
                "--traffic",
                "--latency",
                "--ops",
                "--runs-on",
                "--mvp",
                "--data",
                "--name",
                "--yes",
                "--json",
            ],
            false,
        ),
        ("advise --domain ", &["simple", "moderate", "complex"], true),
        ("advise --traffic ", &["steady", "spiky", "mostly-idle"], true),
        ("advise --latency ", &["relaxed", "tight"], true),
        ("advise --ops ", &["low", "medium", "high"], true),
        ("advise --teams 2 --runs-on ", &["kubernetes", "aws", "none"], true),
        ("advise --data ", &["relational", "small", "none"], true),
    ];
    let mut cases = Vec::new();
    for prefix in ["cargo-archgen", "cargo archgen"] {
        for (rest, want, exact) in table {
            cases.push(Case { line: format!("{prefix} {rest}"), want, exact: *exact });
        }
    }
    cases
}

fn installed(shell: &str) -> bool {
    let found = Command::new(shell).arg("-c").arg("exit 0").status().is_ok_and(|s| s.success());
    if !found {
        eprintln!("SKIPPED: {shell} is not installed (apt-get install {shell}); its completions were not tested");
    }
    found
}

/// The script as a user installs it, in a temp dir with a clean home for the shell.
fn script(shell: &str, dir: &Path) -> PathBuf {
    let out =
        Command::new(assert_cmd::cargo::cargo_bin!("cargo-archgen")).args(["completions", shell]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let path = dir.join(format!("cargo-archgen.{shell}"));
    std::fs::write(&path, out.stdout).unwrap();
    path
}

/// The toolchain's own cargo completion for `shell`, when rustup installed one.
fn cargo_completion(relative: &str) -> Option<PathBuf> {
    let out = Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()).join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("note: no {relative} in the toolchain; cargo's own completion is not checked");
        None
    }
}

fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

fn words(line: &str) -> Vec<&str> {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if line.ends_with(' ') {
        words.push("");
    }
    words
}

fn check(shell: &str, results: &[(String, BTreeSet<String>)], cases: &[Case]) {
    let mut failures = String::new();
    for (case, (line, got)) in cases.iter().zip(results) {
        assert_eq!(&case.line, line);
        let want: BTreeSet<String> = case.want.iter().map(|w| (*w).to_owned()).collect();
        let ok = if case.exact { *got == want } else { got.is_superset(&want) };
        if !ok {
            let _ = writeln!(
                failures,
                "{shell}: `{line}<TAB>` offered {got:?}, expected {}{want:?}",
                if case.exact { "exactly " } else { "at least " }
            );
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn bash_completes_both_forms() {
    if !installed("bash") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut program = String::new();
    let bash_completion = Path::new("/usr/share/bash-completion/bash_completion");
    if bash_completion.exists() {
        let _ = writeln!(program, "source {}", quote(&bash_completion.display().to_string()));
    } else {
        eprintln!("note: bash-completion is not installed; the scripts are tested without it");
    }
    let cargo = cargo_completion("etc/bash_completion.d/cargo");
    if let Some(cargo) = &cargo {
        let _ = writeln!(program, "source {}", quote(&cargo.display().to_string()));
    }
    let _ = writeln!(program, "source {}", quote(&script("bash", tmp.path()).display().to_string()));
    // What bash does on TAB: call the function registered for the first word with the command,
    // the current word and the previous one, COMP_WORDS and COMP_CWORD set.
    program.push_str(
        r#"t() {
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
    local spec; spec=$(complete -p "$1") || { echo "no completion for $1"; return; }
    local fn=${spec##* -F }; fn=${fn%% *}
    "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\t' "$*"; printf '%s ' "${COMPREPLY[@]}"; echo
}
"#,
    );
    let mut cases = cases();
    if cargo.is_some() {
        cases.push(Case { line: "cargo bu".into(), want: &["build"], exact: false });
    }
    for case in &cases {
        let quoted: Vec<String> = words(&case.line).into_iter().map(quote).collect();
        let _ = writeln!(program, "t {}", quoted.join(" "));
    }
    let out =
        Command::new("bash").args(["--norc", "--noprofile", "-c", &program]).current_dir(tmp.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let results: Vec<(String, BTreeSet<String>)> = stdout
        .lines()
        .map(|l| {
            let (words, reply) = l.split_once('\t').unwrap_or((l, ""));
            let line = case_line(words, &cases);
            (line, reply.split_whitespace().map(str::to_owned).collect())
        })
        .collect();
    assert_eq!(results.len(), cases.len(), "{stdout}");
    check("bash", &results, &cases);
}

/// bash printed the words joined by spaces: the case line, whose trailing space became an
/// empty word.
fn case_line(printed: &str, cases: &[Case]) -> String {
    cases.iter().find(|c| words(&c.line).join(" ") == printed).map_or_else(|| printed.to_owned(), |c| c.line.clone())
}

#[test]
fn zsh_completes_both_forms() {
    if !installed("zsh") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut setup = String::new();
    let cargo = cargo_completion("share/zsh/site-functions/_cargo");
    if let Some(cargo) = &cargo {
        let _ = writeln!(setup, "fpath=({} $fpath)", quote(&cargo.parent().unwrap().display().to_string()));
        setup.push_str("autoload -Uz compinit && compinit -u -D\n");
    }
    let _ = writeln!(setup, "source {}", quote(&script("zsh", tmp.path()).display().to_string()));
    let setup_file = tmp.path().join("setup.zsh");
    std::fs::write(&setup_file, setup).unwrap();
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/completions/capture.zsh");
    let mut cases = cases();
    if cargo.is_some() {
        cases.push(Case { line: "cargo bu".into(), want: &["build"], exact: false });
    }
    // Each line is one interactive zsh in a pseudo-terminal; they mostly wait, so run together.
    let results: Vec<(String, BTreeSet<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| {
                let (harness, setup_file, home) = (&harness, &setup_file, tmp.path());
                scope.spawn(move || {
                    let out = Command::new("zsh")
                        .arg("-f")
                        .arg(harness)
                        .arg(setup_file)
                        .arg(&case.line)
                        .env("HOME", home)
                        .current_dir(home)
                        .output()
                        .unwrap();
                    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
                    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
                    let got = stdout.lines().filter_map(|l| l.strip_prefix("MATCH:")).map(str::to_owned).collect();
                    (case.line.clone(), got)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    check("zsh", &results, &cases);
}

#[test]
fn fish_completes_both_forms() {
    if !installed("fish") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut program = format!("source {}\n", quote(&script("fish", tmp.path()).display().to_string()));
    let mut cases = cases();
    // fish ships its own cargo completion.
    cases.push(Case { line: "cargo bu".into(), want: &["build"], exact: false });
    for case in &cases {
        let _ = writeln!(program, "echo '@@ {}'; complete -C {}", case.line, quote(&case.line));
    }
    // A clean configuration: neither the user's config nor their completions are read.
    let out = Command::new("fish")
        .args(["-c", &program])
        .env("HOME", tmp.path())
        .env("XDG_CONFIG_HOME", tmp.path().join("config"))
        .env("XDG_DATA_HOME", tmp.path().join("data"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let mut results: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in stdout.lines() {
        if let Some(case) = line.strip_prefix("@@ ") {
            results.push((case.to_owned(), BTreeSet::new()));
        } else if let Some((_, got)) = results.last_mut() {
            got.insert(line.split('\t').next().unwrap_or(line).to_owned());
        }
    }
    assert_eq!(results.len(), cases.len(), "{stdout}");
    check("fish", &results, &cases);
}
