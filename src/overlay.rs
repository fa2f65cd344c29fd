//! Custom templates: a team's folder that mirrors `templates/`, overlaid on the embedded ones.
//! A file there replaces the embedded file at the same path, or adds one (to a layer, a
//! feature, the partials). The overlay is read once, when the answers are resolved, into a
//! template tree of the same type as the embedded one, so planning and rendering treat both
//! alike and stay free of I/O; its templates are as strict as the embedded ones, and their
//! errors name the overlay's file.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use include_dir::{Dir, DirEntry, File};

use crate::error::{Error, Result};
use crate::plan::TEMPLATES;

/// How large an overlay may be: a folder of templates, not a build tree.
const MAX_FILES: usize = 5_000;
const MAX_BYTES: u64 = 32 * 1024 * 1024;

/// A folder of custom templates and the tree it makes with the embedded ones.
#[derive(Clone)]
pub struct Overlay {
    /// As `archgen.toml` records it: relative to the project (or absolute, as given).
    pub recorded: String,
    /// Where it was read from.
    pub dir: PathBuf,
    /// The paths (inside the tree) whose file comes from the overlay.
    pub files: Vec<String>,
    /// The embedded templates with the overlay's files in place.
    pub root: &'static Dir<'static>,
}

impl std::fmt::Debug for Overlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay").field("dir", &self.dir).field("files", &self.files).finish_non_exhaustive()
    }
}

impl PartialEq for Overlay {
    fn eq(&self, other: &Self) -> bool {
        self.recorded == other.recorded && self.dir == other.dir && self.files == other.files
    }
}

impl Eq for Overlay {}

impl Overlay {
    /// Reads the folder at `dir`, recorded in the answers as `recorded`.
    ///
    /// # Errors
    /// The folder cannot be read, is too large, or holds a link.
    pub fn load(dir: &Path, recorded: String) -> Result<Self> {
        let unreadable = |path: &Path, message: String| Error::Templates { path: path.to_owned(), message };
        if !dir.is_dir() {
            return Err(unreadable(dir, "it is not a directory".into()));
        }
        let mut files = BTreeMap::new();
        let (mut stack, mut bytes) = (vec![dir.to_owned()], 0u64);
        while let Some(current) = stack.pop() {
            let entries = std::fs::read_dir(&current).map_err(|e| unreadable(&current, e.to_string()))?;
            for entry in entries {
                let entry = entry.map_err(|e| unreadable(&current, e.to_string()))?;
                let path = entry.path();
                let kind = entry.file_type().map_err(|e| unreadable(&path, e.to_string()))?;
                if kind.is_symlink() {
                    return Err(unreadable(&path, "it is a symbolic link; put the file itself there".into()));
                } else if kind.is_dir() {
                    stack.push(path);
                } else {
                    let contents = std::fs::read(&path).map_err(|e| unreadable(&path, e.to_string()))?;
                    bytes += contents.len() as u64;
                    if files.len() >= MAX_FILES || bytes > MAX_BYTES {
                        return Err(unreadable(
                            dir,
                            format!("it holds more than {MAX_FILES} files or {MAX_BYTES} bytes"),
                        ));
                    }
                    files.insert(relative(dir, &path), contents);
                }
            }
        }
        let paths = files.keys().cloned().collect();
        Ok(Self { recorded, dir: dir.to_owned(), files: paths, root: merge(&TEMPLATES, "", &files) })
    }

    /// Where a template of the tree is shown in an error: the overlay's file when it comes from
    /// there.
    #[must_use]
    pub fn shown(&self, path: &str) -> String {
        if self.files.iter().any(|f| f == path) { self.dir.join(path).display().to_string() } else { path.to_owned() }
    }
}

/// `templates export`: the embedded templates, or the folder `layer` of them, copied into the
/// new or empty directory `output` at the paths an overlay mirrors. Returns how many files.
///
/// # Errors
/// No such folder, or `output` is taken or cannot be written (nothing is written then).
pub fn export(layer: Option<&str>, output: &Path) -> Result<usize> {
    let dir = match layer.map(|l| l.trim_matches('/')) {
        None | Some("") => &TEMPLATES,
        Some(layer) => TEMPLATES.get_dir(layer).ok_or_else(|| Error::NoSuchLayer {
            layer: layer.to_owned(),
            folders: TEMPLATES
                .dirs()
                .flat_map(|top| top.dirs().map(|d| d.path().to_string_lossy().replace('\\', "/")))
                .collect::<Vec<_>>()
                .join(", "),
        })?,
    };
    let mut tree = crate::render::Tree::new();
    let mut stack = vec![dir];
    while let Some(current) = stack.pop() {
        stack.extend(current.dirs());
        for file in current.files() {
            let path = file.path().to_string_lossy().replace('\\', "/");
            let text = file.contents_utf8().ok_or_else(|| Error::Template(format!("{path} is not UTF-8")))?;
            tree.insert(path, text.to_owned());
        }
    }
    crate::write::write(&tree, &crate::write::Binary::new(), output, false)?;
    Ok(tree.len())
}

/// `to` as a path relative to the directory `from` (both absolute or both relative to the same
/// place): how a project records its templates folder.
#[must_use]
pub fn relative_to(from: &Path, to: &Path) -> String {
    let parts = |p: &Path| -> Vec<String> {
        p.components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                Component::RootDir => Some("/".into()),
                _ => None,
            })
            .collect()
    };
    let (from, to) = (parts(from), parts(to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out: Vec<String> = vec!["..".into(); from.len() - common];
    out.extend(to[common..].iter().cloned());
    if out.is_empty() { ".".into() } else { out.join("/") }
}

fn relative(dir: &Path, path: &Path) -> String {
    let inside = path.strip_prefix(dir).unwrap_or(path);
    inside
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The embedded folder at `path` with the overlay's files in place: built once per run and
/// kept for its length (`'static`, as the embedded tree is).
fn merge(embedded: &'static Dir<'static>, path: &str, overlay: &BTreeMap<String, Vec<u8>>) -> &'static Dir<'static> {
    let prefix = if path.is_empty() { String::new() } else { format!("{path}/") };
    let mine: BTreeMap<&str, &Vec<u8>> = overlay
        .range(prefix.clone()..)
        .take_while(|(p, _)| p.starts_with(&prefix))
        .map(|(p, body)| (&p[prefix.len()..], body))
        .collect();
    if mine.is_empty() {
        return embedded;
    }
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut entries: Vec<DirEntry<'static>> = Vec::new();
    let mut seen_files = Vec::new();
    for file in embedded.files() {
        let name = file.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        seen_files.push(name.clone());
        entries.push(DirEntry::File(match mine.get(name.as_str()) {
            Some(body) => File::new(leak(format!("{prefix}{name}")), Box::leak((*body).clone().into_boxed_slice())),
            None => file.clone(),
        }));
    }
    for (name, body) in mine.iter().filter(|(name, _)| !name.contains('/')) {
        if !seen_files.iter().any(|seen| seen == name) {
            entries.push(DirEntry::File(File::new(
                leak(format!("{prefix}{name}")),
                Box::leak((*body).clone().into_boxed_slice()),
            )));
        }
    }
    let mut subdirs: Vec<String> = embedded
        .dirs()
        .map(|d| d.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
        .collect();
    for name in mine.keys().filter_map(|p| p.split_once('/').map(|(dir, _)| dir.to_owned())) {
        if !subdirs.contains(&name) {
            subdirs.push(name);
        }
    }
    for name in subdirs {
        let full = format!("{prefix}{name}");
        let child: &'static Dir<'static> = match embedded.get_dir(&full) {
            Some(child) => child,
            None => Box::leak(Box::new(Dir::new(leak(full.clone()), &[]))),
        };
        entries.push(DirEntry::Dir(merge(child, &full, overlay).clone()));
    }
    Box::leak(Box::new(Dir::new(leak(path.to_owned()), Box::leak(entries.into_boxed_slice()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_replaces_the_embedded_one_or_joins_it_and_the_rest_stays() {
        let dir = tempfile::tempdir().unwrap();
        let readme = dir.path().join("monolith/base/README.md.hbs");
        std::fs::create_dir_all(readme.parent().unwrap()).unwrap();
        std::fs::write(&readme, "# ours\n").unwrap();
        std::fs::create_dir_all(dir.path().join("monolith/base/docs")).unwrap();
        std::fs::write(dir.path().join("monolith/base/docs/runbook.md"), "run\n").unwrap();
        let overlay = Overlay::load(dir.path(), "t".into()).unwrap();
        let file = |path: &str| overlay.root.get_file(path).map(|f| f.contents_utf8().unwrap().to_owned());
        assert_eq!(file("monolith/base/README.md.hbs").as_deref(), Some("# ours\n"));
        assert_eq!(file("monolith/base/docs/runbook.md").as_deref(), Some("run\n"));
        assert_eq!(
            file("monolith/base/Dockerfile.hbs"),
            TEMPLATES.get_file("monolith/base/Dockerfile.hbs").map(|f| f.contents_utf8().unwrap().to_owned())
        );
        let untouched = |root: &Dir<'static>| root.get_dir("microservices").map(|d| d.entries().len());
        assert_eq!(untouched(overlay.root), untouched(&TEMPLATES));
        assert!(overlay.shown("monolith/base/README.md.hbs").ends_with("monolith/base/README.md.hbs"));
        assert!(overlay.shown("monolith/base/README.md.hbs").starts_with(&dir.path().display().to_string()));
    }

    #[test]
    fn recorded_paths_are_relative_to_the_project() {
        assert_eq!(relative_to(Path::new("/w/shop"), Path::new("/w/team/templates")), "../team/templates");
        assert_eq!(relative_to(Path::new("/w/shop"), Path::new("/w/shop/templates")), "templates");
        assert_eq!(relative_to(Path::new("/w/shop"), Path::new("/w/shop")), ".");
    }
}
