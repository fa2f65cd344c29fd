//! TLS to the database, end to end: a throwaway PostgreSQL that accepts TLS only, with a
//! certificate from a CA made for the test; the generated service migrates and serves through it
//! with `sslmode=verify-full` and `require`, and fails clearly without TLS or without the CA.
#![allow(clippy::unwrap_used, clippy::doc_markdown)] // a panic with its location is the right failure in a test; product names in prose

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::e2e::{self, MONOLITH_POSTGRES, OwnPostgres, Server, run_ok as run};

const NAME: &str = MONOLITH_POSTGRES.name;

/// A CA and a server certificate it signed for `localhost` and 127.0.0.1.
fn certificates(dir: &Path) -> PathBuf {
    let at = |name: &str| dir.join(name).to_string_lossy().into_owned();
    run(
        "openssl",
        &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=archgen test CA"]
            .iter()
            .copied()
            .chain(["-keyout", &at("ca.key"), "-out", &at("ca.crt")])
            .collect::<Vec<_>>(),
    );
    run(
        "openssl",
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            &at("server.key"),
            "-out",
            &at("server.csr"),
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    run(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &at("server.csr"),
            "-CA",
            &at("ca.crt"),
            "-CAkey",
            &at("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &at("san.ext"),
            "-out",
            &at("server.crt"),
        ],
    );
    dir.join("ca.crt")
}

/// A PostgreSQL cluster of the test's own on a free port that accepts TLS only.
struct TlsPostgres(OwnPostgres);

impl TlsPostgres {
    fn start(dir: &Path) -> Self {
        Self(OwnPostgres::start(
            dir,
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
            &format!(
                "-c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key",
                dir = dir.display()
            ),
        ))
    }

    fn url(&self, query: &str) -> String {
        format!("postgres://postgres@localhost:{}/postgres?{query}", self.0.port)
    }
}

/// `NAME migrate` with this database URL: its exit status and what it printed.
fn migrate(url: &str) -> (bool, String) {
    let output = Command::new(e2e::binary(NAME))
        .arg("migrate")
        .env("DATABASE_URL", url)
        .env("LOG_FORMAT", "pretty")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.success(),
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    )
}

#[test]
#[ignore = "slow: builds a generated project and runs a PostgreSQL cluster of its own (run by .ci/run)"]
fn the_service_reaches_a_tls_only_database_and_verifies_it() {
    // The case `generated.rs` builds and checks: this build finds it fresh.
    let project = MONOLITH_POSTGRES.project();
    project.build();

    let dir = e2e::cluster_dir("archgen-tls-");
    let ca = certificates(dir.path());
    let postgres = TlsPostgres::start(dir.path());

    let verified = postgres.url(&format!("sslmode=verify-full&sslrootcert={}", ca.display()));
    let (ok, out) = migrate(&verified);
    assert!(ok, "migrate over verified TLS failed:\n{out}");
    let server = Server::start(NAME, e2e::free_port(), &[("DATABASE_URL".into(), verified)]);
    server.wait_until("readyz 200", |s| s.get("/readyz").status == 200);
    let created = server.request(
        "POST",
        "/api/v1/items",
        Some(r#"{"name":"over TLS","description":"stored through a verified connection"}"#),
        &[],
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(server.terminate().code(), Some(0));

    // Encrypted without checking the certificate, as libpq's `require`.
    let (ok, out) = migrate(&postgres.url("sslmode=require"));
    assert!(ok, "migrate with sslmode=require failed:\n{out}");

    // The server refuses plain connections, and says why.
    let (ok, out) = migrate(&postgres.url("sslmode=disable"));
    assert!(!ok, "a plain connection to a TLS-only server succeeded");
    assert!(out.contains("no encryption"), "no clear reason for the refusal:\n{out}");

    // verify-full checks the certificate: the test CA is not among the system's.
    let (ok, out) = migrate(&postgres.url("sslmode=verify-full"));
    assert!(!ok, "verify-full accepted a certificate from an unknown CA");
    assert!(out.to_lowercase().contains("certificate"), "no clear reason for the refusal:\n{out}");
}
