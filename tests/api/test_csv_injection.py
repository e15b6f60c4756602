"""CSV formula injection through line breaks (issue 15): a text cell holding a bare CR or an LF is
quoted, and every line inside it is guarded like its start, so neither a spreadsheet that splits rows
on CR or LF ignoring quotes nor one that honours them ever starts a cell with a formula.

Each CSV is read twice: naively (rows split on CR, LF or CRLF and cells on commas, quotes ignored) and
with Python's csv module (quotes honoured), where the user's text must come back as typed plus `'`.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import exports
from app.audit import csv_text
from app.db.models import AuditRow, utcnow
from app.presets import presets

API = "/api/v1"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NAME = "Q3 budget\r=1+1"
GUARDED_NAME = "Q3 budget\r'=1+1"
COMMENT = "Looks fine\r=1+1\n@SUM(A1)"
GUARDED_COMMENT = "Looks fine\r'=1+1\n'@SUM(A1)"
PLAIN_NUMBER = re.compile(r"\d+(\.\d+)?")
"""A number cell of these files: never negative, never quoted, never prefixed."""

RANGES = {
    "team.label_cost_usd": {"low": 5, "high": 20, "source": "vendor quote\r=1+1"},
    "workload.requests_per_day": {"low": 300_000, "high": 800_000, "source": "forecast"},
}


def ranged(name: str) -> dict[str, Any]:
    """The content-moderation preset named `name`, with ranges and a small seeded draw (percentiles exist)."""
    document = presets()["content-moderation"].scenario.model_dump(mode="json")
    return {**document, "name": name, "ranges": RANGES, "uncertainty": {"draws": 500, "seed": 7}}


def create(client: TestClient, scenario: dict[str, Any]) -> int:
    response = client.post(f"{API}/scenarios", json=scenario)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def fetch(client: TestClient, path: str, **params: str) -> str:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response.text


def assert_naively_inert(body: str, where: str) -> None:
    """Rows split on CR, LF and CRLF and cells on commas, quotes ignored: nothing starts a formula."""
    lines = re.split(r"\r\n|\r|\n", body)
    assert len(lines) > 2, where
    for n, line in enumerate(lines):
        assert not line.startswith(FORMULA_STARTS), f"{where}, line {n}: {line!r}"
        for cell in line.split(","):
            assert not cell.startswith(FORMULA_STARTS), f"{where}, line {n}: cell {cell!r} in {line!r}"


def parsed(body: str) -> list[list[str]]:
    """The rows as a spreadsheet honouring quotes reads them (LF between rows, CR kept inside quotes)."""
    return list(csv.reader(io.StringIO(body, newline="")))


def assert_quotes_inert(rows: list[list[str]], where: str) -> None:
    """Quotes honoured: no cell starts a formula, nor does any line inside a cell."""
    for row in rows:
        for cell in row:
            for line in re.split(r"\r\n|\r|\n", cell):
                assert not line.startswith(FORMULA_STARTS), f"{where}: {cell!r}"


# --- the helpers ---


@pytest.mark.parametrize(
    ("text", "guarded"),
    [
        ("plain text", "plain text"),
        ("Q3, budget - draft", "Q3, budget - draft"),  # a risky character that starts no line stays
        ("2026-01", "2026-01"),
        ("=1", "'=1"),
        ("a\r=1", "a\r'=1"),
        ("a\n-1", "a\n'-1"),
        ("a\r\n+1", "a\r\n'+1"),
        ("a\n@SUM(A1)", "a\n'@SUM(A1)"),
        ("a\n\tb", "a\n'\tb"),
        ("a\r\r=1", "a\r'\r'=1"),  # the CR starts a line too: guarded, then the `=` after it
        ("\r=1", "'\r'=1"),
        ("=1\n=2\r=3", "'=1\n'=2\r'=3"),
        ("a\nb\rc", "a\nb\rc"),
    ],
)
def test_neutralise_guards_the_start_of_every_line(text: str, guarded: str) -> None:
    assert exports.neutralise(text) == guarded
    assert exports.neutralise(guarded) == guarded  # once guarded, guarded: nothing is prefixed twice


def test_to_csv_quotes_a_bare_cr_and_leaves_every_other_field_as_it_was() -> None:
    rows = [
        ("Budget", 1, "long", 3, "2026-01", "compute", "12.50", "USD"),
        ("a\rb", "", "x\ny", 'q"q', "a,b", "a\r\nb", "-12.50", "EUR"),
    ]
    text = exports.to_csv(rows, exports.LONG_COLUMNS)
    assert text == (
        "scenario,revision,strategy,month,period,category,usd,currency\n"
        "Budget,1,long,3,2026-01,compute,12.50,USD\n"
        '"a\rb",,"x\ny","q""q","a,b","a\r\nb",-12.50,EUR\n'
    )
    assert parsed(text)[2] == ["a\rb", "", "x\ny", 'q"q', "a,b", "a\r\nb", "-12.50", "EUR"]


def test_the_audit_csv_guards_every_line_of_its_text_cells() -> None:
    row = AuditRow(id=1, at=utcnow(), actor="=cmd\r+x", action="commented", scenario_id=4, revision=2, detail=COMMENT)
    text = csv_text([row], with_scenario=True)
    assert_naively_inert(text, "audit csv_text")
    assert parsed(text)[1][1:] == ["'=cmd\r'+x", "commented", "4", "2", GUARDED_COMMENT]


# --- every CSV of the app ---


@pytest.fixture
def saved(client: TestClient) -> int:
    """A scenario named `Q3 budget<CR>=1+1`, with ranges, and a comment with a CR and an LF line."""
    sid = create(client, ranged(NAME))
    response = client.post(f"{API}/scenarios/{sid}/comments", json={"revision": 1, "body": COMMENT})
    assert response.status_code in (200, 201), response.text
    return sid


def test_the_long_csv_quotes_and_guards_the_name(client: TestClient, saved: int) -> None:
    for where, body in (
        ("saved", fetch(client, f"{API}/scenarios/{saved}/export.csv", shape="long")),
        ("posted", client.post(f"{API}/export.csv", params={"shape": "long"}, json=ranged(NAME)).text),
    ):
        assert f'\n"{GUARDED_NAME}",' in body, where  # quoted, so the CR is inside the field
        assert_naively_inert(body, f"long CSV, {where}")
        rows = parsed(body)
        assert_quotes_inert(rows, f"long CSV, {where}")
        assert rows[0] == list(exports.LONG_COLUMNS)
        assert len(rows) > 1 and {row[0] for row in rows[1:]} == {GUARDED_NAME}
        assert all(PLAIN_NUMBER.fullmatch(row[6]) for row in rows[1:])  # money stays a bare number
        assert all(re.fullmatch(r"\d{4}-\d{2}", row[4]) for row in rows[1:])  # periods untouched


@pytest.mark.parametrize("shape", ["wide", "percentiles"])
def test_the_wide_and_percentiles_csvs_are_inert_and_unchanged(client: TestClient, saved: int, shape: str) -> None:
    """They carry no name: the same bytes as the same scenario with a plain name."""
    body = fetch(client, f"{API}/scenarios/{saved}/export.csv", shape=shape)
    plain = create(client, ranged("Q3 budget"))
    assert body == fetch(client, f"{API}/scenarios/{plain}/export.csv", shape=shape)
    assert_naively_inert(body, f"{shape} CSV")
    rows = parsed(body)
    assert_quotes_inert(rows, f"{shape} CSV")
    assert rows[0][:2] == ["month", "period"] and len(rows) > 2
    for row in rows[1:]:
        assert re.fullmatch(r"\d{4}-\d{2}", row[1])
        assert all(PLAIN_NUMBER.fullmatch(cell) for cell in (row[0], *row[2:-1])), row
        assert row[-1] == "USD"  # the currency column


def test_the_scenarios_audit_csv_guards_every_line_of_a_comment(client: TestClient, saved: int) -> None:
    body = fetch(client, f"{API}/scenarios/{saved}/audit.csv")
    assert f'"{GUARDED_COMMENT}"' in body  # quoted, CR and LF inside the field
    assert_naively_inert(body, "scenario audit.csv")
    rows = parsed(body)
    assert_quotes_inert(rows, "scenario audit.csv")
    header, *entries = rows
    assert header == ["at", "actor", "action", "revision", "detail"]
    assert [row[2] for row in entries] == ["commented", "created"]  # newest first
    assert entries[0][4] == GUARDED_COMMENT


def test_the_whole_log_csv_guards_every_line_of_a_comment(client: TestClient, saved: int) -> None:
    body = fetch(client, "/admin/audit.csv")
    assert_naively_inert(body, "admin audit.csv")
    rows = parsed(body)
    assert_quotes_inert(rows, "admin audit.csv")
    assert rows[0] == ["at", "actor", "action", "scenario_id", "revision", "detail"]
    commented = [row for row in rows[1:] if row[2] == "commented"]
    assert [(row[3], row[4], row[5]) for row in commented] == [(str(saved), "1", GUARDED_COMMENT)]
