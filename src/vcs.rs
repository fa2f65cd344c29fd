//! `git init` and a first commit of every generated file, through libgit2.

use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Repository, Signature};

use crate::error::Result;

/// Used when git config has no `user.name` / `user.email`.
pub const FALLBACK_AUTHOR: (&str, &str) = ("cargo-archgen", "cargo-archgen@localhost");

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

/// Creates a repository in `dir` with an initial commit, unless `dir` is inside a work tree.
///
/// # Errors
/// Any libgit2 failure.
pub fn init(dir: &Path) -> Result<GitOutcome> {
    if let Ok(existing) = Repository::discover(dir) {
        if let Some(workdir) = existing.workdir() {
            return Ok(GitOutcome::InsideRepository(workdir.to_owned()));
        }
    }
    let repo = Repository::init(dir)?;
    let mut index = repo.index()?;
    index.add_all(["*"], IndexAddOption::DEFAULT, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let author = repo.signature().or_else(|_| Signature::now(FALLBACK_AUTHOR.0, FALLBACK_AUTHOR.1))?;
    repo.commit(Some("HEAD"), &author, &author, "Initial commit from cargo-archgen", &tree, &[])?;
    Ok(GitOutcome::Initialized)
}
