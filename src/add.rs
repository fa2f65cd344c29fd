//! `add service`: grow a generated microservices project by one service.
//!
//! The project is rendered twice in memory, from its recorded answers and from those answers plus
//! the new service. Every file that differs is written if the user left it as generated, merged
//! three-way (generated before → the user's file → generated after) if they edited it, and
//! reported as a conflict otherwise; with any conflict nothing is written. With no edits the
//! result is exactly what `new` produces with the longer service list.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::answers::{self, Answers, AnswersFile};
use crate::cli::{AddServiceArgs, NewArgs};
use crate::error::{Error, Result};
use crate::prompt::Defaults;
use crate::render::{Tree, render};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A new file.
    Created,
    /// A file the user had not edited, replaced.
    Updated,
    /// A file the user had edited, with their edits kept.
    Merged,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
}

/// The result of `add service`.
#[derive(Debug)]
pub struct Added {
    pub project: PathBuf,
    pub service: String,
    pub answers: Answers,
    pub changes: Vec<Change>,
    pub dry_run: bool,
}

/// Adds a service to the project at `args.path`.
///
/// # Errors
/// Not a generated microservices project, an invalid or taken name, files that cannot be merged
/// (nothing is changed then), or an I/O failure.
pub fn add_service(args: &AddServiceArgs) -> Result<Added> {
    let root = &args.path;
    let file_path = root.join(answers::FILE_NAME);
    if !file_path.is_file() {
        return Err(Error::NotAGeneratedProject { path: root.clone(), file: answers::FILE_NAME });
    }
    // One change at a time: a second run waits here, then reads the answers the first one
    // recorded, so neither loses a service.
    let _lock = if args.dry_run { None } else { Some(lock(root)?) };
    crate::write::catch_signals();
    crate::write::remove_stale(&crate::write::staging_parent(root));
    let file = AnswersFile::load(&file_path)?;
    let before = Answers::resolve(&NewArgs::default(), Some(&file), &mut Defaults)?;
    let after = before.with_service(&args.name)?;
    let (old, new) = (render(&before)?, render(&after)?);
    let (writes, changes) = reconcile(root, &old, &new)?;
    if !args.dry_run {
        // The answers are recorded last: until they are, the project is as it was.
        let mut files: Vec<(&String, &[u8])> = writes.iter().map(|(path, body)| (path, body.as_bytes())).collect();
        files.sort_by_key(|(path, _)| *path == answers::FILE_NAME);
        crate::write::update(&files, root)?;
    }
    Ok(Added { project: root.clone(), service: args.name.clone(), answers: after, changes, dry_run: args.dry_run })
}

/// An exclusive lock on the project directory, released when the returned handle drops.
fn lock(root: &Path) -> Result<fs::File> {
    let dir = fs::File::open(root).map_err(|source| Error::Write { path: root.to_owned(), source })?;
    dir.lock().map_err(|source| Error::Write { path: root.to_owned(), source })?;
    Ok(dir)
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        // Something else in the way (a file where a directory goes, a directory where a file
        // goes) is refused with its reason before anything is written (see `write::update`).
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::IsADirectory
            ) =>
        {
            Ok(None)
        }
        Err(source) => Err(Error::Write { path: path.to_owned(), source }),
    }
}

/// Decides what to write for every file that changes between the two renders.
fn reconcile(root: &Path, old: &Tree, new: &Tree) -> Result<(Tree, Vec<Change>)> {
    let mut writes = BTreeMap::new();
    let mut changes = Vec::new();
    let mut conflicts = Vec::new();
    for (path, theirs) in new {
        let base = old.get(path);
        if base == Some(theirs) {
            continue;
        }
        let disk = read_optional(&root.join(path))?;
        let outcome = match (base, disk) {
            (None, None) => Some((theirs.clone(), ChangeKind::Created)),
            (_, Some(ours)) if ours == *theirs => None,
            (Some(base), Some(ours)) if ours == *base => Some((theirs.clone(), ChangeKind::Updated)),
            (Some(base), Some(ours)) => {
                if let Ok(merged) = diffy::merge(base, &ours, theirs) {
                    Some((merged, ChangeKind::Merged))
                } else {
                    conflicts.push(path.clone());
                    None
                }
            }
            // Deleted by the user although we must change it, or in the way of a new file.
            (Some(_), None) | (None, Some(_)) => {
                conflicts.push(path.clone());
                None
            }
        };
        if let Some((body, kind)) = outcome {
            changes.push(Change { path: path.clone(), kind });
            writes.insert(path.clone(), body);
        }
    }
    if conflicts.is_empty() { Ok((writes, changes)) } else { Err(Error::AddConflicts { files: conflicts }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, &str)]) -> Tree {
        entries.iter().map(|(p, b)| ((*p).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn untouched_files_are_replaced_edited_ones_merged_and_clashes_refused() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("same.txt"), "a\n").unwrap();
        fs::write(root.path().join("list.txt"), "one\ntwo\n\nmine\n").unwrap();
        let old = tree(&[("same.txt", "a\n"), ("list.txt", "one\ntwo\n\n")]);
        let new = tree(&[("same.txt", "b\n"), ("list.txt", "one\ntwo\nthree\n\n"), ("new.txt", "n\n")]);
        let (writes, changes) = reconcile(root.path(), &old, &new).unwrap();
        assert_eq!(writes["same.txt"], "b\n");
        assert_eq!(writes["list.txt"], "one\ntwo\nthree\n\nmine\n");
        assert_eq!(writes["new.txt"], "n\n");
        let kinds: Vec<_> = changes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ChangeKind::Merged, ChangeKind::Created, ChangeKind::Updated]);

        fs::write(root.path().join("same.txt"), "user rewrote this line\n").unwrap();
        let Err(Error::AddConflicts { files }) = reconcile(root.path(), &old, &new) else {
            panic!("expected a conflict")
        };
        assert_eq!(files, ["same.txt"]);
    }
}
