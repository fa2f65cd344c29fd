//! `update` and `diff`: a project changed through its answers equals one generated with them,
//! an upgrade (a pristine render that differs from this binary's) keeps the user's edits,
//! applies the template changes and respects deletions, and every refusal changes nothing.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{archgen, git};
use predicates::prelude::*;

/// Every file of the project but `.git`, path → text.
fn files(root: &Path) -> BTreeMap<String, String> {
    common::files(root).into_iter().map(|(path, body)| (path, String::from_utf8(body).unwrap())).collect()
}

fn new(dir: &Path, output: &str, args: &[&str]) {
    archgen(dir).args(["new", "shop", "--output", output]).args(args).assert().success();
}

#[test]
fn changing_answers_equals_generating_with_them_and_keeps_edits() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    new(dir, "grown", &["--style", "monolith", "--db", "postgres", "--ci", "github"]);
    new(dir, "fresh", &["--style", "monolith", "--db", "sqlite", "--ci", "gitlab", "--no-git"]);
    let grown = dir.join("grown");

    archgen(dir)
        .args(["update", "--path", "grown", "--set", "ci=gitlab", "--set", "db=sqlite"])
        .assert()
        .success()
        .stdout(predicate::str::contains("removed").and(predicate::str::contains("created")));
    assert_eq!(files(&grown), files(&dir.join("fresh")), "growing equals generating");
    // Left uncommitted for review; the pristine render moved on.
    assert!(!git(&grown, &["status", "--porcelain"]).is_empty());
    git(&grown, &["add", "-A"]);
    git(&grown, &["commit", "-qm", "sqlite and gitlab"]);
    assert_eq!(git(&grown, &["diff", "--stat", "refs/archgen/pristine", "HEAD"]), "");

    // An edit the next change does not touch is kept; the change still lands.
    let readme = grown.join("README.md");
    let edited = format!("{}\nOur team's notes.\n", fs::read_to_string(&readme).unwrap());
    fs::write(&readme, &edited).unwrap();
    git(&grown, &["commit", "-qam", "notes"]);
    archgen(dir).args(["update", "--path", "grown", "--set", "ci=none"]).assert().success();
    new(dir, "fresh-none", &["--style", "monolith", "--db", "sqlite", "--ci", "none", "--no-git"]);
    let mut expected = files(&dir.join("fresh-none"));
    let readme_now = fs::read_to_string(&readme).unwrap();
    assert!(readme_now.ends_with("\nOur team's notes.\n"), "the edit is kept");
    expected.insert("README.md".into(), readme_now);
    assert_eq!(files(&grown), expected);
}

#[test]
fn refusals_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    new(dir, "p", &["--style", "monolith"]);
    let project = dir.join("p");
    let before = files(&project);

    // Uncommitted work.
    fs::write(project.join("notes.txt"), "mine\n").unwrap();
    archgen(dir)
        .args(["update", "--path", "p", "--set", "ci=gitlab"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: the project has uncommitted work: notes.txt\nhelp: "));
    fs::remove_file(project.join("notes.txt")).unwrap();

    // Settings `new` would refuse, or that cannot change: exit 2, one error and one help line.
    for (setting, message) in [
        ("style=serverless", "error: cannot set `style=serverless`: it is fixed when the project is made\n"),
        ("ci=jenkins", "error: cannot set `ci=jenkins`: \"jenkins\" is not a value it takes\n"),
        ("events=nats", "error: --events does not apply to the monolith style\n"),
        ("colour", "error: cannot set `colour`: it is not KEY=VALUE\n"),
    ] {
        let output = archgen(dir).args(["update", "--path", "p", "--set", setting]).assert().code(2);
        let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
        assert!(stderr.starts_with(message), "{setting}: {stderr}");
        assert_eq!(stderr.lines().count(), 2, "{setting}: {stderr}");
        assert!(stderr.lines().nth(1).unwrap().starts_with("help: "), "{setting}: {stderr}");
    }

    // A clash with an edit: refused, listed, nothing written; with markers, written and exit 1.
    let workflow = project.join(".github/workflows/ci.yml");
    fs::write(&workflow, "# our own pipeline\n").unwrap();
    fs::write(project.join("README.md"), "# Ours\n").unwrap();
    git(&project, &["commit", "-qam", "our pipeline"]);
    let edited = files(&project);
    archgen(dir)
        .args(["update", "--path", "p", "--set", "db=sqlite", "--json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(r#""code":"conflicts""#).and(predicate::str::contains("README.md")));
    assert_eq!(files(&project), edited, "nothing changed");
    assert_ne!(files(&project), before);

    archgen(dir)
        .args(["update", "--path", "p", "--set", "db=sqlite", "--conflicts", "markers"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "error: conflict markers were written into: .github/workflows/ci.yml, README.md\n",
        ));
    for (path, ours) in [("README.md", "# Ours"), (".github/workflows/ci.yml", "# our own pipeline")] {
        let text = fs::read_to_string(project.join(path)).unwrap();
        assert!(text.contains("<<<<<<<") && text.contains(ours) && text.contains(">>>>>>>"), "{text}");
    }
}

#[test]
fn diff_prints_what_update_would_do_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    new(dir, "p", &["--style", "monolith", "--ci", "github"]);
    let project = dir.join("p");
    let before = files(&project);
    archgen(dir)
        .args(["diff", "--path", "p", "--set", "ci=gitlab"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--- a/.github/workflows/ci.yml\n+++ /dev/null\n"))
        .stdout(predicate::str::contains("--- /dev/null\n+++ b/.gitlab-ci.yml\n"))
        .stdout(predicate::str::contains("-ci = \"github\"\n+ci = \"gitlab\"\n"));
    archgen(dir).args(["diff", "--path", "p"]).assert().success().stdout("");
    archgen(dir).args(["update", "--path", "p"]).assert().success().stdout(predicate::str::contains("up to date"));
    assert_eq!(files(&project), before);
}

/// A release's templates differ from those the project was made with: the pristine render is
/// replaced by one standing for the previous release (a changed line in a file the user then
/// edited elsewhere, a file this release adds, a file it no longer generates, edited or not).
#[test]
fn an_upgrade_keeps_edits_applies_changes_and_respects_deletions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    new(dir, "p", &["--style", "monolith", "--db", "postgres"]);
    let project = dir.join("p");
    let current = files(&project);

    // What the previous release generated, recorded as the pristine render and checked out.
    let mut previous = current.clone();
    let heading = current["README.md"].lines().next().unwrap().to_owned();
    let readme = previous["README.md"].replacen(&heading, "# The old heading", 1);
    previous.insert("README.md".into(), readme);
    previous.remove("deny.toml");
    previous.insert("docs/old.md".into(), "generated once\n".into());
    previous.insert("docs/edited.md".into(), "generated once\n".into());
    previous.remove("Dockerfile");
    previous.insert("Dockerfile".into(), format!("# an older base image\n{}", current["Dockerfile"]));
    for entry in fs::read_dir(&project).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n != ".git") {
            if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) }.unwrap();
        }
    }
    for (path, body) in &previous {
        fs::create_dir_all(project.join(path).parent().unwrap()).unwrap();
        fs::write(project.join(path), body).unwrap();
    }
    git(&project, &["add", "-A"]);
    git(&project, &["commit", "-qm", "as the previous release made it"]);
    let previous_commit = git(&project, &["rev-parse", "HEAD"]);
    git(&project, &["update-ref", "refs/archgen/pristine", previous_commit.trim()]);

    // The user's work: an edit far from the template's change, a deletion, an edit of a file
    // the new release drops.
    let readme = project.join("README.md");
    fs::write(&readme, format!("{}\nOur notes.\n", fs::read_to_string(&readme).unwrap())).unwrap();
    fs::remove_file(project.join("Dockerfile")).unwrap();
    fs::write(project.join("docs/edited.md"), "generated once\nand ours\n").unwrap();
    git(&project, &["commit", "-qam", "our work"]);
    git(&project, &["gc", "-q", "--prune=now"]);

    archgen(dir).args(["update", "--path", "p"]).assert().success();
    let after = files(&project);
    assert!(after["README.md"].starts_with(&format!("{heading}\n")), "the template's change is applied");
    assert!(after["README.md"].ends_with("\nOur notes.\n"), "the edit is kept");
    assert_eq!(after.get("deny.toml"), current.get("deny.toml"), "a new file arrives");
    assert!(!after.contains_key("docs/old.md"), "an unedited file no longer generated goes");
    assert_eq!(after["docs/edited.md"], "generated once\nand ours\n", "an edited one stays");
    assert!(!after.contains_key("Dockerfile"), "a file the user deleted stays deleted");

    // The pristine render is now this release's, parented on the previous one, never on the
    // user's branch; it survives gc, and a clone fetches it when asked.
    let pristine = git(&project, &["rev-parse", "refs/archgen/pristine^"]);
    assert_eq!(pristine.trim(), previous_commit.trim());
    git(&project, &["gc", "-q", "--prune=now"]);
    assert_eq!(
        git(&project, &["ls-tree", "-r", "--name-only", "refs/archgen/pristine", "--", "deny.toml"]),
        "deny.toml\n"
    );
    let clone = dir.join("clone");
    git(dir, &["clone", "-q", project.to_str().unwrap(), clone.to_str().unwrap()]);
    git(&clone, &["fetch", "-q", "origin", "refs/archgen/*:refs/archgen/*"]);
    assert_eq!(
        git(&clone, &["rev-parse", "refs/archgen/pristine"]),
        git(&project, &["rev-parse", "refs/archgen/pristine"])
    );
}

#[test]
fn without_a_pristine_render_another_version_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    new(dir, "p", &["--style", "monolith", "--no-git"]);
    let project = dir.join("p");
    // Without git, the same version renders the base again.
    archgen(dir).args(["update", "--path", "p", "--set", "ci=none"]).assert().success();
    let answers = project.join("archgen.toml");
    let text = fs::read_to_string(&answers).unwrap();
    let older =
        text.replace(&format!("archgen_version = \"{}\"", env!("CARGO_PKG_VERSION")), "archgen_version = \"0.0.1\"");
    fs::write(&answers, &older).unwrap();
    let before = files(&project);
    archgen(dir)
        .args(["update", "--path", "p", "--set", "ci=github"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: no pristine render to merge against"));
    assert_eq!(files(&project), before);
}
