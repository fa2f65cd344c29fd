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
        let services = Some(services.split(',').map(str::to_owned).collect());
        cases.push(NewArgs { services, events: Some(events), ..args(Style::Microservices, Db::Postgres, ci) });
    }
    for platform in [Platform::AwsLambda, Platform::Knative] {
        for db in [Db::Postgres, Db::None] {
            for ci in [Ci::Github, Ci::Gitlab, Ci::None] {
                cases.push(NewArgs { platform: Some(platform), ..args(Style::Serverless, db, ci) });
            }
        }
    }
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
    format!("{id}-{}-{}", answers.shape.db().name(), answers.ci.name())
}

pub mod e2e;
