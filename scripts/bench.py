#!/usr/bin/env python3
"""Whole-process benchmarks of cargo-archgen and what it generates, side by side with Loco.

    python3 scripts/bench.py            # writes BENCHMARKS.md (about 25 minutes on 2 cores)
    python3 scripts/bench.py --quick    # fewer runs, no release builds (a smoke test)

Installs what it needs (hyperfine is not needed; wrk from Debian, loco from crates.io) and stops
every process it starts. Timing is reported, never asserted: budgets print PASS or FAIL.
Peak memory is the largest resident set of any one process of the command (wait4's ru_maxrss).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.gettempdir()) / "archgen-bench"
PG = os.environ.get("ARCHGEN_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
MIB = 1024 * 1024

# The largest case of each style, and the default case of each style for the weight table.
LARGEST = {
    "monolith": ["--style", "monolith", "--db", "postgres", "--ci", "github"],
    "microservices": ["--style", "microservices", "--services", "users,orders,billing,catalog,shipping",
                      "--events", "nats", "--ci", "github"],
    "serverless": ["--style", "serverless", "--platform", "aws-lambda", "--db", "postgres", "--ci", "github"],
}
DEFAULTS = {
    "monolith": ["--style", "monolith"],
    "microservices": ["--style", "microservices"],
    "serverless": ["--style", "serverless"],
}


@dataclass
class Run:
    seconds: float
    peak_bytes: int
    code: int


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, quiet: bool = True) -> Run:
    """Runs a command to completion: wall time, peak RSS of its largest process, exit code."""
    out = subprocess.DEVNULL if quiet else None
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss * 1024, proc.returncode)


def must(cmd: list[str], **kw) -> None:
    result = subprocess.run(cmd, stdin=subprocess.DEVNULL, **kw)
    if result.returncode != 0:
        sys.exit(f"bench: `{' '.join(map(str, cmd))}` failed")


def spread(values: list[float], fmt) -> str:
    """Median with min–max beside it."""
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def ms(v: float) -> str:
    return f"{v * 1000:.1f} ms"


def mib(v: float) -> str:
    return f"{v / MIB:.1f} MiB"


def secs(v: float) -> str:
    return f"{v:.1f} s"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# ---------------------------------------------------------------------------------------------
# Tools


def ensure_tools() -> dict:
    if shutil.which("wrk") is None:
        must(["apt-get", "install", "-y", "-q", "wrk"], stdout=subprocess.DEVNULL)
    must(["cargo", "build", "--release", "--locked", "--quiet"], cwd=REPO)
    archgen = REPO / "target" / "release" / "cargo-archgen"
    loco = shutil.which("loco")
    if loco is None:
        print("bench: installing loco (cargo install loco --locked)", flush=True)
        must(["cargo", "install", "loco", "--locked", "--quiet"])
        loco = shutil.which("loco") or str(Path.home() / ".cargo" / "bin" / "loco")
    return {"archgen": str(archgen), "loco": loco}


def available_styles(archgen: str) -> list[str]:
    styles = []
    for style, args in DEFAULTS.items():
        probe = subprocess.run([archgen, "new", "probe", *args, "--dry-run", "--yes"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        if probe.returncode == 0:
            styles.append(style)
    return styles


def loco_new(loco: str, parent: Path, name: str) -> list[str]:
    # The REST API starter, offline, answered entirely by flags.
    return [loco, "new", "--name", name, "--path", str(parent), "--db", "sqlite", "--bg", "async",
            "--assets", "none", "--allow-in-git-repo"]


# ---------------------------------------------------------------------------------------------
# 1. Generation


def settle() -> None:
    """Flushes the file system and waits out ext4's delay on reusing freed inodes.

    Without a journal, ext4 skips inodes freed within the last minute (longer while their blocks
    are unflushed) when it allocates new ones, so right after many deletions (the previous bench,
    `cargo install`) creating files is several times slower, and more so for whoever creates more.
    """
    os.sync()
    time.sleep(61)


def bench_generation(tools: dict, styles: list[str], runs: int, root: Path) -> tuple[list[str], dict]:
    # Every run writes a fresh directory and nothing is deleted until the section is over (see
    # `settle`), so each command meets the file system as a user's first run would.
    gen = root / f"archgen-gen-{os.getpid()}"
    gen.mkdir(parents=True)
    commands: dict[str, tuple[list[str], str]] = {}
    for style in styles:
        commands[f"cargo-archgen new ({style}, largest case)"] = (
            [tools["archgen"], "new", "shop", *LARGEST[style], "--yes", "--output", "{out}"], "{out}")
    commands["cargo new"] = (["cargo", "new", "--vcs", "git", "--quiet", "{out}"], "{out}")
    commands["loco new (REST API starter)"] = (loco_new(tools["loco"], Path("{parent}"), "out"), "{parent}/out")
    results: dict[str, list[Run]] = {name: [] for name in commands}
    files: dict[str, int] = {}
    count = 0
    for _ in range(runs):  # interleaved: one of each per round
        for name, (template, out_template) in commands.items():
            count += 1
            parent = gen / str(count)
            parent.mkdir()
            fill = lambda arg: arg.replace("{parent}", str(parent)).replace("{out}", str(parent / "out"))
            cmd = [fill(arg) for arg in template]
            r = run(cmd, cwd=parent)
            if r.code != 0:
                sys.exit(f"bench: {name} failed: {' '.join(cmd)}")
            results[name].append(r)
            out = Path(fill(out_template))
            files[name] = sum(1 for p in out.rglob("*") if p.is_file() and ".git" not in p.parts)
    shutil.rmtree(gen, ignore_errors=True)
    cargo_new = statistics.median(r.seconds for r in results["cargo new"])
    lines = ["| command | wall time, median (min–max) | peak memory | files written | ÷ `cargo new` |",
             "| --- | --- | --- | --- | --- |"]
    for name, rs in results.items():
        t = [r.seconds for r in rs]
        lines.append(f"| {name} | {spread(t, ms)} | {spread([r.peak_bytes for r in rs], mib)} | {files[name]} "
                     f"| {statistics.median(t) / cargo_new:.2f}× |")
    largest = max((statistics.median(r.seconds for r in rs), n) for n, rs in results.items()
                  if n.startswith("cargo-archgen"))
    return lines, {"largest_ratio": largest[0] / cargo_new, "largest_name": largest[1]}


# ---------------------------------------------------------------------------------------------
# 2. Weight of generated projects


def lock_packages(project: Path) -> int:
    return len(re.findall(r"^\[\[package\]\]", (project / "Cargo.lock").read_text(), flags=re.M))


def target_dir(name: str) -> Path:
    return WORK / "targets" / re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def cold_build(project: Path, target: Path, release: bool) -> Run:
    """A build from nothing but the fetched sources, in its own target dir."""
    shutil.rmtree(target / ("release" if release else "debug"), ignore_errors=True)
    env = {**os.environ, "CARGO_TARGET_DIR": str(target), "CARGO_INCREMENTAL": "0"}
    cmd = ["cargo", "build", "--quiet", "--offline"] + (["--release"] if release else [])
    r = run(cmd, cwd=project, env=env)
    if r.code != 0:
        sys.exit(f"bench: cold build failed in {project}")
    return r


def largest_binary(target: Path) -> int:
    """Size of the largest executable in target/release after `strip`."""
    sizes = []
    for p in (target / "release").iterdir():
        if p.is_file() and os.access(p, os.X_OK) and not p.name.endswith((".d", ".so")):
            subprocess.run(["strip", str(p)], stderr=subprocess.DEVNULL, check=False)
            sizes.append(p.stat().st_size)
    return max(sizes, default=0)


def bench_weight(tools: dict, styles: list[str], release: bool) -> tuple[list[str], dict]:
    weights = WORK / "weight"
    shutil.rmtree(weights, ignore_errors=True)
    weights.mkdir(parents=True)
    projects = {}
    for style in styles:
        out = weights / style
        must([tools["archgen"], "new", "shop", *DEFAULTS[style], "--yes", "--no-git", "--output", str(out)],
             stdout=subprocess.DEVNULL)
        projects[f"cargo-archgen {style} (defaults)"] = out
    must(loco_new(tools["loco"], weights, "lococheck"), cwd=weights, stdout=subprocess.DEVNULL)
    projects["Loco REST API starter"] = weights / "lococheck"
    lines = ["| project | Cargo.lock packages | cold debug build | peak memory | cold release build | "
             "release binary (stripped) |", "| --- | --- | --- | --- | --- | --- |"]
    facts = {}
    for name, project in projects.items():
        must(["cargo", "fetch", "--quiet"], cwd=project)
        target = target_dir(name)
        debug = cold_build(project, target, release=False)
        rel_time, size = "not run", 0
        if release:
            rel_time = secs(cold_build(project, target, release=True).seconds)
            size = largest_binary(target)
        packages = lock_packages(project)
        facts[name] = {"packages": packages, "debug": debug.seconds, "peak": debug.peak_bytes, "size": size,
                       "project": project, "target": target}
        lines.append(f"| {name} | {packages} | {secs(debug.seconds)} | {mib(debug.peak_bytes)} | {rel_time} "
                     f"| {size / 1e6:.1f} MB |")
    return lines, facts


# ---------------------------------------------------------------------------------------------
# 3. Generated service at runtime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(port: int, path: str) -> int:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64).decode(errors="replace")
            return int(head.split(" ")[1]) if head.startswith("HTTP/") else 0
    except OSError:
        return 0


def time_to_ready(cmd: list[str], env: dict, port: int, path: str, cwd: Path | None = None):
    """Starts the service; returns (process, seconds from exec to the first 200 on path)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = start + 60
    while time.perf_counter() < deadline:
        if http_status(port, path) == 200:
            return proc, time.perf_counter() - start
        if proc.poll() is not None:
            sys.exit(f"bench: {cmd[0]} exited with {proc.returncode} before it was ready")
        time.sleep(0.0005)
    stop(proc)
    sys.exit(f"bench: {cmd[0]} was not ready within 60 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def rss(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) * 1024


def wrk(port: int, path: str, seconds: int, *options: str) -> tuple[float, float]:
    """req/s and p99 of wrk -t2 -c50 on path; any answer but a 2xx or 3xx ends the benchmark."""
    out = subprocess.run(["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", *options,
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        sys.exit(f"bench: answers other than 2xx under wrk:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


def psql(sql: str) -> None:
    must(["psql", f"{PG}/postgres", "-qc", sql], stdout=subprocess.DEVNULL)


def bench_runtime(weight: dict, runs: int, wrk_seconds: int) -> tuple[list[str], dict]:
    """Runs the release builds the weight section made (built again here if it skipped them)."""
    mono, loco = weight["cargo-archgen monolith (defaults)"], weight["Loco REST API starter"]
    for facts in (mono, loco):
        must(["cargo", "build", "--release", "--quiet", "--offline"], cwd=facts["project"],
             env={**os.environ, "CARGO_TARGET_DIR": str(facts["target"])})
    binary = mono["target"] / "release" / "shop"
    database = "archgen_bench"
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"{PG}/{database}", "PORT": str(port), "HOST": "127.0.0.1",
           "LOG_FORMAT": "json", "RUST_LOG": "info"}
    must([str(binary), "migrate"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    loco_dir = loco["project"]
    loco_bin = loco["target"] / "release" / f"{loco_dir.name}-cli"
    loco_port = free_port()
    loco_env = {**os.environ, "LOCO_ENV": "development", "PORT": str(loco_port), "BINDING": "127.0.0.1"}

    ready, idle, loco_ready, loco_idle = [], [], [], []
    for _ in range(runs):  # interleaved
        proc, t = time_to_ready([str(binary), "serve"], env, port, "/readyz")
        time.sleep(1)
        ready.append(t)
        idle.append(rss(proc.pid))
        stop(proc)
        proc, t = time_to_ready([str(loco_bin), "start", "--environment", "development"], loco_env, loco_port,
                                "/_ping", cwd=loco_dir)
        time.sleep(1)
        loco_ready.append(t)
        loco_idle.append(rss(proc.pid))
        stop(proc)

    proc, _ = time_to_ready([str(binary), "serve"], env, port, "/readyz")
    for i in range(20):
        body = json.dumps({"name": f"bench-{i}", "description": "seed"}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/items", data=body,
                                     headers={"content-type": "application/json"})
        urllib.request.urlopen(req).read()
    healthz = wrk(port, "/healthz", wrk_seconds)
    listing = wrk(port, "/api/v1/items?page=1&per_page=20", wrk_seconds)
    stop(proc)
    proc, _ = time_to_ready([str(loco_bin), "start", "--environment", "development"], loco_env, loco_port, "/_ping",
                            cwd=loco_dir)
    ping = wrk(loco_port, "/_ping", wrk_seconds)
    stop(proc)
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")

    lines = ["| service | exec → first 200 | idle RSS | req/s (p99) |", "| --- | --- | --- | --- |",
             f"| cargo-archgen monolith, `/readyz` (postgres) | {spread(ready, ms)} | {spread(idle, mib)} | — |",
             f"| cargo-archgen monolith, `/healthz` | — | — | {healthz[0]:,.0f} ({healthz[1] * 1000:.2f} ms) |",
             f"| cargo-archgen monolith, `GET /api/v1/items?per_page=20` | — | — | {listing[0]:,.0f} "
             f"({listing[1] * 1000:.2f} ms) |",
             f"| Loco REST API starter, `/_ping` | {spread(loco_ready, ms)} | {spread(loco_idle, mib)} | "
             f"{ping[0]:,.0f} ({ping[1] * 1000:.2f} ms) |"]
    facts = {"ready": statistics.median(ready), "idle": statistics.median(idle),
             "healthz_rps": healthz[0], "ping_rps": ping[0]}
    return lines, facts


# ---------------------------------------------------------------------------------------------
# 4. The list endpoint under load (issue #10: 1 in 84,000 list requests got 503 with 50 clients
# and a pool of 10): a fixed number of requests over 50 keep-alive connections, every answer
# counted by status. The client is asyncio on raw sockets, so nothing needs installing; it runs on
# the same cores as the service, which lowers throughput and adds to latency.

LOAD_CONNECTIONS = 50
LOAD_REQUESTS = 100_000
LOAD_SEED_ROWS = 200


async def _load(port: int, path: str, connections: int, total: int) -> dict:
    import asyncio

    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    errors: list[str] = []
    left = total

    async def body(reader, head: bytes) -> None:
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if length:
            await reader.readexactly(int(length.group(1)))
            return
        while True:  # chunked
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                return

    async def client() -> None:
        nonlocal left
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while left > 0:
            left -= 1
            start = time.perf_counter()
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                await body(reader, head)
            except (OSError, asyncio.IncompleteReadError) as e:
                errors.append(type(e).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            latencies.append(time.perf_counter() - start)
            status = int(head[9:12])
            statuses[status] = statuses.get(status, 0) + 1
            if re.search(rb"(?im)^connection:\s*close", head):
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return {"seconds": time.perf_counter() - start, "statuses": statuses, "latencies": sorted(latencies),
            "errors": errors}


def load(port: int, path: str, connections: int, total: int) -> dict:
    import asyncio

    return asyncio.run(_load(port, path, connections, total))


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))] if sorted_values else 0.0


def bench_list_load(archgen: str, requests: int) -> tuple[list[str], dict]:
    """Generates a monolith with PostgreSQL, builds it in release, migrates, seeds, serves it with
    its default pool and drives `GET /api/v1/items` with 50 keep-alive connections."""
    project = WORK / "list-load" / "shop"
    shutil.rmtree(project.parent, ignore_errors=True)
    project.parent.mkdir(parents=True)
    must([archgen, "new", "shop", *LARGEST["monolith"], "--yes", "--no-git", "--output", str(project)],
         stdout=subprocess.DEVNULL)
    target = target_dir("list-load")
    must(["cargo", "fetch", "--quiet"], cwd=project)
    must(["cargo", "build", "--release", "--quiet", "--offline", "--locked"], cwd=project,
         env={**os.environ, "CARGO_TARGET_DIR": str(target)})
    database = "archgen_bench_list"
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    port = free_port()
    # The service's own defaults (pool size included): only where to listen and what to reach.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env.update({"DATABASE_URL": f"{PG}/{database}", "PORT": str(port), "HOST": "127.0.0.1",
                "LOG_FORMAT": "json", "RUST_LOG": "warn"})
    binary = target / "release" / "shop"
    must([str(binary), "migrate"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc, _ = time_to_ready([str(binary), "serve"], env, port, "/readyz")
    try:
        for i in range(LOAD_SEED_ROWS):
            body = json.dumps({"name": f"item-{i}", "description": "seeded by scripts/bench.py"}).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/items", data=body,
                                         headers={"content-type": "application/json"})
            urllib.request.urlopen(req).read()
        load(port, "/api/v1/items", LOAD_CONNECTIONS, 2_000)  # warm-up: pool filled, caches warm
        result = load(port, "/api/v1/items", LOAD_CONNECTIONS, requests)
    finally:
        stop(proc)
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    lat = result["latencies"]
    answered = sum(result["statuses"].values())
    not_2xx = sum(n for status, n in result["statuses"].items() if not 200 <= status < 300)
    statuses = ", ".join(f"{status}: {n:,}" for status, n in sorted(result["statuses"].items()))
    lines = ["| requests | connections | pool | wall time | req/s | p50 | p90 | p99 | p99.9 | max "
             "| statuses | non-2xx | connection errors |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
             f"| {requests:,} | {LOAD_CONNECTIONS} | default (10) | {secs(result['seconds'])} "
             f"| {answered / result['seconds']:,.0f} | {ms(percentile(lat, 0.50))} | {ms(percentile(lat, 0.90))} "
             f"| {ms(percentile(lat, 0.99))} | {ms(percentile(lat, 0.999))} | {ms(lat[-1] if lat else 0)} "
             f"| {statuses} | {not_2xx} | {len(result['errors'])} |"]
    return lines, {"not_2xx": not_2xx, "errors": len(result["errors"])}


def list_load_section(requests: int, lines: list[str]) -> list[str]:
    return [f"## 4. `GET /api/v1/items` under load ({requests:,} requests, {LOAD_CONNECTIONS} keep-alive "
            f"connections, {LOAD_SEED_ROWS} rows)", "",
            "Release build of the monolith with PostgreSQL (loopback) and its default pool; the client "
            "(asyncio, in `scripts/bench.py`) shares the cores with the service. Every answer must be a "
            "2xx (issue #10: 1 in 84,000 got 503 with these 50 clients and a pool of 10).", "", *lines, ""]


# ---------------------------------------------------------------------------------------------
# 5. What a feature costs at runtime: `GET /api/v1/items/{id}` (random ids among the seeded rows)
# through a release build of the monolith without it and with it, started in turn (interleaved
# rounds, the median of each), beside PostgreSQL's own ceiling for a read by primary key
# (`pgbench -S`, the same 50 clients). One project per variant, all in one target directory, named
# apart so that their binaries are too.

FEATURE_ROWS = 1_000
FEATURE_VARIANTS = {
    # variant: (project name, --features, extra environment, a token is sent)
    "without a feature (defaults)": ("plain", "openapi", {}, False),
    "`cache`, Redis reachable (hits)": ("cached", "openapi,cache", {}, False),
    "`cache`, no REDIS_URL (every read from the database)": ("cached", "openapi,cache", {"REDIS_URL": None}, False),
    "`auth` (HS256 bearer token on every request)": ("guarded", "openapi,auth", {}, True),
    "`otel` (spans exported to a local OTLP sink)": ("traced", "openapi,otel", {"OTEL_EXPORTER_OTLP_ENDPOINT": "sink"},
                                                      False),
}


def accepts(archgen: str, features: str) -> bool:
    probe = subprocess.run([archgen, "new", "probe", "--features", features, "--dry-run", "--yes"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return probe.returncode == 0


def env_example(project: Path) -> dict:
    """The project's own settings (`.env.example`), as a shell reading it would have them."""
    pairs = {}
    for line in (project / ".env.example").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


def otlp_sink() -> tuple[subprocess.Popen, int]:
    """Answers 200 to every OTLP/HTTP export, so the exporter's cost is measured, not its retries."""
    port = free_port()
    code = ("import http.server,sys\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "    def do_POST(self):\n"
            "        self.rfile.read(int(self.headers.get('content-length', 0)))\n"
            "        self.send_response(200); self.send_header('content-length', '0'); self.end_headers()\n"
            "    def log_message(self, *a): pass\n"
            f"http.server.ThreadingHTTPServer(('127.0.0.1', {port}), H).serve_forever()\n")
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True), port


def wrk_ids(port: int, rows: int, seconds: int, token: str | None) -> tuple[float, float]:
    script = WORK / "ids.lua"
    script.write_text(f'request = function() return wrk.format("GET", "/api/v1/items/" .. math.random(1, {rows})) end\n')
    header = ["-H", f"Authorization: Bearer {token}"] if token else []
    return wrk(port, "", seconds, "-s", str(script), *header)


def pgbench_select(seconds: int) -> float:
    database = "archgen_bench_pgbench"
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    try:
        must(["pgbench", "-i", "-q", "-s", "1", f"{PG}/{database}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = subprocess.run(["pgbench", "-S", "-n", "-c", "50", "-j", "2", "-T", str(seconds), f"{PG}/{database}"],
                             capture_output=True, text=True, check=True).stdout
        return float(re.search(r"tps = ([\d.]+)", out).group(1))
    finally:
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def bench_features(archgen: str, rounds: int, wrk_seconds: int) -> tuple[list[str], dict]:
    if shutil.which("wrk") is None:
        must(["apt-get", "install", "-y", "-q", "wrk"], stdout=subprocess.DEVNULL)
    root = WORK / "features"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    target = target_dir("features")
    variants = {label: v for label, v in FEATURE_VARIANTS.items() if accepts(archgen, v[1])}
    projects = {}
    for name, features, _, _ in variants.values():
        if name in projects:
            continue
        project = root / name
        must([archgen, "new", name, "--style", "monolith", "--db", "postgres", "--ci", "none", "--features",
              features, "--yes", "--no-git", "--output", str(project)], stdout=subprocess.DEVNULL)
        print(f"bench: release build of {name} ({features})", flush=True)
        must(["cargo", "build", "--release", "--quiet", "--locked"], cwd=project,
             env={**os.environ, "CARGO_TARGET_DIR": str(target)})
        projects[name] = project
    sink, sink_port = otlp_sink()
    results: dict[str, list[tuple[float, float]]] = {label: [] for label in variants}
    databases = []
    try:
        envs = {}
        for label, (name, _, extra, wants_token) in variants.items():
            database = f"archgen_bench_{name}"
            env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "OTEL_", "AUTH_"))}
            env.update(env_example(projects[name]))
            env.update({"DATABASE_URL": f"{PG}/{database}", "PORT": str(free_port()), "HOST": "127.0.0.1",
                        "LOG_FORMAT": "json", "RUST_LOG": "warn", "CACHE_PREFIX": f"archgen-bench-{os.getpid()}"})
            for key, value in extra.items():
                if value is None:
                    env.pop(key, None)
                else:
                    env[key] = f"http://127.0.0.1:{sink_port}" if value == "sink" else value
            binary = target / "release" / name
            token = None
            if wants_token:
                token = subprocess.run([str(binary), "token", "--sub", "bench", "--role", "writer", "--ttl", "86400"],
                                       env=env, capture_output=True, text=True, check=True).stdout.strip()
            if database not in databases:
                psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
                psql(f"CREATE DATABASE {database}")
                databases.append(database)
                must([str(binary), "migrate"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                seed(binary, env, token)
            envs[label] = (binary, env, token)
        for _ in range(rounds):
            for label, (binary, env, token) in envs.items():
                port = int(env["PORT"])
                proc, _ = time_to_ready([str(binary), "serve"], env, port, "/readyz")
                try:
                    wrk_ids(port, FEATURE_ROWS, 2, token)  # warm-up: pool filled, cache loaded
                    results[label].append(wrk_ids(port, FEATURE_ROWS, wrk_seconds, token))
                finally:
                    stop(proc)
        ceiling = pgbench_select(wrk_seconds)
    finally:
        stop(sink)
        for database in databases:
            psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    base = statistics.median(r for r, _ in results["without a feature (defaults)"])
    lines = ["| variant | req/s, median of rounds | ÷ without a feature | p99, median |", "| --- | --- | --- | --- |"]
    ratios = {}
    for label, measured in results.items():
        rps = statistics.median(r for r, _ in measured)
        ratios[label] = rps / base
        lines.append(f"| {label} | {rps:,.0f} | {rps / base:.2f}× | {ms(statistics.median(p for _, p in measured))} |")
    lines.append(f"| PostgreSQL alone, `pgbench -S` (primary-key select, 50 clients) | {ceiling:,.0f} tps | "
                 f"{ceiling / base:.2f}× | — |")
    return lines, ratios


def seed(binary: Path, env: dict, token: str | None) -> None:
    port = int(env["PORT"])
    proc, _ = time_to_ready([str(binary), "serve"], env, port, "/readyz")
    headers = {"content-type": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {})
    try:
        for i in range(FEATURE_ROWS):
            body = json.dumps({"name": f"item-{i}", "description": "seeded by scripts/bench.py"}).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/items", data=body, headers=headers)
            urllib.request.urlopen(req).read()
    finally:
        stop(proc)


def features_section(rounds: int, wrk_seconds: int, lines: list[str]) -> list[str]:
    return [f"## 5. What a feature costs: `GET /api/v1/items/{{id}}` (wrk -t2 -c50 -d{wrk_seconds}s, "
            f"{rounds} interleaved rounds, {FEATURE_ROWS:,} rows, random ids)", "",
            "Release builds of the monolith with PostgreSQL, each with one feature (and the default "
            "`openapi`), served in turn; the last row is what PostgreSQL itself answers for a read by "
            "primary key with the same number of clients, the ceiling an uncached read approaches. The "
            "issue's goal for `auth` and `otel` is at most 10 % fewer requests per second than without.",
            "", *lines, ""]


# ---------------------------------------------------------------------------------------------


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return [f"- date: {datetime.date.today().isoformat()}", f"- CPU: {cpu}", f"- cores: {os.cpu_count()}",
            f"- rustc: {rustc}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 runs, no release builds, 3 s of wrk")
    parser.add_argument("--output", default=str(REPO / "BENCHMARKS.md"))
    parser.add_argument("--only-list-load", action="store_true",
                        help="run only section 4 (list endpoint under load) and replace it in --output")
    parser.add_argument("--requests", type=int, default=LOAD_REQUESTS, help="requests in section 4")
    parser.add_argument("--only-features", action="store_true",
                        help="run only section 5 (what each feature costs at runtime) and replace it in --output")
    args = parser.parse_args()
    runs, release, wrk_seconds = (3, False, 3) if args.quick else (15, True, 10)
    if args.only_list_load:
        only_list_load(Path(args.output), args.requests)
        return
    if args.only_features:
        only_features(Path(args.output), max(3, runs // 5), wrk_seconds)
        return

    tools = ensure_tools()
    styles = available_styles(tools["archgen"])
    print(f"bench: styles {', '.join(styles)}; generation", flush=True)
    settle()
    gen_lines, gen = bench_generation(tools, styles, runs, WORK)
    ram = Path("/dev/shm")
    ram_lines = bench_generation(tools, styles, runs, ram)[0] if ram.is_dir() else ["(no /dev/shm here)"]
    print("bench: weight of generated projects (cold builds)", flush=True)
    weight_lines, weight = bench_weight(tools, styles, release)
    print("bench: runtime", flush=True)
    rt_lines, rt = bench_runtime(weight, max(5, runs // 3), wrk_seconds)
    print("bench: list endpoint under load", flush=True)
    load_lines, load_facts = bench_list_load(tools["archgen"], args.requests)
    print("bench: what each feature costs at runtime", flush=True)
    feature_rounds = max(3, runs // 5)
    feature_lines, feature_ratios = bench_features(tools["archgen"], feature_rounds, wrk_seconds)

    mono = weight["cargo-archgen monolith (defaults)"]
    loco = weight["Loco REST API starter"]
    budgets = [
        ("generation of the largest case ≤ 0.25× `cargo new`", f"{gen['largest_ratio']:.2f}× ({gen['largest_name']})",
         gen["largest_ratio"] <= 0.25),
        ("monolith+postgres ≤ 220 Cargo.lock packages", str(mono["packages"]), mono["packages"] <= 220),
        ("monolith cold debug build ≤ 0.4× Loco's", f"{mono['debug'] / loco['debug']:.2f}×",
         mono["debug"] / loco["debug"] <= 0.4),
        ("service ready ≤ 10 ms after exec", ms(rt["ready"]), rt["ready"] <= 0.010),
        ("idle RSS ≤ 10 MiB", mib(rt["idle"]), rt["idle"] <= 10 * MIB),
        ("`/healthz` ≥ 1.5× Loco's `/_ping` req/s", f"{rt['healthz_rps'] / rt['ping_rps']:.2f}×",
         rt["healthz_rps"] / rt["ping_rps"] >= 1.5),
    ]
    budgets.append(("`GET /api/v1/items` under 50 connections: no answer but 2xx",
                    f"{load_facts['not_2xx']} non-2xx, {load_facts['errors']} connection errors",
                    load_facts["not_2xx"] == 0 and load_facts["errors"] == 0))
    budgets += feature_budgets(feature_ratios)
    if release:
        budgets.append(("release binary ≤ 8 MB", f"{mono['size'] / 1e6:.1f} MB", mono["size"] <= 8e6))

    doc = ["# Benchmarks", "", "Written by `python3 scripts/bench.py`" + (" --quick" if args.quick else "")
           + "; every figure is from one run of it on the machine below, the tools side by side.", "",
           *machine(), "", "## Budgets", "", "| budget | measured | verdict |", "| --- | --- | --- |",
           *[f"| {name} | {value} | {verdict(ok)} |" for name, value, ok in budgets], "",
           f"## 1. Generation ({runs} interleaved runs each)", "",
           f"On disk ({WORK}, the budget's figure): each run writes a fresh directory, nothing is deleted "
           "during the section, and it starts after a flush and a minute's wait (ext4 without a journal "
           "avoids reusing inodes freed in the last minute, which made whoever creates more files "
           "slower right after deletions).", "", *gen_lines, "",
           "The same commands in RAM (/dev/shm, tmpfs): what the tools cost without the disk's file "
           "system.", "", *ram_lines, "",
           "## 2. Weight of generated projects (one cold build each, after `cargo fetch`)", "", *weight_lines, "",
           "## 3. Generated service at runtime (release build, PostgreSQL on loopback; wrk -t2 -c50 "
           f"-d{wrk_seconds}s)", "", *rt_lines, "", *list_load_section(args.requests, load_lines),
           *features_section(feature_rounds, wrk_seconds, feature_lines)]
    Path(args.output).write_text("\n".join(doc))
    print("\n".join(doc))


def replace_section(output: Path, number: int, section: list[str]) -> None:
    """Puts section `number` in place of the one there (or after the others), leaving the rest as is."""
    doc = output.read_text() if output.exists() else "# Benchmarks\n"
    text = "\n".join(section).rstrip("\n") + "\n"
    pattern = re.compile(rf"^## {number}\. .*?(?=^## |\Z)", flags=re.S | re.M)
    if pattern.search(doc):
        doc = pattern.sub(lambda _: text + "\n", doc, count=1).rstrip("\n") + "\n"
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    output.write_text(doc)


def only_list_load(output: Path, requests: int) -> None:
    """Section 4 alone, with whichever cargo-archgen build exists (the output is the same)."""
    archgen = next((p for p in (REPO / "target" / "release" / "cargo-archgen",
                                REPO / "target" / "debug" / "cargo-archgen") if p.exists()), None)
    if archgen is None:
        must(["cargo", "build", "--locked", "--quiet"], cwd=REPO)
        archgen = REPO / "target" / "debug" / "cargo-archgen"
    print("bench: list endpoint under load", flush=True)
    lines, facts = bench_list_load(str(archgen), requests)
    section = list_load_section(requests, lines)
    section[2] += (f" Measured alone (`scripts/bench.py --only-list-load`) on {datetime.date.today().isoformat()}"
                   f", {os.cpu_count()} cores shared with other builds running at the time: throughput and "
                   "latency are noisy; the count of non-2xx answers is the figure that matters.")
    replace_section(output, 4, section)
    print("\n".join(section))
    print(f"bench: {verdict(facts['not_2xx'] == 0 and facts['errors'] == 0)}: {facts['not_2xx']} non-2xx answers, "
          f"{facts['errors']} connection errors")


def feature_budgets(ratios: dict) -> list[tuple[str, str, bool]]:
    budgets = []
    for label, ratio in ratios.items():
        if label.startswith(("`auth`", "`otel`")):
            name = label.split(" ")[0]
            budgets.append((f"{name}: `GET /api/v1/items/{{id}}` ≥ 0.9× the req/s without it", f"{ratio:.2f}×",
                            ratio >= 0.9))
    return budgets


def only_features(output: Path, rounds: int, wrk_seconds: int) -> None:
    """Section 5 alone, with a release build of cargo-archgen; its budgets are printed, not written."""
    must(["cargo", "build", "--release", "--locked", "--quiet"], cwd=REPO)
    archgen = str(REPO / "target" / "release" / "cargo-archgen")
    print("bench: what each feature costs at runtime", flush=True)
    lines, ratios = bench_features(archgen, rounds, wrk_seconds)
    section = features_section(rounds, wrk_seconds, lines)
    section[2] += (f" Measured alone (`scripts/bench.py --only-features`) on {datetime.date.today().isoformat()}"
                   f", {os.cpu_count()} cores.")
    replace_section(output, 5, section)
    print("\n".join(section))
    for name, value, ok in feature_budgets(ratios):
        print(f"bench: {verdict(ok)}: {name}: {value}")


if __name__ == "__main__":
    main()
