//! Features: each lives in one folder under `templates/features/<name>/` and reaches a project
//! only by adding files and filling *slots*, never by replacing a base file.
//!
//! ```text
//! templates/features/<name>/
//!   feature.toml            styles it supports, one line of guidance
//!   code/…                  its modules, mounted at the style's code root (see `code_root`)
//!   files/…                 its other files, at the project root
//!   service/…               per service (microservices), at the project root
//!   slots/<slot>.hbs        fragments for named slots (see `context::Slots`)
//!   styles/<style>/…        the same four, only where a style's wiring truly differs; a
//!                           style's fragment replaces the feature's fragment for that slot
//! ```
//!
//! A slot is a typed field of the context ([`crate::context::Slots`], [`crate::context::ServiceSlots`]),
//! placed in a style's composition root as a line of its own: `{{> slot/dependencies}}`. The
//! fragments of all active features are rendered with the project's context (a service slot:
//! once per service, with that service's) and joined in feature order. A fragment for a slot that
//! does not exist fails with its file; one for a slot no template of the project places (a CI
//! file with `--ci none`) has nowhere to go and is left out.

use include_dir::Dir;
use serde::Deserialize;

use crate::answers::{Answers, Shape};
use crate::cli::{Events, Style};
use crate::error::{Error, Result};
use crate::plan::{Layer, TEMPLATES};

/// What a feature says about itself in its `feature.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The styles it can be part of.
    pub styles: Vec<Style>,
    /// One line that helps a user decide.
    pub guidance: String,
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

    /// The feature's layers for `style`: its own, then the style's.
    #[must_use]
    pub fn layers(&self, style: Style) -> Vec<Layer> {
        let mut layers = Vec::new();
        for base in [self.dir.clone(), format!("{}/styles/{}", self.dir, crate::cli::Choice::name(style))] {
            for (folder, per_service, prefix) in
                [("code", false, code_root(style)), ("files", false, ""), ("service", true, "")]
            {
                let dir = format!("{base}/{folder}");
                if self.root.get_dir(&dir).is_some() {
                    layers.push(Layer { root: self.root, dir, prefix, per_service });
                }
            }
        }
        layers
    }

    /// The fragments for `style`, as `(slot, template path inside root, source)`, the style's
    /// own replacing the feature's for the same slot; sorted by slot.
    #[must_use]
    pub fn fragments(&self, style: Style) -> Vec<(String, String, &'static str)> {
        let mut found = std::collections::BTreeMap::new();
        for base in
            [format!("{}/slots", self.dir), format!("{}/styles/{}/slots", self.dir, crate::cli::Choice::name(style))]
        {
            let Some(dir) = self.root.get_dir(&base) else { continue };
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

/// Where a style's application code lives: a feature's `code/` is mounted there.
#[must_use]
pub fn code_root(style: Style) -> &'static str {
    match style {
        Style::Monolith => "src/",
        Style::Microservices => "crates/common/src/",
        Style::Serverless => "crates/core/src/",
    }
}

/// Every feature in the templates, by name.
///
/// # Errors
/// A feature folder without a valid `feature.toml`: a bug in the templates.
pub fn catalogue() -> Result<Vec<Feature>> {
    let Some(features) = TEMPLATES.get_dir("features") else { return Ok(Vec::new()) };
    let mut all = features
        .dirs()
        .map(|dir| Feature::load(&TEMPLATES, &dir.path().to_string_lossy().replace('\\', "/")))
        .collect::<Result<Vec<_>>>()?;
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// The features a project with these answers has, in the order their fragments are joined.
///
/// # Errors
/// A feature the answers need is missing from the templates: a bug.
pub fn active(answers: &Answers) -> Result<Vec<Feature>> {
    let names: Vec<&str> = match &answers.shape {
        Shape::Microservices { events: Events::Nats, .. } => vec!["events-nats"],
        Shape::Microservices { events: Events::None, .. } | Shape::Monolith { .. } | Shape::Serverless { .. } => {
            Vec::new()
        }
    };
    let catalogue = catalogue()?;
    names
        .into_iter()
        .map(|name| {
            catalogue
                .iter()
                .find(|f| f.name == name)
                .cloned()
                .ok_or_else(|| Error::Template(format!("feature `{name}` is missing from templates/features")))
        })
        .collect()
}
