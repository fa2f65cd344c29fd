//! The interactive `new`: through the `Prompter` trait with a scripted user (what is asked, in
//! which order, what a refusal or a "no" does), and in a real pseudo-terminal (the terminal is
//! left as it was after Ctrl-C, nothing drawn is wider than the terminal, the choice is echoed
//! as its value). The pseudo-terminal tests need python3 (as the hardening tests do).
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::collections::VecDeque;
use std::path::Path;

use cargo_archgen::advise::session::{run as advise, situation};
use cargo_archgen::advise::{Data, Domain, Existing, Ops, Situation, Traffic};
use cargo_archgen::cli::{AdviseArgs, NewArgs, Style};
use cargo_archgen::error::{Error, Result};
use cargo_archgen::prompt::Prompter;
use cargo_archgen::{Outcome, new_project};

/// A user who answers from a script and a record of everything they were asked.
#[derive(Default)]
struct Scripted {
    texts: VecDeque<&'static str>,
    picks: VecDeque<&'static str>,
    confirm: bool,
    /// `input: PROMPT`, `refused: TEXT: ERROR`, `select: QUESTION`, `confirm: QUESTION`, in order.
    asked: Vec<String>,
    summary: String,
}

impl Scripted {
    fn new(texts: &[&'static str], picks: &[&'static str], confirm: bool) -> Self {
        Self {
            texts: texts.iter().copied().collect(),
            picks: picks.iter().copied().collect(),
            confirm,
            ..Self::default()
        }
    }
}

impl Prompter for Scripted {
    fn input(
        &mut self,
        prompt: &str,
        default: Option<&str>,
        validate: &dyn Fn(&str) -> Result<()>,
    ) -> Result<Option<String>> {
        self.asked.push(format!("input: {prompt}"));
        loop {
            let text =
                self.texts.pop_front().unwrap_or_else(|| panic!("no answer left for {prompt:?}: {:?}", self.asked));
            let text = if text.is_empty() { default.unwrap_or_default() } else { text };
            match validate(text) {
                Ok(()) => return Ok(Some(text.to_owned())),
                Err(e) => self.asked.push(format!("refused: {text}: {e}")),
            }
        }
    }

    fn select(&mut self, question: &str, options: &[(&str, &str)], default: usize) -> Result<usize> {
        self.asked.push(format!("select: {question}"));
        let Some(pick) = self.picks.pop_front() else { return Ok(default) };
        Ok(options
            .iter()
            .position(|(value, _)| *value == pick)
            .unwrap_or_else(|| panic!("{pick} not offered for {question}")))
    }

    fn confirm(&mut self, summary: &str, question: &str, _default: bool) -> Result<bool> {
        self.asked.push(format!("confirm: {question}"));
        summary.clone_into(&mut self.summary);
        Ok(self.confirm)
    }
}

fn args(output: &Path) -> NewArgs {
    NewArgs { output: Some(output.to_owned()), no_git: true, ..NewArgs::default() }
}

#[test]
fn asks_what_is_missing_shows_the_answers_and_writes_after_yes() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("shop");
    let mut user = Scripted::new(&["shop", "", ""], &["microservices", "none", "gitlab"], true);
    let outcome = new_project(&args(&target), &mut user).unwrap();
    assert!(matches!(outcome, Outcome::Generated(_)));
    assert_eq!(
        user.asked,
        [
            "input: Project name",
            "select: Architecture style",
            "input: Services (comma-separated)",
            "input: Calls between services (caller:callee, comma-separated, or none)",
            "select: Events between services",
            "select: CI provider",
            "confirm: Create it?"
        ]
    );
    for row in [
        "name       shop",
        "style      microservices",
        "services   users, orders",
        "calls      orders:users",
        "events     none",
        "database   postgres",
        "ci         gitlab",
    ] {
        assert!(user.summary.contains(row), "{row:?} missing from\n{}", user.summary);
    }
    assert!(user.summary.contains(&format!("directory  {}", target.display())), "{}", user.summary);
    assert!(target.join("archgen.toml").is_file());
}

#[test]
fn answering_no_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("shop");
    let mut user = Scripted::new(&["shop"], &["monolith", "sqlite", "none"], false);
    let Outcome::Declined(answers) = new_project(&args(&target), &mut user).unwrap() else {
        panic!("expected the run to stop at the confirmation");
    };
    assert_eq!((answers.style(), answers.name.as_str()), (Style::Monolith, "shop"));
    assert!(!target.exists(), "something was written after \"no\"");
    assert!(tmp.path().read_dir().unwrap().next().is_none());
}

#[test]
fn a_taken_target_from_a_flag_is_refused_before_any_question() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("README.md"), "mine").unwrap();
    // --output names it: refused before even the name is asked.
    let mut user = Scripted::new(&["shop"], &[], true);
    let err = new_project(&args(tmp.path()), &mut user).unwrap_err();
    assert!(matches!(err, Error::TargetNotEmpty { .. }), "{err:?}");
    assert!(user.asked.is_empty(), "asked {:?} before refusing", user.asked);
    // The name names it (./NAME; `src` of this package is not empty): refused before the style.
    let mut user = Scripted::new(&[], &[], true);
    let named = NewArgs { name: Some("src".into()), dry_run: true, ..NewArgs::default() };
    let err = new_project(&named, &mut user).unwrap_err();
    assert!(matches!(err, Error::TargetNotEmpty { .. }), "{err:?}");
    assert!(user.asked.is_empty(), "asked {:?} before refusing", user.asked);
}

#[test]
fn a_taken_target_is_refused_in_the_name_prompt_and_another_name_asked() {
    // Without --output the target is ./NAME: the tests run in this package, whose `templates`
    // is not empty. --dry-run: the accepted name is not written anywhere.
    let mut user = Scripted::new(&["templates", "Bad", "fresh-name-for-a-test"], &[], true);
    let args = NewArgs { dry_run: true, ..NewArgs::default() };
    let Outcome::Generated(generated) = new_project(&args, &mut user).unwrap() else { panic!("expected a dry run") };
    assert_eq!(generated.answers.name, "fresh-name-for-a-test");
    assert_eq!(user.asked[0], "input: Project name");
    assert!(
        user.asked[1].starts_with("refused: templates: templates already exists and is not empty"),
        "{:?}",
        user.asked
    );
    assert!(user.asked[2].starts_with("refused: Bad: invalid project name"), "{:?}", user.asked);
    assert_eq!(user.asked[3], "select: Architecture style");
    // --dry-run shows the file list instead of asking.
    assert!(!user.asked.iter().any(|a| a.starts_with("confirm")), "{:?}", user.asked);
    assert!(!Path::new("fresh-name-for-a-test").exists());
}

#[test]
fn with_force_a_non_empty_name_directory_is_accepted_in_the_prompt() {
    let mut user = Scripted::new(&["templates"], &[], true);
    let args = NewArgs { dry_run: true, force: true, ..NewArgs::default() };
    let Outcome::Generated(generated) = new_project(&args, &mut user).unwrap() else { panic!("expected a dry run") };
    assert_eq!(generated.answers.name, "templates");
    assert_eq!(user.asked.len(), 4, "{:?}", user.asked); // name, style, database, ci
}

/// What a pseudo-terminal of `columns` showed while `steps` (wait for a regex, then type) were
/// played to `cargo-archgen ARGS` in `cwd`, and its exit code.
fn in_a_terminal(cwd: &Path, args: &[&str], columns: u16, steps: &[(&str, &str)]) -> Option<(i64, String)> {
    if std::process::Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED: python3 is not installed; the pseudo-terminal tests need it");
        return None;
    }
    let mut command = vec![assert_cmd::cargo::cargo_bin!("cargo-archgen").display().to_string()];
    command.extend(args.iter().map(|a| (*a).to_owned()));
    let spec = serde_json::json!({"argv": command, "cwd": cwd, "columns": columns, "steps": steps});
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pty/drive.py");
    let out = std::process::Command::new("python3").arg(driver).arg(spec.to_string()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The driver decodes bytes as latin-1: each char is one byte.
    let bytes: Vec<u8> =
        result["output"].as_str().unwrap().chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let shown = String::from_utf8_lossy(&bytes).into_owned();
    assert!(result["ok"].as_bool().unwrap(), "the terminal never showed what was waited for:\n{shown}");
    Some((result["exit"].as_i64().unwrap(), shown))
}

const HIDE_CURSOR: &str = "\x1b[?25l";
const SHOW_CURSOR: &str = "\x1b[?25h";

#[test]
fn ctrl_c_in_a_menu_gives_the_cursor_back_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((exit, shown)) = in_a_terminal(tmp.path(), &["new", "shop"], 80, &[("Architecture style", "\x03")]) else {
        return;
    };
    let hidden = shown.rfind(HIDE_CURSOR).expect("the menu hides the cursor");
    assert!(shown[hidden..].contains(SHOW_CURSOR), "the cursor stays hidden after Ctrl-C:\n{shown:?}");
    assert!(shown.contains("error: interrupted; nothing was written"), "{shown}");
    assert_eq!(exit, 1);
    assert!(tmp.path().read_dir().unwrap().next().is_none(), "something was written");
}

/// The lines a terminal shows, escape sequences removed; a carriage return starts a new one.
fn screen_lines(shown: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut chars = shown.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain.split(['\n', '\r']).map(str::to_owned).collect()
}

#[test]
fn on_a_narrow_terminal_nothing_is_wider_and_the_taken_target_is_said_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("taken")).unwrap();
    std::fs::write(tmp.path().join("taken/notes.txt"), "mine").unwrap();
    let steps = [
        ("Project name", "taken\r"),
        ("overwritten\\)", "Shop_Not-A-Valid-Name-But-Rather-Long\r"),
        ("pick another", "shop\r"),
        ("Architecture style", "\r"),
        ("Database", "\x1b[B\r"), // arrow down: sqlite
        ("CI provider", "\r"),
        ("Features", "\r"),
        ("Create it\\?", "n"),
    ];
    let Some((exit, shown)) = in_a_terminal(tmp.path(), &["new", "--no-git"], 40, &steps) else { return };
    let lines = screen_lines(&shown);
    // Everything the prompts draw fits in 40 columns (they redraw by counting lines); the typed
    // answer and the final report, printed once, are the terminal's to wrap.
    let prompts = lines.iter().take_while(|l| !l.starts_with("Nothing was written"));
    for line in prompts.filter(|l| !l.starts_with("Project name: ")) {
        assert!(line.chars().count() <= 40, "wider than the terminal: {line:?}\n{shown}");
    }
    let taken = shown.find("taken already exists and is not").expect("the taken directory is reported");
    assert!(taken < shown.find("Architecture style").unwrap(), "reported only after other questions");
    assert!(lines.iter().any(|l| l == "Database: sqlite"), "the choice is echoed as its value alone:\n{lines:#?}");
    assert!(lines.iter().any(|l| l == "Architecture style: monolith"), "{lines:#?}");
    assert!(lines.iter().any(|l| l == "Features: openapi"), "the defaults ticked: {lines:#?}");
    assert!(lines.iter().any(|l| l.trim_end() == "About to create:"), "{lines:#?}");
    assert!(lines.iter().any(|l| l == "  database   sqlite"), "{lines:#?}");
    assert!(shown.contains("Nothing was written: you answered no"), "{shown}");
    assert_eq!(exit, 1);
    assert!(!tmp.path().join("shop").exists(), "something was written after \"no\"");
}

#[test]
fn advise_asks_each_open_question_in_order_and_not_sure_leaves_it_unanswered() {
    let args = AdviseArgs { ops: Some(Ops::High), ..AdviseArgs::default() };
    // "0" is refused and asked again; "" takes the default, "not sure".
    let mut user =
        Scripted::new(&["0", "3", ""], &["complex", "spiky", "not sure", "kubernetes", "no", "not sure"], true);
    let answered = situation(&args, &mut user).unwrap();
    assert_eq!(
        user.asked,
        [
            "input: Teams working on it",
            "refused: 0: invalid answer \"0\" to \"Teams working on it\"",
            "input: People per team",
            "select: Domain complexity",
            "select: Traffic shape",
            "select: Latency needs",
            "select: Existing platform",
            "select: An MVP or a tight deadline",
            "select: Data",
        ]
    );
    let expected = Situation {
        teams: Some(3),
        team_size: None,
        domain: Some(Domain::Complex),
        traffic: Some(Traffic::Spiky),
        latency: None,
        ops: Some(Ops::High),
        platform: Some(Existing::Kubernetes),
        mvp: Some(false),
        data: None,
    };
    assert_eq!(answered, expected);
}

#[test]
fn advise_with_every_flag_asks_nothing() {
    let args = AdviseArgs {
        teams: Some(1),
        team_size: Some(4),
        domain: Some(Domain::Simple),
        traffic: Some(Traffic::Steady),
        latency: Some(cargo_archgen::advise::Latency::Relaxed),
        ops: Some(Ops::Low),
        platform: Some(Existing::None),
        mvp: Some(true),
        data: Some(Data::Small),
        ..AdviseArgs::default()
    };
    let mut user = Scripted::new(&[], &[], true);
    let advised = advise(&args, &mut user).unwrap();
    assert!(user.asked.is_empty(), "{:?}", user.asked);
    assert!(advised.advice.assumed.is_empty());
    assert_eq!(advised.command, "cargo archgen new NAME --style monolith --db sqlite --ci github --yes");
}

#[test]
fn advise_in_a_terminal_asks_echoes_the_choices_and_advises() {
    let tmp = tempfile::tempdir().unwrap();
    // Menus start on "not sure", the last entry; an arrow up moves to the one before.
    let (enter, up_once, up_thrice) = ("\r", "\x1b[A\r", "\x1b[A\x1b[A\x1b[A\r");
    let steps = [
        ("Teams working on it", "2\r"),
        ("People per team", enter),            // not sure
        ("Domain complexity", up_once),        // complex
        ("Traffic shape", enter),              // not sure
        ("Latency needs", enter),              // not sure
        ("Operations maturity", up_once),      // high
        ("Existing platform", up_thrice),      // kubernetes
        ("An MVP or a tight deadline", enter), // not sure
        ("Data", enter),                       // not sure
    ];
    let Some((exit, shown)) = in_a_terminal(tmp.path(), &["advise"], 60, &steps) else { return };
    let lines = screen_lines(&shown);
    let prompts = lines.iter().take_while(|l| !l.starts_with("Recommended:"));
    for line in prompts.filter(|l| !l.starts_with("Teams working on it")) {
        assert!(line.chars().count() <= 60, "wider than the terminal: {line:?}\n{shown}");
    }
    for echo in
        ["Domain complexity: complex", "Operations maturity: high", "Existing platform: kubernetes", "Data: not sure"]
    {
        assert!(lines.iter().any(|l| l == echo), "{echo:?} not echoed:\n{lines:#?}");
    }
    assert!(lines.iter().any(|l| l == "Recommended: microservices"), "{lines:#?}");
    assert!(shown.contains("  Traffic shape               steady"), "the unanswered are listed:\n{shown}");
    assert_eq!(exit, 0);
    assert!(tmp.path().read_dir().unwrap().next().is_none(), "advise wrote something");
}
