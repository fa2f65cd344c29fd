//! The one typed context every template renders from. Templates read fields; they never compute,
//! so every derived value (case variants, flags per option) is precomputed here.

use serde::Serialize;

use crate::answers::Answers;
use crate::cli::{Choice, Ci, Db};
use crate::names::Names;

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub archgen_version: &'static str,
    pub project: Names,
    pub style: &'static str,
    pub db: DbContext,
    pub ci: CiContext,
}

#[derive(Debug, Clone, Serialize)]
#[allow(clippy::struct_excessive_bools)] // one flag per option is what `{{#if db.sqlite}}` reads
pub struct DbContext {
    pub kind: &'static str,
    pub postgres: bool,
    pub sqlite: bool,
    pub none: bool,
    /// Any database at all (postgres or sqlite).
    pub any: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CiContext {
    pub kind: &'static str,
    pub github: bool,
    pub gitlab: bool,
    pub none: bool,
}

impl Context {
    #[must_use]
    pub fn new(answers: &Answers) -> Self {
        let db = answers.db;
        let ci = answers.ci;
        Self {
            archgen_version: env!("CARGO_PKG_VERSION"),
            project: answers.names.clone(),
            style: answers.style.name(),
            db: DbContext {
                kind: db.name(),
                postgres: db == Db::Postgres,
                sqlite: db == Db::Sqlite,
                none: db == Db::None,
                any: db != Db::None,
            },
            ci: CiContext { kind: ci.name(), github: ci == Ci::Github, gitlab: ci == Ci::Gitlab, none: ci == Ci::None },
        }
    }
}
