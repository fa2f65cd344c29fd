//! Each style's next steps, executed as `new` prints them (issue #10): the lines under "Next
//! steps:" of its output run in one bash shell in the project, in order, against the machine's
//! PostgreSQL (and NATS), with the database URLs, admin URL and ports pointed at unique
//! throwaway names and free ports. A server step runs in the background until its endpoints
//! answer 200, then gets SIGTERM. Docker alternatives are not run (there is no Docker here): the
//! printed steps lead with the path that needs none.
//!
//! Then, where there is a database, the class of database failures, through the binary that
//! printed steps built: the server is unreachable, the role or the database is missing, the
//! password is wrong (on a cluster of the test's own with password authentication, since the
//! machine's trusts loopback). Each is one `error:` line and one `help:` line, never a Debug dump.
#![allow(clippy::unwrap_used, clippy::doc_markdown)] // a panic with its location is the right failure in a test; product names in prose

mod common;

use std::fmt::Write as _;
use std::process::{Command, Stdio};

use cargo_archgen::next_steps::ADMIN_URL;
use common::e2e::{
    self, AWS_LAMBDA_POSTGRES, Case, KNATIVE_POSTGRES, MICROSERVICES_NATS, MONOLITH_POSTGRES, MONOLITH_SQLITE,
    OwnPostgres, Project,
};

/// Roles and databases this test creates on the machine's server, dropped at the end (even
/// when the test fails).
#[derive(Default)]
struct Throwaway {
    databases: Vec<String>,
    roles: Vec<String>,
}

impl Throwaway {
    /// A unique role and database name for `what`, and its URL with a password.
    fn url(&mut self, what: &str) -> String {
        let name = format!("nsr_{}_{what}", std::process::id());
        self.databases.push(name.clone());
        self.roles.push(name.clone());
        format!("postgres://{name}:pw-{name}@127.0.0.1:5432/{name}")
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        let drops = self.databases.iter().map(|d| format!("DROP DATABASE IF EXISTS {d} WITH (FORCE)"));
        let drops = drops.chain(self.roles.iter().map(|r| format!("DROP ROLE IF EXISTS {r}")));
        for sql in drops {
            let _ =
                Command::new("psql").arg(format!("{}/postgres", e2e::postgres_server())).args(["-qc", &sql]).status();
        }
    }
}

/// Generates a case with the real binary and returns it with the steps it printed. The case is
/// the slow tier's (`e2e::Case`): the steps run in its kept directory, where the builds they
/// make are the ones its own test made (fresh), and `cd` names where `new` generated it.
fn generate(case: Case) -> (Project, Vec<String>) {
    let project = case.project();
    let printed = &project.stdout;
    let steps = printed
        .lines()
        .skip_while(|l| *l != "Next steps:")
        .skip(1)
        .take_while(|l| l.starts_with("  ") || *l == "Or, with Docker:")
        .map(str::trim)
        .collect::<Vec<_>>();
    assert_eq!(steps.first().copied(), Some(format!("cd {}", project.generated_at.display()).as_str()), "{printed}");
    let steps = steps[1..].iter().map(|s| (*s).to_owned()).collect();
    (project, steps)
}

/// How one case's steps run: the variables set right after the settings are loaded (or first),
/// and the endpoints probed while a server step runs.
struct Run<'a> {
    id: &'a str,
    env: Vec<(String, String)>,
    probes: Vec<(u16, &'a str)>,
}

const PROBE: &str = r#"
probe() {
  local port=$1 path=$2 status
  for _ in $(seq 1200); do
    status=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" &&
      printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3 &&
      head -n 1 <&3) 2>/dev/null | cut -d ' ' -f 2) || true
    if [[ $status == 200 ]]; then echo "==> GET 127.0.0.1:$port$path: 200"; return 0; fi
    sleep 0.25
  done
  echo "GET 127.0.0.1:$port$path never answered 200" >&2
  return 1
}
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
"#;

/// The printed steps as one bash script. Each printed line is run as printed, but for the admin
/// URL, which points at the machine's server.
fn script(steps: &[String], run: &Run<'_>) -> String {
    let admin = format!("{}/postgres", e2e::postgres_server());
    let mut env = String::new();
    for (name, value) in &run.env {
        let _ = writeln!(env, "export {name}='{value}'");
    }
    let mut script = format!("set -euo pipefail\n{PROBE}");
    if !steps.iter().any(|s| s.contains(".env.example")) {
        script.push_str(&env);
    }
    let mut alternatives = false;
    for line in steps {
        if line == "Or, with Docker:" {
            alternatives = true;
            continue;
        }
        let (command, note) = line.split_once("   # ").unwrap_or((line, ""));
        let command = command.trim().replace(ADMIN_URL, &admin);
        if alternatives {
            assert!(command.starts_with("docker "), "{}: an alternative that is not Docker: {command}", run.id);
            continue;
        }
        let _ = writeln!(script, "echo '==> {}'", command.replace('\'', ""));
        if note.starts_with("http://") {
            let _ = writeln!(script, "{command} &\nserver=$!");
            for (port, path) in &run.probes {
                let _ = writeln!(script, "probe {port} {path}");
            }
            script.push_str("kill -TERM $server\nwait $server || true\n");
        } else {
            let _ = writeln!(script, "{command}");
        }
        if command.contains(".env.example") {
            script.push_str(&env);
        }
    }
    script
}

/// Runs the steps in the case's directory with its cargo environment (the shared target, and the
/// case's compiler: see `Project::cargo_env`), as `e2e` builds it.
fn execute(project: &Project, steps: &[String], run: &Run<'_>) {
    let script = script(steps, run);
    eprintln!("==> [{}] the printed next steps:\n{}", run.id, steps.join("\n"));
    let output = Command::new("bash")
        .args(["-c", &script])
        .current_dir(&project.dir)
        .envs(project.cargo_env())
        .env_remove("RUSTFLAGS")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}: the next steps failed\n--- script\n{script}\n--- stdout\n{}\n--- stderr\n{}",
        run.id,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `binary args…` with `DATABASE_URL=url` must fail with exactly an `error:` line that contains
/// `reason` and a `help:` line that contains `help`, and nothing like a Debug dump.
fn fails_clearly(binary: &str, args: &[&str], url: &str, reason: &str, help: &str) {
    let output = Command::new(e2e::binary(binary))
        .args(args)
        .env("DATABASE_URL", url)
        .env("LOG_FORMAT", "pretty")
        .env_remove("DATABASE_ADMIN_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = format!("`{binary} {}` with {url}:\n{stderr}", args.join(" "));
    assert_eq!(output.status.code(), Some(1), "{said}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "not one error line and one help line: {said}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(reason), "{said}");
    assert!(lines[1].starts_with("help: ") && lines[1].contains(help), "{said}");
    for dump in ["{", "Error(", "Database(", "caused by", "pw-", "wrong-password"] {
        assert!(!stderr.contains(dump), "`{dump}` in what it printed: {said}");
    }
}

/// The class of database failures for `binary args…` (its `migrate`), `setup` being how its
/// `db setup` runs.
fn database_failures_are_clear(binary: &str, args: &[&str], setup: &[&str]) {
    let pid = std::process::id();
    let closed = e2e::free_port();
    fails_clearly(
        binary,
        args,
        &format!("postgres://app:pw-x@127.0.0.1:{closed}/app"),
        &format!("cannot connect to the database at postgres://app@127.0.0.1:{closed}/app: "),
        "is PostgreSQL running",
    );
    fails_clearly(
        binary,
        args,
        &format!("postgres://nsr_{pid}_nobody:pw-x@127.0.0.1:5432/postgres"),
        "does not exist",
        "db setup",
    );
    fails_clearly(
        binary,
        args,
        &format!("{}/nsr_{pid}_nowhere", e2e::postgres_server()),
        &format!("database \"nsr_{pid}_nowhere\" does not exist"),
        "db setup",
    );

    // Passwords mean something only where the server asks for them: a cluster of our own.
    let dir = e2e::cluster_dir("archgen-steps-pg-");
    let own = OwnPostgres::start(
        dir.path(),
        "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
        "",
    );
    let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", own.port);
    let url = format!("postgres://owner:pw-right@127.0.0.1:{}/owned", own.port);
    // `db setup` creates the role with the password of DATABASE_URL: it can log in with it.
    let status = Command::new(e2e::binary(binary))
        .args(setup)
        .args(["--admin-url", &admin])
        .env("DATABASE_URL", &url)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "`{binary} db setup` on a cluster with password authentication failed");
    e2e::run_binary(binary, args, &[("DATABASE_URL", &url)]);
    fails_clearly(
        binary,
        args,
        &format!("postgres://owner:wrong-password@127.0.0.1:{}/owned", own.port),
        "password authentication failed",
        "password",
    );
}

fn free(n: usize) -> Vec<u16> {
    let listeners: Vec<_> = (0..n).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_postgres_next_steps_run_as_printed() {
    let mut throwaway = Throwaway::default();
    let (project, steps) = generate(MONOLITH_POSTGRES);
    let port = e2e::free_port();
    let url = throwaway.url("monolith");
    let run = Run {
        id: "monolith-postgres",
        env: env(&[("DATABASE_URL", &url), ("PORT", &port.to_string())]),
        probes: vec![(port, "/healthz"), (port, "/readyz")],
    };
    execute(&project, &steps, &run);
    database_failures_are_clear(project.case.name, &["migrate"], &["db", "setup"]);
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_sqlite_next_steps_run_as_printed() {
    let (project, steps) = generate(MONOLITH_SQLITE);
    let port = e2e::free_port();
    let run = Run {
        id: "monolith-sqlite",
        env: env(&[("PORT", &port.to_string())]),
        probes: vec![(port, "/healthz"), (port, "/readyz")],
    };
    execute(&project, &steps, &run);
    assert!(project.dir.join("data/app.db").is_file(), "`db setup` did not create the database file");
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn microservices_next_steps_run_as_printed() {
    let mut throwaway = Throwaway::default();
    let (project, steps) = generate(MICROSERVICES_NATS);
    let ports = free(3);
    let (users, orders) = (throwaway.url("users"), throwaway.url("orders"));
    let namespace = format!("nsr_{}", std::process::id());
    let run = Run {
        id: "microservices",
        env: env(&[
            ("USERS_DATABASE_URL", &users),
            ("ORDERS_DATABASE_URL", &orders),
            ("USERS_PORT", &ports[1].to_string()),
            ("ORDERS_PORT", &ports[2].to_string()),
            ("PORT", &ports[0].to_string()),
            ("EVENTS_NAMESPACE", &namespace),
        ]),
        probes: vec![
            (ports[1], "/readyz"),
            (ports[2], "/readyz"),
            (ports[0], "/healthz"),
            (ports[0], "/api/v1/users"),
            (ports[0], "/api/v1/orders"),
        ],
    };
    execute(&project, &steps, &run);
    database_failures_are_clear("users", &["migrate"], &["db", "setup"]);
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn aws_lambda_next_steps_run_as_printed() {
    let mut throwaway = Throwaway::default();
    let (project, steps) = generate(AWS_LAMBDA_POSTGRES);
    let port = e2e::free_port();
    let url = throwaway.url("lambda");
    let run = Run {
        id: "aws-lambda",
        env: env(&[("DATABASE_URL", &url), ("PORT", &port.to_string())]),
        probes: vec![(port, "/healthz"), (port, "/readyz")],
    };
    execute(&project, &steps, &run);
    database_failures_are_clear(&format!("{}-migrate", project.case.name), &[], &["db", "setup"]);
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn knative_next_steps_run_as_printed() {
    let mut throwaway = Throwaway::default();
    let (project, steps) = generate(KNATIVE_POSTGRES);
    let port = e2e::free_port();
    let url = throwaway.url("knative");
    let run = Run {
        id: "knative",
        env: env(&[("DATABASE_URL", &url), ("PORT", &port.to_string())]),
        probes: vec![(port, "/healthz"), (port, "/readyz")],
    };
    execute(&project, &steps, &run);
    database_failures_are_clear(&format!("{}-api", project.case.name), &["migrate"], &["db", "setup"]);
}
