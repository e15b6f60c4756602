"""The pick list of API models to compare, in a real browser (issue 20): added from the keyboard, filled,
ticked, and answered with the comparison; the link carries it; a bad id comes back beside the list."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright", reason="browser tests skipped: the Python package playwright is not installed")

from pagekit import is_recompute, recompute
from playwright.sync_api import Page


def test_a_model_added_by_keyboard_is_compared_and_a_ticked_one_moves_the_baseline(page: Page) -> None:
    page.goto("/?start_month=2027-01")
    page.locator("#group-prompting > summary").click()
    add = page.locator("[data-add-candidate]")
    add.focus()
    page.keyboard.press("Enter")  # a button: Enter clicks it, and the new row's picker takes the focus
    first = page.locator("#f-prompting__candidates__0")
    assert first.evaluate("el => el === document.activeElement")
    recompute(page, lambda: first.fill("openai:gpt-6.1-terra"))
    summary = page.locator("#models-summary")
    assert "Advice only" in summary.inner_text() or "None of the 1 candidates" in summary.inner_text()
    assert page.locator("#models table tbody tr").count() == 2
    recompute(page, lambda: page.locator("#f-prompting__acceptable__0").check())
    assert "openai:gpt-6.1-terra" in page.locator("#headline").inner_text()
    assert "prompting.acceptable.0=true" in page.url and "prompting.candidates.0=openai" in page.url

    add.click()  # another row, and a model that does not exist
    second = page.locator("#f-prompting__candidates__1")
    with page.expect_response(is_recompute):
        second.fill("openai:gpt-4x")
    page.wait_for_function("() => document.getElementById('err-prompting__candidates').textContent.includes('closest')")
    assert second.input_value() == "openai:gpt-4x"  # kept as typed
    assert page.locator("#models-summary").count() == 1  # the last valid answer stays
