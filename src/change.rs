//! Every change to a generated project — a new service, changed answers, a newer cargo-archgen
//! — is one operation: the pristine render the project came from is the base ([`crate::pristine`]),
//! the render of the new answers with this binary's templates is *theirs*, the files on disk are
//! *ours*, merged three-way and applied all or nothing under a lock. `add service`, `update` and
//! `diff` are front ends of [`apply`].
//!
//! Per file: one the user did not touch is replaced; an edited one is merged; one the user
//! deleted stays deleted; one no longer generated is removed only if unedited. With no edits the
//! result is exactly what `new` produces with the new answers.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::answers::{self, Answers, AnswersFile};
use crate::cli::NewArgs;
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
    /// A file no longer generated, which the user had not edited.
    Removed,
    /// A file whose edits clash with the change, written with conflict markers.
    Conflicted,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
}

/// What to do with a file whose edits clash with the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnConflict {
    /// Change nothing and list the files.
    #[default]
    Refuse,
    /// Write git-style conflict markers into them (and fail, naming them).
    Markers,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Work out the change and write nothing.
    pub dry_run: bool,
    pub on_conflict: OnConflict,
    /// Refuse unless git has nothing uncommitted, so the change can be reviewed (and undone)
    /// on its own.
    pub require_clean: bool,
    /// Keep a unified diff of every file that would change.
    pub diff: bool,
}

/// The result of a change.
#[derive(Debug)]
pub struct Applied {
    pub project: PathBuf,
    pub before: Answers,
    pub answers: Answers,
    pub changes: Vec<Change>,
    pub dry_run: bool,
    /// With [`Options::diff`]: the unified diff from the files on disk to the result.
    pub diff: String,
    /// The rendered project of the new answers: what `--verify` checks.
    pub rendered: Tree,
    /// With `--verify`: what the checks found.
    pub verified: Option<crate::verify::Report>,
}

/// Changes the project at `root` to `change(answers it has)`.
///
/// # Errors
/// Not a generated project, answers the change refuses, no base to merge against, uncommitted
/// work where a clean tree is required, edits that clash (nothing is changed then, unless
/// [`OnConflict::Markers`]), or an I/O failure (everything is put back).
pub fn apply(root: &Path, options: Options, change: impl FnOnce(&Answers) -> Result<Answers>) -> Result<Applied> {
    let file_path = root.join(answers::FILE_NAME);
    if !file_path.is_file() {
        return Err(Error::NotAGeneratedProject { path: root.to_owned(), file: answers::FILE_NAME });
    }
    // One change at a time: a second run waits here, then reads the answers the first one
    // recorded, so neither loses the other's change.
    let _lock = if options.dry_run { None } else { Some(lock(root)?) };
    crate::write::catch_signals();
    crate::write::remove_stale(&crate::write::staging_parent(root));
    if options.require_clean && !options.dry_run {
        let files = crate::pristine::uncommitted(root)?;
        if !files.is_empty() {
            return Err(Error::UncommittedWork { files });
        }
    }
    let file = AnswersFile::load(&file_path)?;
    let before = Answers::resolve(&NewArgs::default(), Some(&file), &mut Defaults)?;
    let after = change(&before)?;
    let base = crate::pristine::base(root, &before, file.archgen_version.as_deref())?;
    let theirs = render(&after)?;
    let plan = reconcile(root, &base, &theirs)?;
    let diff = if options.diff { plan.diff(root)? } else { String::new() };
    let conflicted: Vec<String> =
        plan.changes.iter().filter(|c| c.kind == ChangeKind::Conflicted).map(|c| c.path.clone()).collect();
    if !conflicted.is_empty() && options.on_conflict == OnConflict::Refuse {
        return Err(Error::Conflicts { files: conflicted });
    }
    if !options.dry_run {
        // The answers are recorded last: until they are, the project is as it was.
        let mut files: Vec<(&String, &[u8])> = plan.writes.iter().map(|(path, body)| (path, body.as_bytes())).collect();
        files.sort_by_key(|(path, _)| *path == answers::FILE_NAME);
        crate::write::update(&files, &plan.removals, root)?;
        crate::pristine::record(root, &theirs, "cargo-archgen: the pristine render of the new answers")?;
        if !conflicted.is_empty() {
            return Err(Error::ConflictsMarked { files: conflicted });
        }
    }
    Ok(Applied {
        project: root.to_owned(),
        before,
        answers: after,
        changes: plan.changes,
        dry_run: options.dry_run,
        diff,
        rendered: theirs,
        verified: None,
    })
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

/// What a change writes and removes.
#[derive(Debug, Default)]
struct Plan {
    writes: Tree,
    removals: Vec<String>,
    changes: Vec<Change>,
}

impl Plan {
    fn diff(&self, root: &Path) -> Result<String> {
        let mut out = String::new();
        for change in &self.changes {
            let ours = read_optional(&root.join(&change.path))?.unwrap_or_default();
            let result = self.writes.get(&change.path).map_or("", String::as_str);
            let (from, to) = match change.kind {
                ChangeKind::Created => ("/dev/null".to_owned(), format!("b/{}", change.path)),
                ChangeKind::Removed => (format!("a/{}", change.path), "/dev/null".to_owned()),
                _ => (format!("a/{}", change.path), format!("b/{}", change.path)),
            };
            let patch = diffy::DiffOptions::new()
                .set_original_filename(from)
                .set_modified_filename(to)
                .create_patch(&ours, result)
                .to_string();
            let _ = writeln!(out, "diff --archgen a/{0} b/{0}", change.path);
            out.push_str(&patch);
        }
        Ok(out)
    }
}

/// Decides what to do with every file either render has.
fn reconcile(root: &Path, base: &Tree, theirs: &Tree) -> Result<Plan> {
    let mut plan = Plan::default();
    let paths: std::collections::BTreeSet<&String> = base.keys().chain(theirs.keys()).collect();
    for path in paths {
        let (base, theirs) = (base.get(path), theirs.get(path));
        if base == theirs {
            continue;
        }
        let ours = read_optional(&root.join(path))?;
        let outcome = match (base, ours, theirs) {
            (_, Some(ours), Some(theirs)) if ours == *theirs => None,
            (None, None, Some(theirs)) => Some((Some(theirs.clone()), ChangeKind::Created)),
            (Some(base), Some(ours), Some(theirs)) if ours == *base => {
                Some((Some(theirs.clone()), ChangeKind::Updated))
            }
            (Some(base), Some(ours), None) if ours == *base => Some((None, ChangeKind::Removed)),
            (Some(base), Some(ours), Some(theirs)) => match diffy::merge(base, &ours, theirs) {
                Ok(merged) => Some((Some(merged), ChangeKind::Merged)),
                Err(marked) => Some((Some(marked), ChangeKind::Conflicted)),
            },
            // A file of the user's where a new one goes.
            (None, Some(ours), Some(theirs)) => {
                let marked = format!("<<<<<<< ours\n{ours}=======\n{theirs}>>>>>>> theirs\n");
                Some((Some(marked), ChangeKind::Conflicted))
            }
            // Deleted by the user: it stays deleted. No longer generated and edited: the edits
            // are the user's now. Never generated: the user's own.
            (Some(_), None, _) | (_, Some(_), None) | (None, None, None) => None,
        };
        if let Some((body, kind)) = outcome {
            plan.changes.push(Change { path: path.clone(), kind });
            match body {
                Some(body) => {
                    plan.writes.insert(path.clone(), body);
                }
                None => plan.removals.push(path.clone()),
            }
        }
    }
    Ok(plan)
}

/// The changes as `path → kind`, for tests and reports.
#[must_use]
pub fn kinds(changes: &[Change]) -> BTreeMap<&str, ChangeKind> {
    changes.iter().map(|c| (c.path.as_str(), c.kind)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, &str)]) -> Tree {
        entries.iter().map(|(p, b)| ((*p).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn untouched_files_are_replaced_edited_ones_merged_deleted_ones_respected() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str, body: &str| fs::write(root.path().join(path), body).unwrap();
        write("same.txt", "a\n");
        write("list.txt", "one\ntwo\n\nmine\n");
        write("gone.txt", "old\n");
        write("kept.txt", "old\nedited\n");
        let base = tree(&[
            ("same.txt", "a\n"),
            ("list.txt", "one\ntwo\n\n"),
            ("deleted.txt", "x\n"),
            ("gone.txt", "old\n"),
            ("kept.txt", "old\n"),
        ]);
        let theirs = tree(&[
            ("same.txt", "b\n"),
            ("list.txt", "one\ntwo\nthree\n\n"),
            ("deleted.txt", "y\n"),
            ("new.txt", "n\n"),
        ]);
        let plan = reconcile(root.path(), &base, &theirs).unwrap();
        assert_eq!(plan.writes["same.txt"], "b\n");
        assert_eq!(plan.writes["list.txt"], "one\ntwo\nthree\n\nmine\n");
        assert_eq!(plan.writes["new.txt"], "n\n");
        assert_eq!(plan.removals, ["gone.txt"]);
        assert_eq!(
            kinds(&plan.changes),
            BTreeMap::from([
                ("gone.txt", ChangeKind::Removed),
                ("list.txt", ChangeKind::Merged),
                ("new.txt", ChangeKind::Created),
                ("same.txt", ChangeKind::Updated),
            ]),
            "the deleted file stays deleted, the edited one no longer generated stays"
        );

        write("same.txt", "user rewrote this line\n");
        let plan = reconcile(root.path(), &base, &theirs).unwrap();
        assert_eq!(plan.changes.iter().find(|c| c.path == "same.txt").unwrap().kind, ChangeKind::Conflicted);
        let marked = &plan.writes["same.txt"];
        assert!(marked.contains("<<<<<<<") && marked.contains("user rewrote") && marked.contains(">>>>>>>"));
    }

    #[test]
    fn the_diff_shows_each_change_from_disk_to_result() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("a.txt"), "one\n").unwrap();
        let plan = reconcile(root.path(), &tree(&[("a.txt", "one\n")]), &tree(&[("a.txt", "two\n"), ("b.txt", "b\n")]))
            .unwrap();
        let diff = plan.diff(root.path()).unwrap();
        assert!(diff.contains("--- a/a.txt\n+++ b/a.txt\n"), "{diff}");
        assert!(diff.contains("-one\n+two\n"), "{diff}");
        assert!(diff.contains("--- /dev/null\n+++ b/b.txt\n"), "{diff}");
    }
}
