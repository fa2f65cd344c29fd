//! Writing a rendered tree to disk without ever leaving a half-written project.
//!
//! Everything is staged in a hidden temporary directory beside the target (same file system, so
//! the final moves are renames) and moved into place only when every file was written. A failure
//! or Ctrl-C before that removes the staging directory and leaves the target untouched.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};
use crate::render::Tree;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Names every staging directory starts with, followed by the owner's process id.
pub const STAGING_PREFIX: &str = ".archgen-staging-";
/// Inside a staging directory: the owner's process id, the staged files, the files they replace,
/// the journal of what was moved, and the mark that the move completed.
const OWNER: &str = "owner";
const FILES: &str = "files";
const BACKUP: &str = "backup";
const JOURNAL: &str = "journal";
const DONE: &str = "done";

fn write_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Write { path: path.to_owned(), source }
}

/// From now on SIGINT, SIGTERM and SIGHUP interrupt the run at the next safe point (see
/// [`interrupted`]) instead of killing it half-way. A prompt waiting for a key is such a point
/// for Ctrl-C, which it reads itself; for a signal sent from elsewhere, which leaves it waiting,
/// the run ends a moment later with the terminal restored (see [`crate::prompt`]).
pub fn catch_signals() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            if crate::prompt::waiting() {
                std::thread::sleep(std::time::Duration::from_millis(300));
                if crate::prompt::waiting() {
                    crate::prompt::restore_terminal();
                    std::process::exit(130);
                }
            }
        });
    });
}

/// [`Error::Interrupted`] once a signal arrived.
///
/// # Errors
/// A signal arrived.
pub fn interrupted() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) { Err(Error::Interrupted) } else { Ok(()) }
}

/// Refuses a target that is a file, or a non-empty directory without `force`.
///
/// # Errors
/// [`Error::TargetNotDirectory`], [`Error::TargetNotEmpty`], or an I/O error reading it.
pub fn check_target(target: &Path, force: bool) -> Result<()> {
    match fs::metadata(target) {
        Ok(meta) if !meta.is_dir() => Err(Error::TargetNotDirectory { path: target.to_owned() }),
        Ok(_) if !force && !is_empty(target)? => Err(Error::TargetNotEmpty { path: target.to_owned() }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(write_error(target)(e)),
    }
}

fn is_empty(dir: &Path) -> Result<bool> {
    Ok(fs::read_dir(dir).map_err(write_error(dir))?.next().is_none())
}

/// What [`write`] would refuse, without writing: the target (see [`check_target`]) and, with
/// `force`, anything in the way of the files of `tree`. For `--dry-run`.
///
/// # Errors
/// As [`write`] refuses before it writes.
pub fn check(tree: &Tree, target: &Path, force: bool) -> Result<()> {
    check_target(target, force)?;
    if target.is_dir() && !is_empty(target)? {
        preflight(target, &tree.keys().collect::<Vec<_>>())?;
    }
    Ok(())
}

/// Files that are not text, such as those of `.git`: relative path → contents.
pub type Binary = BTreeMap<String, Vec<u8>>;

/// Writes `tree` and `extra` (files that are not text, such as those of `.git`) to `target`.
/// With `force`, these files replace existing ones and every other file in `target` is left
/// alone; a directory or a symbolic link where a generated file or directory goes is refused
/// before anything moves.
///
/// # Errors
/// The target is refused (see [`check_target`]), something is in the way, a file cannot be
/// written, or the run was interrupted; in every case the target is as it was.
pub fn write(tree: &Tree, extra: &Binary, target: &Path, force: bool) -> Result<()> {
    check_target(target, force)?;
    // The target itself may be a link to a directory: the user named it. Links below it are
    // refused (see `preflight`).
    let target = &if fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink()) {
        fs::canonicalize(target).map_err(write_error(target))?
    } else {
        target.to_owned()
    };
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(write_error(&parent))?;
    remove_stale(&parent);
    let paths: Vec<&String> = tree.keys().chain(extra.keys()).collect();
    let existing = target.exists() && !is_empty(target)?;
    if existing {
        preflight(target, &paths)?;
    }
    interrupted()?;
    let stage = Stage::new(&parent)?;
    let files: Vec<(&String, &[u8])> = tree
        .iter()
        .map(|(path, body)| (path, body.as_bytes()))
        .chain(extra.iter().map(|(path, body)| (path, body.as_slice())))
        .collect();
    stage.write(&files)?;
    interrupted()?;
    if !existing {
        if target.exists() {
            fs::remove_dir(target).map_err(write_error(target))?;
        }
        return fs::rename(stage.files(), target).map_err(write_error(target));
    }
    stage.place(&paths, &[], target)
}

/// Checks, before anything moves, that every generated path can be placed in `root`: no
/// directory where a file goes, no file where a directory goes, and no symbolic link on the way
/// (whatever it points to, inside or outside the root, empty directory or not: one rule).
fn preflight(root: &Path, paths: &[&String]) -> Result<()> {
    let mut directories: BTreeSet<&str> = BTreeSet::new();
    for path in paths {
        for (at, _) in path.match_indices('/') {
            directories.insert(&path[..at]);
        }
    }
    let kind = |relative: &str| match fs::symlink_metadata(root.join(relative)) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::Symlink { path: root.join(relative) }),
        Ok(meta) => Ok(Some(meta.is_dir())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(write_error(&root.join(relative))(e)),
    };
    for dir in &directories {
        if kind(dir)? == Some(false) {
            return Err(Error::Clash { path: root.join(dir), reason: "it is a file where a generated directory goes" });
        }
    }
    for path in paths {
        if kind(path)? == Some(true) {
            return Err(Error::Clash {
                path: root.join(path),
                reason: "it is a directory where a generated file goes",
            });
        }
    }
    Ok(())
}

/// Where `add service` stages: inside the project's `.git` when it has one (never in
/// `git status`, same file system), else beside the project.
#[must_use]
pub fn staging_parent(root: &Path) -> PathBuf {
    let git = root.join(".git");
    if fs::symlink_metadata(&git).is_ok_and(|m| m.is_dir()) {
        return git;
    }
    match fs::canonicalize(root).ok().and_then(|r| r.parent().map(Path::to_owned)) {
        Some(parent) => parent,
        None => root.join(".."),
    }
}

/// Writes `files` (paths relative to `root`) into the existing project `root` and removes
/// `removals`, staged in [`staging_parent`]: every file lands and every removal happens, or
/// nothing does. The last path of `files` is moved last of the files, before the removals.
///
/// # Errors
/// Something is in the way, a file cannot be written or moved, or the run was interrupted; the
/// project is then as it was.
pub fn update(files: &[(&String, &[u8])], removals: &[String], root: &Path) -> Result<()> {
    let parent = staging_parent(root);
    remove_stale(&parent);
    let paths: Vec<&String> = files.iter().map(|(path, _)| *path).collect();
    preflight(root, &paths.iter().copied().chain(removals).collect::<Vec<_>>())?;
    interrupted()?;
    let stage = Stage::new(&parent)?;
    stage.write(files)?;
    stage.place(&paths, removals, root)?;
    // Directories a removal emptied go too (git does not keep empty ones either).
    for removed in removals {
        let mut dir = Path::new(removed).parent();
        while let Some(relative) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if fs::remove_dir(root.join(relative)).is_err() {
                break;
            }
            dir = relative.parent();
        }
    }
    Ok(())
}

/// A staging directory, removed when dropped.
struct Stage(tempfile::TempDir);

impl Drop for Stage {
    /// In an order that a run killed part way leaves for the next to finish (see
    /// [`remove_stale`]): the journal first (what is here is settled, never to be rolled back
    /// again), the owner mark last (never half-removed and unowned).
    fn drop(&mut self) {
        let dir = self.0.path();
        let _ = fs::remove_file(dir.join(JOURNAL));
        if let Ok(entries) = fs::read_dir(dir) {
            for entry in entries.flatten().filter(|e| e.file_name() != OWNER && e.file_name() != DONE) {
                let _ = if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    fs::remove_dir_all(entry.path())
                } else {
                    fs::remove_file(entry.path())
                };
            }
        }
        let _ = fs::remove_file(dir.join(DONE));
        let _ = fs::remove_file(dir.join(OWNER));
    }
}

impl Stage {
    fn new(parent: &Path) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{STAGING_PREFIX}{}-", std::process::id()))
            .tempdir_in(parent)
            .map_err(write_error(parent))?;
        let owner = dir.path().join(OWNER);
        fs::write(&owner, std::process::id().to_string()).map_err(write_error(&owner))?;
        let files = dir.path().join(FILES);
        fs::create_dir(&files).map_err(write_error(&files))?;
        Ok(Self(dir))
    }

    fn files(&self) -> PathBuf {
        self.0.path().join(FILES)
    }

    fn write(&self, files: &[(&String, &[u8])]) -> Result<()> {
        let root = self.files();
        create_dirs(&root, files.iter().map(|(path, _)| *path))?;
        // Two threads, from opposite ends: two threads creating files in one directory wait
        // for each other.
        let left = Mutex::new(0..files.len());
        std::thread::scope(|scope| {
            let back = scope.spawn(|| write_files(&root, files, &left, End::Back));
            let front = write_files(&root, files, &left, End::Front);
            let back = back
                .join()
                .map_err(|_| Error::Write { path: root.clone(), source: io::Error::other("thread panicked") });
            front.and(back?)
        })
    }

    /// Moves the staged `paths` into `root`, in order, keeping what they replace: on a failure
    /// or a signal everything moved is put back. A journal written before each step lets the
    /// next run do the same after a SIGKILL (see [`remove_stale`]).
    fn place(&self, paths: &[&String], removals: &[String], root: &Path) -> Result<()> {
        let root = &fs::canonicalize(root).map_err(write_error(root))?;
        let journal_path = self.0.path().join(JOURNAL);
        let mut journal = fs::File::create(&journal_path).map_err(write_error(&journal_path))?;
        let mut header = root.as_os_str().as_encoded_bytes().to_vec();
        header.push(b'\n');
        journal.write_all(&header).map_err(write_error(&journal_path))?;
        let result = self.place_journaled(paths, removals, root, &mut journal);
        if result.is_err() {
            rollback(self.0.path());
            return result;
        }
        let done = self.0.path().join(DONE);
        fs::write(&done, "").map_err(write_error(&done))
    }

    fn place_journaled(
        &self,
        paths: &[&String],
        removals: &[String],
        root: &Path,
        journal: &mut fs::File,
    ) -> Result<()> {
        let backup = self.0.path().join(BACKUP);
        let mut record = |line: String| {
            journal
                .write_all(line.as_bytes())
                .map_err(|source| Error::Write { path: self.0.path().join(JOURNAL), source })
        };
        let mut made: BTreeSet<String> = BTreeSet::new();
        for relative in paths {
            interrupted()?;
            for (at, _) in relative.match_indices('/') {
                let dir = &relative[..at];
                if made.contains(dir) || root.join(dir).is_dir() {
                    continue;
                }
                record(format!("d {dir}\n"))?;
                fs::create_dir(root.join(dir)).map_err(write_error(&root.join(dir)))?;
                made.insert(dir.to_owned());
            }
            let to = root.join(relative);
            if fs::symlink_metadata(&to).is_ok() {
                record(format!("r {relative}\n"))?;
                let keep = backup.join(relative);
                if let Some(dir) = keep.parent() {
                    fs::create_dir_all(dir).map_err(write_error(dir))?;
                }
                fs::rename(&to, &keep).map_err(write_error(&to))?;
            } else {
                record(format!("f {relative}\n"))?;
            }
            fs::rename(self.files().join(relative), &to).map_err(write_error(&to))?;
        }
        for relative in removals {
            interrupted()?;
            let from = root.join(relative);
            // Kept in the backup until the end, like a replaced file: a rollback puts it back.
            record(format!("r {relative}\n"))?;
            let keep = backup.join(relative);
            if let Some(dir) = keep.parent() {
                fs::create_dir_all(dir).map_err(write_error(dir))?;
            }
            fs::rename(&from, &keep).map_err(write_error(&from))?;
        }
        Ok(())
    }
}

/// Undoes what the journal of `stage` says was moved: originals go back, new files and
/// directories go away. Best effort: it runs on a path that already failed.
fn rollback(stage: &Path) {
    let Ok(journal) = fs::read(stage.join(JOURNAL)) else { return };
    let mut lines = journal.split(|b| *b == b'\n');
    let Some(root) = lines.next() else { return };
    // Written by `place` from an `OsStr` of this platform.
    let root = PathBuf::from(unsafe_free_os_string(root));
    let entries: Vec<&[u8]> = lines.filter(|l| l.len() > 2).collect();
    for entry in entries.iter().rev() {
        let Ok(relative) = std::str::from_utf8(&entry[2..]) else { continue };
        let to = root.join(relative);
        match entry[0] {
            b'r' => {
                let kept = stage.join(BACKUP).join(relative);
                if kept.exists() {
                    let _ = fs::rename(kept, &to);
                }
            }
            b'f' if !stage.join(FILES).join(relative).exists() => {
                let _ = fs::remove_file(&to);
            }
            b'd' => {
                let _ = fs::remove_dir(&to);
            }
            _ => {}
        }
    }
}

fn unsafe_free_os_string(bytes: &[u8]) -> std::ffi::OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(bytes).to_owned()
    }
    #[cfg(not(unix))]
    {
        String::from_utf8_lossy(bytes).into_owned().into()
    }
}

/// Removes the staging directories in `parent` that a cargo-archgen process killed by SIGKILL
/// left behind: only those named after a process that no longer runs and holding its owner
/// mark (or empty). A move that had begun is rolled back first, from its journal.
pub fn remove_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) =
            name.to_str().and_then(|n| n.strip_prefix(STAGING_PREFIX)).and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        let path = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) || !owner_is_gone(pid) {
            continue;
        }
        if fs::read_to_string(path.join(OWNER)).is_ok_and(|owner| owner == pid) {
            if !path.join(DONE).exists() {
                rollback(&path);
            }
            let _ = fs::remove_dir_all(&path);
        } else {
            let _ = fs::remove_dir(&path);
        }
    }
}

/// Whether process `pid` is known to have ended (never, where that cannot be told).
fn owner_is_gone(pid: &str) -> bool {
    let Ok(pid) = pid.parse::<u32>() else { return false };
    pid != std::process::id() && cfg!(target_os = "linux") && !Path::new("/proc").join(pid.to_string()).exists()
}

/// Creates every directory the files at `paths` need, each once.
fn create_dirs<'a>(root: &Path, paths: impl Iterator<Item = &'a String>) -> Result<()> {
    let dirs: BTreeSet<&str> = paths.flat_map(|path| path.match_indices('/').map(move |(at, _)| &path[..at])).collect();
    // Sorted, so a parent comes before its children.
    for dir in dirs {
        let path = root.join(dir);
        match fs::create_dir(&path) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(write_error(&path)(e)),
            _ => {}
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum End {
    Front,
    Back,
}

/// Writes the files whose indices are `left`, taking them one at a time from one end, so that
/// two threads can share the work.
fn write_files(root: &Path, files: &[(&String, &[u8])], left: &Mutex<Range<usize>>, end: End) -> Result<()> {
    let take = || {
        let mut left = left.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match end {
            End::Front => left.next(),
            End::Back => left.next_back(),
        }
    };
    while let Some((relative, body)) = take().and_then(|i| files.get(i)) {
        interrupted()?;
        write_file(&root.join(relative), body)?;
    }
    Ok(())
}

/// Shell scripts are the only generated files that must be executable.
pub(crate) fn is_script(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "sh")
}

fn write_file(path: &Path, body: &[u8]) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if is_script(path) { 0o777 } else { 0o666 }); // less the umask, as git checks out
    }
    let mut file = options.open(path).map_err(write_error(path))?;
    file.write_all(body).map_err(write_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Tree {
        Tree::from([("a.txt".to_owned(), "a\n".to_owned()), ("src/b.rs".to_owned(), "b\n".to_owned())])
    }

    #[test]
    fn writes_into_a_new_directory_and_leaves_no_staging_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("p");
        write(&tree(), &Binary::new(), &target, false).unwrap();
        assert_eq!(fs::read_to_string(target.join("src/b.rs")).unwrap(), "b\n");
        let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("p")]);
    }

    #[test]
    fn force_keeps_files_it_does_not_generate() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("mine.txt"), "keep").unwrap();
        fs::write(tmp.path().join("a.txt"), "old").unwrap();
        assert!(matches!(write(&tree(), &Binary::new(), tmp.path(), false), Err(Error::TargetNotEmpty { .. })));
        assert_eq!(fs::read_to_string(tmp.path().join("a.txt")).unwrap(), "old");
        write(&tree(), &Binary::new(), tmp.path(), true).unwrap();
        assert_eq!(fs::read_to_string(tmp.path().join("mine.txt")).unwrap(), "keep");
        assert_eq!(fs::read_to_string(tmp.path().join("a.txt")).unwrap(), "a\n");
    }

    /// Every file and link below `root` with its contents or target, to compare before and after.
    fn snapshot(root: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let meta = fs::symlink_metadata(&path).unwrap();
                let relative = path.strip_prefix(root).unwrap().display().to_string();
                if meta.file_type().is_symlink() {
                    out.push((relative, format!("-> {}", fs::read_link(&path).unwrap().display())));
                } else if meta.is_dir() {
                    out.push((relative, "/".into()));
                    stack.push(path);
                } else {
                    out.push((relative, fs::read_to_string(&path).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    fn deep_tree() -> Tree {
        ["a.txt", "m/n/o.txt", "src/b.rs", "src/x/y/z.rs", "zz.txt"]
            .iter()
            .map(|p| ((*p).to_owned(), format!("{p}\n")))
            .collect()
    }

    #[test]
    fn anything_in_the_way_at_any_depth_is_refused_before_the_first_move() {
        // A directory where a file goes, or a file where a directory goes, at every depth.
        for (setup, reason) in [
            ("zz.txt/", "directory where"),
            ("src/x/y/z.rs/", "directory where"),
            ("m", "file where"),
            ("src/x", "file where"),
            ("m/n", "file where"),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path().join("p");
            fs::create_dir_all(root.join("src")).unwrap();
            fs::write(root.join("a.txt"), "mine").unwrap();
            if let Some(dir) = setup.strip_suffix('/') {
                fs::create_dir_all(root.join(dir)).unwrap();
            } else {
                fs::create_dir_all(root.join(setup).parent().unwrap()).unwrap();
                fs::write(root.join(setup), "mine").unwrap();
            }
            let before = snapshot(tmp.path());
            let err = write(&deep_tree(), &Binary::new(), &root, true).unwrap_err();
            assert!(matches!(&err, Error::Clash { reason: r, .. } if r.contains(reason)), "{setup}: {err:?}");
            assert!(err.to_string().contains(setup.trim_end_matches('/')), "{err}");
            assert_eq!(snapshot(tmp.path()), before, "{setup}: something changed");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_on_a_generated_path_is_refused_whatever_it_points_to() {
        let elsewhere = tempfile::tempdir().unwrap();
        fs::create_dir(elsewhere.path().join("empty")).unwrap();
        fs::create_dir(elsewhere.path().join("full")).unwrap();
        fs::write(elsewhere.path().join("full/keep"), "k").unwrap();
        for (link, to) in [
            ("src", elsewhere.path().join("full")),
            ("src", elsewhere.path().join("empty")),
            ("src/x", elsewhere.path().join("full")),
            ("m", PathBuf::from("inside")),
            ("a.txt", elsewhere.path().join("full/keep")),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path().join("p");
            fs::create_dir_all(root.join("inside")).unwrap();
            fs::create_dir_all(root.join(link).parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(&to, root.join(link)).unwrap();
            let (before, outside) = (snapshot(tmp.path()), snapshot(elsewhere.path()));
            let err = write(&deep_tree(), &Binary::new(), &root, true).unwrap_err();
            assert!(matches!(err, Error::Symlink { .. }), "{link}: {err:?}");
            assert_eq!(snapshot(tmp.path()), before);
            assert_eq!(snapshot(elsewhere.path()), outside, "{link}: written outside the target");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_target_that_is_a_link_to_a_directory_is_written_the_same_empty_or_not() {
        for full in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            fs::create_dir(tmp.path().join("real")).unwrap();
            if full {
                fs::write(tmp.path().join("real/mine"), "m").unwrap();
            }
            std::os::unix::fs::symlink("real", tmp.path().join("link")).unwrap();
            write(&tree(), &Binary::new(), &tmp.path().join("link"), true).unwrap();
            assert_eq!(fs::read_to_string(tmp.path().join("real/src/b.rs")).unwrap(), "b\n");
            assert!(fs::symlink_metadata(tmp.path().join("link")).unwrap().file_type().is_symlink());
        }
    }

    #[test]
    fn a_failure_part_way_through_the_move_puts_everything_back() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("p");
        fs::create_dir_all(root.join("src")).unwrap();
        fs::write(root.join("a.txt"), "mine").unwrap();
        fs::write(root.join("src/b.rs"), "mine too").unwrap();
        let before = snapshot(tmp.path());
        let files = deep_tree();
        let files: Vec<(&String, &[u8])> = files.iter().map(|(p, b)| (p, b.as_bytes())).collect();
        let paths: Vec<&String> = files.iter().map(|(p, _)| *p).collect();
        let stage = Stage::new(tmp.path()).unwrap();
        stage.write(&files).unwrap();
        // The last file cannot be moved: everything before it was.
        fs::remove_file(stage.files().join("zz.txt")).unwrap();
        assert!(stage.place(&paths, &[], &root).is_err());
        drop(stage);
        assert_eq!(snapshot(tmp.path()), before);
    }

    #[test]
    fn a_failed_removal_puts_back_what_was_removed_and_written() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("p");
        fs::create_dir_all(root.join("src")).unwrap();
        fs::write(root.join("old.txt"), "generated once").unwrap();
        fs::write(root.join("src/b.rs"), "mine").unwrap();
        let before = snapshot(tmp.path());
        let files = deep_tree();
        let files: Vec<(&String, &[u8])> = files.iter().map(|(p, b)| (p, b.as_bytes())).collect();
        let paths: Vec<&String> = files.iter().map(|(p, _)| *p).collect();
        let stage = Stage::new(tmp.path()).unwrap();
        stage.write(&files).unwrap();
        // The second removal finds nothing to move: the first is undone with the writes.
        assert!(stage.place(&paths, &["old.txt".into(), "vanished.txt".into()], &root).is_err());
        drop(stage);
        assert_eq!(snapshot(tmp.path()), before);

        update(&files, &["old.txt".into()], &root).unwrap();
        assert!(!root.join("old.txt").exists() && root.join("zz.txt").exists());
    }

    #[test]
    fn a_stale_staging_directory_is_rolled_back_and_removed_and_only_ours() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("p");
        fs::create_dir_all(&root).unwrap();
        fs::write(root.join("a.txt"), "mine").unwrap();
        let before = snapshot(&root);
        let files = deep_tree();
        let files: Vec<(&String, &[u8])> = files.iter().map(|(p, b)| (p, b.as_bytes())).collect();
        let paths: Vec<&String> = files.iter().map(|(p, _)| *p).collect();
        let stage = Stage::new(tmp.path()).unwrap();
        stage.write(&files).unwrap();
        stage.place(&paths[..3], &[], &root).unwrap();
        // As a SIGKILL after those moves leaves it: no `done` mark, owned by a dead process.
        fs::remove_file(stage.0.path().join(DONE)).unwrap();
        let dead = tmp.path().join(format!("{STAGING_PREFIX}999999999-x"));
        fs::rename(stage.0.path(), &dead).unwrap();
        fs::write(dead.join(OWNER), "999999999").unwrap();
        // Not ours: no owner mark, or a live owner.
        let foreign = tmp.path().join(format!("{STAGING_PREFIX}999999999-y"));
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("data"), "d").unwrap();
        let live = tmp.path().join(format!("{STAGING_PREFIX}{}-z", std::process::id()));
        fs::create_dir(&live).unwrap();
        fs::write(live.join(OWNER), std::process::id().to_string()).unwrap();
        remove_stale(tmp.path());
        assert_eq!(snapshot(&root), before);
        assert!(!dead.exists());
        assert!(foreign.join("data").exists() && live.exists());
    }

    #[test]
    fn a_file_in_the_way_is_refused() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        assert!(matches!(write(&tree(), &Binary::new(), tmp.path(), true), Err(Error::TargetNotDirectory { .. })));
    }
}
