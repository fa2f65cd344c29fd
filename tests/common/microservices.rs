//! A generated microservices system running on this machine: every service migrated into a
//! database of its own, on a free port, and the gateway in front of them (NATS from
//! `$ARCHGEN_TEST_NATS` when the case has events). Used by every slow test that needs the
//! whole system (`tests/generated_microservices.rs`, `tests/openapi.rs`).

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::e2e::{Case, Databases, Server, free_port, run_binary};

/// The services of the microservices cases (`e2e::MICROSERVICES_*`).
pub const SERVICES: [&str; 2] = ["users", "orders"];

pub fn nats_addr() -> String {
    std::env::var("ARCHGEN_TEST_NATS").unwrap_or_else(|_| "127.0.0.1:4222".into())
}

/// A raw NATS protocol client (CONNECT, PUB, PING/PONG): publishes bypassing the services, so
/// no `Nats-Msg-Id` header is set and `JetStream` stores a re-sent event as a new message.
pub fn nats_publish(messages: &[(&str, Option<&str>, &str)]) {
    let stream = TcpStream::connect(nats_addr()).expect("NATS is running");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("INFO"), "not a NATS server: {line}");
    let mut out = String::from("CONNECT {\"verbose\":false,\"pedantic\":false}\r\n");
    for (subject, reply, payload) in messages {
        let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
        let _ = write!(out, "PUB {subject}{reply} {}\r\n{payload}\r\n", payload.len());
    }
    out.push_str("PING\r\n");
    (&stream).write_all(out.as_bytes()).unwrap();
    loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "NATS closed the connection");
        assert!(!line.starts_with("-ERR"), "NATS: {line}");
        if line.starts_with("PONG") {
            return;
        }
    }
}

/// Deletes the run's stream (and so its durable consumers) when dropped.
pub struct Namespace(pub String);

impl Drop for Namespace {
    fn drop(&mut self) {
        let subject = format!("$JS.API.STREAM.DELETE.{}-events", self.0);
        nats_publish(&[(&subject, Some("_INBOX.archgen_cleanup"), "")]);
    }
}

/// A service's settings: its database, where the services it calls are (`USERS_URL` for orders)
/// with a short breaker cool-down, and `extra`.
pub fn service_env(name: &str, url: &str, users_port: u16, extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut env = vec![("DATABASE_URL".to_owned(), url.to_owned())];
    if name == "orders" {
        env.push(("USERS_URL".to_owned(), format!("http://127.0.0.1:{users_port}")));
        env.push(("USERS_BREAKER_COOLDOWN_MS".to_owned(), "1000".to_owned()));
    }
    env.extend_from_slice(extra);
    env
}

pub fn gateway_env(ports: &[u16]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = SERVICES
        .iter()
        .zip(ports)
        .map(|(name, port)| (format!("UPSTREAM_{}_URL", name.to_uppercase()), format!("http://127.0.0.1:{port}")))
        .collect();
    for (k, v) in [("UPSTREAM_TIMEOUT_MS", "2000"), ("BREAKER_FAILURE_THRESHOLD", "3"), ("BREAKER_COOLDOWN_MS", "1500")]
    {
        env.push((k.to_owned(), v.to_owned()));
    }
    env
}

/// The running system. Fields drop in order: the processes, then the event stream, then the
/// databases.
pub struct System {
    pub gateway: Server,
    /// In [`SERVICES`] order.
    pub services: Vec<Server>,
    pub ports: [u16; 2],
    /// Each service's database, in [`SERVICES`] order.
    pub urls: Vec<String>,
    /// The settings a service of this run needs for events (empty without NATS).
    pub events: Vec<(String, String)>,
    pub namespace: Option<Namespace>,
    pub databases: Databases,
}

impl System {
    /// Builds `case` and runs its own tests (on a database of this run, and NATS with `nats`),
    /// then migrates every service's database (twice: `migrate` is idempotent), starts the
    /// services and the gateway and waits until the gateway sees every service ready.
    pub fn start(case: Case, nats: bool) -> Self {
        let project = case.project();
        let run = std::process::id();
        let tag = case.id.replace('-', "_");
        let mut databases = Databases::default();
        let test_url = databases.create(format!("archgen_{tag}_test_{run}"));
        let nats_url = format!("nats://{}", nats_addr());
        let mut test_env = vec![("DATABASE_URL", test_url.as_str())];
        if nats {
            test_env.push(("NATS_URL", &nats_url));
        }
        project.build_and_test(&test_env);
        let namespace = nats.then(|| Namespace(format!("e2e_{run}")));
        let events: Vec<(String, String)> = namespace.as_ref().map_or_else(Vec::new, |namespace| {
            vec![("NATS_URL".to_owned(), nats_url.clone()), ("EVENTS_NAMESPACE".to_owned(), namespace.0.clone())]
        });
        let ports = [free_port(), free_port()];
        let mut urls = Vec::new();
        let mut services = Vec::new();
        for (name, port) in SERVICES.iter().zip(ports) {
            let url = databases.create(format!("archgen_{tag}_{run}_{name}"));
            let env = [("DATABASE_URL", url.as_str())];
            run_binary(name, &["migrate"], &env);
            run_binary(name, &["migrate"], &env);
            services.push(Server::start(name, port, &service_env(name, &url, ports[0], &events)));
            urls.push(url);
        }
        let gateway = Server::start("gateway", free_port(), &gateway_env(&ports));
        gateway.wait_until("upstreams up", |s| s.get("/status/upstreams").status == 200);
        Self { gateway, services, ports, urls, events, namespace, databases }
    }
}
