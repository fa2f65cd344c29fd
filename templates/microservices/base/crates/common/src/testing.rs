//! Helpers for integration tests: the app called in memory ([`TestClient`]), or served on an
//! ephemeral port where a test needs a real socket ([`TestServer`]: a fake upstream, the proof
//! that a server listens; [`FakeService`]: a service the one under test calls) and, with
//! `postgres`, a private, migrated schema per test ([`TestDb`]).

mod client;
#[cfg(feature = "postgres")]
pub mod schema;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use client::{TestClient, TestResponse};

use crate::config::HttpConfig;

/// A running app on 127.0.0.1; shut down when stopped or dropped.
#[derive(Debug)]
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn spawn(app: Router, config: &HttpConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral port");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = oneshot::channel::<()>();
        let config = config.clone();
        let server = tokio::spawn(async move {
            crate::http::serve(listener, app, &config, async {
                let _ = rx.await;
            })
            .await
        });
        Self {
            addr,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Triggers graceful shutdown and waits for the server to return.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let server = self.server.take().expect("server running");
        server.await.expect("server task panicked")
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request("GET", path, None, &[]).await
    }

    /// One request over a new connection, through hyper's client.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
        let uri = format!("http://{}{path}", self.addr);
        let response = client
            .request(client::request(method, &uri, body, headers))
            .await
            .expect("the server answers");
        TestResponse::read(response.map(Body::new)).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A service that the one under test calls, faked on an ephemeral port: it answers every
/// request with the status it is told (200 with an empty `data` until then) and counts them;
/// once stopped it refuses connections, as a service that is down does.
#[derive(Debug)]
pub struct FakeService {
    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    status: Arc<AtomicU16>,
    hits: Arc<AtomicUsize>,
    server: Mutex<Option<TestServer>>,
}

impl FakeService {
    pub async fn spawn() -> Self {
        let status = Arc::new(AtomicU16::new(200));
        let hits = Arc::new(AtomicUsize::new(0));
        let (answer, count) = (status.clone(), hits.clone());
        let app = Router::new().fallback(move || {
            count.fetch_add(1, Ordering::SeqCst);
            let status = StatusCode::from_u16(answer.load(Ordering::SeqCst))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            std::future::ready((status, axum::Json(serde_json::json!({ "data": {} }))))
        });
        let config = HttpConfig {
            shutdown_grace: std::time::Duration::from_secs(1),
            ..HttpConfig::default()
        };
        let server = TestServer::spawn(app, &config).await;
        Self {
            url: format!("http://{}", server.addr),
            status,
            hits,
            server: Mutex::new(Some(server)),
        }
    }

    /// From now on, every request gets `status`.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// The requests it got so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Stops it: its connections close and new ones are refused.
    pub async fn stop(&self) {
        let server = self
            .server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(server) = server {
            server.stop().await.expect("the fake stops");
        }
    }
}

/// A schema of its own in the database at `DATABASE_URL`, migrated, dropped on drop: tests run
/// in parallel and never see each other's rows.
#[cfg(feature = "postgres")]
#[derive(Debug)]
pub struct TestDb {
    pub pool: sqlx::PgPool,
    // Dropped after the pool's last user: the schema outlives every use of it.
    _schema: schema::TestSchema,
}

#[cfg(feature = "postgres")]
impl TestDb {
    pub async fn new(migrator: &sqlx::migrate::Migrator) -> Self {
        let schema = schema::TestSchema::create().await;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(5)
            .connect_lazy_with(schema.options());
        migrator.run(&pool).await.expect("migrations apply");
        Self {
            pool,
            _schema: schema,
        }
    }
}
