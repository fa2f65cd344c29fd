//! Where a read goes: to the streaming replica of `DATABASE_READ_URL` when there is one and it
//! is up and close enough behind the primary, else to the primary. Writes always go to the
//! primary and return what they wrote (`RETURNING`), so no request reads after it wrote.
//!
//! The replica is checked at most once per `DATABASE_READ_CHECK_MS`: the read that finds the
//! last check too old starts one in the background (a query on the replica, bounded by
//! [`CHECK_TIMEOUT`]), and every read takes the last result, so no read waits for a check. A read the replica fails for lack of availability (down, restarting, a
//! query cancelled by recovery) is retried on the primary at once and marks the replica down
//! until the next check. Every read sent to the primary instead of the replica is counted in
//! `db_read_fallbacks_total{reason="down"|"lag"}`; changes of state are logged, so the log gets
//! at most one line per check.

use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::support::{Kind, kind};
use crate::config::database::ReadReplicaConfig;
use crate::metrics::Family;

/// How long a read waits for a connection to the replica before it goes to the primary: short,
/// since the primary can answer instead.
const FALLBACKS: Family = Family::counter(
    "db_read_fallbacks_total",
    "Reads served by the primary because the replica was down or lagging.",
);

const REPLICA_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a check of the replica may take; a slower replica counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// How far the replica's replay is behind the primary's WAL it has received, in seconds: 0 when
/// it has replayed everything (an idle primary writes nothing, so the time of the last replayed
/// transaction alone would grow without any lag), NULL on a server that is not a replica.
const LAG: &str = "\
    SELECT CASE \
        WHEN NOT pg_is_in_recovery() THEN NULL \
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
        ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 \
    END";

/// The pools a read may use: the primary, and the replica if one is configured.
#[derive(Debug, Clone)]
pub struct Reads {
    primary: PgPool,
    replica: Option<Arc<Replica>>,
}

#[derive(Debug)]
struct Replica {
    pool: PgPool,
    max_lag: Duration,
    check_every: Duration,
    /// When the last check started (`None`: never).
    checked: Mutex<Option<Instant>>,
    /// A [`State`] as its discriminant.
    state: AtomicU8,
    fallbacks_down: AtomicU64,
    fallbacks_lag: AtomicU64,
}

/// What the last check (or the last failed read) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum State {
    Up = 0,
    Down = 1,
    Lagging = 2,
}

impl State {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Up,
            2 => Self::Lagging,
            _ => Self::Down,
        }
    }
}

impl Reads {
    /// Reads on `primary`, or on a lazily connecting pool of `replica` when there is one (the
    /// service starts while the replica is down, and reads go to the primary until it is up).
    pub fn new(primary: PgPool, replica: Option<&ReadReplicaConfig>) -> Self {
        let replica = replica.map(|config| {
            let pool = PgPoolOptions::new()
                .max_connections(primary.options().get_max_connections())
                .acquire_timeout(REPLICA_ACQUIRE_TIMEOUT)
                .connect_lazy_with(config.options.clone());
            Arc::new(Replica {
                pool,
                max_lag: config.max_lag,
                check_every: config.check_every,
                checked: Mutex::new(None),
                state: AtomicU8::new(State::Up as u8),
                fallbacks_down: AtomicU64::new(0),
                fallbacks_lag: AtomicU64::new(0),
            })
        });
        Self { primary, replica }
    }

    /// The primary, which takes every write.
    pub fn primary(&self) -> &PgPool {
        &self.primary
    }

    /// Runs the read `query` on the replica when it may serve it, else on the primary.
    pub async fn run<T, F, Fut>(&self, query: F) -> Result<T, sqlx::Error>
    where
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        let Some(replica) = &self.replica else {
            return query(self.primary.clone()).await;
        };
        match replica.state() {
            State::Up => {}
            State::Down => {
                return replica
                    .fall_back(State::Down, query(self.primary.clone()))
                    .await;
            }
            State::Lagging => {
                return replica
                    .fall_back(State::Lagging, query(self.primary.clone()))
                    .await;
            }
        }
        match query(replica.pool.clone()).await {
            Err(error) if kind(&error) == Kind::Unavailable => {
                replica.set(State::Down, &error);
                replica
                    .fall_back(State::Down, query(self.primary.clone()))
                    .await
            }
            result => result,
        }
    }

    /// The replica's series in the Prometheus text format; empty without a replica.
    pub fn metrics(&self) -> String {
        let Some(replica) = &self.replica else {
            return String::new();
        };
        let mut out = String::with_capacity(256);
        FALLBACKS.header(&mut out);
        for (reason, count) in [
            ("down", &replica.fallbacks_down),
            ("lag", &replica.fallbacks_lag),
        ] {
            let count = count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "db_read_fallbacks_total{{reason=\"{reason}\"}} {count}"
            );
        }
        out
    }
}

impl Replica {
    /// The replica's state as last found; when that is older than `check_every`, a check starts
    /// in the background (no read waits for it).
    fn state(self: &Arc<Self>) -> State {
        if self.due() {
            tokio::spawn(Arc::clone(self).check());
        }
        State::from_u8(self.state.load(Ordering::Relaxed))
    }

    /// Asks the replica how far behind it is, and records what that means.
    async fn check(self: Arc<Self>) {
        let found = match tokio::time::timeout(CHECK_TIMEOUT, self.lag()).await {
            Ok(Ok(Some(lag))) if lag <= self.max_lag => Ok(State::Up),
            Ok(Ok(Some(lag))) => Err((State::Lagging, format!("{} ms behind", lag.as_millis()))),
            Ok(Ok(None)) => Err((State::Down, "not a replica (not in recovery)".to_owned())),
            Ok(Err(error)) => Err((State::Down, error.to_string())),
            Err(_) => Err((State::Down, "did not answer within 1s".to_owned())),
        };
        match found {
            Ok(state) => self.set(state, &"caught up"),
            Err((state, why)) => self.set(state, &why),
        }
    }

    /// Whether a check is due; if so, the caller makes it and the next one is due in
    /// `check_every`.
    fn due(&self) -> bool {
        let mut checked = self.checked.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if checked.is_some_and(|at| now.duration_since(at) < self.check_every) {
            return false;
        }
        *checked = Some(now);
        true
    }

    /// How far behind the primary the replica is (`None`: it is not a replica).
    async fn lag(&self) -> Result<Option<Duration>, sqlx::Error> {
        let (seconds,): (Option<f64>,) = sqlx::query_as(LAG).fetch_one(&self.pool).await?;
        Ok(seconds.map(|s| Duration::from_secs_f64(s.max(0.0))))
    }

    /// Records `state`, logging a change (with `why`).
    fn set(&self, state: State, why: &dyn std::fmt::Display) {
        let before = State::from_u8(self.state.swap(state as u8, Ordering::Relaxed));
        if before == state {
            return;
        }
        match state {
            State::Up => tracing::info!(%why, "read replica serves reads again"),
            State::Down => {
                tracing::warn!(%why, "read replica unavailable: reads go to the primary");
            }
            State::Lagging => {
                tracing::warn!(%why, "read replica lagging: reads go to the primary");
            }
        }
    }

    /// Counts a read sent to the primary because of `state`, then runs it.
    async fn fall_back<T>(&self, state: State, read: impl Future<Output = T>) -> T {
        let counter = if state == State::Lagging {
            &self.fallbacks_lag
        } else {
            &self.fallbacks_down
        };
        counter.fetch_add(1, Ordering::Relaxed);
        read.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_a_replica_there_is_one_pool_and_no_series() {
        let options = "postgres://app@127.0.0.1:1/app".parse().expect("a URL");
        let primary = PgPoolOptions::new().connect_lazy_with(options);
        let reads = Reads::new(primary, None);
        assert!(reads.replica.is_none());
        assert_eq!(reads.metrics(), "");
    }

    #[tokio::test]
    async fn a_replica_that_does_not_answer_sends_reads_to_the_primary_and_is_counted() {
        // Nothing listens on port 1: the replica is down, and so is this "primary"; the
        // database names tell which pool each attempt was given.
        let primary = PgPoolOptions::new()
            .acquire_timeout(Duration::from_millis(200))
            .connect_lazy_with("postgres://app@127.0.0.1:1/primary".parse().expect("a URL"));
        let config = ReadReplicaConfig {
            options: "postgres://app@127.0.0.1:1/replica".parse().expect("a URL"),
            max_lag: Duration::from_secs(1),
            check_every: Duration::from_hours(1),
        };
        let reads = Reads::new(primary, Some(&config));
        let used = Mutex::new(Vec::new());
        let query = |pool: PgPool| {
            let database = pool.connect_options().get_database().map(str::to_owned);
            used.lock().unwrap().push(database);
            async move { pool.acquire().await.map(|_| ()) }
        };
        assert!(reads.run(query).await.is_err());
        assert!(reads.run(query).await.is_err());
        let used = used.into_inner().unwrap();
        let replica = Some("replica".to_owned());
        let primary = Some("primary".to_owned());
        // The first read tries the replica, fails there and goes to the primary; the replica
        // is then down, and the second read goes straight to the primary.
        assert_eq!(used, [replica, primary.clone(), primary]);
        let metrics = reads.metrics();
        assert!(
            metrics.contains("db_read_fallbacks_total{reason=\"down\"} 2\n"),
            "{metrics}"
        );
        assert!(
            metrics.contains("db_read_fallbacks_total{reason=\"lag\"} 0\n"),
            "{metrics}"
        );
    }
}
