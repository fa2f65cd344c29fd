//! One snapshot per generated case: the whole tree, every file under a header.
//! Review changes with `cargo insta review` (or by reading the `.snap.new` diff).
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use cargo_archgen::plan::{self, TEMPLATES};
use cargo_archgen::render::{LOCKFILE, Tree, render};

const SNAPSHOT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots");

fn uber_snapshot(tree: &Tree) -> String {
    let mut out = String::new();
    for (path, body) in tree {
        let _ = writeln!(out, "──── {path} ({} bytes) ────", body.len());
        if path == LOCKFILE {
            // The registry packages are lockfiles/*.lock, reviewed there; the project's own
            // packages are what this case adds.
            out.push_str(&workspace_packages(body));
            continue;
        }
        out.push_str(body);
        if !body.ends_with('\n') {
            out.push_str("\n[no newline at end of file]\n");
        }
    }
    out
}

/// The lockfile's entries for the workspace's own packages (those without a `source`).
fn workspace_packages(lock: &str) -> String {
    let mut out = String::from("[registry packages: see lockfiles/]\n");
    for entry in lock.split("\n[[package]]\n").skip(1).filter(|entry| !entry.contains("\nsource = ")) {
        out.push_str("[[package]]\n");
        out.push_str(entry.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn every_case_matches_its_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(SNAPSHOT_DIR);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for answers in common::cases() {
            let tree = render(&answers).expect("renders");
            insta::assert_snapshot!(common::case_id(&answers), uber_snapshot(&tree));
        }
    });
}

#[test]
fn no_snapshot_without_a_case() {
    let expected: BTreeSet<String> = common::cases().iter().map(|a| format!("{}.snap", common::case_id(a))).collect();
    let orphans: Vec<String> = std::fs::read_dir(SNAPSHOT_DIR)
        .expect("snapshots/ exists")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|name| !expected.contains(name))
        .collect();
    assert!(orphans.is_empty(), "unreferenced or pending snapshots in snapshots/: {orphans:?}");
}

#[test]
fn rendering_is_deterministic() {
    for answers in common::cases() {
        assert_eq!(render(&answers).unwrap(), render(&answers).unwrap());
    }
}

#[test]
fn output_is_lf_only_and_ends_with_a_newline() {
    for answers in common::cases() {
        for (path, body) in render(&answers).unwrap() {
            assert!(!body.contains('\r'), "{path} has a CR");
            assert!(body.is_empty() || body.ends_with('\n'), "{path} does not end with a newline");
        }
    }
}

#[test]
fn github_expressions_survive_rendering() {
    let github: Vec<_> = common::cases().into_iter().filter(|a| a.ci == cargo_archgen::cli::Ci::Github).collect();
    assert!(!github.is_empty());
    for answers in github {
        let tree = render(&answers).unwrap();
        let workflow = &tree[".github/workflows/ci.yml"];
        let id = common::case_id(&answers);
        assert!(workflow.contains("${{"), "{id}: the workflow lost its ${{{{ }}}} expressions");
        assert!(tree.values().all(|body| !body.contains("\\{{")), "{id}: an escape leaked into the output");
    }
}

#[test]
fn every_template_is_used_by_some_case() {
    let mut used = BTreeSet::new();
    for answers in common::cases() {
        used.extend(plan::plan(&answers).unwrap().iter().map(|spec| spec.source.path().to_owned()));
        for feature in cargo_archgen::features::active(&answers).unwrap() {
            used.insert(std::path::PathBuf::from(format!("{}/feature.toml", feature.dir)));
            used.extend(feature.fragments(&answers).into_iter().map(|(_, path, _)| path.into()));
        }
    }
    // A shared partial is used when a used template (or a used partial) places it.
    let partials = cargo_archgen::render::partials();
    let source = |path: &std::path::Path| TEMPLATES.get_file(path).and_then(|f| f.contents_utf8()).unwrap_or("");
    loop {
        let before = used.len();
        for (name, file) in &partials {
            let placed =
                |text: &str| text.contains(&format!("{{{{> {name}}}}}")) || text.contains(&format!("{{{{> {name} "));
            if used.iter().any(|path| placed(source(path))) {
                used.insert(file.path().to_owned());
            }
        }
        if used.len() == before {
            break;
        }
    }
    let mut all = Vec::new();
    collect(&TEMPLATES, &mut all);
    let unused: Vec<_> = all.into_iter().filter(|p| !used.contains(p)).collect();
    assert!(unused.is_empty(), "templates no case uses: {unused:?}");
}

fn collect(dir: &include_dir::Dir<'static>, out: &mut Vec<std::path::PathBuf>) {
    out.extend(dir.files().map(|f| f.path().to_owned()));
    for sub in dir.dirs() {
        collect(sub, out);
    }
}
