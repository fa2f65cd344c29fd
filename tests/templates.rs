//! Custom templates: `templates export` starts a folder, an override changes the output and is
//! recorded, an added file arrives, `update` keeps rendering with it, and an error in one names
//! its file, line and column.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

mod common;

use std::fs;

use common::{archgen, git};
use predicates::prelude::*;

#[test]
fn an_override_changes_the_output_is_recorded_and_survives_update() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    archgen(dir)
        .args(["templates", "export", "monolith/base", "--output", "team/templates"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Exported "));
    let readme = dir.join("team/templates/monolith/base/README.md.hbs");
    let original = fs::read_to_string(&readme).unwrap();
    fs::write(&readme, format!("{original}\n## On call\n\nPage the {{{{project.kebab}}}} team.\n")).unwrap();
    fs::write(dir.join("team/templates/monolith/base/CODEOWNERS"), "* @our-team\n").unwrap();
    // Only what differs needs to stay: drop an exported file, the embedded one is used.
    fs::remove_file(dir.join("team/templates/monolith/base/deny.toml")).ok();

    archgen(dir).args(["new", "shop", "--templates", "team/templates", "--output", "shop"]).assert().success();
    let project = dir.join("shop");
    let readme = fs::read_to_string(project.join("README.md")).unwrap();
    assert!(readme.ends_with("## On call\n\nPage the shop team.\n"), "{readme}");
    assert_eq!(fs::read_to_string(project.join("CODEOWNERS")).unwrap(), "* @our-team\n");
    let answers = fs::read_to_string(project.join("archgen.toml")).unwrap();
    assert!(answers.contains("templates = \"../team/templates\"\n"), "{answers}");

    // `update` renders with them again (from archgen.toml): nothing to change, then a change
    // to the team's templates arrives as a change to the project.
    archgen(dir).args(["update", "--path", "shop"]).assert().success().stdout(predicate::str::contains("up to date"));
    fs::write(dir.join("team/templates/monolith/base/CODEOWNERS"), "* @our-team @security\n").unwrap();
    archgen(dir).args(["update", "--path", "shop"]).assert().success();
    assert_eq!(fs::read_to_string(project.join("CODEOWNERS")).unwrap(), "* @our-team @security\n");
    git(&project, &["commit", "-qam", "team templates"]);
}

#[test]
fn an_error_in_an_override_names_its_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let readme = dir.join("t/monolith/base/README.md.hbs");
    fs::create_dir_all(readme.parent().unwrap()).unwrap();
    fs::write(&readme, "# {{project.title}}\n\nBy {{project.owner}}.\n").unwrap();
    let output = archgen(dir).args(["new", "shop", "--templates", "t", "--output", "shop"]).assert().code(1);
    let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
    assert!(stderr.starts_with("error: in the custom template t/monolith/base/README.md.hbs: "), "{stderr}");
    assert!(stderr.lines().nth(1).unwrap().starts_with("help: fix that place in your template"), "{stderr}");
    assert!(stderr.contains("project.owner") && stderr.contains("line 3, col 4"), "{stderr}");
    assert!(!dir.join("shop").exists(), "nothing is written");
}

#[test]
fn export_refuses_what_it_cannot_do() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    archgen(dir).args(["templates", "export", "monolith/nope", "--output", "t"]).assert().code(2).stderr(
        predicate::str::starts_with("error: there is no folder `monolith/nope` in the templates\nhelp: pick one of: "),
    );
    fs::create_dir(dir.join("taken")).unwrap();
    fs::write(dir.join("taken/mine"), "x").unwrap();
    archgen(dir)
        .args(["templates", "export", "--output", "taken"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: taken already exists and is not empty\n"));
    archgen(dir).args(["new", "shop", "--templates", "missing", "--output", "shop"]).assert().code(1).stderr(
        predicate::str::starts_with("error: cannot use the custom templates at missing: it is not a directory\n"),
    );
}

#[test]
fn templates_can_be_taken_up_and_dropped_by_update() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    archgen(dir).args(["new", "shop", "--output", "shop"]).assert().success();
    fs::create_dir_all(dir.join("team/monolith/base")).unwrap();
    fs::write(dir.join("team/monolith/base/CODEOWNERS"), "* @our-team\n").unwrap();
    archgen(dir).args(["update", "--path", "shop", "--set", "templates=../team"]).assert().success();
    assert_eq!(fs::read_to_string(dir.join("shop/CODEOWNERS")).unwrap(), "* @our-team\n");
    let answers = fs::read_to_string(dir.join("shop/archgen.toml")).unwrap();
    assert!(answers.contains("templates = \"../team\"\n"), "{answers}");
    git(&dir.join("shop"), &["add", "-A"]);
    git(&dir.join("shop"), &["commit", "-qm", "team templates"]);
    archgen(dir).args(["update", "--path", "shop", "--set", "templates="]).assert().success();
    assert!(!dir.join("shop/CODEOWNERS").exists(), "an unedited file no longer generated goes");
    assert!(!fs::read_to_string(dir.join("shop/archgen.toml")).unwrap().contains("templates"));
}
