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
    /// What the project's features put in its composition roots: filled by [`crate::render`].
    pub slots: Slots,
}

/// The places in a project's composition roots that features fill (see [`crate::features`]).
/// Each is placed as a line of its own, `{{> slot/NAME}}`, and holds whole lines, indented as
/// the placing line is. A style places the slots it has a host for; the comment says where.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Slots {
    /// Dependency lines of the root manifest: the monolith's `[dependencies]`, a workspace's
    /// `[workspace.dependencies]` (versions live there; the crates opt in below).
    pub dependencies: String,
    /// Workspaces: `[dependencies]` of the crate that holds the shared code (`common`, `core`),
    /// e.g. `x = { workspace = true, optional = true }`.
    pub code_dependencies: String,
    /// Microservices: the `[features]` of the common crate, so only the crates that need a
    /// feature's code compile it.
    pub code_features: String,
    /// Module declarations in the `lib.rs` of the code root (where `code/` is mounted).
    pub code_modules: String,
    /// Single-app styles (monolith, Knative): `serve` statements once the repository exists
    /// (`repository` in scope), and handles put into the state (`let state = state.with(h);`).
    pub setup: String,
    pub state: String,
    /// Monolith and serverless: routes merged into the app's (`let routes = routes.merge(…);`),
    /// and statements in the create handler once the item is stored (`item` in scope).
    pub routes: String,
    pub on_create: String,
    /// Lines of `.env.example`.
    pub env: String,
    /// docker-compose: services beside the app's, volumes, and the environment and
    /// `depends_on` entries of every app service.
    pub compose_services: String,
    pub compose_volumes: String,
    pub compose_app_environment: String,
    pub compose_app_depends_on: String,
    /// Kubernetes: `data` of the app's `ConfigMap` (each service's, in microservices), and egress
    /// rules of its `NetworkPolicy`.
    pub k8s_app_config: String,
    pub k8s_app_egress: String,
    /// Kubernetes dev overlay: `resources` and `patches` entries.
    pub k8s_dev_resources: String,
    pub k8s_dev_patches: String,
    /// CI: GitHub steps that run first in the test job; GitLab services and variables of it.
    pub ci_github_test_steps: String,
    pub ci_gitlab_test_services: String,
    pub ci_gitlab_test_variables: String,
    /// README.md: a section before "Deploy to Kubernetes", bullets of that section, and
    /// (microservices) bullets of "Run locally".
    pub readme: String,
    pub readme_kubernetes: String,
    pub readme_local: String,
    /// ARCHITECTURE.md: sections after "Shared code", lines of the service map, rows of the
    /// failure table, and lines after the deployment table.
    pub architecture: String,
    pub architecture_diagram: String,
    pub architecture_failures: String,
    pub architecture_deployment: String,
    /// Kubernetes, the app's workload: its rollout (`replicas`, `strategy`: the monolith's
    /// database decides between an autoscaled rolling update and `SQLite`'s one writer), the
    /// pod's `volumes:` and `initContainers:` (the key with its entries), and keys of the app
    /// container after `envFrom` (`env:`, `volumeMounts:`; also Knative's api and worker).
    pub k8s_app_rollout: String,
    pub k8s_app_volumes: String,
    pub k8s_app_init_containers: String,
    pub k8s_app_container: String,
}

/// The places in each microservice's own composition root that features fill, rendered once
/// per service with that service's context.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceSlots {
    /// `[dependencies]` lines of the service crate, and the common crate's features it enables
    /// (one `"name",` per line, in normal and dev dependencies).
    pub service_dependencies: String,
    pub service_common_features: String,
    /// Module declarations of the service's `lib.rs`.
    pub service_modules: String,
    /// `serve`: settings read before logging starts, setup once the pool exists, handles put
    /// into the state (`let state = state.with(handle);`) and what stops after serving.
    pub service_config: String,
    pub service_setup: String,
    pub service_state: String,
    pub service_shutdown: String,
    /// `app`: routes merged into the service's (`let routes = routes.merge(…);`).
    pub service_routes: String,
    /// The create handler, once the record is stored (`record` in scope).
    pub service_on_create: String,
}

impl Slots {
    /// Every slot name, project slots first: what a fragment file may be named.
    #[must_use]
    pub fn names() -> (Vec<String>, Vec<String>) {
        let keys = |value: serde_json::Value| {
            value.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default()
        };
        (
            keys(serde_json::to_value(Self::default()).unwrap_or_default()),
            keys(serde_json::to_value(ServiceSlots::default()).unwrap_or_default()),
        )
    }
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
    /// What the project's features put in this service's composition root.
    pub slots: ServiceSlots,
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
    /// The default of `DATABASE_MAX_CONNECTIONS`: a function instance keeps few connections,
    /// as there are many of them.
    pub pool_size: u32,
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
                pool_size: if answers.style() == crate::cli::Style::Serverless { 2 } else { 10 },
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
                    slots: ServiceSlots::default(),
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
            slots: Slots::default(),
        }
    }

    /// The context for one service's per-service templates.
    #[must_use]
    pub fn for_service(&self, index: usize) -> Self {
        Self { service: self.services.get(index).cloned(), ..self.clone() }
    }
}
