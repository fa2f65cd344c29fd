//! Every embedded template must be in git: a template that exists only in a working tree (for
//! instance hidden by a `.gitignore` among the templates) would vanish from a fresh clone.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::path::Path;

#[test]
fn no_template_is_ignored_by_git() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(repo) = git2::Repository::open(root) else {
        return; // a packaged crate (cargo install from crates.io) has no repository
    };
    let mut ignored = Vec::new();
    let mut stack = vec![root.join("templates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if repo.is_path_ignored(path.strip_prefix(root).unwrap()).unwrap() {
                ignored.push(path);
            }
        }
    }
    assert!(ignored.is_empty(), "git ignores these templates, so a clone would lack them: {ignored:?}");
}
