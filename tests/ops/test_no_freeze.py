"""Issue 15 on a real team server (`llm-tco serve`, sign-in required, real Argon2, 1 worker, SQLite):
while 20 concurrent wrong sign-ins and a full-detail batch streaming 500 scenarios of 120 months
hit it, /healthz keeps answering. Before issue 15 it stopped answering for a minute.

Every probe must answer 200 (a probe waits at most FREEZE_S: that is a freeze, not a slow answer);
the latencies themselves are measured by bench/stress.py, with the 3,000-scenario batch, and printed
against an idle baseline, never asserted. The same kit (bench/stresskit.py) drives both.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from serverkit import Server
from suitekit import load

ROOT = Path(__file__).resolve().parents[2]
FREEZE_S = 10.0
"""A probe that has no answer after this long counts as a freeze (the bug was 64 s)."""


def test_healthz_answers_through_a_sign_in_burst_and_a_big_batch(tmp_path: Path) -> None:
    kit = load("stresskit_for_tests", ROOT / "bench" / "stresskit.py")
    url = f"sqlite:///{tmp_path / 'stress.sqlite3'}"
    token = kit.team_account(url)  # migrates, makes an editor and a write token
    server = Server(url, tmp_path, workers=1, **kit.TEAM_ENV).start()
    try:
        body = kit.batch_body(500, 120)  # about 10 s of work here: the burst lands inside it
        done: dict[str, Any] = {}
        with kit.Probe(server.url, timeout=FREEZE_S) as probe:
            batch = threading.Thread(target=lambda: done.update(batch=kit.stream_batch(server.url, token, body)))
            batch.start()
            statuses = kit.burst(server.url, attempts=20)
            batch.join()
        assert sorted(set(statuses)) <= [401, 429] and len(statuses) == 20  # wrong passwords, some throttled
        streamed = done["batch"]
        assert streamed.status == 200 and streamed.bytes > 500 * 50_000  # 500 estimates of ~60 KB each
        assert probe.failures == [], probe.failures  # every probe answered, 200
        assert len(probe.latencies) >= 10
    finally:
        server.stop()
