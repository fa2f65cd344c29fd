//! Helpers for integration tests: the real router on an ephemeral port, a minimal HTTP/1.1
//! client (no client crate needed) and, with `postgres`, a private schema per test.

use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::Router;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::HttpConfig;

/// A running app; shut down when stopped or dropped.
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
        request(self.addr, "GET", path, None, &[]).await
    }

    pub async fn send_json(&self, method: &str, path: &str, body: &Value) -> TestResponse {
        request(
            self.addr,
            method,
            path,
            Some(&body.to_string()),
            &[("content-type", "application/json")],
        )
        .await
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        request(self.addr, method, path, body, headers).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// One request per connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect to the app");
    let body = body.unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("send head");
    stream.write_all(body.as_bytes()).await.expect("send body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read response");
    TestResponse::parse(&raw)
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: String,
}

impl TestResponse {
    fn parse(raw: &[u8]) -> Self {
        let text = String::from_utf8(raw.to_vec()).expect("UTF-8 response");
        let (head, body) = text.split_once("\r\n\r\n").expect("complete response head");
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .expect("status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_owned()
        };
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// Asserts the error envelope and returns its code.
    pub fn error_code(&self) -> String {
        let json = self.json();
        let error = &json["error"];
        assert!(error["message"].is_string(), "no message in {json}");
        assert_eq!(
            error["request_id"].as_str(),
            self.header("x-request-id"),
            "request_id must echo the header"
        );
        error["code"].as_str().expect("error code").to_owned()
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

#[cfg(feature = "postgres")]
pub use db::TestDb;

#[cfg(feature = "postgres")]
mod db {
    use std::str::FromStr;
    use std::sync::atomic::{AtomicU32, Ordering};

    use sqlx::migrate::Migrator;
    use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
    use sqlx::{Connection, PgConnection};

    /// A schema of its own in the database at `DATABASE_URL`, migrated, dropped on drop: tests
    /// run in parallel and never see each other's rows.
    #[derive(Debug)]
    pub struct TestDb {
        admin: PgConnectOptions,
        schema: String,
        pub pool: PgPool,
    }

    impl TestDb {
        pub async fn new(migrator: &Migrator) -> Self {
            static COUNTER: AtomicU32 = AtomicU32::new(0);
            let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
                panic!(
                    "DATABASE_URL must point at a PostgreSQL server for the integration tests, e.g.\n  \
                     DATABASE_URL=postgres://postgres:postgres@localhost:5432/postgres cargo test\n\
                     (each test creates and drops its own schema there)"
                )
            });
            let admin =
                PgConnectOptions::from_str(&url).expect("DATABASE_URL is a valid postgres URL");
            let schema = format!(
                "test_{}_{}",
                crate::ids::generate(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let mut conn = PgConnection::connect_with(&admin)
                .await
                .expect("connect to DATABASE_URL");
            sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
                .execute(&mut conn)
                .await
                .expect("create test schema");
            conn.close().await.ok();
            let pool = PgPoolOptions::new()
                .max_connections(5)
                .connect_lazy_with(admin.clone().options([("search_path", schema.as_str())]));
            migrator.run(&pool).await.expect("migrations apply");
            Self {
                admin,
                schema,
                pool,
            }
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
                    let mut conn = PgConnection::connect_with(&admin).await?;
                    sqlx::query(&sql).execute(&mut conn).await?;
                    conn.close().await
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
}
