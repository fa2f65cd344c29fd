//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // shared by test binaries that each use a part

use cargo_archgen::answers::Answers;
use cargo_archgen::cli::{Choice, Ci, Db, Events, NewArgs, Platform, Style};
use cargo_archgen::prompt::Defaults;

fn args(style: Style, db: Db, ci: Ci) -> NewArgs {
    NewArgs { name: Some("shop".into()), style: Some(style), db: Some(db), ci: Some(ci), ..NewArgs::default() }
}

/// Every case the generator supports: each style × its options.
pub fn cases() -> Vec<Answers> {
    let mut cases = Vec::new();
    for db in [Db::Postgres, Db::Sqlite, Db::None] {
        for ci in [Ci::Github, Ci::Gitlab, Ci::None] {
            cases.push(args(Style::Monolith, db, ci));
        }
    }
    for (services, events, ci) in [
        ("users,orders", Events::Nats, Ci::Github),
        ("users,orders", Events::Nats, Ci::Gitlab),
        ("users,orders", Events::None, Ci::None),
        ("catalog", Events::Nats, Ci::None),
        ("users,orders,billing", Events::None, Ci::Github),
    ] {
        // Three services: a service with two callees, one with two callers.
        let calls = (services == "users,orders,billing")
            .then(|| vec!["billing:orders".to_owned(), "orders:users".to_owned(), "billing:users".to_owned()]);
        let services = Some(services.split(',').map(str::to_owned).collect());
        cases.push(NewArgs { services, calls, events: Some(events), ..args(Style::Microservices, Db::Postgres, ci) });
    }
    for platform in [Platform::AwsLambda, Platform::Knative] {
        for db in [Db::Postgres, Db::None] {
            for ci in [Ci::Github, Ci::Gitlab, Ci::None] {
                cases.push(NewArgs { platform: Some(platform), ..args(Style::Serverless, db, ci) });
            }
        }
    }
    // Each chosen feature in each style (and platform) that takes it.
    let ratelimit = Some(vec!["ratelimit".to_owned()]);
    cases.push(NewArgs { features: ratelimit.clone(), ..args(Style::Monolith, Db::Postgres, Ci::Github) });
    cases.push(NewArgs {
        platform: Some(Platform::Knative),
        features: ratelimit,
        ..args(Style::Serverless, Db::Postgres, Ci::Gitlab)
    });
    let auth = Some(vec!["auth".to_owned()]);
    cases.push(NewArgs { features: auth.clone(), ..args(Style::Monolith, Db::Sqlite, Ci::Github) });
    let services = Some(vec!["users".to_owned(), "orders".to_owned()]);
    let microservices = args(Style::Microservices, Db::Postgres, Ci::Gitlab);
    cases.push(NewArgs { features: auth.clone(), services, events: Some(Events::Nats), ..microservices });
    let knative = args(Style::Serverless, Db::Postgres, Ci::Gitlab);
    cases.push(NewArgs { features: auth, platform: Some(Platform::Knative), ..knative });
    let cache = || Some(vec!["cache".to_owned()]);
    for ci in [Ci::Github, Ci::Gitlab] {
        cases.push(NewArgs { features: cache(), ..args(Style::Monolith, Db::Postgres, ci) });
    }
    cases.push(NewArgs { features: cache(), ..args(Style::Monolith, Db::Sqlite, Ci::Github) });
    let knative = args(Style::Serverless, Db::Postgres, Ci::Github);
    cases.push(NewArgs { features: cache(), platform: Some(Platform::Knative), ..knative });
    cases.push(NewArgs { features: Some(vec!["jobs".to_owned()]), ..args(Style::Monolith, Db::Postgres, Ci::Github) });
    cases.push(NewArgs { features: Some(vec!["otel".to_owned()]), ..args(Style::Monolith, Db::Sqlite, Ci::Gitlab) });
    cases.into_iter().map(|a| Answers::resolve(&a, None, &mut Defaults).expect("valid case")).collect()
}

/// A stable, readable id for a case, used for snapshot names and temp dirs.
pub fn case_id(answers: &Answers) -> String {
    let mut id = answers.style().name().to_owned();
    let services = answers.shape.services();
    if !services.is_empty() {
        id.push('-');
        id.push_str(&services.iter().map(|s| s.kebab.as_str()).collect::<Vec<_>>().join("-"));
    }
    if let Some(events) = answers.shape.events() {
        id.push_str("-events-");
        id.push_str(events.name());
    }
    if let Some(platform) = answers.shape.platform() {
        id.push('-');
        id.push_str(platform.name());
    }
    id = format!("{id}-{}-{}", answers.shape.db().name(), answers.ci.name());
    // The features a project has by default (openapi) are not named: a case is named by what
    // its answers add to the style.
    let defaults: Vec<String> = cargo_archgen::features::choosable(&cargo_archgen::plan::TEMPLATES, &answers.shape)
        .expect("the catalogue")
        .into_iter()
        .filter(|feature| feature.manifest.default)
        .map(|feature| feature.name)
        .collect();
    for feature in answers.features.iter().filter(|f| !defaults.contains(f)) {
        id.push('-');
        id.push_str(feature);
    }
    id
}

pub mod e2e;
pub mod microservices;

/// The real binary, run in `dir` as a user would: git config of its own (none), no repository
/// above `dir` to discover.
pub fn archgen(dir: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("cargo-archgen"));
    cmd.current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

/// Every file of a project but its `.git`: path (`/`-separated) → contents.
pub fn files(root: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// `git ARGS` in `project` with a fixed identity; its stdout.
pub fn git(project: &std::path::Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .current_dir(project)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}
