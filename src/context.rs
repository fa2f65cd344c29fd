//! The one typed context every template renders from. Templates read fields; they never compute,
//! so every derived value (case variants, flags per option) is precomputed here.

use serde::Serialize;

use crate::answers::Answers;
use crate::cli::{Choice, Ci, Db, Events, Platform};
use crate::names::Names;

/// The minimum Rust version of every generated project, one for all styles: the newest
/// `rust-version` among the pinned dependencies and what the generated code itself uses.
pub const RUST_VERSION: &str = "1.89";

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub archgen_version: &'static str,
    /// The oldest Rust every generated project supports (`rust-version`, the CI's MSRV job).
    pub rust_version: &'static str,
    pub project: Names,
    pub style: &'static str,
    pub db: DbContext,
    pub ci: CiContext,
    /// Microservices: every service in order; empty for the other styles.
    pub services: Vec<ServiceContext>,
    /// The service a per-service template is rendered for; absent elsewhere, so strict mode
    /// rejects a shared template that reads it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceContext>,
    pub events: EventsContext,
    pub platform: PlatformContext,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceContext {
    #[serde(flatten)]
    pub names: Names,
    /// Local port: the gateway has 8080, service `i` has `8081 + i`.
    pub port: u16,
    pub index: usize,
    pub first: bool,
    pub last: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventsContext {
    pub kind: &'static str,
    pub nats: bool,
    pub none: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlatformContext {
    pub kind: &'static str,
    pub aws_lambda: bool,
    pub knative: bool,
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
        let db = answers.shape.db();
        let ci = answers.ci;
        let (services, events, platform) = (answers.shape.services(), answers.shape.events(), answers.shape.platform());
        Self {
            archgen_version: env!("CARGO_PKG_VERSION"),
            rust_version: RUST_VERSION,
            project: answers.names.clone(),
            style: answers.style().name(),
            db: DbContext {
                kind: db.name(),
                postgres: db == Db::Postgres,
                sqlite: db == Db::Sqlite,
                none: db == Db::None,
                any: db != Db::None,
            },
            ci: CiContext { kind: ci.name(), github: ci == Ci::Github, gitlab: ci == Ci::Gitlab, none: ci == Ci::None },
            services: services
                .iter()
                .enumerate()
                .map(|(index, names)| ServiceContext {
                    names: names.clone(),
                    port: 8081 + u16::try_from(index).unwrap_or(u16::MAX - 8081),
                    index,
                    first: index == 0,
                    last: index + 1 == services.len(),
                })
                .collect(),
            service: None,
            events: EventsContext {
                kind: events.map_or("none", Events::name),
                nats: events == Some(Events::Nats),
                none: events != Some(Events::Nats),
            },
            platform: PlatformContext {
                kind: platform.map_or("none", Platform::name),
                aws_lambda: platform == Some(Platform::AwsLambda),
                knative: platform == Some(Platform::Knative),
            },
        }
    }

    /// The context for one service's per-service templates.
    #[must_use]
    pub fn for_service(&self, index: usize) -> Self {
        Self { service: self.services.get(index).cloned(), ..self.clone() }
    }
}
