//! Features: each lives in one folder under `templates/features/<name>/` and reaches a project
//! only by adding files and filling *slots*, never by replacing a base file.
//!
//! ```text
//! templates/features/<name>/
//!   feature.toml            styles it supports, one line of guidance
//!   code/…                  its modules, mounted at the style's code root (see `code_root`)
//!   tests/…                 its integration tests, beside the app's (see `tests_root`)
//!   files/…                 its other files, at the project root
//!   service/…               per service (microservices), at the project root
//!   slots/<slot>.hbs        fragments for named slots (see `context::Slots`)
//!   styles/<variant>/…      the same four, only where a style's wiring truly differs; a
//!                           variant's fragment replaces the feature's fragment for that slot.
//!                           The variants of a project are its style, then its platform
//!                           (`serverless`, then `knative`), each more specific than the last.
//! ```
//!
//! Most features are chosen by the user; some are what an answer means (`--db postgres` is the
//! `db-postgres` feature, `--events nats` is `events-nats`): their manifest names that `option`,
//! so they are never offered on their own.
//!
//! A slot is a typed field of the context ([`crate::context::Slots`], [`crate::context::ServiceSlots`]),
//! placed in a style's composition root as a line of its own: `{{> slot/dependencies}}`. The
//! fragments of all active features are rendered with the project's context (a service slot:
//! once per service, with that service's) and joined in feature order. A fragment for a slot that
//! does not exist fails with its file; one for a slot no template of the project places (a CI
//! file with `--ci none`) has nowhere to go and is left out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use include_dir::Dir;
use serde::Deserialize;

use crate::answers::{Answers, Shape};
use crate::cli::{Choice, Db, Events, Platform, Style};
use crate::error::{Error, Result};
use crate::plan::{Layer, Per, TEMPLATES};
use crate::prompt::Prompter;

/// What a feature says about itself in its `feature.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The styles it can be part of.
    pub styles: Vec<Style>,
    /// One line that helps a user decide.
    pub guidance: String,
    /// The answer that turns this feature on (e.g. `--db postgres`), for a feature that is what
    /// an option means rather than a choice of its own.
    #[serde(default)]
    pub option: Option<String>,
    /// Whether a project has it unless the user says otherwise.
    #[serde(default)]
    pub default: bool,
    /// Variants (a style, or a platform such as `aws-lambda`) or option features (`db-none`:
    /// what an answer means) it cannot be part of, each with the reason a user who asks for it
    /// there is given.
    #[serde(default)]
    pub refuses: BTreeMap<String, String>,
}

/// A feature's folder and manifest.
#[derive(Debug, Clone)]
pub struct Feature {
    pub name: String,
    pub manifest: Manifest,
    /// The folder, inside `root`.
    pub dir: String,
    pub root: &'static Dir<'static>,
}

impl Feature {
    /// Reads the feature at `dir` (a path inside `root`).
    ///
    /// # Errors
    /// A missing or invalid `feature.toml`: a bug in the templates.
    pub fn load(root: &'static Dir<'static>, dir: &str) -> Result<Self> {
        let path = format!("{dir}/feature.toml");
        let text = root
            .get_file(&path)
            .and_then(|f| f.contents_utf8())
            .ok_or_else(|| Error::Template(format!("{path} is missing")))?;
        let manifest = toml::from_str(text).map_err(|e| Error::Template(format!("{path}: {}", e.message())))?;
        let name = dir.rsplit('/').next().unwrap_or(dir).to_owned();
        Ok(Self { name, manifest, dir: dir.to_owned(), root })
    }

    /// The feature's folder, then the folder of each variant of the project, least specific first.
    fn bases(&self, answers: &Answers) -> Vec<String> {
        let mut bases = vec![self.dir.clone()];
        bases.extend(variants(answers).into_iter().map(|variant| format!("{}/styles/{variant}", self.dir)));
        bases
    }

    /// The feature's layers for a project with `answers`: its own, then each variant's.
    #[must_use]
    pub fn layers(&self, answers: &Answers) -> Vec<Layer> {
        let style = answers.style();
        let mut layers = Vec::new();
        for base in self.bases(answers) {
            let folders = [
                ("code", Per::Project, Some(code_root(style))),
                ("tests", tests_per(style), Some(tests_root(style))),
                ("files", Per::Project, Some("")),
                ("service", Per::Service, Some("")),
            ];
            for (folder, per, prefix) in folders {
                let Some(prefix) = prefix else { continue };
                let dir = format!("{base}/{folder}");
                if self.root.get_dir(&dir).is_some() {
                    layers.push(Layer { root: self.root, dir, prefix, per });
                }
            }
        }
        layers
    }

    /// The fragments for a project with `answers`, as `(slot, template path inside root,
    /// source)`, a variant's own replacing the feature's for the same slot; sorted by slot.
    #[must_use]
    pub fn fragments(&self, answers: &Answers) -> Vec<(String, String, &'static str)> {
        let mut found = std::collections::BTreeMap::new();
        for base in self.bases(answers) {
            let Some(dir) = self.root.get_dir(format!("{base}/slots")) else { continue };
            for file in dir.files() {
                let path = file.path().to_string_lossy().replace('\\', "/");
                let Some(slot) = path.rsplit('/').next().and_then(|n| n.strip_suffix(crate::plan::TEMPLATE_SUFFIX))
                else {
                    continue;
                };
                if let Some(source) = file.contents_utf8() {
                    found.insert(slot.to_owned(), (path.clone(), source));
                }
            }
        }
        found.into_iter().map(|(slot, (path, source))| (slot, path, source)).collect()
    }
}

impl Feature {
    /// Why a user cannot choose it for a project of `shape`; `None` when they can.
    #[must_use]
    pub fn refusal(&self, shape: &Shape) -> Option<String> {
        if let Some(option) = &self.manifest.option {
            return Some(format!("it is what `{option}` means, not a feature of its own"));
        }
        let mut traits = variants_of(shape);
        traits.extend(options_of(shape));
        if let Some(reason) = traits.iter().find_map(|v| self.manifest.refuses.get(*v)) {
            return Some(reason.clone());
        }
        if !self.manifest.styles.contains(&shape.style()) {
            let styles: Vec<&str> = self.manifest.styles.iter().map(|s| s.name()).collect();
            return Some(format!("it is for {} projects", styles.join(" and ")));
        }
        None
    }
}

/// What a feature may have a `styles/<variant>/` folder for: the project's style, then its
/// platform.
#[must_use]
pub fn variants(answers: &Answers) -> Vec<&'static str> {
    variants_of(&answers.shape)
}

fn variants_of(shape: &Shape) -> Vec<&'static str> {
    let mut variants = vec![shape.style().name()];
    variants.extend(shape.platform().map(Platform::name));
    variants
}

/// The features a user can choose, in the template tree `root`, for a project of `shape`.
///
/// # Errors
/// A feature folder without a valid `feature.toml`: a bug in the templates.
pub fn choosable(root: &'static Dir<'static>, shape: &Shape) -> Result<Vec<Feature>> {
    Ok(catalogue_in(root)?.into_iter().filter(|f| f.refusal(shape).is_none()).collect())
}

/// The features of a project of `shape`: those `given` (`--features`, `archgen.toml`; `none`
/// for none), checked against the catalogue of `root`, or else those the user picks among the
/// ones the style can take, the defaults preselected (without a terminal: the defaults). In
/// catalogue order.
///
/// # Errors
/// [`Error::InvalidFeature`] for an unknown feature or one the style cannot take (with why),
/// or a failed prompt.
pub fn choose(
    given: Option<&[String]>,
    shape: &Shape,
    root: &'static Dir<'static>,
    prompter: &mut dyn Prompter,
) -> Result<Vec<String>> {
    let catalogue = catalogue_in(root)?;
    let offered: Vec<&Feature> = catalogue.iter().filter(|f| f.refusal(shape).is_none()).collect();
    let names = |list: &[&Feature]| {
        let names: Vec<&str> = list.iter().map(|f| f.name.as_str()).collect();
        if names.is_empty() { "none for this style".to_owned() } else { names.join(", ") }
    };
    let Some(given) = given else {
        if offered.is_empty() {
            return Ok(Vec::new());
        }
        let options: Vec<(&str, &str)> =
            offered.iter().map(|f| (f.name.as_str(), f.manifest.guidance.as_str())).collect();
        let defaults: Vec<bool> = offered.iter().map(|f| f.manifest.default).collect();
        let picked = prompter.multi_select("Features", &options, &defaults)?;
        return Ok(offered
            .iter()
            .enumerate()
            .filter(|(i, _)| picked.contains(i))
            .map(|(_, f)| f.name.clone())
            .collect());
    };
    let mut chosen = Vec::new();
    for name in given.iter().map(|n| n.trim()).filter(|n| !n.is_empty() && *n != "none") {
        let Some(feature) = catalogue.iter().find(|f| f.name == name) else {
            return Err(Error::InvalidFeature {
                name: name.to_owned(),
                reason: "there is no such feature".into(),
                help: format!("the features of a {} project: {}", shape.style().name(), names(&offered)),
            });
        };
        if let Some(reason) = feature.refusal(shape) {
            return Err(Error::InvalidFeature {
                name: name.to_owned(),
                reason,
                help: format!("leave it out; the features of a {} project: {}", shape.style().name(), names(&offered)),
            });
        }
        chosen.push(feature.name.clone());
    }
    Ok(catalogue.iter().filter(|f| chosen.contains(&f.name)).map(|f| f.name.clone()).collect())
}

/// Where a style's app has its integration tests (`app/test-app`; microservices: each
/// service's): a feature's `tests/` is mounted there, its modules declared in the slot
/// `test_modules`.
#[must_use]
pub fn tests_root(style: Style) -> &'static str {
    match style {
        Style::Monolith => "tests/api/",
        Style::Microservices => "services/{{service.kebab}}/tests/api/",
        Style::Serverless => "crates/core/tests/api/",
    }
}

/// How often a feature's `tests/` is mounted: once, or once per service (microservices).
fn tests_per(style: Style) -> Per {
    match style {
        Style::Microservices => Per::Service,
        Style::Monolith | Style::Serverless => Per::Project,
    }
}

/// Where a style's application code lives: a feature's `code/` is mounted there.
#[must_use]
pub fn code_root(style: Style) -> &'static str {
    match style {
        Style::Monolith => "src/",
        Style::Microservices => "crates/common/src/",
        Style::Serverless => "crates/core/src/",
    }
}

/// The feature a database answer means: its storage, migrations, tests and deployment, and its
/// part of the docs.
fn db_feature(db: Db) -> &'static str {
    match db {
        Db::Postgres => "db-postgres",
        Db::Sqlite => "db-sqlite",
        Db::None => "db-none",
    }
}

/// Every feature in the templates, by name.
///
/// # Errors
/// A feature folder without a valid `feature.toml`: a bug in the templates.
pub fn catalogue() -> Result<Vec<Feature>> {
    catalogue_in(&TEMPLATES)
}

/// Every feature in the template tree `root` (the embedded one, or with custom templates).
///
/// # Errors
/// As [`catalogue`].
pub fn catalogue_in(root: &'static Dir<'static>) -> Result<Vec<Feature>> {
    let Some(features) = root.get_dir("features") else { return Ok(Vec::new()) };
    let mut all = features
        .dirs()
        .map(|dir| Feature::load(root, &dir.path().to_string_lossy().replace('\\', "/")))
        .collect::<Result<Vec<_>>>()?;
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// The option features a project of `shape` has: what its answers mean (`db-postgres`,
/// `events-nats`, …).
fn options_of(shape: &Shape) -> Vec<&'static str> {
    match shape {
        Shape::Monolith { db } => vec![db_feature(*db)],
        Shape::Microservices { events: Events::Nats, .. } => vec!["events-nats"],
        Shape::Microservices { events: Events::None, .. } => Vec::new(),
        Shape::Serverless { postgres, .. } => vec![db_feature(if *postgres { Db::Postgres } else { Db::None })],
    }
}

/// The features a project with these answers has, in the order their fragments are joined.
///
/// # Errors
/// A feature the answers need is missing from the templates: a bug.
pub fn active(answers: &Answers) -> Result<Vec<Feature>> {
    let catalogue = catalogue_in(answers.templates_root())?;
    options_of(&answers.shape)
        .into_iter()
        .chain(answers.features.iter().map(String::as_str))
        .map(|name| {
            catalogue
                .iter()
                .find(|f| f.name == name)
                .cloned()
                .ok_or_else(|| Error::Template(format!("feature `{name}` is missing from templates/features")))
        })
        .collect()
}

/// The style × feature table of README (between its `features:begin`/`features:end` markers):
/// for each feature a user can choose, whether each style and platform takes it, or why not.
///
/// # Errors
/// A feature folder without a valid `feature.toml`: a bug in the templates.
pub fn table() -> Result<String> {
    let names = crate::names::Names::new("shop")?;
    let shapes = [
        ("monolith", Shape::Monolith { db: Db::Postgres }),
        ("microservices", Shape::Microservices { services: vec![names], events: Events::Nats, calls: Vec::new() }),
        ("serverless: AWS Lambda", Shape::Serverless { platform: Platform::AwsLambda, postgres: true }),
        ("serverless: Knative", Shape::Serverless { platform: Platform::Knative, postgres: true }),
    ];
    let features: Vec<Feature> = catalogue()?.into_iter().filter(|f| f.manifest.option.is_none()).collect();
    if features.is_empty() {
        return Ok("No feature to choose yet: the database and events answers (`--db`, `--events`) are features\n\
                   underneath, chosen by their own flags.\n"
            .to_owned());
    }
    let mut out = String::from("| feature | what it adds |");
    for (name, _) in &shapes {
        let _ = write!(out, " {name} |");
    }
    out.push_str("\n| --- | --- |");
    out.push_str(&" --- |".repeat(shapes.len()));
    out.push('\n');
    for feature in &features {
        let default = if feature.manifest.default { " (default)" } else { "" };
        let _ = write!(out, "| `{}`{default} | {} |", feature.name, feature.manifest.guidance);
        for (_, shape) in &shapes {
            match feature.refusal(shape) {
                None => out.push_str(" yes |"),
                Some(reason) => {
                    let _ = write!(out, " no: {reason} |");
                }
            }
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(refuses: &[(&str, &str)]) -> Feature {
        Feature {
            name: "probe".into(),
            manifest: Manifest {
                styles: vec![Style::Monolith, Style::Serverless],
                guidance: "a probe".into(),
                option: None,
                default: false,
                refuses: refuses.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            },
            dir: "features/probe".into(),
            root: &TEMPLATES,
        }
    }

    #[test]
    fn an_option_feature_can_be_refused_with_its_reason() {
        let probe = feature(&[("db-none", "nothing to cache"), ("aws-lambda", "short-lived")]);
        assert_eq!(probe.refusal(&Shape::Monolith { db: Db::None }).as_deref(), Some("nothing to cache"));
        assert_eq!(probe.refusal(&Shape::Monolith { db: Db::Postgres }), None);
        assert_eq!(probe.refusal(&Shape::Monolith { db: Db::Sqlite }), None);
        let knative = |postgres| Shape::Serverless { platform: Platform::Knative, postgres };
        assert_eq!(probe.refusal(&knative(true)), None);
        assert_eq!(probe.refusal(&knative(false)).as_deref(), Some("nothing to cache"));
        let lambda = Shape::Serverless { platform: Platform::AwsLambda, postgres: true };
        assert_eq!(probe.refusal(&lambda).as_deref(), Some("short-lived"));
    }
}
