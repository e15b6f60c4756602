"""Load test: the real server under wrk, on SQLite and PostgreSQL, with 1 and 2 workers.

For each configuration, a fresh database with the presets seeded (scenarios 1-5) and one
`python -m app.cli serve --host 127.0.0.1 --port P --workers N` (LOG_LEVEL=warning: a log line per
request would cost throughput), then wrk (Debian's package, 4.1.0) with 2 threads and 64
connections for 60 s, after a 2 s warm-up, sending a mix of requests from a Lua script:

    POST /api/v1/estimate                   a preset's scenario (content-moderation by default)
    GET  /api/v1/scenarios                  the list
    GET  /scenarios/{id}                    a saved scenario's HTML page, ids 1-5 in turn
    GET  /api/v1/scenarios/{id}/export.csv  its CSV export, ids 1-5 in turn

in proportions 40/20/20/20 (`--mix`); then, for 10 s, POST /api/v1/validate alone on the same server:
the mix's req/s per worker is printed beside that ceiling. The script counts answers other than 2xx/3xx (`response()`)
and prints wrk's summary as one JSON line (`done()`): requests, errors of every kind, p50/p90/p99.

SQLite is a temporary file. PostgreSQL is a database made for the configuration (and dropped after)
on the server of TEST_POSTGRES_URL, which scripts/with-postgres.sh sets to a throwaway server:

    bash scripts/with-postgres.sh .venv/bin/python bench/load.py [--duration 60] [--connections 64]
                                  [--quick] [--databases sqlite,postgresql] [--workers 1,2]
                                  [--mix estimate=40,list=20,page=20,export=20] [--summary-json PATH]
                                  [--alongside]

With `--alongside` the server is a team server (sign-in required; the mix carries an API token and a
session cookie) and, during the measured run, bursts of 20 concurrent wrong sign-ins and a
3,000-scenario, 120-month, full-detail batch (bench/stresskit.py) run over and over beside the mix:
the mix must still see zero errors (issue 15).

Without TEST_POSTGRES_URL the PostgreSQL rows are skipped, loudly. wrk missing: installed with
apt-get as root, else the run stops with a message. Zero errors is the goal: any error (a socket
error, a timeout, an answer other than 2xx/3xx) makes the exit status 1. Nothing else is asserted:
the numbers are printed. wrk, the server (and PostgreSQL) share this machine's cores.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import stresskit
from api import HOST, cpu_seconds, free_port, tail, write_summary

from app.presets import presets

ROOT = Path(__file__).resolve().parent.parent
WRK_THREADS = 2
WARM_UP_S = 2.0
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0
WRK_TIMEOUT_S = 10
"""wrk counts a request slower than this as a timeout error (its default, 2 s, is short for 64
connections on 2 shared cores)."""
DEFAULT_MIX = "estimate=40,list=20,page=20,export=20"
KINDS = {
    "estimate": ("POST", "/api/v1/estimate"),
    "list": ("GET", "/api/v1/scenarios"),
    "page": ("GET", "/scenarios/{id}"),
    "export": ("GET", "/api/v1/scenarios/{id}/export.csv"),
    "validate": ("POST", "/api/v1/validate"),
}
BASELINE = {"validate": 1}
"""After the mix, the same server answers POST /api/v1/validate alone (the same scenario's body, parsed
and answered without estimating) for BASELINE_S: the ceiling of server + wrk here, beside which the
mix's req/s per worker reads (issue 18)."""
BASELINE_S = 10.0
SAVED_IDS = (1, 2, 3, 4, 5)
"""The presets, seeded as scenarios 1-5 into each fresh database."""
MARK = "WRK_RESULT "


# --- wrk and its script ---


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(
            "load: wrk is not installed, and this is not root with apt-get to install it: "
            "run `apt-get install wrk` (Debian's package, 4.1.0) as root, then again"
        )
    print("load: installing wrk from Debian's packages (apt-get)...", flush=True)
    started = time.perf_counter()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    opts = ["-q", "-y", "-o", "DPkg::Lock::Timeout=300"]

    def install() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["apt-get", *opts, "install", "--no-install-recommends", "wrk"],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )

    done = install()
    if done.returncode != 0:  # the package lists may be missing or stale
        subprocess.run(["apt-get", *opts, "update"], env=env, stdin=subprocess.DEVNULL, capture_output=True)
        done = install()
    found = shutil.which("wrk")
    if done.returncode != 0 or not found:
        print("\n".join((done.stdout + done.stderr).splitlines()[-20:]), file=sys.stderr)
        raise SystemExit("load: apt-get install wrk failed (its last lines above)")
    print(f"load: installed wrk in {time.perf_counter() - started:.1f} s", flush=True)
    return found


def parse_mix(text: str) -> dict[str, int]:
    mix: dict[str, int] = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        name = name.strip()
        if name not in KINDS or not weight.strip().isdigit():
            raise ValueError(f"{part!r}: expected NAME=WEIGHT, NAME one of {', '.join(KINDS)}")
        mix[name] = int(weight)
    if sum(mix.values()) <= 0:
        raise ValueError("the weights sum to 0")
    return {k: v for k, v in mix.items() if v > 0}


def sequence(mix: dict[str, int]) -> list[tuple[str, str, str]]:
    """One cycle of (kind, method, path): each kind as often as its weight, interleaved evenly
    (smooth weighted round robin), the saved ids 1-5 in turn for the page and the export."""
    common = math.gcd(*mix.values())
    mix = {k: w // common for k, w in mix.items()}
    total = sum(mix.values())
    reps = len(SAVED_IDS)  # so each id comes as often as the others in a cycle
    current = dict.fromkeys(mix, 0)
    seen = dict.fromkeys(mix, 0)
    out = []
    for _ in range(total * reps):
        for k in mix:
            current[k] += mix[k]
        kind = max(current, key=lambda k: current[k])
        current[kind] -= total
        method, path = KINDS[kind]
        out.append((kind, method, path.format(id=SAVED_IDS[seen[kind] % len(SAVED_IDS)])))
        seen[kind] += 1
    return out


def lua_string(s: str) -> str:
    r"""A Lua string literal of `s`: printable ASCII kept, everything else as \ddd bytes."""
    out = []
    for b in s.encode():
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append(f"\\{b:03d}")
    return '"' + "".join(out) + '"'


def lua_script(seq: list[tuple[str, str, str]], body: str, headers: dict[str, str] | None = None) -> str:
    """The wrk script of the mix; `headers` go on every request (a team server's token and session)."""
    common = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in (headers or {}).items())
    entries = ",\n".join(
        f"  {{{lua_string(method)}, {lua_string(path)}, {'true' if method == 'POST' else 'false'}}}"
        for _, method, path in seq
    )
    return f"""-- written by bench/load.py
local plan = {{
{entries}
}}
local body = {lua_string(body)}
local threads = {{}}

function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end

function init(args)
  reqs = {{}}
  for i, p in ipairs(plan) do
    if p[3] then
      reqs[i] = wrk.format(p[1], p[2], {{["Content-Type"] = "application/json", {common}}}, body)
    else
      reqs[i] = wrk.format(p[1], p[2], {{{common}}})
    end
  end
  n = offset or 0
  bad = 0
  statuses = {{}}
end

function request()
  n = n + 1
  return reqs[(n % #reqs) + 1]
end

function response(status, headers, body)
  if status < 200 or status >= 400 then
    bad = bad + 1
    local k = tostring(status)
    statuses[k] = (statuses[k] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  local by_status = {{}}
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    local s = t:get("statuses")
    if s then
      for k, v in pairs(s) do by_status[k] = (by_status[k] or 0) + v end
    end
  end
  local parts = {{}}
  for k, v in pairs(by_status) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local e = summary.errors
  io.write("{MARK}", string.format(
    '{{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "non2xx3xx": %d, "by_status": {{%s}}, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, total_bad, table.concat(parts, ", "),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: dict[str, int]
    """wrk's socket errors (connect, read, write, timeout), its status errors (>= 400) and ours
    (non2xx3xx: anything not 2xx or 3xx)."""
    by_status: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    client_cpu: float
    """Cores wrk used (user + system seconds / wall seconds)."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def error_count(self) -> int:
        e = self.errors
        return e["connect"] + e["read"] + e["write"] + e["timeout"] + max(e["status"], e["non2xx3xx"])


def run_wrk(wrk: str, script: Path, port: int, connections: int, seconds: float) -> WrkResult:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [
            wrk,
            f"--threads={WRK_THREADS}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            f"--timeout={WRK_TIMEOUT_S}s",
            f"--script={script}",
            f"http://{HOST}:{port}",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    d: dict[str, Any] = json.loads(lines[-1][len(MARK) :])
    wall = d["duration_us"] / 1e6
    return WrkResult(
        requests=d["requests"],
        seconds=wall,
        errors={k: d[k] for k in ("connect", "read", "write", "timeout", "status", "non2xx3xx")},
        by_status=d["by_status"],
        p50_ms=d["p50_us"] / 1e3,
        p90_ms=d["p90_us"] / 1e3,
        p99_ms=d["p99_us"] / 1e3,
        client_cpu=((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) / wall,
    )


# --- databases ---


@contextlib.contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / 'load.sqlite3'}"


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database on the server of `admin_url`, dropped afterwards (WITH (FORCE))."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"llm_tco_load_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_cpu_seconds(dbname: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `dbname` (its command line names it)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith("postgres: ") and f" {dbname} " in cmdline:
            cpu = cpu_seconds(int(entry.name))
            if cpu is not None:
                out[int(entry.name)] = cpu
    return out


# --- the server ---


def session_cpu_seconds(sid: int) -> dict[int, float]:
    """CPU seconds of each process in session `sid` (the server: uvicorn's manager and its workers)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            out[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def machine_busy_seconds() -> float | None:
    """CPU seconds every core of this machine spent busy since boot (Linux /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return None
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def start_server(
    database_url: str, workers: int, port: int, log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SEED_PRESETS": "true",
        "LOG_LEVEL": "warning",
        "HOST": HOST,
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGTERM reaches the workers too
        )


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):  # a worker left behind
        os.killpg(proc.pid, signal.SIGKILL)


def http_status(port: int, path: str) -> int | None:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except OSError:
        return None


def wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> float:
    """Seconds until GET /readyz answers 200: the database is reachable and migrated."""
    start = time.perf_counter()
    while time.perf_counter() - start < START_TIMEOUT_S:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail(log)}")
        if http_status(port, "/readyz") == 200:
            return time.perf_counter() - start
        time.sleep(0.1)
    raise RuntimeError(f"server not ready within {START_TIMEOUT_S:.0f} s:\n{tail(log)}")


def check_requests(port: int, seq: list[tuple[str, str, str]], body: bytes, headers: dict[str, str]) -> None:
    """Each distinct request of the mix once, before any load: all must answer 200."""
    for kind, method, path in sorted(set(seq)):
        req = urllib.request.Request(
            f"http://{HOST}:{port}{path}",
            data=body if method == "POST" else None,
            method=method,
            headers=({"Content-Type": "application/json"} if method == "POST" else {}) | headers,
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status = int(r.status)
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{kind}: {method} {path}: HTTP {e.code}: {e.read()[:300]!r}") from None
        if status != 200:
            raise RuntimeError(f"{kind}: {method} {path}: HTTP {status}")


# --- the run ---


@dataclass
class Row:
    database: str
    workers: int
    result: WrkResult | None = None
    server_cpu: float | None = None
    db_cpu: float | None = None
    """Cores used by the PostgreSQL backends of the configuration's database: a lower bound, since a
    backend that exits during the run (a pool's overflow connection, closed) takes its CPU with it."""
    processes: int = 0
    others_cpu: float | None = None
    """Cores the rest of the machine used meanwhile (neither wrk, the server nor its PostgreSQL backends)."""
    by_process: list[float] | None = None
    """Cores used by each process of the server that used any (the workers, when several)."""
    validate: WrkResult | None = None
    """The same server answering POST /api/v1/validate alone, after the mix (BASELINE)."""
    failure: str = ""


def measure(
    args: argparse.Namespace,
    wrk: str,
    seq: list[tuple[str, str, str]],
    body: bytes,
    database: str,
    url: str,
    workers: int,
    workdir: Path,
) -> Row:
    row = Row(database, workers)
    port = free_port()
    log = workdir / f"server-{database}-{workers}.log"
    started = time.perf_counter()
    token = stresskit.team_account(url) if args.alongside else ""  # a team server: migrated, one account
    proc = start_server(url, workers, port, log, stresskit.TEAM_ENV if args.alongside else None)
    alongside: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    try:
        up = wait_ready(port, proc, log)
        headers: dict[str, str] = {}
        if args.alongside:
            base = f"http://{HOST}:{port}"
            headers = {"Authorization": f"Bearer {token}", "Cookie": stresskit.session_cookie(base, "stress")}
            alongside = stresskit.Alongside(base, token)
        script = workdir / "mix.lua"
        script.write_text(lua_script(seq, body.decode(), headers))
        check_requests(port, seq, body, headers)
        row.processes = len(session_cpu_seconds(proc.pid))
        print(
            f"  server pid {proc.pid} on http://{HOST}:{port}: ready after {up:.1f} s (/readyz), "
            f"{row.processes} processes in its session",
            flush=True,
        )
        run_wrk(wrk, script, port, args.connections, WARM_UP_S)
        dbname = url.rsplit("/", 1)[-1] if database == "postgresql" else ""
        srv0 = session_cpu_seconds(proc.pid)
        db0 = postgres_cpu_seconds(dbname) if dbname else None
        busy0 = machine_busy_seconds()
        t0 = time.perf_counter()
        with alongside:
            row.result = run_wrk(wrk, script, port, args.connections, args.duration)
        wall = time.perf_counter() - t0
        if isinstance(alongside, stresskit.Alongside):
            print(f"  alongside: {alongside.summary()}", flush=True)
            if any(b.status != 200 for b in alongside.batches):
                row.failure = "a batch alongside did not answer 200"
        srv1 = session_cpu_seconds(proc.pid)
        db1 = postgres_cpu_seconds(dbname) if dbname else None
        busy1 = machine_busy_seconds()
        used = {pid: (cpu - srv0.get(pid, 0.0)) / wall for pid, cpu in srv1.items()}
        row.server_cpu = sum(used.values())
        row.by_process = sorted((x for x in used.values() if x >= 0.01), reverse=True)
        if db0 is not None and db1 is not None:  # a backend gone meanwhile (a pool's overflow) is missed
            row.db_cpu = sum(cpu - db0.get(pid, 0.0) for pid, cpu in db1.items()) / wall
        if busy0 is not None and busy1 is not None:
            ours = row.server_cpu + row.result.client_cpu + (row.db_cpu or 0.0)
            row.others_cpu = max(0.0, (busy1 - busy0) / wall - ours)
        if proc.poll() is not None:
            row.failure = f"the server exited with {proc.returncode} during the run"
        elif not args.alongside:
            baseline = workdir / "validate.lua"
            baseline.write_text(lua_script(sequence(BASELINE), body.decode(), headers))
            row.validate = run_wrk(wrk, baseline, port, args.connections, min(args.duration, BASELINE_S))
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        row.failure = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"  FAILED: {e}", flush=True)
    finally:
        stop_server(proc)
    r = row.result
    if r is not None:
        errors = ", ".join(f"{k} {v}" for k, v in r.errors.items())
        statuses = ", ".join(f"HTTP {k}: {v}" for k, v in sorted(r.by_status.items())) or "none"
        print(
            f"  {r.requests:,} requests in {r.seconds:.1f} s = {r.rps:,.0f} req/s; p50 {r.p50_ms:.1f} ms, "
            f"p90 {r.p90_ms:.1f} ms, p99 {r.p99_ms:.1f} ms",
            flush=True,
        )
        print(f"  errors: {r.error_count} ({errors}); answers not 2xx/3xx: {statuses}", flush=True)
        if row.validate is not None:
            v = row.validate
            print(
                f"  the mix per worker: {r.rps / workers:,.0f} req/s; POST /api/v1/validate alone on the same "
                f"server: {v.rps:,.0f} req/s ({v.rps / workers:,.0f} per worker; errors {v.error_count})",
                flush=True,
            )
        each = " + ".join(fmt_cpu(x) for x in row.by_process or [])
        split = f" ({each})" if row.by_process and len(row.by_process) > 1 else ""
        print(f"  cpu (cores): server {fmt_cpu(row.server_cpu)}{split}, wrk {fmt_cpu(r.client_cpu)}", end="")
        print(f", postgres >={fmt_cpu(row.db_cpu)}" if database == "postgresql" else "", end="")
        print(f", the rest of the machine {fmt_cpu(row.others_cpu)}", flush=True)
        if row.others_cpu is not None and row.others_cpu > 0.2:
            print("  warning: other processes used the CPU meanwhile: these rates are lower than on a quiet machine")
    if (r is not None and r.error_count) or row.failure:
        lines = [line for line in tail(log, 400).splitlines() if line.strip()]
        interesting = [line for line in lines if any(w in line for w in ("ERROR", "Error", "error", "Traceback"))]
        print(f"  server log ({log.name}), last lines{' with errors' if interesting else ''}:", flush=True)
        for line in (interesting or lines)[-15:]:
            print(f"    {line[:300]}", flush=True)
    print(f"  ({time.perf_counter() - started:.0f} s with start and stop)", flush=True)
    return row


def fmt_cpu(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per configuration")
    parser.add_argument("--connections", type=int, default=64, help="concurrent keep-alive connections")
    parser.add_argument("--quick", action="store_true", help="10 s per configuration, to try it out")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--mix", default=DEFAULT_MIX, help="weights of the request kinds")
    parser.add_argument("--preset", default="content-moderation", help="the scenario POSTed to /estimate")
    parser.add_argument("--summary-json", type=Path, help="also write the summary rows here (bench/all.py)")
    parser.add_argument(
        "--alongside",
        action="store_true",
        help="a team server (sign-in required; the mix sends a token and a session) while bursts of 20 wrong "
        "sign-ins and a 3,000-scenario, 120-month, full-detail batch run over and over (issue 15)",
    )
    args = parser.parse_args()
    if args.quick:
        args.duration = 10.0
    try:
        mix = parse_mix(args.mix)
        workers = [int(w) for w in args.workers.split(",")]
    except ValueError as e:
        parser.error(f"--mix or --workers: {e}")
    databases = [d.strip() for d in args.databases.split(",")]
    if not set(databases) <= {"sqlite", "postgresql"} or not databases:
        parser.error("--databases: sqlite, postgresql or both")
    in_range = 2 <= args.duration <= 600 and WRK_THREADS <= args.connections <= 1024
    if not (in_range and all(1 <= w <= 8 for w in workers)):
        parser.error(f"--duration in [2, 600], --connections in [{WRK_THREADS}, 1024], --workers each in [1, 8]")
    if args.preset not in presets():
        parser.error(f"--preset: one of {', '.join(presets())}")

    # `kill` stops this run as Ctrl-C does: the server stopped, the PostgreSQL database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wrk = ensure_wrk()
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.splitlines()
    body = json.dumps(presets()[args.preset].scenario.model_dump(mode="json"))
    seq = sequence(mix)
    total = sum(mix.values())
    cores = os.cpu_count() or 0
    pg_url = os.environ.get("TEST_POSTGRES_URL", "")

    print(f"load: {version[0].strip() if version else 'wrk'}")
    print(
        f"load: {WRK_THREADS} threads, {args.connections} connections, {WARM_UP_S:g} s warm-up then "
        f"{args.duration:g} s per configuration, timeout {WRK_TIMEOUT_S} s"
    )
    print("mix (one cycle of the script; each thread starts at its own place in it):")
    for kind, weight in mix.items():
        method, path = KINDS[kind]
        where = f" (ids {', '.join(map(str, SAVED_IDS))} in turn)" if "{id}" in path else ""
        what = f" ({args.preset}, {len(body):,} B)" if method == "POST" else ""
        print(f"  {weight / total:4.0%}  {method:4s} {path}{where}{what}")
    print(
        f"machine: {cores} cores, shared by wrk, the server's workers"
        + (" and PostgreSQL" if "postgresql" in databases else "")
        + ": the rates are this machine's, not the server's alone"
    )
    skipped = ""
    if "postgresql" in databases and not pg_url:
        skipped = "TEST_POSTGRES_URL is not set (run: bash scripts/with-postgres.sh .venv/bin/python bench/load.py)"
        why = os.environ.get("TEST_POSTGRES_SKIPPED")
        print(f"\n!!!!! load: PostgreSQL rows SKIPPED: {skipped}{f'; with-postgres: {why}' if why else ''} !!!!!\n")
        databases = [d for d in databases if d != "postgresql"]

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="llm-tco-load-") as tmp:
        workdir = Path(tmp)
        for database in databases:
            for n in workers:
                print(f"\n{database}, {n} worker{'s' if n > 1 else ''}:", flush=True)
                cfg_dir = workdir / f"{database}-{n}"
                cfg_dir.mkdir()
                try:
                    db = sqlite_database(cfg_dir) if database == "sqlite" else postgres_database(pg_url)
                    with db as url:
                        row = measure(args, wrk, seq, body.encode(), database, url, n, cfg_dir)
                    rows.append(row)
                except Exception as e:  # the database could not be made or dropped: a failed row, go on
                    print(f"  FAILED: {type(e).__name__}: {e}", flush=True)
                    rows.append(Row(database, n, failure=f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"))

    print()
    print(f"summary: {args.connections} connections, {args.duration:g} s each; wrk and server share {cores} cores")
    print(f"{'database':10s} {'workers':>7s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s}  cpu (cores)")
    summary: list[tuple[str, str, str, str]] = []
    failed = False
    for row in rows:
        r = row.result
        if r is None:
            failed = True
            print(f"{row.database:10s} {row.workers:7d} {'FAILED':>9s}  {row.failure}")
            summary.append((f"{row.database}, {row.workers} worker(s): req/s", "FAILED", "", row.failure))
            continue
        failed = failed or r.error_count > 0 or bool(row.failure) or bool(row.validate and row.validate.error_count)
        split = "+".join(fmt_cpu(x) for x in row.by_process or [])
        cpu = f"server {fmt_cpu(row.server_cpu)}" + (f" ({split})" if len(row.by_process or []) > 1 else "")
        cpu += f", wrk {fmt_cpu(r.client_cpu)}"
        if row.db_cpu is not None:
            cpu += f", postgres >={fmt_cpu(row.db_cpu)}"
        if row.others_cpu is not None:
            cpu += f", others {fmt_cpu(row.others_cpu)}"
        line = f"{row.database:10s} {row.workers:7d} {r.rps:9,.0f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.error_count:7d}"
        print(f"{line}  {cpu}" + (f"  {row.failure}" if row.failure else ""))
        note = f"p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms; cpu {cpu}"
        summary.append((f"{row.database}, {row.workers} worker(s): req/s", f"{r.rps:,.0f} req/s", "", note))
        summary.append((f"{row.database}, {row.workers} worker(s): errors", f"{r.error_count}", "0", row.failure))
        if row.validate is not None:
            per_worker, ceiling = r.rps / row.workers, row.validate.rps / row.workers
            print(f"{'':10s} {'':7s} mix {per_worker:,.0f} req/s per worker; validate alone {ceiling:,.0f} per worker")
            summary.append(
                (
                    f"{row.database}, {row.workers} worker(s): mix per worker",
                    f"{per_worker:,.0f} req/s",
                    "",
                    f"POST /validate alone on the same server: {ceiling:,.0f} req/s per worker "
                    f"({per_worker / ceiling:.2f} of it)",
                )
            )
    if skipped:
        print(f"{'postgresql':10s} {'':7s} {'SKIPPED':>9s}  {skipped}")
        summary.append(("postgresql: req/s", "SKIPPED", "", skipped))
    for database in dict.fromkeys(r.database for r in rows):
        rates = {r.workers: r.result.rps for r in rows if r.database == database and r.result is not None}
        if 1 in rates and 2 in rates:
            ratio = rates[2] / rates[1]
            print(f"{database}: 2 workers / 1 worker = {ratio:.2f}x req/s")
            summary.append((f"{database}: 2 workers / 1 worker", f"{ratio:.2f}x", "", f"{cores} cores shared with wrk"))
    print(
        f"(wrk and the server share the {cores} cores: a second worker can only use what wrk leaves;"
        " cpu is in cores, user + system)"
    )
    if args.summary_json:
        write_summary(args.summary_json, summary)
    if failed:
        print("load: FAILED: a configuration had errors or did not run (above)")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
