//! `cargo archgen advise` as a user meets it: flags to human text and JSON, nothing asked without
//! a terminal, bad values as one `error:` and one `help:` line (exit 2), `--help` documenting
//! every flag, and advised command lines that `new` accepts.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::path::Path;

use assert_cmd::Command;

/// The binary with stdin piped (never a terminal) and a time limit: a prompt would fail the
/// test rather than wait.
fn archgen(dir: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("cargo-archgen"));
    cmd.current_dir(dir).env("GIT_CEILING_DIRECTORIES", dir).timeout(std::time::Duration::from_secs(60));
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.assert().success().stderr("").get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

fn json(args: &[&str]) -> serde_json::Value {
    let tmp = tempfile::tempdir().unwrap();
    let text = stdout(archgen(tmp.path()).arg("advise").args(args).arg("--json"));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn without_a_terminal_nothing_is_asked_and_the_assumptions_are_said() {
    let tmp = tempfile::tempdir().unwrap();
    let text = stdout(archgen(tmp.path()).arg("advise"));
    for line in [
        "Recommended: monolith\n",
        "\nWhy:\n  - one team: one deployable",
        "\nRun:\n  cargo archgen new NAME --style monolith --db postgres --ci github --yes\n",
        "  (NAME: the project's name; --name puts it in)\n",
        "\nAlternative: microservices\n  Revisit when several teams",
        "\nNot answered, so assumed (answer with the flag to sharpen the advice):\n",
        "  Teams working on it         1                        --teams\n",
        "  Operations maturity         low                      --ops\n",
        "  Data                        relational               --data\n",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    assert!(tmp.path().read_dir().unwrap().next().is_none(), "advise wrote something");
}

#[test]
fn flags_answer_every_question_and_the_advice_names_its_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    let text = stdout(archgen(tmp.path()).args([
        "advise",
        "--teams=4",
        "--team-size=7",
        "--domain=complex",
        "--traffic=spiky",
        "--latency=relaxed",
        "--ops=high",
        "--runs-on=kubernetes",
        "--mvp=no",
        "--data=relational",
        "--name=shop",
    ]));
    assert!(text.starts_with("Recommended: microservices\n  services  users,orders"), "{text}");
    assert!(text.contains("\n  - 4 teams: each owns, deploys and scales its services"), "{text}");
    assert!(text.contains("\n  - events over NATS JetStream"), "{text}");
    assert!(
        text.contains(
            "\nRun:\n  cargo archgen new shop --style microservices --services users,orders --events nats --db postgres --ci github --yes\n"
        ),
        "{text}"
    );
    assert!(text.contains("\nAlternative: monolith\n"), "{text}");
    assert!(!text.contains("Not answered") && !text.contains("NAME"), "{text}");
}

#[test]
fn json_is_the_advice_for_machines() {
    let advice = json(&["--traffic", "mostly-idle", "--runs-on", "aws", "--latency", "relaxed", "--data", "none"]);
    assert_eq!(advice["ok"], true);
    assert_eq!(advice["style"], "serverless");
    assert_eq!(advice["modular"], false);
    assert_eq!(advice["options"], serde_json::json!({"platform": "aws-lambda", "db": "none", "ci": "github"}));
    let ids: Vec<&str> = advice["reasons"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["idle_traffic", "cold_starts_acceptable", "aws_lambda", "no_data"]);
    assert!(advice["reasons"][0]["text"].as_str().unwrap().contains("scale to zero"));
    assert_eq!(advice["alternative"]["style"], "monolith");
    assert!(advice["alternative"]["when"].as_str().unwrap().contains("traffic turns steady"));
    assert_eq!(advice["alternative"]["command"], "cargo archgen new NAME --style monolith --db none --ci github --yes");
    assert_eq!(
        advice["command"],
        "cargo archgen new NAME --style serverless --platform aws-lambda --db none --ci github --yes"
    );
    assert_eq!(advice["answers"]["traffic"], "mostly-idle");
    assert_eq!(advice["answers"]["teams"], serde_json::Value::Null);
    let assumed: Vec<&str> =
        advice["assumed"].as_array().unwrap().iter().map(|a| a["question"].as_str().unwrap()).collect();
    assert_eq!(assumed, ["teams", "team_size", "domain", "ops", "mvp"]);
    assert_eq!(advice["assumed"][0], serde_json::json!({"question": "teams", "flag": "--teams", "assumed": "1"}));
}

#[test]
fn tight_latency_keeps_serverless_as_the_alternative_with_warm_instances() {
    let advice = json(&["--traffic", "spiky", "--latency", "tight", "--runs-on", "kubernetes", "--yes"]);
    assert_eq!(advice["style"], "monolith");
    assert_eq!(advice["reasons"][0]["id"], "cold_starts");
    assert_eq!(advice["alternative"]["style"], "serverless");
    assert_eq!(advice["alternative"]["options"]["platform"], "knative");
    assert!(advice["alternative"]["when"].as_str().unwrap().contains("minimum scale of 1 (Knative)"));
}

#[test]
fn several_teams_without_the_ops_maturity_get_a_modular_monolith_and_are_told_so() {
    let tmp = tempfile::tempdir().unwrap();
    let text = stdout(archgen(tmp.path()).args(["advise", "--teams", "5", "--domain", "complex", "--ops", "medium"]));
    assert!(text.starts_with("Recommended: monolith (modular: one module per team"), "{text}");
    assert!(text.contains("start with a modular monolith"), "{text}");
    assert!(text.contains("\nAlternative: microservices\n  Revisit when on-call per service"), "{text}");
    assert_eq!(json(&["--teams", "5", "--domain", "complex", "--ops", "medium"])["modular"], true);
}

#[test]
fn the_advised_command_lines_are_ones_new_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let situations: [&[&str]; 4] = [
        &["--data", "small"],
        &["--teams", "3", "--domain", "complex", "--ops", "high"],
        &["--traffic", "spiky", "--runs-on", "kubernetes", "--data", "none"],
        &["--traffic", "mostly-idle", "--runs-on", "aws"],
    ];
    for args in situations {
        let advice = json(&[args, &["--name", "shop"]].concat());
        for command in [&advice["command"], &advice["alternative"]["command"]] {
            let words: Vec<&str> = command.as_str().unwrap().split(' ').collect();
            assert_eq!(words[..3], ["cargo", "archgen", "new"], "{command}");
            archgen(tmp.path()).args(&words[2..]).arg("--dry-run").assert().success();
        }
    }
    assert!(tmp.path().read_dir().unwrap().next().is_none(), "a dry run wrote something");
}

#[test]
fn bad_values_are_one_error_and_one_help_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (
            &["--traffic", "bursty"],
            "error: invalid value 'bursty' for '--traffic <SHAPE>'\nhelp: use one of: steady, spiky, mostly-idle\n",
        ),
        (
            &["--runs-on", "knative"],
            "error: invalid value 'knative' for '--runs-on <PLATFORM>'\nhelp: use one of: kubernetes, aws, none\n",
        ),
        (
            &["--ops", "hgh"],
            "error: invalid value 'hgh' for '--ops <LEVEL>'\nhelp: did you mean high? The values: low, medium, high\n",
        ),
        (&["--mvp", "maybe"], "error: invalid value 'maybe' for '--mvp [<YES|NO>]'\nhelp: use one of: yes, no\n"),
        (
            &["--teams", "0"],
            "error: invalid value '0' for '--teams <N>': 0 is not in 1..=65535\nhelp: see `cargo archgen advise --help` for the values it takes\n",
        ),
        (
            &["--team-size", "many"],
            "error: invalid value 'many' for '--team-size <N>': invalid digit found in string\nhelp: see `cargo archgen advise --help` for the values it takes\n",
        ),
        (
            &["--name", "Shop"],
            "error: invalid project name \"Shop\": it contains uppercase letters; names are lowercase kebab-case\nhelp: pick another name, e.g. \"shop\"\n",
        ),
    ];
    for (args, stderr) in cases {
        archgen(tmp.path()).arg("advise").args(args).assert().code(2).stdout("").stderr(stderr.to_owned());
    }
    // With --json the error is JSON on stdout, whether clap or cargo-archgen refused it.
    for (args, code) in [(["--domain", "huge"], "invalid_value"), (["--name", "self"], "invalid_name")] {
        let out = archgen(tmp.path()).arg("advise").args(args).arg("--json").assert().code(2).stderr("");
        let error: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!((error["ok"].as_bool(), error["error"]["code"].as_str()), (Some(false), Some(code)), "{error}");
        assert!(!error["error"]["help"].as_str().unwrap().is_empty());
    }
}

#[test]
fn help_documents_every_flag_and_value() {
    let tmp = tempfile::tempdir().unwrap();
    let help = stdout(archgen(tmp.path()).args(["advise", "--help"]));
    for item in [
        "--teams <N>",
        "--team-size <N>",
        "--domain <COMPLEXITY>",
        "--traffic <SHAPE>",
        "--latency <NEEDS>",
        "--ops <LEVEL>",
        "--runs-on <PLATFORM>",
        "--mvp [<YES|NO>]",
        "--data <KIND>",
        "--name <NAME>",
        "-y, --yes",
        "--json",
        "- simple:",
        "- complex:",
        "- mostly-idle:",
        "- tight:",
        "- high:",
        "- kubernetes:",
        "- aws:",
        "- small:",
        "[possible values: yes, no]",
        "[not answered: 1]",
        "[not answered: low]",
        "nothing is asked",
        "cold starts",
    ] {
        assert!(help.contains(item), "`advise --help` lacks {item:?}:\n{help}");
    }
    let top = stdout(archgen(tmp.path()).arg("--help"));
    assert!(top.contains("advise") && top.contains("Recommend a style"), "{top}");
}
