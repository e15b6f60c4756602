"""Every setting of the app, in one class. Each is read from the environment (upper case) or `.env`.

docs/settings.md lists them; a test checks that it lists every one.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", use_attribute_docstrings=True)

    database_url: str = "sqlite:///var/llm-tco.sqlite3"
    """SQLAlchemy URL of the database. SQLite by default (the file is created, with its folder);
    PostgreSQL as `postgresql+psycopg://user:password@host/dbname`."""
    host: str = "127.0.0.1"
    """Address `llm-tco serve` binds to."""
    port: int = Field(default=8000, ge=1, le=65535)
    """Port `llm-tco serve` listens on."""
    workers: int = Field(default=1, ge=1, le=64)
    """Worker processes `llm-tco serve` starts. Each is stateless: sessions, sign-in throttles and saved
    scenarios live in the database, so any worker (or host) may answer any request. More than one
    wants PostgreSQL, or SQLite on a local disk (never a network share)."""
    log_format: Literal["json", "text"] = "json"
    """`json`: one JSON object per line (time, level, request id, method, route, status, duration),
    for a log shipper. `text`: the same, readable by a person at a terminal."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Least severe log line written. `info` writes one line per request."""
    db_pool_size: int = Field(default=5, ge=1, le=100)
    """PostgreSQL: connections each worker keeps open. Workers x (this + DB_MAX_OVERFLOW) must stay
    below the server's max_connections."""
    db_max_overflow: int = Field(default=10, ge=0, le=100)
    """PostgreSQL: connections a worker may open beyond DB_POOL_SIZE under a burst (closed after)."""
    db_pool_timeout_s: float = Field(default=10.0, gt=0, le=300)
    """PostgreSQL: seconds a request waits for a free connection before it is answered 503."""
    sqlite_busy_timeout_ms: int = Field(default=5_000, ge=0, le=600_000)
    """SQLite: milliseconds a write waits for another process's write to finish before it is
    answered 503 (the database is in WAL mode: reads never wait for writes)."""
    seed_presets: bool = True
    """Save the bundled presets as scenarios when the database has none (first start)."""
    max_body_bytes: int = Field(default=32_000_000, ge=1_000)
    """Largest request body accepted; a larger one is answered 413."""
    max_batch: int = Field(default=10_000, ge=1, le=100_000)
    """Most scenarios (or sweep values) one `POST /api/v1/estimate/batch` may carry."""
    max_batch_draws: int = Field(default=1_000_000, ge=1, le=100_000_000)
    """Most Monte Carlo draws one `POST /api/v1/estimate/batch?uncertainty=true` may run: the sum of
    `uncertainty.draws` over its scenarios that carry ranges."""
    request_budget: int = Field(default=50_000_000, ge=100_000, le=10**12)
    """Engine work one request may ask for, in units of one scenario-month of one row: the sum over its
    scenarios of `horizon_months x (1 + draws + tornado rows)` (draws and tornado rows only with
    uncertainty=true). A request over it is refused up front (422), naming the limit and how to split.
    The default takes a 10,000-scenario, 120-month batch (1.2 million) and 1,000 scenarios with 100
    draws (about 30 million); on two cores 50 million units is about 45 s of work."""
    role_budgets: dict[str, int] = Field(default_factory=dict)
    """Team mode: REQUEST_BUDGET per role, as JSON (`{"viewer": 2000000, "reviewer": 2000000}`); a role
    not named gets REQUEST_BUDGET."""
    request_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    """Work still running after this many seconds stops between chunks and is answered 503 (keep it below
    your proxy's read timeout: docs/deploy.md sets 120 s). It also stops when the client disconnects."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Host names this server answers to, as JSON (`["tco.example.com"]`); `*.example.com` takes its
    subdomains. Empty: the loopback names (localhost, 127.0.0.1, [::1]) in local mode, and HOST's
    address bound beyond loopback. Any other `Host` header is answered 400, before anything else (so a
    page on a rebinding domain cannot reach local data)."""
    local_author: str = "local"
    """The single user of local mode (loopback, no sign-in): the author of its revisions and audit entries."""
    auth_required: bool = False
    """Require sign-in for every page and API call, even on loopback. Bound to any other address (HOST),
    sign-in is required whatever this says."""
    secret_key: str = ""
    """Signs session cookies and CSRF tokens. Empty: a random key is made once and kept in
    `var/secret-key`; set it (and the same on every server) when several machines serve one database."""
    session_hours: int = Field(default=12, ge=1, le=24 * 90)
    """A sign-in lasts this long (signing out ends it at once)."""
    token_days: int = Field(default=90, ge=1, le=3650)
    """Default lifetime of a new API token, in days (each token may ask for 1 to 3,650)."""
    share_link_days: int = Field(default=7, ge=1, le=365)
    """Default lifetime of a new read-only share link, in days (each link may ask for 1 to 365)."""
    sign_in_free_failures: int = Field(default=5, ge=1, le=1000)
    """Failed sign-ins in a row, per account, before each further attempt must wait (1 s, doubling to 15 min).
    Per address the allowance is four times this."""

    @field_validator("role_budgets")
    @classmethod
    def _known_roles(cls, value: dict[str, int]) -> dict[str, int]:
        from app.db.models import ROLES  # the settings load before the models

        for role, budget in value.items():
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
            if not 100_000 <= budget <= 10**12:
                raise ValueError(f"the budget of {role} must be 100,000 to 10^12 units, not {budget:,}")
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        names = [name.strip().lower().removeprefix("[").removesuffix("]") for name in value]
        for name in names:
            bare = name.removeprefix("*.")
            if not bare or any(c in bare for c in "/@ *") or (":" in bare and not _is_ip(bare)):
                raise ValueError(f"{name!r} is not a host name: give names without scheme or port")
        return names

    def budget_for(self, role: str | None) -> int:
        """REQUEST_BUDGET, or the role's own in team mode (None: local mode, or a public route)."""
        return self.role_budgets.get(role, self.request_budget) if role else self.request_budget

    @property
    def auth_on(self) -> bool:
        """Sign-in required: asked for, or bound to an address other than loopback."""
        return self.auth_required or not is_loopback(self.host)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost; any other name or address (0.0.0.0 included) is not."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@functools.cache
def get_settings() -> Settings:
    return Settings()
