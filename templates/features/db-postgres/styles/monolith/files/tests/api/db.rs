//! PostgreSQL for the tests: each test migrates and uses its own schema in the database at
//! `DATABASE_URL`, so tests run in parallel and never see each other's rows.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};

use crate::app::config::HttpConfig;
use crate::app::repository::{DatabaseConfig, Repository};
use crate::support::TestApp;

pub struct TestDb {
    admin: PgConnectOptions,
    schema: String,
    repository: Repository,
}

fn admin_options() -> PgConnectOptions {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "DATABASE_URL must point at a PostgreSQL server for the integration tests, e.g.\n  \
             DATABASE_URL=postgres://postgres:postgres@localhost:5432/postgres cargo test\n\
             (each test creates and drops its own schema there)"
        )
    });
    PgConnectOptions::from_str(&url).expect("DATABASE_URL is a valid postgres URL")
}

impl TestDb {
    pub async fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let schema = format!(
            "test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let admin = admin_options();
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .expect("connect to DATABASE_URL");
        sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
            .execute(&mut conn)
            .await
            .expect("create test schema");
        conn.close().await.ok();

        let options = admin.clone().options([("search_path", schema.as_str())]);
        let repository = Repository::new(&DatabaseConfig {
            options,
            max_connections: 5,
        });
        repository.migrate().await.expect("migrations apply");
        Self {
            admin,
            schema,
            repository,
        }
    }

    pub fn repository(&self) -> Repository {
        self.repository.clone()
    }
}

impl Drop for TestDb {
    /// Drops the schema even when the test failed; async work needs its own runtime here.
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema);
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(admin)
                    .await?;
                sqlx::query(&sql).execute(&pool).await?;
                pool.close().await;
                Ok::<_, sqlx::Error>(())
            })
        });
        if let Ok(Err(error)) = cleanup.join() {
            eprintln!(
                "warning: could not drop test schema {}: {error}",
                self.schema
            );
        }
    }
}

#[tokio::test]
async fn service_starts_and_reports_unready_while_the_database_is_down() {
    // Nothing listens on port 1: the lazy pool lets the app start anyway.
    let options = PgConnectOptions::new()
        .host("127.0.0.1")
        .port(1)
        .username("nobody");
    let repository = Repository::new(&DatabaseConfig {
        options,
        max_connections: 1,
    });
    // Shorter than the pool's 5 s acquire timeout, so item requests hit the request timeout;
    // longer than the 1 s readiness timeout, so `/readyz` answers with its own details.
    let config = HttpConfig {
        request_timeout: Duration::from_secs(2),
        ..HttpConfig::default()
    };
    let app = TestApp::serve(repository, config).await;

    assert_eq!(app.get("/healthz").await.status, 200);
    let started = std::time::Instant::now();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert_eq!(ready.json()["checks"]["database"]["status"], "down");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "readiness must answer quickly"
    );

    let list = app.get("/api/v1/items").await;
    assert_eq!(list.status, 503, "{}", list.body);
    assert_eq!(list.error_code(), "timeout");
    assert!(
        !list.body.contains("127.0.0.1"),
        "no internals leak: {}",
        list.body
    );
}
