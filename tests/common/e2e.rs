//! The end-to-end kit shared by the slow tiers: generate with the real binary, build and test in
//! one shared target dir, start services, and talk HTTP and SQL to them.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Generates a project with the real binary into `$TMP/archgen-generated-<pid>/<id>`: outside this
/// repository, so nothing of ours (rustfmt.toml, clippy.toml) applies to it.
pub fn generate(id: &str, name: &str, args: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("archgen-generated-{}", std::process::id())).join(id);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let status = Command::new(env!("CARGO_BIN_EXE_cargo-archgen"))
        .args(["new", name])
        .args(args)
        .args(["--no-git", "--yes", "--output"])
        .arg(&dir)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "generation failed: {args:?}");
    dir
}

pub fn shared_target() -> PathBuf {
    std::env::var_os("ARCHGEN_GENERATED_TARGET")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("generated-target"), PathBuf::from)
}

pub fn postgres_server() -> String {
    std::env::var("ARCHGEN_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn cargo(project: &Path, args: &[&str], envs: &[(&str, &str)]) {
    eprintln!("==> [{}] cargo {}", project.file_name().unwrap().to_string_lossy(), args.join(" "));
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(project)
        .env("CARGO_TARGET_DIR", shared_target())
        .envs(envs.iter().copied())
        .env_remove("RUSTFLAGS")
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "`cargo {}` failed in {}", args.join(" "), project.display());
}

/// What every generated project must pass before it is run: rustfmt, a build, clippy with
/// warnings as errors, and its own tests, all `--locked`: with exactly the dependency versions
/// its generated Cargo.lock pins (`lockfiles/`).
pub fn build_and_test(project: &Path, test_env: &[(&str, &str)]) {
    cargo(project, &["fmt", "--check"], &[]);
    cargo(project, &["build", "--locked", "--workspace"], &[]);
    cargo(project, &["clippy", "--locked", "--workspace", "--all-targets", "--", "-D", "warnings"], &[]);
    cargo(project, &["test", "--locked", "--workspace"], test_env);
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn psql(sql: &str) {
    let status = Command::new("psql")
        .arg(format!("{}/postgres", postgres_server()))
        .args(["-v", "ON_ERROR_STOP=1", "-qc", sql])
        .status()
        .expect("psql is installed");
    assert!(status.success(), "psql failed: {sql}");
}

/// Databases created for this run, dropped on drop (even when the test fails).
#[derive(Default)]
pub struct Databases(Vec<String>);

impl Databases {
    pub fn create(&mut self, name: String) -> String {
        psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        psql(&format!("CREATE DATABASE {name}"));
        let url = format!("{}/{name}", postgres_server());
        self.0.push(name);
        url
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = Command::new("psql")
                .arg(format!("{}/postgres", postgres_server()))
                .args(["-qc", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
                .status();
        }
    }
}

pub fn binary(name: &str) -> PathBuf {
    shared_target().join("debug").join(name)
}

pub fn run_binary(name: &str, args: &[&str], envs: &[(&str, &str)]) {
    let status =
        Command::new(binary(name)).args(args).envs(envs.iter().copied()).stdin(Stdio::null()).status().unwrap();
    assert!(status.success(), "`{name} {}` failed", args.join(" "));
}

/// A running service or gateway; killed on drop if the test fails first.
pub struct Server {
    pub name: String,
    pub child: Child,
    pub port: u16,
}

impl Server {
    pub fn start(name: &str, port: u16, envs: &[(String, String)]) -> Self {
        Self::start_at(&binary(name), name, port, envs)
    }

    /// [`Server::start`] with the binary at `path` (e.g. a copy kept from an earlier build).
    pub fn start_at(path: &Path, name: &str, port: u16, envs: &[(String, String)]) -> Self {
        let child = Command::new(path)
            .arg("serve")
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("LOG_FORMAT", "json")
            .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { name: name.to_owned(), child, port };
        server.wait_until("healthz", |s| s.get("/healthz").status == 200);
        server
    }

    pub fn wait_until(&self, what: &str, ready: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() && ready(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{} on port {}: `{what}` not reached in 30 s", self.name, self.port);
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Response {
        http(self.port, method, path, body, headers)
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, &[])
    }

    /// SIGTERM, then the exit status within 15 s.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "{} did not stop within 15 s of SIGTERM", self.name);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Asserts the error envelope and returns its code.
    pub fn error_code(&self) -> String {
        let body = self.json();
        let error = &body["error"];
        assert!(error["message"].is_string() && error["request_id"].is_string(), "not the error envelope: {body}");
        error["code"].as_str().unwrap().to_owned()
    }
}

/// A deliberately small HTTP/1.1 client: one request per connection.
pub fn http(port: u16, method: &str, path: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Response {
    http_bytes(port, method, path, body.map(str::as_bytes), headers)
}

/// [`http`] with a body of any bytes (not only UTF-8).
pub fn http_bytes(port: u16, method: &str, path: &str, body: Option<&[u8]>, headers: &[(&str, &str)]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
        request.push_str("Content-Type: application/json\r\n");
    }
    let body = body.unwrap_or_default();
    let _ = write!(request, "Content-Length: {}\r\n\r\n", body.len());
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_owned() };
    Response { status, headers, body }
}

pub fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    body
}

/// A `PostgreSQL` cluster of the test's own in `dir`, on a free port, with its own `pg_hba.conf`
/// and server options; stopped on drop. It never touches the machine's server. As root the
/// server runs as the `postgres` user (`PostgreSQL` refuses to run as root).
pub struct OwnPostgres {
    bin: PathBuf,
    data: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

/// Runs `program`, failing the test with its stderr unless it succeeds.
pub fn run_ok(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> std::process::Output {
    let output = Command::new(&program).args(args).stdin(Stdio::null()).output().unwrap();
    assert!(
        output.status.success(),
        "{} {}: {}",
        program.as_ref().to_string_lossy(),
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

impl OwnPostgres {
    /// `hba` is the whole `pg_hba.conf`; `options` more `-c name=value` server settings.
    pub fn start(dir: &Path, hba: &str, options: &str) -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries in /usr/lib/postgresql")
            .map(|e| e.unwrap().path().join("bin"))
            .find(|bin| bin.join("initdb").exists())
            .expect("initdb");
        let as_postgres = run_ok("id", &["-u"]).stdout.starts_with(b"0\n");
        let data = dir.join("data");
        let port = free_port();
        let server = Self { bin, data, port, as_postgres };
        if as_postgres {
            run_ok("chown", &["-R", "postgres", &dir.to_string_lossy()]);
        }
        server.pg("initdb", &["--auth=trust", "--username=postgres", "-D", &server.data.to_string_lossy()]);
        std::fs::write(server.data.join("pg_hba.conf"), hba).unwrap();
        let options = format!(
            "-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={dir} {options}",
            dir = dir.display()
        );
        server.pg(
            "pg_ctl",
            &[
                "-D",
                &server.data.to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-l",
                &dir.join("log").to_string_lossy(),
                "start",
            ],
        );
        server
    }

    /// Runs one of the server's tools (as `postgres` when we are root).
    pub fn pg(&self, tool: &str, args: &[&str]) -> std::process::Output {
        let tool = self.bin.join(tool).to_string_lossy().into_owned();
        if self.as_postgres {
            run_ok(
                "runuser",
                &["-u", "postgres", "--", &tool].iter().copied().chain(args.iter().copied()).collect::<Vec<_>>(),
            )
        } else {
            run_ok(&tool, args)
        }
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let data = self.data.to_string_lossy().into_owned();
        let _ = std::panic::catch_unwind(|| self.pg("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]));
    }
}
