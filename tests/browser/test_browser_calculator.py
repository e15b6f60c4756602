"""The calculator at `/` in a real browser: presets, recompute as you type, field errors, the address
bar link, the keyboard, a phone-sized screen, and the Content-Security-Policy."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("playwright", reason="browser tests skipped: the Python package playwright is not installed")

from pagekit import NewPage, Watch, answer, chart_data, error_id, field_id, query, recompute, settled, totals
from playwright.sync_api import Page, expect

Shot = Callable[[Page, str], Path]

DAY = "workload.requests_per_day"
MONTH = "workload.requests_per_month"


def test_preset_then_volume_changes_verdict_and_charts(page: Page, screenshot: Shot) -> None:
    page.goto("/")
    settled(page)
    screenshot(page, "calculator")
    defaults = answer(page)
    assert set(defaults.totals) >= {"prompting", "fine_tuning"}
    assert all(x > 0 for x in defaults.totals.values())

    # Picking an example submits the picker (app.js) and loads that preset's inputs.
    page.select_option("select#preset", "content-moderation")
    page.wait_for_url(re.compile(r"[?&]preset=content-moderation"))
    settled(page)
    expect(page.locator(field_id(DAY))).to_have_value(re.compile(r"^500,?000$"))
    expect(page.locator("select#preset")).to_have_value("content-moderation")
    screenshot(page, "calculator-preset")
    high = answer(page)
    assert "Fine-tuning" in high.verdict
    assert high.totals != defaults.totals
    volume_before = chart_data(page, "chart-volume")

    # Less traffic: prompting is cheaper, and the charts are redrawn with the new figures.
    recompute(page, lambda: page.fill(field_id(DAY), "2000"))
    low = answer(page)
    assert "Prompting" in low.verdict, low
    assert low.ratio != high.ratio
    assert low.totals["prompting"] < high.totals["prompting"]
    assert low.cumulative != high.cumulative
    assert chart_data(page, "chart-volume") != volume_before
    # The chart draws what the table beside it says: the last cumulative point is each strategy's TCO.
    last = {t["name"]: t["y"][-1] for t in low.cumulative}
    assert round(last["Prompting"]) == low.totals["prompting"]
    # The address bar now reopens these inputs.
    assert query(page).get(DAY) in {"2000", "2,000"}, page.url


def test_a_bad_value_keeps_the_last_results_until_fixed(page: Page) -> None:
    page.goto("/")
    settled(page)
    before = answer(page)

    recompute(page, lambda: page.fill(field_id(MONTH), "abc"))
    expect(page.locator(error_id(MONTH))).to_contain_text("not a number")
    expect(page.locator(field_id(MONTH))).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-status")).to_contain_text("needs a fix")
    assert answer(page) == before, "a bad value replaced the results"
    assert page.locator(field_id(MONTH)).input_value() == "abc", "the typed text was lost"
    expect(page.locator("#banner")).to_be_hidden()  # a field error is not a server error

    recompute(page, lambda: page.fill(field_id(MONTH), "250000"))
    expect(page.locator(error_id(MONTH))).to_have_text("")
    expect(page.locator(field_id(MONTH))).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-status")).to_have_text("")
    after = answer(page)
    assert after.totals["prompting"] > before.totals["prompting"]  # 2.5x the default 100,000 requests
    assert after.cumulative != before.cumulative


def test_the_address_bar_reopens_the_same_inputs(page: Page, new_page: NewPage) -> None:
    page.goto("/?preset=internal-docs-qa")
    settled(page)
    recompute(page, lambda: page.fill(field_id("horizon_months"), "24"))
    recompute(page, lambda: page.select_option(field_id("task.kind"), "behavior"))
    link = page.url
    assert "preset=" not in link  # the link names the inputs, not the example they came from
    assert query(page).get("horizon_months") == "24"
    shown = answer(page)
    values = {
        path: page.locator(field_id(path)).input_value()
        for path in ("horizon_months", "task.kind", DAY, MONTH, "prompting.model", "workload.input_tokens")
    }

    other = new_page()
    other.goto(link)
    settled(other)
    assert {path: other.locator(field_id(path)).input_value() for path in values} == values
    assert answer(other) == shown


def test_keyboard_only(page: Page) -> None:
    page.goto("/")
    settled(page)
    before = totals(page)
    page.locator("body").focus()

    def tab_to(predicate: str, limit: int = 25) -> list[str]:
        seen = []
        for _ in range(limit):
            page.keyboard.press("Tab")
            seen.append(page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()"))
            if page.evaluate(predicate):
                return seen
        raise AssertionError(f"Tab never reached it; focus went through {seen}")

    seen = tab_to("() => document.activeElement.id === 'preset'")
    assert seen[0] == "Skip to content", seen
    first_field = page.evaluate(
        "() => document.querySelector('#calculator input:not([type=hidden]), #calculator select').id"
    )
    tab_to("() => document.activeElement.closest('#calculator') && document.activeElement.id.startsWith('f-')")
    assert page.evaluate("() => document.activeElement.id") == first_field

    # Typing only: select what is there, type a volume, wait for the recompute.
    def type_volume() -> None:
        page.keyboard.press("Control+A")
        page.keyboard.type("400000")

    recompute(page, type_volume)
    assert page.evaluate("() => document.activeElement.id") == first_field  # focus stays where the user is
    after = totals(page)
    assert after != before
    assert after["prompting"] > before["prompting"]


def test_nothing_overflows_a_phone_screen(new_page: NewPage, screenshot: Shot) -> None:
    page = new_page(viewport={"width": 375, "height": 800})
    widths = {}
    for path, name in (("/", "calculator-375"), ("/?preset=legal-clause-extraction", "calculator-preset-375")):
        page.goto(path)
        settled(page)
        # Open every group and chart table: an open one must not widen the page either.
        page.locator("details").evaluate_all("els => els.forEach(d => d.open = true)")
        screenshot(page, name)
        widths[path] = page.evaluate("() => document.documentElement.scrollWidth")
    assert all(w <= 375 for w in widths.values()), f"page widths at 375 px: {widths}"


def test_content_security_policy(page: Page, watch: Watch) -> None:
    response = page.goto("/")
    assert response is not None and response.status == 200
    csp = response.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("script-src") == ["'self'"], csp
    assert directives.get("object-src") == ["'none'"], csp
    settled(page)
    # The browser enforces it: a script element written into the page does not run.
    watch.allow(r"Content Security Policy")
    outcome = page.evaluate(
        """() => new Promise(resolve => {
             document.addEventListener('securitypolicyviolation', e => resolve(e.effectiveDirective), {once: true});
             const s = document.createElement('script');
             s.textContent = 'window.inlineRan = true';
             document.body.appendChild(s);
             setTimeout(() => resolve(window.inlineRan ? 'ran' : 'no report'), 2000);
           })"""
    )
    assert outcome == "script-src-elem"
    # The hashed static files are cached for good, so a repeat visit downloads almost nothing.
    for src in page.locator("script[src], link[rel=stylesheet]").evaluate_all("els => els.map(e => e.src || e.href)"):
        static = page.request.get(src)
        assert static.ok, src
        assert "immutable" in static.headers.get("cache-control", ""), src


def test_the_start_month_brings_the_lifecycle_events(page: Page, screenshot: Shot) -> None:
    """A start month before gpt-4o's shutdown: the move to its successor is listed under the verdict,
    marked on the cumulative chart, and kept in the address bar; switching the tune to dedicated GPUs
    switches its default model, and the answer stays."""
    page.goto("/")
    settled(page)
    expect(page.locator("#lifecycle")).to_have_count(0)
    recompute(page, lambda: page.fill(field_id("start_month"), "2026-12"))
    expect(page.locator("#lifecycle")).to_have_count(0)  # the default models serve on
    page.click("#group-prompting > summary")
    recompute(page, lambda: page.fill(field_id("prompting.model"), "openai:gpt-4o"))
    events = page.locator("#lifecycle li")
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("gpt-4o shuts down on 2027-01-14 (month 2, 2027-01)")
    expect(events.first).to_contain_text("gpt-6-luna")
    labels = page.evaluate(
        "() => document.getElementById('chart-cumulative').layout.annotations.map(a => [a.text, a.x])"
    )
    assert ["gpt-4o retires", "2027-01"] in labels, labels
    assert query(page).get("start_month") == "2026-12", page.url
    screenshot(page, "calculator-lifecycle")

    recompute(page, lambda: page.fill(field_id("start_month"), "2026-13"))
    expect(page.locator(error_id("start_month"))).to_contain_text("not a calendar month")
    expect(page.locator("#lifecycle li")).to_have_count(1)  # the last valid results stay
    recompute(page, lambda: page.fill(field_id("start_month"), "2026-12"))
    expect(page.locator(error_id("start_month"))).to_have_text("")

    page.click("#group-fine_tuning > summary")
    recompute(page, lambda: page.select_option(field_id("fine_tuning.deployment"), "dedicated"))
    expect(page.locator(field_id("fine_tuning.model"))).to_have_value("qwen:qwen3-8b")
    expect(page.locator(error_id("fine_tuning.model"))).to_have_text("")
    expect(page.locator("#verdict-title")).to_contain_text("Recommendation")
