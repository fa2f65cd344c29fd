//! Issue 10, the generator: a failure leaves the target as it was, nothing is written outside it,
//! hostile input is refused with one short `error:` line, and every accepted name renders to
//! YAML 1.1 that keeps its types and to Kubernetes names within their limits.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use cargo_archgen::answers::Answers;
use cargo_archgen::cli::NewArgs;
use cargo_archgen::prompt::Defaults;
use predicates::prelude::*;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-archgen");

fn archgen(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).env("GIT_CEILING_DIRECTORIES", dir).timeout(Duration::from_secs(60));
    cmd
}

/// Every entry below `root` (directories, files with contents, links with targets), `.git` too.
fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            if meta.file_type().is_symlink() {
                out.push((relative, fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes()));
            } else if meta.is_dir() {
                out.push((format!("{relative}/"), Vec::new()));
                stack.push(path);
            } else {
                out.push((relative, fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn without_git(tree: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    tree.into_iter().filter(|(path, _)| !path.starts_with(".git/")).collect()
}

fn staging_leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for (path, _) in snapshot(dir) {
        if path.contains(".archgen-staging-") {
            found.push(path);
        }
    }
    found
}

fn one_line_error(stderr: &[u8]) -> (String, String) {
    let text = String::from_utf8(stderr.to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "not one error and one help line: {text:?}");
    assert!(lines[0].starts_with("error: ") && lines[1].starts_with("help: "), "{text:?}");
    assert!(lines[0].len() < 400, "error line of {} bytes", lines[0].len());
    (lines[0].to_owned(), lines[1].to_owned())
}

#[test]
fn force_refuses_anything_in_the_way_and_changes_nothing_inside_or_outside() {
    // A directory where a generated file goes, or a file where a generated directory goes, at
    // several depths, and symbolic links on generated paths (out of the target, to an empty
    // directory, to a full one, inside the target).
    let cases: &[(&str, &str)] = &[
        ("dir:README.md", "a directory where a generated file goes"),
        ("dir:src/main.rs", "a directory where a generated file goes"),
        ("dir:deploy/k8s/base/kustomization.yaml", "a directory where a generated file goes"),
        ("file:src", "a file where a generated directory goes"),
        ("file:deploy/k8s", "a file where a generated directory goes"),
        ("link-out:src", "symbolic link"),
        ("link-empty:deploy", "symbolic link"),
        ("link-out:deploy/k8s", "symbolic link"),
        ("link-in:src", "symbolic link"),
        ("link-out:Cargo.toml", "symbolic link"),
    ];
    for (setup, reason) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("elsewhere");
        fs::create_dir_all(outside.join("empty")).unwrap();
        fs::write(outside.join("keep.txt"), "outside").unwrap();
        let target = tmp.path().join("shop");
        fs::create_dir_all(target.join("mine")).unwrap();
        fs::write(target.join("notes.txt"), "my notes").unwrap();
        let (kind, path) = setup.split_once(':').unwrap();
        let at = target.join(path);
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        match kind {
            "dir" => fs::create_dir_all(&at).unwrap(),
            "file" => fs::write(&at, "mine").unwrap(),
            "link-out" => std::os::unix::fs::symlink(&outside, &at).unwrap(),
            "link-empty" => std::os::unix::fs::symlink(outside.join("empty"), &at).unwrap(),
            _ => std::os::unix::fs::symlink(target.join("mine"), &at).unwrap(),
        }
        let before = snapshot(tmp.path());
        let output = archgen(tmp.path()).args(["new", "shop", "--force"]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{setup}");
        let (error, help) = one_line_error(&output.stderr);
        assert!(error.contains(reason) && error.contains(path), "{setup}: {error}");
        assert!(error.contains("nothing was written"), "{error}");
        assert!(help.contains("--output"), "{help}");
        assert_eq!(snapshot(tmp.path()), before, "{setup}: something changed");
        let dry = archgen(tmp.path()).args(["new", "shop", "--force", "--dry-run"]).output().unwrap();
        assert_eq!(dry.status.code(), Some(1), "{setup}: --dry-run does not say it would fail");
    }
}

#[test]
fn answers_files_that_are_not_small_utf8_text_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("latin1.toml"), b"name = \"caf\xe9\"\n").unwrap();
    fs::write(dir.join("newer.toml"), "archgen_version = \"999.0.0\"\nname = \"shop\"\n").unwrap();
    fs::write(dir.join("pre.toml"), format!("archgen_version = \"{}-rc.1\"\n", env!("CARGO_PKG_VERSION"))).unwrap();
    fs::write(dir.join("notversion.toml"), "name = \"shop\"\narchgen_version = \"latest\"\n").unwrap();
    fs::write(dir.join("platform.toml"), "name = \"shop\"\nstyle = \"microservices\"\nplatform = \"knative\"\n")
        .unwrap();
    fs::write(dir.join("big.toml"), format!("name = \"shop\"\n#{}\n", "x".repeat(70_000))).unwrap();
    fs::create_dir(dir.join("adir.toml")).unwrap();
    assert!(Process::new("mkfifo").arg(dir.join("fifo.toml")).status().unwrap().success());
    let cases: &[(&str, &str, &str)] = &[
        ("latin1.toml", "latin1.toml:1:", "not valid UTF-8"),
        ("newer.toml", "written by cargo-archgen 999.0.0", "upgrade cargo-archgen"),
        ("notversion.toml", "notversion.toml:2:1", "not a version"),
        ("platform.toml", "--platform does not apply to the microservices style", "leave it out"),
        ("big.toml", "larger than 65536 bytes", "--answers"),
        ("adir.toml", "not a regular file", "--answers"),
        ("fifo.toml", "not a regular file", "--answers"),
        ("/dev/zero", "not a regular file", "--answers"),
    ];
    for (file, error_part, anywhere) in cases {
        let started = Instant::now();
        let output = archgen(dir).args(["new", "--no-git", "--answers", file]).output().unwrap();
        assert!(started.elapsed() < Duration::from_secs(20), "{file} hung");
        assert_eq!(output.status.code(), Some(2), "{file}: {}", String::from_utf8_lossy(&output.stderr));
        let (error, help) = one_line_error(&output.stderr);
        assert!(error.contains(error_part), "{file}: {error}");
        assert!(error.contains(anywhere) || help.contains(anywhere), "{file}: {error} / {help}");
    }
    // A pre-release of this version is older than it, so accepted.
    archgen(dir).args(["new", "--no-git", "--answers", "pre.toml", "pre", "--dry-run"]).assert().success();
}

#[test]
fn echoed_input_never_splits_or_floods_the_error_line() {
    let tmp = tempfile::tempdir().unwrap();
    let huge = "x".repeat(100_000);
    for name in ["evil\nerror: forged", "a\r\u{1b}[2Jb", "tab\there", huge.as_str(), "ünï\u{7f}"] {
        for args in [vec!["new", name], vec!["new", "shop", "--style", "microservices", "--services", name]] {
            let output = archgen(tmp.path()).args(&args).arg("--yes").output().unwrap();
            assert_eq!(output.status.code(), Some(2));
            let (error, _) = one_line_error(&output.stderr);
            assert!(!error.contains('\u{1b}') && !error.contains('\r'), "{error:?}");
            assert!(error.chars().count() < 300, "{} characters", error.chars().count());
        }
        let file = tmp.path().join("a.toml");
        fs::write(&file, format!("name = {}\n", toml::Value::String(name.to_owned()))).unwrap();
        let output = archgen(tmp.path()).args(["new", "--answers", "a.toml"]).output().unwrap();
        one_line_error(&output.stderr);
    }
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "something besides a.toml was written");
}

#[test]
fn the_number_of_services_is_capped_and_generation_is_linear_in_it() {
    let tmp = tempfile::tempdir().unwrap();
    let list = |n: usize| (0..n).map(|i| format!("s{i}")).collect::<Vec<_>>().join(",");
    archgen(tmp.path())
        .args(["new", "shop", "--style", "microservices", "--dry-run", "--services", &list(65)])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: 65 services given; a project can have at most 64\nhelp: "));
    // Rendering 64 services costs about 8 times what 8 cost, not 64 times.
    let time = |n: usize| {
        let args = NewArgs {
            name: Some("shop".into()),
            style: Some(cargo_archgen::cli::Style::Microservices),
            services: Some((0..n).map(|i| format!("s{i}")).collect()),
            ..NewArgs::default()
        };
        let answers = Answers::resolve(&args, None, &mut Defaults).unwrap();
        let started = Instant::now();
        let tree = cargo_archgen::render::render(&answers).unwrap();
        (started.elapsed(), tree.values().map(String::len).sum::<usize>())
    };
    let _ = time(8);
    let ((small, small_bytes), (large, large_bytes)) = (time(8), time(64));
    assert!(large_bytes < small_bytes * 12, "output grows faster than the services: {small_bytes} → {large_bytes}");
    assert!(large < small * 24, "8 services: {small:?}, 64 services: {large:?}");
}

#[test]
fn services_named_after_a_crate_of_the_workspace_are_refused_with_a_valid_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    for name in
        ["shop-common", "shop_common", "common", "gateway", "time", "bytes", "tokio", "serde-json", "hyper-util"]
    {
        let output = archgen(tmp.path())
            .args(["new", "shop", "--style", "microservices", "--dry-run", "--services"])
            .arg(format!("users,{name}"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}");
        let (error, help) = one_line_error(&output.stderr);
        assert!(error.starts_with(&format!("error: invalid service name \"{name}\"")), "{error}");
        let suggestion = help.split('"').nth(1).unwrap();
        archgen(tmp.path())
            .args(["new", "shop", "--style", "microservices", "--dry-run", "--services"])
            .arg(format!("users,{suggestion}"))
            .assert()
            .success();
    }
}

/// Names over every length class, separators, digits and near-YAML words.
fn names(seed: u64, count: usize) -> Vec<String> {
    let mut state = seed;
    let mut next = move |bound: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % bound
    };
    let mut out: Vec<String> = ["my_app", "yes-app", "no1", "on-call", "y2", "e1", "x1e3", "nan", "inf", "o0x1", "a"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    while out.len() < count {
        let len = 1 + usize::try_from(next(63)).unwrap();
        let separator = if next(2) == 0 { '-' } else { '_' };
        let mut name = String::new();
        for i in 0..len {
            let c = match next(10) {
                0 if i > 0 && !name.ends_with(separator) && i + 1 < len => separator,
                1 | 2 if i > 0 => char::from(b'0' + u8::try_from(next(10)).unwrap()),
                _ => char::from(b'a' + u8::try_from(next(26)).unwrap()),
            };
            name.push(c);
        }
        out.push(name);
    }
    out
}

/// Every case of the snapshot table with the project (or, for microservices, its first service)
/// renamed, as `new` takes it: resolved, then planned (which checks the derived names' lengths).
fn renamed_cases(project: &str, service: &str) -> Vec<Result<Answers, cargo_archgen::Error>> {
    common::cases()
        .into_iter()
        .map(|case| {
            let mut file = case.to_file();
            file.name = Some(project.to_owned());
            if let Some(first) = file.services.as_mut().and_then(|list| list.first_mut()) {
                // Its resources move with it.
                let owned = format!("{first}/");
                for resource in file.resources.iter_mut().flatten() {
                    if let Some(rest) = resource.strip_prefix(&owned) {
                        *resource = format!("{service}/{rest}");
                    }
                }
                // And its calls.
                for call in file.calls.iter_mut().flatten() {
                    let ends: Vec<&str> = call
                        .split(':')
                        .map(|end| if end == &owned[..owned.len() - 1] { service } else { end })
                        .collect();
                    *call = ends.join(":");
                }
                service.clone_into(first);
            }
            Answers::resolve(&NewArgs::default(), Some(&file), &mut Defaults)
                .and_then(|answers| cargo_archgen::plan::plan(&answers).map(|_| answers))
        })
        .collect()
}

const CHECK_YAML: &str = r#"
import sys, yaml
class Loader(yaml.SafeLoader):
    pass
# CloudFormation's short forms (!Sub, !Ref, …) are tags, not errors.
Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
bad = []
def walk(doc, where):
    if not isinstance(doc, dict):
        return
    meta = doc.get("metadata")
    if isinstance(meta, dict) and "kind" in doc:
        name = meta.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > 63):
            bad.append(f"{where}: metadata.name {name!r}")
        for key in ("labels", "annotations"):
            for k, v in (meta.get(key) or {}).items():
                if not isinstance(v, str) or (key == "labels" and len(v) > 63):
                    bad.append(f"{where}: {key}.{k} = {v!r}")
    for value in doc.values():
        if isinstance(value, dict):
            walk(value, where)
        elif isinstance(value, list):
            for item in value:
                walk(item, where)
for path in sys.argv[1:]:
    with open(path) as f:
        text = f.read()
    try:
        docs = list(yaml.load_all(text, Loader=Loader))
    except yaml.YAMLError as e:
        bad.append(f"{path}: {e}")
        continue
    for doc in docs:
        walk(doc, path)
print("\n".join(bad))
"#;

/// The property: every name that is accepted renders, in every case, to YAML that a YAML 1.1
/// parser (`PyYAML`, as Kubernetes tooling) reads without error, with every Kubernetes name and
/// label value a string of at most 63 characters; and a name refused for its length gets a
/// suggestion that is accepted.
#[test]
fn every_accepted_name_renders_yaml_1_1_and_kubernetes_names_within_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let count: usize = std::env::var("NAMES_N").ok().and_then(|n| n.parse().ok()).unwrap_or(5);
    let (mut accepted, mut files) = (0, Vec::new());
    for (i, name) in names(0x5eed, count).into_iter().enumerate() {
        // The name as the project, then as a service of a project with a long name.
        for (project, service) in [(name.clone(), "users".to_owned()), ("order-platform".to_owned(), name.clone())] {
            let as_service = service == name;
            for (j, answers) in renamed_cases(&project, &service).into_iter().enumerate() {
                if as_service && answers.as_ref().is_ok_and(|a| a.shape.services().is_empty()) {
                    continue; // the same as a project named order-platform
                }
                let answers = match answers {
                    Ok(answers) => answers,
                    Err(cargo_archgen::Error::InvalidName { suggestion, .. }) => {
                        // The suggestion is accepted (a service may still need shortening).
                        let again = renamed_cases(&suggestion, &service).remove(j);
                        let ok = !matches!(again, Err(cargo_archgen::Error::InvalidName { .. }));
                        assert!(ok, "suggestion {suggestion:?} for {project:?}: {again:?}");
                        continue;
                    }
                    Err(cargo_archgen::Error::InvalidService { suggestion, .. }) => {
                        let again = renamed_cases(&project, &suggestion).remove(j);
                        let ok = !matches!(&again, Err(cargo_archgen::Error::InvalidService { name, .. }) if *name == suggestion);
                        assert!(ok, "suggestion {suggestion:?} for {service:?}: {again:?}");
                        continue;
                    }
                    Err(e) => panic!("{project}/{service}: {e}"),
                };
                accepted += 1;
                let tree = cargo_archgen::render::render(&answers).unwrap();
                for (path, body) in
                    tree.iter().filter(|(p, _)| Path::new(p).extension().is_some_and(|e| e == "yaml" || e == "yml"))
                {
                    let out = tmp.path().join(format!("{i}-{}-{j}-{}", files.len(), path.replace('/', "_")));
                    fs::write(&out, body).unwrap();
                    files.push(out);
                }
            }
        }
    }
    assert!(accepted > count, "too few names were accepted ({accepted}) to say anything");
    for chunk in files.chunks(500) {
        let output = Process::new("python3")
            .arg("-c")
            .arg(CHECK_YAML)
            .args(chunk)
            .stderr(Stdio::inherit())
            .output()
            .expect("python3 with PyYAML is installed (see DEVELOPERS.md)");
        assert!(output.status.success());
        let report = String::from_utf8(output.stdout).unwrap();
        assert!(report.trim().is_empty(), "{report}");
    }
}

/// A pseudo-random sequence from a seed, so that a failure can be replayed.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound.max(1)
    }
}

fn kill(pid: u32, signal: &str) {
    let _ = Process::new("kill").args(["-s", signal, &pid.to_string()]).status();
}

/// Runs `args` and sends `signal` after `delay`; returns whether it exited 0, and how it ended.
fn interrupt(dir: &Path, args: &[&str], signal: &str, delay: Duration) -> (bool, &'static str) {
    let child = Process::new(BIN)
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    kill(child.id(), signal);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let ended = match output.status.code() {
        Some(0) => "completed",
        Some(_) => {
            assert_eq!(
                stderr,
                "error: interrupted; nothing was written\nhelp: run the command again when you are ready; the target is as it was\n"
            );
            "interrupted"
        }
        None => "killed",
    };
    (output.status.success(), ended)
}

fn duration(dir: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    archgen(dir).args(args).assert().success();
    started.elapsed()
}

/// SIGTERM, SIGINT and SIGKILL at random points of `new` and of `add service`: the target is
/// absent (or as it was) or complete, and after the next run no staging directory is left, in
/// the parent or in `git status`.
#[test]
fn signals_leave_the_target_absent_or_complete_and_the_next_run_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let runs: u64 = std::env::var("SIGNAL_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(14);
    let mut random = Seeded(std::env::var("SIGNAL_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(10));
    let new = ["new", "shop", "--style", "microservices", "--services", "users,orders", "--output"];
    let spent = duration(dir, &[&new[..], &["reference"]].concat());
    let reference = without_git(snapshot(&dir.join("reference")));
    fs::remove_dir_all(dir.join("reference")).unwrap();
    let signals = ["TERM", "INT", "KILL", "HUP"];
    for run in 0..runs {
        let signal = signals[usize::try_from(run % 4).unwrap()];
        let delay = Duration::from_micros(random.below(u64::try_from(spent.as_micros()).unwrap() * 3 / 2));
        let (ok, ended) = interrupt(dir, &[&new[..], &["target"]].concat(), signal, delay);
        eprintln!("new, {signal} after {delay:?}: {ended}");
        let target = dir.join("target");
        if target.exists() {
            assert_eq!(without_git(snapshot(&target)), reference, "run {run}: {signal} after {delay:?}: incomplete");
            fs::remove_dir_all(&target).unwrap();
        } else {
            assert!(!ok, "run {run}: exit 0 without a target");
        }
        // The next run removes what a SIGKILL left.
        archgen(dir).args([&new[..], &["next"]].concat()).assert().success();
        assert_eq!(staging_leftovers(dir), Vec::<String>::new(), "run {run}: {signal} after {delay:?}");
        fs::remove_dir_all(dir.join("next")).unwrap();
    }

    // `add service` on a project with a repository: staging lives in `.git`.
    archgen(dir).args([&new[..], &["project"]].concat()).assert().success();
    archgen(dir).args([&new[..], &["grown"]].concat()).assert().success();
    let project = dir.join("project");
    let before = without_git(snapshot(&project));
    let add = ["add", "service", "billing", "--path"];
    let spent = duration(dir, &[&add[..], &["grown"]].concat());
    let after = without_git(snapshot(&dir.join("grown")));
    for run in 0..runs {
        let signal = signals[usize::try_from(run % 4).unwrap()];
        let delay = Duration::from_micros(random.below(u64::try_from(spent.as_micros()).unwrap() * 3 / 2));
        let (ok, ended) = interrupt(dir, &[&add[..], &["project"]].concat(), signal, delay);
        eprintln!("add service, {signal} after {delay:?}: {ended}");
        if ended == "killed" {
            // The next run finishes what a SIGKILL left: it rolls a half-done change back, and
            // removes the staging directory of a change that was complete.
            archgen(dir).args(["add", "service", "payments", "--path", "project", "--dry-run"]).assert().success();
        }
        let state = without_git(snapshot(&project));
        let status = git_status(&project);
        assert!(!status.contains("archgen-staging"), "run {run}: staging in git status:\n{status}");
        if state == after {
            // Complete: undo it for the next round (through git, as a user would).
            git_reset(&project);
        } else {
            assert!(!ok, "run {run}: exit 0 but the service is missing");
            assert_eq!(without_git(snapshot(&project)), before, "run {run}: {signal} after {delay:?}: half-applied");
        }
        assert_eq!(staging_leftovers(&project), Vec::<String>::new(), "run {run}");
        assert_eq!(staging_leftovers(dir), Vec::<String>::new(), "run {run}");
    }
}

fn git(project: &Path, args: &[&str]) -> String {
    let out = Process::new("git")
        .current_dir(project)
        .env("GIT_CEILING_DIRECTORIES", project.parent().unwrap())
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn git_status(project: &Path) -> String {
    git(project, &["status", "--porcelain", "--untracked-files=all", "--ignored"])
}

fn git_reset(project: &Path) {
    git(project, &["reset", "--hard", "--quiet"]);
    git(project, &["clean", "-fdq"]);
}

/// Two `add service` runs at once both land: the second waits for the first and reads the
/// answers it recorded.
#[test]
fn concurrent_add_service_runs_serialize_and_keep_every_service() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let new = ["new", "shop", "--style", "microservices", "--services", "users", "--no-git", "--output"];
    archgen(dir).args([&new[..], &["shop"]].concat()).assert().success();
    for round in 0..4 {
        let names = [format!("alpha{round}"), format!("beta{round}")];
        let children: Vec<_> = names
            .iter()
            .map(|name| {
                Process::new(BIN)
                    .current_dir(dir)
                    .args(["add", "service", name, "--path", "shop"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        }
        let recorded = fs::read_to_string(dir.join("shop/archgen.toml")).unwrap();
        for name in &names {
            assert!(recorded.contains(&format!("\"{name}\"")), "round {round}: {name} lost:\n{recorded}");
            assert!(dir.join("shop/services").join(name).join("Cargo.toml").is_file(), "{name}");
        }
    }
}

/// A failure part-way (something in the way of one of the new files) leaves the project
/// byte for byte as it was, the answers included; a rerun after clearing the way succeeds.
#[test]
fn add_service_applies_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let new = ["new", "shop", "--style", "microservices", "--services", "users", "--output", "shop"];
    archgen(dir).args(new).assert().success();
    let project = dir.join("shop");
    let outside = dir.join("elsewhere");
    fs::create_dir(&outside).unwrap();
    for (setup, reason) in [
        ("file:services/billing", "a file where a generated directory goes"),
        ("dir:services/billing/Cargo.toml", "a directory where a generated file goes"),
        ("link:services/billing", "symbolic link"),
        ("link:deploy/k8s/base/billing", "symbolic link"),
    ] {
        let (kind, path) = setup.split_once(':').unwrap();
        let at = project.join(path);
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        match kind {
            "file" => fs::write(&at, "mine").unwrap(),
            "dir" => fs::create_dir_all(&at).unwrap(),
            _ => std::os::unix::fs::symlink(&outside, &at).unwrap(),
        }
        let before = snapshot(dir);
        let output = archgen(dir).args(["add", "service", "billing", "--path", "shop"]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{setup}");
        let (error, _) = one_line_error(&output.stderr);
        assert!(error.contains(reason), "{setup}: {error}");
        assert_eq!(snapshot(dir), before, "{setup}: changed");
        if kind == "dir" {
            fs::remove_dir_all(project.join("services/billing")).unwrap();
        } else {
            fs::remove_file(&at).unwrap();
        }
    }
    archgen(dir).args(["add", "service", "billing", "--path", "shop"]).assert().success();
    assert!(git_status(&project).lines().all(|l| !l.contains("archgen-staging")));
}

/// Project and service names that would make a derived Kubernetes or database name longer than
/// 63 characters are refused, in every style, with a suggestion that is then accepted.
#[test]
fn names_too_long_for_what_is_built_from_them_get_a_suggestion_that_fits() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "a".repeat(60);
    let cases: [(&str, Vec<&str>); 4] = [
        ("name", vec!["--style", "monolith"]),
        ("name", vec!["--style", "microservices"]),
        ("name", vec!["--style", "serverless", "--platform", "knative"]),
        ("service", vec!["--style", "microservices", "--services"]),
    ];
    for (what, args) in cases {
        let run = |name: &str| {
            let mut cmd = archgen(tmp.path());
            if what == "name" {
                cmd.args(["new", name, "--dry-run", "--yes"]).args(&args);
            } else {
                cmd.args(["new", "order-platform", "--dry-run", "--yes"]).args(&args).arg(format!("users,{name}"));
            }
            cmd.output().unwrap()
        };
        let output = run(&long);
        assert_eq!(output.status.code(), Some(2), "{what} {args:?}");
        let (error, help) = one_line_error(&output.stderr);
        assert!(error.contains("would exceed 63 characters"), "{error}");
        let suggestion = help.split('"').nth(1).unwrap();
        if what == "name" {
            // The length the error names is the suggestion's: the one that fits the services too.
            let within = format!("keep it within {} characters", suggestion.len());
            assert!(error.contains(&within), "{error} / {suggestion}");
        }
        assert!(run(suggestion).status.success(), "{what} {args:?}: suggestion {suggestion} refused");
    }
}

/// `update` under signals at random points: the project is as it was or fully updated, and
/// after the next run no staging directory is left; an update undone with git leaves a base to
/// merge against (the pristine commit whose answers the project holds again).
#[test]
fn signals_leave_an_update_undone_or_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let runs: u64 = std::env::var("SIGNAL_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(14);
    let mut random = Seeded(std::env::var("SIGNAL_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(20));
    archgen(dir).args(["new", "shop", "--ci", "github", "--output", "project"]).assert().success();
    archgen(dir).args(["new", "shop", "--ci", "gitlab", "--output", "reference"]).assert().success();
    let project = dir.join("project");
    let before = without_git(snapshot(&project));
    let after = without_git(snapshot(&dir.join("reference")));
    let update = ["update", "--path", "project", "--set", "ci=gitlab"];
    let spent = duration(dir, &update);
    assert_eq!(without_git(snapshot(&project)), after, "an update equals a new project with the answers");
    git_reset(&project);
    let signals = ["TERM", "INT", "KILL", "HUP"];
    for run in 0..runs {
        let signal = signals[usize::try_from(run % 4).unwrap()];
        let delay = Duration::from_micros(random.below(u64::try_from(spent.as_micros()).unwrap() * 3 / 2));
        let (ok, ended) = interrupt(dir, &update, signal, delay);
        eprintln!("update, {signal} after {delay:?}: {ended}");
        if ended == "killed" {
            archgen(dir).args(["update", "--path", "project", "--dry-run"]).assert().success();
        }
        let state = without_git(snapshot(&project));
        if state == after {
            git_reset(&project);
        } else {
            assert!(!ok, "run {run}: exit 0 but not updated");
            assert_eq!(state, before, "run {run}: {signal} after {delay:?}: half-applied");
        }
        assert_eq!(staging_leftovers(&project), Vec::<String>::new(), "run {run}");
    }
}

/// Two `update` runs at once: one applies, the other waits for it and then refuses, as the
/// work tree is no longer clean; the project holds exactly one of the two.
#[test]
fn concurrent_updates_serialize() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    archgen(dir).args(["new", "shop", "--ci", "github", "--output", "shop"]).assert().success();
    let children: Vec<_> = ["ci=gitlab", "ci=none"]
        .iter()
        .map(|setting| {
            Process::new(BIN)
                .current_dir(dir)
                .env("GIT_CEILING_DIRECTORIES", dir)
                .args(["update", "--path", "shop", "--set", setting])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outcomes: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let applied = outcomes.iter().filter(|o| o.status.success()).count();
    assert_eq!(applied, 1, "exactly one applies");
    let refused = outcomes.iter().find(|o| !o.status.success()).unwrap();
    let (error, _) = one_line_error(&refused.stderr);
    assert!(error.starts_with("error: the project has uncommitted work"), "{error}");
    let recorded = fs::read_to_string(dir.join("shop/archgen.toml")).unwrap();
    assert!(recorded.contains("ci = \"gitlab\"") != recorded.contains("ci = \"none\""), "{recorded}");
}
