"""Issue 15 on a real team server (`llm-tco serve`, sign-in required, real Argon2, 1 worker, SQLite):
while 20 concurrent wrong sign-ins and a full-detail batch streaming 500 scenarios of 120 months
hit it, /healthz keeps answering. Before issue 15 it stopped answering for a minute.

Every probe must answer 200 (a probe waits at most FREEZE_S: that is a freeze, not a slow answer);
the latencies themselves are measured by bench/stress.py, with the 3,000-scenario batch, and printed
against an idle baseline, never asserted. The same kit (bench/stresskit.py) drives both; the account
and its token are made here by the functions `llm-tco users create` and `tokens create` call (the
kit's `team_account` runs those commands, two processes that each import the app: seconds of setup).

The batch's size is what the burst needs: on a quiet machine the 20 sign-ins (real Argon2, one hashing
slot) take about as long as the batch, so both share the probes' time.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from serverkit import Server
from sqlmodel import Session
from suitekit import load

from app.auth import accounts
from app.db.migrate import upgrade
from app.db.session import get_engine

ROOT = Path(__file__).resolve().parents[2]
FREEZE_S = 10.0
"""A probe that has no answer after this long counts as a freeze (the bug was 64 s)."""


def _team_account(url: str, kit: Any) -> str:
    """What kit.team_account(url) makes, in this process: the database migrated, an editor with the kit's
    password (a real Argon2 hash) and a write token of it; the token's secret."""
    upgrade(url)
    try:
        with Session(get_engine(url), expire_on_commit=False) as session:
            user = accounts.create_user(session, username="stress", role="editor", password=kit.PASSWORD, actor="setup")
            _, secret = accounts.create_token(session, user=user, name="stress", scope="write", days=1)
    finally:
        get_engine(url).dispose()  # the server is the only one on the file from here
    return secret


def test_healthz_answers_through_a_sign_in_burst_and_a_big_batch(tmp_path: Path) -> None:
    kit = load("stresskit_for_tests", ROOT / "bench" / "stresskit.py")
    url = f"sqlite:///{tmp_path / 'stress.sqlite3'}"
    token = _team_account(url, kit)  # migrates, makes an editor and a write token
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
