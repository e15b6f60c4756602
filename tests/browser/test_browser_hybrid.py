"""The hybrid in a real browser (issue 20): choosing `both` for the task adds the fourth strategy to the
answer and its charts as the page recomputes; turning RAG off then gets the reason beside the task's
kind, with the last valid answer kept."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright", reason="browser tests skipped: the Python package playwright is not installed")

from pagekit import answer, chart_data, error_id, field_id, is_recompute, query, recompute
from playwright.sync_api import Page


def test_choosing_both_adds_the_hybrid_and_rag_off_is_refused_beside_the_kind(page: Page) -> None:
    page.goto("/?start_month=2027-01")  # "Your task" is unfolded on first load
    kind = page.locator(field_id("task.kind"))
    recompute(page, lambda: kind.select_option("both"))
    shown = answer(page)
    assert set(shown.totals) == {"prompting", "rag", "fine_tuning", "hybrid"}
    assert [t["name"] for t in shown.cumulative] == ["Prompting", "RAG", "Fine-tuning", "Hybrid"]
    assert "TCO of RAG / TCO of hybrid" in page.locator("p.ratio").inner_text()
    assert query(page)["task.kind"] == "both"
    page.locator("#chart-volume").scroll_into_view_if_needed()
    page.wait_for_function("() => (document.getElementById('chart-volume').data || []).length > 0")
    assert "Hybrid x 2 (the 2x line)" in [t["name"] for t in chart_data(page, "chart-volume")]

    page.locator("#group-rag > summary").click()
    with page.expect_response(is_recompute):
        page.locator(field_id("rag.enabled")).uncheck()
    slot = error_id("task.kind")
    page.wait_for_function(f"() => document.querySelector('{slot}').textContent.includes('turn RAG on')")
    assert kind.input_value() == "both"  # kept as chosen
    assert "hybrid" in answer(page).totals  # the last valid answer stays
