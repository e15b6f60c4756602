"""Typing in the calculator, in a real browser (issue 18): what the page does between a keystroke and
the settled answer, checked by what it did, never by how long it took (bench/pages.py times it).

- The chart in view is redrawn when the results settle; the charts below the fold wait until typing
  pauses (app.js QUIET_MS), then each is drawn in place with the new figure. Every chart is the same
  element before and after: updated, not re-created.
- The old results leave without htmx walking their nodes: a recompute fires a handful of
  `htmx:beforeCleanupElement` events (the out-of-band slots), not one per node of the old results.
- Printing draws every chart first, even one still waiting.
- A chart whose figure did not change keeps its drawing, and plotly.js's class with it (losing the
  class put each chart's legend hundreds of pixels below the chart).
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("playwright", reason="browser tests skipped: the Python package playwright is not installed")

from pagekit import ALL_DRAWN, IDLE, NewPage, field_id, is_recompute, recompute, settled
from playwright.sync_api import Page

DESKTOP = {"width": 1440, "height": 900}
BELOW_THE_FOLD = ("chart-savings", "chart-monthly", "chart-volume")

# At each recompute's settle (app.js's own handler runs first: it draws the charts in view), note
# which charts are drawn, count the cleanup events since the request left, and count plotly.js's
# draws per chart. `window.__printAtSettle` dispatches beforeprint right there.
PROBE = """() => {
  window.__settles = []; window.__cleanups = 0; window.__draws = {};
  const react = Plotly.react;
  Plotly.react = function (el) {
    window.__draws[el.id] = (window.__draws[el.id] || 0) + 1;
    return react.apply(this, arguments);
  };
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.elt.id === "calculator") window.__cleanups = 0;
  });
  document.addEventListener("htmx:beforeCleanupElement", () => { window.__cleanups += 1; });
  document.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.target;
    if (!target || target.id !== "results" || event.detail.elt !== target) return;
    if (window.__printAtSettle) window.dispatchEvent(new Event("beforeprint"));
    window.__settles.push({
      drawn: [...document.querySelectorAll("#results .chart")].filter(c => c.dataset.drawn === "true").map(c => c.id),
      cleanups: window.__cleanups,
    });
  });
  document.querySelectorAll(".chart").forEach(c => { c.dataset.probe = "kept"; });
}"""


def _figure_y(page: Page, chart_id: str) -> list[list[Any]]:
    """The y values the server sent for the chart (its data-figure) and the ones plotly.js drew."""
    return page.evaluate(  # type: ignore[no-any-return]
        """id => { const el = document.getElementById(id);
                   const sent = JSON.parse(el.dataset.figure).data.map(t => t.y || []);
                   const drawn = el.data.map(t => Array.from(t.y || []));
                   return [sent, drawn]; }""",
        chart_id,
    )


def test_typing_redraws_the_chart_in_view_first_the_others_when_typing_pauses_and_unchanged_ones_never(
    new_page: NewPage,
) -> None:
    page = new_page(viewport=DESKTOP)
    page.goto("/")
    settled(page)
    page.evaluate(PROBE)
    before = {c: _figure_y(page, c)[0] for c in ("chart-cumulative", *BELOW_THE_FOLD)}

    with page.expect_response(is_recompute):  # not pagekit.recompute: its settled() draws every chart
        page.locator(field_id("workload.requests_per_month")).fill("4000000")
    page.wait_for_function("() => window.__settles.length > 0")

    at_settle = page.evaluate("window.__settles")[-1]
    assert "chart-cumulative" in at_settle["drawn"], at_settle  # in view: drawn when the results settled
    assert not set(BELOW_THE_FOLD) & set(at_settle["drawn"]), at_settle  # below the fold: waiting
    # htmx walked none of the old results (1,692 nodes without the charts, thousands with them): only the
    # out-of-band status lines and the summary bar it replaces (17 today; 54 when the hints came along)
    assert at_settle["cleanups"] < 30, at_settle

    # typing paused: every chart is drawn in the idle time that follows, in place, with the figure sent
    page.wait_for_function(IDLE)
    page.wait_for_function(ALL_DRAWN)
    for chart in ("chart-cumulative", *BELOW_THE_FOLD):
        sent, drawn = _figure_y(page, chart)
        assert drawn == sent and sent != before[chart], chart
        assert page.evaluate("id => document.getElementById(id).dataset.probe", chart) == "kept", chart
        assert page.evaluate("id => document.getElementById(id).classList.contains('js-plotly-plot')", chart)

    # printing draws every chart at once, even those still waiting for typing to pause
    page.evaluate("window.__printAtSettle = true")
    recompute(page, lambda: page.locator(field_id("workload.requests_per_month")).fill("3000000"))
    at_settle = page.evaluate("window.__settles")[-1]
    assert {"chart-cumulative", *BELOW_THE_FOLD} <= set(at_settle["drawn"]), at_settle
    page.evaluate("window.__printAtSettle = false")

    # the same inputs again: no chart is drawn again, and each keeps plotly.js's class and its legend inside it
    field = page.locator(field_id("workload.requests_per_month"))
    draws = page.evaluate("window.__draws")
    field.focus()
    page.keyboard.press("End")
    recompute(page, lambda: (page.keyboard.press("0"), page.keyboard.press("Backspace")))  # one request: debounced
    assert field.input_value() == "3000000"
    assert page.evaluate("window.__draws") == draws
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('#results .chart')].map(c => {
             const frame = c.getBoundingClientRect(); const legend = c.querySelector('g.legend');
             const box = legend ? legend.getBoundingClientRect() : frame;
             const inside = box.top >= frame.top - 1 && box.bottom <= frame.bottom + 1;
             return [c.id, c.classList.contains('js-plotly-plot'), inside]; })"""
    )
    assert boxes and all(plotted and inside for _, plotted, inside in boxes), boxes
