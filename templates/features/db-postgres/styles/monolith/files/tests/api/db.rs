//! PostgreSQL for the tests: each test migrates and uses its own schema in the database at
//! `DATABASE_URL` ([`schema`]), so tests run in parallel and never see each other's rows.

mod schema;

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

use crate::app::config::{DatabaseConfig, HttpConfig};
use crate::app::repository::Repository;
use crate::support;
use schema::TestSchema;

pub struct TestDb {
    repository: Repository,
    // Dropped after the repository: the schema outlives every use of it.
    _schema: TestSchema,
}

impl TestDb {
    pub async fn new() -> Self {
        let schema = TestSchema::create().await;
        let repository = Repository::new(&DatabaseConfig {
            options: schema.options(),
            max_connections: 5,
        });
        repository.migrate().await.expect("migrations apply");
        Self {
            repository,
            _schema: schema,
        }
    }

    pub fn repository(&self) -> Repository {
        self.repository.clone()
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
    let app = support::client(repository, &config);

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
