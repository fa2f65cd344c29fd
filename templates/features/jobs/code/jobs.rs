//! Durable background jobs on the project's PostgreSQL, with graphile_worker: a job is a row
//! added in the same transaction as the write that causes it ([`created`]), so a rolled-back
//! write leaves no job and a committed one cannot lose it. `worker` processes run jobs at least
//! once (the job id goes with each delivery, for the receiver to deduplicate), retry a failure
//! after a growing delay, and stop after `JOBS_MAX_ATTEMPTS`: the job stays, with its last
//! error, for `jobs failed` and `jobs retry ID`. ARCHITECTURE.md explains the guarantees.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use graphile_worker::worker_utils::types::RescheduleJobOptions;
use graphile_worker::{
    IntoTaskHandlerResult, JobComplete, JobFail, JobPermanentlyFail, JobSpec, TaskHandler,
    WorkerContext, WorkerOptions, WorkerUtils,
};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, Transaction};

use crate::cli;
use crate::config::{Config, ConfigError, Env};
use crate::metrics::Family;

/// The schema graphile_worker keeps its tables and functions in.
const SCHEMA: &str = "graphile_worker";

const PROCESSED: Family = Family::counter("jobs_processed_total", "Jobs run to success.");
const FAILED: Family = Family::counter("jobs_failed_total", "Job runs that failed.");
const RETRIED: Family = Family::counter("jobs_retried_total", "Failed runs that will be retried.");
const DEAD: Family = Family::counter("jobs_dead_total", "Jobs that failed for the last time.");
const DEPTH: Family = Family::gauge("jobs_queue_depth", "Jobs waiting to run, now or later.");
const OLDEST: Family = Family::gauge(
    "jobs_oldest_age_seconds",
    "How long the oldest due job has waited.",
);
const KEPT: Family = Family::gauge(
    "jobs_failed_kept",
    "Jobs kept after their last attempt failed.",
);

/// The header that carries the job id, for the receiver to deduplicate deliveries.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// The jobs' settings (see `.env.example`).
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Where a notification of each created resource is POSTed; unset: no job is added.
    pub webhook: Option<String>,
    /// Runs of a job before it is kept as failed.
    pub max_attempts: i16,
    /// Jobs one worker runs at a time.
    pub concurrency: usize,
    /// How long one delivery may take.
    pub timeout: Duration,
    /// How long a worker that stopped beating holds its jobs before another takes them.
    pub lease: Duration,
    /// How long a stopping worker lets its running jobs finish.
    pub drain: Duration,
    /// How often an idle worker looks for jobs (besides PostgreSQL's notifications).
    pub poll: Duration,
}

impl JobsConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let max_attempts = env.positive("JOBS_MAX_ATTEMPTS", 8)?;
        let max_attempts = i16::try_from(max_attempts).map_err(|e| {
            ConfigError::invalid("JOBS_MAX_ATTEMPTS", &max_attempts.to_string(), &e)
        })?;
        let concurrency = env.positive("JOBS_CONCURRENCY", 4)?;
        Ok(Self {
            webhook: env.get("NOTIFY_WEBHOOK_URL").filter(|url| !url.is_empty()),
            max_attempts,
            concurrency: usize::try_from(concurrency).unwrap_or(usize::MAX),
            timeout: env.millis("JOBS_HTTP_TIMEOUT_MS", 10_000)?,
            lease: Duration::from_secs(env.positive("JOBS_LEASE_SECS", 300)?),
            drain: Duration::from_secs(env.positive("JOBS_DRAIN_SECS", 25)?),
            poll: env.millis("JOBS_POLL_MS", 2_000)?,
        })
    }
}

/// What the app's writes need to add jobs: set once by `serve` ([`enable`]); unset (a test that
/// builds the app without it), writes add no job.
static ENQUEUE: OnceLock<JobsConfig> = OnceLock::new();

/// Lets the writes of this process add jobs, with the settings of the environment.
pub fn enable_from_env() -> Result<(), ConfigError> {
    let _ = ENQUEUE.set(JobsConfig::from_env(&Env::process())?);
    Ok(())
}

/// The notification job: the created resource, POSTed to `NOTIFY_WEBHOOK_URL`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Notify {
    pub resource: String,
    pub id: i64,
    pub body: serde_json::Value,
}

/// Adds, inside `tx` (the transaction of the write that created `entity`), the job that
/// notifies the webhook of it; nothing when no webhook is configured.
pub async fn created<T: Serialize>(
    tx: &mut Transaction<'static, Postgres>,
    resource: &str,
    id: i64,
    entity: &T,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let Some(config) = ENQUEUE.get().filter(|c| c.webhook.is_some()) else {
        return Ok(());
    };
    let job = Notify {
        resource: resource.to_owned(),
        id,
        body: serde_json::to_value(entity)?,
    };
    let spec = JobSpec {
        max_attempts: Some(config.max_attempts),
        ..JobSpec::default()
    };
    graphile_worker::sql::add_job::single::add_job(
        tx,
        SCHEMA,
        Notify::IDENTIFIER,
        serde_json::to_value(job)?,
        spec,
        false,
    )
    .await?;
    Ok(())
}

/// The worker's counters, for `/metrics`.
#[derive(Debug, Default)]
struct Counters {
    processed: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    dead: AtomicU64,
}

/// What a delivery needs: the HTTP client and where to.
#[derive(Debug, Clone)]
struct Delivery {
    client: reqwest::Client,
    /// Unset: the app adds no job, and a job found anyway (added while it was set) fails.
    url: Option<String>,
}

impl TaskHandler for Notify {
    const IDENTIFIER: &'static str = "notify";

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let Some((delivery, url)) = ctx
            .get_ext::<Delivery>()
            .and_then(|d| d.url.as_deref().map(|url| (d, url)))
        else {
            return Err("NOTIFY_WEBHOOK_URL is not set in the worker".to_owned());
        };
        let job = ctx.job();
        let response = delivery
            .client
            .post(url)
            .header(IDEMPOTENCY_HEADER, job.id().to_string())
            .json(&self)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let status = response.status();
        if status.is_success() {
            tracing::info!(job = job.id(), resource = %self.resource, id = self.id, "notified");
            Ok(())
        } else {
            Err(format!("POST {url} answered {status}"))
        }
    }
}

/// A pool of its own for a command that is not the server.
async fn pool(config: &Config) -> cli::Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(config.database.max_connections)
        .connect_with(config.database.options.clone())
        .await?)
}

/// Creates or updates graphile_worker's schema (it takes an advisory lock, so instances
/// starting together wait for one another).
pub async fn migrate(pool: &PgPool) -> cli::Result {
    WorkerUtils::new(pool.clone(), SCHEMA).migrate().await?;
    Ok(())
}

/// The app's `migrate` and `db setup` create the schema too, so that a write can enqueue its
/// job before any worker has started.
pub async fn migrate_schema(config: &Config) -> cli::Result {
    migrate(&pool(config).await?).await
}

/// `worker`: runs jobs until SIGTERM or SIGINT, then lets the running ones finish (up to
/// `JOBS_DRAIN_SECS`); serves `/healthz`, `/readyz` and `/metrics` on `PORT` (it serves no API).
pub async fn worker() -> cli::Result {
    let config = Config::from_env()?;
    crate::telemetry::init(&config.log)?;
    let jobs = JobsConfig::from_env(&Env::process())?;
    // ring, as the project's sqlx uses (aws-lc would add a C build); the webhook is plain TLS.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().timeout(jobs.timeout).build()?;
    let pool = pool(&config).await?;
    migrate(&pool).await?;
    let counters = Arc::new(Counters::default());
    let listener = tokio::net::TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", config.host, config.port))?;
    tokio::spawn(probes(listener, pool.clone(), Arc::clone(&counters)));
    let (done, fail, dead) = (
        Arc::clone(&counters),
        Arc::clone(&counters),
        Arc::clone(&counters),
    );
    let worker = WorkerOptions::default()
        .pg_pool(pool)
        .schema(SCHEMA)
        .concurrency(jobs.concurrency)
        .poll_interval(jobs.poll)
        .add_extension(Delivery {
            client,
            url: jobs.webhook.clone(),
        })
        .define_job::<Notify>()
        .heartbeat_interval(jobs.lease / 3)
        .sweep_interval(jobs.lease / 2)
        .sweep_threshold(jobs.lease)
        .recovery_delay(Duration::ZERO)
        .shutdown_grace_period(jobs.drain)
        .on(JobComplete, move |_| {
            let counters = Arc::clone(&done);
            async move {
                counters.processed.fetch_add(1, Ordering::Relaxed);
            }
        })
        .on(JobFail, move |ctx| {
            let counters = Arc::clone(&fail);
            async move {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                if ctx.will_retry {
                    counters.retried.fetch_add(1, Ordering::Relaxed);
                }
                tracing::warn!(job = ctx.job.id(), error = %ctx.error, will_retry = ctx.will_retry, "job failed");
            }
        })
        .on(JobPermanentlyFail, move |ctx| {
            let counters = Arc::clone(&dead);
            async move {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                counters.dead.fetch_add(1, Ordering::Relaxed);
                tracing::error!(job = ctx.job.id(), error = %ctx.error, "job failed for the last time");
            }
        })
        .init()
        .await?;
    tracing::info!(concurrency = jobs.concurrency, "worker started");
    worker.run().await?;
    tracing::info!("worker stopped");
    Ok(())
}

/// The worker's probes and metrics: live while it runs, ready while PostgreSQL answers.
async fn probes(listener: tokio::net::TcpListener, pool: PgPool, counters: Arc<Counters>) {
    use axum::http::StatusCode;
    use axum::routing::get;
    let ready = pool.clone();
    let app = axum::Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let pool = ready.clone();
                async move {
                    match sqlx::query("SELECT 1").execute(&pool).await {
                        Ok(_) => (StatusCode::OK, "ready"),
                        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
                    }
                }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let (pool, counters) = (pool.clone(), Arc::clone(&counters));
                async move { metrics(&pool, &counters).await }
            }),
        );
    if let Err(error) = axum::serve(listener, app).await {
        tracing::error!(%error, "the worker's probes stopped");
    }
}

/// The worker's series in the Prometheus text format: its counters, and the queue from the
/// database (jobs waiting to run, the age of the oldest, jobs kept as failed).
async fn metrics(pool: &PgPool, counters: &Counters) -> (axum::http::StatusCode, String) {
    let queue: Result<(i64, f64, i64), _> = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE attempts < max_attempts), \
         coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE attempts < max_attempts \
         AND run_at <= now())), 0)::float8, \
         count(*) FILTER (WHERE attempts >= max_attempts) \
         FROM graphile_worker.jobs",
    )
    .fetch_one(pool)
    .await;
    let Ok((depth, oldest, failed)) = queue else {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable\n".to_owned(),
        );
    };
    let mut text = String::new();
    for (family, counter) in [
        (PROCESSED, &counters.processed),
        (FAILED, &counters.failed),
        (RETRIED, &counters.retried),
        (DEAD, &counters.dead),
    ] {
        family.single(&mut text, counter.load(Ordering::Relaxed));
    }
    DEPTH.single(&mut text, depth);
    OLDEST.single(&mut text, oldest);
    KEPT.single(&mut text, failed);
    (axum::http::StatusCode::OK, text)
}

/// A job kept after its last attempt failed.
#[derive(Debug, sqlx::FromRow)]
struct Failed {
    id: i64,
    task_identifier: String,
    attempts: i16,
    last_error: Option<String>,
}

/// `jobs failed`: the jobs kept after their last attempt failed, one a line (id, task,
/// attempts, last error), oldest first.
pub async fn failed() -> cli::Result {
    let pool = pool(&Config::from_env()?).await?;
    let rows: Vec<Failed> = sqlx::query_as(
        "SELECT id, task_identifier, attempts, last_error FROM graphile_worker.jobs \
         WHERE attempts >= max_attempts ORDER BY id",
    )
    .fetch_all(&pool)
    .await?;
    for row in rows {
        let error = row.last_error.unwrap_or_default().replace('\n', " ");
        println!(
            "{}\t{}\t{}\t{error}",
            row.id, row.task_identifier, row.attempts
        );
    }
    Ok(())
}

/// `jobs retry ID`: runs a failed job again now, with its attempts counted from zero.
pub async fn retry(id: &str) -> cli::Result {
    let Ok(id) = id.parse::<i64>() else {
        return Err(
            crate::failure::Failure::new(format!("{id:?} is not a job id"))
                .help("pass a number from the first column of `jobs failed`")
                .into(),
        );
    };
    let pool = pool(&Config::from_env()?).await?;
    let options = RescheduleJobOptions {
        attempts: Some(0),
        ..RescheduleJobOptions::default()
    };
    let rescheduled = WorkerUtils::new(pool, SCHEMA)
        .reschedule_jobs(&[id], options)
        .await?;
    if rescheduled.is_empty() {
        return Err(
            crate::failure::Failure::new(format!("there is no job {id}"))
                .help("`jobs failed` lists the failed jobs; a job that succeeded is deleted")
                .into(),
        );
    }
    println!("job {id} will run again");
    Ok(())
}
