"""The workbook recomputes: LibreOffice Calc (headless, a real client) recalculates the XLSX export.

The Summary totals (and fine-tuning's compute-only figure) and every money cell of the Annual sheet are
`=SUM(...)` formulas over the Monthly sheet, and carry the engine's numbers as cached values. Here:
(a) LibreOffice, forced to recalculate every formula on load, gets the engine's JSON figures to the cent,
    for a preset and for varied scenarios (fiscal years split by a July start, 36 and 7 months, no RAG,
    a saved scenario's export);
(b) the recalculation is real: a Monthly cell edited with openpyxl (+100.00), the file's stale cached
    values kept, moves the Summary total and that year's Annual cell by exactly 100.00 once LibreOffice
    recalculates, while the edited file's cached values still say the old numbers;
(c) the formulas are formulas (openpyxl reads `=SUM(`), and their cached values (openpyxl data_only)
    are the JSON figures.
One soffice run converts every file (each start costs seconds); its profile is a temporary directory
whose registrymodifications.xcu sets Calc's "recalculation on file load" for OOXML to 0, always.

TEST_SOFFICE (set by scripts/with-libreoffice.sh, which `make test` runs pytest through) names the
soffice binary; without it every test here is skipped, and the skip says why.
"""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

import app.db.models  # noqa: F401  (registers the tables)
from app import exports
from app.auth import keys
from app.engine import CATEGORIES
from app.main import create_app
from app.presets import presets
from app.settings import Settings

API = "/api/v1"
SOFFICE = os.environ.get("TEST_SOFFICE", "")
SKIPPED = os.environ.get("TEST_SOFFICE_SKIPPED", "")
NOT_SET = (
    "!!!!! LibreOffice tests SKIPPED: TEST_SOFFICE is not set "
    "(`make test` sets it through scripts/with-libreoffice.sh) !!!!!"
)
TIMEOUT = 120  # seconds for the one soffice run (about 5 s on 2 cores)
EDIT = 100.0  # added to one Monthly cell in (b)

pytestmark = pytest.mark.xdist_group("libreoffice")  # one worker, so one soffice run

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
</oor:items>
"""
"""Calc's "Recalculation on file load" for Excel 2007 and newer (and ODF): 0 = always recalculate."""


def cents(x: Any) -> int:
    assert isinstance(x, int | float) and not isinstance(x, bool), x
    return round(x * 100)


def scenario(slug: str, **changes: Any) -> dict[str, Any]:
    doc = presets()[slug].scenario.model_dump(mode="json")
    if "fiscal_year_start_month" in changes:
        doc["finance"]["fiscal_year_start_month"] = changes.pop("fiscal_year_start_month")
    if "rag" in changes:
        doc["rag"]["enabled"] = changes.pop("rag")
    return doc | changes


POSTED = {
    "preset": scenario("content-moderation"),
    "fiscal-july-36": scenario("legal-clause-extraction", fiscal_year_start_month=7, horizon_months=36),
    "fiscal-july-7": scenario("structured-output", fiscal_year_start_month=7, horizon_months=7),
    "seven-no-rag": scenario("internal-docs-qa", horizon_months=7, rag=False),
}
SAVED = scenario("support-ticket-categorisation", fiscal_year_start_month=7)


def skip_without_libreoffice() -> None:
    if SKIPPED:
        pytest.skip(SKIPPED)
    if not SOFFICE:
        pytest.skip(NOT_SET)


@pytest.fixture(scope="module")
def api() -> Iterator[TestClient]:
    """The real app on its own in-memory SQLite (one for the module: the exports are made once)."""
    skip_without_libreoffice()
    settings = Settings(
        database_url="sqlite://", max_body_bytes=200_000, max_batch=50, seed_presets=False, secret_key="x" * 40
    )
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    application = create_app(settings)
    application.state.session_factory = lambda: Session(engine, expire_on_commit=False)
    csrf = {"X-CSRF-Token": keys.csrf_token(keys.secret(settings.secret_key), "local")}
    with TestClient(application, headers=csrf) as client:
        yield client
    engine.dispose()


def money_cells(header: tuple[Any, ...], strategy: str) -> dict[str | None, int]:
    """The columns (0-based) of a strategy's total (None) and of each category, by header name."""
    found: dict[str | None, int] = {}
    for i, name in enumerate(header):
        for key in (None, *CATEGORIES):
            if isinstance(name, str) and name.startswith(f"{strategy}_{key or 'total'}_"):
                found[key] = i
    assert len(found) == 1 + len(CATEGORIES), (strategy, header)
    return found


def summary_rows(ws: Any, doc: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """The Summary strategy table's cells (by strategy): name, total, per 1k, compute-only, present value."""
    return {row[0].value: tuple(c for c in row[:5]) for row in ws.iter_rows() if row[0].value in doc["strategies"]}


def figures(book: openpyxl.Workbook, doc: dict[str, Any]) -> dict[tuple[str, ...], Any]:
    """Every formula cell's value: ("summary", s, "total"|"compute"), ("annual", label, s, key)."""
    out: dict[tuple[str, ...], Any] = {}
    for name, row in summary_rows(book["Summary"], doc).items():
        out["summary", name, "total"] = row[1].value
        if doc["strategies"][name].get("compute_only_usd") is not None:
            out["summary", name, "compute"] = row[3].value
    header, *rows = book["Annual"].iter_rows(values_only=True)
    for name in doc["strategies"]:
        for key, column in money_cells(header, name).items():
            for row in rows:
                out["annual", str(row[0]), name, str(key)] = row[column]
    return out


def expected(doc: dict[str, Any]) -> dict[tuple[str, ...], int]:
    """The engine's JSON figures of those cells, in cents."""
    out: dict[tuple[str, ...], int] = {}
    for name, s in doc["strategies"].items():
        out["summary", name, "total"] = cents(s["total_usd"])
        if s.get("compute_only_usd") is not None:
            out["summary", name, "compute"] = cents(s["compute_only_usd"])
        for year in s["annual"]:
            out["annual", year["label"], name, "None"] = cents(year["total_usd"])
            for c in CATEGORIES:
                out["annual", year["label"], name, c] = cents(year["categories"][c])
    return out


def in_cents(values: dict[tuple[str, ...], Any]) -> dict[tuple[str, ...], int]:
    return {k: cents(v) for k, v in values.items()}


def edited(data: bytes, doc: dict[str, Any]) -> tuple[bytes, str, str]:
    """The workbook with EDIT added to the last strategy's total of the last month of the first year, by
    openpyxl; the formulas keep the stale cached values they had (openpyxl drops them on save, so they are
    put back, as a program that does not calculate would leave them). Returns it, the strategy, the year."""
    name = list(doc["strategies"])[-1]
    year = doc["strategies"][name]["annual"][0]
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book["Monthly"]
    header = next(ws.iter_rows(values_only=True))
    periods = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    cell = ws.cell(row=periods.index(year["last_period"]) + 2, column=money_cells(header, name)[None] + 1)
    cell.value = float(cell.value) + EDIT  # type: ignore[arg-type]
    out = io.BytesIO()
    book.save(out)

    stale = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    cached = {
        f"xl/worksheets/sheet{book.sheetnames.index(title) + 1}.xml": {
            c.coordinate: float(stale[title][c.coordinate].value)
            for row in book[title].iter_rows()
            for c in row
            if c.data_type == "f"
        }
        for title in ("Summary", "Annual")
    }
    with zipfile.ZipFile(out) as archive:
        assert all(part in archive.namelist() for part in cached)
    return exports._fixed_zip_times(out.getvalue(), exports.FIXED_CREATED, cached), name, year["label"]


def recalculate(files: dict[str, bytes], tmp: Path) -> dict[str, bytes]:
    """Each file opened by LibreOffice Calc (every formula recalculated on load) and saved as XLSX: one
    soffice run for them all."""
    profile, source, target = tmp / "profile", tmp / "in", tmp / "out"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    source.mkdir()
    for name, data in files.items():
        (source / f"{name}.xlsx").write_bytes(data)
    command = [
        SOFFICE,
        "--headless",
        "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to",
        "xlsx:Calc MS Excel 2007 XML",
        "--outdir",
        str(target),
        *(str(source / f"{name}.xlsx") for name in files),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    # LibreOffice read the profile: it rewrites the file on exit and keeps the setting.
    registry = (profile / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")
    assert 'oor:name="OOXMLRecalcMode"' in registry, registry[:2000]
    missing = [name for name in files if not (target / f"{name}.xlsx").is_file()]
    assert not missing, (missing, done.stdout, done.stderr)
    return {name: (target / f"{name}.xlsx").read_bytes() for name in files}


@pytest.fixture(scope="module")
def run(api: TestClient, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The exports, their estimates, an edited copy, and what LibreOffice made of them all."""
    docs: dict[str, dict[str, Any]] = {}
    files: dict[str, bytes] = {}
    for name, body in POSTED.items():
        response = api.post(f"{API}/estimate", json=body)
        assert response.status_code == 200, response.text
        docs[name] = response.json()
        response = api.post(f"{API}/export.xlsx", json=body)
        assert response.status_code == 200, response.text
        files[name] = response.content
    response = api.post(f"{API}/scenarios", json=SAVED)
    assert response.status_code == 201, response.text
    sid = response.json()["id"]
    docs["saved"] = api.get(f"{API}/scenarios/{sid}/estimate").json()
    files["saved"] = api.get(f"{API}/scenarios/{sid}/export.xlsx").content

    files["edited"], strategy, year = edited(files["fiscal-july-36"], docs["fiscal-july-36"])
    docs["edited"] = docs["fiscal-july-36"]
    return {
        "docs": docs,
        "files": files,
        "recalculated": recalculate(files, tmp_path_factory.mktemp("soffice")),
        "strategy": strategy,
        "year": year,
    }


def book(data: bytes, *, data_only: bool) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)


@pytest.mark.parametrize("name", [*POSTED, "saved"])
def test_libreoffice_recalculates_the_engines_figures_to_the_cent(run: dict[str, Any], name: str) -> None:
    doc = run["docs"][name]
    got = in_cents(figures(book(run["recalculated"][name], data_only=True), doc))
    assert got == expected(doc)
    if name.startswith("fiscal-july"):  # a July start splits the calendar years: more than one year
        assert len(doc["strategies"]["prompting"]["annual"]) > 1


def test_an_edited_monthly_cell_moves_the_total_and_its_year_after_recalculation(run: dict[str, Any]) -> None:
    doc, strategy, year = run["docs"]["edited"], run["strategy"], run["year"]
    before = expected(doc)
    moved = {("summary", strategy, "total"), ("annual", year, strategy, "None")}

    stale = in_cents(figures(book(run["files"]["edited"], data_only=True), doc))
    assert stale == before  # the edited file's cached values did not move

    after = in_cents(figures(book(run["recalculated"]["edited"], data_only=True), doc))
    assert {k: after[k] - before[k] for k in moved} == dict.fromkeys(moved, cents(EDIT))
    assert {k: v for k, v in after.items() if k not in moved} == {k: v for k, v in before.items() if k not in moved}


@pytest.mark.parametrize("name", [*POSTED, "saved"])
def test_the_cells_are_formulas_that_carry_the_engines_figures(run: dict[str, Any], name: str) -> None:
    doc, data = run["docs"][name], run["files"][name]
    formulas = figures(book(data, data_only=False), doc)
    assert formulas and all(isinstance(f, str) and f.startswith("=SUM(Monthly!") for f in formulas.values())
    assert in_cents(figures(book(data, data_only=True), doc)) == expected(doc)
    # LibreOffice saves them as formulas too
    assert all(
        str(f).startswith("=SUM(") for f in figures(book(run["recalculated"][name], data_only=False), doc).values()
    )
