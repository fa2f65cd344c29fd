//! SQLite for the tests: each test migrates and uses its own temporary database file, removed
//! when the test ends.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::sqlite::SqliteConnectOptions;

use crate::app::config::{DatabaseConfig, HttpConfig};
use crate::app::repository::Repository;
use crate::support;

pub struct TestDb {
    path: PathBuf,
    repository: Repository,
}

impl TestDb {
    pub async fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let path = std::env::temp_dir().join(format!(
            "{}-test-{}-{}-{}.db",
            env!("CARGO_PKG_NAME"),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        ));
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let repository = Repository::new(&DatabaseConfig {
            options,
            max_connections: 5,
        });
        repository.migrate().await.expect("migrations apply");
        Self { path, repository }
    }

    pub fn repository(&self) -> Repository {
        self.repository.clone()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

#[tokio::test]
async fn service_starts_and_reports_unready_while_the_database_cannot_be_opened() {
    // A file below /dev/null can never be opened: the lazy pool lets the app start anyway.
    let options = SqliteConnectOptions::new().filename("/dev/null/app.db");
    let repository = Repository::new(&DatabaseConfig {
        options,
        max_connections: 1,
    });
    let app = support::client(repository, &HttpConfig::default());

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
    assert!(list.status == 503 || list.status == 500, "{}", list.body);
    assert!(
        !list.body.contains("/dev/null"),
        "no internals leak: {}",
        list.body
    );
}
