//! The one place that decides which template files a project gets.
//!
//! Templates are grouped in *layers* (folders under `templates/`); the plan picks the layers for
//! the answers and every file of a layer lands at the same relative path in the project. A path
//! may come from one layer only, so no layer silently overrides another.

use std::collections::BTreeMap;

use include_dir::{Dir, File, include_dir};

use crate::answers::Answers;
use crate::cli::{Choice, Ci, Db, Style};
use crate::error::{Error, Result};

/// Every template, embedded in the binary.
pub static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Files with this suffix are rendered with Handlebars (and lose the suffix); others are copied.
pub const TEMPLATE_SUFFIX: &str = ".hbs";

/// One file of the project: where it comes from and where it goes.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub source: &'static File<'static>,
    /// Output path relative to the project root, `/`-separated; may itself contain `{{…}}`.
    pub output: String,
    pub render: bool,
}

/// The template layers for these answers, in order.
///
/// # Errors
/// [`Error::StyleNotAvailable`] for a style that has no templates yet.
pub fn layers(answers: &Answers) -> Result<Vec<&'static str>> {
    match answers.style {
        Style::Monolith => {
            let db = match answers.db {
                Db::Postgres => "monolith/db-postgres",
                Db::Sqlite => "monolith/db-sqlite",
                Db::None => "monolith/db-none",
            };
            let ci = match answers.ci {
                Ci::Github => Some("monolith/ci-github"),
                Ci::Gitlab => Some("monolith/ci-gitlab"),
                Ci::None => None,
            };
            Ok(["shared", "monolith/base", db].into_iter().chain(ci).collect())
        }
        style @ (Style::Microservices | Style::Serverless) => Err(Error::StyleNotAvailable { style: style.name() }),
    }
}

/// The files for these answers, sorted by output path.
///
/// # Errors
/// A missing layer or two layers that produce the same path: both are bugs in the templates.
pub fn plan(answers: &Answers) -> Result<Vec<FileSpec>> {
    let mut files: BTreeMap<String, (FileSpec, &str)> = BTreeMap::new();
    for layer in layers(answers)? {
        let dir =
            TEMPLATES.get_dir(layer).ok_or_else(|| Error::Template(format!("template layer `{layer}` is missing")))?;
        let mut sources = Vec::new();
        collect(dir, &mut sources);
        for source in sources {
            let relative = source
                .path()
                .strip_prefix(layer)
                .map_err(|_| Error::Template(format!("{} is outside layer {layer}", source.path().display())))?;
            let relative = relative.to_string_lossy().replace('\\', "/");
            let (output, render) = match relative.strip_suffix(TEMPLATE_SUFFIX) {
                Some(stripped) => (stripped.to_owned(), true),
                None => (relative, false),
            };
            if let Some((_, other)) = files.get(&output) {
                return Err(Error::Template(format!("`{output}` comes from both `{other}` and `{layer}`")));
            }
            files.insert(output.clone(), (FileSpec { source, output, render }, layer));
        }
    }
    Ok(files.into_values().map(|(spec, _)| spec).collect())
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<&'static File<'static>>) {
    out.extend(dir.files());
    for sub in dir.dirs() {
        collect(sub, out);
    }
}
