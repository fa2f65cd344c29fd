//! `update` and `diff`: the project rendered again with this binary's templates and the answers
//! as `--set` changes them, merged into the user's files by [`crate::change::apply`].

use clap::ValueEnum;

use std::path::Path;

use crate::answers::{Answers, AnswersFile};
use crate::change::{self, Applied, Options};
use crate::cli::{ChangeArgs, DiffArgs, NewArgs, UpdateArgs};
use crate::error::{Error, Result};
use crate::overlay::Overlay;
use crate::prompt::Defaults;

/// The answers a project can change after `new`, as `--set` spells them.
pub const SETTINGS: &[&str] = &["calls", "ci", "db", "events", "features", "services", "templates"];

/// `update`.
///
/// # Errors
/// As [`change::apply`], and a setting that cannot be made.
pub fn update(args: &UpdateArgs) -> Result<Applied> {
    let options = Options { dry_run: args.dry_run, on_conflict: args.conflicts, require_clean: true, diff: false };
    let mut applied = run(&args.change, options)?;
    if args.verify && !args.dry_run {
        applied.verified = Some(crate::verify::verify(&applied.project, &applied.rendered));
    }
    Ok(applied)
}

/// `diff`: what `update` would do, as a unified diff.
///
/// # Errors
/// As [`update`], except that uncommitted work and conflicts are shown, not refused.
pub fn diff(args: &DiffArgs) -> Result<Applied> {
    let options = Options { dry_run: true, on_conflict: change::OnConflict::Markers, require_clean: false, diff: true };
    run(&args.change, options)
}

fn run(args: &ChangeArgs, options: Options) -> Result<Applied> {
    change::apply(&args.path, options, |before| changed(before, &args.settings, &args.path))
}

/// `before` with `settings` (`KEY=VALUE`) applied and validated as `new` validates its flags;
/// `templates=DIR` is relative to the project at `root`, as `archgen.toml` records it (empty:
/// the embedded templates only).
///
/// # Errors
/// A setting that is malformed, unknown, cannot change, or makes answers `new` would refuse.
pub fn changed(before: &Answers, settings: &[String], root: &Path) -> Result<Answers> {
    let mut args = NewArgs::default();
    let mut templates = before.templates.clone();
    for setting in settings {
        let invalid = |reason: &str, help: String| Error::InvalidSetting {
            setting: setting.clone(),
            reason: reason.to_owned(),
            help,
        };
        let Some((key, value)) = setting.split_once('=') else {
            return Err(invalid(
                "it is not KEY=VALUE",
                format!("e.g. --set ci=gitlab; the keys are {}", SETTINGS.join(", ")),
            ));
        };
        let value = value.trim();
        match key.trim() {
            "ci" => args.ci = Some(parse(value, setting)?),
            "db" => args.db = Some(parse(value, setting)?),
            "events" => args.events = Some(parse(value, setting)?),
            "services" => args.services = Some(value.split(',').map(|s| s.trim().to_owned()).collect()),
            "calls" => args.calls = Some(value.split(',').map(|s| s.trim().to_owned()).collect()),
            "features" => args.features = Some(value.split(',').map(|s| s.trim().to_owned()).collect()),
            "templates" if value.is_empty() => templates = None,
            "templates" => templates = Some(Overlay::load(&root.join(value), value.to_owned())?),
            "name" | "style" | "platform" => {
                return Err(invalid(
                    "it is fixed when the project is made",
                    format!(
                        "generate a new project with the {key} you want (`cargo archgen new`) and move your code: \
                         projects of a different {key} share too little to merge"
                    ),
                ));
            }
            _ => return Err(invalid("there is no such answer", format!("the keys are {}", SETTINGS.join(", ")))),
        }
    }
    // The custom templates stay those already read (their folder is relative to the project,
    // not to where this runs).
    let mut file = AnswersFile { templates: None, ..before.to_file() };
    // A service taken out takes its resources with it.
    if let (Some(services), Some(resources)) = (&args.services, file.resources.as_mut()) {
        resources.retain(|spec| {
            let name = spec.split_whitespace().next().unwrap_or_default();
            name.split_once('/').is_none_or(|(owner, _)| services.iter().any(|s| s == owner))
        });
    }
    // And the calls it made or took.
    if let (Some(services), Some(calls)) = (&args.services, file.calls.as_mut()) {
        calls.retain(|spec| spec.split(':').all(|end| services.iter().any(|s| s == end.trim())));
    }
    // Features are checked against the templates the project renders from (custom templates
    // may bring their own).
    args.templates = templates.as_ref().map(|overlay| root.join(&overlay.recorded));
    let after = Answers::resolve(&args, Some(&file), &mut Defaults)?;
    Ok(Answers { templates, ..after })
}

fn parse<T: ValueEnum>(value: &str, setting: &str) -> Result<T> {
    T::from_str(value, false).map_err(|_| {
        let values: Vec<String> = T::value_variants()
            .iter()
            .filter_map(ValueEnum::to_possible_value)
            .map(|v| v.get_name().to_owned())
            .collect();
        Error::InvalidSetting {
            setting: setting.to_owned(),
            reason: format!("\"{value}\" is not a value it takes"),
            help: format!("one of: {}", values.join(", ")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Ci, Db, Style};

    fn monolith() -> Answers {
        let args = NewArgs { name: Some("shop".into()), style: Some(Style::Monolith), ..NewArgs::default() };
        Answers::resolve(&args, None, &mut Defaults).unwrap()
    }

    #[test]
    fn settings_change_the_answers_new_would_accept_and_refuse_the_rest() {
        let after = changed(&monolith(), &["ci=gitlab".into(), "db=sqlite".into()], Path::new(".")).unwrap();
        assert_eq!((after.ci, after.shape.db()), (Ci::Gitlab, Db::Sqlite));
        for (setting, code) in [
            ("ci", "invalid_setting"),
            ("ci=jenkins", "invalid_setting"),
            ("style=serverless", "invalid_setting"),
            ("colour=blue", "invalid_setting"),
            ("events=nats", "unsupported_option"),
            ("services=a,b", "unsupported_option"),
        ] {
            let error = changed(&monolith(), &[setting.into()], Path::new(".")).unwrap_err();
            assert_eq!(error.code(), code, "{setting}: {error}");
            assert_eq!(error.exit_code(), 2, "{setting}");
        }
    }
}
