#!/usr/bin/env python3
"""First-CI-run tier: run the generated pipelines' test jobs as written.

For the GitHub workflow and the GitLab pipeline of each style, generate a fresh project with the
real binary (with git, as a user would), clone it (the checkout), read its CI file and run every
line of the jobs that test with bash (`set -eo pipefail`) in the clone, with the job's environment.
Steps that need the outside world or another toolchain are listed as skipped, with the reason.
Afterwards `git status --porcelain` of the clone must be empty.

Service containers are this machine's services: PostgreSQL on 127.0.0.1:5432 (trust auth; the
databases the job names are created for the job and dropped after it) and NATS JetStream on
127.0.0.1:4222. GitLab service aliases (`postgres`, `nats`) are rewritten to 127.0.0.1 in the job's
variables; a `docker run` of a service image (GitHub's NATS step) is answered by a stand-in
`docker` on PATH that records the port mapping, which is then applied to what the step wrote to
$GITHUB_ENV.

Every case is checked out at the same path with the same CARGO_HOME (the GitLab pipelines' cache
location, `.cargo-home` in the checkout, kept between cases as GitLab's cache would be) and built
into one CARGO_TARGET_DIR: cargo's fingerprints hold the absolute path of each dependency's
sources, so this is what lets every dependency set compile once for both providers.

    scripts/ci-tier.py [--only STYLE/PROVIDER ...] [--binary PATH]

Needs python3 with PyYAML (`--venv` re-executes under target/lint-venv, made by
scripts/lint-venv.sh), git, psql, and the two services. Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
NAME = "shop"
POSTGRES = os.environ.get("ARCHGEN_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
MARKER = "archgen ci-tier"

# (style id, arguments of `cargo archgen new`)
STYLES = [
    ("monolith", ["--style", "monolith", "--db", "postgres"]),
    ("microservices", ["--style", "microservices"]),
    ("aws-lambda", ["--style", "serverless", "--platform", "aws-lambda", "--db", "postgres"]),
    ("knative", ["--style", "serverless", "--platform", "knative", "--db", "postgres"]),
]
PROVIDERS = ["github", "gitlab"]

# Jobs not run, by what they contain (first match wins).
JOB_SKIPS = [
    (
        re.compile(r"cargo \+\d|image: rust:1\.(?!{minor})\d+"),
        "needs an older Rust toolchain: not installed, and no Rust dist server here",
    ),
    (re.compile(r"cargo[- ]deny"), "cargo-deny downloads the RustSec advisory database"),
    (re.compile(r"cargo[- ]lambda|\bsam (build|deploy)"), "SAM/cargo-lambda (PyPI, zig, arm64 cross build, AWS)"),
    (re.compile(r"buildctl|docker/build-push-action"), "builds and pushes container images"),
    (re.compile(r"pip install"), "installs tools from PyPI (scripts/lint-generated.sh runs them)"),
    (
        re.compile(r"kubectl\b.*\bapply\b"),
        "deploys to a Kubernetes cluster (none here: tests/k8s_closure.rs and the linters check the manifests)",
    ),
]
# Lines not run inside a job that runs.
LINE_SKIPS = [
    (re.compile(r"^uses: actions/checkout@"), "the fresh clone is the checkout"),
    (re.compile(r"^uses: Swatinem/rust-cache@"), "a cache"),
    (re.compile(r"^uses: "), "a marketplace action (outside world)"),
    (
        re.compile(r"^rustup (toolchain install|component add)\b"),
        "no Rust dist server here; the installed 1.95 toolchain has rustfmt and clippy",
    ),
]
# A service image's port on this machine (GitHub `docker run` steps).
SERVICE_PORTS = {"postgres": 5432, "nats": 4222}


@dataclass
class Line:
    text: str
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "."


@dataclass
class Job:
    name: str
    env: dict[str, str]
    lines: list[Line]
    skip: str | None = None  # whole job skipped, with the reason
    databases: set[str] = field(default_factory=set)
    ran: int = 0
    mapped: int = 0
    skipped: list[str] = field(default_factory=list)
    mapped_notes: list[str] = field(default_factory=list)
    result: str = "-"
    seconds: float = 0.0


class Failure(Exception):
    pass


# ---------------------------------------------------------------- reading the pipelines


def step_text(step: dict) -> str:
    if "uses" in step:
        return f"uses: {step['uses']}"
    return str(step.get("run", ""))


def github_jobs(doc: dict) -> list[Job]:
    workflow_env = {k: str(v) for k, v in (doc.get("env") or {}).items()}
    jobs = []
    for job_id, spec in (doc.get("jobs") or {}).items():
        env = {**workflow_env, **{k: str(v) for k, v in (spec.get("env") or {}).items()}}
        lines = []
        for step in spec.get("steps") or []:
            step_env = {k: str(v) for k, v in (step.get("env") or {}).items()}
            lines.append(Line(step_text(step), step_env, step.get("working-directory", ".")))
        job = Job(job_id, env, lines)
        job.skip = job_skip("\n".join(line.text for line in lines) + yaml.safe_dump(spec))
        for service in (spec.get("services") or {}).values():
            if db := (service.get("env") or {}).get("POSTGRES_DB"):
                job.databases.add(str(db))
        jobs.append(job)
    return jobs


def merged(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def resolve_extends(doc: dict, spec: dict) -> dict:
    parents = spec.get("extends") or []
    if isinstance(parents, str):
        parents = [parents]
    base: dict = {}
    for parent in parents:
        base = merged(base, resolve_extends(doc, doc[parent]))
    return merged(base, {k: v for k, v in spec.items() if k != "extends"})


def variables(raw: dict | None) -> dict[str, str]:
    out = {}
    for key, value in (raw or {}).items():
        out[key] = str(value["value"] if isinstance(value, dict) else value)
    return out


def expand(value: str, known: dict[str, str]) -> str:
    return re.sub(
        r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
        lambda m: known.get(m.group(1), m.group(0)),
        value,
    )


def service_aliases(services: list) -> list[str]:
    aliases = []
    for entry in services or []:
        service = {"name": entry} if isinstance(entry, str) else entry
        image = service["name"].split(":")[0].split("/")[-1]
        aliases.append(service.get("alias") or image)
    return aliases


def to_loopback(key: str, value: str, aliases: list[str]) -> str:
    """A service's host name in a URL, or as the whole value of a `*_HOST` variable, becomes 127.0.0.1."""
    for alias in aliases:
        if key.endswith("HOST") and value == alias:
            return "127.0.0.1"
        value = re.sub(rf"(://(?:[^@/\s]*@)?){re.escape(alias)}(?=[:/]|$)", r"\g<1>127.0.0.1", value)
    return value


KEYWORDS = {
    "default", "include", "stages", "variables", "workflow", "image", "services", "cache",
    "before_script", "after_script",
}  # fmt: skip


def gitlab_jobs(doc: dict, project: Path) -> list[Job]:
    predefined = {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PROJECT_DIR": str(project),
        "CI_PROJECT_NAME": project.name,
    }
    default = doc.get("default") or {}
    jobs = []
    for job_id, raw in doc.items():
        if job_id in KEYWORDS or job_id.startswith(".") or not isinstance(raw, dict):
            continue
        spec = resolve_extends(doc, raw)
        known = {**predefined, "CI_JOB_NAME": job_id}
        env: dict[str, str] = {}
        for key, value in {**variables(doc.get("variables")), **variables(spec.get("variables"))}.items():
            env[key] = expand(value, {**known, **env})
        aliases = service_aliases(spec.get("services", default.get("services")))
        env = {key: to_loopback(key, value, aliases) for key, value in env.items()}
        script = [
            *(spec.get("before_script", default.get("before_script")) or []),
            *(spec.get("script") or []),
        ]
        lines = [Line(str(text)) for text in script]
        job = Job(job_id, {**known, **env}, lines)
        job.skip = job_skip(yaml.safe_dump(spec))
        if aliases:
            job.mapped_notes.append(f"services {', '.join(aliases)}: host names rewritten to 127.0.0.1 in variables")
        if db := env.get("POSTGRES_DB"):
            job.databases.add(db)
        jobs.append(job)
    return jobs


@functools.cache
def installed_minor() -> str:
    """`95` for rustc 1.95.x: a `rust:1.95-…` image is this machine's toolchain."""
    version = subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=True).stdout
    return version.split()[1].split(".")[1]


def job_skip(text: str) -> str | None:
    for pattern, reason in JOB_SKIPS:
        if re.search(pattern.pattern.replace("{minor}", installed_minor()), text):
            return reason
    return None


def line_skip(text: str) -> str | None:
    for pattern, reason in LINE_SKIPS:
        if pattern.search(text.strip()):
            return reason
    return None


# ---------------------------------------------------------------- services


def psql(sql: str, database: str = "postgres") -> str:
    done = subprocess.run(
        ["psql", f"{POSTGRES}/{database}", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise Failure(f"psql failed: {sql}\n{done.stderr}")
    return done.stdout.strip()


def postgres_databases(env: dict[str, str]) -> set[str]:
    names = set()
    for value in env.values():
        match = re.match(r"postgres(?:ql)?://[^/]*@(?:127\.0\.0\.1|localhost):5432/([A-Za-z0-9_]+)", value)
        if match:
            names.add(match.group(1))
    return names


def create_database(name: str) -> None:
    exists = psql(
        f"SELECT coalesce(shobj_description(oid, 'pg_database'), '-') FROM pg_database WHERE datname = '{name}'"
    )
    if exists and exists != MARKER:
        raise Failure(f"database {name} exists and is not ours (no '{MARKER}' comment): someone is using it")
    if exists:
        drop_database(name)
    psql(f"CREATE DATABASE {name}")
    psql(f"COMMENT ON DATABASE {name} IS '{MARKER}'")


def drop_database(name: str) -> None:
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------- running


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Failure(f"`{shlex.join(cmd)}` failed in {cwd}:\n{done.stdout}{done.stderr}")


def base_env(work: Path, target: Path, cargo_home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CARGO", "RUSTFLAGS", "RUSTDOCFLAGS", "RUSTC", "GITHUB_", "CI_"))
    }
    env["PATH"] = f"{work / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["CARGO_TARGET_DIR"] = str(target)
    env["CARGO_HOME"] = str(cargo_home)
    env["CI"] = "true"
    env["ARCHGEN_TIER_PORTS"] = str(work / "ports")
    return env


def github_runner_env(project: Path, work: Path) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(project),
        "GITHUB_ENV": str(work / "github_env"),
        "RUNNER_TEMP": str(work / "runner-temp"),
    }


def apply_port_map(value: str, ports: dict[str, str]) -> str:
    for host_port, local_port in ports.items():
        value = re.sub(rf"(localhost|127\.0\.0\.1):{host_port}\b", f"127.0.0.1:{local_port}", value)
    return value


def run_job(job: Job, project: Path, env: dict[str, str], work: Path) -> None:
    github_env = work / "github_env"
    ports_file = work / "ports"
    extra: dict[str, str] = {}
    for line in job.lines:
        text = line.text.strip()
        if reason := line_skip(text):
            job.skipped.append(f"`{short(text)}`: {reason}")
            continue
        if "${{" in text:
            raise Failure(f"job {job.name}: cannot run as written (GitHub expression): {text}")
        github_env.write_text("")
        ports_file.write_text("")
        step_env = {**env, **job.env, **extra, **line.env}
        started = time.monotonic()
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", f"set -eo pipefail\n{line.text}"],
            cwd=project / line.workdir,
            env=step_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        took = time.monotonic() - started
        if done.returncode != 0:
            tail = "\n".join(done.stdout.splitlines()[-200:])
            raise Failure(f"job {job.name}, line `{text}` exited {done.returncode} after {took:.0f}s:\n{tail}")
        ports = dict(row.split() for row in ports_file.read_text().splitlines() if row.strip())
        if ports:
            job.mapped += 1
            job.mapped_notes.append(f"`{short(text)}`: ran with the docker stand-in (host ports {ports})")
        else:
            job.ran += 1
        for row in github_env.read_text().splitlines():
            if "=" in row:
                key, value = row.split("=", 1)
                extra[key] = apply_port_map(value, ports)
        print(f"    {job.name}: ok {took:5.0f}s  {short(text)}", flush=True)


def short(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= 60 else one[:57] + "..."


def docker_stand_in(argv: list[str]) -> int:
    """`docker run -d ... -p HOST:CONTAINER IMAGE ...` of a known service image: record the mapping."""
    if not argv or argv[0] != "run":
        print(f"ci-tier: docker stand-in supports only `docker run` of a service: {argv}", file=sys.stderr)
        return 1
    args = argv[1:]
    host_port = None
    image = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-p", "--publish"):
            host_port = args[i + 1].split(":")[0]
            i += 2
        elif arg in ("--name", "-e", "--env", "--health-cmd"):
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            image = arg.split(":")[0].split("/")[-1]
            break
    if image not in SERVICE_PORTS or host_port is None:
        print(f"ci-tier: no local stand-in for image {image!r}", file=sys.stderr)
        return 1
    with open(os.environ["ARCHGEN_TIER_PORTS"], "a", encoding="utf-8") as ports:
        ports.write(f"{host_port} {SERVICE_PORTS[image]}\n")
    print(f"ci-tier: {image} is this machine's service on 127.0.0.1:{SERVICE_PORTS[image]}")
    return 0


@dataclass
class Case:
    style: str
    provider: str
    jobs: list[Job] = field(default_factory=list)
    result: str = "not run"
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def run_case(case: Case, new_args: list[str], binary: Path, work: Path, target: Path, cache: Path) -> None:
    generated = work / "generated"
    project = work / NAME
    for path in (generated, project):
        if path.exists():
            shutil.rmtree(path)
    run(
        [str(binary), "new", NAME, "--yes", "--ci", case.provider, *new_args, "--output", str(generated)],
        cwd=work,
    )
    run(["git", "clone", "--quiet", str(generated), str(project)], cwd=work)
    cargo_home = project / ".cargo-home"
    cache.rename(cargo_home)  # restore the cache, as GitLab would
    try:
        env = base_env(work, target, cargo_home)
        if case.provider == "github":
            doc = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
            case.jobs = github_jobs(doc)
            env.update(github_runner_env(project, work))
        else:
            doc = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
            case.jobs = gitlab_jobs(doc, project)
        (work / "runner-temp").mkdir(exist_ok=True)
        for job in case.jobs:
            if job.skip:
                job.result = "SKIPPED"
                job.skipped.insert(0, f"job: {job.skip}")
                continue
            print(f"==> {case.style}/{case.provider}: job {job.name}", flush=True)
            databases = (
                job.databases
                | postgres_databases(job.env)
                | postgres_databases({k: v for line in job.lines for k, v in line.env.items()})
            )
            started = time.monotonic()
            try:
                for name in sorted(databases):
                    create_database(name)
                run_job(job, project, env, work)
                job.result = "ok"
            except Failure as err:  # the other jobs still run, as in CI
                job.result = "FAILED"
                case.failures.append(str(err))
            finally:
                job.seconds = time.monotonic() - started
                for name in sorted(databases):
                    drop_database(name)
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if status.strip():
            case.failures.append(f"the first CI run left the tree dirty (git status --porcelain):\n{status}")
    finally:
        cargo_home.rename(cache)  # save the cache


def table(cases: list[Case]) -> str:
    rows = [f"  {'job':<16} {'result':<8} {'ran':>3} {'mapped':>6} {'skipped':>7} {'time':>6}"]
    for case in cases:
        rows.append(f"{case.style}/{case.provider}: {case.result} ({case.seconds:.0f}s)")
        for job in case.jobs:
            rows.append(
                f"  {job.name:<16} {job.result:<8} {job.ran:>3} {job.mapped:>6} {len(job.skipped):>7}"
                f" {job.seconds:>5.0f}s"
            )
            rows.extend(f"      mapped:  {note}" for note in job.mapped_notes)
            rows.extend(f"      skipped: {reason}" for reason in job.skipped)
    return "\n".join(rows)


def main() -> int:
    if sys.argv[1:2] == ["--docker-stand-in"]:
        return docker_stand_in(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="STYLE/PROVIDER, e.g. knative/gitlab")
    parser.add_argument("--binary", type=Path, help="cargo-archgen to generate with (default: build it)")
    parser.add_argument(
        "--target-dir",
        type=Path,
        # Outside the clone, like a CI cache: a fresh clone of this repository builds the
        # pipelines' -D warnings dependency sets once per machine, not once per run.
        default=Path(os.environ.get("ARCHGEN_CI_TIER_TARGET", Path.home() / ".cache/archgen-ci-tier/target")),
    )
    opts = parser.parse_args()

    binary = opts.binary
    if binary is None:
        run(["cargo", "build", "--locked", "--quiet"], cwd=REPO)
        binary = REPO / "target/debug/cargo-archgen"
    if not answers(5432) or not answers(4222):
        print("ci-tier: PostgreSQL (127.0.0.1:5432) and NATS (127.0.0.1:4222) must answer", file=sys.stderr)
        return 1

    # A fixed path (one run at a time, under a lock) so fingerprints stay valid between runs.
    work = Path(tempfile.gettempdir()) / f"archgen-ci-tier-{os.getuid()}"
    (work / "bin").mkdir(parents=True, exist_ok=True)
    lock = open(work / "lock", "w", encoding="utf-8")  # noqa: SIM115 (held until exit)
    fcntl.flock(lock, fcntl.LOCK_EX)
    stand_in = work / "bin/docker"
    stand_in.write_text(
        f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(__file__)} --docker-stand-in "$@"\n'
    )
    stand_in.chmod(0o755)
    cache = work / "cargo-home"
    cache.mkdir(exist_ok=True)
    if (work / NAME / ".cargo-home").exists():  # an interrupted run: keep its downloads
        shutil.rmtree(cache)
        (work / NAME / ".cargo-home").rename(cache)

    cases = [
        Case(style, provider)
        for style, _ in STYLES
        for provider in PROVIDERS
        if not opts.only or f"{style}/{provider}" in opts.only
    ]
    new_args = dict(STYLES)
    started = time.monotonic()
    for case in cases:
        case_started = time.monotonic()
        try:
            run_case(case, new_args[case.style], binary, work, opts.target_dir.resolve(), cache)
        except Failure as err:
            case.failures.append(str(err))
        case.result = "FAILED" if case.failures else "ok"
        case.seconds = time.monotonic() - case_started
    for case in cases:
        for failure in case.failures:
            print(f"\nci-tier: {case.style}/{case.provider} FAILED: {failure}", file=sys.stderr)
    print("\n== first CI run: summary", flush=True)
    print(table(cases))
    print(f"total {time.monotonic() - started:.0f}s")
    return 1 if any(case.failures for case in cases) else 0


if __name__ == "__main__":
    sys.exit(main())
