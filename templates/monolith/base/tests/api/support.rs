//! Starting the app on 127.0.0.1:0 and a minimal HTTP/1.1 client (one request per connection),
//! so the tests need no HTTP client crate.

use std::fmt::Write as _;
use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::config::HttpConfig;
use crate::app::http::{self, AppState};
use crate::app::repository::Repository;
use crate::db::TestDb;

pub struct TestApp {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    // Dropped last: the database outlives the server.
    db: Option<TestDb>,
}

impl TestApp {
    /// The app with fresh, migrated storage and default settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(HttpConfig::default()).await
    }

    pub async fn spawn_with(config: HttpConfig) -> Self {
        let db = TestDb::new().await;
        let mut app = Self::serve(db.repository(), config).await;
        app.db = Some(db);
        app
    }

    /// The app on top of a repository the test built itself.
    pub async fn serve(repository: Repository, config: HttpConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral port");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            http::serve(listener, AppState::new(repository), &config, async {
                let _ = rx.await;
            })
            .await
        });
        Self {
            addr,
            shutdown: Some(tx),
            server: Some(server),
            db: None,
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

    pub async fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, &[]).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request("DELETE", path, None, &[]).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(
            "POST",
            path,
            Some(&body.to_string()),
            &[("content-type", "application/json")],
        )
        .await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.request(
            "PUT",
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
    ) -> Response {
        let mut stream = TcpStream::connect(self.addr)
            .await
            .expect("connect to the app");
        let body = body.unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            self.addr,
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
        Response::parse(&raw)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
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
