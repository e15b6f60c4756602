"""The one-page report in a real browser (issue 17): a saved scenario's report draws its chart, shows
the API's headline, and prints on at most two A4 pages with nothing to press."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("playwright", reason="browser tests skipped: the Python package playwright is not installed")

from pagekit import settled
from playwright.sync_api import Page, expect

from app.presets import presets

Shot = Callable[[Page, str], Path]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
"""A page of a PDF: `/Type /Page`, not `/Type /Pages` (the page tree)."""


def test_a_saved_scenarios_report_prints_on_at_most_two_a4_pages(page: Page, screenshot: Shot) -> None:
    body = presets()["content-moderation"].scenario.model_dump(mode="json") | {"name": "Report (browser test)"}
    made = page.request.post("/api/v1/scenarios", data=body)
    assert made.status == 201, made.text()
    sid = made.json()["id"]
    summary = page.request.get(f"/api/v1/scenarios/{sid}/estimate?revision=1").json()["verdict"]["summary"]

    # reached from the scenario page's link
    page.goto(f"/scenarios/{sid}")
    settled(page)
    page.get_by_role("link", name="Report (print or PDF)").click()
    page.wait_for_url(re.compile(rf"/scenarios/{sid}/report\?revision=1$"))
    settled(page)  # the cumulative chart drawn
    expect(page.locator(".chart[data-drawn='true']")).to_have_count(1)
    expect(page.locator("#headline")).to_have_text(summary)
    expect(page.get_by_role("heading", level=1)).to_have_text("Report (browser test)")
    outside_charts = "() => [...document.querySelectorAll('form, button')].filter(e => !e.closest('.chart')).length"
    assert page.evaluate(outside_charts) == 0, "the report has a form or a button"
    screenshot(page, "report")

    page.emulate_media(media="print")
    for hidden in (".skip", ".report-nav", "details.numbers", ".modebar-container"):
        expect(page.locator(hidden).first).to_be_hidden()
    # the chart prints in the box it was drawn in: its legend never spills over the next heading
    chart, legend = page.locator(".chart").first.bounding_box(), page.locator(".chart g.legend").first.bounding_box()
    assert chart is not None and legend is not None
    assert legend["y"] + legend["height"] <= chart["y"] + chart["height"] + 1, (legend, chart)
    assert "(002)" not in page.locator("body").inner_text()  # citations name the articles
    pdf = page.pdf(format="A4", print_background=True)
    (SCREENSHOTS / "report.pdf").write_bytes(pdf)
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi: the print stylesheet, as printed
    screenshot(page, "report-printed")
    pages = len(PAGE_OBJECT.findall(pdf))
    assert 1 <= pages <= 2, f"the report prints on {pages} A4 pages"


def test_the_calculators_report_of_the_defaults_fits_too(page: Page) -> None:
    """Three strategies and five prices used: the longest report the defaults give."""
    page.goto("/")
    settled(page)
    headline = page.locator("#headline").inner_text()
    page.get_by_role("link", name="Report of these inputs (print or PDF)").click()
    page.wait_for_url(re.compile(r"/report\?"))
    settled(page)
    expect(page.locator("#headline")).to_have_text(headline)
    expect(page.locator("#report-meta")).to_contain_text("Current inputs, not saved")
    pdf = page.pdf(format="A4", print_background=True)
    (SCREENSHOTS / "report-calculator.pdf").write_bytes(pdf)
    pages = len(PAGE_OBJECT.findall(pdf))
    assert 1 <= pages <= 2, f"the calculator's report prints on {pages} A4 pages"
