"""Issue 15 in team mode: a role's own budget of engine work (ROLE_BUDGETS), and password hashes that
never take more than one slot per core nor hold a database connection while they wait or run."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event
from teamkit import PASSWORD, Team

from app import offload
from app.auth import accounts
from app.presets import presets


@pytest.fixture
def auth_settings(auth_settings: Any) -> Any:
    """The team's settings with a small budget for viewers: 40 scenarios of 36 months fit (1,440 units)."""
    return auth_settings.model_copy(update={"role_budgets": {"viewer": 100_000}})


def _batch(n: int, months: int) -> dict[str, Any]:
    doc = presets()["support-ticket-categorisation"].scenario.model_dump(mode="json") | {"horizon_months": months}
    return {"scenarios": [doc] * n}


def test_a_role_budget_refuses_the_role_and_not_the_others(team: Team) -> None:
    """49 scenarios x 120 months x (1 + 0 draws + 165 tornado rows) = 976,080 units with uncertainty:
    over the viewer's 100,000, inside the editor's REQUEST_BUDGET (50,000,000)."""
    batch = _batch(49, 120)
    viewer = team.signed_in("viewer").post("/api/v1/estimate/batch?uncertainty=true", json=batch)
    assert viewer.status_code == 422
    [error] = viewer.json()["detail"]
    assert error["msg"].startswith("this asks for 976,080 units of engine work")
    assert "at most 100,000 in one request, set by the viewer role (ROLE_BUDGETS)" in error["msg"]
    assert error["msg"].endswith("split it into requests of at most 5 such scenarios")  # 100,000 // 19,920
    assert team.signed_in("editor").post("/api/v1/estimate/batch?uncertainty=true", json=batch).status_code == 200
    assert team.signed_in("viewer").post("/api/v1/estimate/batch", json=batch).status_code == 200  # 5,880 units


def test_role_budgets_name_known_roles() -> None:
    from app.settings import Settings

    with pytest.raises(ValueError, match="unknown role 'guest'"):
        Settings(role_budgets={"guest": 1_000_000})
    with pytest.raises(ValueError, match="must be 100,000 to 10"):
        Settings(role_budgets={"viewer": 10})


class _SlowHasher:
    """A hasher that takes 50 ms and records how many run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def verify(self, password: str, stored: str) -> bool:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return False

    def hash(self, password: str) -> str:
        self.verify(password, "")
        return "x"


def test_twenty_hashes_at_once_run_one_per_core_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty sign-ins checking a password at once (each in its own thread, as the thread pool runs them)
    never hash more than one per core at a time. The sign-in itself is tested below; a shared in-memory
    database cannot take twenty threads at once, so this calls the hashing step they share."""
    slow = _SlowHasher()
    monkeypatch.setattr(accounts, "hasher", slow)
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(accounts._verify("x", "y"))) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [False] * 20
    assert 1 <= slow.most <= offload.CORES  # 20 at once, never more hashes running than cores


def test_no_connection_is_held_while_a_password_is_hashed(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's connections are for everyone: a sign-in ends its read before it waits for a hash slot."""
    checked_out = 0
    seen_during_hash: list[int] = []

    def out(*_: Any) -> None:
        nonlocal checked_out
        checked_out += 1

    def back(*_: Any) -> None:
        nonlocal checked_out
        checked_out -= 1

    class Probe:
        def verify(self, password: str, stored: str) -> bool:
            seen_during_hash.append(checked_out)
            return False

    event.listen(team.engine, "checkout", out)
    event.listen(team.engine, "checkin", back)
    monkeypatch.setattr(accounts, "hasher", Probe())
    try:
        with team.session() as session:
            accounts.sign_in(
                session, username="viewer", password="wrong", address="a", free_failures=5, session_hours=1
            )
    finally:
        event.remove(team.engine, "checkout", out)
        event.remove(team.engine, "checkin", back)
    assert seen_during_hash == [0]


def test_a_throttled_sign_in_is_refused_before_any_hash(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    with team.session() as session:
        for _ in range(5):  # the free allowance of SIGN_IN_FREE_FAILURES
            accounts.sign_in(
                session, username="viewer", password="wrong", address="b", free_failures=5, session_hours=1
            )

    class Refuse:
        def verify(self, password: str, stored: str) -> bool:
            raise AssertionError("hashed although throttled")

    monkeypatch.setattr(accounts, "hasher", Refuse())
    with team.session() as session:
        refused = accounts.sign_in(
            session, username="viewer", password=PASSWORD, address="b", free_failures=5, session_hours=1
        )
    assert isinstance(refused, accounts.Refused) and refused.retry_after_s >= 1
