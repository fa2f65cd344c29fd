//! The one place that decides which template files a project gets.
//!
//! Templates are grouped in *layers* (folders under `templates/`); the plan picks the layers for
//! the answers and every file of a layer lands at the same relative path in the project. A
//! per-service layer is applied once per service (its paths name `{{service.kebab}}`). A path
//! may come from one layer only, so no layer silently overrides another (checked in
//! [`crate::render`], after paths are rendered).

use include_dir::{Dir, File, include_dir};

use crate::answers::Answers;
use crate::cli::{Ci, Db, Events, Platform, Style};
use crate::error::{Error, Result};

/// Every template, embedded in the binary.
pub static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Files with this suffix are rendered with Handlebars (and lose the suffix); others are copied.
pub const TEMPLATE_SUFFIX: &str = ".hbs";

/// Whether a style's templates are complete; the others answer "not available yet".
#[must_use]
pub fn available(style: Style) -> bool {
    match style {
        Style::Monolith => true,
        Style::Microservices => TEMPLATES.get_dir("microservices").is_some(),
        Style::Serverless => TEMPLATES.get_dir("serverless").is_some(),
    }
}

/// Whether a serverless platform's templates are complete.
#[must_use]
pub fn platform_available(platform: Platform) -> bool {
    match platform {
        Platform::AwsLambda => TEMPLATES.get_dir("serverless/aws-lambda/base").is_some(),
        Platform::Knative => TEMPLATES.get_dir("serverless/knative/base").is_some(),
    }
}

/// A folder of templates, applied once or once per service, at the project root or mounted
/// under a prefix (so one folder of application code serves several styles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub dir: String,
    /// Prepended to every output path, e.g. `crates/core/src/`.
    pub prefix: &'static str,
    pub per_service: bool,
}

impl Layer {
    fn once(dir: impl Into<String>) -> Self {
        Self { dir: dir.into(), prefix: "", per_service: false }
    }
    fn per_service(dir: impl Into<String>) -> Self {
        Self { dir: dir.into(), prefix: "", per_service: true }
    }
    fn mounted(dir: impl Into<String>, prefix: &'static str) -> Self {
        Self { dir: dir.into(), prefix, per_service: false }
    }
}

/// The application core (config, domain, HTTP layer) that the monolith and the serverless
/// functions share.
const APP_CORE: &str = "app/core";
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
/// The rules every text field of the domain follows, shared by every style.
const APP_DOMAIN: &str = "app/domain";
/// `db setup` on a `PostgreSQL` the user has (role and database, then migrations) and the one
/// explanation of a database failure for the command line, wherever there is a `PostgreSQL`.
const APP_SETUP: &str = "app/setup";
/// What every repository on sqlx shares: the pool's acquire timeout and the one mapping of
/// storage errors (SQLSTATE classes) to domain errors. Mounted inside the storage module.
const APP_SQLX: &str = "app/sqlx";

/// One file of the project: where it comes from and where it goes.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub source: &'static File<'static>,
    /// Output path relative to the project root, `/`-separated; may itself contain `{{…}}`.
    pub output: String,
    pub render: bool,
    /// For a per-service layer: the index of the service it is rendered for.
    pub service: Option<usize>,
    pub layer: String,
}

fn ci_layer(style: &str, ci: Ci) -> Option<Layer> {
    match ci {
        Ci::Github => Some(Layer::once(format!("{style}/ci-github"))),
        Ci::Gitlab => Some(Layer::once(format!("{style}/ci-gitlab"))),
        Ci::None => None,
    }
}

/// The template layers for these answers, in order.
#[must_use]
pub fn layers(answers: &Answers) -> Vec<Layer> {
    let mut layers = vec![Layer::once("shared")];
    match answers.style {
        Style::Monolith => {
            layers.push(Layer::mounted(APP_RUNTIME, "src/"));
            layers.push(Layer::mounted(APP_ENVELOPE, "src/"));
            layers.push(Layer::mounted(APP_CORE, "src/"));
            layers.push(Layer::mounted(APP_DOMAIN, "src/"));
            if answers.db != Db::None {
                layers.push(Layer::mounted(APP_SCHEMA, "src/"));
                layers.push(Layer::mounted(APP_SQLX, "src/repository/"));
            }
            layers.push(Layer::once("monolith/base"));
            layers.push(Layer::once(match answers.db {
                Db::Postgres => "monolith/db-postgres",
                Db::Sqlite => "monolith/db-sqlite",
                Db::None => "monolith/db-none",
            }));
            if answers.db == Db::Postgres {
                layers.push(Layer::mounted(APP_SETUP, "src/"));
                layers.push(Layer::mounted(DEV_POSTGRES, "deploy/k8s/overlays/dev/"));
            }
            layers.extend(ci_layer("monolith", answers.ci));
        }
        Style::Microservices => {
            layers.push(Layer::mounted(APP_RUNTIME, "crates/common/src/"));
            layers.push(Layer::mounted(APP_ENVELOPE, "crates/common/src/"));
            layers.push(Layer::mounted(APP_SCHEMA, "crates/common/src/"));
            layers.push(Layer::mounted(APP_DOMAIN, "crates/common/src/"));
            layers.push(Layer::mounted(APP_SQLX, "crates/common/src/db/"));
            layers.push(Layer::mounted(APP_SETUP, "crates/common/src/"));
            layers.push(Layer::once("microservices/base"));
            layers.push(Layer::per_service("microservices/service"));
            if answers.events == Some(Events::Nats) {
                layers.push(Layer::once("microservices/events-nats"));
                layers.push(Layer::per_service("microservices/service-events-nats"));
            }
            layers.extend(ci_layer("microservices", answers.ci));
        }
        Style::Serverless => {
            let platform = match answers.platform {
                Some(Platform::Knative) => "serverless/knative",
                Some(Platform::AwsLambda) | None => "serverless/aws-lambda",
            };
            layers.push(Layer::mounted(APP_RUNTIME, "crates/core/src/"));
            layers.push(Layer::mounted(APP_ENVELOPE, "crates/core/src/"));
            layers.push(Layer::mounted(APP_CORE, "crates/core/src/"));
            layers.push(Layer::mounted(APP_DOMAIN, "crates/core/src/"));
            if answers.db != Db::None {
                layers.push(Layer::mounted(APP_SCHEMA, "crates/core/src/"));
                layers.push(Layer::mounted(APP_SQLX, "crates/core/src/repository/"));
                layers.push(Layer::mounted(APP_SETUP, "crates/core/src/"));
            }
            layers.push(Layer::once("serverless/shared"));
            layers.push(Layer::once(match answers.db {
                Db::Postgres | Db::Sqlite => "serverless/db-postgres",
                Db::None => "serverless/db-none",
            }));
            layers.push(Layer::once(format!("{platform}/base")));
            if answers.db == Db::Postgres {
                // How migrations run differs per platform: a function on Lambda, a Job on Knative.
                layers.push(Layer::once(format!("{platform}/db-postgres")));
                if answers.platform == Some(Platform::Knative) {
                    layers.push(Layer::mounted(DEV_POSTGRES, "deploy/k8s/overlays/dev/"));
                }
            }
            layers.extend(ci_layer(platform, answers.ci));
        }
    }
    layers
}

/// The files for these answers, in layer order.
///
/// # Errors
/// A missing layer: a bug in the templates.
pub fn plan(answers: &Answers) -> Result<Vec<FileSpec>> {
    let mut files = Vec::new();
    for layer in layers(answers) {
        let dir = TEMPLATES
            .get_dir(&layer.dir)
            .ok_or_else(|| Error::Template(format!("template layer `{}` is missing", layer.dir)))?;
        let mut sources = Vec::new();
        collect(dir, &mut sources);
        sources.sort_by_key(|f| f.path());
        let instances: Vec<Option<usize>> =
            if layer.per_service { (0..answers.services.len()).map(Some).collect() } else { vec![None] };
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
            for &service in &instances {
                files.push(FileSpec { source, output: output.clone(), render, service, layer: layer.dir.clone() });
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
