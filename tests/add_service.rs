//! `cargo archgen add service`: the grown project equals a fresh `new` with the longer list, user
//! edits are merged where possible, and an unmergeable edit changes nothing.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn archgen(dir: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("cargo-archgen"));
    cmd.current_dir(dir).env("GIT_CEILING_DIRECTORIES", dir).timeout(std::time::Duration::from_secs(60));
    cmd
}

fn read_tree(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().display().to_string();
                out.push((relative, fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn new_project(dir: &Path, output: &str, services: &str) {
    archgen(dir)
        .args(["new", "shop", "--style", "microservices", "--services", services, "--no-git", "--output", output])
        .assert()
        .success();
}

#[test]
fn adding_a_service_equals_generating_it_from_the_start() {
    let tmp = tempfile::tempdir().unwrap();
    new_project(tmp.path(), "grown", "users,orders");
    // users and orders start as the default project, with the guidance's resources; billing,
    // added, gets its example.
    archgen(tmp.path())
        .args(["new", "shop", "--style", "microservices", "--services", "users,orders,billing", "--no-git"])
        .args(["--output", "fresh", "--resource", "users/users email:string:unique name:string"])
        .args(["--resource", "orders/orders user_id:bigint total:decimal status:string"])
        .assert()
        .success();
    archgen(tmp.path())
        .args(["add", "service", "billing", "--path", "grown"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Added service `billing` to grown ("))
        .stdout(predicate::str::contains("created  "))
        .stdout(predicate::str::contains("updated  "));
    let (grown, fresh) = (read_tree(&tmp.path().join("grown")), read_tree(&tmp.path().join("fresh")));
    let grown_paths: Vec<_> = grown.iter().map(|(p, _)| p).collect();
    let fresh_paths: Vec<_> = fresh.iter().map(|(p, _)| p).collect();
    assert_eq!(grown_paths, fresh_paths);
    for ((path, a), (_, b)) in grown.iter().zip(&fresh) {
        assert_eq!(a, b, "{path} differs from a fresh generation");
    }
}

/// A file (other than archgen.toml) that adding `billing` must change, with its content before.
fn a_file_the_new_service_changes(tmp: &Path) -> (String, String) {
    new_project(tmp, "two", "users,orders");
    new_project(tmp, "three", "users,orders,billing");
    let (two, three) = (read_tree(&tmp.join("two")), read_tree(&tmp.join("three")));
    two.into_iter()
        .find(|(path, body)| path != "archgen.toml" && three.iter().any(|(p, b)| p == path && b != body))
        .expect("adding a service changes some shared file (compose, gateway config, CI, docs)")
}

fn comment(path: &str) -> &'static str {
    match Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("rs") => "// ",
        Some("md") => "",
        _ => "# ",
    }
}

#[test]
fn edits_elsewhere_in_a_changed_file_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, original) = a_file_the_new_service_changes(tmp.path());
    new_project(tmp.path(), "shop", "users,orders");
    let file = tmp.path().join("shop").join(&path);
    let note = format!("{}a note the team added", comment(&path));
    fs::write(&file, format!("{note}\n{original}")).unwrap();
    archgen(tmp.path())
        .args(["add", "service", "billing", "--path", "shop"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("merged with your edits  {path}")));
    let merged = fs::read_to_string(&file).unwrap();
    assert!(merged.contains(&note), "the edit was lost:\n{merged}");
    assert!(merged.contains("billing"), "the new service is missing:\n{merged}");
}

#[test]
fn a_clashing_edit_is_reported_and_nothing_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, _) = a_file_the_new_service_changes(tmp.path());
    new_project(tmp.path(), "shop", "users,orders");
    let root = tmp.path().join("shop");
    fs::write(root.join(&path), "the team rewrote this file\n").unwrap();
    let before = read_tree(&root);
    archgen(tmp.path())
        .args(["add", "service", "billing", "--path", "shop"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(format!(
            "error: these files were edited in ways the change cannot merge: {path}"
        )))
        .stderr(predicate::str::contains("help: nothing was changed"));
    assert_eq!(read_tree(&root), before, "a refused add changed files");
}

#[test]
fn a_taken_or_invalid_name_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    new_project(tmp.path(), "shop", "users,orders");
    let before = read_tree(&tmp.path().join("shop"));
    for (name, message) in [
        ("users", "error: invalid service name \"users\": the project already has this service"),
        ("gateway", "error: invalid service name \"gateway\""),
        ("Bad_Name", "error: invalid service name \"Bad_Name\""),
    ] {
        archgen(tmp.path())
            .args(["add", "service", name, "--path", "shop"])
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with(message));
    }
    assert_eq!(read_tree(&tmp.path().join("shop")), before);
}
