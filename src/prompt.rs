//! Prompts, behind a trait so that tests and non-interactive runs never block.

use std::io::IsTerminal;

use crate::cli::NewArgs;
use crate::error::{Error, Result};

/// Asks the user for answers that flags and the answers file left open.
pub trait Prompter {
    /// A line of text that `validate` accepts, or `None` when there is nobody to ask (the caller
    /// then takes `default` or fails).
    ///
    /// # Errors
    /// The prompt itself failed (e.g. the user pressed Ctrl-C).
    fn input(
        &mut self,
        prompt: &str,
        default: Option<&str>,
        validate: &dyn Fn(&str) -> Result<()>,
    ) -> Result<Option<String>>;

    /// The index of the chosen option; `options` are `(value, one line of guidance)`.
    ///
    /// # Errors
    /// The prompt itself failed.
    fn select(&mut self, question: &str, options: &[(&str, &str)], default: usize) -> Result<usize>;
}

/// Never asks: no name, and the default of every choice. Used with `--yes`, `--json` and
/// whenever stdin or stdout is not a terminal.
#[derive(Debug, Default, Clone, Copy)]
pub struct Defaults;

impl Prompter for Defaults {
    fn input(&mut self, _: &str, _: Option<&str>, _: &dyn Fn(&str) -> Result<()>) -> Result<Option<String>> {
        Ok(None)
    }

    fn select(&mut self, _question: &str, _options: &[(&str, &str)], default: usize) -> Result<usize> {
        Ok(default)
    }
}

/// Asks on the terminal with dialoguer.
#[derive(Debug, Default, Clone, Copy)]
pub struct Terminal;

impl Prompter for Terminal {
    fn input(
        &mut self,
        prompt: &str,
        default: Option<&str>,
        validate: &dyn Fn(&str) -> Result<()>,
    ) -> Result<Option<String>> {
        let mut input = dialoguer::Input::<String>::new()
            .with_prompt(prompt)
            .validate_with(|input: &String| validate(input).map_err(|e| format!("{e} ({})", e.help())));
        if let Some(default) = default {
            input = input.default(default.to_owned());
        }
        input.interact_text().map(Some).map_err(|e| Error::Prompt(e.to_string()))
    }

    fn select(&mut self, question: &str, options: &[(&str, &str)], default: usize) -> Result<usize> {
        let width = options.iter().map(|(value, _)| value.len()).max().unwrap_or(0);
        let items: Vec<String> =
            options.iter().map(|(value, guidance)| format!("{value:width$}  {guidance}")).collect();
        dialoguer::Select::new()
            .with_prompt(question)
            .items(&items)
            .default(default)
            .interact()
            .map_err(|e| Error::Prompt(e.to_string()))
    }
}

/// The prompter for this run: the terminal only when both stdin and stdout are terminals and
/// neither `--yes` nor `--json` was given.
#[must_use]
pub fn for_session(args: &NewArgs) -> Box<dyn Prompter> {
    if args.yes || args.json || !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        Box::new(Defaults)
    } else {
        Box::new(Terminal)
    }
}
