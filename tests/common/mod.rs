//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use cargo_archgen::answers::Answers;
use cargo_archgen::cli::{Choice, Ci, Db, NewArgs, Style};
use cargo_archgen::prompt::Defaults;

/// Every case the generator supports today: style × db × ci.
pub fn cases() -> Vec<Answers> {
    let mut cases = Vec::new();
    for db in [Db::Postgres, Db::Sqlite, Db::None] {
        for ci in [Ci::Github, Ci::Gitlab, Ci::None] {
            let args = NewArgs {
                name: Some("shop".into()),
                style: Some(Style::Monolith),
                db: Some(db),
                ci: Some(ci),
                ..NewArgs::default()
            };
            cases.push(Answers::resolve(&args, None, &mut Defaults).expect("valid case"));
        }
    }
    cases
}

/// A stable, readable id for a case, used for snapshot names and temp dirs.
pub fn case_id(answers: &Answers) -> String {
    format!("{}-{}-{}", answers.style.name(), answers.db.name(), answers.ci.name())
}
