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

fn write_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Write { path: path.to_owned(), source }
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

/// Files that are not text, such as those of `.git`: relative path → contents.
pub type Binary = BTreeMap<String, Vec<u8>>;

/// Writes `tree` and `extra` (files that are not text, such as those of `.git`) to `target`.
/// With `force`, these files replace existing ones and every other file in `target` is left
/// alone.
///
/// # Errors
/// The target is refused (see [`check_target`]), a file cannot be written, or the run was
/// interrupted; in every case the target is as it was.
pub fn write(tree: &Tree, extra: &Binary, target: &Path, force: bool) -> Result<()> {
    check_target(target, force)?;
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(write_error(&parent))?;
    let stage =
        tempfile::Builder::new().prefix(".archgen-staging-").tempdir_in(&parent).map_err(write_error(&parent))?;
    let root = stage.path();
    create_dirs(root, tree.keys().chain(extra.keys()))?;
    let files: Vec<(&String, &[u8])> = tree
        .iter()
        .map(|(path, body)| (path, body.as_bytes()))
        .chain(extra.iter().map(|(path, body)| (path, body.as_slice())))
        .collect();
    // Two threads, from opposite ends: two threads creating files in one directory wait for
    // each other.
    let left = Mutex::new(0..files.len());
    std::thread::scope(|scope| {
        let back = scope.spawn(|| write_files(root, &files, &left, End::Back));
        let front = write_files(root, &files, &left, End::Front);
        let back = back
            .join()
            .map_err(|_| Error::Write { path: target.to_owned(), source: io::Error::other("thread panicked") });
        front.and(back?)
    })?;
    if !target.exists() {
        return move_dir(stage, target);
    }
    if is_empty(target)? {
        fs::remove_dir(target).map_err(write_error(target))?;
        return move_dir(stage, target);
    }
    move_files(&stage, tree.keys().chain(extra.keys()), target)
}

/// Writes `files` below `root`.
fn write_all(root: &Path, files: &Tree) -> Result<()> {
    create_dirs(root, files.keys())?;
    let files: Vec<(&String, &[u8])> = files.iter().map(|(path, body)| (path, body.as_bytes())).collect();
    write_files(root, &files, &Mutex::new(0..files.len()), End::Front)
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
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err(Error::Write { path: root.to_owned(), source: io::Error::other("interrupted") });
        }
        write_file(&root.join(relative), body)?;
    }
    Ok(())
}

/// Writes `files` (paths relative to `root`) into the existing project `root`, staged the same
/// way: either every file lands or none does.
///
/// # Errors
/// A file cannot be written or moved.
pub fn update(files: &Tree, root: &Path) -> Result<()> {
    let stage = tempfile::Builder::new().prefix(".archgen-staging-").tempdir_in(root).map_err(write_error(root))?;
    write_all(stage.path(), files)?;
    move_files(&stage, files.keys(), root)
}

fn move_files<'a>(stage: &tempfile::TempDir, paths: impl Iterator<Item = &'a String>, root: &Path) -> Result<()> {
    for relative in paths {
        let to = root.join(relative);
        if let Some(dir) = to.parent() {
            fs::create_dir_all(dir).map_err(write_error(dir))?;
        }
        fs::rename(stage.path().join(relative), &to).map_err(write_error(&to))?;
    }
    Ok(())
}

fn move_dir(stage: tempfile::TempDir, target: &Path) -> Result<()> {
    fs::rename(stage.path(), target).map_err(write_error(target))?;
    let _ = stage.keep();
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

    #[test]
    fn a_file_in_the_way_is_refused() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        assert!(matches!(write(&tree(), &Binary::new(), tmp.path(), true), Err(Error::TargetNotDirectory { .. })));
    }
}
