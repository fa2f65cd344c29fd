//! The next steps `new` prints work as typed: every file, script, package, binary and `just`
//! recipe they name exists in the project generated for the same answers (`next_steps_run.rs`
//! runs them).
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

mod common;

use cargo_archgen::next_steps::for_answers;
use cargo_archgen::render::{Tree, render};

/// The `[package]` names and `[[bin]]` names of every manifest in the project.
fn packages_and_binaries(tree: &Tree) -> (Vec<String>, Vec<String>) {
    let (mut packages, mut binaries) = (Vec::new(), Vec::new());
    for (path, body) in tree.iter().filter(|(p, _)| p.ends_with("Cargo.toml")) {
        let manifest: toml::Table = body.parse().unwrap_or_else(|e| panic!("{path}: {e}"));
        if let Some(name) = manifest.get("package").and_then(|p| p.get("name")).and_then(|n| n.as_str()) {
            packages.push(name.to_owned());
            binaries.push(name.to_owned());
        }
        for bin in manifest.get("bin").and_then(|b| b.as_array()).into_iter().flatten() {
            binaries.extend(bin.get("name").and_then(|n| n.as_str()).map(str::to_owned));
        }
    }
    (packages, binaries)
}

#[test]
fn every_printed_step_names_what_the_project_has() {
    for answers in common::cases() {
        let id = common::case_id(&answers);
        let tree = render(&answers).unwrap();
        let (packages, binaries) = packages_and_binaries(&tree);
        let steps = for_answers(&answers);
        assert!(!steps.is_empty(), "{id}: no next steps");
        for step in steps {
            let words: Vec<&str> = step.command.split_whitespace().collect();
            if let Some(script) = words.first().filter(|w| w.starts_with("scripts/")) {
                assert!(tree.contains_key(*script), "{id}: no {script}");
            }
            for pair in words.windows(2) {
                match pair {
                    ["-p", package] => assert!(packages.iter().any(|p| p == package), "{id}: no package {package}"),
                    ["--bin", bin] => assert!(binaries.iter().any(|b| b == bin), "{id}: no binary {bin}"),
                    [".", file] => assert!(tree.contains_key(file.trim_start_matches("./")), "{id}: no {file}"),
                    ["just", recipe] => {
                        let justfile = tree.get("justfile").unwrap_or_else(|| panic!("{id}: `just` but no justfile"));
                        assert!(
                            justfile.lines().any(|l| l.starts_with(&format!("{recipe}:"))),
                            "{id}: no recipe {recipe}"
                        );
                    }
                    ["docker", "compose"] => assert!(tree.contains_key("docker-compose.yml"), "{id}: no compose file"),
                    ["cargo", "run"] if !words.contains(&"-p") => {
                        assert!(
                            tree.contains_key("Cargo.toml") && packages.len() == 1,
                            "{id}: `cargo run` cannot pick a binary"
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}
