//! Rendering: the plan and the context in, a sorted map of path → contents out. No I/O.

use std::collections::BTreeMap;

use handlebars::{Handlebars, Template};

use crate::answers::{self, Answers};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::plan::{self, FileSpec};

/// The generated project: relative `/`-separated path → contents, LF line endings.
pub type Tree = BTreeMap<String, String>;

/// Renders the whole project for `answers` in memory.
///
/// # Errors
/// [`Error::Template`] when a template does not parse or reads a field the context lacks.
pub fn render(answers: &Answers) -> Result<Tree> {
    let files = plan::plan(answers)?;
    let context = Context::new(answers);
    let per_service: Vec<Context> = (0..answers.services.len()).map(|i| context.for_service(i)).collect();
    let registry = registry(&files)?;
    let mut tree = Tree::new();
    let mut origin: BTreeMap<String, &str> = BTreeMap::new();
    for spec in &files {
        let context = spec.service.and_then(|i| per_service.get(i)).unwrap_or(&context);
        let path = render_path(&registry, &spec.output, context)?;
        let body = if spec.render {
            registry
                .render(&template_name(spec), context)
                .map_err(|e| Error::Template(format!("{}: {e}", spec.source.path().display())))?
        } else {
            utf8(spec)?.to_owned()
        };
        if let Some(other) = origin.insert(path.clone(), &spec.layer) {
            return Err(Error::Template(format!("`{path}` comes from both `{other}` and `{}`", spec.layer)));
        }
        tree.insert(path, body.replace("\r\n", "\n"));
    }
    tree.insert(answers::FILE_NAME.to_owned(), answers.to_toml());
    Ok(tree)
}

fn template_name(spec: &FileSpec) -> String {
    spec.source.path().to_string_lossy().into_owned()
}

fn utf8(spec: &FileSpec) -> Result<&'static str> {
    spec.source.contents_utf8().ok_or_else(|| Error::Template(format!("{} is not UTF-8", spec.source.path().display())))
}

/// A strict registry (unknown fields are errors) without HTML escaping, holding every template of
/// the plan. Compiling (parsing) dominates a run, so it is spread over the available cores.
fn registry(files: &[FileSpec]) -> Result<Handlebars<'static>> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    let mut sources: Vec<&FileSpec> = files.iter().filter(|spec| spec.render).collect();
    sources.sort_by_key(|spec| spec.source.path());
    sources.dedup_by_key(|spec| spec.source.path());
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(4);
    let chunk = sources.len().div_ceil(threads).max(1);
    let compiled: Vec<Result<Vec<(String, Template)>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = sources.chunks(chunk).map(|part| scope.spawn(move || compile(part))).collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| Err(Error::Template("compiler thread panicked".into()))))
            .collect()
    });
    for part in compiled {
        for (name, template) in part? {
            registry.register_template(&name, template);
        }
    }
    Ok(registry)
}

fn compile(specs: &[&FileSpec]) -> Result<Vec<(String, Template)>> {
    specs
        .iter()
        .map(|spec| {
            let name = template_name(spec);
            Template::compile_with_name(utf8(spec)?, name.clone())
                .map(|template| (name, template))
                .map_err(|e| Error::Template(format!("{}: {e}", spec.source.path().display())))
        })
        .collect()
}

/// Output paths may contain `{{…}}` (e.g. `src/{{project.snake}}.rs`); the result must stay a
/// plain relative path.
fn render_path(registry: &Handlebars<'_>, path: &str, context: &Context) -> Result<String> {
    if !path.contains("{{") {
        return Ok(path.to_owned());
    }
    let rendered = registry.render_template(path, context).map_err(|e| Error::Template(format!("path {path}: {e}")))?;
    if rendered.starts_with('/') || rendered.split('/').any(|part| part.is_empty() || part == "..") {
        return Err(Error::Template(format!("path {path} renders to the unsafe path {rendered}")));
    }
    Ok(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::NewArgs;
    use crate::prompt::Defaults;

    fn context() -> Context {
        let args = NewArgs { name: Some("order-api".into()), ..NewArgs::default() };
        Context::new(&Answers::resolve(&args, None, &mut Defaults).unwrap())
    }

    #[test]
    fn paths_can_be_templated() {
        let registry = registry(&[]).unwrap();
        assert_eq!(render_path(&registry, "src/{{project.snake}}.rs", &context()).unwrap(), "src/order_api.rs");
        assert_eq!(render_path(&registry, "plain/path.rs", &context()).unwrap(), "plain/path.rs");
    }

    #[test]
    fn a_templated_path_cannot_escape_the_project() {
        let registry = registry(&[]).unwrap();
        assert!(render_path(&registry, "{{style}}/../../x", &context()).is_err());
        assert!(render_path(&registry, "/{{style}}", &context()).is_err());
    }

    #[test]
    fn strict_mode_rejects_unknown_fields() {
        let registry = registry(&[]).unwrap();
        assert!(render_path(&registry, "{{project.nope}}", &context()).is_err());
    }
}
