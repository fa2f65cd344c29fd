//! cargo-archgen generates production-grade Rust backend projects from embedded templates.
//!
//! Data flows one way: [`cli`] → [`answers::Answers::resolve`] → [`plan::plan`] →
//! [`render::render`] → [`write::write`] (with [`vcs::Plan`]), and [`report`] prints the outcome.

pub mod add;
pub mod advise;
pub mod answers;
pub mod calls;
pub mod change;
pub mod cli;
pub mod compile;
pub mod completions;
pub mod context;
pub mod error;
pub mod features;
pub mod limits;
pub mod lockfile;
pub mod names;
pub mod next_steps;
pub mod overlay;
pub mod plan;
pub mod pristine;
pub mod prompt;
pub mod render;
pub mod report;
pub mod repository;
pub mod resources;
pub mod update;
pub mod vcs;
pub mod verify;
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
    /// `update` changed (or, with `--dry-run`, would change) the project.
    Updated(Box<change::Applied>),
    /// `diff`: what `update` would change.
    Diff(Box<change::Applied>),
    /// `new` was answered "no" at "Create it?": nothing was written.
    Declined(Box<answers::Answers>),
    /// `templates export`: how many files went where.
    Exported { files: usize, output: PathBuf },
    /// `completions`: the script, for [`report`] to print.
    Completions(String),
    /// `advise`: the recommendation and the command lines.
    Advised(Box<advise::session::Advised>),
}

/// The result of `new`.
#[derive(Debug)]
pub struct Generated {
    pub answers: answers::Answers,
    pub target: PathBuf,
    pub files: Vec<(String, usize)>,
    pub dry_run: bool,
    pub git: vcs::GitOutcome,
    /// With `--verify`: what the checks found.
    pub verified: Option<verify::Report>,
}

/// Runs one command.
///
/// # Errors
/// Every failure is an [`Error`] that says what to do next.
pub fn run(cli: &cli::Cli) -> Result<Outcome> {
    match &cli.command {
        cli::Command::New(args) => new_project(args, prompt::for_session(args).as_mut()),
        cli::Command::Add(cli::AddCommand::Service(args)) => {
            add::add_service(args).map(|a| Outcome::Added(Box::new(a)))
        }
        cli::Command::Add(cli::AddCommand::Resource(args)) => {
            add::add_resource(args).map(|a| Outcome::Added(Box::new(a)))
        }
        cli::Command::Add(cli::AddCommand::Feature(args)) => {
            add::add_feature(args).map(|a| Outcome::Added(Box::new(a)))
        }
        cli::Command::Update(args) => update::update(args).map(|a| Outcome::Updated(Box::new(a))),
        cli::Command::Diff(args) => update::diff(args).map(|a| Outcome::Diff(Box::new(a))),
        cli::Command::Templates(cli::TemplatesCommand::Export { layer, output }) => {
            overlay::export(layer.as_deref(), output).map(|files| Outcome::Exported { files, output: output.clone() })
        }
        cli::Command::Completions { shell } => Ok(Outcome::Completions(completions::script(*shell))),
        cli::Command::Advise(args) => advise::session::run(args, prompt::for_flags(args.yes, args.json).as_mut())
            .map(|a| Outcome::Advised(Box::new(a))),
    }
}

/// `new`, asking `prompter` what flags and the answers file left open, and for a yes before
/// writing.
///
/// # Errors
/// Every failure is an [`Error`] that says what to do next.
pub fn new_project(args: &cli::NewArgs, prompter: &mut dyn prompt::Prompter) -> Result<Outcome> {
    // A signal stops the run at a safe point instead of killing it (and a prompt gives the
    // terminal back as it was: see `prompt::Terminal`).
    write::catch_signals();
    let file = args.answers.as_deref().map(answers::AnswersFile::load).transpose()?;
    // A taken target is reported as soon as it is known, not after every question: before any
    // question when --output names it, else as soon as the name is.
    if let Some(output) = &args.output {
        write::check_target(output, args.force)?;
    }
    let target_free = |name: &str| match args.output {
        Some(_) => Ok(()),
        None => write::check_target(&args.target(name), args.force),
    };
    let mut answers = answers::Answers::resolve_checking(args, file.as_ref(), prompter, &target_free)?;
    let target = args.target(&answers.name);
    // The project records its templates folder relative to itself, so the project and the
    // folder can move together (a team repository holding both).
    if let (Some(dir), Some(overlay)) = (&args.templates, answers.templates.as_mut()) {
        let absolute = |p: &std::path::Path| std::env::current_dir().map_or_else(|_| p.to_owned(), |cwd| cwd.join(p));
        overlay.recorded = overlay::relative_to(&absolute(&target), &absolute(dir));
    }
    if !args.dry_run && !prompter.confirm(&report::before_writing(&answers, &target), "Create it?", true)? {
        return Ok(Outcome::Declined(Box::new(answers)));
    }
    write::interrupted()?;
    generate(answers, target, args).map(|g| Outcome::Generated(Box::new(g)))
}

fn generate(answers: answers::Answers, target: PathBuf, args: &cli::NewArgs) -> Result<Generated> {
    let tree = render::render(&answers)?;
    let files = tree.iter().map(|(path, body)| (path.clone(), body.len())).collect();
    if args.dry_run {
        write::check(&tree, &target, args.force)?;
        return Ok(Generated { answers, target, files, dry_run: true, git: vcs::GitOutcome::DryRun, verified: None });
    }
    let git = if args.no_git { vcs::Plan::Skip(vcs::GitOutcome::Disabled) } else { vcs::Plan::for_target(&target) };
    let repository = git.files(&tree, &target);
    write::write(&tree, &repository, &target, args.force)?;
    let git = git.outcome();
    let verified = args.verify.then(|| verify::verify(&target, &tree));
    Ok(Generated { answers, target, files, dry_run: false, git, verified })
}
