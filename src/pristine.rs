//! The pristine render of a project: what cargo-archgen generated for its current answers,
//! before any edit. Every change merges against it ([`crate::change`]), so it is kept where a
//! later run — of a newer cargo-archgen, whose templates differ — finds it without the templates
//! that made it: the commit [`REF`] of the project's git repository. At `new` that is the first
//! commit; each change records a commit holding the new render, parented on the previous
//! pristine commit, never on the user's branch. A ref outside `refs/heads` survives `git gc`; a
//! clone fetches it only when asked (`git fetch origin 'refs/archgen/*:refs/archgen/*'`).
//!
//! The base is the newest pristine commit whose `archgen.toml` is the project's: after a change
//! is undone with git, the one before it. Without git, or without such a commit, the base is
//! rendered again from `archgen.toml`: the same bytes only with the cargo-archgen that wrote it,
//! so another version refuses.

use std::path::Path;

use git2::{IndexEntry, IndexTime, ObjectType, Repository, Signature, StatusOptions, TreeWalkMode, TreeWalkResult};

use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::render::{self, Tree};

/// Where the pristine render is kept.
pub const REF: &str = "refs/archgen/pristine";

/// The repository whose work tree is the project, if the project has one of its own.
fn repository(root: &Path) -> Option<Repository> {
    Repository::open(root).ok().filter(|repo| repo.workdir().is_some())
}

fn git(action: &'static str) -> impl Fn(git2::Error) -> Error {
    move |e| Error::Git { action, message: e.message().to_owned() }
}

/// The render that the project's files were made from.
///
/// # Errors
/// No pristine commit and `archgen.toml` written by another cargo-archgen, or git failing.
pub fn base(root: &Path, before: &Answers, recorded_version: Option<&str>) -> Result<Tree> {
    if let Some(repo) = repository(root)
        && let Some(commit) = matching(&repo, root)
    {
        return read(&repo, &commit);
    }
    match recorded_version {
        Some(env!("CARGO_PKG_VERSION")) => render::render(before),
        other => Err(Error::NoPristine { recorded: other.unwrap_or("an unknown version").to_owned() }),
    }
}

/// The newest pristine commit made from the answers the project holds now: after a change was
/// undone (`git reset`), an older one.
fn matching<'r>(repo: &'r Repository, root: &Path) -> Option<git2::Commit<'r>> {
    let answers = std::fs::read(root.join(crate::answers::FILE_NAME)).ok()?;
    let mut commit = repo.find_reference(REF).ok()?.peel_to_commit().ok();
    while let Some(current) = commit {
        let recorded = current
            .tree()
            .ok()
            .and_then(|tree| tree.get_name(crate::answers::FILE_NAME).map(|entry| entry.id()))
            .and_then(|id| repo.find_blob(id).ok());
        if recorded.is_some_and(|blob| blob.content() == answers.as_slice()) {
            return Some(current);
        }
        commit = current.parent(0).ok();
    }
    None
}

fn read(repo: &Repository, commit: &git2::Commit<'_>) -> Result<Tree> {
    let tree = commit.tree().map_err(git("read the pristine render"))?;
    let mut files = Tree::new();
    let mut failure = None;
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() != Some(ObjectType::Blob) {
            return TreeWalkResult::Ok;
        }
        let path = format!("{dir}{}", entry.name().unwrap_or_default());
        let text = entry
            .to_object(repo)
            .ok()
            .and_then(|object| object.into_blob().ok())
            .and_then(|blob| String::from_utf8(blob.content().to_vec()).ok());
        if let Some(text) = text {
            files.insert(path, text);
            TreeWalkResult::Ok
        } else {
            failure = Some(path);
            TreeWalkResult::Abort
        }
    })
    .map_err(git("read the pristine render"))
    .or_else(|e| if failure.is_some() { Ok(()) } else { Err(e) })?;
    match failure {
        Some(path) => Err(Error::Git { action: "read the pristine render", message: format!("{path} is not text") }),
        None => Ok(files),
    }
}

/// Records `tree` as the pristine render, when the project has a repository of its own.
///
/// # Errors
/// git failing to store it.
pub fn record(root: &Path, tree: &Tree, message: &str) -> Result<()> {
    let Some(repo) = repository(root) else { return Ok(()) };
    let failed = git("record the pristine render");
    let parent = repo.find_reference(REF).ok().and_then(|r| r.peel_to_commit().ok());
    let mut index = git2::Index::new().map_err(&failed)?;
    for (path, body) in tree {
        let id = repo.blob(body.as_bytes()).map_err(&failed)?;
        let time = IndexTime::new(0, 0);
        index
            .add(&IndexEntry {
                ctime: time,
                mtime: time,
                dev: 0,
                ino: 0,
                mode: crate::repository::mode(path),
                uid: 0,
                gid: 0,
                file_size: u32::try_from(body.len()).unwrap_or(u32::MAX),
                id,
                flags: u16::try_from(path.len().min(0xfff)).unwrap_or(0xfff),
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            })
            .map_err(&failed)?;
    }
    let tree_id = index.write_tree_to(&repo).map_err(&failed)?;
    if parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
        return Ok(());
    }
    let tree = repo.find_tree(tree_id).map_err(&failed)?;
    let signature = repo
        .signature()
        .or_else(|_| Signature::now(crate::vcs::FALLBACK_AUTHOR.0, crate::vcs::FALLBACK_AUTHOR.1))
        .map_err(&failed)?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let commit = repo.commit(None, &signature, &signature, message, &tree, &parents).map_err(&failed)?;
    repo.reference(REF, commit, true, message).map_err(&failed)?;
    Ok(())
}

/// Files with changes git has not committed (untracked ones included, ignored ones not); empty
/// without a repository of the project's own.
///
/// # Errors
/// git failing to answer.
pub fn uncommitted(root: &Path) -> Result<Vec<String>> {
    let Some(repo) = repository(root) else { return Ok(Vec::new()) };
    let mut options = StatusOptions::new();
    options.include_untracked(true).include_ignored(false).recurse_untracked_dirs(true);
    let statuses = repo.statuses(Some(&mut options)).map_err(git("read the status of the work tree"))?;
    Ok(statuses.iter().filter_map(|s| s.path().ok().map(str::to_owned)).collect())
}
