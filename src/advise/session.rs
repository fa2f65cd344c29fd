//! The `advise` command: flags, then prompts for what they left open (only on a terminal: the
//! [`crate::prompt::Defaults`] prompter leaves every question not answered), into a
//! [`Situation`]; then the advice and the `new` command lines to run.

use super::{
    Advice, DATA, DOMAIN, Data, Domain, Existing, LATENCY, Latency, MVP, OPS, Ops, PLATFORM, Question, Situation,
    TEAM_SIZE, TEAMS, TRAFFIC, Traffic, advise,
};
use crate::answers::{Answers, Shape};
use crate::cli::{AdviseArgs, Choice, Ci};
use crate::error::{Error, Result};
use crate::names::Names;
use crate::prompt::Prompter;

/// The project name in the printed command lines when `--name` is not given.
pub const PLACEHOLDER: &str = "NAME";

/// What a prompt offers, and takes as its default, for "no answer".
pub const NOT_SURE: &str = "not sure";

/// The result of `advise`, for [`crate::report`].
#[derive(Debug)]
pub struct Advised {
    /// What was answered (by flags or prompts).
    pub situation: Situation,
    pub advice: Advice,
    /// `cargo archgen new …` for the advice.
    pub command: String,
    /// `cargo archgen new …` for the alternative.
    pub alternative_command: String,
}

/// Runs `advise`: `--name` checked first, then the questions the flags left open, then the
/// advice.
///
/// # Errors
/// An invalid `--name`, a failed prompt, or Ctrl-C.
pub fn run(args: &AdviseArgs, prompter: &mut dyn Prompter) -> Result<Advised> {
    crate::write::catch_signals();
    let names = args.name.as_deref().map(Names::new).transpose()?;
    let situation = situation(args, prompter)?;
    crate::write::interrupted()?;
    let advice = advise(&situation);
    let command = command_line(&advice.shape, advice.ci, names.as_ref())?;
    let alternative_command = command_line(&advice.alternative.shape, advice.ci, names.as_ref())?;
    Ok(Advised { situation, advice, command, alternative_command })
}

/// The flags, and the prompter's answers for what they left open, in the order of the
/// questions.
///
/// # Errors
/// A failed prompt, or Ctrl-C.
pub fn situation(args: &AdviseArgs, prompter: &mut dyn Prompter) -> Result<Situation> {
    Ok(Situation {
        teams: count(prompter, TEAMS, args.teams)?,
        team_size: count(prompter, TEAM_SIZE, args.team_size)?,
        domain: choose::<Domain>(prompter, DOMAIN, args.domain)?,
        traffic: choose::<Traffic>(prompter, TRAFFIC, args.traffic)?,
        latency: choose::<Latency>(prompter, LATENCY, args.latency)?,
        ops: choose::<Ops>(prompter, OPS, args.ops)?,
        platform: choose::<Existing>(prompter, PLATFORM, args.platform)?,
        mvp: yes_no(prompter, MVP, args.mvp)?,
        data: choose::<Data>(prompter, DATA, args.data)?,
    })
}

/// `cargo archgen new …` for `shape`, named `--name` or [`PLACEHOLDER`].
fn command_line(shape: &Shape, ci: Ci, names: Option<&Names>) -> Result<String> {
    let (name, names) = match names {
        Some(names) => (names.name.clone(), names.clone()),
        // Only the name is printed; the placeholder is no valid name, so it stands in.
        None => (PLACEHOLDER.to_owned(), Names::new("app")?),
    };
    let resources = crate::resources::resolve(&[], shape)?;
    let features = crate::features::choose(None, shape, &crate::plan::TEMPLATES, &mut crate::prompt::Defaults)?;
    Ok(Answers { name, names, ci, shape: shape.clone(), templates: None, resources, features }.command_line(None))
}

fn count(prompter: &mut dyn Prompter, question: Question, given: Option<u16>) -> Result<Option<u16>> {
    if given.is_some() {
        return Ok(given);
    }
    let validate = |input: &str| parse_count(input, question).map(|_| ());
    match prompter.input(question.prompt, Some(NOT_SURE), &validate)? {
        Some(text) => parse_count(&text, question),
        None => Ok(None),
    }
}

/// A count typed at a prompt: a whole number from 1, or [`NOT_SURE`] (or nothing) for none.
fn parse_count(input: &str, question: Question) -> Result<Option<u16>> {
    let input = input.trim();
    if input.is_empty() || input == NOT_SURE {
        return Ok(None);
    }
    match input.parse::<u16>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(Error::InvalidAnswer {
            question: question.prompt,
            answer: input.to_owned(),
            expected: format!("a whole number from 1 to {}, or \"{NOT_SURE}\"", u16::MAX),
        }),
    }
}

fn choose<T: Choice>(prompter: &mut dyn Prompter, question: Question, given: Option<T>) -> Result<Option<T>> {
    if given.is_some() {
        return Ok(given);
    }
    let assume = format!("assume {}", T::default_value().name());
    let mut options: Vec<(&str, &str)> = T::value_variants().iter().map(|v| (v.name(), v.guidance())).collect();
    options.push((NOT_SURE, &assume));
    let chosen = prompter.select(question.prompt, &options, options.len() - 1)?;
    Ok(T::value_variants().get(chosen).copied())
}

fn yes_no(prompter: &mut dyn Prompter, question: Question, given: Option<bool>) -> Result<Option<bool>> {
    if given.is_some() {
        return Ok(given);
    }
    let options = [
        ("yes", "an MVP, or a deadline that leaves no room"),
        ("no", "a product meant to last, on a normal schedule"),
        (NOT_SURE, "assume no"),
    ];
    Ok(match prompter.select(question.prompt, &options, 2)? {
        0 => Some(true),
        1 => Some(false),
        _ => None,
    })
}
