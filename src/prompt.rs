//! Prompts, behind a trait so that tests and non-interactive runs never block.

use std::fmt;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use console::{Term, measure_text_width, truncate_str};
use dialoguer::theme::Theme;

use crate::cli::NewArgs;
use crate::error::{Error, Result};

/// Asks the user for answers that flags and the answers file left open.
pub trait Prompter {
    /// A line of text that `validate` accepts, or `None` when there is nobody to ask (the caller
    /// then takes `default` or fails).
    ///
    /// # Errors
    /// The prompt itself failed, or the user pressed Ctrl-C ([`Error::Interrupted`]).
    fn input(
        &mut self,
        prompt: &str,
        default: Option<&str>,
        validate: &dyn Fn(&str) -> Result<()>,
    ) -> Result<Option<String>>;

    /// The index of the chosen option; `options` are `(value, one line of guidance)`.
    ///
    /// # Errors
    /// The prompt itself failed, or the user pressed Ctrl-C.
    fn select(&mut self, question: &str, options: &[(&str, &str)], default: usize) -> Result<usize>;

    /// The indices of the chosen options (any number); `defaults` says which start chosen.
    /// Without a terminal to ask on: the defaults.
    ///
    /// # Errors
    /// The prompt itself failed, or the user pressed Ctrl-C.
    fn multi_select(&mut self, _question: &str, _options: &[(&str, &str)], defaults: &[bool]) -> Result<Vec<usize>> {
        Ok(defaults.iter().enumerate().filter(|(_, on)| **on).map(|(i, _)| i).collect())
    }

    /// Shows `summary` (lines ending in `\n`) and asks a yes/no `question`.
    ///
    /// # Errors
    /// The prompt itself failed, or the user pressed Ctrl-C.
    fn confirm(&mut self, summary: &str, question: &str, default: bool) -> Result<bool>;
}

/// Never asks: no name, the default of every choice, and yes. Used with `--yes`, `--json` and
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

    fn confirm(&mut self, _summary: &str, _question: &str, _default: bool) -> Result<bool> {
        Ok(true)
    }
}

/// Asks on the terminal (stderr) with dialoguer.
///
/// Each prompt holds a [`Waiting`] guard: menus hide the cursor, and however a prompt ends
/// (answer, Ctrl-C, error) the cursor is shown again. Lines never exceed the terminal's width,
/// since dialoguer redraws by counting lines: menu entries are shortened, validation errors
/// wrapped.
#[derive(Debug, Default, Clone, Copy)]
pub struct Terminal;

impl Prompter for Terminal {
    fn input(
        &mut self,
        prompt: &str,
        default: Option<&str>,
        validate: &dyn Fn(&str) -> Result<()>,
    ) -> Result<Option<String>> {
        let _waiting = Waiting::start();
        let mut input = dialoguer::Input::<String>::with_theme(&Plain)
            .with_prompt(prompt)
            .validate_with(|input: &String| validate(input).map_err(|e| format!("{e}; {}", e.help())));
        if let Some(default) = default {
            input = input.default(default.to_owned());
        }
        input.interact_text().map(Some).map_err(prompt_error)
    }

    fn select(&mut self, question: &str, options: &[(&str, &str)], default: usize) -> Result<usize> {
        let _waiting = Waiting::start();
        dialoguer::Select::with_theme(&Plain)
            .with_prompt(question)
            .items(menu(options, columns()))
            .default(default)
            .interact()
            .map_err(prompt_error)
    }

    fn multi_select(&mut self, question: &str, options: &[(&str, &str)], defaults: &[bool]) -> Result<Vec<usize>> {
        let _waiting = Waiting::start();
        dialoguer::MultiSelect::with_theme(&Plain)
            // The prompt line ends with ": " and, like every line drawn, fits the terminal.
            .with_prompt(truncate_str(
                &format!("{question} (space to toggle, enter to accept)"),
                columns().saturating_sub(2),
                "…",
            ))
            .items(menu(options, columns().saturating_sub(4)))
            .defaults(defaults)
            .interact()
            .map_err(prompt_error)
    }

    fn confirm(&mut self, summary: &str, question: &str, default: bool) -> Result<bool> {
        let _waiting = Waiting::start();
        let term = Term::stderr();
        for line in summary.lines() {
            term.write_line(&truncate_str(line, columns(), "…")).map_err(|e| Error::Prompt(e.to_string()))?;
        }
        dialoguer::Confirm::with_theme(&Plain).with_prompt(question).default(default).interact().map_err(prompt_error)
    }
}

/// Ctrl-C in a prompt is an interruption like any other (nothing was written yet).
fn prompt_error(error: dialoguer::Error) -> Error {
    match error {
        dialoguer::Error::IO(e) if e.kind() == std::io::ErrorKind::Interrupted => Error::Interrupted,
        dialoguer::Error::IO(e) => Error::Prompt(e.to_string()),
    }
}

static WAITING: AtomicBool = AtomicBool::new(false);

/// Whether a prompt is waiting for the user (for the signal handler: see
/// [`crate::write::catch_signals`]).
pub(crate) fn waiting() -> bool {
    WAITING.load(Ordering::SeqCst)
}

/// Shows the cursor again, which dialoguer hides while a menu or a yes/no question is up.
pub(crate) fn restore_terminal() {
    let _ = Term::stderr().show_cursor();
}

/// Marks a prompt as waiting; when dropped, however the prompt ended, the terminal is restored.
struct Waiting;

impl Waiting {
    fn start() -> Self {
        WAITING.store(true, Ordering::SeqCst);
        Self
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.store(false, Ordering::SeqCst);
        restore_terminal();
    }
}

/// The width of the terminal prompts are drawn on.
fn columns() -> usize {
    usize::from(Term::stderr().size().1).max(20)
}

/// Menu entries: the value, then its guidance, each entry shortened to fit `columns` after the
/// two-column marker dialoguer puts in front.
fn menu(options: &[(&str, &str)], columns: usize) -> Vec<String> {
    let width = options.iter().map(|(value, _)| value.len()).max().unwrap_or(0);
    options
        .iter()
        .map(|(value, guidance)| truncate_str(&format!("{value:width$}  {guidance}"), columns - 3, "…").into_owned())
        .collect()
}

/// dialoguer's plain theme, but a chosen option is echoed as its value alone
/// (`Database: postgres`) and an error is wrapped to the terminal's width.
struct Plain;

impl Theme for Plain {
    fn format_error(&self, f: &mut dyn fmt::Write, err: &str) -> fmt::Result {
        const PREFIX: &str = "error: ";
        let lines = wrap(err, columns().saturating_sub(PREFIX.len() + 1).max(20));
        write!(f, "{PREFIX}{}", lines.join(&format!("\n{:width$}", "", width = PREFIX.len())))
    }

    fn format_select_prompt_selection(&self, f: &mut dyn fmt::Write, prompt: &str, sel: &str) -> fmt::Result {
        let value = sel.split("  ").next().unwrap_or(sel).trim_end();
        write!(f, "{prompt}: {value}")
    }

    fn format_multi_select_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        selections: &[&str],
    ) -> fmt::Result {
        // The question without its key hint, then the values alone: `Features: cache`.
        let question = prompt.split(" (").next().unwrap_or(prompt);
        let values: Vec<&str> = selections.iter().map(|s| s.split("  ").next().unwrap_or(s).trim_end()).collect();
        write!(f, "{question}: {}", if values.is_empty() { "none".to_owned() } else { values.join(", ") })
    }
}

/// `text` in lines of at most `width` columns, broken at spaces (a longer word is cut).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for mut word in text.split(' ') {
        while measure_text_width(word) > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let cut = word.char_indices().nth(width).map_or(word.len(), |(i, _)| i);
            lines.push(word[..cut].to_owned());
            word = &word[cut..];
        }
        if line.is_empty() {
            word.clone_into(&mut line);
        } else if measure_text_width(&line) + 1 + measure_text_width(word) <= width {
            line.push(' ');
            line.push_str(word);
        } else {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The prompter for this run: the terminal only when both stdin and stdout are terminals and
/// neither `--yes` nor `--json` was given.
#[must_use]
pub fn for_session(args: &NewArgs) -> Box<dyn Prompter> {
    for_flags(args.yes, args.json)
}

/// The prompter for a command with `--yes` and `--json`: the terminal only when both stdin and
/// stdout are terminals and neither flag was given.
#[must_use]
pub fn for_flags(yes: bool, json: bool) -> Box<dyn Prompter> {
    if yes || json || !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        Box::new(Defaults)
    } else {
        Box::new(Terminal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_wrap_within_the_width_and_keep_every_word() {
        let text = "invalid project name \"a-very-long-name-that-goes-on\": it is longer than allowed; pick another name, e.g. \"shop\"";
        for width in [20, 33, 60, 200] {
            let lines = wrap(text, width);
            assert!(lines.iter().all(|l| measure_text_width(l) <= width), "{width}: {lines:?}");
            assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""), "{width}");
            if width >= 60 {
                assert_eq!(lines.join(" "), text, "{width}: no word is cut when every word fits");
            }
        }
        let long = "x".repeat(50);
        assert_eq!(wrap(&long, 20), ["x".repeat(20), "x".repeat(20), "x".repeat(10)]);
        assert_eq!(wrap("", 20), [""]);
    }

    #[test]
    fn menu_entries_fit_the_terminal_and_the_echo_is_the_value_alone() {
        let options = [("postgres", "PostgreSQL via sqlx: the default for services that scale out"), ("none", "no db")];
        let items = menu(&options, 40);
        assert!(items.iter().all(|i| measure_text_width(i) <= 37), "{items:?}");
        assert!(items[0].starts_with("postgres  PostgreSQL") && items[0].ends_with('…'));
        for (item, (value, _)) in items.iter().zip(options) {
            let mut echo = String::new();
            Plain.format_select_prompt_selection(&mut echo, "Database", item).unwrap();
            assert_eq!(echo, format!("Database: {value}"));
        }
    }

    #[test]
    fn defaults_say_yes() {
        assert!(Defaults.confirm("summary\n", "Create it?", false).unwrap());
    }
}
