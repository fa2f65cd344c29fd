//! Whether a new project gets a git repository, and who its first commit is by.
//!
//! The repository itself is built in memory by [`crate::repository`] and written with the rest of
//! the project, inside the same staging directory: an interrupted run leaves no half-made `.git`.
//! libgit2 is used only to read the user's git configuration and to find an enclosing work tree.

use std::path::{Path, PathBuf};

use git2::{Config, Reference, Repository, Signature};

use crate::render::Tree;
use crate::repository::{self, Commit, Identity};
use crate::write::Binary;

/// Used when git config has no `user.name` / `user.email`.
pub const FALLBACK_AUTHOR: (&str, &str) = ("cargo-archgen", "cargo-archgen@localhost");
/// Used when git config has no valid `init.defaultBranch`.
pub const DEFAULT_BRANCH: &str = "main";
const MESSAGE: &str = "Initial commit from cargo-archgen";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitOutcome {
    /// A repository was created with one commit.
    Initialized,
    /// The target already is inside this work tree; it was left to the user.
    InsideRepository(PathBuf),
    /// `--no-git`.
    Disabled,
    /// `--dry-run`: nothing was done.
    DryRun,
}

/// What will happen to git for a project written to a target.
pub enum Plan {
    Create { identity: Identity, branch: String },
    Skip(GitOutcome),
}

impl Plan {
    /// A repository, unless `target` (or the directory it will be created in) is inside a work
    /// tree already: a project generated into a monorepo belongs to the monorepo.
    #[must_use]
    pub fn for_target(target: &Path) -> Self {
        let existing = target.ancestors().find(|dir| dir.is_dir()).unwrap_or(Path::new("."));
        let existing = if existing.as_os_str().is_empty() { Path::new(".") } else { existing };
        if let Some(workdir) = Repository::discover(existing).ok().and_then(|repo| repo.workdir().map(Path::to_owned)) {
            return Plan::Skip(GitOutcome::InsideRepository(workdir));
        }
        let config = Config::open_default().ok();
        let setting = |key: &str| config.as_ref().and_then(|c| c.get_string(key).ok()).filter(|v| !v.trim().is_empty());
        let signature = setting("user.name")
            .zip(setting("user.email"))
            .and_then(|(name, email)| Signature::now(&name, &email).ok())
            .or_else(|| Signature::now(FALLBACK_AUTHOR.0, FALLBACK_AUTHOR.1).ok());
        let identity = signature.map_or_else(
            || Identity {
                name: FALLBACK_AUTHOR.0.into(),
                email: FALLBACK_AUTHOR.1.into(),
                seconds: 0,
                offset_minutes: 0,
            },
            |s| Identity {
                name: String::from_utf8_lossy(s.name_bytes()).into_owned(),
                email: String::from_utf8_lossy(s.email_bytes()).into_owned(),
                seconds: s.when().seconds(),
                offset_minutes: s.when().offset_minutes(),
            },
        );
        let branch = setting("init.defaultBranch")
            .filter(|b| Reference::is_valid_name(&format!("refs/heads/{b}")))
            .unwrap_or_else(|| DEFAULT_BRANCH.to_owned());
        Plan::Create { identity, branch }
    }

    /// The `.git` files to write beside `tree` into `target`, whose file system is probed for
    /// case-insensitivity.
    #[must_use]
    pub fn files(&self, tree: &Tree, target: &Path) -> Binary {
        match self {
            Plan::Create { identity, branch } => {
                let ignore_case = case_insensitive(target);
                repository::build(tree, &Commit { identity, branch, message: MESSAGE, ignore_case })
            }
            Plan::Skip(_) => Binary::new(),
        }
    }

    #[must_use]
    pub fn outcome(self) -> GitOutcome {
        match self {
            Plan::Create { .. } => GitOutcome::Initialized,
            Plan::Skip(outcome) => outcome,
        }
    }
}

/// Whether the file system of `dir` (or of its nearest existing ancestor) ignores case: the
/// path with the case of its last lettered component swapped leads to the same directory.
fn case_insensitive(dir: &Path) -> bool {
    let existing = dir.ancestors().find(|d| d.is_dir()).unwrap_or(Path::new("."));
    let Ok(existing) = std::fs::canonicalize(existing) else { return false };
    for d in existing.ancestors() {
        let Some(name) = d.file_name().and_then(|n| n.to_str()) else { continue };
        let swapped: String = name
            .chars()
            .map(|c| if c.is_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect();
        if swapped != name {
            return same_directory(d, &d.with_file_name(swapped));
        }
    }
    false
}

#[cfg(unix)]
fn same_directory(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_directory(_: &Path, b: &Path) -> bool {
    b.is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_whether_the_file_system_ignores_case() {
        // Compared with a direct probe, so it holds on Linux (case-sensitive) and on a default
        // macOS or Windows volume (case-insensitive) alike.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("Project");
        std::fs::create_dir(&dir).unwrap();
        let ignores_case = tmp.path().join("PROJECT").is_dir();
        assert_eq!(case_insensitive(&dir), ignores_case);
        assert_eq!(case_insensitive(&dir.join("not/yet")), ignores_case);
    }

    #[test]
    fn inside_a_work_tree_the_repository_is_skipped_even_before_the_target_exists() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("shop/nested");
        git2::Repository::init(tmp.path()).unwrap();
        assert!(matches!(Plan::for_target(&target), Plan::Skip(GitOutcome::InsideRepository(_))));
    }
}
