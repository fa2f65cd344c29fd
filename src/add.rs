//! `add service`: grow a generated microservices project by one service — a front end of
//! [`crate::change::apply`] whose change is "the answers plus this service".

use std::path::PathBuf;

use crate::change::{self, Change, Options};
use crate::cli::AddServiceArgs;
use crate::error::Result;

/// The result of `add service`.
#[derive(Debug)]
pub struct Added {
    pub project: PathBuf,
    pub service: String,
    pub answers: crate::answers::Answers,
    pub changes: Vec<Change>,
    pub dry_run: bool,
}

/// Adds a service to the project at `args.path`.
///
/// # Errors
/// Not a generated microservices project, an invalid or taken name, files that cannot be merged
/// (nothing is changed then), or an I/O failure.
pub fn add_service(args: &AddServiceArgs) -> Result<Added> {
    let options = Options { dry_run: args.dry_run, ..Options::default() };
    let applied = change::apply(&args.path, options, |before| before.with_service(&args.name))?;
    Ok(Added {
        project: applied.project,
        service: args.name.clone(),
        answers: applied.answers,
        changes: applied.changes,
        dry_run: applied.dry_run,
    })
}
