//! Features chosen by the user (`--features`, `add feature`, `update --set features=`): recorded
//! in `archgen.toml`, replayed, grown into a project as one `new` generates it, and refused with
//! the reason where a style cannot take them. A team's own feature comes with its custom
//! templates (a folder under `features/`), which is how these tests bring one.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

mod common;

use std::fs;
use std::path::Path;

use common::{archgen, git};
use predicates::prelude::*;

/// A team's feature: a file of its own and a section of the README (a slot), monolith only,
/// refused in serverless with its reason.
fn team_templates(dir: &Path) {
    let feature = dir.join("team/features/audit-log");
    fs::create_dir_all(feature.join("files")).unwrap();
    fs::create_dir_all(feature.join("slots")).unwrap();
    fs::write(
        feature.join("feature.toml"),
        "styles = [\"monolith\"]\nguidance = \"an audit trail of every write\"\n\n[refuses]\nserverless = \
         \"functions keep no local state to audit\"\n",
    )
    .unwrap();
    fs::write(feature.join("files/AUDIT.md.hbs"), "# Audit log of {{project.title}}\n").unwrap();
    fs::write(feature.join("slots/readme.hbs"), "## Audit log\n\nSee AUDIT.md.\n\n").unwrap();
}

fn one_error_and_help(stderr: &[u8]) -> String {
    let stderr = String::from_utf8(stderr.to_vec()).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("error: ") && lines[1].starts_with("help: "), "{stderr}");
    stderr
}

#[test]
fn a_chosen_feature_is_rendered_recorded_and_replayed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    team_templates(dir);
    archgen(dir)
        .args(["new", "shop", "--yes", "--templates", "team", "--features", "audit-log", "--output", "shop"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--features audit-log"));
    let project = dir.join("shop");
    assert_eq!(fs::read_to_string(project.join("AUDIT.md")).unwrap(), "# Audit log of Shop\n");
    assert!(fs::read_to_string(project.join("README.md")).unwrap().contains("## Audit log\n\nSee AUDIT.md.\n"));
    let answers = fs::read_to_string(project.join("archgen.toml")).unwrap();
    assert!(answers.contains("features = [\"audit-log\"]"), "{answers}");

    // Replayed from the answers file: the same project.
    archgen(dir)
        .args(["new", "--answers", "shop/archgen.toml", "--output", "again", "--yes", "--no-git"])
        .assert()
        .success();
    let (mut first, again) = (common::files(&project), common::files(&dir.join("again")));
    first.retain(|path, _| !path.starts_with(".git/"));
    assert_eq!(first, again);
}

#[test]
fn adding_a_feature_equals_generating_with_it_and_update_takes_it_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    team_templates(dir);
    // Without the default features (openapi), so that only the added one differs.
    archgen(dir)
        .args(["new", "shop", "--yes", "--templates", "team", "--features", "none", "--output", "grown"])
        .assert()
        .success();
    let answers = fs::read_to_string(dir.join("grown/archgen.toml")).unwrap();
    assert!(answers.contains("features = []"), "{answers}");
    let report = archgen(dir)
        .args(["add", "feature", "audit-log", "--path", "grown", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&report).unwrap();
    assert_eq!(report["feature"], "audit-log", "{report}");
    archgen(dir)
        .args([
            "new",
            "shop",
            "--yes",
            "--no-git",
            "--templates",
            "team",
            "--features",
            "audit-log",
            "--output",
            "fresh",
        ])
        .assert()
        .success();
    let grown = dir.join("grown");
    let mut files = common::files(&grown);
    files.retain(|path, _| !path.starts_with(".git/"));
    assert_eq!(files, common::files(&dir.join("fresh")), "growing equals generating");

    // Twice is refused, and changes nothing.
    git(&grown, &["add", "-A"]);
    git(&grown, &["commit", "-qm", "audit log"]);
    let output = archgen(dir).args(["add", "feature", "audit-log", "--path", "grown"]).assert().code(2);
    assert!(one_error_and_help(&output.get_output().stderr).contains("has it already"));

    // Taken out again: its file goes (it was not edited), the README loses its section.
    archgen(dir).args(["update", "--path", "grown", "--set", "features=none"]).assert().success();
    assert!(!grown.join("AUDIT.md").exists());
    assert!(!fs::read_to_string(grown.join("README.md")).unwrap().contains("Audit log"));
    assert!(fs::read_to_string(grown.join("archgen.toml")).unwrap().contains("features = []"));
}

#[test]
fn unknown_features_and_those_a_style_cannot_take_are_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    team_templates(dir);
    for (args, reason) in [
        (&["--features", "audit"][..], "there is no such feature"),
        (&["--features", "audit-log", "--style", "serverless"], "functions keep no local state to audit"),
        (&["--features", "audit-log", "--style", "microservices"], "it is for monolith projects"),
        (&["--features", "db-sqlite"], "it is what `--db sqlite` means"),
    ] {
        let output = archgen(dir)
            .args(["new", "shop", "--yes", "--templates", "team", "--output", "refused"])
            .args(args)
            .assert()
            .code(2);
        let stderr = one_error_and_help(&output.get_output().stderr);
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
        assert!(!dir.join("refused").exists(), "{args:?}: something was written");
    }
    // Without the team's templates the feature does not exist.
    archgen(dir).args(["new", "shop", "--yes", "--features", "audit-log", "--output", "refused"]).assert().code(2);
}

/// README's style × feature table is the catalogue's, so it cannot drift from the templates.
#[test]
fn the_readme_table_is_the_catalogue() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let (_, rest) = readme.split_once("<!-- features:begin").expect("README has the features table");
    let (_, rest) = rest.split_once("-->\n").unwrap();
    let (table, _) = rest.split_once("<!-- features:end -->").unwrap();
    assert_eq!(
        table,
        cargo_archgen::features::table().unwrap(),
        "README's table; regenerate it from features::table()"
    );
}

/// Every pair of the features a style can take renders, for each style, platform and database:
/// two features fill the same slots, so each pair is a project of its own. (The slow tier builds
/// each style's project with every feature at once: `e2e::MONOLITH_AUTH`, `e2e::KNATIVE_RATELIMIT`.)
#[test]
fn every_pair_of_features_renders_in_every_style() {
    use cargo_archgen::answers::Answers;
    use cargo_archgen::cli::{Db, NewArgs, Platform, Style};
    use cargo_archgen::prompt::Defaults;

    let shapes = [
        (Style::Monolith, None, Db::Postgres),
        (Style::Monolith, None, Db::Sqlite),
        (Style::Monolith, None, Db::None),
        (Style::Microservices, None, Db::Postgres),
        (Style::Serverless, Some(Platform::AwsLambda), Db::Postgres),
        (Style::Serverless, Some(Platform::Knative), Db::Postgres),
        (Style::Serverless, Some(Platform::Knative), Db::None),
    ];
    let mut pairs = 0;
    for (style, platform, db) in shapes {
        let args = |features: Vec<String>| NewArgs {
            name: Some("shop".into()),
            style: Some(style),
            platform,
            db: Some(db),
            features: Some(features),
            ..NewArgs::default()
        };
        let shape = Answers::resolve(&args(vec!["none".into()]), None, &mut Defaults).unwrap().shape;
        let names: Vec<String> = cargo_archgen::features::choosable(&cargo_archgen::plan::TEMPLATES, &shape)
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                let answers = Answers::resolve(&args(vec![a.clone(), b.clone()]), None, &mut Defaults).unwrap();
                let tree = cargo_archgen::render::render(&answers)
                    .unwrap_or_else(|e| panic!("{style:?} {platform:?} {db:?} with {a} and {b}: {e}"));
                assert!(tree.contains_key("archgen.toml"));
                pairs += 1;
            }
        }
    }
    assert!(pairs > 0, "no style takes two features yet: this test checks nothing");
}
