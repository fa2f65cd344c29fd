//! `--verify`: after writing, what the project's own CI would check, run here — rustfmt, a
//! build, clippy with warnings as errors, the tests (run against `DATABASE_URL` when it is set,
//! else compiled only), and each linter the project has files for and this machine has
//! installed. Every check runs even after one fails, so the summary is complete.
//!
//! The checks' own output goes to stderr as they run (a build takes minutes); the summary is
//! [`crate::report`]'s to print.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::render::Tree;

/// One check: a program and its arguments, run in the project, or why it is not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub program: String,
    pub args: Vec<String>,
    /// Set when the check does not run (a linter that is not installed).
    pub skipped: Option<String>,
    /// Said of a check that passed (tests compiled only).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub check: String,
    pub status: Status,
    /// Why it was skipped, what it failed with, or a note on what passed.
    pub detail: String,
}

/// The outcome of every check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub checks: Vec<Outcome>,
}

impl Report {
    #[must_use]
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Failed)
    }
}

/// The checks for the project whose files are `tree`, on a machine where `installed` says
/// which programs can be found, with `database_url` the tests' database if any.
#[must_use]
pub fn checks(tree: &Tree, installed: &dyn Fn(&str) -> bool, database_url: Option<&str>) -> Vec<Check> {
    let cargo = |name: &str, args: &[&str], note: Option<&str>| Check {
        name: name.to_owned(),
        program: std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
        args: args.iter().map(|&a| a.to_owned()).collect(),
        skipped: None,
        note: note.map(str::to_owned),
    };
    let mut checks = vec![
        cargo("rustfmt", &["fmt", "--all", "--", "--check"], None),
        cargo("build", &["build", "--locked", "--workspace"], None),
        cargo("clippy", &["clippy", "--locked", "--workspace", "--all-targets", "--", "-D", "warnings"], None),
    ];
    checks.push(if database_url.is_some() {
        cargo("tests", &["test", "--locked", "--workspace"], None)
    } else {
        cargo(
            "tests",
            &["test", "--locked", "--workspace", "--no-run"],
            Some("compiled, not run: set DATABASE_URL to run them against a database"),
        )
    });
    let with = |suffix: &str| tree.keys().filter(|p| p.ends_with(suffix)).cloned().collect::<Vec<_>>();
    let named = |name: &str| {
        tree.keys().filter(|p| p.rsplit('/').next().is_some_and(|f| f == name)).cloned().collect::<Vec<_>>()
    };
    let workflows: Vec<String> = tree.keys().filter(|p| p.starts_with(".github/workflows/")).cloned().collect();
    let yaml: Vec<String> = [with(".yml"), with(".yaml")].concat();
    let kustomizations: Vec<String> = named("kustomization.yaml")
        .into_iter()
        .filter(|p| p.contains("/overlays/"))
        .map(|p| p.trim_end_matches("kustomization.yaml").trim_end_matches('/').to_owned())
        .collect();
    let linters: [(&str, &str, Vec<String>, Vec<String>); 6] = [
        ("actionlint", "actionlint", vec!["-no-color".into()], workflows),
        (
            "hadolint",
            "hadolint",
            vec!["--no-color".into(), "--failure-threshold".into(), "style".into()],
            named("Dockerfile"),
        ),
        ("shellcheck", "shellcheck", Vec::new(), with(".sh")),
        ("yamllint", "yamllint", vec!["--strict".into()], if yaml.is_empty() { yaml } else { vec![".".into()] }),
        ("cfn-lint", "cfn-lint", Vec::new(), named("template.yaml")),
        ("kustomize", "kubectl", vec!["kustomize".into()], kustomizations),
    ];
    for (name, program, args, files) in linters {
        if files.is_empty() {
            continue;
        }
        // kubectl kustomize takes one directory at a time.
        let runs: Vec<Vec<String>> =
            if name == "kustomize" { files.into_iter().map(|dir| vec![dir]).collect() } else { vec![files] };
        for files in runs {
            let label = if name == "kustomize" { format!("kustomize {}", files.join(" ")) } else { name.to_owned() };
            checks.push(Check {
                name: label,
                program: program.to_owned(),
                args: args.iter().cloned().chain(files).collect(),
                skipped: (!installed(program)).then(|| format!("{program} is not installed")),
                note: None,
            });
        }
    }
    checks
}

/// Whether `program` is on `PATH`.
#[must_use]
pub fn installed(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else { return false };
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Runs `checks` in `root`, each to the end; their output goes to stderr.
#[must_use]
pub fn run(root: &Path, checks: &[Check]) -> Report {
    let mut report = Report::default();
    for check in checks {
        if let Some(reason) = &check.skipped {
            report.checks.push(Outcome { check: check.name.clone(), status: Status::Skipped, detail: reason.clone() });
            continue;
        }
        let status = Command::new(&check.program)
            .args(&check.args)
            .current_dir(root)
            .stdin(Stdio::null())
            // The checks' output is progress, never the command's result: stdout stays for it.
            .stdout(std::io::stderr())
            .status();
        let (status, detail) = match status {
            Ok(s) if s.success() => (Status::Passed, check.note.clone().unwrap_or_default()),
            Ok(s) => (Status::Failed, format!("`{} {}` failed ({s})", check.program, check.args.join(" "))),
            Err(e) => (Status::Failed, format!("cannot run {}: {e}", check.program)),
        };
        report.checks.push(Outcome { check: check.name.clone(), status, detail });
    }
    report
}

/// Checks the project at `root`, whose files are `tree`.
#[must_use]
pub fn verify(root: &Path, tree: &Tree) -> Report {
    let database_url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
    run(root, &checks(tree, &installed, database_url.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(paths: &[&str]) -> Tree {
        paths.iter().map(|p| ((*p).to_owned(), String::new())).collect()
    }

    #[test]
    fn the_checks_follow_the_files_and_what_is_installed() {
        let files = tree(&[
            "Cargo.toml",
            ".github/workflows/ci.yml",
            "Dockerfile",
            "scripts/dev.sh",
            "deploy/k8s/base/kustomization.yaml",
            "deploy/k8s/overlays/dev/kustomization.yaml",
            "deploy/k8s/overlays/prod/kustomization.yaml",
        ]);
        let found = checks(&files, &|program| program != "hadolint", None);
        let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "rustfmt",
                "build",
                "clippy",
                "tests",
                "actionlint",
                "hadolint",
                "shellcheck",
                "yamllint",
                "kustomize deploy/k8s/overlays/dev",
                "kustomize deploy/k8s/overlays/prod"
            ]
        );
        let find = |name: &str| found.iter().find(|c| c.name == name).unwrap();
        assert_eq!(find("tests").args.last().map(String::as_str), Some("--no-run"));
        assert!(find("tests").note.as_deref().unwrap().contains("DATABASE_URL"));
        assert_eq!(find("hadolint").skipped.as_deref(), Some("hadolint is not installed"));
        assert_eq!(find("shellcheck").args, ["scripts/dev.sh"]);
        assert!(find("clippy").args.ends_with(&["-D".to_owned(), "warnings".to_owned()]));

        let with_database = checks(&tree(&["Cargo.toml"]), &|_| true, Some("postgres://x"));
        assert_eq!(with_database.len(), 4, "no linter without its files");
        assert_eq!(with_database[3].args, ["test", "--locked", "--workspace"]);
    }

    #[test]
    fn every_check_runs_and_a_failure_fails_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let check = |name: &str, program: &str, skipped: Option<&str>| Check {
            name: name.into(),
            program: program.into(),
            args: Vec::new(),
            skipped: skipped.map(str::to_owned),
            note: None,
        };
        let report = run(
            dir.path(),
            &[check("a", "false", None), check("b", "true", None), check("c", "nope", Some("nope is not installed"))],
        );
        let statuses: Vec<Status> = report.checks.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [Status::Failed, Status::Passed, Status::Skipped]);
        assert!(!report.passed());
    }
}
