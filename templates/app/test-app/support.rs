//! The app under test: its real router on fresh storage, called in memory through
//! [`TestClient`] (one request at a time, no socket).

mod client;

use std::ops::Deref;

pub use client::TestClient;

use crate::app::config::HttpConfig;
use crate::app::http::{self, AppState};
use crate::app::repository::Repository;
use crate::db::TestDb;

/// The app and its storage; requests go through its [`TestClient`].
pub struct TestApp {
    client: TestClient,
    // Held until the test ends: dropping it removes the storage.
    _db: TestDb,
}

impl TestApp {
    /// The app with fresh, migrated storage and default settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(HttpConfig::default()).await
    }

    pub async fn spawn_with(config: HttpConfig) -> Self {
        let db = TestDb::new().await;
        Self {
            client: client(db.repository(), &config),
            _db: db,
        }
    }
}

impl Deref for TestApp {
    type Target = TestClient;

    fn deref(&self) -> &TestClient {
        &self.client
    }
}

/// The app on top of a repository the test built itself.
pub fn client(repository: Repository, config: &HttpConfig) -> TestClient {
    TestClient::new(http::router(AppState::new(repository), config))
}
