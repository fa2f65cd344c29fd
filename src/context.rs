//! The one typed context every template renders from. Templates read fields; they never compute,
//! so every derived value (case variants, flags per option) is precomputed here.

mod load;
mod resource;

use serde::Serialize;

pub use load::LoadContext;
pub use resource::{FieldContext, ReferenceContext, ResourceContext};

use crate::answers::Answers;
use crate::cli::{Choice, Ci, Db, Events, Platform};
use crate::names::Names;

/// The minimum Rust version of every generated project, one for all styles: the newest
/// `rust-version` among the pinned dependencies and what the generated code itself uses.
pub const RUST_VERSION: &str = "1.94";

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub archgen_version: &'static str,
    /// The oldest Rust every generated project supports (`rust-version`, the CI's MSRV job).
    pub rust_version: &'static str,
    pub project: Names,
    /// The crate that holds the app's code, as Rust spells it: the monolith's own, the
    /// serverless `…_core`, the microservices' `…_common`; its integration tests (the shared
    /// harness) import it as `app`.
    pub code_crate: String,
    pub style: &'static str,
    pub db: DbContext,
    pub ci: CiContext,
    /// Microservices: every service in order; empty for the other styles.
    pub services: Vec<ServiceContext>,
    /// The service a per-service template is rendered for; absent elsewhere, so strict mode
    /// rejects a shared template that reads it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceContext>,
    /// Microservices: the calls between services (see [`crate::calls`]), for the docs.
    pub calls: Vec<CallContext>,
    pub events: EventsContext,
    pub platform: PlatformContext,
    /// The resources of the code being rendered (see [`Resources`]).
    #[serde(flatten)]
    pub scope: Resources,
    /// The resource a per-resource template is rendered for; absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceContext>,
    /// Every resource of the project in the order of the answers, with the index of the service
    /// that owns it (microservices): what a per-resource template is rendered with.
    #[serde(skip)]
    pub owned: Vec<(Option<usize>, ResourceContext)>,
    /// What the load test (`loadtest/`, every project) aims at.
    pub load: LoadContext,
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
    /// The microservices' gateway places both too (its `serve`, once its config is read; its
    /// `gateway::State`).
    pub setup: String,
    pub state: String,
    /// Single-app styles (monolith, Knative): `serve` statements once the server has drained
    /// (the last requests' work done), before the process exits: a flush.
    pub on_exit: String,
    /// Monolith and serverless: routes merged into the app's (`let routes = routes.merge(…);`).
    /// Every style: statements in each resource's create handler once it is stored (`created`
    /// in scope, the resource's domain module as `resource`).
    pub routes: String,
    pub on_create: String,
    /// Every style: the per-resource handlers by id. `on_find` holds statements before the read
    /// runs, with `load` in scope (the domain's `get(id)` as a future not yet polled) that
    /// they may shadow with a wrapped one (a cache); `on_update` and `on_delete` statements
    /// once the write is done (`id` in scope). The resource's domain module is `resource`.
    pub on_find: String,
    pub on_update: String,
    pub on_delete: String,
    /// Every style, each resource's domain type and its input: attribute lines before their
    /// doc comment (a derive of a trait the feature's code needs of every resource; placed
    /// there so that rustfmt does not merge it into the type's own `#[derive(…)]`).
    pub resource_types: String,
    /// Every style: items at the end of each resource's handlers module (`PATH` and `ONE`, its
    /// routes, in scope, its domain module as `resource`), e.g. a function the routes call.
    pub resource_http: String,
    /// Module declarations of the app's integration tests (`tests/api/main.rs`; microservices:
    /// each service's), for the files of a feature's `tests/` (mounted beside them).
    pub test_modules: String,
    /// Every style on sqlx: statements in each resource's `insert`, inside the transaction of
    /// the write (`tx` in scope, `created` the stored entity, the resource's domain module as
    /// `resource`), before it commits: what must happen with the write or not at all (a job).
    /// When a feature fills it, the insert runs in a transaction; else on the pool.
    pub on_insert: String,
    /// Monolith and serverless: layers around the API routes (the resources' and `routes`),
    /// inside the app's own middleware and outside of which the probes (`/healthz`, `/readyz`,
    /// `/metrics`) and the fallbacks are added (`let routes = x::layer(routes, …);`, `state` in
    /// scope). The microservices' gateway places it around its proxied routes, inside its rate
    /// limiter (`state` is its `gateway::State`).
    pub route_layers: String,
    /// Microservices: the common crate's features the gateway enables (one `"name",` a line, in
    /// normal and dev dependencies), as `service_common_features` for a service.
    pub gateway_common_features: String,
    /// Monolith and serverless: statements in the `/metrics` handler that append a feature's
    /// series to the exposition (`let text = text + &…;`, `state` in scope).
    pub metrics: String,
    /// Monolith and serverless, `/readyz`: statements that extend `checks` (the readiness JSON)
    /// with an entry that informs without deciding readiness (`let checks = …;`).
    pub readiness: String,
    /// Every style, `telemetry::init` (every binary): statements adding layers to the tracing
    /// subscriber before its output layer (`let registry = registry.with(…);`, `?` available),
    /// and statements that rewrap the JSON output layer (`let json = json.map_…(…);`).
    pub log_layers: String,
    pub log_json: String,
    /// Every style, the span each request runs in (`request: &Request` in scope): statements
    /// before it is created (a guard that lives until it is), and field lines of the span.
    pub request_span: String,
    pub request_span_fields: String,
    /// Lines of `.env.example` (the monolith places them after the listen address, the other
    /// styles at the end).
    pub env: String,
    /// docker-compose: services beside the app's, volumes, and the environment and
    /// `depends_on` entries of every app service. The monolith also places comment lines at
    /// the top of the file, after the command that starts the stack (what it runs, in order),
    /// and `volumes` entries of every service that runs the app's image; it writes a
    /// `depends_on:` or `volumes:` key only when a feature gives it entries.
    pub compose_header: String,
    pub compose_services: String,
    pub compose_volumes: String,
    pub compose_app_environment: String,
    pub compose_app_depends_on: String,
    pub compose_app_volumes: String,
    /// Microservices' docker-compose: `environment` entries of the gateway.
    pub compose_gateway_environment: String,
    /// Kubernetes: `data` of the app's `ConfigMap` (each service's, in microservices), and egress
    /// rules of its `NetworkPolicy`.
    pub k8s_app_config: String,
    pub k8s_app_egress: String,
    /// Microservices, Kubernetes: the gateway's `ConfigMap` `data`, `envFrom` entries after it
    /// (an optional Secret) and egress rules of its `NetworkPolicy` after the services'.
    pub k8s_gateway_config: String,
    pub k8s_gateway_env_from: String,
    pub k8s_gateway_egress: String,
    /// Monolith: checks `.checkov.yaml` skips project-wide, each with its reason in a comment.
    pub checkov_skips: String,
    /// Kubernetes: `envFrom` entries of the app container after its `ConfigMap` (monolith,
    /// Knative api and worker, each microservice), e.g. an optional Secret.
    pub k8s_app_env_from: String,
    /// Kubernetes dev overlay: `resources` and `patches` entries.
    pub k8s_dev_resources: String,
    /// Kubernetes, monolith: `resources` entries of `deploy/k8s/base` (a feature's own
    /// manifests, e.g. its worker's Deployment).
    pub k8s_base_resources: String,
    /// Kubernetes, monolith: `resources` entries of the prod overlay (e.g. an egress rule to an
    /// address outside the cluster, which the dev overlay has no use for).
    pub k8s_prod_resources: String,
    pub k8s_dev_patches: String,
    /// CI: GitHub steps that run first in the test job; GitLab services and variables of it.
    pub ci_github_test_steps: String,
    /// CI, GitHub: service containers of the test job (under `services:`), and its `env:`
    /// entries (where the job has a database).
    pub ci_github_test_services: String,
    pub ci_github_test_env: String,
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

    // The docs: places in README.md and ARCHITECTURE.md that a feature (a database, a cache,
    // jobs) adds its part to; the style's own text is the template's.
    /// README.md: commands of the quick start's shell block before the server starts, and
    /// paragraphs after that block (how to set up what the app needs).
    pub readme_quick_start: String,
    pub readme_setup: String,
    /// README.md: rows of the monolith's table of the binary's commands, after `serve`.
    pub readme_commands: String,
    /// README.md: lines of the test section's shell block before its commands, and
    /// sentences after it.
    pub readme_test_commands: String,
    pub readme_test_notes: String,
    /// README.md, monolith: what `docker-compose.yml` runs, before "The app is on …".
    pub readme_compose: String,
    /// README.md, monolith: resources of `deploy/k8s/base` (one per line, each ending with a
    /// comma), and sentences after the overlays' description.
    pub readme_k8s_resources: String,
    pub readme_k8s_layout: String,
    /// README.md: paragraphs of the deploy section (Knative: before its commands; AWS Lambda:
    /// after its CI set-up), and commands that run before the prod overlay is applied
    /// (Secrets, a migration phase).
    pub readme_deploy: String,
    pub readme_deploy_commands: String,
    /// README.md: rows of the configuration table, before the app's own settings.
    pub readme_config: String,
    /// README.md, AWS Lambda: rows of the layout table, and lines naming the CI variables the
    /// deploy job needs besides the role and region.
    pub readme_layout: String,
    pub readme_ci_variables: String,
    /// ARCHITECTURE.md, serverless: rows of the component (function map) table, and bullets of
    /// the scaling and cold-start section.
    pub architecture_components: String,
    pub architecture_scaling: String,
    /// ARCHITECTURE.md, monolith: bullets of "Decisions, and why" after the one-binary decision
    /// (how the artifact runs), after the bad-input decision (how a backing service's failures
    /// show), and at the end of the list.
    pub architecture_decisions_deploy: String,
    pub architecture_decisions_errors: String,
    pub architecture_decisions: String,

    /// The binaries of the single-app styles (the monolith's, the Knative API's, and the
    /// microservices' gateway): arms of their
    /// table of commands (`["migrate"] => …::migrate().await,`: the words, then a `cli::Result`),
    /// and lines of their usage text, indented as the commands are (`migrate      apply …`).
    pub commands: String,
    pub usage: String,
    /// Every app with a database command module (`templates/app/commands`): statements of its
    /// `migrate` and `db setup` once the migrations are applied (`config` in scope), for a
    /// feature's own schema (a job queue's), so it exists before the app serves.
    pub on_migrate: String,
    /// The same binaries: `use` lines of their `main.rs` (`use x::commands;`), a group of its
    /// own after the fixed imports, so that the other slots name a feature's items briefly and
    /// keep rustfmt's layout at any project name's length. Sorted by the engine, as rustfmt
    /// sorts a group, whatever the features' order.
    pub imports: String,
    /// AWS Lambda's `template.yaml`: its `Parameters:` section (header included: the first
    /// feature with parameters brings it), entries of `Resources:` and of `Outputs:`, written
    /// at column 0.
    pub sam_parameters: String,
    pub sam_resources: String,
    pub sam_outputs: String,

    /// Kubernetes, the app's workload: its rollout (`replicas`, `strategy`: the monolith's
    /// database decides between an autoscaled rolling update and `SQLite`'s one writer), the
    /// pod's `volumes:` and `initContainers:` (the key with its entries), and keys of the app
    /// container after `envFrom` (`env:`, `volumeMounts:`; also Knative's api and worker).
    pub k8s_app_rollout: String,
    pub k8s_app_volumes: String,
    pub k8s_app_init_containers: String,
    pub k8s_app_container: String,
    /// Microservices, the gateway: module declarations of its `lib.rs`, and in `app` routes
    /// merged into its own (`let routes = routes.merge(…);`, the `upstreams` in scope as an
    /// `Arc<Vec<Upstream>>`), outside the rate limiter like its probes.
    pub gateway_modules: String,
    pub gateway_routes: String,
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
    /// `app`: routes merged into the service's (`let routes = routes.merge(…);`), and layers
    /// around them (`let routes = x::layer(routes, state.features.get());`).
    pub service_routes: String,
    /// Items at the end of the service's `http.rs`, where each resource's handlers module is
    /// in scope (e.g. a function that gathers what each of them offers).
    pub service_http: String,
    /// A service that calls others (`src/calls.rs`): statements that add to the headers of
    /// each call (`let headers = x(headers);`), e.g. the caller's credentials.
    pub service_call_headers: String,
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
    /// The resources it owns: in its own templates they are the context's [`Resources`].
    #[serde(skip)]
    pub scope: Resources,
    /// Its resources, for the project's templates (the gateway, the docs).
    pub resources: Vec<ResourceContext>,
    /// What the gateway sends to it: `/api/v1/<path>` and below, for each path (its resources,
    /// and its own name for what the service itself serves, such as its events).
    pub paths: Vec<String>,
    /// The services it calls, with their local ports (see [`crate::calls`]), and those that
    /// call it.
    pub callees: Vec<PeerContext>,
    pub callers: Vec<PeerContext>,
    /// Local port: the gateway has 8080, service `i` has `8081 + i`.
    pub port: u16,
    pub index: usize,
    pub first: bool,
    pub last: bool,
    /// What the project's features put in this service's composition root.
    pub slots: ServiceSlots,
}

/// A call between two services, for the docs: who calls whom, and for which fields.
#[derive(Debug, Clone, Serialize)]
pub struct CallContext {
    pub caller: Names,
    pub callee: Names,
    /// The caller's fields checked with the callee, e.g. "`user_id` of `/api/v1/orders`".
    pub fields: String,
}

/// Another service, as a call names it.
#[derive(Debug, Clone, Serialize)]
pub struct PeerContext {
    #[serde(flatten)]
    pub names: Names,
    /// Its local port (`8081 + index`), where `scripts/dev.sh` runs it.
    pub port: u16,
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
    /// Words of the docs that name the database inside a sentence (whole lines are the db
    /// features' fragments): its name (`PostgreSQL`, empty without one), where the example
    /// items are stored, the binary's subcommands, what `/readyz` waits for, and what CI tests
    /// against.
    pub label: &'static str,
    pub store: &'static str,
    pub subcommands: &'static str,
    pub readiness: &'static str,
    pub ci_tests: &'static str,
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
        let owned = owned_resources(answers);
        Self {
            archgen_version: env!("CARGO_PKG_VERSION"),
            rust_version: RUST_VERSION,
            project: answers.names.clone(),
            code_crate: match answers.style() {
                crate::cli::Style::Monolith => answers.names.snake.clone(),
                crate::cli::Style::Microservices => format!("{}_common", answers.names.snake),
                crate::cli::Style::Serverless => format!("{}_core", answers.names.snake),
            },
            style: answers.style().name(),
            db: DbContext {
                kind: db.name(),
                postgres: db == Db::Postgres,
                sqlite: db == Db::Sqlite,
                none: db == Db::None,
                any: db != Db::None,
                pool_size: if answers.style() == crate::cli::Style::Serverless { 2 } else { 10 },
                label: match db {
                    Db::Postgres => "PostgreSQL",
                    Db::Sqlite => "SQLite",
                    Db::None => "",
                },
                store: match db {
                    Db::Postgres => "PostgreSQL",
                    Db::Sqlite => "SQLite",
                    Db::None => "in-memory store",
                },
                subcommands: if db == Db::None {
                    "`serve`, `healthcheck`"
                } else {
                    "`serve`, `migrate`, `healthcheck`"
                },
                readiness: if db == Db::None {
                    "the app can serve"
                } else {
                    "the database answers `SELECT 1` within about 1 s, otherwise 503 with details"
                },
                ci_tests: match (db, ci) {
                    (Db::Postgres, Ci::Github) => "the tests against a PostgreSQL service container",
                    (Db::Postgres, _) => "the tests against a PostgreSQL service",
                    _ => "the tests",
                },
            },
            ci: CiContext { kind: ci.name(), github: ci == Ci::Github, gitlab: ci == Ci::Gitlab, none: ci == Ci::None },
            services: services
                .iter()
                .enumerate()
                .map(|(index, names)| {
                    let mut service =
                        ServiceContext::new(names, index, services.len(), Resources::of(answers, &owned, Some(index)));
                    let peer = |i: usize| PeerContext { names: services[i].clone(), port: port(i) };
                    for call in answers.shape.calls() {
                        if call.caller == index {
                            service.callees.push(peer(call.callee));
                        }
                        if call.callee == index {
                            service.callers.push(peer(call.caller));
                        }
                    }
                    service
                })
                .collect(),
            service: None,
            calls: calls(answers, &owned),
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
            // Microservices: the project's own code (the common crate) has no resources; each
            // service's has its own.
            scope: Resources::of(answers, &owned, None),
            resource: None,
            owned,
            load: LoadContext::new(&answers.resources, db, !services.is_empty()),
            slots: Slots::default(),
        }
    }
}

/// The resources of the code a template renders: the project's in the single-app styles; in
/// microservices none in the project's (common) code and a service's own in its templates.
#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    /// In order.
    pub resources: Vec<ResourceContext>,
    /// The names sorted as rustfmt sorts module declarations and imports: by singular (the
    /// domain modules) and by plural (the handlers' and repositories' modules).
    pub by_singular: Vec<resource::ResourceNames>,
    pub by_plural: Vec<resource::ResourceNames>,
    /// The first resource: the one the docs and the generic tests (metrics, body limits,
    /// readiness) use as their example, and that the serverless functions (the queue's import
    /// job, the events they are tested with) work on.
    pub example: ResourceContext,
    /// The crates the resources' field types need.
    pub uses: crate::resources::Uses,
}

/// The local port of service `index`: the gateway has 8080.
fn port(index: usize) -> u16 {
    8081 + u16::try_from(index).unwrap_or(u16::MAX - 8081)
}

/// Every resource of the project with the index of the service that owns it (microservices).
/// Its migration is numbered by its position among the resources of its database: the
/// project's, or its service's.
fn owned_resources(answers: &Answers) -> Vec<(Option<usize>, ResourceContext)> {
    // The last counter is the project's.
    let project = answers.shape.services().len();
    let mut positions = vec![0; project + 1];
    answers
        .resources
        .iter()
        .map(|resource| {
            let service = answers.shape.owner(resource);
            let position = &mut positions[service.unwrap_or(project)];
            let mut context = ResourceContext::new(resource, *position, answers.shape.db());
            if let Some(owner) = service {
                context.refer(resource::ReferenceContext::of(resource, &callees(answers, owner)));
            }
            *position += 1;
            (service, context)
        })
        .collect()
}

/// The project's calls, each with the fields its caller checks with its callee.
fn calls(answers: &Answers, owned: &[(Option<usize>, ResourceContext)]) -> Vec<CallContext> {
    let services = answers.shape.services();
    answers
        .shape
        .calls()
        .iter()
        .map(|call| {
            let fields: Vec<String> = owned
                .iter()
                .filter(|(owner, _)| *owner == Some(call.caller))
                .flat_map(|(_, resource)| {
                    resource
                        .references
                        .iter()
                        .filter(|r| r.callee.name == services[call.callee].name)
                        .map(|r| format!("`{}` of `/api/v1/{}`", r.field, resource.plural.kebab))
                })
                .collect();
            CallContext {
                caller: services[call.caller].clone(),
                callee: services[call.callee].clone(),
                fields: if fields.is_empty() { "none yet".to_owned() } else { fields.join(", ") },
            }
        })
        .collect()
}

/// The services `caller` calls, each with the resources it owns.
fn callees(answers: &Answers, caller: usize) -> Vec<(&Names, Vec<&crate::resources::Resource>)> {
    let services = answers.shape.services();
    answers
        .shape
        .calls()
        .iter()
        .filter(|call| call.caller == caller)
        .map(|call| {
            let owned = answers.resources.iter().filter(|r| answers.shape.owner(r) == Some(call.callee)).collect();
            (&services[call.callee], owned)
        })
        .collect()
}

impl ServiceContext {
    fn new(names: &Names, index: usize, count: usize, scope: Resources) -> Self {
        let mut paths = vec![names.kebab.clone()];
        for resource in &scope.resources {
            if !paths.contains(&resource.plural.kebab) {
                paths.push(resource.plural.kebab.clone());
            }
        }
        Self {
            names: names.clone(),
            resources: scope.resources.clone(),
            paths,
            scope,
            callees: Vec::new(),
            callers: Vec::new(),
            port: port(index),
            index,
            first: index == 0,
            last: index + 1 == count,
            slots: ServiceSlots::default(),
        }
    }
}

impl Resources {
    /// The resources `service` owns; with `None`, the project's own code's.
    fn of(answers: &Answers, owned: &[(Option<usize>, ResourceContext)], service: Option<usize>) -> Self {
        let resources = answers.resources.iter().filter(|r| answers.shape.owner(r) == service);
        let contexts = owned.iter().filter(|(s, _)| *s == service).map(|(_, c)| c.clone()).collect();
        // The project's crates (a workspace's dependency table) need what any resource uses.
        let uses = match service {
            Some(_) => crate::resources::Uses::of(resources),
            None => crate::resources::Uses::of(&answers.resources),
        };
        Self::new(contexts, uses, answers.shape.db())
    }

    fn new(resources: Vec<ResourceContext>, uses: crate::resources::Uses, db: Db) -> Self {
        Self {
            by_singular: resource::sorted(&resources, |r| &r.singular.snake),
            by_plural: resource::sorted(&resources, |r| &r.plural.snake),
            example: resource::example(&resources, db),
            resources,
            uses,
        }
    }
}
