"""Browser tests: the real server, driven by Debian's Chromium through Playwright.

- `live_server` (session): `python -m app.cli serve` (migrations, the presets seeded) on 127.0.0.1
  and a free port, on a temporary SQLite file; its log is shown when it fails to start.
- `browser` (package): Chromium from TEST_CHROMIUM (set by scripts/with-chromium.sh, which `make test`
  runs pytest through) or /usr/bin/chromium. Never `playwright install`: no browser is downloaded.
  Without Playwright or Chromium every browser test is skipped, and the skip says why.
- `page` (each test), and `new_page()` for more: every request to a host other than 127.0.0.1 is
  aborted and fails the test; so do console errors (CSP violations are console errors) and uncaught
  page errors, unless the test allowed them (`watch.allow(...)`). `screenshot(page, name)` saves
  var/screenshots/NAME.png; a failing test leaves var/screenshots/FAILED-<test>-<n>.png of its pages.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from pagekit import HOST, TEAM, TEAM_PASSWORD, NewPage, Watch

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, Response, Route

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
START_TIMEOUT_S = 60.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}


def _chromium() -> tuple[str | None, str]:
    """The Chromium to drive, or None and why not."""
    reason = os.environ.get("TEST_BROWSER_SKIPPED")
    if reason:
        return None, reason
    path = os.environ.get("TEST_CHROMIUM") or "/usr/bin/chromium"
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return None, f"no Chromium at {path} (`make test` installs Debian's through scripts/with-chromium.sh)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "the Python package playwright is not installed (pip install -e '.[test]')"
    return path, ""


CHROMIUM, SKIP_REASON = _chromium()


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which reads the group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist every browser test goes to one worker (`--dist loadgroup`): one server and
    one Chromium serve them all. Without Chromium each is skipped. (Two groups on two workers were
    tried: no faster on two cores, and a worker then ran an anyio test beside Playwright's loop.)"""
    here = Path(__file__).parent
    mark = pytest.mark.skip(reason=f"browser tests skipped: {SKIP_REASON}") if CHROMIUM is None else None
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.xdist_group("browser"))
            if mark is not None:
                item.add_marker(mark)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so the page fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- the server ---


@dataclass
class LiveServer:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=5) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def _serve(tmp: Path, **extra_env: str) -> Iterator[LiveServer]:
    """`llm-tco serve` on a fresh SQLite file in `tmp`, until the generator is closed."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'browser.sqlite3'}",
        "SEED_PRESETS": "true",
        "HOST": HOST,
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    log = tmp / "server.log"
    if extra_env.get("AUTH_REQUIRED") == "true":
        # the schema by the CLI, as an operator makes it; the accounts in this process through the function
        # `llm-tco users create` calls (four CLI processes with a real Argon2 hash each took ~20 s)
        cli = [sys.executable, "-m", "app.cli"]
        subprocess.run([*cli, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
        from sqlmodel import Session

        from app.auth import accounts
        from app.db.session import get_engine

        engine = get_engine(env["DATABASE_URL"])
        with Session(engine) as session:
            for role in TEAM:
                accounts.create_user(session, username=role, role=role, password=TEAM_PASSWORD, actor="cli:setup")
        engine.dispose()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", HOST, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(f"http://{HOST}:{port}", log, proc)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _up(server.url):
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{server.tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within {START_TIMEOUT_S:.0f} s:\n{server.tail()}")
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Local mode (no sign-in), the six presets saved as scenarios 1-6."""
    yield from _serve(tmp_path_factory.mktemp("live-server"))


@pytest.fixture(scope="session")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A team deployment: AUTH_REQUIRED=true, the presets, and the accounts of TEAM made by `llm-tco users`."""
    yield from _serve(tmp_path_factory.mktemp("team-server"), AUTH_REQUIRED="true")


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


# --- the browser ---


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the browser tests; closed when they are done (before the other packages run)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def watch() -> Watch:
    return Watch()


def _local_only(watch: Watch) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == HOST:
            route.continue_()
        else:
            watch.blocked.append(url)
            route.abort("blockedbyclient")

    return handle


def _watched(page: Page, watch: Watch) -> Page:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            watch.console_errors.append(f"{message.text} ({where.get('url', '')}:{where.get('lineNumber', '')})")

    def on_page_error(error: Error) -> None:
        watch.page_errors.append(f"{error.name}: {error.message}")

    def on_response(response: Response) -> None:
        if response.status >= 500:
            watch.server_errors.append(f"HTTP {response.status} {response.request.method} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)
    return page


@pytest.fixture
def new_page(browser: Browser, base_url: str, watch: Watch, request: pytest.FixtureRequest) -> Iterator[NewPage]:
    """`new_page(**context_options)`: a page in a fresh context (no cookies, no cache), watched; on the
    local-mode server unless `base_url=team_server.url`."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> Page:
        where = options.pop("base_url", base_url)  # team tests pass the team server's
        context = browser.new_context(base_url=where, viewport=options.pop("viewport", VIEWPORT), **options)
        context.set_default_timeout(10_000)
        context.route("**/*", _local_only(watch))
        contexts.append(context)
        return _watched(context.new_page(), watch)

    yield make

    failed = any(
        (report := getattr(request.node, f"report_{when}", None)) is not None and report.failed
        for when in ("setup", "call")
    )
    if failed:
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        for i, p in enumerate(p for c in contexts for p in c.pages):
            with contextlib.suppress(Exception):  # a crashed page: the failure says more than its picture
                p.screenshot(path=str(SCREENSHOTS / f"FAILED-{name}-{i}.png"), full_page=True)
    for context in contexts:
        context.close()
    problems = watch.problems()
    if problems and failed:
        print("the pages of this test also misbehaved:\n  " + "\n  ".join(problems))
    elif problems:
        pytest.fail("the pages of this test misbehaved:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture
def page(new_page: NewPage) -> Page:
    return new_page()


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """`screenshot(page, name, full=True)`: a PNG of the whole page (or, `full=False`, of what the window
    shows) in var/screenshots/, kept as a test artifact."""

    def take(page: Page, name: str, full: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full)
        return path

    return take
