//! Answers: flags, an answers file and prompts resolved into one validated value.
//!
//! Precedence: a flag wins over the answers file, which wins over a prompt, which wins over the
//! documented default. Nothing renders before [`Answers::resolve`] succeeds.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cli::{Choice, Ci, Db, NewArgs, Style};
use crate::error::{Error, Result};
use crate::names::Names;
use crate::prompt::Prompter;

/// The file name under which a generated project records its answers.
pub const FILE_NAME: &str = "archgen.toml";

/// The answers file: every field optional, unknown fields rejected (they are typos).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersFile {
    /// The cargo-archgen version that wrote the file; informational.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archgen_version: Option<String>,
    pub name: Option<String>,
    pub style: Option<Style>,
    pub db: Option<Db>,
    pub ci: Option<Ci>,
}

impl AnswersFile {
    /// Reads and parses an answers file.
    ///
    /// # Errors
    /// The file is unreadable, or invalid (reported with line and column).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::AnswersUnreadable { path: path.to_owned(), source })?;
        Self::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Self> {
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let (line, column) = line_column(text, offset);
            Error::AnswersInvalid {
                path: path.to_owned(),
                line,
                column,
                message: e.message().trim().replace('\n', " "),
            }
        })
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Everything a project is generated from, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub name: String,
    pub names: Names,
    pub style: Style,
    pub db: Db,
    pub ci: Ci,
}

impl Answers {
    /// Resolves flags, the answers file and prompts into validated answers.
    ///
    /// # Errors
    /// A missing name without a terminal, an invalid name, or a style that is not built yet.
    pub fn resolve(args: &NewArgs, file: Option<&AnswersFile>, prompter: &mut dyn Prompter) -> Result<Self> {
        let file = file.cloned().unwrap_or_default();
        let name = match args.name.clone().or(file.name) {
            Some(name) => name,
            None => prompter.name()?.ok_or(Error::MissingName)?,
        };
        let names = Names::new(&name)?;
        let style = pick(args.style.or(file.style), prompter, "Architecture style")?;
        if style != Style::Monolith {
            return Err(Error::StyleNotAvailable { style: style.name() });
        }
        let db = pick(args.db.or(file.db), prompter, "Database")?;
        let ci = pick(args.ci.or(file.ci), prompter, "CI provider")?;
        Ok(Self { name, names, style, db, ci })
    }

    /// The answers as recorded in the generated project.
    #[must_use]
    pub fn to_file(&self) -> AnswersFile {
        AnswersFile {
            archgen_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            name: Some(self.name.clone()),
            style: Some(self.style),
            db: Some(self.db),
            ci: Some(self.ci),
        }
    }

    /// The contents of `archgen.toml`.
    #[must_use]
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(&self.to_file()).unwrap_or_default();
        format!(
            "# Answers cargo-archgen generated this project from.\n# Replay: cargo archgen new --answers {FILE_NAME} --output <DIR>\n{body}"
        )
    }

    /// The command line that generates the same project without asking anything; `--output`
    /// only when it differs from the default `./NAME`.
    #[must_use]
    pub fn command_line(&self, output: Option<&Path>) -> String {
        let mut line = format!(
            "cargo archgen new {} --style {} --db {} --ci {}",
            self.name,
            self.style.name(),
            self.db.name(),
            self.ci.name()
        );
        if let Some(dir) = output.filter(|dir| *dir != Path::new(&self.name)) {
            line.push_str(" --output ");
            line.push_str(&shell_quote(&dir.display().to_string()));
        }
        line.push_str(" --yes");
        line
    }
}

fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn pick<T: Choice>(given: Option<T>, prompter: &mut dyn Prompter, question: &str) -> Result<T> {
    if let Some(value) = given {
        return Ok(value);
    }
    let options: Vec<(&'static str, &'static str)> =
        T::value_variants().iter().map(|v| (v.name(), v.guidance())).collect();
    let default = T::value_variants().iter().position(|v| v.name() == T::default_value().name()).unwrap_or(0);
    let chosen = prompter.select(question, &options, default)?;
    Ok(T::value_variants().get(chosen).copied().unwrap_or_else(T::default_value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::Defaults;

    #[test]
    fn reports_line_and_column_of_a_bad_value() {
        let text = "name = \"shop\"\nstyle = \"monolith\"\ndb = \"oracle\"\n";
        let Err(Error::AnswersInvalid { line, column, message, .. }) = AnswersFile::parse(text, Path::new("a.toml"))
        else {
            panic!("expected an invalid answers error");
        };
        assert_eq!((line, column), (3, 6));
        assert!(message.contains("oracle") || message.contains("unknown variant"), "{message}");
    }

    #[test]
    fn rejects_unknown_keys() {
        let err = AnswersFile::parse("name = \"shop\"\ndatabase = \"sqlite\"\n", Path::new("a.toml")).unwrap_err();
        assert!(matches!(err, Error::AnswersInvalid { line: 2, column: 1, .. }), "{err:?}");
    }

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let file =
            AnswersFile { name: Some("shop".into()), db: Some(Db::Sqlite), ci: Some(Ci::Gitlab), ..Default::default() };
        let args = NewArgs { ci: Some(Ci::None), ..Default::default() };
        let answers = Answers::resolve(&args, Some(&file), &mut Defaults).unwrap();
        assert_eq!((answers.style, answers.db, answers.ci), (Style::Monolith, Db::Sqlite, Ci::None));
    }

    #[test]
    fn recorded_answers_replay_to_the_same_answers() {
        let args = NewArgs { name: Some("shop".into()), db: Some(Db::None), ..Default::default() };
        let answers = Answers::resolve(&args, None, &mut Defaults).unwrap();
        let file = AnswersFile::parse(&answers.to_toml(), Path::new(FILE_NAME)).unwrap();
        let replayed = Answers::resolve(&NewArgs::default(), Some(&file), &mut Defaults).unwrap();
        assert_eq!(replayed, answers);
    }

    #[test]
    fn no_name_without_a_terminal_is_an_error() {
        let err = Answers::resolve(&NewArgs::default(), None, &mut Defaults).unwrap_err();
        assert!(matches!(err, Error::MissingName));
    }
}
