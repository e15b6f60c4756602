"""Stress: can one request freeze a team server? (issue 15)

One real team server (`llm-tco serve`, sign-in required, 1 worker, SQLite in a temporary folder, real
Argon2) and, in turn:

1. idle: /healthz probed every 0.1 s for 3 s: the baseline latency;
2. attack: 20 concurrent wrong sign-ins (browser form posts) while a 3,000-scenario, 120-month,
   full-detail batch streams, /healthz probed all along: its worst and median latency, as a ratio of
   the idle median too;
3. big: a 10,000-scenario, 120-month, full-detail batch streamed (JSON, then NDJSON with --ndjson):
   the server's peak resident memory (every process of its session, sampled every 0.1 s) against its
   idle memory, the bytes and the seconds;
4. keys: an object of 1,000,000 keys posted to /api/v1/validate: status and seconds.

    .venv/bin/python bench/stress.py [--scenarios 3000] [--big 10000] [--months 120] [--ndjson]
                                     [--summary-json PATH]

Nothing is asserted: the figures are printed (and written as JSON with --summary-json), with the
ratios against this run's own idle baseline (machines are noisy). The exit status is 1 only when a
request failed outright (a probe with no answer, a batch not 200).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from api import free_port
from load import start_server, stop_server, wait_ready
from stresskit import (
    ROOT,
    TEAM_ENV,
    Probe,
    RssWatch,
    batch_body,
    burst,
    session_rss_mb,
    stream_batch,
    team_account,
)

HOST = "127.0.0.1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", type=int, default=3_000, help="the batch sent during the attack")
    parser.add_argument("--big", type=int, default=10_000, help="the batch whose memory is watched (0: skip)")
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--ndjson", action="store_true", help="also stream the big batch as NDJSON")
    parser.add_argument("--summary-json", type=Path)
    args = parser.parse_args()
    failed = False
    out: dict[str, Any] = {"cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="llm-tco-stress-") as folder:
        url = f"sqlite:///{Path(folder) / 'stress.sqlite3'}"
        subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                       check=True, capture_output=True)  # fmt: skip
        token = team_account(url)
        port = free_port()
        base = f"http://{HOST}:{port}"
        log = Path(folder) / "server.log"
        proc = start_server(url, 1, port, log, {**TEAM_ENV, "SEED_PRESETS": "false"})
        wait_ready(port, proc, log)
        try:
            with Probe(base) as idle:
                time.sleep(3)
            out["idle_healthz_p50_ms"] = idle.percentile(0.5) * 1e3
            out["idle_rss_mb"] = session_rss_mb(proc.pid)
            print(f"idle: /healthz p50 {out['idle_healthz_p50_ms']:.1f} ms, server RSS {out['idle_rss_mb']:.0f} MB")

            body = batch_body(args.scenarios, args.months)
            with Probe(base) as probe:
                time.sleep(0.5)
                result: dict[str, Any] = {}
                batch = threading.Thread(target=lambda: result.update(b=stream_batch(base, token, body)))
                batch.start()
                statuses = burst(base, attempts=20, rounds=1)
                batch.join()
                time.sleep(0.5)
            streamed = result["b"]
            out["attack"] = {
                "sign_in_statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
                "batch_status": streamed.status,
                "batch_seconds": round(streamed.seconds, 2),
                "batch_mb": round(streamed.bytes / 1e6, 1),
                "healthz_probes": len(probe.latencies),
                "healthz_failures": probe.failures,
                "healthz_worst_ms": round(probe.worst * 1e3, 1),
                "healthz_p50_ms": round(probe.percentile(0.5) * 1e3, 1),
                "healthz_p99_ms": round(probe.percentile(0.99) * 1e3, 1),
                "worst_over_idle_p50": round(probe.worst / idle.percentile(0.5), 1),
            }
            failed |= streamed.status != 200 or bool(probe.failures)
            print(f"attack: {json.dumps(out['attack'])}")

            if args.big:
                big = batch_body(args.big, args.months)
                for ndjson in (False, True) if args.ndjson else (False,):
                    with RssWatch(proc.pid) as rss:
                        streamed = stream_batch(base, token, big, ndjson=ndjson)
                    key = "big_ndjson" if ndjson else "big_json"
                    out[key] = {
                        "status": streamed.status,
                        "seconds": round(streamed.seconds, 1),
                        "first_byte_s": round(streamed.first_byte_s, 2),
                        "mb": round(streamed.bytes / 1e6, 1),
                        "peak_rss_mb": round(rss.peak_mb, 1),
                        "peak_over_idle": round(rss.peak_mb / out["idle_rss_mb"], 2),
                    }
                    failed |= streamed.status != 200
                    print(f"{key}: {json.dumps(out[key])}")
                del big

            huge = b"{" + b",".join(b'"k%d":0' % i for i in range(1_000_000)) + b"}"
            start_s = time.perf_counter()
            answer = httpx.post(
                base + "/api/v1/validate",
                content=huge,
                headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
                timeout=120,
            )
            out["million_keys"] = {"status": answer.status_code, "seconds": round(time.perf_counter() - start_s, 3)}
            print(f"million_keys: {json.dumps(out['million_keys'])}")
        finally:
            stop_server(proc)
    if args.summary_json:
        args.summary_json.write_text(json.dumps(out, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
