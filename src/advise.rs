//! `advise`: which style and options fit a team and the system it builds, and why.
//!
//! [`advise`] is the one decision: pure, no I/O, from a [`Situation`] (what was answered; `None`
//! is "not answered") to an [`Advice`] (the style and options as a [`Shape`], so only a
//! combination `new` accepts can be advised, the reasons, the main alternative and when to switch
//! to it, and what was assumed). [`session`] turns flags and prompts into a [`Situation`].
//!
//! The trade-offs it encodes, in the order it weighs them:
//!
//! | situation | advice | key reason |
//! | --- | --- | --- |
//! | several teams (3+, or 2 with a complex domain), not a simple domain | microservices, if the operations maturity is high, the product is past its MVP and there are 8+ engineers | teams own and deploy their services |
//! | … but an MVP or deadline / too few engineers / ops not high | modular monolith (alternative: microservices) | boundaries unproven / no on-call per service / too much to run |
//! | spiky or mostly idle traffic, relaxed latency, no MVP | serverless: AWS Lambda on AWS or without a platform, Knative on Kubernetes | pay per use, scale to zero |
//! | … with tight latency | monolith (alternative: serverless with provisioned concurrency / min-scale) | cold starts |
//! | … for an MVP or deadline | monolith (alternative: serverless) | fastest to build and change |
//! | anything else: one team, a simple domain, steady traffic | monolith (alternative: microservices) | one team, one deployable |
//!
//! The database follows the data: relational → postgres, small on a single instance → sqlite
//! (monolith only, and not with spiky traffic), none → no database layer (not for
//! microservices, whose services each own a `PostgreSQL` database). CI is the default.

pub mod session;

use std::fmt;

use clap::ValueEnum;
use clap::builder::PossibleValue;
use serde::Serialize;

use crate::answers::{DEFAULT_SERVICES, Shape};
use crate::cli::{Choice, Ci, Db, Events, Platform, Style};
use crate::names::Names;

/// How tangled the business rules are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    Simple,
    Moderate,
    Complex,
}

/// How requests arrive over a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Traffic {
    Steady,
    Spiky,
    MostlyIdle,
}

/// How fast answers must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Latency {
    Relaxed,
    Tight,
}

/// What the team can run: on-call, observability, a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ops {
    Low,
    Medium,
    High,
}

/// Where the team already runs things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Existing {
    Kubernetes,
    Aws,
    None,
}

/// What the system keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Data {
    Relational,
    Small,
    None,
}

/// `Choice`, `ValueEnum` (the flag's values, each with its guidance in `--help`) and `Display`
/// for a question's values: `default` is what is assumed when the question is not answered.
macro_rules! choice {
    ($type:ident, default $default:ident, $($variant:ident => $name:literal, $guidance:literal;)+) => {
        impl Choice for $type {
            fn name(self) -> &'static str {
                match self { $(Self::$variant => $name,)+ }
            }
            fn guidance(self) -> &'static str {
                match self { $(Self::$variant => $guidance,)+ }
            }
            fn default_value() -> Self {
                Self::$default
            }
        }
        impl ValueEnum for $type {
            fn value_variants<'a>() -> &'a [Self] {
                &[$(Self::$variant,)+]
            }
            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(PossibleValue::new(self.name()).help(self.guidance()))
            }
        }
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

choice!(Domain, default Moderate,
    Simple => "simple", "CRUD over a few entities, few rules";
    Moderate => "moderate", "a handful of areas with their own rules";
    Complex => "complex", "several bounded contexts, each with its own model and experts";
);
choice!(Traffic, default Steady,
    Steady => "steady", "busy through the day, peaks a few times the average";
    Spiky => "spiky", "bursts many times the average: launches, batch arrivals, campaigns";
    MostlyIdle => "mostly-idle", "idle most of the time: internal tools, webhooks, nightly jobs";
);
choice!(Latency, default Relaxed,
    Relaxed => "relaxed", "a second now and then is fine";
    Tight => "tight", "p99 under ~100 ms: a cold start would break it";
);
choice!(Ops, default Low,
    Low => "low", "no on-call rotation, logs only, nobody runs a cluster";
    Medium => "medium", "on-call and dashboards for a few services, a managed platform";
    High => "high", "on-call per service, tracing across services, a cluster you run well";
);
choice!(Existing, default None,
    Kubernetes => "kubernetes", "a Kubernetes cluster you deploy to";
    Aws => "aws", "an AWS account you deploy to";
    None => "none", "nothing yet";
);
choice!(Data, default Relational,
    Relational => "relational", "tables, relations, transactions: PostgreSQL";
    Small => "small", "a little data on one instance: SQLite";
    None => "none", "nothing to keep, or another service keeps it";
);

/// What was answered; `None` is "not answered" (and is assumed: see [`Advice::assumed`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Situation {
    /// Teams that will work on the system.
    pub teams: Option<u16>,
    /// People per team.
    pub team_size: Option<u16>,
    pub domain: Option<Domain>,
    pub traffic: Option<Traffic>,
    pub latency: Option<Latency>,
    pub ops: Option<Ops>,
    pub platform: Option<Existing>,
    /// An MVP, or a tight deadline.
    pub mvp: Option<bool>,
    pub data: Option<Data>,
}

/// One question of `advise`: its id (the JSON key), flag and prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    pub id: &'static str,
    pub flag: &'static str,
    pub prompt: &'static str,
}

pub const TEAMS: Question = Question { id: "teams", flag: "--teams", prompt: "Teams working on it" };
pub const TEAM_SIZE: Question = Question { id: "team_size", flag: "--team-size", prompt: "People per team" };
pub const DOMAIN: Question = Question { id: "domain", flag: "--domain", prompt: "Domain complexity" };
pub const TRAFFIC: Question = Question { id: "traffic", flag: "--traffic", prompt: "Traffic shape" };
pub const LATENCY: Question = Question { id: "latency", flag: "--latency", prompt: "Latency needs" };
pub const OPS: Question = Question { id: "ops", flag: "--ops", prompt: "Operations maturity" };
pub const PLATFORM: Question = Question { id: "platform", flag: "--runs-on", prompt: "Existing platform" };
pub const MVP: Question = Question { id: "mvp", flag: "--mvp", prompt: "An MVP or a tight deadline" };
pub const DATA: Question = Question { id: "data", flag: "--data", prompt: "Data" };

/// A question that was not answered, and what the advice took instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assumed {
    pub question: Question,
    pub value: String,
}

/// Why: one trade-off behind the advice. [`Reason::id`] is stable for machines, [`Reason::text`]
/// is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    // Monolith.
    OneTeam,
    LargeTeam { size: u16 },
    TeamsShareOne { teams: u16 },
    SimpleDomain,
    ComplexDomainOneTeam,
    Mvp,
    LowOps,
    SteadyTraffic,
    // Microservices.
    TeamsOwnServices { teams: u16 },
    ComplexDomain,
    OpsReady,
    SpikyPartsScale,
    HopsAddLatency,
    Events,
    DeployKubernetes,
    DeployAws,
    NeedsCluster,
    // A modular monolith before services.
    MvpBeforeServices,
    TooFewEngineers { engineers: u32 },
    ModularMonolithFirst { ops: Ops },
    // Serverless, or not.
    SpikyTraffic,
    IdleTraffic,
    ColdStartsAcceptable,
    ColdStarts,
    Lambda,
    KnativeOnCluster,
    NoPlatform,
    // The database.
    Relational,
    SmallData,
    SqliteOneReplica,
    SqliteNeedsOneInstance,
    NoData,
    ServicesOwnDatabases,
}

impl Reason {
    /// A stable identifier for `--json` consumers.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::OneTeam => "one_team",
            Self::LargeTeam { .. } => "large_team",
            Self::TeamsShareOne { .. } => "teams_share_one",
            Self::SimpleDomain => "simple_domain",
            Self::ComplexDomainOneTeam => "complex_domain_one_team",
            Self::Mvp => "mvp",
            Self::LowOps => "low_ops",
            Self::SteadyTraffic => "steady_traffic",
            Self::TeamsOwnServices { .. } => "teams_own_services",
            Self::ComplexDomain => "complex_domain",
            Self::OpsReady => "ops_ready",
            Self::SpikyPartsScale => "spiky_parts_scale",
            Self::HopsAddLatency => "hops_add_latency",
            Self::Events => "events",
            Self::DeployKubernetes => "deploy_kubernetes",
            Self::DeployAws => "deploy_aws",
            Self::NeedsCluster => "needs_cluster",
            Self::MvpBeforeServices => "mvp_before_services",
            Self::TooFewEngineers { .. } => "too_few_engineers",
            Self::ModularMonolithFirst { .. } => "modular_monolith_first",
            Self::SpikyTraffic => "spiky_traffic",
            Self::IdleTraffic => "idle_traffic",
            Self::ColdStartsAcceptable => "cold_starts_acceptable",
            Self::ColdStarts => "cold_starts",
            Self::Lambda => "aws_lambda",
            Self::KnativeOnCluster => "knative",
            Self::NoPlatform => "no_platform",
            Self::Relational => "relational",
            Self::SmallData => "small_data",
            Self::SqliteOneReplica => "sqlite_one_replica",
            Self::SqliteNeedsOneInstance => "sqlite_needs_one_instance",
            Self::NoData => "no_data",
            Self::ServicesOwnDatabases => "services_own_databases",
        }
    }

    /// The trade-off, in a sentence.
    #[must_use]
    #[allow(clippy::too_many_lines)] // a table: one sentence per reason
    pub fn text(self) -> String {
        match self {
            Self::OneTeam => {
                "one team: one deployable and one pipeline; a change across modules is one commit and one \
                              release, with nothing to coordinate between services"
                    .into()
            }
            Self::LargeTeam { size } => format!(
                "a single team of {size} is past the size that works as one team (about 8): when it splits, run \
                 `cargo archgen advise` again"
            ),
            Self::TeamsShareOne { teams } => format!(
                "{teams} teams can share one deployable: give each its modules (and a CODEOWNERS entry), and split \
                 only when their releases get in each other's way"
            ),
            Self::SimpleDomain => "a simple domain does not split into parts that stand on their own: services would \
                                   add network calls, not independence"
                .into(),
            Self::ComplexDomainOneTeam => "a complex domain with one team: model its bounded contexts as modules with \
                                           narrow interfaces inside one deployable; they can become services later"
                .into(),
            Self::Mvp => "an MVP or a tight deadline: one deployable is the fastest to build, test, debug and change \
                          while the product finds its shape"
                .into(),
            Self::LowOps => "low operations maturity: one service to deploy, monitor and be paged for".into(),
            Self::SteadyTraffic => {
                "steady traffic keeps an always-on instance busy: per-request billing would not be cheaper".into()
            }
            Self::TeamsOwnServices { teams } => format!(
                "{teams} teams: each owns, deploys and scales its services on its own schedule instead of queuing for \
                 one release (Conway's law)"
            ),
            Self::ComplexDomain => "a complex domain: one service per bounded context keeps each model small and its \
                                    data private to it"
                .into(),
            Self::OpsReady => "high operations maturity: on-call per service, tracing across services and a cluster \
                               to run them, which many deployables need, are in place"
                .into(),
            Self::SpikyPartsScale => "spiky traffic: the busy services scale out on their own (Kubernetes \
                                      autoscaling) without scaling the rest"
                .into(),
            Self::HopsAddLatency => "tight latency: every hop through the gateway and between services adds to the \
                                     p99; keep call chains short and let events carry the rest"
                .into(),
            Self::Events => "events over NATS JetStream: services react to each other's changes without synchronous \
                             call chains, so one service down does not take the others with it"
                .into(),
            Self::DeployKubernetes => {
                "Kubernetes is your platform: the project's kustomize manifests (dev and prod overlays) deploy to it"
                    .into()
            }
            Self::DeployAws => "AWS is your platform: the containers run on EKS with the generated Kubernetes \
                                manifests, or on ECS/Fargate"
                .into(),
            Self::NeedsCluster => "no Kubernetes yet: the services and their databases need a platform to run on (the \
                                   project ships Kubernetes manifests): count a managed cluster in the cost"
                .into(),
            Self::MvpBeforeServices => "an MVP or a tight deadline: the domain's boundaries are not proven yet and \
                                        splitting now would fix them early; start with a modular monolith and split \
                                        along the modules that held"
                .into(),
            Self::TooFewEngineers { engineers } => format!(
                "{engineers} engineers in all are too few to run several services with an on-call rotation each: a \
                 modular monolith first"
            ),
            Self::ModularMonolithFirst { ops } => format!(
                "several teams would gain from services, but with {ops} operations maturity every extra deployable \
                 is more to run, monitor and be paged for: start with a modular monolith (one module per team, \
                 boundaries enforced in code) and split services out along those boundaries later"
            ),
            Self::SpikyTraffic => "spiky traffic: functions scale out per request within seconds and back down; you \
                                   pay per request instead of for headroom sized for the peak"
                .into(),
            Self::IdleTraffic => "mostly idle traffic: functions scale to zero, so idle hours cost nothing".into(),
            Self::ColdStartsAcceptable => "relaxed latency: the occasional cold start (a new instance starting: tens \
                                           to hundreds of milliseconds, more with a database connection) is acceptable"
                .into(),
            Self::ColdStarts => {
                "tight latency: cold starts, after scaling to zero or out, would break the p99 target; \
                                 an always-on service with autoscaling has none (serverless only with provisioned \
                                 concurrency or a minimum scale: see the alternative)"
                    .into()
            }
            Self::Lambda => "AWS is your platform: AWS Lambda functions behind an HTTP API with an SQS worker, \
                             deployed with SAM; no servers to run"
                .into(),
            Self::KnativeOnCluster => "Kubernetes is your platform: Knative Services scale to zero on your own \
                                       cluster (Knative Serving must be installed on it)"
                .into(),
            Self::NoPlatform => "no platform yet: AWS Lambda is managed end to end, while Knative would first need a \
                                 Kubernetes cluster to run"
                .into(),
            Self::Relational => "relational data: PostgreSQL through sqlx, with migrations".into(),
            Self::SmallData => "small data on a single instance: SQLite in a file through sqlx, no database server to \
                                run (one replica)"
                .into(),
            Self::SqliteOneReplica => {
                "small data, but SQLite allows one replica and spiky traffic needs more: PostgreSQL".into()
            }
            Self::SqliteNeedsOneInstance => "small data, but SQLite needs one long-lived instance with a disk, which \
                                             functions do not have: PostgreSQL (a small managed instance is enough)"
                .into(),
            Self::NoData => "no data to keep: no database layer (the example resource is kept in memory)".into(),
            Self::ServicesOwnDatabases => "each service owns its PostgreSQL database (every microservice has one): no \
                                           tables shared between services"
                .into(),
        }
    }
}

/// The main alternative, and when to switch to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    pub shape: Shape,
    pub when: &'static str,
}

/// What `advise` recommends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// The style and its options, as `new` takes them.
    pub shape: Shape,
    pub ci: Ci,
    /// A monolith built as modules with enforced boundaries (one per team), to split into
    /// services later: what several teams get without what running services takes.
    pub modular: bool,
    /// The key reason first.
    pub reasons: Vec<Reason>,
    pub alternative: Alternative,
    /// The questions not answered, and what was taken instead.
    pub assumed: Vec<Assumed>,
}

impl Advice {
    #[must_use]
    pub fn style(&self) -> Style {
        self.shape.style()
    }
}

/// The answers with what was not answered assumed.
#[derive(Debug, Clone, Copy)]
struct Taken {
    teams: u16,
    team_size: Option<u16>,
    domain: Domain,
    traffic: Traffic,
    latency: Latency,
    ops: Ops,
    platform: Existing,
    mvp: bool,
    data: Data,
}

/// The fewest engineers that can run several services, each with its own on-call.
pub const MIN_ENGINEERS_FOR_SERVICES: u32 = 8;

/// A team larger than this usually splits.
pub const LARGE_TEAM: u16 = 10;

const REVISIT_MICROSERVICES: &str = "when several teams (three or more) wait on each other's releases, or a part needs \
                                     to scale or deploy on its own, and on-call per service and tracing are in place";
const REVISIT_MICROSERVICES_OPS: &str = "when on-call per service, tracing across services and a cluster to run \
                                         them are in place, and the module boundaries have held for a few releases";
const REVISIT_MICROSERVICES_MVP: &str =
    "when the product has settled and the module boundaries have held for a few releases";
const REVISIT_MICROSERVICES_PEOPLE: &str = "when there are enough engineers (about 8 or more) for an on-call rotation \
                                            per service, and the module boundaries have held";
const REVISIT_MONOLITH_FROM_SERVICES: &str = "when most changes touch several services at once, or their on-call \
                                              outgrows the teams: merge them back into a modular monolith";
const REVISIT_MONOLITH_FROM_FUNCTIONS: &str = "when traffic turns steady (an always-on instance then costs less than \
                                               per-request billing) or the latency target tightens (cold starts)";
const REVISIT_SERVERLESS_WARM: &str = "if provisioned concurrency (AWS Lambda) or a minimum scale of 1 (Knative) is \
                                       acceptable: no cold starts, but the warm instances are billed around the \
                                       clock, which gives back much of the per-use saving";
const REVISIT_SERVERLESS_AFTER_MVP: &str = "after the MVP, when an always-on instance costs more than the traffic \
                                            justifies: per-request billing and scale to zero";

/// The advice for `situation`: the one decision table (see the module documentation).
#[must_use]
pub fn advise(situation: &Situation) -> Advice {
    let (t, assumed) = take(situation);
    let several_teams = (t.teams >= 3 && t.domain != Domain::Simple) || (t.teams >= 2 && t.domain == Domain::Complex);
    let engineers = t.team_size.map(|size| u32::from(t.teams) * u32::from(size));
    let serverless_traffic = matches!(t.traffic, Traffic::Spiky | Traffic::MostlyIdle);

    let mut reasons = Vec::new();
    let mut modular = false;
    let (style, when, alternative) = if several_teams {
        let blocker = if t.mvp {
            Some((Reason::MvpBeforeServices, REVISIT_MICROSERVICES_MVP))
        } else if let Some(engineers) = engineers.filter(|&n| n < MIN_ENGINEERS_FOR_SERVICES) {
            Some((Reason::TooFewEngineers { engineers }, REVISIT_MICROSERVICES_PEOPLE))
        } else if t.ops != Ops::High {
            Some((Reason::ModularMonolithFirst { ops: t.ops }, REVISIT_MICROSERVICES_OPS))
        } else {
            None
        };
        if let Some((reason, when)) = blocker {
            reasons.push(reason);
            modular = true;
            (Style::Monolith, when, Style::Microservices)
        } else {
            reasons.push(Reason::TeamsOwnServices { teams: t.teams });
            if t.domain == Domain::Complex {
                reasons.push(Reason::ComplexDomain);
            }
            reasons.push(Reason::OpsReady);
            if t.traffic == Traffic::Spiky {
                reasons.push(Reason::SpikyPartsScale);
            }
            if t.latency == Latency::Tight {
                reasons.push(Reason::HopsAddLatency);
            }
            reasons.push(Reason::Events);
            (Style::Microservices, REVISIT_MONOLITH_FROM_SERVICES, Style::Monolith)
        }
    } else if serverless_traffic && t.mvp {
        reasons.push(Reason::Mvp);
        (Style::Monolith, REVISIT_SERVERLESS_AFTER_MVP, Style::Serverless)
    } else if serverless_traffic && t.latency == Latency::Tight {
        reasons.push(Reason::ColdStarts);
        (Style::Monolith, REVISIT_SERVERLESS_WARM, Style::Serverless)
    } else if serverless_traffic {
        reasons.push(if t.traffic == Traffic::Spiky { Reason::SpikyTraffic } else { Reason::IdleTraffic });
        reasons.push(Reason::ColdStartsAcceptable);
        (Style::Serverless, REVISIT_MONOLITH_FROM_FUNCTIONS, Style::Monolith)
    } else {
        match (t.teams, t.domain) {
            (1, Domain::Complex) => reasons.push(Reason::ComplexDomainOneTeam),
            (1, Domain::Simple) => reasons.extend([Reason::OneTeam, Reason::SimpleDomain]),
            (1, _) => reasons.push(Reason::OneTeam),
            (teams, Domain::Simple) => reasons.extend([Reason::SimpleDomain, Reason::TeamsShareOne { teams }]),
            (teams, _) => reasons.push(Reason::TeamsShareOne { teams }),
        }
        if t.mvp {
            reasons.push(Reason::Mvp);
        }
        if t.ops == Ops::Low {
            reasons.push(Reason::LowOps);
        }
        reasons.push(Reason::SteadyTraffic);
        (Style::Monolith, REVISIT_MICROSERVICES, Style::Microservices)
    };
    if let Some(size) = t.team_size.filter(|&size| t.teams == 1 && size >= LARGE_TEAM) {
        reasons.push(Reason::LargeTeam { size });
    }
    let (shape, more) = shape(style, &t);
    reasons.extend(more);
    let (alternative, _) = shape_of(alternative, &t);
    let alternative = Alternative { shape: alternative, when };
    Advice { shape, ci: Ci::default_value(), modular, reasons, alternative, assumed }
}

/// `style` with the options that fit, and the reasons for them.
fn shape(style: Style, t: &Taken) -> (Shape, Vec<Reason>) {
    let (shape, db) = shape_of(style, t);
    let mut reasons = Vec::new();
    match style {
        Style::Serverless => reasons.push(match t.platform {
            Existing::Aws => Reason::Lambda,
            Existing::Kubernetes => Reason::KnativeOnCluster,
            Existing::None => Reason::NoPlatform,
        }),
        Style::Microservices | Style::Monolith => match t.platform {
            Existing::Kubernetes => reasons.push(Reason::DeployKubernetes),
            Existing::Aws => reasons.push(Reason::DeployAws),
            Existing::None if style == Style::Microservices => reasons.push(Reason::NeedsCluster),
            Existing::None => {}
        },
    }
    reasons.push(db);
    (shape, reasons)
}

/// `style` with the options that fit, and the reason for its database.
fn shape_of(style: Style, t: &Taken) -> (Shape, Reason) {
    let (db, reason) = match (style, t.data) {
        (Style::Microservices, _) => (Db::Postgres, Reason::ServicesOwnDatabases),
        (_, Data::Relational) => (Db::Postgres, Reason::Relational),
        (_, Data::None) => (Db::None, Reason::NoData),
        (Style::Serverless, Data::Small) => (Db::Postgres, Reason::SqliteNeedsOneInstance),
        (Style::Monolith, Data::Small) if t.traffic == Traffic::Spiky => (Db::Postgres, Reason::SqliteOneReplica),
        (Style::Monolith, Data::Small) => (Db::Sqlite, Reason::SmallData),
    };
    let shape = match style {
        Style::Monolith => Shape::Monolith { db },
        Style::Microservices => {
            let services: Vec<Names> = DEFAULT_SERVICES.iter().filter_map(|s| Names::new(s).ok()).collect();
            Shape::Microservices { calls: crate::calls::defaults(&services), services, events: Events::Nats }
        }
        Style::Serverless => Shape::Serverless {
            platform: if t.platform == Existing::Kubernetes { Platform::Knative } else { Platform::AwsLambda },
            postgres: db == Db::Postgres,
        },
    };
    (shape, reason)
}

/// The situation with every unanswered question assumed, and the list of assumptions (in the
/// order the questions are asked).
fn take(s: &Situation) -> (Taken, Vec<Assumed>) {
    let t = Taken {
        teams: s.teams.unwrap_or(1),
        team_size: s.team_size,
        domain: s.domain.unwrap_or_else(Domain::default_value),
        traffic: s.traffic.unwrap_or_else(Traffic::default_value),
        latency: s.latency.unwrap_or_else(Latency::default_value),
        ops: s.ops.unwrap_or_else(Ops::default_value),
        platform: s.platform.unwrap_or_else(Existing::default_value),
        mvp: s.mvp.unwrap_or(false),
        data: s.data.unwrap_or_else(Data::default_value),
    };
    let questions = [
        (TEAMS, s.teams.is_some(), t.teams.to_string()),
        (TEAM_SIZE, s.team_size.is_some(), "not taken into account".to_owned()),
        (DOMAIN, s.domain.is_some(), t.domain.to_string()),
        (TRAFFIC, s.traffic.is_some(), t.traffic.to_string()),
        (LATENCY, s.latency.is_some(), t.latency.to_string()),
        (OPS, s.ops.is_some(), t.ops.to_string()),
        (PLATFORM, s.platform.is_some(), t.platform.to_string()),
        (MVP, s.mvp.is_some(), "no".to_owned()),
        (DATA, s.data.is_some(), t.data.to_string()),
    ];
    let assumed = questions
        .into_iter()
        .filter(|(_, answered, _)| !answered)
        .map(|(question, _, value)| Assumed { question, value })
        .collect();
    (t, assumed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::Defaults;
    use Platform::{AwsLambda, Knative};
    use Reason as R;

    /// A situation from `key=value` words (the flags' names and values), e.g. `"teams=4 ops=high"`.
    fn situation(words: &str) -> Situation {
        let mut s = Situation::default();
        for word in words.split_whitespace() {
            let (key, value) = word.split_once('=').unwrap();
            match key {
                "teams" => s.teams = Some(value.parse().unwrap()),
                "size" => s.team_size = Some(value.parse().unwrap()),
                "domain" => s.domain = Some(Domain::from_str(value, false).unwrap()),
                "traffic" => s.traffic = Some(Traffic::from_str(value, false).unwrap()),
                "latency" => s.latency = Some(Latency::from_str(value, false).unwrap()),
                "ops" => s.ops = Some(Ops::from_str(value, false).unwrap()),
                "platform" => s.platform = Some(Existing::from_str(value, false).unwrap()),
                "mvp" => s.mvp = Some(value == "yes"),
                "data" => s.data = Some(Data::from_str(value, false).unwrap()),
                _ => panic!("unknown key {key}"),
            }
        }
        s
    }

    fn monolith(db: Db) -> Shape {
        Shape::Monolith { db }
    }

    fn microservices() -> Shape {
        let services: Vec<Names> = DEFAULT_SERVICES.iter().map(|s| Names::new(s).unwrap()).collect();
        Shape::Microservices { calls: crate::calls::defaults(&services), services, events: Events::Nats }
    }

    fn serverless(platform: Platform, postgres: bool) -> Shape {
        Shape::Serverless { platform, postgres }
    }

    /// One row per situation that decides differently: the answers, the advised shape, the key
    /// (first) reason, other reasons that must be given, and the alternative's style.
    #[rustfmt::skip]
    fn table() -> Vec<(&'static str, Shape, Reason, Vec<Reason>, Style)> {
        use Style::{Microservices as Micro, Monolith as Mono, Serverless as Fn};
        let pg = || monolith(Db::Postgres);
        vec![
            // Nothing answered: the cautious assumptions (one team, steady traffic, low ops, relational data).
            ("",                                                  pg(), R::OneTeam, vec![R::LowOps, R::SteadyTraffic, R::Relational], Micro),
            // One team: a monolith whatever the domain; the reasons differ.
            ("teams=1 domain=simple mvp=yes",                     pg(), R::OneTeam, vec![R::SimpleDomain, R::Mvp], Micro),
            ("teams=1 domain=complex ops=high",                   pg(), R::ComplexDomainOneTeam, vec![], Micro),
            ("teams=1 size=12 ops=medium",                        pg(), R::OneTeam, vec![R::LargeTeam { size: 12 }], Micro),
            // Two teams on a moderate domain share one deployable; many teams on a simple domain have nothing to split along.
            ("teams=2 domain=moderate ops=high",                  pg(), R::TeamsShareOne { teams: 2 }, vec![], Micro),
            ("teams=5 domain=simple ops=high",                    pg(), R::SimpleDomain, vec![R::TeamsShareOne { teams: 5 }], Micro),
            // Several teams (3+, or 2 with a complex domain) with the maturity to run services.
            ("teams=4 size=6 domain=complex ops=high platform=kubernetes", microservices(), R::TeamsOwnServices { teams: 4 },
                vec![R::ComplexDomain, R::OpsReady, R::Events, R::DeployKubernetes, R::ServicesOwnDatabases], Mono),
            ("teams=2 domain=complex ops=high data=none",         microservices(), R::TeamsOwnServices { teams: 2 }, vec![R::NeedsCluster, R::ServicesOwnDatabases], Mono),
            ("teams=3 ops=high traffic=spiky latency=tight platform=aws", microservices(), R::TeamsOwnServices { teams: 3 },
                vec![R::SpikyPartsScale, R::HopsAddLatency, R::DeployAws], Mono),
            ("teams=3 size=3 domain=complex ops=high",            microservices(), R::TeamsOwnServices { teams: 3 }, vec![], Mono),
            // Several teams, but not the operations maturity (answered, or assumed low), an MVP, or too few people: a modular monolith.
            ("teams=4 domain=complex ops=medium",                 pg(), R::ModularMonolithFirst { ops: Ops::Medium }, vec![], Micro),
            ("teams=4 domain=complex",                            pg(), R::ModularMonolithFirst { ops: Ops::Low }, vec![], Micro),
            ("teams=3 domain=complex ops=high mvp=yes",           pg(), R::MvpBeforeServices, vec![], Micro),
            ("teams=3 size=2 domain=complex ops=high",            pg(), R::TooFewEngineers { engineers: 6 }, vec![], Micro),
            // Spiky or mostly idle traffic: serverless, on the platform there is.
            ("traffic=spiky platform=aws",                        serverless(AwsLambda, true), R::SpikyTraffic, vec![R::ColdStartsAcceptable, R::Lambda, R::Relational], Mono),
            ("traffic=mostly-idle platform=kubernetes data=none", serverless(Knative, false), R::IdleTraffic, vec![R::KnativeOnCluster, R::NoData], Mono),
            ("traffic=mostly-idle platform=none latency=relaxed", serverless(AwsLambda, true), R::IdleTraffic, vec![R::NoPlatform], Mono),
            ("traffic=mostly-idle platform=aws data=small",       serverless(AwsLambda, true), R::IdleTraffic, vec![R::SqliteNeedsOneInstance], Mono),
            // … but not with tight latency (cold starts), nor for an MVP.
            ("traffic=spiky latency=tight platform=aws",          pg(), R::ColdStarts, vec![R::DeployAws], Fn),
            ("traffic=mostly-idle mvp=yes",                       pg(), R::Mvp, vec![], Fn),
            // The data decides the database where the style allows it.
            ("data=small",                                        monolith(Db::Sqlite), R::OneTeam, vec![R::SmallData], Micro),
            ("data=none ops=medium",                              monolith(Db::None), R::OneTeam, vec![R::NoData], Micro),
            ("traffic=spiky latency=tight data=small",            pg(), R::ColdStarts, vec![R::SqliteOneReplica], Fn),
        ]
    }

    #[test]
    fn the_decision_table() {
        for (words, shape, key, more, alternative) in table() {
            let advice = advise(&situation(words));
            assert_eq!(advice.shape, shape, "{words:?}");
            assert_eq!(advice.reasons.first(), Some(&key), "{words:?}: {:?}", advice.reasons);
            for reason in more {
                assert!(advice.reasons.contains(&reason), "{words:?}: {reason:?} missing from {:?}", advice.reasons);
            }
            assert_eq!(advice.alternative.shape.style(), alternative, "{words:?}");
            assert_ne!(advice.alternative.shape.style(), advice.style(), "{words:?}");
            assert_eq!(advice.ci, Ci::Github, "{words:?}: CI is the default");
            let modular =
                matches!(key, R::ModularMonolithFirst { .. } | R::MvpBeforeServices | R::TooFewEngineers { .. });
            assert_eq!(advice.modular, modular, "{words:?}");
        }
    }

    #[test]
    fn every_reason_has_its_own_id_and_a_sentence() {
        let mut seen = std::collections::HashMap::new();
        for (words, ..) in table() {
            let advice = advise(&situation(words));
            for reason in advice.reasons {
                let (id, text) = (reason.id(), reason.text());
                assert!(!text.is_empty() && !text.ends_with('.') && !text.contains("  "), "{reason:?}: {text:?}");
                let previous = seen.insert(id, std::mem::discriminant(&reason));
                assert!(previous.is_none_or(|d| d == std::mem::discriminant(&reason)), "{id} names two reasons");
            }
        }
        // Every reason (33 variants) is given in some row of the table.
        assert_eq!(seen.len(), 33, "{:?}", seen.keys());
    }

    #[test]
    fn what_is_not_answered_is_assumed_and_listed_in_the_order_asked() {
        let advice = advise(&Situation::default());
        let listed: Vec<(&str, &str)> = advice.assumed.iter().map(|a| (a.question.id, a.value.as_str())).collect();
        assert_eq!(
            listed,
            [
                ("teams", "1"),
                ("team_size", "not taken into account"),
                ("domain", "moderate"),
                ("traffic", "steady"),
                ("latency", "relaxed"),
                ("ops", "low"),
                ("platform", "none"),
                ("mvp", "no"),
                ("data", "relational"),
            ]
        );
        let answered = situation(
            "teams=2 size=5 domain=simple traffic=steady latency=tight ops=low platform=aws mvp=no data=none",
        );
        assert!(advise(&answered).assumed.is_empty());
        // An answer equal to the assumption decides the same: assuming is not a guess in disguise.
        let defaults = situation(
            "teams=1 domain=moderate traffic=steady latency=relaxed ops=low platform=none mvp=no data=relational",
        );
        let (a, b) = (advise(&defaults), advise(&Situation::default()));
        assert_eq!((a.shape, a.reasons, a.alternative), (b.shape, b.reasons, b.alternative));
    }

    #[test]
    fn every_advised_shape_is_one_new_accepts() {
        for (words, ..) in table() {
            let advice = advise(&situation(words));
            for shape in [&advice.shape, &advice.alternative.shape] {
                let answers = crate::answers::Answers {
                    name: "shop".into(),
                    names: Names::new("shop").unwrap(),
                    ci: advice.ci,
                    shape: shape.clone(),
                    templates: None,
                    resources: crate::resources::resolve(&[], shape).unwrap(),
                    features: crate::features::choose(None, shape, &crate::plan::TEMPLATES, &mut Defaults).unwrap(),
                };
                let line = answers.command_line(None);
                let cli = crate::cli::try_parse_from(line.split(' ').skip(1).map(Into::into)).unwrap();
                let crate::cli::Command::New(args) = cli.command else { panic!("{line}") };
                let resolved = crate::answers::Answers::resolve(&args, None, &mut Defaults).unwrap();
                assert_eq!(resolved, answers, "{words:?}: {line}");
            }
        }
    }

    #[test]
    fn the_values_of_every_question_agree_with_their_flags() {
        fn consistent<T: Choice + fmt::Display>() {
            for value in T::value_variants() {
                let clap_name = value.to_possible_value().map(|v| v.get_name().to_owned());
                assert_eq!(clap_name.as_deref(), Some(value.name()));
                assert_eq!(value.to_string(), value.name());
                assert!(!value.guidance().is_empty());
                assert_eq!(T::from_str(value.name(), false).ok().map(Choice::name), Some(value.name()));
            }
        }
        consistent::<Domain>();
        consistent::<Traffic>();
        consistent::<Latency>();
        consistent::<Ops>();
        consistent::<Existing>();
        consistent::<Data>();
    }
}
