//! The end-to-end kit shared by the slow tiers: generate with the real binary, build and test in
//! one shared target dir, start services, and talk HTTP and SQL to them.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Generates a project with the real binary into `$TMP/archgen-generated-<pid>/<id>`: outside this
/// repository, so nothing of ours (rustfmt.toml, clippy.toml) applies to it. For a project a test
/// changes (the rollout's next release); the slow tier's cases are [`Case::project`].
pub fn generate(id: &str, name: &str, args: &[&str]) -> PathBuf {
    generate_at(&std::env::temp_dir().join(format!("archgen-generated-{}", std::process::id())).join(id), name, args).0
}

/// Generates with the real binary into `dir` (replaced), returning it and what `new` printed.
fn generate_at(dir: &Path, name: &str, args: &[&str]) -> (PathBuf, String) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-archgen"))
        .args(["new", name])
        .args(args)
        .args(["--no-git", "--yes", "--output"])
        .arg(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    eprint!("{stdout}");
    assert!(output.status.success(), "generation failed: {args:?}");
    (dir.to_owned(), stdout)
}

pub fn shared_target() -> PathBuf {
    std::env::var_os("ARCHGEN_GENERATED_TARGET")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("generated-target"), PathBuf::from)
}

pub fn postgres_server() -> String {
    std::env::var("ARCHGEN_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// `cargo ARGS` in `project`, building into the shared target; `envs` after the kit's own.
pub fn cargo(project: &Path, args: &[&str], envs: &[(&str, &str)]) {
    cargo_with(project, project.file_name().unwrap().to_string_lossy().as_ref(), args, &[], envs);
}

fn cargo_with(project: &Path, label: &str, args: &[&str], kit: &[(OsString, OsString)], envs: &[(&str, &str)]) {
    let linted = if kit.is_empty() || args[0] == "fmt" { "" } else { "   (clippy-driver, -D warnings)" };
    eprintln!("==> [{label}] cargo {}{linted}", args.join(" "));
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(project)
        .env("CARGO_TARGET_DIR", shared_target())
        .env_remove("RUSTFLAGS")
        .envs(kit.iter().map(|(k, v)| (k, v)))
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "`cargo {}` failed in {}", args.join(" "), project.display());
}

/// A generated project the slow tier builds, checks and runs: one per style × database (and
/// events), shared by every test that needs it. The `new` arguments are the key: two tests
/// that need the same project name the same `Case` and get the same build.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// Its directory, and the label of its `==> [id] cargo …` lines.
    pub id: &'static str,
    /// The project name given to `new` (its binaries are named after it).
    pub name: &'static str,
    /// `new`'s other arguments.
    pub args: &'static [&'static str],
}

/// The monolith and serverless cases serve the example and a resource with a field of every type
/// (their own tests are its CRUD end to end against the case's database: round trip, 409, 422,
/// optional fields). Two serverless cases put the resource of every type first: the one their
/// functions (the import job, the events they are tested with) work on.
pub const EXAMPLE: &str = "items name:string:unique description:text?";
/// A resource with a field of every type (a macro, so that a case can prefix its owner).
macro_rules! every_type {
    () => {
        "products name:string price:decimal sku:string:unique note:text? quantity:int \
         stock:bigint? active:bool total:float? available_on:date? launched_at:timestamp \
         code:uuid?:unique attributes:json?"
    };
}
pub const EVERY_TYPE: &str = every_type!();

pub const MONOLITH_POSTGRES: Case = Case {
    id: "monolith-postgres",
    name: "shop-api",
    args: &["--style", "monolith", "--db", "postgres", "--ci", "none", "--resource", EXAMPLE, "--resource", EVERY_TYPE],
};
pub const MONOLITH_SQLITE: Case = Case {
    id: "monolith-sqlite",
    name: "shop-api",
    args: &["--style", "monolith", "--db", "sqlite", "--ci", "none", "--resource", EXAMPLE, "--resource", EVERY_TYPE],
};
pub const MONOLITH_NONE: Case = Case {
    id: "monolith-none",
    name: "shop-api",
    args: &["--style", "monolith", "--db", "none", "--ci", "none", "--resource", EXAMPLE, "--resource", EVERY_TYPE],
};
/// users keeps its example; orders has its own and a resource with a field of every type (the
/// service's own tests run its CRUD end to end; the gateway routes `/api/v1/products` to orders).
pub const MICROSERVICES_NATS: Case = Case {
    id: "microservices-nats",
    name: "shop",
    args: &[
        "--style",
        "microservices",
        "--services",
        "users,orders",
        "--events",
        "nats",
        "--ci",
        "none",
        "--resource",
        "orders/orders user_id:bigint total:decimal status:string",
        "--resource",
        concat!("orders/", every_type!()),
    ],
};
pub const MICROSERVICES_NONE: Case = Case {
    id: "microservices-none",
    name: "shop",
    args: &["--style", "microservices", "--services", "users,orders", "--events", "none", "--ci", "none"],
};
/// The smallest workspace with a gateway and a call between services, with `auth`
/// (tests/auth.rs): no events, the default resources.
pub const MICROSERVICES_AUTH: Case = Case {
    id: "microservices-auth",
    name: "shop",
    args: &[
        "--style",
        "microservices",
        "--services",
        "users,orders",
        "--events",
        "none",
        "--ci",
        "none",
        "--features",
        "auth",
    ],
};
pub const AWS_LAMBDA_POSTGRES: Case = Case {
    id: "serverless-aws-lambda-postgres",
    name: "shop-api",
    args: &[
        "--style",
        "serverless",
        "--platform",
        "aws-lambda",
        "--db",
        "postgres",
        "--ci",
        "none",
        "--resource",
        EVERY_TYPE,
        "--resource",
        EXAMPLE,
    ],
};
pub const AWS_LAMBDA_NONE: Case = Case {
    id: "serverless-aws-lambda-none",
    name: "shop-api",
    args: &[
        "--style",
        "serverless",
        "--platform",
        "aws-lambda",
        "--db",
        "none",
        "--ci",
        "none",
        "--resource",
        EXAMPLE,
        "--resource",
        EVERY_TYPE,
    ],
};
pub const KNATIVE_POSTGRES: Case = Case {
    id: "serverless-knative-postgres",
    name: "shop-api",
    args: &[
        "--style",
        "serverless",
        "--platform",
        "knative",
        "--db",
        "postgres",
        "--ci",
        "none",
        "--resource",
        EXAMPLE,
        "--resource",
        EVERY_TYPE,
    ],
};
pub const KNATIVE_NONE: Case = Case {
    id: "serverless-knative-none",
    name: "shop-api",
    args: &[
        "--style",
        "serverless",
        "--platform",
        "knative",
        "--db",
        "none",
        "--ci",
        "none",
        "--resource",
        EVERY_TYPE,
        "--resource",
        EXAMPLE,
    ],
};

/// The `ratelimit` feature in each style that takes it (`tests/ratelimit.rs`), under a project
/// name of their own so their binaries never replace another case's. With the cache as well:
/// every feature of the style at once, built with clippy and tested (the cache is off without
/// `REDIS_URL`, so the limiter's tests see the app as it is without it).
pub const MONOLITH_RATELIMIT: Case = Case {
    id: "monolith-postgres-cache-ratelimit",
    name: "limited",
    args: &["--style", "monolith", "--db", "postgres", "--ci", "none", "--features", "cache,ratelimit"],
};
pub const KNATIVE_RATELIMIT: Case = Case {
    id: "serverless-knative-postgres-cache-ratelimit",
    name: "limited",
    args: &[
        "--style",
        "serverless",
        "--platform",
        "knative",
        "--db",
        "postgres",
        "--ci",
        "none",
        "--features",
        "cache,ratelimit",
    ],
};

/// The `auth` feature (`tests/auth.rs`), with every other feature the monolith takes: each
/// feature at once, built with clippy and tested, under a project name of its own.
pub const MONOLITH_AUTH: Case = Case {
    id: "monolith-postgres-every-feature",
    name: "guarded",
    args: &[
        "--style",
        "monolith",
        "--db",
        "postgres",
        "--ci",
        "none",
        "--features",
        "auth,cache,jobs,openapi,otel,ratelimit",
    ],
};

/// The monolith with the Redis cache (`--features cache`): `tests/cache.rs`.
pub const MONOLITH_POSTGRES_CACHE: Case = Case {
    id: "monolith-postgres-cache",
    name: "shop-api",
    args: &[
        "--style",
        "monolith",
        "--db",
        "postgres",
        "--ci",
        "none",
        "--features",
        "cache",
        "--resource",
        EXAMPLE,
        "--resource",
        EVERY_TYPE,
    ],
};

/// The monolith on its database with durable jobs (`tests/jobs.rs`): the example resource only.
pub const MONOLITH_POSTGRES_JOBS: Case = Case {
    id: "monolith-postgres-jobs",
    name: "shop-jobs",
    args: &["--style", "monolith", "--db", "postgres", "--ci", "none", "--features", "jobs", "--resource", EXAMPLE],
};

/// [`MONOLITH_POSTGRES_CACHE`] with `--db sqlite`.
pub const MONOLITH_SQLITE_CACHE: Case = Case {
    id: "monolith-sqlite-cache",
    name: "shop-api",
    args: &[
        "--style",
        "monolith",
        "--db",
        "sqlite",
        "--ci",
        "none",
        "--features",
        "cache",
        "--resource",
        EXAMPLE,
        "--resource",
        EVERY_TYPE,
    ],
};
/// Knative with the Redis cache (`--features cache`): `tests/cache.rs`.
pub const KNATIVE_POSTGRES_CACHE: Case = Case {
    id: "serverless-knative-postgres-cache",
    name: "shop-api",
    args: &[
        "--style",
        "serverless",
        "--platform",
        "knative",
        "--db",
        "postgres",
        "--ci",
        "none",
        "--features",
        "cache",
        "--resource",
        EXAMPLE,
        "--resource",
        EVERY_TYPE,
    ],
};

/// Where the cases building into this shared target are kept, between tests and between runs:
/// in the temp dir, outside this repository (whose rustfmt.toml, clippy.toml and Cargo.toml
/// would apply to a project inside it), one directory per shared target.
fn cases_root() -> PathBuf {
    let target = shared_target();
    let key: String =
        target.to_string_lossy().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    std::env::temp_dir().join("archgen-cases").join(key.trim_matches('-'))
}

impl Case {
    /// The case, generated afresh and synced into its kept directory: a file whose bytes did
    /// not change keeps its modification time, so cargo finds what an earlier test (or run)
    /// built from it fresh, and a file that changed (templates moved on) is rebuilt. Holds the
    /// case's lock until dropped, so two tests never sync or build one case at once.
    pub fn project(self) -> Project {
        let root = cases_root();
        std::fs::create_dir_all(&root).unwrap();
        let lock = File::create(root.join(format!("{}.lock", self.id))).unwrap();
        lock.lock().unwrap();
        let staging = std::env::temp_dir().join(format!("archgen-generated-{}", std::process::id())).join(self.id);
        let (generated_at, stdout) = generate_at(&staging, self.name, self.args);
        let dir = root.join(self.id);
        sync(&generated_at, &dir);
        std::fs::remove_dir_all(&generated_at).unwrap();
        // Cargo mixes the path of `RUSTC_WORKSPACE_WRAPPER` into the hash of a workspace's own
        // crates: a wrapper path per case keeps this case's crates apart from any other
        // project's of the same names (whose sources may be older than those artifacts, and
        // would then be taken as fresh). Dependencies, built by plain rustc, stay shared.
        let wrapper = root.join("wrappers").join(self.id).join("clippy-driver");
        let driver = clippy_driver();
        if std::fs::read_link(&wrapper).ok().as_ref() != Some(&driver) {
            std::fs::create_dir_all(wrapper.parent().unwrap()).unwrap();
            let _ = std::fs::remove_file(&wrapper);
            std::os::unix::fs::symlink(driver, &wrapper).unwrap();
        }
        Project { case: self, dir, generated_at, stdout, wrapper, _lock: lock }
    }
}

/// The toolchain's `clippy-driver`, beside the cargo that built these tests.
fn clippy_driver() -> PathBuf {
    let beside = Path::new(env!("CARGO")).with_file_name("clippy-driver");
    assert!(beside.exists(), "no clippy-driver beside {} (rustup component add clippy)", env!("CARGO"));
    beside
}

/// Makes `to` hold exactly the files of `from`, writing only the files whose bytes or
/// permissions differ (and removing what `from` lacks), so unchanged files keep their times.
fn sync(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(to).unwrap() {
        let entry = entry.unwrap();
        let source = from.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        let keep = std::fs::symlink_metadata(&source).is_ok_and(|m| m.is_dir() == kind.is_dir() && !kind.is_symlink());
        if !keep {
            if kind.is_dir() {
                std::fs::remove_dir_all(entry.path()).unwrap();
            } else {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
    }
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            sync(&entry.path(), &target);
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        let permissions = entry.metadata().unwrap().permissions();
        if std::fs::read(&target).ok().as_ref() != Some(&bytes) {
            std::fs::write(&target, &bytes).unwrap();
        }
        if std::fs::metadata(&target).unwrap().permissions() != permissions {
            std::fs::set_permissions(&target, permissions).unwrap();
        }
    }
}

/// A slow-tier case, generated and kept (see [`Case::project`]).
pub struct Project {
    pub case: Case,
    /// The kept directory every test of this case builds and runs in.
    pub dir: PathBuf,
    /// Where `new` generated it (what its output names), removed once synced into `dir`.
    pub generated_at: PathBuf,
    /// What `new` printed.
    pub stdout: String,
    wrapper: PathBuf,
    _lock: File,
}

impl Project {
    /// What every cargo command on this case runs with: the shared target, and clippy as the
    /// workspace's compiler, warnings denied. Building is linting: clippy-driver is rustc with
    /// clippy's lints, so the build's own compile of each crate (and each test target) is its
    /// clippy pass too, and no separate check-mode compile of every dependency is needed.
    pub fn cargo_env(&self) -> Vec<(OsString, OsString)> {
        vec![
            ("CARGO_TARGET_DIR".into(), shared_target().into()),
            ("RUSTC_WORKSPACE_WRAPPER".into(), self.wrapper.clone().into()),
            // clippy's own encoding of the arguments after `cargo clippy --`.
            ("CLIPPY_ARGS".into(), "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__".into()),
        ]
    }

    /// `cargo ARGS` in the project with [`Project::cargo_env`]; `envs` on top.
    pub fn cargo(&self, args: &[&str], envs: &[(&str, &str)]) {
        cargo_with(&self.dir, self.case.id, args, &self.cargo_env(), envs);
    }

    /// Its binaries, built `--locked` (fresh when an earlier test built this case).
    pub fn build(&self) {
        self.cargo(&["build", "--locked", "--workspace"], &[]);
    }

    /// What every generated project must pass before it is run: rustfmt; a build of its
    /// libraries and binaries (the dependencies' features without dev-dependencies, as
    /// `cargo build` and a release build see them); every target (tests, benches, examples)
    /// compiled, with clippy's lints and warnings as errors (what `cargo clippy --all-targets
    /// -- -D warnings` checks, in the compile the tests need anyway); then its own tests, which
    /// compile nothing more. All `--locked`: with exactly the versions its generated Cargo.lock
    /// pins (`lockfiles/`).
    pub fn build_and_test(&self, test_env: &[(&str, &str)]) {
        self.cargo(&["fmt", "--check"], &[]);
        self.build();
        self.cargo(&["test", "--locked", "--workspace", "--all-targets", "--no-run"], &[]);
        self.cargo(&["test", "--locked", "--workspace"], test_env);
    }
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

/// A temp dir (named `<prefix>…`, removed on drop) for a throwaway cluster ([`OwnPostgres`]):
/// its data, socket and log, and whatever the test puts beside them. Open to `postgres`, who
/// runs the server when we are root.
pub fn cluster_dir(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    dir
}

impl OwnPostgres {
    /// `hba` is the whole `pg_hba.conf`; `options` more `-c name=value` server settings.
    pub fn start(dir: &Path, hba: &str, options: &str) -> Self {
        let server = Self::at(dir);
        server.pg("initdb", &["--auth=trust", "--username=postgres", "-D", &server.data.to_string_lossy()]);
        std::fs::write(server.data.join("pg_hba.conf"), hba).unwrap();
        server.launch(dir, options);
        server
    }

    /// A streaming replica of this cluster in `dir`, on a free port: a base backup taken with
    /// `pg_basebackup -R` (which writes the connection to the primary and `standby.signal`),
    /// then started with `options`. The primary's `pg_hba.conf` must let `postgres` connect for
    /// replication from 127.0.0.1.
    pub fn replica(&self, dir: &Path, options: &str) -> Self {
        let server = Self::at(dir);
        let port = self.port.to_string();
        let data = server.data.to_string_lossy().into_owned();
        server.pg(
            "pg_basebackup",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-D", &data, "-R", "-X", "stream", "-c", "fast"],
        );
        server.launch(dir, options);
        server
    }

    /// A cluster to be in `dir` (made `postgres`'s when we are root), on a free port.
    fn at(dir: &Path) -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries in /usr/lib/postgresql")
            .map(|e| e.unwrap().path().join("bin"))
            .find(|bin| bin.join("initdb").exists())
            .expect("initdb");
        let as_postgres = run_ok("id", &["-u"]).stdout.starts_with(b"0\n");
        if as_postgres {
            run_ok("chown", &["-R", "postgres", &dir.to_string_lossy()]);
        }
        Self { bin, data: dir.join("data"), port: free_port(), as_postgres }
    }

    /// Starts the server of `self.data`, its socket and log in `dir`.
    fn launch(&self, dir: &Path, options: &str) {
        let options = format!(
            "-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={dir} {options}",
            port = self.port,
            dir = dir.display()
        );
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data.to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-l",
                &dir.join("log").to_string_lossy(),
                "start",
            ],
        );
    }

    /// Stops the server now (immediate shutdown, as a crash would).
    pub fn stop(&self) {
        self.pg("pg_ctl", &["-D", &self.data.to_string_lossy(), "-m", "immediate", "-w", "stop"]);
    }

    /// The result of `sql` as `psql -tA` prints it (trimmed), as `postgres` on this cluster.
    pub fn sql(&self, sql: &str) -> String {
        let port = self.port.to_string();
        let output =
            self.pg("psql", &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-d", "postgres", "-tAc", sql]);
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// The URL of this cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
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
        // Stopped already (`stop`) when its pid file is gone.
        if self.data.join("postmaster.pid").exists() {
            let data = self.data.to_string_lossy().into_owned();
            let _ = std::panic::catch_unwind(|| self.pg("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]));
        }
    }
}
