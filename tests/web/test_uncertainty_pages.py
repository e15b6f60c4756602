"""Ranges in the calculator's form, the seeds' ranges filled in, and the uncertainty panel fetched after
the results, on the calculator, a saved scenario and the comparison. Pages are parsed (htmlkit) and
every number shown is checked against the engine's document."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from htmlkit import Node, dom, form_data
from starlette.datastructures import QueryParams

from app import saved
from app.db.models import RevisionRow
from app.engine import Scenario
from app.engine.scenario import STRATEGY_LABELS, rangeable
from app.engine.uncertainty import SEED_RANGES
from app.presets import presets
from app.services import estimate_one, with_seed_ranges
from app.web import fields, figures, forms
from app.web.templating import number, share, usd

HX = {"HX-Request": "true"}
LABEL = "team.label_cost_usd"
SEEDED = "content-moderation"


def seeded(slug: str = SEEDED) -> Scenario:
    scenario, _ = with_seed_ranges(presets()[slug].scenario)
    return scenario


def get(client: TestClient, url: str, status: int = 200, **kwargs: Any) -> Node:
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.text[:2000]
    return dom(response.text)


def r(path: str, part: str) -> str:
    return f"ranges.{path}.{part}"


# --- the form: a range under each numeric field ---


def test_every_rangeable_input_has_its_range_and_the_important_ones_are_unfolded(calculator: TestClient) -> None:
    specs = fields.range_specs()
    assert set(specs) == set(rangeable())
    assert {seed.path for seed in SEED_RANGES} | {"workload.requests_per_day", "prompting.prices.input"} <= {
        p for p, s in specs.items() if s.open
    }
    root = get(calculator, "/")
    form = root.find("form", id="calculator")
    labels = {n.attrs["for"] for n in root.find_all("label")}
    for path, spec in specs.items():
        box = form.find("details", id=spec.id)
        assert "input-range" in box.classes()
        inputs = {n.attrs["name"]: n for n in box.find_all("input")}
        if spec.open:
            assert "open" in box.attrs, path
            assert set(inputs) == {r(path, "low"), r(path, "high"), r(path, "source")}
            assert all(n.attrs["id"] in labels for n in inputs.values())
            low = inputs[r(path, "low")]
            assert low.attrs["aria-describedby"].split() == [spec.error_id("low"), spec.error_id()]
        else:  # folded: app.js fills it from the template when it is unfolded
            assert "open" not in box.attrs and not inputs, path
    template = root.find("template", id="range-template")
    names = sorted(n.attrs["name"] for n in template.find_all("input"))
    assert names == ["ranges.@P@.high", "ranges.@P@.low", "ranges.@P@.source"]
    assert form.find("details", id="range-" + LABEL.replace(".", "__")).find("summary").text() == (
        "Range of Cost of a label"
    )


def test_the_monte_carlo_group_holds_draws_and_seed_with_their_help(calculator: TestClient) -> None:
    group = get(calculator, "/").find("details", id="group-uncertainty")
    assert group.find("summary").text() == "Monte Carlo"
    for path, doc in (("uncertainty.draws", "Monte Carlo draws"), ("uncertainty.seed", "same seed")):
        spec = fields.all_fields()[path]
        assert group.find("input", name=path).attrs["id"] == spec.id
        assert doc in group.find("p", id=f"{spec.id}-help").text()
    assert forms.parse({"uncertainty.draws": "1,000", "uncertainty.seed": "7"}).scenario == Scenario.model_validate(
        {"uncertainty": {"draws": 1000, "seed": 7}}
    )


# --- parsing ---


@pytest.mark.parametrize(
    ("path", "low", "high", "expected"),
    [
        ("workload.requests_per_month", "50,000", "1,000,000", (50_000.0, 1_000_000.0)),
        ("workload.monthly_growth", "0%", "5%", (0.0, 0.05)),
        ("prompting.few_shot_examples", " 2 ", "10", (2.0, 10.0)),
    ],
)
def test_ranges_are_read_as_people_type_numbers(path: str, low: str, high: str, expected: tuple[float, float]) -> None:
    form = {r(path, "low"): low, r(path, "high"): high, r(path, "source"): "a quote"}
    if path == "workload.requests_per_month":
        form[path] = "100,000"
    parsed = forms.parse(form)
    assert parsed.scenario is not None, parsed.errors
    got = parsed.scenario.ranges[path]
    assert (got.low, got.high, got.source) == (*expected, "a quote")


def test_a_source_alone_or_two_empty_ends_are_no_range() -> None:
    parsed = forms.parse({r(LABEL, "low"): "", r(LABEL, "high"): " ", r(LABEL, "source"): "kept"})
    assert parsed.scenario is not None and parsed.scenario.ranges == {}
    assert parsed.values[r(LABEL, "source")] == "kept"


@pytest.mark.parametrize(
    ("form", "where", "message"),
    [
        ({r(LABEL, "low"): "5"}, r(LABEL, "high"), "give the high too"),
        ({r(LABEL, "high"): "20"}, r(LABEL, "low"), "give the low too"),
        ({r(LABEL, "low"): "abc", r(LABEL, "high"): "20"}, r(LABEL, "low"), "'abc' is not a number"),
        ({r(LABEL, "low"): "30", r(LABEL, "high"): "20"}, f"ranges.{LABEL}", "must not exceed high"),
        ({r(LABEL, "low"): "-1", r(LABEL, "high"): "20"}, r(LABEL, "low"), "at least 0"),
        ({r(LABEL, "low"): "12", r(LABEL, "high"): "20"}, f"ranges.{LABEL}", "lies outside its range"),
        (
            {r("fine_tuning.cost_per_run_usd", "low"): "50", r("fine_tuning.cost_per_run_usd", "high"): "2000"},
            "ranges.fine_tuning.cost_per_run_usd",
            "give the input a value first",
        ),
    ],
)
def test_a_bad_range_is_a_message_for_that_range(form: dict[str, str], where: str, message: str) -> None:
    parsed = forms.parse({**form, "name": "kept"})
    assert parsed.scenario is None
    assert message in parsed.errors[where], parsed.errors
    assert all(parsed.values[k] == v.strip() for k, v in form.items())  # nothing typed is lost


def test_a_bad_range_in_a_recompute_goes_beside_its_low_and_high_and_keeps_the_results(calculator: TestClient) -> None:
    form = {r(LABEL, "low"): "30", r(LABEL, "high"): "20", r(LABEL, "source"): ""}
    response = calculator.get("/", params=form, headers=HX)
    assert response.status_code == 200 and response.headers["hx-reswap"] == "none"
    root = dom(response.text)
    assert not root.find_all(id="verdict-title")
    spec = fields.range_specs()[LABEL]
    assert "must not exceed high" in root.find("p", id=spec.error_id()).text()
    assert root.find("p", id=spec.error_id("low")).text() == ""  # its siblings are emptied
    # only the slots of ranges the form sent: a folded range has none to fill
    sent = {p.attrs["id"] for p in root.find_all("p", class_="error")}
    other = fields.range_specs()["workload.input_tokens"]
    assert spec.error_id("high") in sent and other.error_id() not in sent

    # the whole page (no script): the inputs are marked invalid, the text kept, the group unfolded
    page = get(calculator, "/?" + "&".join(f"{k}={v}" for k, v in form.items()), status=422)
    box = page.find("details", id=spec.id)
    for part, text in (("low", "30"), ("high", "20")):
        shown = box.find("input", name=r(LABEL, part))
        assert shown.attrs["value"] == text and shown.attrs["aria-invalid"] == "true"
    assert "open" in page.find("details", id="group-team").attrs


# --- the link ---


@pytest.mark.parametrize("slug", sorted(presets()))
def test_the_link_and_the_form_carry_the_ranges_of_every_preset(slug: str) -> None:
    scenario = seeded(slug).model_copy(update={"description": ""})
    assert scenario.ranges
    assert forms.parse(forms.values_of(scenario)).scenario == scenario
    assert forms.parse(QueryParams(forms.query_of(scenario))).scenario == scenario


def test_a_recompute_links_the_ranges_and_the_link_reopens_them(calculator: TestClient) -> None:
    typed = {"workload.requests_per_month": "200,000", r(LABEL, "low"): "5", r(LABEL, "high"): "20"}
    typed[r(LABEL, "source")] = "002: 5-20 USD per example"
    response = calculator.get("/", params=typed, headers=HX)
    link = response.headers["hx-replace-url"]
    query = dict(parse_qsl(urlsplit(link).query))
    assert query[r(LABEL, "low")] == "5" and query[r(LABEL, "source")] == "002: 5-20 USD per example"
    reopened = forms.parse(QueryParams(query)).scenario
    assert reopened is not None and reopened == forms.parse(typed).scenario
    box = get(calculator, link).find("details", id=fields.range_specs()[LABEL].id)
    assert {n.attrs["name"]: n.attrs["value"] for n in box.find_all("input")} == {
        r(LABEL, "low"): "5",
        r(LABEL, "high"): "20",
        r(LABEL, "source"): "002: 5-20 USD per example",
    }
    # a range under a folded field comes back unfolded, with its inputs
    folded = fields.range_specs()["workload.input_tokens"]
    assert not folded.open
    page = get(calculator, "/?ranges.workload.input_tokens.low=800&ranges.workload.input_tokens.high=1200")
    assert "open" in page.find("details", id=folded.id).attrs
    assert page.find("input", name=r("workload.input_tokens", "high")).attrs["value"] == "1200"


# --- the seeds' ranges ---


def test_fill_the_seeds_ranges_adds_them_where_they_apply_and_keeps_what_was_typed(calculator: TestClient) -> None:
    base = presets()[SEEDED].scenario
    typed = {**forms.values_of(base), "horizon_months": "24"}
    typed |= {r("team.golden_examples", "low"): "250", r("team.golden_examples", "high"): "400"}  # the user's own
    typed |= {r("workload.input_tokens", "low"): "900", r("workload.input_tokens", "high"): "1,100"}
    response = calculator.get("/ranges/seeds", params=typed, headers=HX)
    assert response.status_code == 200
    assert response.headers["hx-trigger-after-settle"] == "ranges-filled"  # the form recomputes on it
    root = dom(response.text)

    expected, skipped = with_seed_ranges(forms.parse(typed).scenario)  # type: ignore[arg-type]
    added = {p for p in expected.ranges if p not in ("team.golden_examples", "workload.input_tokens")}
    applied = {li.attrs["data-path"]: li.text() for li in root.find("ul", class_="seed-applied").find_all("li")}
    assert set(applied) == added
    seed = next(s for s in SEED_RANGES if s.path == LABEL)
    assert applied[LABEL] == f"Team and data: Cost of a label: 5 to 20 ({seed.source})"
    not_filled = [li.text() for li in root.find("ul", class_="seed-skipped").find_all("li")]
    assert len(not_filled) == len(skipped)
    assert "Team and data: Golden examples: has a range already; kept" in not_filled
    assert "Fine-tuning: GPU hour: applies to dedicated GPUs only" in not_filled

    # each filled range replaces its own inputs (out of band), labelled with its seed; nothing else is sent
    boxes = [n for n in root.iter() if n.attrs.get("hx-swap-oob") == "true"]
    assert {b.attrs["id"] for b in boxes} == {fields.range_specs()[p].id for p in added}
    box = next(b for b in boxes if b.attrs["id"] == fields.range_specs()[LABEL].id)
    assert "filled" in box.classes() and "open" in box.attrs
    values = {n.attrs["name"]: n.attrs["value"] for n in box.find_all("input")}
    assert values == {r(LABEL, "low"): "5", r(LABEL, "high"): "20", r(LABEL, "source"): seed.source}


def test_fill_without_script_answers_the_page_filled_in(calculator: TestClient) -> None:
    typed = forms.values_of(presets()[SEEDED].scenario) | {"horizon_months": "24"}
    root = get(calculator, "/ranges/seeds", params=typed)
    data = form_data(root.find("form", id="calculator"))
    assert data["horizon_months"] == ["24"]
    assert data[r(LABEL, "low")] == ["5"] and data[r(LABEL, "high")] == ["20"]
    assert "Filled 6 ranges" in root.find("div", id="seed-report").text()
    reopened = forms.parse({k: v[-1] for k, v in data.items()}).scenario
    assert reopened is not None and reopened.horizon_months == 24
    assert reopened.ranges == seeded().ranges


def test_fill_on_a_form_in_error_changes_nothing(calculator: TestClient) -> None:
    response = calculator.get("/ranges/seeds", params={"workload.input_tokens": "abc"}, headers=HX)
    assert "hx-trigger-after-settle" not in response.headers
    root = dom(response.text)
    assert "Fix the 1 marked field first" in root.find("p", class_="error").text()
    assert not [n for n in root.iter() if "hx-swap-oob" in n.attrs]


# --- the uncertainty panel of the calculator ---


def test_results_fetch_their_panel_and_the_recompute_carries_no_draws(calculator: TestClient) -> None:
    scenario = seeded()
    query = forms.query_of(scenario)
    response = calculator.get("/?" + query, headers=HX)
    root = dom(response.text)
    section = root.find("section", id="uncertainty")
    assert section.attrs["hx-get"] == "/uncertainty?" + query
    assert section.attrs["hx-trigger"] == "load" and section.attrs["aria-busy"] == "true"
    assert "Running 10,000 draws of 6 ranged inputs" in section.find("p", class_="running").text()
    assert root.find("p", id="verdict-uncertainty").attrs["role"] == "status"
    assert not root.find_all("div", class_="uncertainty-body")
    assert {c.attrs["id"] for c in root.find_all("div", class_="chart")} == {
        "chart-cumulative",
        "chart-savings",
        "chart-monthly",
        "chart-volume",
    }


def test_the_panel_shows_the_engines_numbers(calculator: TestClient) -> None:
    scenario = seeded()
    doc = estimate_one(scenario, uncertainty=True)
    unc = doc["uncertainty"]
    response = calculator.get("/uncertainty?" + forms.query_of(scenario), headers=HX)
    assert response.status_code == 200 and "HX-Request" in response.headers["vary"]
    root = dom(response.text)
    assert not root.find_all("html")
    body = root.find("div", class_="uncertainty-body")
    assert root.find("p", id="uncertainty-summary").text() == unc["summary"]
    assert body.attrs["data-verdict-line"].startswith(
        f"Over 10,000 draws of the ranges, fine-tuning wins by 2x in {share(unc['win_probability'])} of draws"
    )
    assert root.find("dd", id="win-probability").text() == f"{share(unc['win_probability'])} of draws"
    assert float(root.find("dd", id="gate5-probability").attrs["data-value"]) == unc["gate5_probability"]
    table = root.find("table", class_="percentiles")
    assert {tr.attrs["data-strategy"] for tr in table.find("tbody").find_all("tr")} == set(unc["strategies"])
    for s, est in unc["strategies"].items():
        row = table.find("tr", data_strategy=s)
        assert row.find("th").text() == STRATEGY_LABELS[s]
        cells = {td.attrs.get("data-q"): td.text() for td in row.find_all("td")}
        assert cells[None] == number(doc["strategies"][s]["total_usd"])
        assert [cells["p10"], cells["p50"], cells["p90"], cells["mean"]] == [
            number(est["p10_usd"]),
            number(est["p50_usd"]),
            number(est["p90_usd"]),
            number(est["mean_usd"]),
        ]

    charts = {c.attrs["id"]: json.loads(c.attrs["data-figure"]) for c in root.find_all("div", class_="chart")}
    assert set(charts) == {"chart-fan", "chart-ratio", "chart-tornado"}
    fan = {t["name"]: t for t in charts["chart-fan"]["data"]}
    for s, est in unc["strategies"].items():
        band = est["cumulative_usd"]
        assert fan[f"{STRATEGY_LABELS[s]} P50"]["y"] == band["p50"]
        assert fan[f"{STRATEGY_LABELS[s]} P10 to P90"]["y"] == band["p10"]
        assert fan[f"{STRATEGY_LABELS[s]} P10 to P90"]["fill"] == "tonexty"
        assert fan[f"{STRATEGY_LABELS[s]} P50"]["line"]["color"] == figures.COLORS[s]  # the charts' colours
    bars = charts["chart-ratio"]
    assert sum(sum(t["y"]) for t in bars["data"]) == unc["draws"] == sum(unc["tco_ratio"]["histogram"]["counts"])
    assert any(shape["x0"] == 2.0 for shape in bars["layout"]["shapes"])  # the 2x line
    tornado = charts["chart-tornado"]
    point = unc["tornado"]["tco_ratio"]
    titles = fields.titles()
    moved = {True: "range", False: "\u00b130%"}
    labels = [
        "{}:<br>{} ({})".format(*titles[i["path"]].split(": "), moved[i["from_range"]])
        for i in unc["tornado"]["inputs"]
    ]
    assert tornado["layout"]["yaxis"]["categoryarray"] == labels  # largest swing first (on top)
    bars = {(t["offsetgroup"], y): (x, t) for t in tornado["data"] for y, x in zip(t["y"], t["x"], strict=True)}
    for item, label in zip(unc["tornado"]["inputs"], labels, strict=True):
        for end in ("low", "high"):
            x, trace = bars[(end, label)]
            assert trace["base"] == point and x == item[f"tco_ratio_{end}"] - point
            assert trace["marker"]["pattern"]["shape"] == ("" if item["from_range"] else "/")  # +-30% hatched
    assert "Team and data:<br>Cost of a label (range)" in labels
    # each chart has its numbers in a closed <details>, and the ranges as drawn
    blocks = root.find_all("figure", class_="chart-block")
    assert len(blocks) == 3 and all("open" not in b.find("details").attrs for b in blocks)
    drawn = {tr.attrs["data-path"]: tr for tr in root.find("details", class_="ranges-used").find_all("tr")[1:]}
    assert set(drawn) == {x["path"] for x in unc["ranges"]}
    assert "002: 5-20 USD per example" in drawn[LABEL].text()


def test_without_ranges_the_panel_says_so_and_still_shows_the_tornado(calculator: TestClient) -> None:
    root = get(calculator, "/uncertainty", headers=HX)
    doc = estimate_one(Scenario(), uncertainty=True)
    assert root.find("p", id="uncertainty-summary").text() == doc["uncertainty"]["summary"]
    assert "No input carries a range" in doc["uncertainty"]["summary"]
    assert "No input has a range" in root.find("div", class_="uncertainty-body").attrs["data-verdict-line"]
    assert [c.attrs["id"] for c in root.find_all("div", class_="chart")] == ["chart-tornado"]
    assert not root.find_all("table", class_="percentiles")
    rows = root.find("figure", class_="chart-block").find("tbody").find_all("tr")
    assert len(rows) == 10 and all(tr.find_all("td")[1].text() == "\u00b130%" for tr in rows)


def test_a_range_that_misses_the_catalog_price_is_named_beside_its_field(calculator: TestClient) -> None:
    form = {r("prompting.prices.input", "low"): "3", r("prompting.prices.input", "high"): "4"}
    spec = fields.range_specs()["prompting.prices.input"]
    recompute = calculator.get("/", params=form, headers=HX)  # priced, the range is checked: the results stay
    assert recompute.headers["hx-reswap"] == "none"
    slot = dom(recompute.text).find("p", id=spec.error_id())
    assert "2 (the catalog's), lies outside its range 3 to 4" in slot.text()
    # a panel asked for anyway (a link typed by hand) says so, and names the range for the page
    root = get(calculator, "/uncertainty", params=form, headers=HX)
    body = root.find("div", class_="uncertainty-body")
    errors = json.loads(body.attrs["data-errors"])
    assert list(errors) == [spec.error_id()]
    assert "(the catalog's), lies outside its range 3 to 4" in errors["err-ranges__prompting__prices__input"]
    assert "the range of Prompting: Input price" in root.find("p", id="uncertainty-problem").text()


def test_the_panel_without_script_is_a_page(calculator: TestClient) -> None:
    scenario = seeded()
    root = get(calculator, "/uncertainty?" + forms.query_of(scenario))
    assert root.find("h1").text() == "Uncertainty of the calculator's inputs"
    assert root.find("a", href="/?" + forms.query_of(scenario))
    assert len(root.find_all("div", class_="chart")) == 3
    assert get(calculator, "/uncertainty?workload.input_tokens=abc", status=422).find("p", id="uncertainty-problem")


# --- saved scenarios and the comparison ---


def create(client: TestClient, scenario: Scenario) -> dict[str, Any]:
    response = client.post("/api/v1/scenarios", json=scenario.model_dump(mode="json"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def revision(client: TestClient, sid: int, number: int = 1) -> RevisionRow:
    """A saved revision as the pages read it (its inputs and frozen prices), through the API."""
    body = client.get(f"/api/v1/scenarios/{sid}/revisions/{number}").json()
    return RevisionRow(number=number, inputs=body["inputs"], prices=body["prices"])


def test_the_scenario_page_shows_its_ranges_and_its_panel_at_frozen_prices(client: TestClient) -> None:
    scenario = Scenario.model_validate(
        seeded().model_dump() | {"name": "Ranged", "uncertainty": {"draws": 2_000, "seed": 7}}
    )
    sid = create(client, scenario)["id"]
    root = get(client, f"/scenarios/{sid}")
    line = root.find("span", class_="range-shown", data_path=LABEL)
    assert line.text() == "range 5 to 20 USD / example (002: 5-20 USD per example for skilled annotators)"
    assert "changed" in line.parent.parent.classes()
    section = root.find("section", id="uncertainty")
    assert section.attrs["hx-get"] == f"/scenarios/{sid}/uncertainty?revision=1"
    assert "Running 2,000 draws of 6 ranged inputs" in section.text()

    panel = get(client, section.attrs["hx-get"], headers=HX)
    expected = saved.estimate_revision(revision(client, sid), uncertainty=True)["uncertainty"]
    assert expected["draws"] == 2_000 and expected["seed"] == 7
    assert panel.find("p", id="uncertainty-summary").text() == expected["summary"]
    fine = panel.find("table", class_="percentiles").find("tr", data_strategy="fine_tuning")
    assert fine.find("td", data_q="p90").text() == number(expected["strategies"]["fine_tuning"]["p90_usd"])
    assert "seed 7" in panel.find("table", class_="percentiles").find("caption").text()
    assert get(client, f"/scenarios/{sid}/uncertainty?revision=3", status=404)


def test_the_diff_shows_a_range_that_changed(client: TestClient) -> None:
    made = create(client, presets()[SEEDED].scenario.model_copy(update={"name": "Moderation"}))
    sid = made["id"]
    edit = get(client, f"/scenarios/{sid}/edit")
    data = form_data(edit.find("form", id="calculator"))
    data[r(LABEL, "low")], data[r(LABEL, "high")], data[r(LABEL, "source")] = ["8"], ["12"], ["a quote"]
    assert client.post(f"/scenarios/{sid}/edit", data=data, follow_redirects=False).status_code == 303
    diff = get(client, f"/scenarios/{sid}/diff?a=1&b=2")
    rows = diff.find("table", class_="diff-inputs").find("tbody").find_all("tr")
    assert [tr.attrs["data-path"] for tr in rows] == [f"ranges.{LABEL}"]
    assert [td.text() for td in rows[0].find_all("td")] == ["\u2013", "8 to 12 USD / example (a quote)"]


def test_the_comparison_shows_each_scenarios_spread_and_win_probability(client: TestClient) -> None:
    a = create(client, seeded().model_copy(update={"name": "With ranges"}))
    b = create(client, presets()[SEEDED].scenario.model_copy(update={"name": "Without"}))
    root = get(client, f"/compare?ids={a['id']}&ids={b['id']}")
    section = root.find("section", id="compare-uncertainty")
    url = section.attrs["hx-get"]
    assert url == f"/compare/uncertainty?ids={a['id']}&ids={b['id']}"
    assert section.attrs["aria-busy"] == "true"
    ranged = root.find("table", class_="compare-inputs").find("tr", data_path=f"ranges.{LABEL}")
    assert [td.text() for td in ranged.find_all("td")][1] == "\u2013"

    panel = get(client, url, headers=HX)
    table = panel.find("table", class_="compare-uncertainty-table")
    docs = [saved.estimate_revision(revision(client, x["id"]), uncertainty=True)["uncertainty"] for x in (a, b)]
    wins = [td.attrs["data-value"] for td in table.find("tr", class_="win-row").find_all("td")]
    assert [float(w) for w in wins] == [d["win_probability"] for d in docs]
    for q in ("p10", "p50", "p90"):
        row = table.find("tr", data_strategy="prompting", data_q=q)
        assert [td.text() for td in row.find_all("td")] == [usd(d["strategies"]["prompting"][f"{q}_usd"]) for d in docs]
    assert "none: the point estimate" in table.find("tr", class_="ranged-row").find_all("td")[1].text()
    assert get(client, url).find("h1").text() == "Compare scenarios: uncertainty"


def test_saving_a_range_that_misses_the_catalog_price_writes_nothing(client: TestClient) -> None:
    form = {"name": "Off range", r("prompting.prices.input", "low"): "3", r("prompting.prices.input", "high"): "4"}
    response = client.post("/scenarios", data=form, follow_redirects=False)
    assert response.status_code == 422
    root = dom(response.text)
    slot = root.find("p", id=fields.range_specs()["prompting.prices.input"].error_id())
    assert "lies outside its range 3 to 4" in slot.text()
    assert root.find("input", name=r("prompting.prices.input", "low")).attrs["value"] == "3"  # kept as typed
    assert client.get("/api/v1/scenarios").json()["total"] == 0
