//! The `auth` feature end to end (slow tier): a monolith on `PostgreSQL` with every feature it
//! takes (`e2e::MONOLITH_AUTH`), started against a JWKS this test serves over HTTP on a free
//! port, its RSA keys made here with the openssl CLI and its tokens signed here. A valid token
//! reads (200); a reader cannot write (403) and a writer can (201); expired, not yet valid,
//! wrong issuer, wrong audience, `alg: none`, an HS256 token keyed with the RSA public key,
//! an unknown key, garbage and no token get 401 with `WWW-Authenticate: Bearer` in the error
//! envelope; probes and `/metrics` need no token; a key published under a new `kid` is
//! accepted without a restart while unknown `kid`s refetch the JWKS at a bounded rate. Then the
//! same binary with a development secret: `token` mints what it accepts, and refuses while a
//! JWKS is configured; bad settings stop it with one `error:` and one `help:` line.
//!
//!
//! Microservices (`e2e::MICROSERVICES_AUTH`): the gateway verifies against the same JWKS before
//! proxying (401, 403 there), replaces identity headers a client sent with the verified ones,
//! and each service verifies the token again, refusing a direct call without one and identity
//! headers that disagree with it; orders' call to users carries the caller's token; the
//! gateway's `token` command mints with the development secret and refuses with a JWKS.
//!
//! `cargo test --test auth -- --ignored --test-threads=1`
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod common;
use common::e2e::{self, Databases, MICROSERVICES_AUTH, MONOLITH_AUTH, Response, Server, free_port, postgres_server};

const LIST: &str = "/api/v1/items";
const ISSUER: &str = "https://issuer.test/";
const AUDIENCE: &str = "guarded";

/// base64url without padding (RFC 7515 §2).
fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("openssl is installed");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "openssl {args:?} failed");
    output.stdout
}

/// An RSA key pair made for this test, and its `kid`.
struct RsaKey {
    kid: &'static str,
    private: PathBuf,
}

impl RsaKey {
    fn new(dir: &Path, kid: &'static str) -> Self {
        let private = dir.join(format!("{kid}.pem"));
        openssl(
            &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", private.to_str().unwrap()],
            b"",
        );
        Self { kid, private }
    }

    fn public_pem(&self) -> Vec<u8> {
        openssl(&["pkey", "-in", self.private.to_str().unwrap(), "-pubout"], b"")
    }

    /// Its public JWK: `n` from openssl's hex modulus, `e` = 65537.
    fn jwk(&self) -> String {
        let modulus =
            String::from_utf8(openssl(&["rsa", "-in", self.private.to_str().unwrap(), "-noout", "-modulus"], b""))
                .unwrap();
        let hex = modulus.trim().strip_prefix("Modulus=").unwrap();
        let bytes: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        format!(r#"{{"kty":"RSA","use":"sig","alg":"RS256","kid":"{}","n":"{}","e":"AQAB"}}"#, self.kid, b64(&bytes))
    }

    fn sign(&self, claims: &str) -> String {
        let message = format!(
            "{}.{}",
            b64(format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, self.kid).as_bytes()),
            b64(claims.as_bytes())
        );
        let signature =
            openssl(&["dgst", "-sha256", "-binary", "-sign", self.private.to_str().unwrap()], message.as_bytes());
        format!("{message}.{}", b64(&signature))
    }
}

/// An HS256 token keyed with `secret`, naming `kid`.
fn hs256(secret: &[u8], kid: &str, claims: &str) -> String {
    let message = format!(
        "{}.{}",
        b64(format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{kid}"}}"#).as_bytes()),
        b64(claims.as_bytes())
    );
    let key = secret.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    let signature = openssl(
        &["dgst", "-sha256", "-binary", "-mac", "HMAC", "-macopt", &format!("hexkey:{key}")],
        message.as_bytes(),
    );
    format!("{message}.{}", b64(&signature))
}

fn now() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// Claims valid now (issued a minute ago, for an hour) with `roles` where the app reads them
/// (`AUTH_ROLES_CLAIM=realm_access.roles`, as Keycloak puts them), changed by `edit`.
fn claims(roles: &[&str], edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut claims = serde_json::json!({
        "sub": "alice", "iss": ISSUER, "aud": [AUDIENCE, "other"],
        "iat": now() - 60, "nbf": now() - 60, "exp": now() + 3600,
        "realm_access": { "roles": roles },
    });
    edit(&mut claims);
    claims.to_string()
}

/// A JWKS served over HTTP on a free port: the keys can be replaced, and fetches are counted.
struct Jwks {
    url: String,
    keys: Arc<Mutex<Vec<String>>>,
    fetches: Arc<AtomicUsize>,
}

impl Jwks {
    fn serve(keys: Vec<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (shared, counter) = (keys.clone(), fetches.clone());
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut request = Vec::new();
                let mut buffer = [0; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let body = format!(r#"{{"keys":[{}]}}"#, shared.lock().unwrap().join(","));
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self { url, keys, fetches }
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn get(server: &Server, token: &str) -> Response {
    server.request("GET", LIST, None, &[("authorization", &bearer(token))])
}

fn create(server: &Server, token: &str, name: &str) -> Response {
    let body = format!(r#"{{"name":"{name}"}}"#);
    server.request(
        "POST",
        LIST,
        Some(&body),
        &[("authorization", &bearer(token)), ("content-type", "application/json")],
    )
}

/// 401 `unauthorized` in the envelope, with the Bearer challenge.
fn assert_unauthorized(response: &Response, what: &str) {
    assert_eq!((response.status, response.error_code().as_str()), (401, "unauthorized"), "{what}: {response:?}");
    let challenge = response.header("www-authenticate").unwrap_or_else(|| panic!("{what}: no challenge: {response:?}"));
    assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
}

/// The binary exits at once with one `error:` line containing `needle` and one `help:` line.
fn refused(binary: &str, args: &[&str], envs: &[(&str, &str)], needle: &str) {
    let output = Command::new(e2e::binary(binary))
        .args(args)
        .env("HOST", "127.0.0.1")
        .env("PORT", free_port().to_string())
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success(), "{binary} {args:?} succeeded with {envs:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with('{')).collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(needle), "{needle}: {stderr}");
    assert!(lines[1].starts_with("help: "), "{stderr}");
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_with_auth_verifies_tokens_against_a_rotating_jwks_and_applies_roles() {
    let project = MONOLITH_AUTH.project();
    project.build_and_test(&[("DATABASE_URL", &format!("{}/postgres", postgres_server()))]);
    let binary = MONOLITH_AUTH.name;
    let mut databases = Databases::default();
    let url = databases.create(format!("archgen_auth_{}", std::process::id()));
    e2e::run_binary(binary, &["migrate"], &[("DATABASE_URL", &url)]);

    let keys = tempfile_dir();
    let (current, next, stranger) = (RsaKey::new(&keys, "k1"), RsaKey::new(&keys, "k2"), RsaKey::new(&keys, "k3"));
    let jwks = Jwks::serve(vec![current.jwk()]);
    let settings = [
        ("DATABASE_URL", url.as_str()),
        ("AUTH_JWKS_URL", &jwks.url),
        ("AUTH_ISSUER", ISSUER),
        ("AUTH_AUDIENCE", AUDIENCE),
        ("AUTH_ROLES_CLAIM", "realm_access.roles"),
        ("AUTH_JWKS_REFRESH_SECS", "2"),
    ];
    let server = Server::start(binary, free_port(), &env(&settings));
    assert_eq!(jwks.fetches(), 1, "the JWKS is fetched once at start");

    // Roles: anyone verified reads, a writer writes.
    let reader = current.sign(&claims(&[], |_| {}));
    assert_eq!(get(&server, &reader).status, 200, "{:?}", get(&server, &reader));
    let forbidden = create(&server, &reader, "by-a-reader");
    assert_eq!((forbidden.status, forbidden.error_code().as_str()), (403, "forbidden"), "{forbidden:?}");
    let writer = current.sign(&claims(&["writer"], |_| {}));
    let created = create(&server, &writer, "by-a-writer");
    assert_eq!(created.status, 201, "{created:?}");

    // Every way a token can be wrong: 401 with the challenge, in the envelope.
    let public_pem = current.public_pem();
    let none =
        format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#), b64(claims(&["admin"], |_| {}).as_bytes()));
    let wrong: Vec<(&str, String)> = vec![
        ("expired", current.sign(&claims(&["admin"], |c| c["exp"] = (now() - 3600).into()))),
        ("not yet valid", current.sign(&claims(&["admin"], |c| c["nbf"] = (now() + 3600).into()))),
        ("wrong issuer", current.sign(&claims(&["admin"], |c| c["iss"] = "https://evil.test/".into()))),
        ("wrong audience", current.sign(&claims(&["admin"], |c| c["aud"] = "someone-else".into()))),
        ("no sub", current.sign(&claims(&["admin"], |c| drop(c.as_object_mut().unwrap().remove("sub"))))),
        ("alg none", none),
        ("HS256 keyed with the RSA public key", hs256(&public_pem, "k1", &claims(&["admin"], |_| {}))),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (what, token) in &wrong {
        assert_unauthorized(&get(&server, token), what);
        assert_unauthorized(&create(&server, token, "never"), what);
    }
    let missing = server.get(LIST);
    assert_unauthorized(&missing, "no token");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"), "{missing:?}");
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(server.get(path).status, 200, "{path} needs no token");
    }

    // An unknown kid refetches the JWKS, at most once per AUTH_JWKS_REFRESH_SECS however many
    // arrive: a flood of made-up kids costs the identity provider one request a period.
    let unknown = stranger.sign(&claims(&["admin"], |_| {}));
    assert_unauthorized(&get(&server, &unknown), "unknown key, within the period of the fetch at start");
    assert_eq!(jwks.fetches(), 1, "no refetch within AUTH_JWKS_REFRESH_SECS of the last");
    std::thread::sleep(Duration::from_millis(2100));
    let before = jwks.fetches();
    for _ in 0..10 {
        assert_unauthorized(&get(&server, &unknown), "unknown key");
    }
    assert_eq!(jwks.fetches(), before + 1, "one refetch for ten unknown kids");

    // Rotation: the provider publishes k2 beside k1; once the period has passed, a token signed
    // with k2 is accepted without a restart, and k1's still are.
    jwks.keys.lock().unwrap().push(next.jwk());
    std::thread::sleep(Duration::from_millis(2100));
    let rotated = next.sign(&claims(&["admin"], |_| {}));
    let response = create(&server, &rotated, "after-rotation");
    assert_eq!(response.status, 201, "{response:?}");
    assert_eq!(get(&server, &reader).status, 200);
    assert_unauthorized(&get(&server, &unknown), "still unknown");
    assert!(server.terminate().success(), "unclean exit on SIGTERM");

    development_secret_and_bad_settings(binary, &url, &settings, &writer);
    drop(databases);
    std::fs::remove_dir_all(&keys).unwrap();
}

/// `token` refuses while a JWKS is configured; with the development secret it mints what the
/// server accepts, and an RS256 token (`rs256`) is refused; bad settings stop the binary.
fn development_secret_and_bad_settings(binary: &str, url: &str, settings: &[(&str, &str)], writer: &str) {
    // `token` refuses while a JWKS is configured.
    refused(binary, &["token", "--sub", "alice"], settings, "AUTH_JWKS_URL");

    // The development secret: `token` mints what the server accepts; an RS256 token is refused.
    let secret = "dev-only-hs256-secret-for-the-test-0123";
    let dev =
        [("DATABASE_URL", url), ("AUTH_HS256_SECRET", secret), ("AUTH_ISSUER", ISSUER), ("AUTH_AUDIENCE", AUDIENCE)];
    let output = Command::new(e2e::binary(binary))
        .args(["token", "--sub", "bob", "--role", "admin"])
        .envs(dev)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let minted = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let server = Server::start(binary, free_port(), &env(&dev));
    let response = create(&server, &minted, "by-a-dev-token");
    assert_eq!(response.status, 201, "{response:?}");
    assert_unauthorized(&get(&server, writer), "an RS256 token against the secret");
    assert!(server.terminate().success(), "unclean exit on SIGTERM");

    // Bad settings: one error line naming the setting, one help line.
    refused(
        binary,
        &["serve"],
        &[("DATABASE_URL", url), ("AUTH_HS256_SECRET", "short"), ("AUTH_ISSUER", ISSUER), ("AUTH_AUDIENCE", AUDIENCE)],
        "AUTH_HS256_SECRET",
    );
    refused(
        binary,
        &["serve"],
        &[("DATABASE_URL", url), ("AUTH_HS256_SECRET", secret), ("AUTH_AUDIENCE", AUDIENCE)],
        "AUTH_ISSUER",
    );
    refused(
        binary,
        &["serve"],
        &[("DATABASE_URL", url), ("AUTH_ISSUER", ISSUER), ("AUTH_AUDIENCE", AUDIENCE)],
        "AUTH_JWKS_URL",
    );
    let unreachable = format!("http://127.0.0.1:{}/jwks.json", free_port());
    refused(
        binary,
        &["serve"],
        &[("DATABASE_URL", url), ("AUTH_JWKS_URL", &unreachable), ("AUTH_ISSUER", ISSUER), ("AUTH_AUDIENCE", AUDIENCE)],
        "JWKS",
    );
}

#[test]
#[ignore = "slow: builds and runs a generated workspace (needs PostgreSQL)"]
fn microservices_with_auth_verify_at_the_gateway_and_again_in_each_service() {
    let project = MICROSERVICES_AUTH.project();
    let run = std::process::id();
    let mut databases = Databases::default();
    let test_url = databases.create(format!("archgen_ms_auth_test_{run}"));
    project.build_and_test(&[("DATABASE_URL", &test_url)]);

    let keys = tempfile_dir();
    let key = RsaKey::new(&keys, "k1");
    let jwks = Jwks::serve(vec![key.jwk()]);
    let auth = [
        ("AUTH_JWKS_URL", jwks.url.as_str()),
        ("AUTH_ISSUER", ISSUER),
        ("AUTH_AUDIENCE", AUDIENCE),
        ("AUTH_ROLES_CLAIM", "realm_access.roles"),
    ];
    let ports = [free_port(), free_port()];
    let urls = ["users", "orders"].map(|name| databases.create(format!("archgen_ms_auth_{run}_{name}")));
    let start = |auth: &[(&str, &str)]| {
        let mut servers = Vec::new();
        for ((name, port), url) in ["users", "orders"].into_iter().zip(ports).zip(&urls) {
            e2e::run_binary(name, &["migrate"], &[("DATABASE_URL", url.as_str())]);
            let mut settings = env(auth);
            settings.push(("DATABASE_URL".to_owned(), url.clone()));
            settings.push(("USERS_URL".to_owned(), format!("http://127.0.0.1:{}", ports[0])));
            servers.push(Server::start(name, port, &settings));
        }
        let mut settings = env(auth);
        settings.push(("UPSTREAM_USERS_URL".to_owned(), format!("http://127.0.0.1:{}", ports[0])));
        settings.push(("UPSTREAM_ORDERS_URL".to_owned(), format!("http://127.0.0.1:{}", ports[1])));
        let gateway = Server::start("gateway", free_port(), &settings);
        // The services' probes need no token: the gateway sees them up.
        gateway.wait_until("upstreams up", |s| s.get("/status/upstreams").status == 200);
        (gateway, servers)
    };
    let (gateway, services) = start(&auth);
    let users = &services[0];
    let send = |server: &Server, method: &str, path: &str, body: Option<&str>, headers: &[(&str, &str)]| {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        server.request(method, path, body, &all)
    };

    // Through the gateway: a writer creates a user, then an order for it (orders checks the
    // user with users, as the same caller: a call without the token would be refused there).
    let (reader, writer) = (key.sign(&claims(&[], |_| {})), key.sign(&claims(&["writer"], |_| {})));
    let (reader, writer) = (bearer(&reader), bearer(&writer));
    let body = format!(r#"{{"email":"alice-{run}@example.com","name":"Alice"}}"#);
    let created = send(&gateway, "POST", "/api/v1/users", Some(&body), &[("authorization", &writer)]);
    assert_eq!(created.status, 201, "{created:?}");
    let user_id = created.json()["data"]["id"].as_i64().unwrap();
    let order = format!(r#"{{"user_id":{user_id},"total":"12.50","status":"new"}}"#);
    let created = send(&gateway, "POST", "/api/v1/orders", Some(&order), &[("authorization", &writer)]);
    assert_eq!(created.status, 201, "{created:?}");
    let listed = send(&gateway, "GET", "/api/v1/users", None, &[("authorization", &reader)]);
    assert_eq!(listed.status, 200, "{listed:?}");

    // At the gateway: no token, a bad one, another issuer's: 401; a reader writing: 403.
    let evil = bearer(&key.sign(&claims(&["admin"], |c| c["iss"] = "https://evil.test/".into())));
    for (what, headers) in [
        ("no token", vec![]),
        ("garbage", vec![("authorization", "Bearer not.a.token")]),
        ("wrong issuer", vec![("authorization", evil.as_str())]),
    ] {
        assert_unauthorized(&send(&gateway, "GET", "/api/v1/orders", None, &headers), what);
    }
    let forbidden = send(&gateway, "POST", "/api/v1/orders", Some(&order), &[("authorization", &reader)]);
    assert_eq!((forbidden.status, forbidden.error_code().as_str()), (403, "forbidden"), "{forbidden:?}");

    // Identity headers a client sends are replaced by the gateway: the service, which refuses
    // headers that disagree with the token, sees alice's; claimed roles give nothing.
    let forged = [("authorization", reader.as_str()), ("x-auth-subject", "mallory"), ("x-auth-roles", "admin")];
    let response = send(&gateway, "GET", "/api/v1/users", None, &forged);
    assert_eq!(response.status, 200, "the forged identity reached the service: {response:?}");
    let response = send(&gateway, "POST", "/api/v1/orders", Some(&order), &forged);
    assert_eq!(response.status, 403, "claimed roles were trusted: {response:?}");

    // Past the gateway, straight to a service: no token, identity headers alone, or a token
    // with headers that disagree with it are refused; its probes stay open.
    let claimed = [("x-auth-subject", "alice"), ("x-auth-roles", "admin")];
    for (what, headers) in
        [("no token", &claimed[..0]), ("identity headers alone", &claimed[..]), ("forged", &forged[..])]
    {
        assert_unauthorized(&send(users, "GET", "/api/v1/users", None, headers), &format!("direct, {what}"));
    }
    assert_eq!(users.get("/readyz").status, 200, "a service's probes need no token");
    assert!(gateway.terminate().success(), "gateway: unclean exit on SIGTERM");
    for service in services {
        assert!(service.terminate().success(), "unclean exit on SIGTERM");
    }

    // The gateway's `token` refuses with a JWKS; with the development secret it mints a token
    // the gateway and the services accept.
    refused("gateway", &["token", "--sub", "alice"], &auth, "AUTH_JWKS_URL");
    let secret = "dev-only-hs256-secret-for-the-test-0123";
    let dev = [("AUTH_HS256_SECRET", secret), ("AUTH_ISSUER", ISSUER), ("AUTH_AUDIENCE", AUDIENCE)];
    let output = Command::new(e2e::binary("gateway"))
        .args(["token", "--sub", "bob", "--role", "writer"])
        .envs(dev)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let minted = bearer(String::from_utf8(output.stdout).unwrap().trim());
    let (gateway, services) = start(&dev);
    let body = format!(r#"{{"email":"bob-{run}@example.com","name":"Bob"}}"#);
    let created = send(&gateway, "POST", "/api/v1/users", Some(&body), &[("authorization", &minted)]);
    assert_eq!(created.status, 201, "{created:?}");
    assert_unauthorized(
        &send(&gateway, "GET", "/api/v1/users", None, &[("authorization", &writer)]),
        "RS256 against the secret",
    );
    assert!(gateway.terminate().success(), "gateway: unclean exit on SIGTERM");
    for service in services {
        assert!(service.terminate().success(), "unclean exit on SIGTERM");
    }
    drop(databases);
    std::fs::remove_dir_all(&keys).unwrap();
}

/// A fresh directory for the test's keys.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("archgen-auth-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
