"""What the browser tests read from and do to the calculator: a recompute, the verdict, totals, charts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:  # imported by conftest.py, which must load without Playwright to skip politely
    from playwright.sync_api import Page, Response

HOST = "127.0.0.1"
TEAM_PASSWORD = "browser test password"
TEAM = ("admin", "editor", "reviewer", "viewer")
"""The team server's accounts: one per role, named after it, all with TEAM_PASSWORD."""
NewPage = Callable[..., "Page"]
"""`new_page(**browser_context_options)`: a fresh context's page, watched like `page`."""


REPLACED = re.compile(r"htmx:(sendAbort|afterRequest|afterOnLoad), ")
"""What htmx logs as errors when a request is replaced by a newer one (hx-sync="this:replace": the form
as someone types past the debounce while the last answer is on its way): the page did what it should."""


@dataclass
class Watch:
    """What the pages of one test did that they should not have."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """A console error the test expects (matched with re.search)."""
        self.allowed.append(re.compile(pattern))

    def problems(self) -> list[str]:
        console = [m for m in self.console_errors if not any(p.search(m) for p in self.allowed)]
        if any(m.startswith("htmx:sendAbort,") for m in console):
            console = [m for m in console if not REPLACED.match(m)]
        return (
            [f"request to a host other than {HOST} (aborted): {u}" for u in self.blocked]
            + [f"console error: {m}" for m in console]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"server error: {m}" for m in self.server_errors]
        )


# Nothing of htmx's in flight (request, swap, settle) and every chart drawn by app.js. The charts below
# the fold wait for typing to pause (app.js QUIET_MS); `beforeprint` draws them at once, as printing
# does, so a test does not wait 0.7 s a recompute for them (test_browser_typing.py waits, unprompted).
IDLE = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
ALL_DRAWN = "() => [...document.querySelectorAll('.chart')].every(c => c.dataset.drawn === 'true')"
SETTLED = f"""() => {{
  if (!({IDLE})()) return false;
  if (!({ALL_DRAWN})()) window.dispatchEvent(new Event('beforeprint'));
  return ({ALL_DRAWN})();
}}"""


def field_id(path: str) -> str:
    return "#f-" + path.replace(".", "__")


def error_id(path: str) -> str:
    return "#err-" + path.replace(".", "__")


def settled(page: Page) -> None:
    page.wait_for_function(SETTLED)


def sign_in(page: Page, username: str, then: str = "/scenarios") -> None:
    """Sign in on the team server's form as `username` (a role's account), landing on `then`."""
    from playwright.sync_api import expect

    page.goto(then)
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEAM_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".top .who")).to_contain_text(username)


def is_recompute(response: Response) -> bool:
    request = response.request
    return urlsplit(response.url).path == "/" and request.headers.get("hx-request") == "true"


def recompute(page: Page, action: Callable[[], Any]) -> Response:
    """Do `action` (typing into the form), wait for htmx's GET / and for the page to settle."""
    with page.expect_response(is_recompute) as info:
        action()
    response = info.value
    assert response.status == 200, f"recompute answered HTTP {response.status}"
    settled(page)
    return response


def money(text: str) -> float:
    """'1,234,567 USD' -> 1234567.0"""
    cleaned = re.sub(r"[^\d.\-]", "", text)
    assert cleaned, f"no number in {text!r}"
    return float(cleaned)


def totals(page: Page) -> dict[str, float]:
    """TCO by strategy from the totals table, as shown (whole dollars)."""
    cells = page.locator(".totals td[data-strategy]")
    return {cell.get_attribute("data-strategy") or "": money(cell.inner_text()) for cell in cells.all()}


def chart_data(page: Page, chart_id: str) -> list[dict[str, Any]]:
    """The traces plotly drew in `#chart_id` (its `el.data`), as plain lists."""
    return page.evaluate(  # type: ignore[no-any-return]
        """id => document.getElementById(id).data.map(t => ({
             name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])}))""",
        chart_id,
    )


@dataclass
class Answer:
    """What the results panel says."""

    verdict: str
    ratio: str
    totals: dict[str, float]
    cumulative: list[dict[str, Any]]


def answer(page: Page) -> Answer:
    return Answer(
        verdict=page.locator("#verdict-title").inner_text().strip(),
        ratio=page.locator("#tco-ratio").inner_text().strip(),
        totals=totals(page),
        cumulative=chart_data(page, "chart-cumulative"),
    )


def query(page: Page) -> dict[str, str]:
    """The query string of the address bar."""
    return dict(parse_qsl(urlsplit(page.url).query, keep_blank_values=True))
