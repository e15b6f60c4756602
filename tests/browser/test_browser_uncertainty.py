"""Ranges and the uncertainty panel in a real browser: the seeds' ranges filled in, the panel fetched
after the results with its charts drawn, a bad range beside its inputs, the link, the keyboard, a
phone-sized screen, and the panel on a saved scenario and the comparison."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("playwright", reason="browser tests skipped: the Python package playwright is not installed")

from pagekit import NewPage, answer, field_id, query, recompute, settled
from playwright.sync_api import Page, expect

Shot = Callable[[Page, str], Path]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

LABEL = "team.label_cost_usd"
PANEL = "#uncertainty[aria-busy='false'] .uncertainty-body"


def range_id(path: str, part: str) -> str:
    return field_id(f"ranges.{path}.{part}")


def panel_ready(page: Page, selector: str = PANEL) -> None:
    """The uncertainty panel has arrived and every chart on the page is drawn."""
    page.wait_for_selector(selector)
    settled(page)


def drawn(page: Page, chart_id: str) -> int:
    """How many plotly traces `#chart_id` drew as SVG."""
    return page.locator(f"#{chart_id} .main-svg .trace").count()


def fill_seeds(page: Page) -> None:
    """Press "Fill the seeds' ranges" and wait for the recompute it sets off, then for the panel."""
    recompute(page, lambda: page.get_by_role("button", name="Fill the seeds' ranges").click())
    panel_ready(page)


def test_fill_the_seeds_ranges_then_the_panel_draws_its_charts(new_page: NewPage, screenshot: Shot) -> None:
    page = new_page(viewport={"width": 1280, "height": 2200})  # tall: the results panel scrolls inside itself
    page.goto("/?preset=content-moderation")
    panel_ready(page)
    before = answer(page)
    # Before any range, the panel says so and still shows the tornado.
    expect(page.locator("#uncertainty-summary")).to_contain_text("No input carries a range")
    assert drawn(page, "chart-tornado") >= 2
    assert page.locator("#chart-fan").count() == 0

    fill_seeds(page)
    report = page.locator("#seed-report")
    expect(report).to_contain_text("Filled 6 ranges from the seeds")
    expect(report.locator(".seed-skipped")).to_contain_text("GPU hour: applies to dedicated GPUs only")
    # Each filled range shows its seed; its group was unfolded to show it.
    expect(page.locator(range_id(LABEL, "low"))).to_have_value("5")
    expect(page.locator(range_id(LABEL, "source"))).to_have_value(re.compile(r"^002: 5-20 USD per example"))
    expect(page.locator(range_id(LABEL, "source"))).to_be_visible()
    assert answer(page) == before  # ranges move the spread, never the point estimate

    summary = page.locator("#uncertainty-summary").inner_text()
    assert summary.startswith("Over 10,000 draws of 6 ranged inputs, fine-tuning wins by 2x on TCO in ")
    line = page.locator("#verdict-uncertainty-text").inner_text()
    assert re.match(r"Over 10,000 draws of the ranges, fine-tuning wins by 2x in (\d+%|under 1%|over 99%)", line)
    for chart, traces in (("chart-fan", 6), ("chart-ratio", 1), ("chart-tornado", 2)):
        assert drawn(page, chart) >= traces, chart
    assert page.locator("#uncertainty table.percentiles tbody tr").count() == 2  # prompting, fine-tuning
    assert re.fullmatch(r"(\d+%|under 1%|over 99%) of draws", page.locator("#win-probability").inner_text())
    # the tornado labels its bars with the form's labels, marked by where the low and high come from
    labels = page.locator("#chart-tornado .ytick text").evaluate_all("els => els.map(e => e.textContent)")
    assert "Team and data:Cost of a label (range)" in labels  # on two lines: group, then label
    assert any(text.endswith("(\u00b130%)") for text in labels)
    # the address bar now carries the ranges
    assert query(page).get(f"ranges.{LABEL}.high") == "20"
    whole = screenshot(page, "uncertainty")
    page.locator("#uncertainty").screenshot(path=str(whole.with_name("uncertainty-panel.png")))


def test_a_bad_range_shows_its_error_beside_it_and_keeps_the_results(page: Page) -> None:
    page.goto("/")
    settled(page)
    before = answer(page)
    page.locator("#group-team > summary").click()

    def bad() -> None:
        page.fill(range_id(LABEL, "low"), "30")
        page.fill(range_id(LABEL, "high"), "20")

    recompute(page, bad)
    slot = page.locator("#err-ranges__team__label_cost_usd")
    expect(slot).to_contain_text("low (30) must not exceed high (20)")
    expect(slot).to_be_visible()
    for part in ("low", "high"):
        expect(page.locator(range_id(LABEL, part))).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-status")).to_contain_text("needs a fix")
    assert answer(page) == before, "a bad range replaced the results"
    assert page.locator(range_id(LABEL, "low")).input_value() == "30", "the typed text was lost"

    recompute(page, lambda: page.fill(range_id(LABEL, "high"), "40"))  # still wrong: 10 is not in 30 to 40
    expect(slot).to_contain_text("the value 10 lies outside its range 30 to 40")
    recompute(page, lambda: page.fill(range_id(LABEL, "low"), "5"))
    expect(slot).to_have_text("")
    for part in ("low", "high"):
        expect(page.locator(range_id(LABEL, part))).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-status")).to_have_text("")
    panel_ready(page)
    expect(page.locator("#uncertainty-summary")).to_contain_text("draws of 1 ranged input")


def test_the_link_reopens_the_ranges(page: Page, new_page: NewPage) -> None:
    page.goto("/")
    settled(page)
    page.locator("#group-team > summary").click()
    # a folded range unfolds into its inputs (app.js fills them from the page's template)
    folded = page.locator("#range-workload__input_tokens")
    assert folded.locator("input").count() == 0
    folded.locator("summary").click()
    expect(page.locator(range_id("workload.input_tokens", "low"))).to_be_visible()

    def typed() -> None:
        page.fill(range_id(LABEL, "low"), "6")
        page.fill(range_id(LABEL, "high"), "18")
        page.fill(range_id(LABEL, "source"), "vendor quote, May")
        page.fill(range_id("workload.input_tokens", "low"), "800")
        page.fill(range_id("workload.input_tokens", "high"), "1,500")

    recompute(page, typed)
    # five fills can straddle the 200 ms debounce: wait for the recompute of the last one
    expect(page).to_have_url(re.compile(r"ranges\.workload\.input_tokens\.high=1500"))
    settled(page)
    panel_ready(page)
    link = page.url
    assert query(page)[f"ranges.{LABEL}.source"] == "vendor quote, May"
    summary = page.locator("#uncertainty-summary").inner_text()
    assert "2 ranged inputs" in summary

    other = new_page()
    other.goto(link)
    panel_ready(other)
    for path, part, value in (
        (LABEL, "low", "6"),
        (LABEL, "high", "18"),
        (LABEL, "source", "vendor quote, May"),
        ("workload.input_tokens", "low", "800"),
        ("workload.input_tokens", "high", "1500"),
    ):
        expect(other.locator(range_id(path, part))).to_have_value(value)
    assert other.locator("#uncertainty-summary").inner_text() == summary  # the same seed: the same draws


def test_range_inputs_are_reachable_with_the_keyboard(page: Page) -> None:
    page.goto("/")
    settled(page)
    month = field_id("workload.requests_per_month")
    page.locator(month).focus()

    def active() -> str:
        return str(page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()"))

    def tab_to(target: str, limit: int = 10) -> None:
        seen = []
        for _ in range(limit):
            page.keyboard.press("Tab")
            seen.append(active())
            if seen[-1] == target:
                return
        raise AssertionError(f"Tab never reached {target}; focus went through {seen}")

    tab_to(range_id("workload.requests_per_month", "low")[1:])
    page.keyboard.type("50,000")
    page.keyboard.press("Tab")
    assert active() == range_id("workload.requests_per_month", "high")[1:]

    def high() -> None:
        page.keyboard.type("400,000")

    recompute(page, high)
    assert query(page).get("ranges.workload.requests_per_month.low") == "50000"

    # a folded range: its summary takes the focus, Enter unfolds it, Tab goes into its low
    growth = page.locator("#range-workload__monthly_growth > summary")
    growth.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#range-workload__monthly_growth")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    assert active() == range_id("workload.monthly_growth", "low")[1:]


def test_the_panel_fits_a_phone_screen(new_page: NewPage, screenshot: Shot) -> None:
    page = new_page(viewport={"width": 375, "height": 800})
    page.goto("/?preset=support-ticket-categorisation")
    panel_ready(page)
    fill_seeds(page)
    page.locator("#uncertainty").screenshot(path=str(SCREENSHOTS / "uncertainty-panel-375.png"))
    page.locator("details").evaluate_all("els => els.forEach(d => d.open = true)")
    settled(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    screenshot(page, "uncertainty-375")
    assert width <= 375, f"page width at 375 px: {width}"
    assert drawn(page, "chart-fan") >= 2


def test_a_saved_scenario_and_the_comparison_load_their_panels(page: Page, screenshot: Shot) -> None:
    page.goto("/scenarios/1")
    panel_ready(page)
    expect(page.locator("#uncertainty-summary")).to_contain_text("No input carries a range")
    assert drawn(page, "chart-tornado") >= 2
    expect(page.locator("#verdict-uncertainty-text")).to_contain_text("No input has a range")
    screenshot(page, "scenario-uncertainty")

    page.goto("/compare?ids=1&ids=2")
    panel_ready(page, "#compare-uncertainty[aria-busy='false'] .compare-uncertainty-table")
    wins = page.locator("#compare-uncertainty tr.win-row td").all_inner_texts()
    assert len(wins) == 2 and all(w.endswith("of draws") for w in wins)
    assert page.locator("#compare-uncertainty tr[data-q='p50']").count() >= 2
    screenshot(page, "compare-uncertainty")
