"""API benchmark: the real server, over HTTP on 127.0.0.1, with several concurrent clients.

Measures, against one `llm-tco serve` started here (temporary SQLite, no presets seeded):

1. Requests per second of POST /api/v1/estimate and of POST /api/v1/validate with the
   same scenario (goal: estimate / validate at least 0.5). Validate parses the same body
   and answers without estimating, so its rate is the ceiling of server + client here.
2. One POST /api/v1/estimate/batch of 1,000 scenarios (detail=summary, and detail=full)
   against the same 1,000 scenarios as single POST /api/v1/estimate calls, one after the
   other on one keep-alive connection (goal: the summary batch at least 20x faster).

Every number is measured in this run, the two sides of each ratio in alternating rounds,
so machine noise mostly cancels; the medians of the rounds are reported and no threshold
is asserted. The client is a minimal HTTP/1.1 keep-alive client on asyncio (uvloop when
installed), much lighter than httpx; the CPU share of client and server is printed with
each rate so a saturated client shows (server near 100% = the server is the limit).

    .venv/bin/python bench/api.py [--duration 5] [--concurrency 8] [--rounds 2]
                                  [--batch-size 1000] [--batch-rounds 3] [--server cli|uvicorn]
                                  [--summary-json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine import Scenario
from app.presets import presets

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # never anything else
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
MAX_RATE = 100_000
"""Requests per second no run here can reach: bounds each load loop by count as well as by time."""


# --- the server ---


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def add_server_argument(parser: argparse.ArgumentParser) -> None:
    """`--server`, the way every benchmark that starts the app offers it."""
    parser.add_argument(
        "--server",
        choices=("cli", "uvicorn"),
        default="cli",
        help="cli: `llm-tco serve` as `make run` (a JSON log line per request); uvicorn: the app factory, "
        "logging at warning only",
    )


def server_command(kind: str, port: int) -> list[str]:
    bin_dir = Path(sys.executable).parent  # the venv's bin; not resolved (it is a symlink)
    if kind == "cli":
        # What `make run` serves: migrations first, one JSON log line per request (LOG_LEVEL=info).
        return [str(bin_dir / "llm-tco"), "serve", "--host", HOST, "--port", str(port)]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def start_server(kind: str, port: int, workdir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "SEED_PRESETS": "false",
        "HOST": HOST,
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    log = workdir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            server_command(kind, port),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches this script, which then stops the server
        )
    return proc, log


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_summary(path: Path, rows: Sequence[tuple[str, str, str, str]]) -> None:
    """The summary rows as a JSON list of {measure, value, goal, note} (read by bench/all.py)."""
    keys = ("measure", "value", "goal", "note")
    path.write_text(json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=1) + "\n")


# --- a minimal HTTP/1.1 client ---


class HTTPError(RuntimeError):
    pass


def raw_request(method: str, path: str, port: int, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


class Connection:
    """One keep-alive connection; requests go one at a time; answers with a Content-Length or chunked."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def send(self, raw: bytes, *, want_body: bool = False) -> tuple[int, bytes]:
        self.writer.write(raw)
        if len(raw) > 65_536:
            await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked = None, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:  # a streamed answer (the batch sends each chunk of scenarios as soon as it is done)
            body = await self._chunks()
        elif length is not None:
            body = await self.reader.readexactly(length)
        else:
            raise HTTPError(f"response without Content-Length or chunks: {head[:200]!r}")
        return status, body if want_body else b""

    async def _chunks(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # the empty trailer
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)  # the chunk's CRLF

    def close(self) -> None:
        self.writer.close()


async def wait_until_up(port: int, proc: subprocess.Popen[bytes], log: Path) -> float:
    """Seconds until GET / answers; the server's log when it dies or never answers."""
    start = time.perf_counter()
    deadline = start + START_TIMEOUT_S
    for _ in range(int(START_TIMEOUT_S / 0.05) + 1):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail(log)}")
        try:
            conn = await Connection.open(port)
        except OSError:
            pass
        else:
            try:
                status, _ = await conn.send(raw_request("GET", "/", port))
            finally:
                conn.close()
            if status < 500:
                return time.perf_counter() - start
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.05)
    raise RuntimeError(f"server did not answer within {START_TIMEOUT_S:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


async def check(conn: Connection, raw: bytes, what: str, ok: Callable[[Any], bool]) -> int:
    """Send one request, require 200 and a body that looks right; its body size in bytes."""
    status, body = await conn.send(raw, want_body=True)
    if status != 200 or not ok(json.loads(body)):
        raise HTTPError(f"{what}: HTTP {status}: {body[:300]!r}")
    return len(body)


# --- load ---


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    client_cpu: float
    """Share of one core the benchmark process used."""
    server_cpu: float | None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def load(port: int, pid: int, raw: bytes, concurrency: int, duration: float) -> Load:
    """`concurrency` connections sending `raw` back to back for `duration` seconds (and a bounded count)."""
    conns = [await Connection.open(port) for _ in range(concurrency)]
    try:
        for conn in conns:  # warm each connection (and the server's code paths)
            for _ in range(3):
                await conn.send(raw)
        cap = int(duration * MAX_RATE / concurrency) + 1
        latencies: list[list[float]] = [[] for _ in conns]
        bad: list[int] = []
        cpu0, srv0 = time.process_time(), cpu_seconds(pid)
        start = time.perf_counter()
        deadline = start + duration

        async def worker(conn: Connection, out: list[float]) -> None:
            clock = time.perf_counter
            for _ in range(cap):
                t0 = clock()
                if t0 >= deadline:
                    return
                status, _ = await conn.send(raw)
                out.append(clock() - t0)
                if status != 200:
                    bad.append(status)
                    return

        await asyncio.gather(*(worker(c, out) for c, out in zip(conns, latencies, strict=True)))
        seconds = time.perf_counter() - start
        cpu1, srv1 = time.process_time(), cpu_seconds(pid)
    finally:
        for conn in conns:
            conn.close()
    if bad:
        raise HTTPError(f"HTTP {bad[0]} under load")
    flat = sorted(x for out in latencies for x in out)
    q = statistics.quantiles(flat, n=100) if len(flat) > 1 else [flat[0]] * 99
    return Load(
        requests=len(flat),
        seconds=seconds,
        p50_ms=q[49] * 1e3,
        p99_ms=q[98] * 1e3,
        client_cpu=(cpu1 - cpu0) / seconds,
        server_cpu=None if srv0 is None or srv1 is None else (srv1 - srv0) / seconds,
    )


# --- batch against singles ---


def scenarios(n: int) -> list[dict[str, Any]]:
    """`n` scenarios: the presets in turn, each at a volume from 0.1x to 10x its own.

    One preset in five (legal-clause-extraction) runs on dedicated GPUs, whose break-even
    volume is searched by a sweep rather than solved: the mix weighs on the batch's time.
    """
    base = [p.scenario.model_dump(mode="json") for p in presets().values()]
    out = []
    for i in range(n):
        doc = json.loads(json.dumps(base[i % len(base)]))
        factor = 10 ** (-1 + 2 * (i / max(n - 1, 1)))
        workload = doc["workload"]
        key = "requests_per_day" if workload.get("requests_per_day") is not None else "requests_per_month"
        workload[key] = round((workload.get(key) or 100_000.0) * factor, 1)
        doc["name"] = f"{doc['name']} #{i}"
        out.append(Scenario.model_validate(doc).model_dump(mode="json"))  # fail here, not as a 422
    return out


async def singles(port: int, raws: Sequence[bytes]) -> float:
    """Seconds for every request in turn on one keep-alive connection."""
    conn = await Connection.open(port)
    try:
        start = time.perf_counter()
        for raw in raws:
            status, _ = await conn.send(raw)
            if status != 200:
                raise HTTPError(f"single estimate: HTTP {status}")
        return time.perf_counter() - start
    finally:
        conn.close()


async def one_batch(port: int, raw: bytes) -> float:
    conn = await Connection.open(port)
    try:
        start = time.perf_counter()
        status, _ = await conn.send(raw)
        seconds = time.perf_counter() - start
    finally:
        conn.close()
    if status != 200:
        raise HTTPError(f"batch: HTTP {status}")
    return seconds


# --- the run ---


def fmt_cpu(x: float | None) -> str:
    return "  -" if x is None else f"{x * 100:3.0f}%"


async def bench(args: argparse.Namespace, port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError):  # `kill` cancels the run, and main() stops the server
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    up = await wait_until_up(port, proc, log)
    logging = "request log at info, as `make run`" if args.server == "cli" else "log at warning only"
    print(f"server: {args.server} ({logging}; pid {proc.pid}) on http://{HOST}:{port}, answered after {up:.1f} s")

    body = json.dumps(presets()[args.preset].scenario.model_dump(mode="json")).encode()
    estimate_raw = raw_request("POST", "/api/v1/estimate", port, body)
    validate_raw = raw_request("POST", "/api/v1/validate", port, body)
    conn = await Connection.open(port)
    try:
        size = await check(conn, estimate_raw, "estimate", lambda d: "verdict" in d)
        await check(conn, validate_raw, "validate", lambda d: d.get("valid") is True)
    finally:
        conn.close()
    print(f"preset: {args.preset} (request {len(body):,} B, estimate response {size:,} B)")
    print(f"load: {args.concurrency} connections x {args.duration:g} s, {args.rounds} rounds alternating")

    runs: dict[str, list[Load]] = {"estimate": [], "validate": []}
    for r in range(args.rounds):
        for name, raw in (("estimate", estimate_raw), ("validate", validate_raw)):
            result = await load(port, proc.pid, raw, args.concurrency, args.duration)
            runs[name].append(result)
            print(
                f"  round {r + 1} {name:8s} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
                f"p99 {result.p99_ms:6.2f} ms  cpu client {fmt_cpu(result.client_cpu)} "
                f"server {fmt_cpu(result.server_cpu)}"
            )

    n = args.batch_size
    docs = scenarios(n)
    single_raws = [raw_request("POST", "/api/v1/estimate", port, json.dumps(d).encode()) for d in docs]
    batch_body = json.dumps({"scenarios": docs}).encode()
    summary_raw = raw_request("POST", "/api/v1/estimate/batch", port, batch_body)
    full_raw = raw_request("POST", "/api/v1/estimate/batch?detail=full", port, batch_body)
    conn = await Connection.open(port)
    try:
        sizes = {
            which: await check(conn, raw, f"batch {which}", lambda d: len(d["estimates"]) == n)
            for which, raw in (("summary", summary_raw), ("full", full_raw))
        }
    finally:
        conn.close()
    print(
        f"batch: {n:,} scenarios ({len(batch_body) / 1e6:.1f} MB request; response "
        f"{sizes['summary'] / 1e6:.1f} MB summary, {sizes['full'] / 1e6:.1f} MB full), {args.batch_rounds} rounds"
    )
    times: dict[str, list[float]] = {"singles": [], "summary": [], "full": []}
    for r in range(args.batch_rounds):
        times["singles"].append(await singles(port, single_raws))
        times["summary"].append(await one_batch(port, summary_raw))
        times["full"].append(await one_batch(port, full_raw))
        print(
            f"  round {r + 1} {n:,} singles {times['singles'][-1]:6.2f} s   batch summary "
            f"{times['summary'][-1]:6.3f} s   batch full {times['full'][-1]:6.3f} s"
        )

    rps = {name: statistics.median(x.rps for x in rs) for name, rs in runs.items()}
    t = {name: statistics.median(xs) for name, xs in times.items()}

    def note(name: str) -> str:
        rs = runs[name]
        cpu = statistics.median(x.client_cpu for x in rs)
        server = [x.server_cpu for x in rs if x.server_cpu is not None]
        text = f"p50 {statistics.median(x.p50_ms for x in rs):.1f} ms; cpu client {fmt_cpu(cpu).strip()}"
        return text + (f", server {fmt_cpu(statistics.median(server)).strip()}" if server else "")

    rows = [
        ("POST /estimate", f"{rps['estimate']:,.0f} req/s", "", note("estimate")),
        ("POST /validate (ceiling)", f"{rps['validate']:,.0f} req/s", "", note("validate")),
        ("estimate / validate", f"{rps['estimate'] / rps['validate']:.2f}", "at least 0.5", ""),
        (f"{n:,} single estimates, in turn", f"{t['singles']:.2f} s", "", f"{t['singles'] / n * 1e3:.2f} ms each"),
        (f"one batch of {n:,}, summary", f"{t['summary']:.3f} s", "", ""),
        (f"one batch of {n:,}, full", f"{t['full']:.3f} s", "", ""),
        ("speed-up, summary batch", f"{t['singles'] / t['summary']:.1f}x", "at least 20x", ""),
        ("speed-up, full batch", f"{t['singles'] / t['full']:.1f}x", "", ""),
    ]
    print()
    print(f"{'summary (medians)':34s} {'measured':>14s}   {'goal':14s} note")
    for label, value, goal, extra in rows:
        print(f"{label:34s} {value:>14s}   {goal:14s} {extra}".rstrip())
    if statistics.median(x.client_cpu for x in runs["validate"]) > 0.8:
        print("warning: the client used most of a core under validate: the ceiling may be the client's")
    if args.summary_json:
        write_summary(args.summary_json, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per endpoint and round")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--rounds", type=int, default=2, help="load rounds (estimate then validate in each)")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--batch-rounds", type=int, default=3, help="rounds of singles, summary and full batch")
    parser.add_argument("--preset", default="content-moderation")
    add_server_argument(parser)
    parser.add_argument("--summary-json", type=Path, help="also write the summary rows here (bench/all.py)")
    args = parser.parse_args()
    if not (0 < args.duration <= 120 and 1 <= args.concurrency <= 512 and 1 <= args.rounds <= 20):
        parser.error("--duration in (0, 120], --concurrency in [1, 512], --rounds in [1, 20]")
    if not (1 <= args.batch_size <= 10_000 and 1 <= args.batch_rounds <= 20):
        parser.error("--batch-size in [1, 10000] (the server's MAX_BATCH default), --batch-rounds in [1, 20]")
    if args.preset not in presets():
        parser.error(f"--preset: one of {', '.join(presets())}")

    runner = _runner()
    with tempfile.TemporaryDirectory(prefix="llm-tco-bench-") as tmp:
        port = free_port()
        proc, log = start_server(args.server, port, Path(tmp))
        try:
            runner(bench(args, port, proc, log))
        except asyncio.CancelledError:
            raise SystemExit("stopped by SIGTERM") from None
        finally:
            stop_server(proc)


def _runner() -> Callable[[Coroutine[Any, Any, None]], None]:
    try:
        import uvloop
    except ImportError:
        print("client loop: asyncio")
        return asyncio.run
    print("client loop: uvloop")

    def run(coro: Coroutine[Any, Any, None]) -> None:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as r:
            r.run(coro)

    return run


if __name__ == "__main__":
    main()
