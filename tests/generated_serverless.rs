//! The slow tier for `--style serverless`: generated workspaces compile, pass clippy and rustfmt,
//! pass their own tests (handler tests on real API Gateway v2 and SQS payloads shipped in
//! `events/`), and run under `cargo lambda watch` / `cargo lambda invoke --data-file`: health, a
//! CRUD round trip against a fresh `PostgreSQL` database, and an SQS batch whose bad records come
//! back in `batchItemFailures`. Knative projects run as the containers would: the api binary
//! (`migrate`, then `serve`) and the worker receiving binary-mode `CloudEvents` over HTTP, and their
//! kustomize output (base and overlays) is parsed and checked field by field.
//!
//! Run with `cargo test --test generated_serverless -- --ignored --test-threads=1`.
//! Shares `target/generated-target` (or `$ARCHGEN_GENERATED_TARGET`) with `tests/generated.rs`.
//! cargo-lambda comes from `PyPI` through `scripts/cargo-lambda-venv.sh` (a venv under target/);
//! `cargo lambda watch` needs no network. `PostgreSQL`: `$ARCHGEN_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432`). The Knative manifests are rendered with `kubectl
//! kustomize` and read with `PyYAML` from the lint venv (`scripts/lint-venv.sh`).
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::io::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::e2e::{
    self, AWS_LAMBDA_NONE, AWS_LAMBDA_POSTGRES, KNATIVE_NONE, KNATIVE_POSTGRES, Project, Server, free_port,
    postgres_server, psql,
};

/// The project name of every serverless case (`e2e::AWS_LAMBDA_*`, `e2e::KNATIVE_*`).
const NAME: &str = "shop-api";

/// A case's first resource (`--resource`), the one its functions work on: its names, two create
/// bodies and one the domain's rules refuse. Both have a unique field, so a redelivered import
/// is a no-op.
struct First {
    plural: &'static str,
    singular: &'static str,
    bodies: [&'static str; 2],
    invalid: &'static str,
}

/// `e2e::EVERY_TYPE`, first in `AWS_LAMBDA_POSTGRES` and `KNATIVE_NONE`.
const PRODUCTS: First = First {
    plural: "products",
    singular: "product",
    bodies: [
        r#"{"name":"widget","price":"12.50","sku":"w-1","quantity":1,"active":true,"launched_at":"2024-05-01T12:00:00Z","code":"3f0c2f4e-0a43-4d3c-9a43-6a2f7c1d1a01","attributes":{"colour":"red"}}"#,
        r#"{"name":"widget-2","price":"7.25","sku":"w-2","quantity":2,"active":false,"launched_at":"2024-06-02T08:30:00Z","note":null}"#,
    ],
    invalid: r#"{"name":"","price":"1.00","sku":"w-3","quantity":1,"active":true,"launched_at":"2024-05-01T12:00:00Z"}"#,
};
/// `e2e::EXAMPLE`, first in `AWS_LAMBDA_NONE` and `KNATIVE_POSTGRES`.
const ITEMS: First = First {
    plural: "items",
    singular: "item",
    bodies: [r#"{"name":"widget","description":"via HTTP"}"#, r#"{"name":"widget-2"}"#],
    invalid: r#"{"name":""}"#,
};

/// Whether every field of the JSON `sent` came back in `data`.
fn assert_holds(data: &Value, sent: &str) {
    let sent: Value = serde_json::from_str(sent).unwrap();
    for (field, value) in sent.as_object().unwrap() {
        assert_eq!(&data[field], value, "{field} in {data}");
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `bin/cargo-lambda` from the venv made by scripts/cargo-lambda-venv.sh.
fn cargo_lambda() -> PathBuf {
    let output = Command::new(repo().join("scripts").join("cargo-lambda-venv.sh"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(output.status.success(), "scripts/cargo-lambda-venv.sh failed");
    let venv = String::from_utf8(output.stdout).unwrap();
    PathBuf::from(venv.lines().last().unwrap().trim()).join("bin").join("cargo-lambda")
}

/// `cargo lambda watch` on a free port: the Lambda runtime API emulator, building each function
/// on its first invocation. Killed (with its process group) on drop.
struct Watch {
    child: Child,
    port: u16,
    project: PathBuf,
    cargo_lambda: PathBuf,
}

impl Watch {
    /// Its builds run with the case's cargo environment, so they find the case's build fresh.
    fn start(project: &Project, env: &[(&str, &str)]) -> Self {
        let cargo_lambda = cargo_lambda();
        let port = free_port();
        let mut cmd = Command::new(&cargo_lambda);
        cmd.args(["lambda", "watch", "--invoke-address", "127.0.0.1", "--invoke-port", &port.to_string()])
            .current_dir(&project.dir)
            .envs(project.cargo_env())
            .env_remove("RUSTFLAGS")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        for (key, value) in env {
            cmd.args(["--env-var", &format!("{key}={value}")]);
        }
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().unwrap();
        let watch = Self { child, port, project: project.dir.clone(), cargo_lambda };
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "cargo lambda watch did not listen within 120 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        watch
    }

    /// `cargo lambda invoke FUNCTION --data-file FILE`, the response as JSON.
    fn invoke(&self, function: &str, event: &Value) -> Value {
        let file = tempfile_path(&format!("{function}-event.json"));
        std::fs::write(&file, event.to_string()).unwrap();
        let output = Command::new(&self.cargo_lambda)
            .args(["lambda", "invoke", "--invoke-address", "127.0.0.1", "--invoke-port", &self.port.to_string()])
            .args([function, "--data-file"])
            .arg(&file)
            .current_dir(&self.project)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "cargo lambda invoke {function} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.wait();
    }
}

/// A stand-in for `CodeDeploy`'s API on loopback: records the JSON body of every
/// `PutLifecycleEventHookExecutionStatus` call and answers as `CodeDeploy` does.
struct FakeCodeDeploy {
    port: u16,
    requests: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl FakeCodeDeploy {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = std::sync::Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let (mut length, mut target) = (0, String::new());
                loop {
                    let mut line = String::new();
                    if std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let (name, value) = line.split_once(':').unwrap_or((&line, ""));
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        "x-amz-target" => value.trim().clone_into(&mut target),
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                let _ = std::io::Read::read_exact(&mut reader, &mut body);
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let answer = if target == "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus" {
                    let id = body["lifecycleEventHookExecutionId"].clone();
                    seen.lock().unwrap().push(body);
                    (200, json!({"lifecycleEventHookExecutionId": id}).to_string())
                } else {
                    (400, json!({"__type": "UnknownOperationException"}).to_string())
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {} X\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                    answer.0,
                    answer.1.len(),
                    answer.1
                );
            }
        });
        Self { port, requests }
    }

    fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }
}

fn tempfile_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("archgen-generated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn fixture(project: &Path, name: &str) -> Value {
    let text = std::fs::read_to_string(project.join("events").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// An API Gateway v2 event for `method path` (and a JSON body), built from a shipped fixture.
fn route(project: &Path, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut event = fixture(project, "api-healthz.json");
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
        event["headers"]["content-type"] = json!("application/json");
    }
    event
}

/// The API Gateway v2 response's status and parsed body.
fn reply(response: &Value) -> (u64, Value) {
    let status = response["statusCode"].as_u64().unwrap_or_else(|| panic!("no statusCode: {response}"));
    let body =
        response["body"].as_str().filter(|b| !b.is_empty()).map_or(Value::Null, |b| serde_json::from_str(b).unwrap());
    (status, body)
}

/// Health, a CRUD round trip of the first resource and an SQS batch with failures, through
/// `cargo lambda invoke`.
fn exercise_lambdas(project: &Path, watch: &Watch, first: &First) {
    let api = format!("{NAME}-api");
    let (status, body) = reply(&watch.invoke(&api, &fixture(project, "api-healthz.json")));
    assert_eq!((status, body), (200, json!({"status": "ok"})));

    let create = fixture(project, &format!("api-create-{}.json", first.singular.replace('_', "-")));
    let (status, created) = reply(&watch.invoke(&api, &create));
    assert_eq!(status, 201, "{created}");
    assert_holds(&created["data"], create["body"].as_str().unwrap());
    let id = created["data"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/{}/{id}", first.plural.replace('_', "-"));
    let (status, fetched) = reply(&watch.invoke(&api, &route(project, "GET", &path, None)));
    assert_eq!((status, &fetched["data"]), (200, &created["data"]));
    let list = fixture(project, &format!("api-list-{}.json", first.plural.replace('_', "-")));
    let (status, list) = reply(&watch.invoke(&api, &list));
    assert_eq!(status, 200, "{list}");
    assert!(list["meta"]["total"].as_i64() >= Some(1), "{list}");
    let update: Value = serde_json::from_str(first.bodies[1]).unwrap();
    let (status, updated) = reply(&watch.invoke(&api, &route(project, "PUT", &path, Some(&update))));
    assert_eq!(status, 200, "{updated}");
    assert_holds(&updated["data"], first.bodies[1]);
    let (status, _) = reply(&watch.invoke(&api, &route(project, "DELETE", &path, None)));
    assert_eq!(status, 204);
    let (status, gone) = reply(&watch.invoke(&api, &route(project, "GET", &path, None)));
    assert_eq!((status, &gone["error"]["code"]), (404, &json!("not_found")));

    let worker = format!("{NAME}-worker");
    let batch = watch.invoke(&worker, &fixture(project, "sqs-batch.json"));
    let failed: Vec<&str> = batch["batchItemFailures"]
        .as_array()
        .unwrap_or_else(|| panic!("no batchItemFailures: {batch}"))
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["0c5a4c1e-5d3b-4f0e-9a4e-7d1f3c2b1a03", "0c5a4c1e-5d3b-4f0e-9a4e-7d1f3c2b1a04"], "{batch}");
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn serverless_aws_lambda_postgres_builds_tests_and_runs_under_cargo_lambda() {
    let project = AWS_LAMBDA_POSTGRES.project();
    let test_url = format!("{}/postgres", postgres_server());
    project.build_and_test(&[("DATABASE_URL", &test_url)]);

    let database = format!("archgen_sls_{}", std::process::id());
    psql(&format!("DROP DATABASE IF EXISTS {database}"));
    let url = format!("{}/{database}", postgres_server());
    // The migrate function is CodeDeploy's pre-traffic hook: it reports Failed while the database
    // is missing (the aliases would not move), then Succeeded, through the real SDK to a stand-in.
    let codedeploy = FakeCodeDeploy::start();
    let endpoint = format!("http://127.0.0.1:{}", codedeploy.port);
    let hook_env = [
        ("DATABASE_URL", url.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
    ];
    let watch = Watch::start(&project, &hook_env);
    let hook = |id: &str| json!({"DeploymentId": "d-TEST", "LifecycleEventHookExecutionId": id});
    let failed = watch.invoke(&format!("{NAME}-migrate"), &hook("before-db"));
    assert_eq!(failed["status"], "Failed", "{failed}");
    psql(&format!("CREATE DATABASE {database}"));
    let succeeded = watch.invoke(&format!("{NAME}-migrate"), &hook("after-db"));
    assert_eq!(succeeded, json!({"status": "Succeeded"}));
    let reports = codedeploy.requests();
    let expected = [("before-db", "Failed"), ("after-db", "Succeeded")]
        .map(|(id, status)| json!({"deploymentId": "d-TEST", "lifecycleEventHookExecutionId": id, "status": status}));
    assert_eq!(reports, expected, "what CodeDeploy was told");
    // Invoked by hand (the first deploy), and as a CLI: it migrates (a no-op now) and reports nothing.
    assert_eq!(watch.invoke(&format!("{NAME}-migrate"), &json!({})), json!({"status": "migrated"}));
    assert_eq!(codedeploy.requests().len(), 2);
    for _ in 0..2 {
        let status = Command::new(e2e::binary(&format!("{NAME}-migrate")))
            .env("DATABASE_URL", &url)
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "migrate failed");
    }
    exercise_lambdas(&project.dir, &watch, &PRODUCTS);
    drop(watch);
    psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn serverless_aws_lambda_without_database_builds_tests_and_runs_under_cargo_lambda() {
    let project = AWS_LAMBDA_NONE.project();
    project.build_and_test(&[]);
    let watch = Watch::start(&project, &[]);
    exercise_lambdas(&project.dir, &watch, &ITEMS);
    drop(watch);
}

// ---- Knative: the api and worker binaries as their containers run them ----

/// A generated binary serving HTTP on a free port, as its container runs it; killed on drop.
fn start(binary: &str, env: &[(&str, &str)]) -> Server {
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Server::start(binary, free_port(), &env)
}

/// One request: the status and the JSON body (`Null` when empty).
trait Call {
    fn call(&self, method: &str, path: &str, body: Option<&str>, headers: &[(&str, &str)]) -> (u16, Value);
}

impl Call for Server {
    fn call(&self, method: &str, path: &str, body: Option<&str>, headers: &[(&str, &str)]) -> (u16, Value) {
        let response = self.request(method, path, body, headers);
        let json = if response.body.is_empty() { Value::Null } else { response.json() };
        (response.status, json)
    }
}

fn assert_envelope(status: u16, body: &Value, expected: u16, request_id: &str) {
    assert_eq!(status, expected, "{body}");
    let error = &body["error"];
    assert!(error["code"].is_string() && error["message"].is_string(), "not the error envelope: {body}");
    assert_eq!(error["request_id"], request_id, "{body}");
}

/// Probes, a CRUD round trip of the first resource and the error envelope, over real HTTP.
fn exercise_knative_api(api: &Server, first: &First) {
    assert_eq!(api.call("GET", "/healthz", None, &[]), (200, json!({"status": "ok"})));
    assert_eq!(api.call("GET", "/readyz", None, &[]).0, 200);
    let json_body = [("content-type", "application/json")];
    let base = format!("/api/v1/{}", first.plural.replace('_', "-"));
    let (status, created) = api.call("POST", &base, Some(first.bodies[0]), &json_body);
    assert_eq!(status, 201, "{created}");
    assert_holds(&created["data"], first.bodies[0]);
    let path = format!("{base}/{}", created["data"]["id"].as_i64().unwrap());
    let (status, fetched) = api.call("GET", &path, None, &[]);
    assert_eq!((status, &fetched["data"]), (200, &created["data"]));
    let (status, updated) = api.call("PUT", &path, Some(first.bodies[1]), &json_body);
    assert_eq!(status, 200, "{updated}");
    assert_holds(&updated["data"], first.bodies[1]);
    let (status, list) = api.call("GET", &format!("{base}?page=1&per_page=5"), None, &[]);
    assert_eq!((status, &list["meta"]["total"]), (200, &json!(1)), "{list}");
    assert_eq!(api.call("DELETE", &path, None, &[]).0, 204);
    let (status, gone) = api.call("GET", &path, None, &[("x-request-id", "req-404")]);
    assert_envelope(status, &gone, 404, "req-404");
    let (status, malformed) = api.call(
        "POST",
        &base,
        Some("{not json"),
        &[("content-type", "application/json"), ("x-request-id", "req-400")],
    );
    assert_envelope(status, &malformed, 400, "req-400");
    let (status, invalid) = api.call(
        "POST",
        &base,
        Some(first.invalid),
        &[("content-type", "application/json"), ("x-request-id", "req-422")],
    );
    assert_envelope(status, &invalid, 422, "req-422");
}

/// A binary-mode `CloudEvent` as a Knative Trigger delivers it.
fn cloud_event(worker: &Server, id: &str, kind: &str, data: &str) -> (u16, Value) {
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", id),
        ("ce-source", "/archgen/tests"),
        ("ce-type", kind),
        ("content-type", "application/json"),
    ];
    worker.call("POST", "/", Some(data), &headers)
}

/// Imports the first resource through the worker (checked through the API when they share a
/// database), the same `ce-id` again without a second effect, and poison events answered 4xx.
fn exercise_knative_worker(worker: &Server, api: Option<&Server>, first: &First) {
    let kind = format!("{NAME}.{}.import", first.singular.replace('_', "-"));
    let total = |api: &Server| -> Value {
        let (status, list) = api.call("GET", &format!("/api/v1/{}", first.plural.replace('_', "-")), None, &[]);
        assert_eq!(status, 200, "{list}");
        list["meta"]["total"].clone()
    };
    let data = first.bodies[0];
    assert_eq!(cloud_event(worker, "evt-1", &kind, data), (201, Value::Null));
    if let Some(api) = api {
        assert_eq!(total(api), json!(1));
    }
    // Redelivery of the same event: acknowledged, no second row (its unique values are taken).
    assert_eq!(cloud_event(worker, "evt-1", &kind, data), (200, Value::Null));
    if let Some(api) = api {
        assert_eq!(total(api), json!(1));
    }
    let (status, body) = cloud_event(worker, "evt-2", &kind, "{not json");
    assert_envelope(status, &body, 400, "evt-2");
    let (status, body) = cloud_event(worker, "evt-3", &kind, first.invalid);
    assert_envelope(status, &body, 422, "evt-3");
    let (status, body) = cloud_event(worker, "evt-4", "some.other.type", data);
    assert_envelope(status, &body, 400, "evt-4");
    let (status, _) = worker.call("POST", "/", Some(data), &[("content-type", "application/json")]);
    assert_eq!(status, 400, "a request without ce-* headers is not an event");
    if let Some(api) = api {
        assert_eq!(total(api), json!(1), "a poison event had an effect");
    }
    assert_eq!(worker.call("GET", "/readyz", None, &[]).0, 200);
}

/// `kubectl kustomize DIR` as JSON documents (through `PyYAML` from the lint venv).
fn kustomize(dir: &Path) -> Vec<Value> {
    let output = Command::new("kubectl").arg("kustomize").arg(dir).stdin(Stdio::null()).output().expect("kubectl");
    assert!(
        output.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let venv = Command::new(repo().join("scripts").join("lint-venv.sh")).stdin(Stdio::null()).output().unwrap();
    assert!(venv.status.success(), "scripts/lint-venv.sh failed");
    let venv = String::from_utf8(venv.stdout).unwrap();
    let python = PathBuf::from(venv.lines().last().unwrap().trim()).join("bin").join("python");
    let mut child = Command::new(python)
        .args(["-c", "import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d], sys.stdout)"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&output.stdout).unwrap();
    let json = child.wait_with_output().unwrap();
    assert!(json.status.success(), "PyYAML could not read the kustomize output");
    serde_json::from_slice(&json.stdout).unwrap()
}

fn find<'a>(docs: &'a [Value], api_version: &str, kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["apiVersion"] == api_version && d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {api_version} {kind} {name}"))
}

/// The production essentials of every Knative Service, in the base and in each overlay.
fn check_knative_manifests(project: &Path, db: &str, first: &First) {
    let k8s = project.join("deploy").join("k8s");
    for (dir, namespace, max_scale) in [
        (k8s.join("base"), None, [("api", "10"), ("worker", "5")]),
        (k8s.join("overlays").join("dev"), Some(format!("{NAME}-dev")), [("api", "2"), ("worker", "2")]),
        (k8s.join("overlays").join("prod"), Some(NAME.to_owned()), [("api", "20"), ("worker", "10")]),
    ] {
        let docs = kustomize(&dir);
        let at = dir.display();
        for (app, max) in max_scale {
            let service = find(&docs, "serving.knative.dev/v1", "Service", &format!("{NAME}-{app}"));
            assert_eq!(service["metadata"]["namespace"].as_str(), namespace.as_deref(), "{at}: {app} namespace");
            let template = &service["spec"]["template"];
            let annotations = &template["metadata"]["annotations"];
            assert_eq!(annotations["autoscaling.knative.dev/min-scale"], "0", "{at}: {app} scales to zero");
            assert_eq!(annotations["autoscaling.knative.dev/max-scale"], max, "{at}: {app} max-scale");
            let spec = &template["spec"];
            assert!(spec["containerConcurrency"].as_u64().is_some_and(|c| c > 0), "{at}: {app} containerConcurrency");
            let containers = spec["containers"].as_array().unwrap();
            assert_eq!(containers.len(), 1, "{at}: {app}");
            let c = &containers[0];
            assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz", "{at}: {app}");
            assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz", "{at}: {app}");
            assert_eq!(c["ports"], json!([{"name": "http1", "containerPort": 8080, "protocol": "TCP"}]), "{at}: {app}");
            assert!(c["resources"]["requests"]["cpu"].is_string() && c["resources"]["requests"]["memory"].is_string());
            assert!(c["resources"]["limits"]["cpu"].is_string() && c["resources"]["limits"]["memory"].is_string());
            let sc = &c["securityContext"];
            assert_eq!(sc["runAsNonRoot"], true, "{at}: {app}");
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{at}: {app}");
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{at}: {app}");
            assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]), "{at}: {app}");
            assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{at}: {app}");
            let env = c["env"].as_array().cloned().unwrap_or_default();
            assert!(env.iter().all(|e| e["name"] != "PORT"), "{at}: Knative reserves PORT");
            let secret = env.iter().find(|e| e["name"] == "DATABASE_URL");
            assert_eq!(secret.is_some(), db == "postgres", "{at}: {app} DATABASE_URL");
            if let Some(secret) = secret {
                assert!(secret["valueFrom"]["secretKeyRef"]["name"].is_string(), "{at}: from a Secret");
            }
            let image = c["image"].as_str().unwrap();
            assert!(
                image.contains(&format!("{NAME}-{app}")) || image.ends_with(&format!("/{app}:0.1.0")),
                "{at}: {image}"
            );
        }
        // Neither Service is published by Knative: the API's public paths go through the HTTPRoute.
        for app in ["api", "worker"] {
            let service = find(&docs, "serving.knative.dev/v1", "Service", &format!("{NAME}-{app}"));
            assert_eq!(service["metadata"]["labels"]["networking.knative.dev/visibility"], "cluster-local", "{at}");
        }
        let route = find(&docs, "gateway.networking.k8s.io/v1", "HTTPRoute", &format!("{NAME}-api"));
        let rules = route["spec"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 1, "{at}: one rule");
        assert_eq!(
            rules[0]["matches"],
            json!([{"path": {"type": "PathPrefix", "value": "/api"}}, {"path": {"type": "Exact", "value": "/healthz"}}]),
            "{at}: only /api and /healthz are public"
        );
        if let Some(namespace) = &namespace {
            assert_eq!(
                rules[0]["filters"][0]["urlRewrite"]["hostname"],
                format!("{NAME}-api.{namespace}.svc"),
                "{at}: the Host Knative's local gateway knows the API by"
            );
        }
        find(&docs, "eventing.knative.dev/v1", "Broker", NAME);
        let trigger = find(&docs, "eventing.knative.dev/v1", "Trigger", &format!("{NAME}-import"));
        assert_eq!(trigger["spec"]["broker"], NAME, "{at}");
        assert_eq!(
            trigger["spec"]["filter"]["attributes"]["type"],
            format!("{NAME}.{}.import", first.singular),
            "{at}"
        );
        assert_eq!(
            trigger["spec"]["subscriber"]["ref"],
            json!({"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": format!("{NAME}-worker")}),
            "{at}"
        );
        let config = find(&docs, "v1", "ConfigMap", &format!("{NAME}-config"));
        assert!(config["data"]["PORT"].is_null(), "{at}: Knative reserves PORT");
        let jobs: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Job").collect();
        if db == "postgres" {
            let job = find(&docs, "batch/v1", "Job", &format!("{NAME}-migrate"));
            assert_eq!(job["spec"]["template"]["spec"]["containers"][0]["args"], json!(["migrate"]), "{at}");
        } else {
            assert!(jobs.is_empty(), "{at}: no migration Job without a database");
        }
    }
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn serverless_knative_postgres_builds_tests_and_runs_as_containers_would() {
    let project = KNATIVE_POSTGRES.project();
    let test_url = format!("{}/postgres", postgres_server());
    project.build_and_test(&[("DATABASE_URL", &test_url)]);
    check_knative_manifests(&project.dir, "postgres", &ITEMS);

    let database = format!("archgen_knative_{}", std::process::id());
    psql(&format!("DROP DATABASE IF EXISTS {database}"));
    psql(&format!("CREATE DATABASE {database}"));
    let url = format!("{}/{database}", postgres_server());
    // What the migration Job runs, twice: migrations are idempotent.
    for _ in 0..2 {
        let status = Command::new(e2e::binary(&format!("{NAME}-api")))
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "migrate failed");
    }
    let env = [("DATABASE_URL", url.as_str())];
    let api = start(&format!("{NAME}-api"), &env);
    exercise_knative_api(&api, &ITEMS);
    let worker = start(&format!("{NAME}-worker"), &env);
    exercise_knative_worker(&worker, Some(&api), &ITEMS);
    assert!(worker.terminate().success(), "unclean exit on SIGTERM");
    assert!(api.terminate().success(), "unclean exit on SIGTERM");
    psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn serverless_knative_without_database_builds_tests_and_runs_as_containers_would() {
    let project = KNATIVE_NONE.project();
    project.build_and_test(&[]);
    check_knative_manifests(&project.dir, "none", &PRODUCTS);
    let api = start(&format!("{NAME}-api"), &[]);
    exercise_knative_api(&api, &PRODUCTS);
    // Without a database each process has its own store: the worker's answers (201, then 200
    // for the redelivery) are the evidence.
    let worker = start(&format!("{NAME}-worker"), &[]);
    exercise_knative_worker(&worker, None, &PRODUCTS);
    assert!(worker.terminate().success(), "unclean exit on SIGTERM");
    assert!(api.terminate().success(), "unclean exit on SIGTERM");
}
