"""The answer a product manager reads in two minutes, in a real browser (issue 17).

- On three presets: the headline and the cost and readiness lines are the API's words, and at
  1440x900 the verdict, the totals and the cumulative chart are on screen without scrolling.
- A gate's citation and "Why the 2x rule?" lead to the Sources page, to the article by its title.
- The guided start: five questions, answered by keyboard at 375 px, fill the calculator's form; a
  mistake comes back beside its question with every answer kept.
- At 375 px a summary bar follows the inputs with the recommendation and the three totals, follows
  each recompute, and steps aside when the answer itself is in view.
- No chart's legend overlaps an axis title, its tick labels or a label on the chart, and nothing of a
  chart is cut off, at 1440 px and at 375 px; Plotly's toolbar is never shown on a phone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright", reason="browser tests skipped: the Python package playwright is not installed")

from pagekit import NewPage, Watch, chart_data, field_id, money, recompute, settled, totals
from playwright.sync_api import Page, expect

from app.engine import Scenario
from app.presets import presets
from app.web import forms

Shot = Callable[..., Path]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 375, "height": 812}
PRESETS = ("content-moderation", "internal-docs-qa", "legal-clause-extraction")


def _api_verdict(page: Page, slug: str) -> dict[str, Any]:
    body = presets()[slug].scenario.model_dump(mode="json")
    response = page.request.post("/api/v1/estimate", data=body)
    assert response.status == 200, response.text()
    return response.json()["verdict"]  # type: ignore[no-any-return]


def _tab_to(page: Page, name: str, text: str = "", most: int = 8) -> None:
    """Press Tab until the focus is on the input called `name` (or the element whose text is `text`)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        name_, text_ = page.evaluate("[document.activeElement.name || '', document.activeElement.innerText || '']")
        if (name and name_ == name) or (text and text_.strip() == text):
            return
    raise AssertionError(f"{most} presses of Tab did not reach {name or text!r}")


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box


@pytest.mark.parametrize("slug", PRESETS)
def test_the_answer_is_in_plain_words_and_in_view_at_1440_by_900(
    new_page: NewPage, slug: str, screenshot: Shot
) -> None:
    page = new_page(viewport=DESKTOP)
    verdict = _api_verdict(page, slug)
    page.goto(f"/?preset={slug}")
    settled(page)

    expect(page.locator("#headline")).to_have_text(verdict["summary"])
    cost, ready = page.locator("#verdict-cost"), page.locator("#verdict-readiness")
    expect(cost).to_contain_text(verdict["cost"]["text"])
    expect(cost.locator(".badge")).to_have_text("cost passes" if verdict["cost"]["passed"] else "cost fails")
    expect(ready).to_contain_text(verdict["readiness"]["text"])
    expect(ready.locator(".badge")).to_have_text("ready" if verdict["readiness"]["passed"] else "not ready")
    if verdict["cost"]["passed"] and not verdict["readiness"]["passed"]:
        assert ", but " in verdict["summary"], "a tune that is cheaper but not ready is said to be"
    if verdict["readiness"]["passed"] and not verdict["cost"]["passed"]:
        assert "the team is ready, so the cost decides" in verdict["summary"]

    # above the fold: nothing scrolled, and the answer's three parts end inside the window
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("document.getElementById('answer').scrollTop") == 0
    for selector in (
        "#verdict-title",
        "#headline",
        "#verdict-cost",
        "#verdict-readiness",
        "table.totals",
        "#chart-cumulative",
    ):
        box = _box(page, selector)
        assert box["y"] >= 0 and box["y"] + box["height"] <= DESKTOP["height"], f"{selector} is not in view: {box}"
    legend = _box(page, "#chart-cumulative g.legend")
    assert legend["y"] + legend["height"] <= DESKTOP["height"], "the cumulative chart's legend is below the fold"
    expect(page.locator("#summary-bar")).to_be_hidden()  # a phone's bar: the answer is beside the form here
    if slug == PRESETS[0]:
        screenshot(page, "calculator-1440x900", full=False)


def test_citations_and_the_2x_rule_lead_to_the_sources_page(page: Page) -> None:
    page.goto("/")
    settled(page)
    why = page.locator("details.why-2x")
    why.locator("summary").focus()
    page.keyboard.press("Enter")  # a keyboard opens it
    expect(why.locator("p")).to_contain_text("3-5x")
    expect(why.get_by_role("link", name="Where this comes from")).to_have_attribute("href", "/sources#002")

    cited = page.locator(".gates a[href^='/sources#']").first
    title = cited.inner_text()
    assert not re.fullmatch(r"\d{3}", title), "a citation shows the article's title, not its file number"
    anchor = (cited.get_attribute("href") or "").split("#")[1]
    cited.click()
    page.wait_for_url(re.compile(rf"/sources#{anchor}$"))
    section = page.locator(f"section[id='{anchor}']")
    expect(section.get_by_role("heading", level=2)).to_contain_text(title)
    assert page.evaluate(f"document.getElementById('{anchor}').getBoundingClientRect().top") < 200  # scrolled to it
    assert "(002)" not in page.locator("main").inner_text()


def test_the_guided_start_fills_the_form_by_keyboard_at_375_px(
    new_page: NewPage, watch: Watch, screenshot: Shot
) -> None:
    watch.allow(r"status of 422")  # the answers with a mistake come back as 422, as every form here does
    page = new_page(viewport=PHONE)
    page.goto("/")
    page.get_by_role("link", name="Answer five questions").click()
    page.wait_for_url(re.compile(r"/start$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"

    # a mistake first: it comes back beside its question, every answer kept
    page.locator(field_id("workload.requests_per_month")).focus()
    page.keyboard.type("2 million")
    page.keyboard.press("Tab")
    page.keyboard.type("1500")  # tokens in
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/start\?"))
    expect(page.locator("#err-workload__requests_per_month")).to_contain_text("is not a number")
    expect(page.locator(field_id("workload.requests_per_month"))).to_have_value("2 million")
    expect(page.locator(field_id("workload.requests_per_month"))).to_have_attribute("aria-invalid", "true")
    expect(page.locator(field_id("workload.input_tokens"))).to_have_value("1500")

    # then right, by keyboard only: Tab from answer to answer (past the help texts' links), arrows
    # within a group of choices, Enter on the button
    page.locator(field_id("workload.requests_per_month")).fill("")
    page.locator(field_id("workload.requests_per_month")).focus()
    page.keyboard.type("2,000,000")
    _tab_to(page, "workload.output_tokens")  # tokens in: kept from before
    page.keyboard.type("300")
    _tab_to(page, "task.prompting_tried")  # the task: "How it answers", the default, passed by
    page.keyboard.press("ArrowUp")  # from "Not yet" to "Yes, seriously"
    _tab_to(page, "task.labeled_examples")
    page.keyboard.type("5000")
    _tab_to(page, "task.eval_harness")  # "None yet"
    page.keyboard.press("ArrowUp")  # "Planned and budgeted"
    page.keyboard.press("ArrowUp")  # "We have one"
    screenshot(page, "guided-start-375")
    _tab_to(page, "", text="Fill the calculator")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/\?.*guided=1"))
    settled(page)
    expect(page.locator("#guided-notice")).to_contain_text("Every other input keeps its default")
    expected = {
        "workload.requests_per_month": "2000000",
        "workload.input_tokens": "1500",
        "workload.output_tokens": "300",
        "task.kind": "behavior",
        "task.labeled_examples": "5000",
        "task.eval_harness": "exists",
    }
    for path, value in expected.items():
        expect(page.locator(field_id(path))).to_have_value(value)
    expect(page.locator(field_id("task.prompting_tried"))).to_be_checked()
    for path in ("prompting.model", "team.label_cost_usd", "horizon_months"):  # everything else: its default
        expect(page.locator(field_id(path))).to_have_value(forms.display(forms.defaults()[path]))
    expect(page.locator("#verdict-readiness")).not_to_contain_text("no labeled examples")
    expect(page.locator("#verdict-readiness")).not_to_contain_text("no evaluation harness")


def test_a_phones_summary_bar_follows_the_inputs_and_steps_aside_for_the_answer(
    new_page: NewPage, screenshot: Shot
) -> None:
    page = new_page(viewport=PHONE)
    page.goto("/")
    settled(page)
    bar = page.locator("#summary-bar")
    expect(bar).to_be_visible()
    box = _box(page, "#summary-bar")
    assert box["y"] + box["height"] <= PHONE["height"] + 1 and box["y"] > PHONE["height"] / 2, "not at the bottom"

    def shown() -> dict[str, float]:
        cells = bar.locator("[data-strategy]").all()
        return {c.get_attribute("data-strategy") or "": money(c.locator("dd").inner_text()) for c in cells}

    assert shown() == totals(page) and len(shown()) == 3
    expect(bar.locator("#summary-rec")).to_have_text(page.locator("#verdict-title .rec").inner_text())
    screenshot(page, "calculator-375", full=False)

    # it follows a recompute while the inputs are edited; the charts are updated in place, not re-created
    before = shown()
    page.evaluate("document.getElementById('chart-cumulative').dataset.probe = 'kept'")
    requests = page.locator(field_id("workload.requests_per_month"))
    recompute(page, lambda: requests.fill("5000000"))
    assert shown() == totals(page) and shown() != before
    expect(bar).to_be_visible()
    assert page.evaluate("document.getElementById('chart-cumulative').dataset.probe") == "kept"
    drawn = {t["name"]: round(t["y"][-1]) for t in chart_data(page, "chart-cumulative")}  # shown: whole dollars
    assert drawn == {"Prompting": shown()["prompting"], "RAG": shown()["rag"], "Fine-tuning": shown()["fine_tuning"]}

    # "Full answer" brings the answer, and the bar steps aside while it is in view
    bar.get_by_role("link", name="Full answer").click()
    expect(bar).to_be_hidden()
    page.evaluate("window.scrollTo(0, 0)")
    expect(bar).to_be_visible()

    # the recompute carried no table: "Numbers of this chart" fetches its own, by keyboard too
    numbers = page.locator("figure", has=page.locator("#chart-cumulative")).locator("details.numbers")
    numbers.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(numbers.locator("table tbody tr")).to_have_count(36)  # a row a month of the horizon


CHART_BOXES = """() => [...document.querySelectorAll('.chart[data-drawn="true"]')].map(chart => {
  const box = el => {
    const r = el.getBoundingClientRect();
    return r.width && r.height ? [r.left, r.top, r.right, r.bottom] : null;
  };
  const all = selector => [...chart.querySelectorAll(selector)].map(box).filter(Boolean);
  return {id: chart.id, chart: box(chart), legend: all('g.legend'), titles: all('[class^="g-"][class$="title"] text'),
          ticks: all('.xaxislayer-above text, .yaxislayer-above text'), labels: all('g.annotation')};
})"""


def _overlaps(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


def _chart_problems(page: Page) -> tuple[list[str], list[str]]:
    problems, seen = [], []
    for c in page.evaluate(CHART_BOXES):
        seen.append(c["id"])
        frame = c["chart"]
        for legend in c["legend"]:
            for kind in ("titles", "ticks", "labels"):
                problems += [f"{c['id']}: the legend overlaps {kind[:-1]} {o}" for o in c[kind] if _overlaps(legend, o)]
        for kind in ("legend", "titles", "labels"):
            for o in c[kind]:
                if o[0] < frame[0] - 1 or o[2] > frame[2] + 1 or o[1] < frame[1] - 1 or o[3] > frame[3] + 1:
                    problems.append(f"{c['id']}: a {kind} box {o} is cut off by the chart's {frame}")
    return problems, seen


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440px", "375px"])
def test_no_legend_overlaps_a_title_and_no_toolbar_on_a_phone(new_page: NewPage, viewport: dict[str, int]) -> None:
    page = new_page(viewport=viewport)
    # the seeds' ranges: the uncertainty panel then draws its fan and histogram too
    body = presets()["content-moderation"].scenario.model_dump(mode="json")
    body["uncertainty"]["draws"] = 500  # enough for the charts' shapes, and quick
    page.goto("/?" + forms.query_of(Scenario.model_validate(body)))
    settled(page)
    page.get_by_role("button", name="Fill the seeds' ranges").click()
    page.wait_for_function("() => document.querySelectorAll('.uncertainty .chart[data-drawn=\"true\"]').length >= 3")
    settled(page)
    problems, seen = _chart_problems(page)
    assert {"chart-cumulative", "chart-savings", "chart-monthly", "chart-volume", "chart-tornado"} <= set(seen), seen
    assert len(seen) >= 7, seen  # the fan and the histogram as well
    assert not problems, "\n".join(problems)
    # the volume chart's two markers carry their labels (an annotation on a log axis needs log10 of x)
    labels = page.eval_on_selector_all("#chart-volume g.annotation", "els => els.map(e => e.textContent)")
    assert "this scenario" in labels, labels

    page.locator("#chart-cumulative").hover()
    modebar = page.locator("#chart-cumulative .modebar")
    if viewport is PHONE:
        expect(modebar).to_have_count(0)
    else:
        expect(modebar).to_be_visible()
