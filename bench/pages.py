"""Page benchmark: what a browser downloads for the calculator, and the server time of a recompute.

Measures, against one `llm-tco serve` started here (temporary SQLite, no presets seeded), as
bench/api.py does:

1. Through Chromium (Debian's /usr/bin/chromium, driven by Playwright; never `playwright install`),
   in a fresh browser context: the bytes transferred to load `/` the first time (goal: at most
   450 KB), and to load it again in the same context (goal: at most 25 KB: the static files are
   hashed and served `Cache-Control: immutable`, so only the page itself comes back). Bytes are the
   sum of `encodedDataLength` of the DevTools `Network.loadingFinished` events: compressed bodies
   plus headers, as they crossed the wire. The first load waits until the charts are drawn and the
   network is idle (the favicon included).
2. The server time of a recompute, `GET /` with `HX-Request: true` and every field of a preset's
   form as the query (what htmx sends as the user types; the answer is the results fragment),
   against `POST /api/v1/estimate` of the same scenario (goal: the recompute at most 2x the
   estimate). Both go over one keep-alive HTTP/1.1 connection on 127.0.0.1, one request at a time,
   with `Accept-Encoding: gzip` as a browser sends it (`--identity`: without), in alternating
   rounds; the median latency of each round, then the median of the rounds. A static file (the
   favicon, served from memory) is timed the same way as the floor: what the client, loopback and
   the server's HTTP handling cost alone.
3. The server time of the uncertainty panel, `GET /uncertainty` with `HX-Request: true` and the same
   preset with the seeds' ranges filled in (`with_seed_ranges`; what the page fetches once the
   results are shown), against `POST /api/v1/estimate?uncertainty=true` of that scenario: the same
   Monte Carlo and tornado, answered as JSON. The ratio is printed, with no goal: it says what the
   panel's HTML costs on top of the draws. Fewer requests (`--panel-requests`): each runs 10,000
   draws. Both are timed in the same rounds, on the same connection and in the same session as
   the recompute, so machine noise weighs on both sides alike.

4. In Chromium at 1440x900: a keystroke in the volume field to the results settled and painted (the
   debounce, the server, the swap and the chart in view updated in place; the charts below the fold
   are drawn once typing pauses, app.js QUIET_MS, so no keystroke waits for them), the median of `--edits` (7)
   keystrokes one after another (goal: at most 0.35 s on a quiet machine), printed beside the server
   time of the same recomputes.

Every number is measured in this run and nothing is asserted: it prints measured against goal.

    .venv/bin/python bench/pages.py [--rounds 7] [--requests 200] [--panel-requests 20]
                                    [--preset content-moderation] [--identity] [--server cli|uvicorn]
                                    [--chromium /usr/bin/chromium] [--summary-json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import (
    HOST,
    Connection,
    HTTPError,
    add_server_argument,
    free_port,
    start_server,
    stop_server,
    wait_until_up,
    write_summary,
)

from app.presets import presets
from app.services import with_seed_ranges
from app.web import forms
from app.web.assets import Assets

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FIRST_LOAD_GOAL_KB = 450
REPEAT_LOAD_GOAL_KB = 25
RATIO_GOAL = 2.0
TYPING_GOAL_S = 0.35
"""A keystroke to the settled answer, on a quiet machine: the 200 ms debounce, the server, the swap."""


# --- 1. bytes through the browser ---


@dataclass
class Transfer:
    """What one page load moved: bytes by URL, and which came from the browser's cache."""

    by_url: dict[str, int] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_url.values())

    def note(self) -> str:
        return f"{len(self.by_url)} requests, {len(self.cached)} from the cache"


def measure_loads(base: str, chromium: str) -> tuple[Transfer, Transfer, Transfer]:
    """First load, repeat navigation and reload of `/` in one fresh context."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            urls: dict[str, str] = {}
            current = Transfer()

            def on_request(event: dict[str, Any]) -> None:
                urls[event["requestId"]] = event["request"]["url"]

            def on_cached(event: dict[str, Any]) -> None:
                current.cached.append(urls.get(event["requestId"], "?"))

            def on_finished(event: dict[str, Any]) -> None:
                url = urls.get(event["requestId"], "?")
                current.by_url[url] = current.by_url.get(url, 0) + int(event["encodedDataLength"])

            cdp.on("Network.requestWillBeSent", on_request)
            cdp.on("Network.requestServedFromCache", on_cached)
            cdp.on("Network.loadingFinished", on_finished)

            def load(action: Callable[[], object]) -> Transfer:
                nonlocal current
                current = Transfer()
                action()
                page.wait_for_function(DRAWN)
                page.wait_for_load_state("networkidle")
                return current

            first = load(lambda: page.goto(base + "/", wait_until="load"))
            again = load(lambda: page.goto(base + "/", wait_until="load"))
            reload = load(lambda: page.reload(wait_until="load"))
            context.close()
        finally:
            browser.close()
    return first, again, reload


DRAWN = "() => [...document.querySelectorAll('.chart')].every(c => c.dataset.drawn === 'true')"
TYPING_PROBE = """() => {
  window.__typed = [];
  const field = document.getElementById("f-workload__requests_per_month");
  field.addEventListener("keydown", (event) => {
    if (/^[0-9]$|^Backspace$/.test(event.key)) window.__typed.push({start: performance.now(), end: null});
  });
  // after app.js's own afterSettle handler (registered first), which draws the charts in view: the next frame
  document.addEventListener("htmx:afterSettle", (event) => {
    if (!event.detail.target || event.detail.target.id !== "results") return;
    const last = window.__typed[window.__typed.length - 1];
    requestAnimationFrame(() => setTimeout(() => { if (last && last.end === null) last.end = performance.now(); }));
  });
}"""


def measure_typing(base: str, chromium: str, edits: int) -> tuple[list[float], list[float]]:
    """Seconds from a keystroke in the volume field to the results settled and painted (charts
    updated), for `edits` keystrokes one after another; and the server's time of each one's
    recompute (Playwright's request timing: from the request sent to the answer's first byte)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(base + "/", wait_until="load")
            page.wait_for_function(DRAWN)
            page.evaluate(TYPING_PROBE)
            field = page.locator("#f-workload__requests_per_month")
            field.fill("100000")  # typed by fill: no keydown, so not timed
            page.wait_for_timeout(800)
            field.focus()
            page.keyboard.press("End")
            served: list[float] = []
            for k in range(edits):
                with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true") as info:
                    page.keyboard.press("0" if k % 2 == 0 else "Backspace")
                timing = info.value.request.timing
                served.append((timing["responseStart"] - timing["requestStart"]) / 1e3)  # to the first byte
                page.wait_for_function("() => window.__typed.length && window.__typed.at(-1).end !== null")
                page.wait_for_timeout(300)
            typed = page.evaluate("window.__typed.map(t => (t.end - t.start) / 1000)")
        finally:
            browser.close()
    return typed, served


def show_transfer(name: str, t: Transfer, base: str) -> None:
    print(f"{name}: {t.total / 1024:.1f} KB in {len(t.by_url)} responses")
    for url, size in sorted(t.by_url.items(), key=lambda kv: -kv[1]):
        path = urlsplit(url)._replace(scheme="", netloc="").geturl() if url.startswith(base) else url
        note = " (cache)" if url in t.cached else ""
        print(f"  {size / 1024:8.1f} KB  {path[:90]}{note}")


# --- 2. recompute against estimate, over HTTP ---


def request(method: str, path: str, port: int, *, body: bytes = b"", headers: dict[str, str]) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
    for name, value in headers.items():
        head += f"{name}: {value}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def latencies(conn: Connection, raw: bytes, n: int) -> list[float]:
    out = []
    clock = time.perf_counter
    for _ in range(n):
        t0 = clock()
        status, _ = await conn.send(raw)
        out.append(clock() - t0)
        if status != 200:
            raise HTTPError(f"HTTP {status} for {raw[:80]!r}")
    return out


async def server_times(
    port: int, raws: dict[str, bytes], rounds: int, counts: dict[str, int]
) -> dict[str, list[float]]:
    """Median latency (s) of each round for each request, `counts[name]` requests of each per round;
    the order of the kinds alternates by round."""
    conn = await Connection.open(port)
    try:
        for name, raw in raws.items():  # warm up: code paths, caches, the connection
            status, body = await conn.send(raw, want_body=True)
            if status != 200:
                raise HTTPError(f"{name}: HTTP {status}: {body[:300]!r}")
            await latencies(conn, raw, max(3, counts[name] // 10))
        medians: dict[str, list[float]] = {name: [] for name in raws}
        names = list(raws)
        for r in range(rounds):
            for name in names if r % 2 == 0 else reversed(names):
                medians[name].append(statistics.median(await latencies(conn, raws[name], counts[name])))
            print("  round " + f"{r + 1}: " + "   ".join(f"{k} {v[-1] * 1e3:6.2f} ms" for k, v in medians.items()))
        return medians
    finally:
        conn.close()


async def sizes(port: int, raws: dict[str, bytes]) -> dict[str, int]:
    conn = await Connection.open(port)
    try:
        return {name: len((await conn.send(raw, want_body=True))[1]) for name, raw in raws.items()}
    finally:
        conn.close()


# --- the run ---


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds of recompute and estimate")
    parser.add_argument("--edits", type=int, default=7, help="keystrokes timed to the settled answer")
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind per round")
    parser.add_argument(
        "--panel-requests", type=int, default=20, help="uncertainty panels and estimates with draws per round"
    )
    parser.add_argument("--preset", default="content-moderation")
    parser.add_argument(
        "--identity", action="store_true", help="ask for uncompressed answers (a browser asks for gzip)"
    )
    parser.add_argument(
        "--chromium",
        default=os.environ.get("TEST_CHROMIUM") or "/usr/bin/chromium",
        help="the Chromium binary Playwright drives (default: TEST_CHROMIUM, else /usr/bin/chromium)",
    )
    add_server_argument(parser)
    parser.add_argument("--summary-json", type=Path, help="also write the summary rows here (bench/all.py)")
    args = parser.parse_args()
    if not (1 <= args.rounds <= 50 and 10 <= args.requests <= 10_000 and 3 <= args.panel_requests <= 1_000):
        parser.error("--rounds in [1, 50], --requests in [10, 10000], --panel-requests in [3, 1000]")
    if args.preset not in presets():
        parser.error(f"--preset: one of {', '.join(presets())}")
    if not Path(args.chromium).is_file():
        parser.error(f"no Chromium at {args.chromium} (apt-get install chromium; never `playwright install`)")

    scenario = presets()[args.preset].scenario
    ranged, _ = with_seed_ranges(scenario)
    with tempfile.TemporaryDirectory(prefix="llm-tco-bench-pages-") as tmp:
        port = free_port()
        proc, log = start_server(args.server, port, Path(tmp))
        try:
            up = asyncio.run(wait_until_up(port, proc, log))
            base = f"http://{HOST}:{port}"
            print(f"server: {args.server} (pid {proc.pid}) on {base}, answered after {up:.1f} s")

            first, again, reload = measure_loads(base, args.chromium)
            typed, served = measure_typing(base, args.chromium, args.edits)
            show_transfer("first load of /", first, base)
            show_transfer("repeat load of / (a new navigation, same context)", again, base)
            show_transfer("reload of / (the reload button)", reload, base)

            # What htmx sends: every field of the form, as the page shows them.
            query = urlencode(forms.values_of(scenario))
            body = json.dumps(scenario.model_dump(mode="json")).encode()
            accept = {} if args.identity else {"Accept-Encoding": "gzip"}
            raws = {
                "recompute": request("GET", "/?" + query, port, headers={**accept, "HX-Request": "true"}),
                "estimate": request("POST", "/api/v1/estimate", port, body=body, headers=accept),
                "static": request("GET", Assets().url("favicon.svg"), port, headers=accept),
                # the uncertainty panel of the preset with the seeds' ranges, and the API's same draws
                "panel": request(
                    "GET", "/uncertainty?" + forms.query_of(ranged), port, headers={**accept, "HX-Request": "true"}
                ),
                "estimate+draws": request(
                    "POST",
                    "/api/v1/estimate?uncertainty=true",
                    port,
                    body=json.dumps(ranged.model_dump(mode="json")).encode(),
                    headers=accept,
                ),
            }
            answer = asyncio.run(sizes(port, raws))
            coding = "identity" if args.identity else "gzipped"
            print(
                f"preset {args.preset}: recompute GET {len(raws['recompute']):,} B, answer {answer['recompute']:,} B "
                f"{coding}; estimate POST {len(raws['estimate']):,} B, answer {answer['estimate']:,} B {coding}"
            )
            print(
                f"with the seeds' {len(ranged.ranges)} ranges: panel GET {len(raws['panel']):,} B, answer "
                f"{answer['panel']:,} B {coding}; estimate?uncertainty=true answer {answer['estimate+draws']:,} B"
            )
            counts = {name: args.requests for name in raws} | {
                "panel": args.panel_requests,
                "estimate+draws": args.panel_requests,
            }
            print(
                f"latency: {args.rounds} rounds x {args.requests} requests of each ({args.panel_requests} of the "
                "panel and of the estimate with draws), one keep-alive connection"
            )
            times = asyncio.run(server_times(port, raws, args.rounds, counts))
        finally:
            stop_server(proc)

    ms = {name: statistics.median(xs) * 1e3 for name, xs in times.items()}
    floor = ms["static"]
    ratio = ms["recompute"] / ms["estimate"]
    net = (ms["recompute"] - floor) / max(ms["estimate"] - floor, 1e-9)

    def kb(x: int) -> str:
        return f"{x / 1024:.1f} KB"

    rows = [
        (
            "keystroke -> results settled",
            f"{statistics.median(typed):.3f} s",
            f"at most {TYPING_GOAL_S:g} s",
            f"median of {len(typed)} edits; the recompute's server time {statistics.median(served):.3f} s",
        ),
        ("first load of /", kb(first.total), f"at most {FIRST_LOAD_GOAL_KB} KB", first.note()),
        ("repeat load of /", kb(again.total), f"at most {REPEAT_LOAD_GOAL_KB} KB", again.note()),
        ("reload of /", kb(reload.total), "", "the reload button; " + reload.note()),
        ("GET / recompute (HX-Request)", f"{ms['recompute']:.2f} ms", "", "median of round medians"),
        ("POST /api/v1/estimate", f"{ms['estimate']:.2f} ms", "", "same scenario"),
        ("GET static file (floor)", f"{floor:.2f} ms", "", "client + loopback + HTTP"),
        (
            "recompute / estimate",
            f"{ratio:.2f}x",
            f"at most {RATIO_GOAL:g}x",
            f"{net:.2f}x with the floor taken off both",
        ),
        ("GET /uncertainty panel (HX)", f"{ms['panel']:.2f} ms", "", f"{len(ranged.ranges)} seed ranges, 10,000 draws"),
        ("POST /estimate?uncertainty=true", f"{ms['estimate+draws']:.2f} ms", "", "same scenario, same draws"),
        (
            "panel / estimate with draws",
            f"{ms['panel'] / ms['estimate+draws']:.2f}x",
            "",
            "printed only: the panel's HTML and charts on top of the draws",
        ),
    ]
    print()
    print(f"{'summary':32s} {'measured':>10s}   {'goal':16s} note")
    for label, value, goal, note in rows:
        print(f"{label:32s} {value:>10s}   {goal:16s} {note}".rstrip())
    if args.summary_json:
        write_summary(args.summary_json, rows)


if __name__ == "__main__":
    main()
