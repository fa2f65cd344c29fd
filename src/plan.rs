//! The one place that decides which template files a project gets.
//!
//! Templates are grouped in *layers* (folders under `templates/`); the plan picks the layers for
//! the answers and every file of a layer lands at the same relative path in the project. A
//! per-service layer is applied once per service (its paths name `{{service.kebab}}`). A path
//! may come from one layer only, so no layer silently overrides another (checked in
//! [`crate::render`], after paths are rendered).

use include_dir::{Dir, File, include_dir};

use crate::answers::{Answers, Shape};
use crate::cli::{Ci, Db, Platform};
use crate::error::{Error, Result};
use crate::features::Feature;

/// Every template, embedded in the binary.
pub static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Files with this suffix are rendered with Handlebars (and lose the suffix); others are copied.
pub const TEMPLATE_SUFFIX: &str = ".hbs";

/// A folder of templates, applied once or once per service, at the project root or mounted
/// under a prefix (so one folder of application code serves several styles).
#[derive(Debug, Clone)]
pub struct Layer {
    /// The tree the folder is in: [`TEMPLATES`], or a test's own.
    pub root: &'static Dir<'static>,
    /// The folder, inside `root`.
    pub dir: String,
    /// Prepended to every output path, e.g. `crates/core/src/` (rendered, like the paths).
    pub prefix: &'static str,
    pub per: Per,
}

/// How often a layer is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    Project,
    /// Once per service, with `service` in the context.
    Service,
    /// Once per service that calls another (microservices), with `service` in the context.
    Caller,
    /// Once per resource, with `resource` (and in microservices its owner as `service`).
    Resource,
}

impl Layer {
    fn once(dir: impl Into<String>) -> Self {
        Self { root: &TEMPLATES, dir: dir.into(), prefix: "", per: Per::Project }
    }
    fn per_service(dir: impl Into<String>) -> Self {
        Self { root: &TEMPLATES, dir: dir.into(), prefix: "", per: Per::Service }
    }
    fn mounted(dir: impl Into<String>, prefix: &'static str) -> Self {
        Self { root: &TEMPLATES, dir: dir.into(), prefix, per: Per::Project }
    }
    fn per_resource(dir: &str, prefix: &'static str) -> Self {
        Self { root: &TEMPLATES, dir: format!("resource/{dir}"), prefix, per: Per::Resource }
    }
}

/// Where a style puts each part of a resource: its code root (domain, repository), its
/// handlers, its migrations and its integration tests.
struct ResourceMounts {
    code: &'static str,
    http: &'static str,
    migrations: &'static str,
    /// Where its integration tests go: beside the harness of the app ([`APP_TEST_APP`]), if the
    /// style has one.
    tests: Option<&'static str>,
}

const MONOLITH_RESOURCES: ResourceMounts =
    ResourceMounts { code: "src/", http: "src/http/", migrations: "migrations/", tests: Some("tests/api/") };
/// In microservices a resource lives in the service that owns it (the per-resource context has
/// its owner as `service`).
const MICROSERVICES_RESOURCES: ResourceMounts = ResourceMounts {
    code: "services/{{service.kebab}}/src/",
    http: "services/{{service.kebab}}/src/http/",
    migrations: "services/{{service.kebab}}/migrations/",
    tests: Some("services/{{service.kebab}}/tests/api/"),
};
const SERVERLESS_RESOURCES: ResourceMounts = ResourceMounts {
    code: "crates/core/src/",
    http: "crates/core/src/http/",
    migrations: "crates/core/migrations/",
    tests: Some("crates/core/tests/api/"),
};

/// The per-resource layers (`templates/resource/…`): every resource's domain type, handlers,
/// storage for the project's database, migration and tests.
fn resource_layers(mounts: &ResourceMounts, db: Db) -> Vec<Layer> {
    let mut layers = vec![Layer::per_resource("domain", mounts.code), Layer::per_resource("http", mounts.http)];
    layers.extend(mounts.tests.map(|tests| Layer::per_resource("tests", tests)));
    match db {
        Db::Postgres => layers.push(Layer::per_resource("migration-postgres", mounts.migrations)),
        Db::Sqlite => layers.push(Layer::per_resource("migration-sqlite", mounts.migrations)),
        Db::None => {}
    }
    layers.push(Layer::per_resource(if db == Db::None { "memory" } else { "sqlx" }, mounts.code));
    layers
}

/// The application core that the monolith and the serverless functions share: the HTTP layer
/// and the configuration of a single-database app (`Config`: the server's settings and the
/// storage's, whose `config/database.rs` comes with its storage: [`APP_CONFIG_POSTGRES`]).
const APP_CORE: &str = "app/core";
/// The settings every HTTP process shares and the typed access to environment variables
/// (`config/server.rs`), in every style.
const APP_CONFIG: &str = "app/config";
/// What every service of every style runs on: telemetry, metrics, the healthcheck probe and
/// graceful shutdown.
const APP_RUNTIME: &str = "app/runtime";
/// The JSON error envelope and the extractors that answer in it, shared by every style.
const APP_ENVELOPE: &str = "app/envelope";
/// The readiness check that the schema holds every embedded migration, for every style with a
/// database.
const APP_SCHEMA: &str = "app/schema";
/// The dev overlay's throwaway `PostgreSQL` for a single-database app on Kubernetes (the monolith,
/// Knative), mounted into `deploy/k8s/overlays/dev/`.
const DEV_POSTGRES: &str = "k8s/dev-postgres";
/// The monolith's `HorizontalPodAutoscaler`, mounted into `deploy/k8s/base/` wherever several
/// pods may serve at once: every database but `SQLite` (one file, one writer).
const K8S_HPA: &str = "k8s/hpa";
/// The domain of every style: its error, pagination, the example resource (`Item`, its input
/// rules, its use cases and the storage port they need) and the rules every text field follows.
const APP_DOMAIN: &str = "app/domain";
/// The integration tests' client: a router called in memory (`tower::ServiceExt::oneshot`).
const APP_TEST_CLIENT: &str = "app/test-client";
/// The app's integration tests (`tests/api` of the monolith and of the serverless core): the
/// harness (the real router on fresh storage, `support::TestApp`), its probes, metrics and
/// request ids, and beside it every resource's CRUD tests. Each style brings its `db.rs`
/// (`TestDb`: fresh storage per test).
const APP_TEST_APP: &str = "app/test-app";
/// A `PostgreSQL` schema of its own per test, for every style's test support with `PostgreSQL`.
const APP_TEST_POSTGRES: &str = "app/test-postgres";
/// `db setup` on a `PostgreSQL` the user has (role and database, then migrations) and the one
/// explanation of a database failure for the command line, wherever there is a `PostgreSQL`.
const APP_SETUP: &str = "app/setup";
/// `migrate` and `db setup` of a single-app binary (the monolith's, the Knative API's, the
/// Lambda migrate function's) on the app's configuration, wherever it has a database.
const APP_COMMANDS: &str = "app/commands";
/// What every repository on sqlx shares: the pool's acquire timeout, the one mapping of
/// storage errors (SQLSTATE classes) to domain errors and the example resource's rows. Mounted
/// inside the storage module.
const APP_SQLX: &str = "app/sqlx";
/// The settings of a `PostgreSQL` storage (`config/database.rs`: the primary and the optional
/// read replica), at the code root of every crate that reads them.
const APP_CONFIG_POSTGRES: &str = "app/config-postgres";
/// Where a read goes (`replica.rs`: the replica of `DATABASE_READ_URL` while it is up and close
/// behind, else the primary), beside the sqlx support of every `PostgreSQL` storage.
const APP_REPLICA: &str = "app/replica";

/// The `PostgreSQL` repository of the example resource, and the in-memory one for `--db none`,
/// shared by the monolith and the serverless core.
const APP_REPOSITORY_POSTGRES: &str = "app/repository-postgres";
const APP_REPOSITORY_MEMORY: &str = "app/repository-memory";

/// The per-client rate limiter: the `ratelimit` feature's module, which the microservices'
/// gateway always has (in the common crate, behind its `ratelimit` cargo feature). One copy:
/// the feature's `code/`, mounted here too.
const RATELIMIT_CODE: &str = "features/ratelimit/code";

/// The build script that rebuilds a crate when a migration is added (`migrate!()` embeds them),
/// beside every crate with a `migrations/` folder.
const MIGRATIONS_BUILD: &str = "app/migrations-build";

/// One file of the project: where it comes from and where it goes.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub source: &'static File<'static>,
    /// Output path relative to the project root, `/`-separated; may itself contain `{{…}}`.
    pub output: String,
    pub render: bool,
    /// For a per-service layer: the index of the service it is rendered for.
    pub service: Option<usize>,
    /// For a per-resource layer: the index of the resource it is rendered for.
    pub resource: Option<usize>,
    pub layer: String,
}

fn ci_layer(style: &str, ci: Ci) -> Option<Layer> {
    match ci {
        Ci::Github => Some(Layer::once(format!("{style}/ci-github"))),
        Ci::Gitlab => Some(Layer::once(format!("{style}/ci-gitlab"))),
        Ci::None => None,
    }
}

/// The template layers for these answers, in order: the style's, then each active feature's.
///
/// # Errors
/// A feature the answers need is missing or invalid: a bug in the templates.
pub fn layers(answers: &Answers) -> Result<Vec<Layer>> {
    Ok(layers_with(answers, &crate::features::active(answers)?))
}

/// The layers of the style, then those of `features`.
#[must_use]
pub fn layers_with(answers: &Answers, features: &[Feature]) -> Vec<Layer> {
    let mut layers = style_layers(answers);
    // The style's folders are read from the project's templates: the embedded ones, or those
    // with its custom templates overlaid (features come from the same tree).
    let root = answers.templates_root();
    for layer in &mut layers {
        layer.root = root;
    }
    for feature in features {
        layers.extend(feature.layers(answers));
    }
    layers
}

fn style_layers(answers: &Answers) -> Vec<Layer> {
    let mut layers = vec![Layer::once("shared")];
    match &answers.shape {
        &Shape::Monolith { db } => {
            layers.push(Layer::mounted(APP_RUNTIME, "src/"));
            layers.push(Layer::mounted(APP_ENVELOPE, "src/"));
            layers.push(Layer::mounted(APP_CONFIG, "src/"));
            layers.push(Layer::mounted(APP_CORE, "src/"));
            layers.push(Layer::mounted(APP_DOMAIN, "src/"));
            layers.push(Layer::mounted(APP_TEST_APP, "tests/api/"));
            layers.push(Layer::mounted(APP_TEST_CLIENT, "tests/api/support/"));
            if db != Db::None {
                layers.push(Layer::mounted(MIGRATIONS_BUILD, ""));
                layers.push(Layer::mounted(APP_SCHEMA, "src/"));
                layers.push(Layer::mounted(APP_SQLX, "src/repository/"));
                layers.push(Layer::mounted(APP_COMMANDS, "src/"));
            }
            match db {
                Db::Postgres => {
                    layers.push(Layer::mounted(APP_REPOSITORY_POSTGRES, "src/"));
                    layers.push(Layer::mounted(APP_CONFIG_POSTGRES, "src/"));
                    layers.push(Layer::mounted(APP_REPLICA, "src/repository/"));
                }
                Db::None => layers.push(Layer::mounted(APP_REPOSITORY_MEMORY, "src/")),
                Db::Sqlite => {}
            }
            layers.push(Layer::once("monolith/base"));
            if db != Db::Sqlite {
                layers.push(Layer::mounted(K8S_HPA, "deploy/k8s/base/"));
            }
            if db == Db::Postgres {
                layers.push(Layer::mounted(APP_SETUP, "src/"));
                layers.push(Layer::mounted(APP_TEST_POSTGRES, "tests/api/db/"));
                layers.push(Layer::mounted(DEV_POSTGRES, "deploy/k8s/overlays/dev/"));
            }
            layers.extend(resource_layers(&MONOLITH_RESOURCES, db));
            layers.extend(ci_layer("monolith", answers.ci));
        }
        Shape::Microservices { .. } => {
            layers.push(Layer::mounted(APP_RUNTIME, "crates/common/src/"));
            layers.push(Layer::mounted(APP_ENVELOPE, "crates/common/src/"));
            layers.push(Layer::mounted(APP_CONFIG, "crates/common/src/"));
            layers.push(Layer::mounted(APP_SCHEMA, "crates/common/src/"));
            layers.push(Layer::mounted(APP_DOMAIN, "crates/common/src/"));
            layers.push(Layer::mounted(APP_TEST_CLIENT, "crates/common/src/testing/"));
            layers.push(Layer::mounted(APP_TEST_POSTGRES, "crates/common/src/testing/"));
            layers.push(Layer::mounted(APP_SQLX, "crates/common/src/db/"));
            layers.push(Layer::mounted(APP_REPLICA, "crates/common/src/db/"));
            layers.push(Layer::mounted(APP_CONFIG_POSTGRES, "crates/common/src/"));
            layers.push(Layer::mounted(APP_SETUP, "crates/common/src/"));
            layers.push(Layer::mounted(RATELIMIT_CODE, "crates/common/src/"));
            layers.push(Layer::once("microservices/base"));
            layers.push(Layer::per_service("microservices/service"));
            // A service that calls others: its typed clients (`src/calls.rs`) and their tests.
            layers.push(Layer { per: Per::Caller, ..Layer::per_service("microservices/caller") });
            layers.push(Layer {
                root: &TEMPLATES,
                dir: MIGRATIONS_BUILD.into(),
                prefix: "services/{{service.kebab}}/",
                per: Per::Service,
            });
            layers.extend(resource_layers(&MICROSERVICES_RESOURCES, Db::Postgres));
            layers.extend(ci_layer("microservices", answers.ci));
        }
        &Shape::Serverless { platform, postgres } => {
            let platform_dir = match platform {
                Platform::Knative => "serverless/knative",
                Platform::AwsLambda => "serverless/aws-lambda",
            };
            layers.push(Layer::mounted(APP_RUNTIME, "crates/core/src/"));
            layers.push(Layer::mounted(APP_ENVELOPE, "crates/core/src/"));
            layers.push(Layer::mounted(APP_CONFIG, "crates/core/src/"));
            layers.push(Layer::mounted(APP_CORE, "crates/core/src/"));
            layers.push(Layer::mounted(APP_DOMAIN, "crates/core/src/"));
            layers.push(Layer::mounted(APP_TEST_APP, "crates/core/tests/api/"));
            layers.push(Layer::mounted(APP_TEST_CLIENT, "crates/core/tests/api/support/"));
            if postgres {
                layers.push(Layer::mounted(MIGRATIONS_BUILD, "crates/core/"));
                layers.push(Layer::mounted(APP_SCHEMA, "crates/core/src/"));
                layers.push(Layer::mounted(APP_SQLX, "crates/core/src/repository/"));
                layers.push(Layer::mounted(APP_SETUP, "crates/core/src/"));
                layers.push(Layer::mounted(APP_TEST_POSTGRES, "crates/core/src/testing/"));
                layers.push(Layer::mounted(APP_COMMANDS, "crates/core/src/"));
                layers.push(Layer::mounted(APP_CONFIG_POSTGRES, "crates/core/src/"));
                layers.push(Layer::mounted(APP_REPLICA, "crates/core/src/repository/"));
            }
            layers.push(Layer::mounted(
                if postgres { APP_REPOSITORY_POSTGRES } else { APP_REPOSITORY_MEMORY },
                "crates/core/src/",
            ));
            layers.push(Layer::once("serverless/shared"));
            layers.push(Layer::once(format!("{platform_dir}/base")));
            if postgres && platform == Platform::Knative {
                layers.push(Layer::mounted(DEV_POSTGRES, "deploy/k8s/overlays/dev/"));
            }
            layers.extend(resource_layers(&SERVERLESS_RESOURCES, if postgres { Db::Postgres } else { Db::None }));
            layers.extend(ci_layer(platform_dir, answers.ci));
        }
    }
    layers
}

/// The files for these answers, in layer order.
///
/// # Errors
/// A name that makes a name derived from it in these templates too long (see
/// [`crate::limits`]), or a missing layer: a bug in the templates.
pub fn plan(answers: &Answers) -> Result<Vec<FileSpec>> {
    plan_with(answers, &crate::features::active(answers)?)
}

/// The files for these answers with these features.
///
/// # Errors
/// As [`plan`].
pub fn plan_with(answers: &Answers, features: &[Feature]) -> Result<Vec<FileSpec>> {
    crate::limits::check(answers)?;
    let mut files = Vec::new();
    for layer in layers_with(answers, features) {
        let dir = layer
            .root
            .get_dir(&layer.dir)
            .ok_or_else(|| Error::Template(format!("template layer `{}` is missing", layer.dir)))?;
        let mut sources = Vec::new();
        collect(dir, &mut sources);
        sources.sort_by_key(|f| f.path());
        let instances: Vec<(Option<usize>, Option<usize>)> = match layer.per {
            Per::Project => vec![(None, None)],
            Per::Service => (0..answers.shape.services().len()).map(|i| (Some(i), None)).collect(),
            Per::Caller => (0..answers.shape.services().len())
                .filter(|&i| answers.shape.calls().iter().any(|call| call.caller == i))
                .map(|i| (Some(i), None))
                .collect(),
            Per::Resource => answers
                .resources
                .iter()
                .enumerate()
                .map(|(i, resource)| (answers.shape.owner(resource), Some(i)))
                .collect(),
        };
        for source in sources {
            let relative = source
                .path()
                .strip_prefix(&layer.dir)
                .map_err(|_| Error::Template(format!("{} is outside layer {}", source.path().display(), layer.dir)))?;
            let relative = relative.to_string_lossy().replace('\\', "/");
            let (output, render) = match relative.strip_suffix(TEMPLATE_SUFFIX) {
                Some(stripped) => (format!("{}{stripped}", layer.prefix), true),
                None => (format!("{}{relative}", layer.prefix), false),
            };
            for &(service, resource) in &instances {
                files.push(FileSpec {
                    source,
                    output: output.clone(),
                    render,
                    service,
                    resource,
                    layer: layer.dir.clone(),
                });
            }
        }
    }
    Ok(files)
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<&'static File<'static>>) {
    out.extend(dir.files());
    for sub in dir.dirs() {
        collect(sub, out);
    }
}
