//! The one module that prints to the user: human text, or JSON with `--json`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use crate::add::Added;
use crate::answers::Answers;
use crate::change::{Applied, ChangeKind};
use crate::cli::{AddCommand, Choice, Cli, Command};
use crate::error::Error;
use crate::next_steps::Kind;
use crate::vcs::GitOutcome;
use crate::{Generated, Outcome};

/// Prints the outcome and turns it into the process exit code.
#[must_use]
pub fn finish(cli: &Cli, result: Result<Outcome, Error>) -> ExitCode {
    let json = match &cli.command {
        Command::New(args) => args.json,
        Command::Add(AddCommand::Service(args)) => args.project.json,
        Command::Add(AddCommand::Resource(args)) => args.project.json,
        Command::Add(AddCommand::Feature(args)) => args.project.json,
        Command::Update(args) => args.change.json,
        Command::Diff(args) => args.change.json,
        Command::Completions { .. } | Command::Templates(_) => false,
        Command::Advise(args) => args.json,
    };
    // A project written but failing `--verify` is a failure of the command.
    let verified = match &result {
        Ok(Outcome::Generated(g)) => g.verified.clone(),
        Ok(Outcome::Updated(a)) => a.verified.clone(),
        _ => None,
    };
    match result {
        Ok(Outcome::Generated(generated)) if json => println!("{}", success_json(&generated)),
        Ok(Outcome::Generated(generated)) => print!("{}", summary(&generated)),
        Ok(Outcome::Added(added)) if json => println!("{}", added_json(&added)),
        Ok(Outcome::Added(added)) => print!("{}", added_summary(&added)),
        Ok(Outcome::Declined(answers)) => {
            print!("{}", declined(&answers));
            return ExitCode::FAILURE;
        }
        Ok(Outcome::Updated(applied) | Outcome::Diff(applied)) if json => println!("{}", applied_json(&applied)),
        Ok(Outcome::Updated(applied)) => print!("{}", updated_summary(&applied)),
        Ok(Outcome::Diff(applied)) => print!("{}", applied.diff),
        Ok(Outcome::Exported { files, output }) => println!(
            "Exported {files} templates to {}.\nEdit them, then: cargo archgen new NAME --templates {}",
            output.display(),
            output.display()
        ),
        Ok(Outcome::Completions(script)) => print!("{script}"),
        Ok(Outcome::Advised(advised)) if json => println!("{}", advised_json(&advised)),
        Ok(Outcome::Advised(advised)) => print!("{}", advised_summary(&advised)),
        Err(error) if json => {
            println!(
                "{}",
                json!({"ok": false, "error": {"code": error.code(), "message": error.to_string(), "help": error.help()}})
            );
            return ExitCode::from(error.exit_code());
        }
        Err(error) => {
            eprintln!("error: {error}\nhelp: {}", error.help());
            return ExitCode::from(error.exit_code());
        }
    }
    match verified {
        Some(report) if !report.passed() => {
            if !json {
                eprint!("{}", verification(&report));
            }
            ExitCode::FAILURE
        }
        Some(report) => {
            if !json {
                eprint!("{}", verification(&report));
            }
            ExitCode::SUCCESS
        }
        None => ExitCode::SUCCESS,
    }
}

/// The summary of `--verify`, one line a check.
fn verification(report: &crate::verify::Report) -> String {
    use crate::verify::Status;
    let mut out = String::from("\nVerification:\n");
    for check in &report.checks {
        let status = match check.status {
            Status::Passed => "ok",
            Status::Failed => "FAILED",
            Status::Skipped => "skipped",
        };
        let detail = if check.detail.is_empty() { String::new() } else { format!("  ({})", check.detail) };
        let _ = writeln!(out, "  {status:<8} {}{detail}", check.check);
    }
    let failed = report.checks.iter().filter(|c| c.status == Status::Failed).count();
    if failed == 0 {
        let _ = writeln!(out, "All checks passed.");
    } else {
        let _ = writeln!(
            out,
            "error: {failed} check(s) failed\nhelp: the project was written; fix what failed and rerun the check"
        );
    }
    out
}

/// The answers as shown before "Create it?".
#[must_use]
pub fn before_writing(answers: &Answers, target: &Path) -> String {
    let mut rows = vec![("name", answers.name.clone()), ("style", answers.style().name().to_owned())];
    let services = answers.shape.services();
    if !services.is_empty() {
        let list: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        rows.push(("services", list.join(", ")));
        rows.push(("calls", crate::calls::spec_list(answers.shape.calls(), services).replace(',', ", ")));
    }
    if let Some(events) = answers.shape.events() {
        rows.push(("events", events.name().to_owned()));
    }
    if let Some(platform) = answers.shape.platform() {
        rows.push(("platform", platform.name().to_owned()));
    }
    rows.push(("database", answers.shape.db().name().to_owned()));
    rows.push(("ci", answers.ci.name().to_owned()));
    rows.push(("directory", target.display().to_string()));
    let mut out = String::from("\nAbout to create:\n");
    for (key, value) in rows {
        let _ = writeln!(out, "  {key:<10} {value}");
    }
    out
}

fn declined(answers: &Answers) -> String {
    format!(
        "Nothing was written: you answered no to \"Create it?\".\nTo change an answer, run again, or pass them all:\n  {}\n",
        answers.command_line(None)
    )
}

fn git_text(git: &GitOutcome) -> String {
    match git {
        GitOutcome::Initialized => "initialized a repository with an initial commit".into(),
        GitOutcome::InsideRepository(root) => {
            format!("skipped: already inside the git work tree {}", root.display())
        }
        GitOutcome::Disabled => "skipped (--no-git)".into(),
        GitOutcome::DryRun => "skipped (--dry-run)".into(),
    }
}

fn success_json(g: &Generated) -> serde_json::Value {
    let files: Vec<_> = g.files.iter().map(|(path, bytes)| json!({"path": path, "bytes": bytes})).collect();
    json!({
        "ok": g.verified.as_ref().is_none_or(crate::verify::Report::passed),
        "dry_run": g.dry_run,
        "path": g.target.display().to_string(),
        "answers": g.answers.to_file(),
        "files": files,
        "git": git_text(&g.git),
        "command": g.answers.command_line(Some(&g.target)),
        "verify": g.verified,
    })
}

fn summary(g: &Generated) -> String {
    let mut out = String::new();
    let dir = g.target.display();
    let style = g.answers.style().name();
    let name = &g.answers.name;
    if g.dry_run {
        let _ = writeln!(out, "Would create {style} project `{name}` in {dir} ({} files):", g.files.len());
        let width = g.files.iter().map(|(_, bytes)| bytes.to_string().len()).max().unwrap_or(1);
        for (path, bytes) in &g.files {
            let _ = writeln!(out, "  {bytes:>width$}  {path}");
        }
        let _ = writeln!(out, "Nothing was written (--dry-run).");
        return out;
    }
    let _ = writeln!(out, "Created {style} project `{name}` in {dir} ({} files)", g.files.len());
    let _ = writeln!(out, "git: {}", git_text(&g.git));
    let _ = writeln!(out, "\nNext steps:\n  cd {dir}");
    let steps = crate::next_steps::for_answers(&g.answers);
    // Notes line up, except after a command too long to wait for.
    let width = steps.iter().map(|s| s.command.len()).filter(|&len| len <= 44).max().unwrap_or(0);
    let (alternatives, steps): (Vec<_>, Vec<_>) = steps.into_iter().partition(|s| s.kind == Kind::Alternative);
    for step in steps {
        let _ = writeln!(out, "  {:<width$}   # {}", step.command, step.note);
    }
    if !alternatives.is_empty() {
        let _ = writeln!(out, "Or, with Docker:");
    }
    for step in alternatives {
        let _ = writeln!(out, "  {:<width$}   # {}", step.command, step.note);
    }
    let _ = writeln!(out, "\nSame project without questions:\n  {}", g.answers.command_line(Some(&g.target)));
    out
}

fn added_json(a: &Added) -> serde_json::Value {
    json!({
        "ok": true,
        "dry_run": a.dry_run,
        "path": a.project.display().to_string(),
        a.kind: a.name,
        "answers": a.answers.to_file(),
        "changes": a.changes,
    })
}

fn added_summary(a: &Added) -> String {
    let mut out = String::new();
    let verb = if a.dry_run { "Would add" } else { "Added" };
    let _ = writeln!(out, "{verb} {} `{}` to {} ({} files):", a.kind, a.name, a.project.display(), a.changes.len());
    for change in &a.changes {
        let _ = writeln!(out, "  {:<22}  {}", kind(change.kind), change.path);
    }
    if a.dry_run {
        let _ = writeln!(out, "Nothing was changed (--dry-run).");
    } else if a.kind == "feature" {
        let _ = writeln!(
            out,
            "\nNext steps:\n  review the change (`git diff`): README and ARCHITECTURE.md say what the feature adds and \
             what it needs at run time\n  build and test as usual, then commit"
        );
    } else if a.kind == "resource" {
        let _ = writeln!(
            out,
            "\nNext steps:\n  cargo build && cargo test   # the resource's own tests included\n  review the migration, \
             then apply it as you deploy (`migrate`; the app refuses to serve an older schema)"
        );
    } else {
        let package = a.name.replace('_', "-");
        let setup = format!("cargo run -p {package} -- db setup --admin-url {}", crate::next_steps::ADMIN_URL);
        let _ = writeln!(
            out,
            "\nNext steps:\n  cargo build && cargo test\n  {setup}   # its role and database on your PostgreSQL, then its \
             migrations (scripts/dev.sh setup does every service's)\n  docker compose up --build   # or with Docker: the \
             one-shot `{package}-migrate` runs `db setup`, so the new database is created in the existing volume"
        );
    }
    out
}

fn kind(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Created => "created",
        ChangeKind::Updated => "updated",
        ChangeKind::Merged => "merged with your edits",
        ChangeKind::Removed => "removed",
        ChangeKind::Conflicted => "CONFLICT (markers)",
    }
}

fn applied_json(a: &Applied) -> serde_json::Value {
    json!({
        "ok": a.verified.as_ref().is_none_or(crate::verify::Report::passed),
        "dry_run": a.dry_run,
        "path": a.project.display().to_string(),
        "answers": a.answers.to_file(),
        "changes": a.changes,
        "diff": a.diff,
        "verify": a.verified,
    })
}

fn updated_summary(a: &Applied) -> String {
    let mut out = String::new();
    if a.changes.is_empty() {
        let _ = writeln!(out, "{} is up to date: nothing to change.", a.project.display());
        return out;
    }
    let verb = if a.dry_run { "Would change" } else { "Changed" };
    let _ = writeln!(out, "{verb} {} files in {}:", a.changes.len(), a.project.display());
    for change in &a.changes {
        let _ = writeln!(out, "  {:<22}  {}", kind(change.kind), change.path);
    }
    if a.dry_run {
        let _ = writeln!(out, "Nothing was changed (--dry-run); `cargo archgen diff` shows the lines.");
    } else {
        let _ = writeln!(out, "\nReview with `git diff`, then build, test and commit.");
    }
    out
}

/// A command line clap could not parse: an invalid value is one `error:` line and one `help:`
/// line (or a JSON error with `--json`), exit 2; anything else (`--help`, `--version`, an unknown
/// flag) as clap prints it. `args` is the command line.
#[must_use]
pub fn usage_error(error: &clap::Error, args: &[std::ffi::OsString]) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(error.kind(), ErrorKind::InvalidValue | ErrorKind::ValueValidation) {
        let _ = error.print();
        return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
    }
    let rendered = error.render().to_string();
    let message = rendered.lines().next().unwrap_or_default().trim_start_matches("error: ").to_owned();
    let strings = |kind| match error.get(kind) {
        Some(ContextValue::Strings(values)) => values.join(", "),
        Some(ContextValue::String(value)) => value.clone(),
        _ => String::new(),
    };
    let (valid, suggested) = (strings(ContextKind::ValidValue), strings(ContextKind::SuggestedValue));
    let help = match (valid.is_empty(), suggested.is_empty()) {
        (false, false) => format!("did you mean {suggested}? The values: {valid}"),
        (false, true) => format!("use one of: {valid}"),
        _ => format!("see `{}` for the values it takes", usage_help(args)),
    };
    if crate::cli::wants_json(args) {
        println!("{}", json!({"ok": false, "error": {"code": "invalid_value", "message": message, "help": help}}));
    } else {
        eprintln!("error: {message}\nhelp: {help}");
    }
    ExitCode::from(2)
}

/// `cargo archgen SUBCOMMAND --help` for the command line `args`.
fn usage_help(args: &[std::ffi::OsString]) -> String {
    let subcommand = args.iter().skip(1).filter(|a| *a != "archgen").find(|a| !a.to_string_lossy().starts_with('-'));
    match subcommand {
        Some(word) => format!("cargo archgen {} --help", word.to_string_lossy()),
        None => "cargo archgen --help".to_owned(),
    }
}

/// The options of a shape as rows (what `new` would be given).
fn option_rows(shape: &crate::answers::Shape, ci: crate::cli::Ci) -> Vec<(&'static str, String)> {
    let mut rows = Vec::new();
    let services = shape.services();
    if !services.is_empty() {
        let list: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        rows.push(("services", list.join(",")));
    }
    if let Some(events) = shape.events() {
        rows.push(("events", events.name().to_owned()));
    }
    if let Some(platform) = shape.platform() {
        rows.push(("platform", platform.name().to_owned()));
    }
    rows.push(("db", shape.db().name().to_owned()));
    rows.push(("ci", ci.name().to_owned()));
    rows
}

fn options_json(shape: &crate::answers::Shape, ci: crate::cli::Ci) -> serde_json::Value {
    let mut options = serde_json::Map::new();
    for (key, value) in option_rows(shape, ci) {
        let value = if key == "services" { json!(value.split(',').collect::<Vec<_>>()) } else { json!(value) };
        options.insert(key.to_owned(), value);
    }
    serde_json::Value::Object(options)
}

fn advised_json(a: &crate::advise::session::Advised) -> serde_json::Value {
    let advice = &a.advice;
    let reasons: Vec<_> = advice.reasons.iter().map(|r| json!({"id": r.id(), "text": r.text()})).collect();
    let assumed: Vec<_> = advice
        .assumed
        .iter()
        .map(|x| json!({"question": x.question.id, "flag": x.question.flag, "assumed": x.value}))
        .collect();
    json!({
        "ok": true,
        "style": advice.style().name(),
        "modular": advice.modular,
        "options": options_json(&advice.shape, advice.ci),
        "reasons": reasons,
        "alternative": {
            "style": advice.alternative.shape.style().name(),
            "options": options_json(&advice.alternative.shape, advice.ci),
            "when": advice.alternative.when,
            "command": a.alternative_command,
        },
        "command": a.command,
        "answers": a.situation,
        "assumed": assumed,
    })
}

/// Text for people: at most this wide, so that reasons read as paragraphs.
const ADVICE_WIDTH: usize = 96;

fn advised_summary(a: &crate::advise::session::Advised) -> String {
    let advice = &a.advice;
    let mut out = String::new();
    let modular = if advice.modular { " (modular: one module per team, boundaries enforced in code)" } else { "" };
    let _ = writeln!(out, "Recommended: {}{modular}", advice.style().name());
    for (key, value) in option_rows(&advice.shape, advice.ci) {
        let note = match key {
            "services" => "   (placeholders: one per bounded context)",
            "ci" => "   (the default; github, gitlab or none)",
            _ => "",
        };
        let _ = writeln!(out, "  {key:<9} {value}{note}");
    }
    let _ = writeln!(out, "\nWhy:");
    for reason in &advice.reasons {
        let lines = crate::prompt::wrap(&reason.text(), ADVICE_WIDTH - 4);
        let _ = writeln!(out, "  - {}", lines.join("\n    "));
    }
    let _ = writeln!(out, "\nRun:\n  {}", a.command);
    if a.command.starts_with(&format!("cargo archgen new {} ", crate::advise::session::PLACEHOLDER)) {
        let _ = writeln!(out, "  (NAME: the project's name; --name puts it in)");
    }
    let alternative = advice.alternative.shape.style().name();
    let when = crate::prompt::wrap(&format!("Revisit {}.", advice.alternative.when), ADVICE_WIDTH - 2);
    let _ = writeln!(out, "\nAlternative: {alternative}\n  {}\n  {}", when.join("\n  "), a.alternative_command);
    if !advice.assumed.is_empty() {
        let _ = writeln!(out, "\nNot answered, so assumed (answer with the flag to sharpen the advice):");
        for assumed in &advice.assumed {
            let (question, flag) = (assumed.question.prompt, assumed.question.flag);
            let _ = writeln!(out, "  {question:<27} {:<24} {flag}", assumed.value);
        }
    }
    out
}
