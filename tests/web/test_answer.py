"""The answer a product manager reads first (issue 17): the headline, the cost and readiness lines,
why the 2x rule and each gate exist, and the savings chart with its payback month."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from htmlkit import dom

from app.presets import presets
from app.services import estimate_one
from app.web import figures


def test_payback_is_the_month_from_which_the_saving_stays_positive() -> None:
    assert figures.payback_month([-5.0, 2.0, -1.0, 3.0, 4.0]) == 4  # month 2 is ahead, month 3 behind again
    assert figures.payback_month([0.0, 1.0]) == 1
    assert figures.payback_month([-1.0, -2.0]) is None


def test_the_savings_against_the_simpler_route_pay_back_in_the_break_even_month() -> None:
    doc = estimate_one(presets()["content-moderation"].scenario)  # fine-tuning is recommended
    assert doc["verdict"]["recommendation"] == "fine_tuning"
    simpler = doc["verdict"]["simpler"]
    series = figures.savings_series(doc)
    assert set(series) == set(doc["strategies"]) - {"fine_tuning"}
    # the saving in month m is the simpler route's cumulative cost less fine-tuning's, to the cent
    m = 10
    expected = (
        doc["strategies"][simpler]["cumulative_usd"][m - 1] - doc["strategies"]["fine_tuning"]["cumulative_usd"][m - 1]
    )
    assert series[simpler][m - 1] == round(expected, 2)
    assert figures.payback_month(series[simpler]) == doc["verdict"]["break_even_month"]
    fig = figures.savings(doc)
    assert [t["name"] for t in fig["data"]] == [f"against {figures.label(s)}" for s in series]
    assert (
        any("pays back against" in a["text"] for a in fig["layout"]["annotations"])
        or doc["verdict"]["break_even_month"] == 1
    )


@pytest.mark.parametrize("slug", ["support-ticket-categorisation", "internal-docs-qa", "content-moderation"])
def test_the_page_leads_with_the_headline_then_the_two_verdict_lines(client: TestClient, slug: str) -> None:
    doc = estimate_one(presets()[slug].scenario)
    root = dom(client.get("/?" + urlencode({"preset": slug})).text)
    card = root.find("article", class_="verdict")
    assert card.find("p", id="headline").text() == doc["verdict"]["summary"]
    cost, ready = card.find("li", id="verdict-cost"), card.find("li", id="verdict-readiness")
    assert ("pass" in cost.classes()) is doc["verdict"]["cost"]["passed"]
    assert doc["verdict"]["cost"]["text"] in cost.text()
    assert doc["verdict"]["readiness"]["text"] in ready.text()
    why = root.find("section", class_="verdict-more")  # under the totals and the cumulative chart
    assert "3-5x its compute estimate" in why.find("details", class_="why-2x").text()
    whys = [d.text() for d in why.find("ol", class_="gates").find_all("details", class_="why")]
    assert len(whys) == 6 and all(w.startswith("Why this gate") for w in whys)
    assert root.find("div", id="chart-savings")
