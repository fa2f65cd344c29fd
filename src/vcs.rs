//! `git init` and a first commit of every generated file, through libgit2.
//!
//! The commit is built from the rendered tree in memory (blobs and trees written directly), not
//! by scanning the work tree, and without copying git's sample hooks: a new project needs none.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use git2::{FileMode, Oid, Repository, RepositoryInitOptions, Signature};

use crate::error::Result;
use crate::render::Tree;

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

/// Creates a repository in `dir` with an initial commit of `files` (what was just written there),
/// unless `dir` is inside a work tree.
///
/// # Errors
/// Any libgit2 failure.
pub fn init(dir: &Path, files: &Tree) -> Result<GitOutcome> {
    if let Ok(existing) = Repository::discover(dir) {
        if let Some(workdir) = existing.workdir() {
            return Ok(GitOutcome::InsideRepository(workdir.to_owned()));
        }
    }
    let mut options = RepositoryInitOptions::new();
    options.external_template(false);
    let repo = Repository::init_opts(dir, &options)?;
    // Objects collect in memory and land as one packfile instead of a loose file each: on slow
    // file systems the loose objects cost more than everything else together.
    let odb = repo.odb()?;
    let mempack = odb.add_new_mempack_backend(1000)?;
    let tree = repo.find_tree(write_tree(&repo, &hierarchy(files))?)?;
    let author = repo.signature().or_else(|_| Signature::now(FALLBACK_AUTHOR.0, FALLBACK_AUTHOR.1))?;
    repo.commit(Some("HEAD"), &author, &author, "Initial commit from cargo-archgen", &tree, &[])?;
    let mut pack = git2::Buf::new();
    mempack.dump(&repo, &mut pack)?;
    let mut writer = odb.packwriter()?;
    writer.write_all(&pack).map_err(|e| git2::Error::from_str(&e.to_string()))?;
    writer.commit()?;
    // The index mirrors the commit, so `git status` is clean from the start.
    let mut index = repo.index()?;
    index.read_tree(&tree)?;
    index.write()?;
    Ok(GitOutcome::Initialized)
}

/// The rendered files as a directory hierarchy.
enum Node<'a> {
    File(&'a str, &'a str),
    Dir(Dir<'a>),
}

type Dir<'a> = BTreeMap<&'a str, Node<'a>>;

fn hierarchy(files: &Tree) -> Dir<'_> {
    let mut root = Dir::new();
    for (path, body) in files {
        let parts: Vec<&str> = path.split('/').collect();
        insert(&mut root, &parts, path, body);
    }
    root
}

fn insert<'a>(dir: &mut Dir<'a>, parts: &[&'a str], path: &'a str, body: &'a str) {
    match parts {
        [name] => {
            dir.insert(name, Node::File(path, body));
        }
        [name, rest @ ..] => {
            if let Node::Dir(sub) = dir.entry(name).or_insert_with(|| Node::Dir(Dir::new())) {
                insert(sub, rest, path, body);
            }
        }
        [] => {}
    }
}

fn write_tree(repo: &Repository, dir: &Dir<'_>) -> Result<Oid> {
    let mut builder = repo.treebuilder(None)?;
    for (name, child) in dir {
        match child {
            Node::File(path, body) => {
                let mode =
                    if crate::write::is_script(Path::new(path)) { FileMode::BlobExecutable } else { FileMode::Blob };
                builder.insert(name, repo.blob(body.as_bytes())?, mode.into())?;
            }
            Node::Dir(sub) => {
                builder.insert(name, write_tree(repo, sub)?, FileMode::Tree.into())?;
            }
        }
    }
    Ok(builder.write()?)
}
