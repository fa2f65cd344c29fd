//! Writing a rendered tree to disk without ever leaving a half-written project.
//!
//! Everything is staged in a hidden temporary directory beside the target (same file system, so
//! the final moves are renames) and moved into place only when every file was written. A failure
//! or Ctrl-C before that removes the staging directory and leaves the target untouched.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
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

/// Writes `tree` to `target`. With `force`, files of `tree` replace existing ones and every other
/// file in `target` is left alone.
///
/// # Errors
/// The target is refused (see [`check_target`]), a file cannot be written, or the run was
/// interrupted; in every case the target is as it was.
pub fn write(tree: &Tree, target: &Path, force: bool) -> Result<()> {
    check_target(target, force)?;
    // A second handler (e.g. in tests calling this twice) is refused; the first one is enough.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(write_error(&parent))?;
    let stage =
        tempfile::Builder::new().prefix(".archgen-staging-").tempdir_in(&parent).map_err(write_error(&parent))?;
    for (relative, body) in tree {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err(Error::Write { path: target.to_owned(), source: io::Error::other("interrupted") });
        }
        write_file(&stage.path().join(relative), body)?;
    }
    if !target.exists() {
        return move_dir(stage, target);
    }
    if is_empty(target)? {
        fs::remove_dir(target).map_err(write_error(target))?;
        return move_dir(stage, target);
    }
    move_files(&stage, tree.keys(), target)
}

/// Writes `files` into the existing directory `root`, replacing files of the same path: all are
/// staged first, so a failure while writing changes nothing.
///
/// # Errors
/// A file cannot be written.
pub fn update(files: &Tree, root: &Path) -> Result<()> {
    let stage = tempfile::Builder::new().prefix(".archgen-staging-").tempdir_in(root).map_err(write_error(root))?;
    for (relative, body) in files {
        write_file(&stage.path().join(relative), body)?;
    }
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
    // Renamed away: there is nothing left for the guard to clean up.
    let _ = stage.keep();
    Ok(())
}

/// Generated shell scripts are executable, on disk and in the initial commit.
pub(crate) fn is_script(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "sh")
}

fn write_file(path: &Path, body: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(write_error(dir))?;
    }
    fs::write(path, body).map_err(write_error(path))?;
    #[cfg(unix)]
    if is_script(path) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(write_error(path))?;
    }
    Ok(())
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
        write(&tree(), &target, false).unwrap();
        assert_eq!(fs::read_to_string(target.join("src/b.rs")).unwrap(), "b\n");
        let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("p")]);
    }

    #[test]
    fn force_keeps_files_it_does_not_generate() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("mine.txt"), "keep").unwrap();
        fs::write(tmp.path().join("a.txt"), "old").unwrap();
        assert!(matches!(write(&tree(), tmp.path(), false), Err(Error::TargetNotEmpty { .. })));
        assert_eq!(fs::read_to_string(tmp.path().join("a.txt")).unwrap(), "old");
        write(&tree(), tmp.path(), true).unwrap();
        assert_eq!(fs::read_to_string(tmp.path().join("mine.txt")).unwrap(), "keep");
        assert_eq!(fs::read_to_string(tmp.path().join("a.txt")).unwrap(), "a\n");
    }

    #[test]
    fn a_file_in_the_way_is_refused() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        assert!(matches!(write(&tree(), tmp.path(), true), Err(Error::TargetNotDirectory { .. })));
    }
}
