"""What an attacker and a heavy user do to a team server (issue 15), as functions the benchmarks and the
stress test share: an account and a token made by the command line, a burst of wrong sign-ins, a big
batch streamed and counted, /healthz probed all along, and the server's memory.

Plain threads and httpx: each burst attempt is a real browser sign-in (GET the form for its CSRF
token and pre-session cookie, POST a wrong password).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "stress test password"
TEAM_ENV = {"AUTH_REQUIRED": "true", "SECRET_KEY": "stress test key, not a secret " + "x" * 32}
"""A team server on loopback: sign-in required, a fixed key so every worker signs alike."""
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def cli(database_url: str, *args: str, stdin: str = "") -> str:
    """`llm-tco ARGS` on `database_url`; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, **TEAM_ENV},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"llm-tco {' '.join(args)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def team_account(database_url: str, username: str = "stress") -> str:
    """An editor `username` (password PASSWORD) and a write token of it: the token's secret."""
    cli(database_url, "users", "create", username, "--role", "editor", "--password-stdin", stdin=PASSWORD + "\n")
    out = cli(database_url, "tokens", "create", "--user", username, "--name", "stress", "--scope", "write")
    found = re.search(r"tco_[A-Za-z0-9_\-]+", out)
    if found is None:
        raise RuntimeError(f"no token in:\n{out}")
    return found[0]


def sign_in(base: str, username: str, password: str, *, timeout: float = 60) -> httpx.Response:
    """One browser sign-in: the form (its CSRF token and pre-session cookie), then the POST."""
    with httpx.Client(base_url=base, timeout=timeout, follow_redirects=False) as client:
        form = client.get("/sign-in")
        match = _CSRF.search(form.text)
        if match is None:
            raise RuntimeError(f"no CSRF token on /sign-in ({form.status_code})")
        return client.post(
            "/sign-in", data={"username": username, "password": password, "csrf_token": match[1], "next": "/"}
        )


def session_cookie(base: str, username: str) -> str:
    """`tco_session=...` of a fresh sign-in with PASSWORD."""
    answer = sign_in(base, username, PASSWORD)
    cookie = answer.cookies.get("tco_session")
    if answer.status_code != 303 or not cookie:
        raise RuntimeError(f"sign-in failed: {answer.status_code}")
    return f"tco_session={cookie}"


def burst(base: str, attempts: int = 20, rounds: int = 1) -> list[int]:
    """`attempts` wrong sign-ins at once (each its own thread and account name), `rounds` times: their
    statuses (401 wrong password, 429 throttled)."""
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        for r in range(rounds):
            status = sign_in(base, f"nobody{i}x{r}", "not the password").status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def batch_body(n: int, months: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from app.presets import presets

    docs = [p.scenario.model_dump(mode="json") | {"horizon_months": months} for p in presets().values()]
    return {"scenarios": [docs[i % len(docs)] | {"name": f"s{i}"} for i in range(n)]}


@dataclass
class Streamed:
    status: int
    bytes: int
    seconds: float
    first_byte_s: float
    lines: int


def stream_batch(
    base: str, token: str, body: dict[str, Any], *, ndjson: bool = False, timeout: float = 600
) -> Streamed:
    """POST the batch with detail=full and read the answer as it streams, keeping only its size."""
    headers = {"authorization": f"Bearer {token}"}
    if ndjson:
        headers["accept"] = "application/x-ndjson"
    start = time.perf_counter()
    first = 0.0
    size = lines = 0
    with (
        httpx.Client(base_url=base, timeout=timeout) as client,
        client.stream("POST", "/api/v1/estimate/batch?detail=full", json=body, headers=headers) as answer,
    ):
        for chunk in answer.iter_bytes():
            if not size:
                first = time.perf_counter() - start
            size += len(chunk)
            lines += chunk.count(b"\n")
        status = answer.status_code
    return Streamed(status, size, time.perf_counter() - start, first, lines)


class Sampler:
    """Calls `sample()` every `every` seconds from its own thread, from `with` until its end."""

    every = 0.1

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


class Probe(Sampler):
    """GET /healthz every 0.1 s: each answer's latency, and the failures (no answer, not 200)."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        super().__init__()
        self.client = httpx.Client(base_url=base, timeout=timeout)
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def sample(self) -> None:
        start = time.perf_counter()
        try:
            status = self.client.get("/healthz").status_code
        except httpx.HTTPError as exc:
            self.failures.append(type(exc).__name__)
            return
        self.latencies.append(time.perf_counter() - start)
        if status != 200:
            self.failures.append(str(status))

    def __exit__(self, *_: object) -> None:
        super().__exit__()
        self.client.close()

    @property
    def worst(self) -> float:
        return max(self.latencies, default=float("nan"))

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def session_rss_mb(sid: int) -> float:
    """Resident memory of every process in session `sid` (uvicorn's manager and its workers), in MB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[3]) != sid:
                continue
            status = (entry / "status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        total += int(found[1]) if found else 0
    return total / 1024


class RssWatch(Sampler):
    """The peak of `session_rss_mb(sid)`, sampled every 0.1 s."""

    def __init__(self, sid: int) -> None:
        super().__init__()
        self.sid = sid
        self.peak_mb = 0.0

    def sample(self) -> None:
        self.peak_mb = max(self.peak_mb, session_rss_mb(self.sid))


class Alongside:
    """The attack and the heavy user, over and over until the `with` ends: bursts of 20 wrong sign-ins,
    and a big full-detail batch streamed; what each did (statuses) is kept."""

    def __init__(self, base: str, token: str, *, scenarios: int = 3_000, months: int = 120) -> None:
        self.base, self.token = base, token
        self.body = batch_body(scenarios, months)
        self.sign_ins: list[int] = []
        self.batches: list[Streamed] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._bursts), threading.Thread(target=self._batches)]

    def _bursts(self) -> None:
        while not self._stop.is_set():
            self.sign_ins += burst(self.base, attempts=20)

    def _batches(self) -> None:
        while not self._stop.is_set():
            self.batches.append(stream_batch(self.base, self.token, self.body))

    def __enter__(self) -> Self:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()

    def summary(self) -> str:
        statuses = {s: self.sign_ins.count(s) for s in sorted(set(self.sign_ins))}
        batches = ", ".join(f"{b.status} in {b.seconds:.1f} s" for b in self.batches)
        return f"sign-ins {sum(statuses.values())} ({statuses}); batches of {len(self.body['scenarios']):,}: {batches}"
