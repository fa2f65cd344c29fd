//! `add service`, `add resource` and `add feature`: grow a generated project by one of them —
//! front ends of [`crate::change::apply`] whose change is "the answers plus this one".

use std::path::PathBuf;

use crate::change::{self, Change, Options};
use crate::cli::{AddFeatureArgs, AddResourceArgs, AddServiceArgs};
use crate::error::Result;

/// The result of `add service`.
#[derive(Debug)]
pub struct Added {
    pub project: PathBuf,
    /// What was added: `service` or `resource`.
    pub kind: &'static str,
    pub name: String,
    pub answers: crate::answers::Answers,
    pub changes: Vec<Change>,
    pub dry_run: bool,
}

impl Added {
    fn of(kind: &'static str, name: &str, applied: change::Applied) -> Self {
        Self {
            project: applied.project,
            kind,
            name: name.to_owned(),
            answers: applied.answers,
            changes: applied.changes,
            dry_run: applied.dry_run,
        }
    }
}

/// Adds a service to the project at `args.project.path`.
///
/// # Errors
/// Not a generated microservices project, an invalid or taken name, files that cannot be merged
/// (nothing is changed then), or an I/O failure.
pub fn add_service(args: &AddServiceArgs) -> Result<Added> {
    let options = Options { dry_run: args.project.dry_run, ..Options::default() };
    let applied = change::apply(&args.project.path, options, |before| before.with_service(&args.name))?;
    Ok(Added::of("service", &args.name, applied))
}

/// Adds a resource to the project at `args.project.path`.
///
/// # Errors
/// Not a generated project, an invalid spec or a taken name, files that cannot be merged
/// (nothing is changed then), or an I/O failure.
pub fn add_resource(args: &AddResourceArgs) -> Result<Added> {
    let options = Options { dry_run: args.project.dry_run, ..Options::default() };
    let name = match &args.service {
        Some(service) => format!("{service}/{}", args.name),
        None => args.name.clone(),
    };
    let spec = format!("{name} {}", args.fields.join(" "));
    let applied = change::apply(&args.project.path, options, |before| before.with_resource(&spec))?;
    Ok(Added::of("resource", &args.name, applied))
}

/// Adds a feature to the project at `args.project.path`.
///
/// # Errors
/// Not a generated project, an unknown feature or one its style cannot take, files that cannot
/// be merged (nothing is changed then), or an I/O failure.
pub fn add_feature(args: &AddFeatureArgs) -> Result<Added> {
    let options = Options { dry_run: args.project.dry_run, ..Options::default() };
    let applied = change::apply(&args.project.path, options, |before| before.with_feature(&args.name))?;
    Ok(Added::of("feature", &args.name, applied))
}
