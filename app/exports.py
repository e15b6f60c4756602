"""Estimates as files: CSV (long, wide and percentiles), an XLSX workbook and JSON, for every face.

Pure functions of an Estimate (the model or its plain-dict document), the
scenario and the revision number; no web imports. Text that users typed (the
scenario name, the inputs) is never a formula (OWASP's CSV injection advice):
in CSV a value starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets
a leading `'`, and so does every line inside it, after a CR or LF (`neutralise`:
a spreadsheet that splits rows on a bare CR would start a cell there); a field
holding CR, LF, a quote or a comma is quoted (`to_csv`). In XLSX every text cell
is a string cell, never a formula, and such a value also carries the cell's quote
prefix (Excel's hidden `'`: the text stays as typed, and stays text when someone
edits the cell).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, get_args

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from app.engine import CATEGORIES, STRATEGIES, Estimate, Scenario
from app.engine.comparison import model_row
from app.engine.kernel import COMPUTE_ONLY

LONG_COLUMNS = ("scenario", "revision", "strategy", "month", "period", "category", "usd", "currency")
"""The long CSV shape's columns: a contract spreadsheets bind to (add columns, never rename or remove).
`usd` holds the amount in `currency` (the estimate's `finance.currency`, USD unless it says otherwise):
every shape ends with that `currency` column."""
Shape = Literal["long", "wide", "percentiles", "annual", "models"]
SHAPES: tuple[Shape, ...] = get_args(Shape)
BANDS = ("p10", "p50", "p90")
"""The percentiles of the fan chart, as the keys of `uncertainty.strategies.<strategy>.cumulative_usd`."""

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_MEDIA_TYPE = "application/json"

USD_FORMAT = "#,##0.00"
RATIO_FORMAT = '0.00"x"'
INTEGER_FORMAT = "0"
COUNT_FORMAT = "#,##0"
PRICE_FORMAT = "#,##0.00####"
SHARE_FORMAT = "0.0%"
NUMBER_FORMAT = "#,##0.######"
DATE_FORMAT = "yyyy-mm-dd"

FIXED_CREATED = dt.datetime(2000, 1, 1)
"""Workbook creation time when no revision date is given: the same file for the same estimate."""

EstimateLike = Estimate | Mapping[str, Any]
ScenarioLike = Scenario | Mapping[str, Any]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def risky(value: object) -> bool:
    """Text a spreadsheet could read as a formula: it starts with `=`, `+`, `-`, `@`, a tab or a CR."""
    return isinstance(value, str) and value.startswith(_FORMULA_STARTS)


_RISKY_LINE_START = re.compile(r"(?:^|(?<=[\r\n]))(?=[" + re.escape("".join(_FORMULA_STARTS)) + "])")
"""Where a spreadsheet may start a cell inside a text: its start, and right after every CR or LF
(a reader that splits rows on a bare CR, or on LF inside quotes), when a risky character follows."""


def neutralise(value: str) -> str:
    r"""A CSV text cell that a spreadsheet will not read as a formula: `'` before a risky first character,
    and before a risky character right after every CR or LF inside it (`a\r=1` -> `a\r'=1`).
    For text cells only: a number such as `-12.50` must stay a number."""
    return _RISKY_LINE_START.sub("'", value)


def _document(estimate: EstimateLike) -> Mapping[str, Any]:
    return estimate.model_dump(mode="json") if isinstance(estimate, Estimate) else estimate


def _scenario_document(scenario: ScenarioLike) -> Mapping[str, Any]:
    return scenario.model_dump(mode="json") if isinstance(scenario, Scenario) else scenario


def strategies_of(estimate: EstimateLike) -> list[str]:
    """The strategies present in the estimate, in the contract's order (an absent one has no columns)."""
    present = _document(estimate)["strategies"]
    return [s for s in STRATEGIES if s in present]


def periods_of(estimate: EstimateLike) -> list[str]:
    """The calendar month "YYYY-MM" of each month of the horizon (month 1 is `start_month`),
    as the document's monthly series give it."""
    doc = _document(estimate)
    monthly = doc["strategies"][strategies_of(doc)[0]]["monthly"]
    return [str(month["period"]) for month in monthly]


# --- CSV ---


def tuned_of(estimate: EstimateLike) -> str:
    """The tuned route the verdict weighs: fine_tuning, or hybrid for a task of both kinds (documents from
    before the hybrid: fine_tuning)."""
    return str(_document(estimate)["verdict"].get("tuned") or "fine_tuning")


def currency_of(estimate: EstimateLike) -> str:
    """The ISO 4217 code of an estimate's amounts (documents from before currencies: USD)."""
    return str(_document(estimate).get("currency") or "USD")


def long_rows(estimate: EstimateLike, *, revision: int | None = None) -> Iterator[tuple[object, ...]]:
    """One row per strategy x month x category (the long CSV shape)."""
    doc = _document(estimate)
    name = neutralise(doc["scenario_name"])
    cur = currency_of(doc)
    for strategy in strategies_of(doc):
        for month in doc["strategies"][strategy]["monthly"]:
            for category in CATEGORIES:
                usd = month["categories"][category]
                yield (name, revision or "", strategy, month["month"], month["period"], category, f"{usd:.2f}", cur)


def _money_columns(estimate: EstimateLike) -> tuple[str, ...]:
    """`<strategy>_total_usd` per strategy, then `<strategy>_<category>_usd`: the money of a wide or
    annual row, in the order of `_money`."""
    strategies = strategies_of(estimate)
    return (*(f"{s}_total_usd" for s in strategies), *(f"{s}_{c}_usd" for s in strategies for c in CATEGORIES))


def _money(parts: list[Mapping[str, Any]]) -> list[float]:
    """The totals, then the categories, of one month or year of each strategy (`parts`, in order)."""
    return [*(p["total_usd"] for p in parts), *(p["categories"][c] for p in parts for c in CATEGORIES)]


def wide_columns(estimate: EstimateLike) -> tuple[str, ...]:
    """`month`, `period`, `requests`, `<strategy>_total_usd` per strategy, then `<strategy>_<category>_usd`,
    then `currency` (the unit of the money columns)."""
    return ("month", "period", "requests", *_money_columns(estimate), "currency")


MonthRow = tuple[int, str, list[float]]
"""A month of a table: its number, its calendar month ("YYYY-MM") and its numbers."""


def wide_table(estimate: EstimateLike) -> list[MonthRow]:
    """One row per month: month, period, then the numbers in `wide_columns` order (as in the document)."""
    doc = _document(estimate)
    strategies = [doc["strategies"][s] for s in strategies_of(doc)]
    rows: list[MonthRow] = []
    for m, (requests, period) in enumerate(zip(doc["monthly_requests"], periods_of(doc), strict=True)):
        rows.append((m + 1, period, [requests, *_money([s["monthly"][m] for s in strategies])]))
    return rows


def _count(x: float) -> str:
    """A count rounded to cents, without trailing zeros: 600000, 612000.5."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def wide_rows(estimate: EstimateLike) -> Iterator[tuple[object, ...]]:
    """The wide CSV shape: one row per month, money to the cent."""
    cur = currency_of(estimate)
    for month, period, (requests, *usd) in wide_table(estimate):
        yield (month, period, _count(requests), *(f"{x:.2f}" for x in usd), cur)


class _LfRows:
    """The csv writer's output with each row's CRLF turned into LF. The writer is told CRLF so that
    it quotes a field holding a bare CR as well as one holding LF (with LF alone as its terminator,
    Python's csv quotes LF but not CR); it calls `write` once per row, so only the terminator changes."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, row: str) -> int:
        assert row.endswith("\r\n")
        self.parts.append(row[:-2] + "\n")
        return len(row)


def to_csv(rows: Iterable[Sequence[object]], columns: Sequence[str]) -> str:
    """RFC 4180 CSV with LF between rows: a field holding CR, LF, a quote or a comma is quoted (quotes
    doubled), every other field is written as is. Text cells from users are `neutralise`d by the caller."""
    out = _LfRows()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return "".join(out.parts)


class NoUncertainty(ValueError):
    """The percentiles of an estimate made without uncertainty (or with detail=summary)."""


def _fan(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """The `uncertainty.strategies` part with its monthly bands, or NoUncertainty."""
    unc = doc.get("uncertainty")
    if not unc or any(s.get("cumulative_usd") is None for s in unc["strategies"].values()):
        raise NoUncertainty("the estimate has no monthly percentiles: estimate it with uncertainty and detail=full")
    strategies: Mapping[str, Any] = unc["strategies"]
    return strategies


def percentiles_columns(estimate: EstimateLike) -> tuple[str, ...]:
    """`month`, `period`, then per strategy its point `<strategy>_cumulative_usd` and the band
    `<strategy>_cumulative_p10_usd`, `_p50_usd`, `_p90_usd` (`cumulative_usd.p10` of the JSON), then
    `currency`."""
    return (
        "month",
        "period",
        *(
            column
            for s in strategies_of(estimate)
            for column in (f"{s}_cumulative_usd", *(f"{s}_cumulative_{b}_usd" for b in BANDS))
        ),
        "currency",
    )


def percentiles_table(estimate: EstimateLike) -> list[MonthRow]:
    """One row per month: month, period, then the fan chart as numbers in `percentiles_columns` order."""
    doc = _document(estimate)
    fan = _fan(doc)
    strategies = strategies_of(doc)
    return [
        (
            m + 1,
            period,
            [
                value
                for s in strategies
                for value in (
                    doc["strategies"][s]["cumulative_usd"][m],
                    *(fan[s]["cumulative_usd"][b][m] for b in BANDS),
                )
            ],
        )
        for m, period in enumerate(periods_of(doc)[: doc["horizon_months"]])
    ]


def percentiles_rows(estimate: EstimateLike) -> Iterator[tuple[object, ...]]:
    """The percentiles CSV shape: one row per month, money to the cent."""
    cur = currency_of(estimate)
    for month, period, usd in percentiles_table(estimate):
        yield (month, period, *(f"{x:.2f}" for x in usd), cur)


def annual_columns(estimate: EstimateLike) -> tuple[str, ...]:
    """`year` (its label), `first_period`, `last_period`, `months`, then per strategy its total and its
    categories, then `currency`: the wide shape's columns, by year."""
    return ("year", "first_period", "last_period", "months", *_money_columns(estimate), "currency")


def annual_table(estimate: EstimateLike) -> list[tuple[str, str, str, int, list[float]]]:
    """One row per calendar or fiscal year: its label, first and last month, months, then the numbers in
    `annual_columns` order (the JSON's `strategies.<s>.annual`)."""
    doc = _document(estimate)
    strategies = [doc["strategies"][s] for s in strategies_of(doc)]
    if not strategies or "annual" not in strategies[0]:
        return []
    rows = []
    for k, year in enumerate(strategies[0]["annual"]):
        numbers = _money([s["annual"][k] for s in strategies])
        rows.append((year["label"], year["first_period"], year["last_period"], year["months"], numbers))
    return rows


def annual_rows(estimate: EstimateLike) -> Iterator[tuple[object, ...]]:
    """The annual CSV shape: one row per year, money to the cent."""
    cur = currency_of(estimate)
    for label, first, last, months, usd in annual_table(estimate):
        yield (label, first, last, months, *(f"{x:.2f}" for x in usd), cur)


MODEL_COLUMNS = (
    "model",
    "chosen",
    "acceptable",
    "baseline",
    "route",
    "total_usd",
    "cost_per_1k_requests_usd",
    "saving_usd",
    "prompting_total_usd",
    "rag_total_usd",
    "events",
    "currency",
)
"""The models shape (`model_comparison.models`): one row per API model, the chosen one first."""


def model_rows(estimate: EstimateLike) -> list[dict[str, Any]]:
    """`model_comparison.models`, or the chosen model alone when the scenario compares none, each with
    `baseline`: whether the strategies are priced on it."""
    doc = _document(estimate)
    found = doc.get("model_comparison")
    if found:
        return [{**m, "baseline": m["model"] == found["baseline_model"]} for m in found["models"]]
    own = doc["strategies"][doc["verdict"]["simpler"]]["total_usd"]
    return [{**model_row(dict(doc), chosen=True, acceptable=True, chosen_total=own), "baseline": True}]


def _events_text(events: Sequence[Mapping[str, Any]]) -> str:
    return " | ".join(f"{e['period']} {e['strategy']}: {e['note']}" for e in events)


def models_csv_rows(estimate: EstimateLike) -> Iterator[tuple[object, ...]]:
    """The models CSV shape: money to the cent, booleans as true/false, the events as one text."""
    cur = currency_of(estimate)
    for m in model_rows(estimate):
        money = [f"{m[c]:.2f}" if m[c] is not None else "" for c in MODEL_COLUMNS[5:10]]
        flags = ["true" if m[c] else "false" for c in ("chosen", "acceptable", "baseline")]
        yield (m["model"], *flags, m["route"], *money, _events_text(m["events"]), cur)


def csv_export(estimate: EstimateLike, *, shape: Shape = "long", revision: int | None = None) -> str:
    """The CSV text of an estimate in any shape (`revision` fills the long shape's column);
    `percentiles` needs the estimate's `uncertainty` with its monthly bands (NoUncertainty otherwise)."""
    if shape == "wide":
        return to_csv(wide_rows(estimate), wide_columns(estimate))
    if shape == "percentiles":
        return to_csv(percentiles_rows(estimate), percentiles_columns(estimate))
    if shape == "annual":
        return to_csv(annual_rows(estimate), annual_columns(estimate))
    if shape == "models":
        return to_csv(models_csv_rows(estimate), MODEL_COLUMNS)
    return to_csv(long_rows(estimate, revision=revision), LONG_COLUMNS)


# --- JSON ---


def json_export(
    estimate: EstimateLike, *, scenario: ScenarioLike | None = None, revision: int | None = None
) -> dict[str, Any]:
    """The Estimate document; a saved revision's adds its `revision` number and `scenario` inputs."""
    doc = dict(_document(estimate))
    if revision is not None:
        doc["revision"] = revision
    if scenario is not None:
        doc["scenario"] = dict(_scenario_document(scenario))
    return doc


# --- file names ---


def slugify(text: str, *, max_length: int = 80) -> str:
    """`Support tickets (Q3)` -> `support-tickets-q3`; ASCII letters, digits and dashes only."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "scenario"


def export_filename(name: str, extension: str, *, revision: int | None = None, shape: str | None = None) -> str:
    """`<slug>-r<revision>.<extension>`, or `<slug>.<extension>` for an unsaved scenario; a CSV shape
    other than long adds its name (`<slug>-r3-wide.csv`), so each shape downloads under its own name."""
    suffix = f"-r{revision}" if revision is not None else ""
    if shape is not None and shape != "long":
        suffix += f"-{slugify(shape)}"
    return f"{slugify(name)}{suffix}.{extension}"


# --- XLSX ---

_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _text(value: str) -> str:
    """Text a workbook can hold: control characters that XML forbids are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _append(ws: Worksheet, values: Sequence[Any], formats: Sequence[str | None] = (), *, bold: bool = False) -> None:
    """One row; text is always a string cell, never a formula, whatever it starts with (openpyxl
    would store a string starting with `=` as a formula), and risky text gets the quote prefix."""
    assert values and values[0] is not None  # the row is then `max_row`
    ws.append([_text(v) if isinstance(v, str) else v for v in values])
    for col, (cell, value) in enumerate(zip(ws[ws.max_row], values, strict=False)):
        if isinstance(value, str):
            cell.data_type = "s"
            if risky(cell.value):
                cell.quotePrefix = True
        fmt = formats[col] if col < len(formats) else None
        if fmt is not None and value is not None:
            cell.number_format = fmt
        if bold:
            cell.font = _BOLD


def _blank(ws: Worksheet) -> None:
    ws.append([])


def _header(ws: Worksheet, columns: Sequence[str]) -> None:
    _append(ws, columns, bold=True)
    ws.freeze_panes = "A2"


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        return len(f"{value:,.2f}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _fit_columns(ws: Worksheet, *, minimum: int = 8, maximum: int = 60) -> None:
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            column = int(cell.column or 0)
            widths[column] = max(widths.get(column, 0), _width(cell.value))
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(minimum, min(maximum, width + 2))


def _summary_sheet(ws: Worksheet, doc: Mapping[str, Any], revision: int | None) -> Cached:
    """The Summary sheet; returns its formula cells' cached values (see `_formulas`)."""
    verdict = doc["verdict"]
    tuned = tuned_of(doc)
    _header(ws, ("Item", "Value", "Note"))
    _append(ws, ("Scenario", doc["scenario_name"]))
    _append(ws, ("Revision", revision, None if revision else "Not saved"), (None, INTEGER_FORMAT))
    _append(ws, ("Catalog version", doc["catalog_version"]))
    _append(ws, ("Start month", doc["start_month"], "The calendar month of month 1 (YYYY-MM)."))
    _append(ws, ("Horizon months", doc["horizon_months"]), (None, INTEGER_FORMAT))
    _append(ws, ("Currency", doc.get("currency", "USD")))
    _blank(ws)

    cur = currency_of(doc)
    _append(
        ws,
        ("Strategy", f"Total {cur}", f"Cost per 1k requests {cur}", f"Compute-only {cur}", f"Present value {cur}"),
        bold=True,
    )
    sums: list[tuple[int, str, list[tuple[str, str | None]]]] = []  # (row, column, Monthly money keys)
    for name in strategies_of(doc):
        s = doc["strategies"][name]
        _append(
            ws,
            (name, s["total_usd"], s["cost_per_1k_requests_usd"], s.get("compute_only_usd"), s.get("npv_usd")),
            (None, USD_FORMAT, USD_FORMAT, USD_FORMAT, USD_FORMAT),
        )
        sums.append((ws.max_row, "B", [(name, None)]))
        if s.get("compute_only_usd") is not None:
            sums.append((ws.max_row, "D", [(name, CATEGORIES[k]) for k in COMPUTE_ONLY]))
    _blank(ws)

    never = "Empty: never within the horizon."
    _append(ws, ("Verdict", "Value", "Note"), bold=True)
    _append(ws, ("Recommendation", verdict["recommendation"]))
    _append(ws, ("Simpler", verdict["simpler"], "The cheaper feasible of prompting and RAG."))
    _append(
        ws,
        (
            "Tuned route",
            tuned,
            "What the 2x rule weighs against simpler: fine_tuning, or hybrid (RAG feeding a tune) for a task "
            "of both kinds.",
        ),
    )
    _append(
        ws,
        ("TCO ratio", verdict["tco_ratio"], f"TCO(simpler) / TCO({tuned}); it needs 2x to recommend a tune."),
        (None, RATIO_FORMAT),
    )
    _append(ws, ("Break-even month", verdict["break_even_month"], never), (None, INTEGER_FORMAT))
    _append(ws, ("Half-cost month", verdict["half_cost_month"], never), (None, INTEGER_FORMAT))
    _append(
        ws,
        (
            "Break-even requests per month",
            verdict["break_even_requests_per_month"],
            f"Month-1 volume above which {tuned} wins by 2x. Empty: never below 1e12.",
        ),
        (None, COUNT_FORMAT),
    )
    _append(ws, ("Latency rules out APIs", verdict.get("latency_rules_out_apis")))
    _append(ws, ("Summary", verdict.get("summary")))
    for key, name in (("cost", "Cost"), ("readiness", "Readiness")):
        if verdict.get(key):
            _append(ws, (name, verdict[key]["passed"], verdict[key]["text"]))
    _blank(ws)

    _append(ws, ("Gate", "Name", "Passed", "Reason", "Why"), bold=True)
    for gate in verdict["gates"]:
        _append(ws, (gate["id"], gate["name"], gate["passed"], gate["reason"], gate.get("why")), (INTEGER_FORMAT,))
    _fit_columns(ws, maximum=70)
    for row in ws.iter_rows(min_col=4, max_col=5):
        for cell in row:
            cell.alignment = _WRAP
    ws.column_dimensions["D"].width = 90
    ws.column_dimensions["E"].width = 70
    # The totals become sums over the whole horizon of the Monthly sheet, after the widths were fitted
    # to the numbers they show.
    monthly = _MonthlyCells(doc)
    rows = monthly.rows()
    if rows is None:
        return {}
    return _formulas(ws, [(f"{column}{row}", monthly.sum(keys, *rows)) for row, column, keys in sums])


def _monthly_sheet(ws: Worksheet, doc: Mapping[str, Any]) -> None:
    columns = wide_columns(doc)
    _append(ws, columns, bold=True)
    ws.freeze_panes = "B2"
    formats = (INTEGER_FORMAT, None, COUNT_FORMAT, *([USD_FORMAT] * (len(columns) - 4)), None)
    cur = currency_of(doc)
    for month, period, numbers in wide_table(doc):
        _append(ws, (month, period, *numbers, cur), formats)
    _fit_columns(ws, maximum=40)


def _annual_sheet(ws: Worksheet, doc: Mapping[str, Any]) -> Cached:
    """The Annual sheet: every money cell is the sum of its year's rows of the Monthly sheet (a formula
    with the engine's number as its cached value); returns those cached values (see `_formulas`)."""
    columns = annual_columns(doc)
    _append(ws, columns, bold=True)
    ws.freeze_panes = "B2"
    formats = (None, None, None, INTEGER_FORMAT, *([USD_FORMAT] * (len(columns) - 5)), None)
    monthly = _MonthlyCells(doc)
    keys = _money_keys(doc)
    cells: list[tuple[str, str]] = []
    cur = currency_of(doc)
    for label, first, last, months, numbers in annual_table(doc):
        _append(ws, (label, first, last, months, *numbers, cur), formats)
        rows = monthly.rows(first, last, months)
        if rows is None:
            continue
        for k, key in enumerate(keys):
            cells.append((f"{get_column_letter(5 + k)}{ws.max_row}", monthly.sum([key], *rows)))
    _fit_columns(ws, maximum=40)  # fitted to the numbers, before they become formulas
    return _formulas(ws, cells)


Cached = dict[str, float]
"""A sheet's formula cells ("B10") and the numbers they hold (the engine's, to the cent): the cached
values that `_with_cached_values` writes into the file."""


def _money_keys(estimate: EstimateLike) -> list[tuple[str, str | None]]:
    """(strategy, None) for each total, then (strategy, category): what each of `_money_columns` holds,
    in its order (the order of `_money`)."""
    strategies = strategies_of(estimate)
    return [*((s, None) for s in strategies), *((s, c) for s in strategies for c in CATEGORIES)]


class _MonthlyCells:
    """Where the Monthly sheet (`_monthly_sheet`: a header row, then a row per month in order) holds each
    number: a column found by its header in `wide_columns`, a row per month."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        header = wide_columns(doc)
        names = dict(zip(_money_keys(doc), _money_columns(doc), strict=True))
        self.columns = {key: get_column_letter(header.index(name) + 1) for key, name in names.items()}
        self.periods = periods_of(doc) if doc["strategies"] else []

    def rows(
        self, first: str | None = None, last: str | None = None, months: int | None = None
    ) -> tuple[int, int] | None:
        """The sheet rows of the months `first` to `last` (`months` of them; default: every month), or
        None when the sheet does not hold them as one block."""
        if not self.periods or (first is not None and first not in self.periods):
            return None
        start = 0 if first is None else self.periods.index(first)
        count = len(self.periods) if months is None else months
        if count < 1 or start + count > len(self.periods):
            return None
        if last is not None and self.periods[start + count - 1] != last:
            return None
        return start + 2, start + count + 1

    def sum(self, keys: Sequence[tuple[str, str | None]], top: int, bottom: int) -> str:
        """`=SUM(...)` of the rows `top` to `bottom` of the columns of `keys`."""
        ranges = ",".join(f"Monthly!{self.columns[k]}{top}:{self.columns[k]}{bottom}" for k in keys)
        return f"=SUM({ranges})"


def _formulas(ws: Worksheet, cells: Sequence[tuple[str, str]]) -> Cached:
    """Turn each cell (coordinate, formula) into that formula, keeping its format; returns the numbers
    the cells held, which the file keeps as the formulas' cached values."""
    cached: Cached = {}
    for coordinate, formula in cells:
        cell = ws[coordinate]
        if not isinstance(cell.value, int | float) or isinstance(cell.value, bool):
            continue  # nothing to cache (an empty figure stays empty)
        cached[coordinate] = float(cell.value)
        cell.value = formula  # openpyxl stores a string starting with "=" as a formula
    return cached


LIFECYCLE_COLUMNS = ("month", "period", "strategy", "model", "event", "successor", "cost_usd", "note")
"""The Lifecycle events sheet's columns: the keys of the JSON's `lifecycle_events`."""
NO_LIFECYCLE_EVENTS = "No model used here has an announced end inside the horizon."


def _models_sheet(ws: Worksheet, doc: Mapping[str, Any]) -> None:
    """`model_comparison` as a table: the models shape's columns, money as numbers, and its summary."""
    _append(ws, (_text(doc["model_comparison"]["summary"]),))
    _blank(ws)
    _header(ws, MODEL_COLUMNS)
    cur = currency_of(doc)
    for m in model_rows(doc):
        _append(
            ws,
            (
                m["model"],
                m["chosen"],
                m["acceptable"],
                m["baseline"],
                m["route"],
                *(m[c] for c in MODEL_COLUMNS[5:10]),
                _text(_events_text(m["events"])),
                cur,
            ),
            (None, None, None, None, None, *(USD_FORMAT,) * 5),
        )
    _fit_columns(ws, maximum=60)


def _lifecycle_sheet(ws: Worksheet, doc: Mapping[str, Any]) -> None:
    """One row per event of `lifecycle_events`, in month order; the header and a line when there is none."""
    _header(ws, LIFECYCLE_COLUMNS)
    events = doc.get("lifecycle_events") or []
    for event in events:
        _append(
            ws,
            tuple(event[c] for c in LIFECYCLE_COLUMNS),
            (INTEGER_FORMAT, None, None, None, None, None, USD_FORMAT),
        )
    if not events:
        _append(ws, (NO_LIFECYCLE_EVENTS,))
    _fit_columns(ws, maximum=40)
    ws.column_dimensions[get_column_letter(len(LIFECYCLE_COLUMNS))].width = 100
    for row in ws.iter_rows(min_row=2, min_col=len(LIFECYCLE_COLUMNS), max_col=len(LIFECYCLE_COLUMNS)):
        row[0].alignment = _WRAP


PERCENTILES_ITEMS = (
    ("draws", "Monte Carlo draws of the ranged inputs.", COUNT_FORMAT),
    ("seed", "Seed of the draws: the same seed and inputs give the same figures.", INTEGER_FORMAT),
    ("tco_ratio.p10", "TCO(simpler) / TCO(tuned) that 10% of draws fall below.", RATIO_FORMAT),
    ("tco_ratio.p50", "The median TCO ratio of the draws.", RATIO_FORMAT),
    ("tco_ratio.p90", "TCO ratio that 90% of draws fall below.", RATIO_FORMAT),
    ("tornado.tco_ratio", "The point estimate's TCO ratio, where every tornado bar starts.", RATIO_FORMAT),
    ("win_probability", "Share of draws in which the tuned route wins by at least 2x on TCO.", SHARE_FORMAT),
    ("gate5_probability", "Share of draws in which gate 5 passes (2x on TCO, or a hard latency need).", SHARE_FORMAT),
    ("summary", None, None),
)
"""The Percentiles sheet's first block: the key of `uncertainty` (dotted), a note, its number format."""
STRATEGY_PERCENTILE_COLUMNS = ("strategy", "p10_usd", "p50_usd", "p90_usd", "mean_usd", "recommendation_share")
RANGE_COLUMNS = ("path", "low", "mode", "high", "source")
TORNADO_COLUMNS = (
    "path",
    "low",
    "high",
    "from_range",
    "tco_ratio_low",
    "tco_ratio_high",
    "recommendation_low",
    "recommendation_high",
)


def _at(document: Mapping[str, Any], path: str) -> Any:
    node: Any = document
    for part in path.split("."):
        node = node[part]
    return node


def _percentiles_sheet(ws: Worksheet, doc: Mapping[str, Any]) -> None:
    """Blocks split by blank rows, headed by the JSON keys of `uncertainty`: the items, the
    strategies' percentiles, the ranges drawn, the tornado, then the fan chart by month."""
    unc = doc["uncertainty"]
    _header(ws, ("item", "value", "note"))
    for path, note, fmt in PERCENTILES_ITEMS:
        _append(ws, (path, _at(unc, path), note), (None, fmt))
        if path == "summary":
            ws.cell(ws.max_row, 2).alignment = _WRAP
    _blank(ws)

    _append(ws, STRATEGY_PERCENTILE_COLUMNS, bold=True)
    for name in strategies_of(doc):
        p = unc["strategies"][name]
        _append(
            ws,
            (name, p["p10_usd"], p["p50_usd"], p["p90_usd"], p["mean_usd"], unc["recommendation_shares"][name]),
            (None, USD_FORMAT, USD_FORMAT, USD_FORMAT, USD_FORMAT, SHARE_FORMAT),
        )
    _blank(ws)

    _append(ws, RANGE_COLUMNS, bold=True)
    for r in unc["ranges"]:
        _append(ws, tuple(r[c] for c in RANGE_COLUMNS), (None, NUMBER_FORMAT, NUMBER_FORMAT, NUMBER_FORMAT))
    _blank(ws)

    _append(ws, TORNADO_COLUMNS, bold=True)
    for t in unc["tornado"]["inputs"]:
        _append(
            ws,
            tuple(t[c] for c in TORNADO_COLUMNS),
            (None, NUMBER_FORMAT, NUMBER_FORMAT, None, RATIO_FORMAT, RATIO_FORMAT),
        )
    _blank(ws)

    if any(s.get("cumulative_usd") is not None for s in unc["strategies"].values()):
        columns = percentiles_columns(doc)
        _append(ws, columns, bold=True)
        formats = (INTEGER_FORMAT, None, *([USD_FORMAT] * (len(columns) - 3)), None)
        for month, period, numbers in percentiles_table(doc):
            _append(ws, (month, period, *numbers, currency_of(doc)), formats)
    _fit_columns(ws, maximum=50)


def flatten(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """`(dotted.path, value)` for every leaf of a nested document; list items by index."""
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flatten(value, f"{path}.")
        elif isinstance(value, list) and value:
            yield from flatten({str(i): v for i, v in enumerate(value)}, f"{path}.")
        else:
            yield path, (None if isinstance(value, Mapping | list) else value)


EXTRA_COST_COLUMNS = ("name", "strategies", "category", "from_month", "one_time_usd", "monthly_usd")
"""The Own cost lines sheet's columns: the scenario's `extra_costs`, as typed (in USD)."""


def _extra_costs_sheet(ws: Worksheet, scenario: Mapping[str, Any], doc: Mapping[str, Any]) -> None:
    """Each of the scenario's own cost lines by its name, as typed, and what it adds to each strategy
    that pays it over the horizon, in the estimate's currency (part of the Monthly and Annual figures)."""
    cur = currency_of(doc)
    rate = float(scenario.get("finance", {}).get("usd_to_currency", 1.0))
    horizon = int(doc["horizon_months"])
    _header(ws, (*EXTRA_COST_COLUMNS, f"total per strategy {cur}"))
    for line in scenario.get("extra_costs") or []:
        months = max(0, horizon - int(line["from_month"]) + 1)
        total = round((line["one_time_usd"] + line["monthly_usd"] * months) * rate, 2)
        values = (line["name"], ", ".join(line["strategies"]), line["category"], line["from_month"])
        _append(
            ws,
            (*values, line["one_time_usd"], line["monthly_usd"], total),
            (None, None, None, INTEGER_FORMAT, USD_FORMAT, USD_FORMAT, USD_FORMAT),
        )
    _blank(ws)
    _append(ws, ("Each line is booked in its category, in every strategy it names, from its month: its amounts are",))
    _append(ws, (f"part of the Monthly and Annual figures. Amounts as typed are USD; the totals are {cur}.",))
    _fit_columns(ws, maximum=50)


def _inputs_sheet(ws: Worksheet, scenario: Mapping[str, Any]) -> None:
    _header(ws, ("path", "value"))
    for path, value in flatten(scenario):
        _append(ws, (path, value))
    _fit_columns(ws)


def _prices_sheet(ws: Worksheet, doc: Mapping[str, Any]) -> None:
    _header(ws, ("item", "id", "field", "value", "overridden", "source", "as_of", "note"))
    for item, used in doc["prices_used"].items():
        as_of = dt.date.fromisoformat(used["as_of"]) if used.get("as_of") else None
        for field, value in used["values"].items():
            _append(
                ws,
                (item, used["id"], field, value, field in used["overridden"], used["source"], as_of, used.get("note")),
                (None, None, None, PRICE_FORMAT, None, None, DATE_FORMAT),
            )
    _fit_columns(ws)


def _naive_utc(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.replace(microsecond=0)


def xlsx_export(
    estimate: EstimateLike,
    scenario: ScenarioLike,
    *,
    revision: int | None = None,
    created: dt.datetime | None = None,
) -> bytes:
    """The workbook: Summary, Monthly (the wide table), Annual, Inputs (dotted paths), Prices
    (prices_used), Lifecycle events (lifecycle_events), Models when the scenario compares API models
    (model_comparison), Own cost lines when the scenario has some, and
    Percentiles when the estimate carries its `uncertainty`. The Summary and Annual totals are SUM
    formulas over the Monthly cells, with the engine's numbers as their cached values.

    The same estimate, revision and `created` give the same bytes: the document
    properties and every zip entry carry `created` (default: a constant).
    """
    doc = _document(estimate)
    when = _naive_utc(created or FIXED_CREATED)
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "Summary"
    cached = {summary: _summary_sheet(summary, doc, revision)}
    _monthly_sheet(wb.create_sheet("Monthly"), doc)
    annual = wb.create_sheet("Annual")
    cached[annual] = _annual_sheet(annual, doc)
    scenario_doc = _scenario_document(scenario)
    _inputs_sheet(wb.create_sheet("Inputs"), scenario_doc)
    _prices_sheet(wb.create_sheet("Prices"), doc)
    _lifecycle_sheet(wb.create_sheet("Lifecycle events"), doc)
    if doc.get("model_comparison"):
        _models_sheet(wb.create_sheet("Models"), doc)
    if scenario_doc.get("extra_costs"):
        _extra_costs_sheet(wb.create_sheet("Own cost lines"), scenario_doc, doc)
    if doc.get("uncertainty"):
        _percentiles_sheet(wb.create_sheet("Percentiles"), doc)

    title = _text(doc["scenario_name"]) + (f" (revision {revision})" if revision else "")
    wb.properties.title = title
    wb.properties.creator = "LLM TCO"
    wb.properties.lastModifiedBy = "LLM TCO"
    wb.properties.created = when
    wb.properties.modified = when

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # openpyxl's save_workbook would stamp `modified` with now
    # Each sheet's part in the archive is known once it is written (`ws.path`, "/xl/worksheets/sheetN.xml").
    values = {ws.path.lstrip("/"): cells for ws, cells in cached.items() if cells}
    return _fixed_zip_times(raw.getvalue(), when, values)


def _fixed_zip_times(data: bytes, when: dt.datetime, cached: Mapping[str, Cached] | None = None) -> bytes:
    """The same archive with every entry dated `when` (zip dates start in 1980), and each formula cell
    named in `cached` (part name -> cell -> number) given its cached value (`_with_cached_values`)."""
    stamp = max(when, dt.datetime(1980, 1, 1)).timetuple()[:6]
    cached = cached or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename in cached:
                content = _with_cached_values(content, cached[info.filename])
            target.writestr(entry, content)
    return out.getvalue()


_FORMULA_CELL = re.compile(rb'(<c r="([A-Z]+[0-9]+)"[^>]*><f>[^<]*</f>)<v ?/>')
"""A formula cell as openpyxl writes it: `<c r="B10" s="1"><f>SUM(...)</f><v />`, its value empty."""


def _with_cached_values(xml: bytes, values: Cached) -> bytes:
    """A worksheet's XML with each formula cell of `values` holding its number (`<v>1234.56</v>`), as a
    spreadsheet program writes it after calculating: readers that do not calculate (pandas, openpyxl's
    data_only, previewers) see the number, and Excel, LibreOffice and Google Sheets recalculate the
    formula. openpyxl itself never writes a formula's value."""
    done: set[str] = set()

    def fill(match: re.Match[bytes]) -> bytes:
        coordinate = match[2].decode()
        if coordinate not in values:
            return match[0]
        done.add(coordinate)
        return match[1] + b"<v>" + repr(values[coordinate]).encode() + b"</v>"

    out = _FORMULA_CELL.sub(fill, xml)
    assert done == set(values), sorted(set(values) - done)  # every formula we wrote got its value
    return out
