//! Every way cargo-archgen can fail, each with the next step for the user.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid project name \"{name}\": {reason}")]
    InvalidName { name: String, reason: String, suggestion: String },

    #[error("no project name given and no terminal to ask on")]
    MissingName,

    #[error("the {style} style is not available yet")]
    StyleNotAvailable { style: &'static str },

    #[error("cannot read answers file {}: {source}", path.display())]
    AnswersUnreadable { path: PathBuf, source: std::io::Error },

    #[error("invalid answers file {}:{line}:{column}: {message}", path.display())]
    AnswersInvalid { path: PathBuf, line: usize, column: usize, message: String },

    #[error("{} already exists and is not empty", path.display())]
    TargetNotEmpty { path: PathBuf },

    #[error("{} exists and is not a directory", path.display())]
    TargetNotDirectory { path: PathBuf },

    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },

    #[error("prompt failed: {0}")]
    Prompt(String),

    #[error("git: {0}")]
    Git(#[from] git2::Error),

    /// A template or the plan is broken: a bug in cargo-archgen, not in the user's input.
    #[error("internal template error: {0}")]
    Template(String),
}

impl Error {
    /// One line telling the user what to do next.
    #[must_use]
    pub fn help(&self) -> String {
        match self {
            Self::InvalidName { suggestion, .. } => format!("pick another name, e.g. \"{suggestion}\""),
            Self::MissingName => "pass the name, e.g. `cargo archgen new shop`, or run in a terminal to be asked".into(),
            Self::StyleNotAvailable { .. } => "use `--style monolith` for now; the other styles are on their way".into(),
            Self::AnswersUnreadable { .. } => "check the path given to --answers".into(),
            Self::AnswersInvalid { .. } => {
                "fix that line, or delete it to take the default (see `cargo archgen new --help` for the values)".into()
            }
            Self::TargetNotEmpty { .. } => {
                "choose a new directory with --output, or pass --force to write into it (only generated files are overwritten)".into()
            }
            Self::TargetNotDirectory { .. } => "choose another path with --output".into(),
            Self::Write { .. } => "check that the directory is writable and the disk is not full, or choose another --output".into(),
            Self::Prompt(_) => "pass the answers as flags (see --help) or use --yes for the defaults".into(),
            Self::Git(_) => "the project was written; run `git init` yourself, or pass --no-git".into(),
            Self::Template(_) => "this is a bug in cargo-archgen: please report it with the command you ran".into(),
        }
    }

    /// Exit code: 2 for a usage error (what the user asked for cannot be done), 1 otherwise.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::InvalidName { .. }
            | Self::MissingName
            | Self::StyleNotAvailable { .. }
            | Self::AnswersInvalid { .. } => 2,
            _ => 1,
        }
    }

    /// A stable identifier for `--json` consumers.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidName { .. } => "invalid_name",
            Self::MissingName => "missing_name",
            Self::StyleNotAvailable { .. } => "style_not_available",
            Self::AnswersUnreadable { .. } => "answers_unreadable",
            Self::AnswersInvalid { .. } => "answers_invalid",
            Self::TargetNotEmpty { .. } => "target_not_empty",
            Self::TargetNotDirectory { .. } => "target_not_directory",
            Self::Write { .. } => "write_failed",
            Self::Prompt(_) => "prompt_failed",
            Self::Git(_) => "git_failed",
            Self::Template(_) => "template_error",
        }
    }
}
