//! Rendering: the plan and the context in, a sorted map of path → contents out. No I/O.

use std::collections::BTreeMap;

use handlebars::Handlebars;

use crate::answers::{self, Answers};
use crate::context::{Context, Slots};
use crate::error::{Error, Result};
use crate::features::{self, Feature};
use crate::lockfile;
use crate::plan::{self, FileSpec};

/// The generated project: relative `/`-separated path → contents, LF line endings.
pub type Tree = BTreeMap<String, String>;

/// Renders the whole project for `answers` in memory: its templates, `archgen.toml` and its
/// `Cargo.lock`.
///
/// # Errors
/// [`Error::Template`] when a template does not parse or reads a field the context lacks, or no
/// lockfile is pinned for these answers.
pub fn render(answers: &Answers) -> Result<Tree> {
    let mut tree = render_templates(answers)?;
    tree.insert(LOCKFILE.to_owned(), lockfile::render(answers)?);
    Ok(tree)
}

/// Where a project's lockfile goes.
pub const LOCKFILE: &str = "Cargo.lock";

/// Renders the project without its `Cargo.lock`: what the pinned lockfiles are resolved from.
///
/// # Errors
/// As [`render`].
pub fn render_templates(answers: &Answers) -> Result<Tree> {
    render_with(answers, &features::active(answers)?)
}

/// Renders the project with these features: its style's templates, the features' files, and
/// the features' fragments in the slots.
///
/// # Errors
/// As [`render`]; also a fragment for a slot that does not exist.
pub fn render_with(answers: &Answers, features: &[Feature]) -> Result<Tree> {
    let files = plan::plan_with(answers, features)?;
    let context = Context::new(answers);
    // Serialised once per context: handlebars would otherwise convert it again for every file.
    // A per-service context holds its own service and not the list of all of them, so that the
    // contexts together grow linearly with the number of services.
    let invalid = |e: serde_json::Error| Error::Template(e.to_string());
    let mut root = serde_json::to_value(&context).map_err(invalid)?;
    let mut per_service = context
        .services
        .iter()
        .map(|service| {
            let mut value = root.clone();
            if let Some(object) = value.as_object_mut() {
                object.remove("services");
                object.insert("service".into(), serde_json::to_value(service).map_err(invalid)?);
                // In its own templates, a service's resources are the resources.
                if let serde_json::Value::Object(scope) = serde_json::to_value(&service.scope).map_err(invalid)? {
                    object.extend(scope);
                }
            }
            Ok(value)
        })
        .collect::<Result<Vec<_>>>()?;
    fill_slots(features, answers, &mut root, &mut per_service)?;
    // A resource's context: its service's (microservices) or the project's, with the resource.
    let per_resource = context
        .owned
        .iter()
        .map(|(service, resource)| {
            let mut value = service.and_then(|s| per_service.get(s)).unwrap_or(&root).clone();
            if let Some(object) = value.as_object_mut() {
                object.insert("resource".into(), serde_json::to_value(resource).map_err(invalid)?);
            }
            Ok(value)
        })
        .collect::<Result<Vec<_>>>()?;
    let wrap = |value: serde_json::Value| handlebars::Context::wraps(value).map_err(|e| Error::Template(e.to_string()));
    let contexts = Contexts {
        root: wrap(root)?,
        per_service: per_service.into_iter().map(wrap).collect::<Result<Vec<_>>>()?,
        per_resource: per_resource.into_iter().map(wrap).collect::<Result<Vec<_>>>()?,
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(4);
    let shares = share_out(&files, threads);
    let rendered: Vec<Result<Vec<Rendered<'_>>>> = std::thread::scope(|scope| {
        let contexts = &contexts;
        let mut shares = shares.iter();
        let own = shares.next();
        let workers: Vec<_> = shares.map(|share| scope.spawn(move || render_share(share, contexts, answers))).collect();
        let mut results = vec![own.map_or_else(|| Ok(Vec::new()), |share| render_share(share, contexts, answers))];
        results.extend(
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|_| Err(Error::Template("a rendering thread panicked".into())))),
        );
        results
    });
    let mut tree = Tree::new();
    let mut origin: BTreeMap<String, &str> = BTreeMap::new();
    for share in rendered {
        for (spec, path, body) in share? {
            if let Some(other) = origin.insert(path.clone(), &spec.layer) {
                return Err(Error::Template(format!("`{path}` comes from both `{other}` and `{}`", spec.layer)));
            }
            tree.insert(path, body);
        }
    }
    tree.insert(answers::FILE_NAME.to_owned(), answers.to_toml());
    Ok(tree)
}

struct Contexts {
    root: handlebars::Context,
    per_service: Vec<handlebars::Context>,
    per_resource: Vec<handlebars::Context>,
}

impl Contexts {
    fn of(&self, spec: &FileSpec) -> &handlebars::Context {
        spec.resource
            .and_then(|i| self.per_resource.get(i))
            .or_else(|| spec.service.and_then(|i| self.per_service.get(i)))
            .unwrap_or(&self.root)
    }
}

/// A file of the plan, its rendered path and its contents.
type Rendered<'a> = (&'a FileSpec, String, String);

/// Splits the files into `n` shares, every file of one template in the same share, so each
/// template is compiled once. Compiling costs far more than rendering, roughly in proportion to
/// the template's size, so the largest templates are dealt out first, each to the lightest share.
fn share_out(files: &[FileSpec], n: usize) -> Vec<Vec<&FileSpec>> {
    let mut by_template: BTreeMap<&str, Vec<&FileSpec>> = BTreeMap::new();
    for spec in files {
        by_template.entry(spec.source.path().to_str().unwrap_or_default()).or_default().push(spec);
    }
    let mut groups: Vec<Vec<&FileSpec>> = by_template.into_values().collect();
    let cost = |group: &Vec<&FileSpec>| {
        group.first().map_or(0, |spec| if spec.render { spec.source.contents().len() } else { 64 })
    };
    groups.sort_by_key(|group| std::cmp::Reverse(cost(group)));
    let mut shares: Vec<(usize, Vec<&FileSpec>)> = vec![(0, Vec::new()); n.max(1)];
    for group in groups {
        if let Some(lightest) = shares.iter_mut().min_by_key(|(load, _)| *load) {
            lightest.0 += cost(&group);
            lightest.1.extend(group);
        }
    }
    shares.into_iter().map(|(_, share)| share).filter(|share| !share.is_empty()).collect()
}

/// Compiles the templates of `share` into a registry of its own and renders its files.
fn render_share<'a>(share: &[&'a FileSpec], contexts: &Contexts, answers: &Answers) -> Result<Vec<Rendered<'a>>> {
    let mut registry = registry(answers.templates_root())?;
    // A template of the user's own is the user's to fix; one of ours, a bug to report.
    let at = |spec: &FileSpec, error: &dyn std::fmt::Display| {
        let path = spec.source.path().to_string_lossy();
        match answers.templates.as_ref().filter(|o| o.files.iter().any(|f| *f == path)) {
            Some(overlay) => Error::TemplateOverride { path: overlay.dir.join(&*path), message: error.to_string() },
            None => Error::Template(format!("{path}: {error}")),
        }
    };
    share
        .iter()
        .map(|&spec| {
            let context = contexts.of(spec);
            let path = render_path(&mut registry, &spec.output, context)?;
            let body = if spec.render {
                let name = template_name(spec);
                if !registry.has_template(&name) {
                    let template = crate::compile::compile(utf8(spec)?, name.clone()).map_err(|e| at(spec, &e))?;
                    registry.register_template(&name, template);
                }
                blank_lines_unindented(registry.render_with_context(&name, context).map_err(|e| at(spec, &e))?)
            } else {
                utf8(spec)?.to_owned()
            };
            let body = if body.contains('\r') { body.replace("\r\n", "\n") } else { body };
            Ok((spec, path, body))
        })
        .collect()
}

/// Handlebars indents every line of a partial placed on an indented line, blank ones too, so a
/// blank line inside a slot's fragment (between two compose services, say) would end in spaces.
/// No template has a line of spaces only, so each such line is a fragment's blank line: made
/// blank again.
fn blank_lines_unindented(body: String) -> String {
    let spaces_only = |line: &str| line.bytes().all(|b| b == b' ');
    if !body.split('\n').any(|line| !line.is_empty() && spaces_only(line)) {
        return body;
    }
    body.split('\n').map(|line| if spaces_only(line) { "" } else { line }).collect::<Vec<_>>().join("\n")
}

fn template_name(spec: &FileSpec) -> String {
    spec.source.path().to_string_lossy().into_owned()
}

fn utf8(spec: &FileSpec) -> Result<&'static str> {
    spec.source.contents_utf8().ok_or_else(|| Error::Template(format!("{} is not UTF-8", spec.source.path().display())))
}

/// Where the shared pieces of templates live: `templates/partials/NAME.hbs`, placed as
/// `{{> part/NAME}}` (a CI job's common steps, a container's hardening: what several styles'
/// files share, written once). Like a slot, a partial on a line of its own is indented as that
/// line is.
pub const PARTIALS: &str = "partials";

/// The shared partials, as `(name to place, template)`.
#[must_use]
pub fn partials() -> Vec<(String, &'static include_dir::File<'static>)> {
    partials_in(&plan::TEMPLATES)
}

/// The shared partials of the template tree `root`.
#[must_use]
pub fn partials_in(root: &'static include_dir::Dir<'static>) -> Vec<(String, &'static include_dir::File<'static>)> {
    let mut found = Vec::new();
    let mut stack: Vec<&include_dir::Dir<'static>> = root.get_dir(PARTIALS).into_iter().collect();
    while let Some(dir) = stack.pop() {
        stack.extend(dir.dirs());
        for file in dir.files() {
            let path = file.path().to_string_lossy().replace('\\', "/");
            let name = path.strip_prefix(PARTIALS).unwrap_or(&path).trim_start_matches('/');
            if let Some(name) = name.strip_suffix(plan::TEMPLATE_SUFFIX) {
                found.push((format!("part/{name}"), file));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// A strict registry (unknown fields are errors) without HTML escaping, with a partial per slot,
/// `{{> slot/NAME}}` (a misspelt slot is a missing partial, an error), and the shared partials.
fn registry(root: &'static include_dir::Dir<'static>) -> Result<Handlebars<'static>> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    for (name, file) in partials_in(root) {
        let source =
            file.contents_utf8().ok_or_else(|| Error::Template(format!("{} is not UTF-8", file.path().display())))?;
        let template = crate::compile::compile(source, file.path().to_string_lossy().into_owned())
            .map_err(|e| Error::Template(format!("{}: {e}", file.path().display())))?;
        registry.register_template(&name, template);
    }
    let (project, service) = Slots::names();
    let partials = project
        .iter()
        .map(|name| (name, format!("{{{{{{@root.slots.{name}}}}}}}")))
        .chain(service.iter().map(|name| (name, format!("{{{{{{@root.service.slots.{name}}}}}}}"))));
    for (name, body) in partials {
        // A fixed, valid template: registering it cannot fail.
        let _ = registry.register_partial(&format!("slot/{name}"), body);
    }
    Ok(registry)
}

/// Renders every feature's fragments into the slots of the project's context and, for service
/// slots, of each service's, joined in feature order.
fn fill_slots(
    features: &[Feature],
    answers: &Answers,
    root: &mut serde_json::Value,
    per_service: &mut [serde_json::Value],
) -> Result<()> {
    let (project, service) = Slots::names();
    let mut registry = registry(answers.templates_root())?;
    for feature in features {
        for (slot, path, source) in feature.fragments(answers) {
            let failed = |e: &dyn std::fmt::Display| Error::Template(format!("{path}: {e}"));
            let template = crate::compile::compile(source, path.clone()).map_err(|e| failed(&e))?;
            registry.register_template(&path, template);
            if project.contains(&slot) {
                // The same text in the project's context and in each service's (whose templates
                // may place project slots too).
                let text = registry.render(&path, &*root).map_err(|e| failed(&e))?;
                for context in std::iter::once(&mut *root).chain(per_service.iter_mut()) {
                    append(context.get_mut("slots"), &slot, &text);
                }
            } else if service.contains(&slot) {
                for context in per_service.iter_mut() {
                    let text = registry.render(&path, &*context).map_err(|e| failed(&e))?;
                    append(context.get_mut("service").and_then(|s| s.get_mut("slots")), &slot, &text);
                }
            } else {
                return Err(Error::Template(format!(
                    "{path}:1: there is no slot `{slot}`; the slots are {}",
                    project.iter().chain(&service).map(String::as_str).collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    for context in std::iter::once(&mut *root).chain(per_service.iter_mut()) {
        if let Some(serde_json::Value::String(lines)) = context.get_mut("slots").and_then(|s| s.get_mut("imports")) {
            *lines = sorted_lines(lines);
        }
        for slot in ["dependencies", "code_dependencies"] {
            if let Some(serde_json::Value::String(lines)) = context.get_mut("slots").and_then(|s| s.get_mut(slot)) {
                *lines = one_line_per_crate(lines)?;
            }
        }
    }
    Ok(())
}

/// Dependency lines of several features, one per crate: two features that need the same crate
/// (an HTTP client, say) name it once, with the union of the crate features they ask for. The
/// rest of what they say of it (version, `default-features`, `optional`) must agree.
fn one_line_per_crate(text: &str) -> Result<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut at: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let Some((name, spec)) = dependency(line) else {
            lines.push(line.to_owned());
            continue;
        };
        let Some(&i) = at.get(&name) else {
            at.insert(name, lines.len());
            lines.push(line.to_owned());
            continue;
        };
        let (_, first) = dependency(&lines[i]).unwrap_or_default();
        let wanted = |spec: &toml::Table| -> Vec<String> {
            let features = spec.get("features").and_then(toml::Value::as_array);
            features.into_iter().flatten().filter_map(|f| f.as_str().map(str::to_owned)).collect()
        };
        let rest = |spec: &toml::Table| {
            spec.iter().filter(|(k, _)| *k != "features").map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>()
        };
        if rest(&first) != rest(&spec) {
            return Err(Error::Template(format!(
                "two features depend on `{name}` differently: `{}` and `{line}`; make them agree",
                lines[i]
            )));
        }
        let mut features = wanted(&first);
        features.extend(wanted(&spec));
        features.sort_unstable();
        features.dedup();
        let list = features.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(", ");
        let merged = match (lines[i].find("features = ["), lines[i].rfind(']')) {
            (Some(start), Some(end)) => format!("{}features = [{list}]{}", &lines[i][..start], &lines[i][end + 1..]),
            _ => match lines[i].rfind(" }") {
                Some(end) => format!("{}, features = [{list}] }}", &lines[i][..end]),
                None => lines[i].clone(),
            },
        };
        lines[i] = merged;
    }
    Ok(lines.iter().flat_map(|line| [line.as_str(), "\n"]).collect())
}

/// `name = { … }` on one line: the crate's name and its table; `None` for a comment or a line
/// of another shape (a `"feature",` list item).
fn dependency(line: &str) -> Option<(String, toml::Table)> {
    let table: toml::Table = toml::from_str(line).ok()?;
    let (name, spec) = table.into_iter().next()?;
    Some((name, spec.as_table()?.clone()))
}

/// The lines of `text` in rustfmt's order of `use` declarations: for the snake-case paths of a
/// project's own modules (all the `imports` slot holds), that is byte order.
fn sorted_lines(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines.dedup();
    lines.iter().flat_map(|line| [*line, "\n"]).collect()
}

fn append(slots: Option<&mut serde_json::Value>, slot: &str, text: &str) {
    if let Some(serde_json::Value::String(joined)) = slots.and_then(|s| s.get_mut(slot)) {
        joined.push_str(text);
    }
}

/// Output paths may contain `{{…}}` (e.g. `src/{{project.snake}}.rs`); the result must stay a
/// plain relative path.
/// Each path template is compiled once, however many services it is rendered for.
fn render_path(registry: &mut Handlebars<'_>, path: &str, context: &handlebars::Context) -> Result<String> {
    if !path.contains("{{") {
        return Ok(path.to_owned());
    }
    let name = format!("path:{path}");
    let failed = |e: &dyn std::fmt::Display| Error::Template(format!("path {path}: {e}"));
    if !registry.has_template(&name) {
        registry.register_template_string(&name, path).map_err(|e| failed(&e))?;
    }
    let rendered = registry.render_with_context(&name, context).map_err(|e| failed(&e))?;
    if rendered.starts_with('/') || rendered.split('/').any(|part| part.is_empty() || part == "..") {
        return Err(Error::Template(format!("path {path} renders to the unsafe path {rendered}")));
    }
    Ok(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Choice as _, NewArgs};
    use crate::prompt::Defaults;

    fn context() -> handlebars::Context {
        let args = NewArgs { name: Some("order-api".into()), ..NewArgs::default() };
        handlebars::Context::wraps(Context::new(&Answers::resolve(&args, None, &mut Defaults).unwrap())).unwrap()
    }

    #[test]
    fn paths_can_be_templated() {
        let mut registry = registry(&plan::TEMPLATES).unwrap();
        assert_eq!(render_path(&mut registry, "src/{{project.snake}}.rs", &context()).unwrap(), "src/order_api.rs");
        assert_eq!(render_path(&mut registry, "plain/path.rs", &context()).unwrap(), "plain/path.rs");
    }

    #[test]
    fn a_templated_path_cannot_escape_the_project() {
        let mut registry = registry(&plan::TEMPLATES).unwrap();
        assert!(render_path(&mut registry, "{{style}}/../../x", &context()).is_err());
        assert!(render_path(&mut registry, "/{{style}}", &context()).is_err());
    }

    #[test]
    fn strict_mode_rejects_unknown_fields() {
        let mut registry = registry(&plan::TEMPLATES).unwrap();
        assert!(render_path(&mut registry, "{{project.nope}}", &context()).is_err());
    }

    /// Features for these tests only: `probe` fills every slot with `probe:SLOT NAME` and adds a
    /// file of each kind; `misspelt` has a fragment for a slot that does not exist.
    static FIXTURES: include_dir::Dir<'static> =
        include_dir::include_dir!("$CARGO_MANIFEST_DIR/tests/fixtures/features");

    /// Where each slot is placed, by style (`aws-lambda` and `knative` for serverless): what
    /// DEVELOPERS.md documents. A feature whose style lacks a slot's host brings its own file or
    /// a `styles/<style>/` fragment.
    const HOSTS: &[(&str, &[&str])] = &[
        ("dependencies", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("code_dependencies", &["microservices", "aws-lambda", "knative"]),
        ("code_features", &["microservices"]),
        ("code_modules", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("setup", &["monolith", "microservices", "knative"]),
        ("state", &["monolith", "microservices", "knative"]),
        ("on_exit", &["monolith", "knative"]),
        ("routes", &["monolith", "aws-lambda", "knative"]),
        ("route_layers", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("gateway_common_features", &["microservices"]),
        ("metrics", &["monolith", "aws-lambda", "knative"]),
        ("on_create", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("on_find", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("on_update", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("on_delete", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("resource_types", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("resource_http", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("test_modules", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("on_insert", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("readiness", &["monolith", "aws-lambda", "knative"]),
        ("log_layers", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("log_json", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("request_span", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("request_span_fields", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("env", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("compose_header", &["monolith"]),
        ("compose_services", &["monolith", "microservices"]),
        ("compose_volumes", &["monolith", "microservices"]),
        ("compose_app_environment", &["monolith", "microservices"]),
        ("compose_gateway_environment", &["microservices"]),
        ("compose_app_depends_on", &["monolith", "microservices"]),
        ("compose_app_volumes", &["monolith"]),
        ("k8s_app_config", &["monolith", "microservices", "knative"]),
        ("k8s_app_egress", &["monolith", "microservices"]),
        ("k8s_app_env_from", &["monolith", "microservices", "knative"]),
        ("k8s_gateway_config", &["microservices"]),
        ("k8s_gateway_env_from", &["microservices"]),
        ("k8s_gateway_egress", &["microservices"]),
        ("checkov_skips", &["monolith"]),
        ("k8s_dev_resources", &["monolith", "microservices", "knative"]),
        ("k8s_base_resources", &["monolith"]),
        ("k8s_prod_resources", &["monolith"]),
        ("k8s_dev_patches", &["monolith", "microservices", "knative"]),
        ("ci_github_test_steps", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("ci_github_test_services", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("ci_github_test_env", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("ci_gitlab_test_services", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("ci_gitlab_test_variables", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("readme", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("readme_kubernetes", &["monolith", "microservices"]),
        ("readme_local", &["microservices"]),
        ("architecture", &["monolith", "microservices", "aws-lambda", "knative"]),
        ("architecture_diagram", &["microservices"]),
        ("architecture_failures", &["microservices"]),
        ("architecture_deployment", &["microservices"]),
        // The docs' places (README.md, ARCHITECTURE.md).
        ("readme_quick_start", &["monolith", "aws-lambda", "knative"]),
        ("readme_setup", &["monolith", "aws-lambda", "knative"]),
        ("readme_commands", &["monolith"]),
        ("readme_test_commands", &["monolith"]),
        ("readme_test_notes", &["monolith", "aws-lambda", "knative"]),
        ("readme_compose", &["monolith"]),
        ("readme_k8s_resources", &["monolith"]),
        ("readme_k8s_layout", &["monolith"]),
        ("readme_deploy", &["aws-lambda", "knative"]),
        ("readme_deploy_commands", &["monolith", "knative"]),
        ("readme_config", &["monolith", "aws-lambda", "knative"]),
        ("readme_layout", &["aws-lambda"]),
        ("readme_ci_variables", &["aws-lambda"]),
        ("architecture_components", &["aws-lambda", "knative"]),
        ("architecture_scaling", &["aws-lambda", "knative"]),
        ("architecture_decisions_deploy", &["monolith"]),
        ("architecture_decisions_errors", &["monolith"]),
        ("architecture_decisions", &["monolith"]),
        ("commands", &["monolith", "microservices", "knative"]),
        ("usage", &["monolith", "microservices", "knative"]),
        ("imports", &["monolith", "microservices", "knative"]),
        ("on_migrate", &["monolith", "aws-lambda", "knative"]),
        ("sam_parameters", &["aws-lambda"]),
        ("sam_resources", &["aws-lambda"]),
        ("sam_outputs", &["aws-lambda"]),
        ("k8s_app_rollout", &["monolith"]),
        ("k8s_app_volumes", &["monolith"]),
        ("k8s_app_init_containers", &["monolith"]),
        ("k8s_app_container", &["monolith", "knative"]),
        ("gateway_modules", &["microservices"]),
        ("gateway_routes", &["microservices"]),
    ];

    /// Service slots placed only in `templates/microservices/caller` (a service that calls another).
    const CALLER_SLOTS: &[&str] = &["service_call_headers"];

    fn case(style: &str, ci: crate::cli::Ci) -> Answers {
        use crate::cli::{Events, Platform, Style};
        let mut args = NewArgs { name: Some("shop".into()), ci: Some(ci), ..NewArgs::default() };
        match style {
            "monolith" => args.style = Some(Style::Monolith),
            "microservices" => {
                args.style = Some(Style::Microservices);
                args.services = Some(vec!["users".into(), "orders".into()]);
                args.events = Some(Events::None);
            }
            platform => {
                args.style = Some(Style::Serverless);
                args.platform = Some(if platform == "knative" { Platform::Knative } else { Platform::AwsLambda });
            }
        }
        Answers::resolve(&args, None, &mut Defaults).unwrap()
    }

    #[test]
    fn a_feature_fills_every_slot_its_style_places_and_adds_its_files() {
        let probe = Feature::load(&FIXTURES, "probe").unwrap();
        let (project, service) = Slots::names();
        let mut hosted: Vec<&str> = HOSTS.iter().map(|(slot, _)| *slot).collect();
        hosted.sort_unstable();
        assert_eq!(hosted, project, "HOSTS lists every project slot");
        for style in ["monolith", "microservices", "aws-lambda", "knative"] {
            for ci in [crate::cli::Ci::Github, crate::cli::Ci::Gitlab] {
                let answers = case(style, ci);
                let mut with_probe = features::active(&answers).unwrap();
                with_probe.push(probe.clone());
                let tree = render_with(&answers, &with_probe).unwrap();
                let text: String = tree.values().map(String::as_str).collect();
                for (slot, styles) in HOSTS {
                    let for_ci = slot.strip_prefix("ci_").is_none_or(|rest| rest.starts_with(ci.name()));
                    let expected = styles.contains(&style) && for_ci;
                    let found = text.contains(&format!("probe:{slot} shop"));
                    assert_eq!(found, expected, "{style} ({}): slot {slot}", ci.name());
                }
                for slot in &service {
                    for name in ["users", "orders"] {
                        // A caller's slots are placed only in a service that calls another
                        // (orders calls users).
                        let placed = name == "orders" || !CALLER_SLOTS.contains(&slot.as_str());
                        let found = text.contains(&format!("probe:{slot} {name}\n"));
                        assert_eq!(
                            found,
                            style == "microservices" && placed,
                            "{style}: service slot {slot} for {name}"
                        );
                    }
                }
                let code = format!("{}probe.rs", crate::features::code_root(answers.style()));
                assert_eq!(tree.get(&code).map(String::as_str), Some("// probe:code\n"), "{style}: {code}");
                assert_eq!(tree.get("probe.txt").map(String::as_str), Some("probe:files shop\n"));
                let per_service = tree.keys().filter(|p| p.ends_with("/probe.txt")).count();
                assert_eq!(per_service, if style == "microservices" { 2 } else { 0 }, "{style}");
            }
        }
    }

    #[test]
    fn without_features_every_slot_line_vanishes() {
        let answers = case("monolith", crate::cli::Ci::Github);
        let tree = render_with(&answers, &[]).unwrap();
        assert!(tree.values().all(|body| !body.contains("slot/")));
        let manifest = &tree["Cargo.toml"];
        assert!(!manifest.contains("\n\n\n"), "an empty slot leaves no blank line");
    }

    #[test]
    fn two_features_that_need_one_crate_list_it_once_with_both_their_features() {
        let joined = "# a\nx = { version = \"1\", default-features = false, features = [\"b\"] }\n\
                      y = { version = \"2\" }\n# c\nx = { version = \"1\", default-features = false, features = [\"a\", \"b\"] }\n\
                      y = { version = \"2\", features = [\"z\"] }\n";
        assert_eq!(
            one_line_per_crate(joined).unwrap(),
            "# a\nx = { version = \"1\", default-features = false, features = [\"a\", \"b\"] }\n\
             y = { version = \"2\", features = [\"z\"] }\n# c\n"
        );
        let disagree = "x = { version = \"1\" }\nx = { version = \"2\" }\n";
        assert!(one_line_per_crate(disagree).unwrap_err().to_string().contains("`x` differently"));
    }

    #[test]
    fn a_blank_line_of_a_fragment_placed_indented_stays_blank() {
        let mut registry = registry(&plan::TEMPLATES).unwrap();
        registry.register_template_string("t", "a:\n  {{> part}}\nb\n").unwrap();
        registry.register_partial("part", "x: 1\n\ny: 2\n").unwrap();
        let rendered = registry.render_with_context("t", &context()).unwrap();
        assert_eq!(rendered, "a:\n  x: 1\n  \n  y: 2\nb\n", "what handlebars does");
        assert_eq!(blank_lines_unindented(rendered), "a:\n  x: 1\n\n  y: 2\nb\n");
        assert_eq!(blank_lines_unindented("a\n\n b\n".into()), "a\n\n b\n");
        // What makes that safe: no template has a line of spaces only.
        let mut stack = vec![&plan::TEMPLATES];
        while let Some(dir) = stack.pop() {
            stack.extend(dir.dirs());
            for file in dir.files() {
                let text = file.contents_utf8().unwrap_or_default();
                assert!(
                    !text.lines().any(|l| !l.is_empty() && l.trim_start_matches(' ').is_empty()),
                    "{:?}",
                    file.path()
                );
            }
        }
    }

    #[test]
    fn a_fragment_for_a_slot_that_does_not_exist_fails_with_its_file_and_line() {
        let misspelt = Feature::load(&FIXTURES, "misspelt").unwrap();
        let Err(Error::Template(message)) = render_with(&case("monolith", crate::cli::Ci::None), &[misspelt]) else {
            panic!("a misspelt slot must fail");
        };
        assert!(message.starts_with("misspelt/slots/dependencis.hbs:1: there is no slot `dependencis`"), "{message}");
        assert!(message.contains("dependencies"), "the message lists the slots: {message}");
    }

    #[test]
    fn a_template_placing_a_slot_that_does_not_exist_fails() {
        let mut registry = registry(&plan::TEMPLATES).unwrap();
        registry.register_template_string("t", "a\n{{> slot/dependencis}}\n").unwrap();
        let error = registry.render_with_context("t", &context()).unwrap_err().to_string();
        assert!(error.contains("slot/dependencis"), "{error}");
    }
}
