//! cargo-archgen generates production-grade Rust backend projects from embedded templates.
//!
//! Data flows one way: [`cli`] → [`answers::Answers::resolve`] → [`plan::plan`] →
//! [`render::render`] → [`write::write`] (with [`vcs::Plan`]), and [`report`] prints the outcome.

pub mod add;
pub mod answers;
pub mod cli;
pub mod compile;
pub mod context;
pub mod error;
pub mod features;
pub mod limits;
pub mod lockfile;
pub mod names;
pub mod next_steps;
pub mod plan;
pub mod prompt;
pub mod render;
pub mod report;
pub mod repository;
pub mod vcs;
pub mod write;

use std::path::PathBuf;

pub use error::{Error, Result};

/// What a successful command did, for [`report`] to print.
#[derive(Debug)]
pub enum Outcome {
    /// `new` generated (or, with `--dry-run`, would generate) a project.
    Generated(Box<Generated>),
    /// `add service` added (or, with `--dry-run`, would add) a service.
    Added(Box<add::Added>),
    /// `completions` printed a completion script.
    Printed,
}

/// The result of `new`.
#[derive(Debug)]
pub struct Generated {
    pub answers: answers::Answers,
    pub target: PathBuf,
    pub files: Vec<(String, usize)>,
    pub dry_run: bool,
    pub git: vcs::GitOutcome,
}

/// Runs one command.
///
/// # Errors
/// Every failure is an [`Error`] that says what to do next.
pub fn run(cli: &cli::Cli) -> Result<Outcome> {
    match &cli.command {
        cli::Command::New(args) => new_project(args).map(|g| Outcome::Generated(Box::new(g))),
        cli::Command::Add(cli::AddCommand::Service(args)) => {
            add::add_service(args).map(|a| Outcome::Added(Box::new(a)))
        }
        cli::Command::Completions { shell } => {
            cli::print_completions(*shell);
            Ok(Outcome::Printed)
        }
    }
}

fn new_project(args: &cli::NewArgs) -> Result<Generated> {
    let file = args.answers.as_deref().map(answers::AnswersFile::load).transpose()?;
    let mut prompter = prompt::for_session(args);
    let answers = answers::Answers::resolve(args, file.as_ref(), prompter.as_mut())?;
    // Answered: from here a signal stops the run at a safe point instead of killing it.
    write::catch_signals();
    let target = args.output.clone().unwrap_or_else(|| PathBuf::from(&answers.name));
    let tree = render::render(&answers)?;
    let files = tree.iter().map(|(path, body)| (path.clone(), body.len())).collect();
    if args.dry_run {
        write::check(&tree, &target, args.force)?;
        return Ok(Generated { answers, target, files, dry_run: true, git: vcs::GitOutcome::DryRun });
    }
    let git = if args.no_git { vcs::Plan::Skip(vcs::GitOutcome::Disabled) } else { vcs::Plan::for_target(&target) };
    let repository = git.files(&tree, &target);
    write::write(&tree, &repository, &target, args.force)?;
    let git = git.outcome();
    Ok(Generated { answers, target, files, dry_run: false, git })
}
