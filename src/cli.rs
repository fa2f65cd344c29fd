//! Command-line interface. Every prompt has a flag; `Option<_>` means "not answered yet".

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

const EXAMPLES: &str = "\
Examples:
  cargo archgen new shop                      # asks what is missing (on a terminal)
  cargo archgen new shop --yes                # monolith + postgres + GitHub Actions
  cargo archgen new shop --db sqlite --ci gitlab --output ./services/shop
  cargo archgen new --answers shop/archgen.toml --output shop-copy   # replay a run
  cargo archgen new shop --dry-run --json     # list what would be written
  cargo archgen new shop --style microservices --services users,orders,billing
  cargo archgen new shop --style serverless --platform knative --db none
  cargo archgen add service payments          # inside a generated microservices project
  cargo archgen update --set ci=gitlab        # change an answer later (cargo archgen diff: preview)
  cargo archgen templates export monolith/base --output team   # start your own templates
  cargo archgen advise --teams 1 --traffic mostly-idle --runs-on aws   # which style, and why";

#[derive(Debug, Parser)]
#[command(name = "cargo-archgen", bin_name = "cargo archgen", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a new project
    #[command(after_help = new_after_help())]
    New(NewArgs),
    /// Add a part to a generated project (run inside it)
    #[command(subcommand)]
    Add(AddCommand),
    /// Take this cargo-archgen's templates, or changed answers, into a project (a three-way merge)
    ///
    /// Re-renders the project with this cargo-archgen's templates and the (changed) answers and
    /// merges the result three-way into your files; needs a clean git work tree and leaves the
    /// result uncommitted for review.
    #[command(after_help = UPDATE_HELP)]
    Update(UpdateArgs),
    /// Print, as a unified diff, what `update` with the same options would change
    #[command(after_help = UPDATE_HELP)]
    Diff(DiffArgs),
    /// Work with the templates projects are made from
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Print a shell completion script to stdout (see --help for how to install it)
    #[command(after_help = crate::completions::INSTALL)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Recommend a style and options for your teams and system, with the reasons
    ///
    /// Recommends a style and options for your teams and system, with the reasons, the main
    /// alternative and when to switch, and prints the `new` command line to run.
    #[command(after_help = ADVISE_HELP)]
    Advise(AdviseArgs),
}

#[derive(Debug, Subcommand)]
pub enum AddCommand {
    /// Add a service to a generated microservices project: crate, workspace member, gateway
    /// route, compose entry, Kubernetes manifests, CI matrix entry and docs
    Service(AddServiceArgs),
    /// Add a resource: migration, domain type with validation, repository, `/api/v1/NAME` CRUD
    /// handlers and tests, e.g. `add resource products name:string price:decimal`
    #[command(after_help = RESOURCE_HELP)]
    Resource(AddResourceArgs),
    /// Add a feature (see the style × feature table in README): its files, and its parts of
    /// the project's code, configuration, deployment and docs
    Feature(AddFeatureArgs),
}

#[derive(Debug, Args)]
pub struct AddFeatureArgs {
    /// The feature's name, e.g. `ratelimit`
    pub name: String,
    #[command(flatten)]
    pub project: AddTo,
}

const RESOURCE_HELP: &str = "\
Field types: string (at most 255 characters), text (at most 10,000), int, bigint, bool, decimal
(exact, as a JSON string such as 12.50 in quotes), float, date, timestamp, uuid, json (any JSON value). `name:text?` makes a field optional (null when left out); `sku:string:unique`
makes it unique (a duplicate is a 409). Every resource also has id, created_at and updated_at.

Examples:
  cargo archgen add resource products name:string price:decimal sku:string:unique note:text?
  cargo archgen add resource line_items quantity:int unit_price:float ordered_on:date

In a microservices project the resource belongs to one service (its table, handlers and events)
and the gateway routes /api/v1/NAME to it: --service names it (needed when there is more than
one). In a serverless project it goes into the shared core (crates/core).";

#[derive(Debug, Args)]
pub struct AddResourceArgs {
    /// Resource name, plural `snake_case`: the table and `/api/v1/NAME`, e.g. `products`
    pub name: String,
    /// Fields, each FIELD:TYPE with an optional `?` (optional) and `:unique`
    #[arg(value_name = "FIELD:TYPE", required = true)]
    pub fields: Vec<String>,
    /// Microservices: the service that owns it (needed when there is more than one)
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    #[command(flatten)]
    pub project: AddTo,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Copy the embedded templates (all, or one folder such as `monolith/base` or
    /// `features/db-postgres`) into DIR, to start a folder of custom templates from
    Export {
        /// A folder of the templates, e.g. `monolith/base`; all of them when left out
        #[arg(value_name = "LAYER")]
        layer: Option<String>,
        /// Where to put them: a new or empty directory
        #[arg(long, short, value_name = "DIR")]
        output: PathBuf,
    },
}

/// Where an `add` command changes a project, and how.
#[derive(Debug, Args)]
pub struct AddTo {
    /// The generated project (the directory holding `archgen.toml`)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub path: PathBuf,
    /// List the files that would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result (or the error) as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AddServiceArgs {
    /// Service name: lowercase letters, digits and dashes, e.g. `billing`
    pub name: String,
    #[command(flatten)]
    pub project: AddTo,
}

const UPDATE_HELP: &str = "\
Settings (--set KEY=VALUE, repeatable): ci=github|gitlab|none, db=… (where the style allows it),
events=nats|none, services=a,b,c and calls=a:b,c:d|none (microservices), templates=DIR (custom templates, relative to
the project; empty for the embedded ones only). Name, style and platform cannot change.

Per file: untouched ones are replaced, edited ones merged, ones you deleted stay deleted, ones no
longer generated are removed if unedited. The base is the pristine render kept in git
(refs/archgen/pristine; a clone fetches it with
`git fetch origin 'refs/archgen/*:refs/archgen/*'`), or, without it, archgen.toml rendered
again by the same cargo-archgen version that wrote it.

Examples:
  cargo archgen diff                      # what this version's templates would change
  cargo archgen update                    # take them
  cargo archgen update --set ci=gitlab    # change an answer
  cargo archgen update --conflicts markers";

/// What `update` and `diff` share: the project and the changed answers.
#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// Change an answer, e.g. `--set ci=gitlab` (repeatable; see the settings below)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
    /// The generated project (the directory holding `archgen.toml`)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub path: PathBuf,
    /// Print the result (or the error) as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub change: ChangeArgs,
    /// List the files that would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Files whose edits clash with the update: refuse (change nothing), or write conflict
    /// markers into them (and exit 1 naming them)
    #[arg(long, value_enum, default_value = "refuse")]
    pub conflicts: crate::change::OnConflict,
    /// After updating, check the project as `new --verify` does; exit 1 if any check fails
    #[arg(long)]
    pub verify: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Default, Args)]
#[allow(clippy::struct_excessive_bools)] // each bool is an independent command-line switch
pub struct NewArgs {
    /// Project name: lowercase letters, digits and dashes, e.g. `shop` or `order-api`
    pub name: Option<String>,
    /// Architecture style [default: monolith]
    #[arg(long, value_enum)]
    pub style: Option<Style>,
    /// Database [default: postgres]; which apply depends on the style (see "Options by style")
    #[arg(long, value_enum)]
    pub db: Option<Db>,
    /// CI provider [default: github]
    #[arg(long, value_enum)]
    pub ci: Option<Ci>,
    /// Microservices only: the services, comma-separated [default: users,orders]
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub services: Option<Vec<String>>,
    /// Microservices only: which service calls which, as CALLER:CALLEE pairs, comma-separated
    /// (`none` for none; no cycles) [default: orders:users when both exist, else none]
    #[arg(long, value_delimiter = ',', value_name = "CALLS")]
    pub calls: Option<Vec<String>>,
    /// Microservices only: how services exchange events [default: nats]
    #[arg(long, value_enum)]
    pub events: Option<Events>,
    /// Serverless only: where the functions run [default: aws-lambda]
    #[arg(long, value_enum)]
    pub platform: Option<Platform>,
    /// A resource: its name, then FIELD:TYPE pairs (`?` optional, `:unique`), e.g.
    /// 'products name:string price:decimal sku:string:unique note:text?'. Repeatable. In
    /// microservices the owning service comes first: 'orders/products …' (a service given none
    /// gets an example named after it) [default: the example 'items name:string:unique
    /// description:text?']
    #[arg(long = "resource", value_name = "SPEC")]
    pub resources: Vec<String>,
    /// Features, comma-separated (`none` for none); see the style × feature table in README
    /// [default: each style's defaults; on a terminal, a menu]
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub features: Option<Vec<String>>,
    /// Directory to create the project in [default: ./NAME]
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Read answers from a file (e.g. the `archgen.toml` of a generated project); flags win over it
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Never prompt: take the defaults for everything not given
    #[arg(long, short)]
    pub yes: bool,
    /// List the files that would be written, with sizes, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result (or the error) as JSON on stdout
    #[arg(long)]
    pub json: bool,
    /// Write into a non-empty directory, overwriting only files this generator produces
    #[arg(long)]
    pub force: bool,
    /// Do not create a git repository
    #[arg(long)]
    pub no_git: bool,
    /// A folder that mirrors the embedded templates (see `templates export`): a file there
    /// replaces the embedded one at the same path, or adds one; recorded in archgen.toml
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// After writing, check the project: rustfmt, build, clippy -D warnings, its tests (run when
    /// `DATABASE_URL` is set, else compiled) and the installed linters; exit 1 if any fails
    #[arg(long)]
    pub verify: bool,
}

const ADVISE_HELP: &str = "\
Each question has a flag; on a terminal the ones not given are asked (\"not sure\" is an answer).
Without a terminal, or with --yes or --json, nothing is asked: a question not answered is listed
in the advice with what was assumed (the [not answered: …] value above).

What it weighs (README, \"Which style? cargo archgen advise\", has the whole table):
  monolith        one team, an MVP or a deadline, a simple domain, steady traffic, low ops
                  maturity; also a modular monolith first for several teams without the ops
                  maturity (or the people) to run services
  microservices   several teams and a domain with bounded contexts, with high ops maturity
  serverless      spiky or mostly idle traffic paid per use: AWS Lambda on AWS, Knative on
                  Kubernetes; not with tight latency (cold starts) unless warm instances are paid for

Examples:
  cargo archgen advise                                   # asks, on a terminal
  cargo archgen advise --teams 4 --team-size 6 --domain complex --ops high --runs-on kubernetes
  cargo archgen advise --traffic spiky --latency relaxed --runs-on aws --data relational --json
  cargo archgen advise --mvp --name shop --yes           # the command line with the name";

/// `advise`: every question has a flag; `None` is "not answered".
#[derive(Debug, Default, Args)]
pub struct AdviseArgs {
    /// Teams that will work on the system [not answered: 1]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub teams: Option<u16>,
    /// People per team; a single team of 10 or more usually splits [not answered: not taken into account]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub team_size: Option<u16>,
    /// How tangled the business rules are [not answered: moderate]
    #[arg(long, value_enum, value_name = "COMPLEXITY")]
    pub domain: Option<crate::advise::Domain>,
    /// How requests arrive over a day [not answered: steady]
    #[arg(long, value_enum, value_name = "SHAPE")]
    pub traffic: Option<crate::advise::Traffic>,
    /// Latency needs; with tight ones cold starts matter [not answered: relaxed]
    #[arg(long, value_enum, value_name = "NEEDS")]
    pub latency: Option<crate::advise::Latency>,
    /// Operations maturity: on-call, observability, running a cluster [not answered: low]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub ops: Option<crate::advise::Ops>,
    /// The platform you already run on [not answered: none]
    #[arg(long = "runs-on", value_enum, value_name = "PLATFORM")]
    pub platform: Option<crate::advise::Existing>,
    /// It is an MVP or has a tight deadline (`--mvp no`: it is not) [not answered: no]
    #[arg(
        long,
        value_name = "YES|NO",
        num_args = 0..=1,
        default_missing_value = "yes",
        value_parser = clap::builder::PossibleValuesParser::new(["yes", "no"]).map(|v| v == "yes")
    )]
    pub mvp: Option<bool>,
    /// The data it keeps [not answered: relational]
    #[arg(long, value_enum, value_name = "KIND")]
    pub data: Option<crate::advise::Data>,
    /// The project name for the printed command line [default: the placeholder NAME]
    #[arg(long)]
    pub name: Option<String>,
    /// Never prompt: the questions not given are not answered, and the advice says what it assumed
    #[arg(long, short)]
    pub yes: bool,
    /// Print the advice (or the error) as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

/// One option of a choice: its value plus one line that helps a user pick it.
pub trait Choice: Copy + ValueEnum + 'static {
    fn guidance(self) -> &'static str;
    fn default_value() -> Self;
    /// The value as typed on the command line and written to the answers file.
    fn name(self) -> &'static str;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Style {
    Monolith,
    Microservices,
    Serverless,
}

impl Choice for Style {
    fn name(self) -> &'static str {
        match self {
            Self::Monolith => "monolith",
            Self::Microservices => "microservices",
            Self::Serverless => "serverless",
        }
    }
    fn guidance(self) -> &'static str {
        match self {
            Self::Monolith => "one deployable in clean layers: the right start for one team or a new product",
            Self::Microservices => {
                "gateway + services with their own databases: for several teams deploying independently"
            }
            Self::Serverless => "AWS Lambda or Knative functions: for spiky or low traffic paid per use",
        }
    }
    fn default_value() -> Self {
        Self::Monolith
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Db {
    Postgres,
    Sqlite,
    None,
}

impl Choice for Db {
    fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
            Self::None => "none",
        }
    }
    fn guidance(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL via sqlx: the default for services that scale out",
            Self::Sqlite => "SQLite file via sqlx: one replica, no database server to run",
            Self::None => "no database layer (in-memory example repository)",
        }
    }
    fn default_value() -> Self {
        Self::Postgres
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ci {
    Github,
    Gitlab,
    None,
}

impl Choice for Ci {
    fn name(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::None => "none",
        }
    }
    fn guidance(self) -> &'static str {
        match self {
            Self::Github => "GitHub Actions: fmt, clippy, tests with a database, cargo-deny, image build",
            Self::Gitlab => "GitLab CI with the same stages",
            Self::None => "no CI pipeline",
        }
    }
    fn default_value() -> Self {
        Self::Github
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Events {
    Nats,
    None,
}

impl Choice for Events {
    fn name(self) -> &'static str {
        match self {
            Self::Nats => "nats",
            Self::None => "none",
        }
    }
    fn guidance(self) -> &'static str {
        match self {
            Self::Nats => "typed, versioned events over NATS JetStream with idempotent consumers",
            Self::None => "no messaging: services talk over HTTP only",
        }
    }
    fn default_value() -> Self {
        Self::Nats
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    AwsLambda,
    Knative,
}

impl Choice for Platform {
    fn name(self) -> &'static str {
        match self {
            Self::AwsLambda => "aws-lambda",
            Self::Knative => "knative",
        }
    }
    fn guidance(self) -> &'static str {
        match self {
            Self::AwsLambda => "AWS Lambda functions (HTTP API + SQS worker) deployed with SAM",
            Self::Knative => "Knative Services on your Kubernetes cluster, scale to zero",
        }
    }
    fn default_value() -> Self {
        Self::AwsLambda
    }
}

/// Parses the process arguments, accepting both `cargo archgen …` and `cargo-archgen …`.
///
/// Cargo runs a subcommand as `cargo-archgen archgen …`, so that extra word is dropped.
/// On a usage error clap prints it and exits with code 2.
pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Cli {
    try_parse_from(args).unwrap_or_else(|e| e.exit())
}

/// [`parse_from`], returning a usage error (or `--help`, `--version`) for
/// [`crate::report::usage_error`] to print.
///
/// # Errors
/// The arguments are not a valid command line, or ask for help or the version.
pub fn try_parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Cli, clap::Error> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|a| a == "archgen") {
        args.remove(1);
    }
    Cli::try_parse_from(args)
}

/// Whether a command line that failed to parse asked for JSON (its error is then JSON too).
#[must_use]
pub fn wants_json(args: &[OsString]) -> bool {
    args.iter().take_while(|a| *a != "--").any(|a| a == "--json")
}

/// `new --help` after the options: which options apply to which style, then the examples.
fn new_after_help() -> String {
    let values = |list: &[&str]| list.join("|");
    let mut rows = Vec::new();
    for style in Style::value_variants() {
        let dbs: Vec<&str> = crate::answers::databases(*style).iter().map(|d| d.name()).collect();
        let mut row = format!("  {:<15} --db {}", style.name(), values(&dbs));
        match style {
            Style::Monolith => {}
            Style::Microservices => {
                let events: Vec<&str> = Events::value_variants().iter().map(|e| e.name()).collect();
                let _ = write!(row, "   --services NAMES   --calls A:B   --events {}", values(&events));
            }
            Style::Serverless => {
                let platforms: Vec<&str> = Platform::value_variants().iter().map(|p| p.name()).collect();
                let _ = write!(row, "   --platform {}", values(&platforms));
            }
        }
        rows.push(row);
    }
    let ci: Vec<&str> = Ci::value_variants().iter().map(|c| c.name()).collect();
    format!(
        "Options by style (the first value is the default; a value not listed is refused):\n{}\n  {:<15} --ci {}\n\n{EXAMPLES}",
        rows.join("\n"),
        "every style",
        values(&ci)
    )
}

impl NewArgs {
    /// Where the project goes: `--output`, else `./NAME`.
    #[must_use]
    pub fn target(&self, name: &str) -> PathBuf {
        self.output.clone().unwrap_or_else(|| PathBuf::from(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn consistent<T: Choice + Serialize>() {
        for value in T::value_variants() {
            let clap_name = value.to_possible_value().map(|v| v.get_name().to_owned());
            assert_eq!(clap_name.as_deref(), Some(value.name()));
            assert_eq!(serde_json::to_value(value).unwrap(), value.name());
            assert!(!value.guidance().is_empty());
        }
    }

    #[test]
    fn flag_values_answer_file_values_and_names_agree() {
        consistent::<Style>();
        consistent::<Db>();
        consistent::<Ci>();
        consistent::<Events>();
        consistent::<Platform>();
    }

    #[test]
    fn cargo_passes_its_subcommand_name_first() {
        let cli = parse_from(["cargo-archgen", "archgen", "new", "shop"].map(OsString::from));
        assert!(matches!(cli.command, Command::New(NewArgs { name: Some(ref n), .. }) if n == "shop"));
    }

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
