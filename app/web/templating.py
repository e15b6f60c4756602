"""Jinja2 set-up: the templates directory, hashed static URLs and the number formats of every page."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app import exports
from app.auth.guard import CSRF_FIELD, auth_on, csrf_of, principal_of
from app.engine.scenario import CATEGORIES, STRATEGY_LABELS, next_month
from app.web import fields, forms, sources
from app.web.assets import Assets
from app.web.figures import compact, number_text
from app.web.forms import display

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


@cache
def assets() -> Assets:
    return Assets()


def usd(value: float | None, digits: int = 0, currency: str = "USD") -> str:
    """1234.5 -> "1,235 USD"; None -> an en dash (no value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\u2013"
    return f"{value:,.{digits}f} {currency}"


def revision_currency(revision: Any) -> str:
    """The currency of a saved revision's figures: its inputs' `finance.currency` (USD before currencies)."""
    inputs = getattr(revision, "inputs", None) or {}
    return str((inputs.get("finance") or {}).get("currency") or "USD")


@pass_context
def _usd_filter(context: Context, value: float | None, digits: int = 0, currency: str | None = None) -> str:
    """The `usd` filter: an amount in the page's currency (the context's `currency`, an estimate's
    `finance.currency`), or the one given."""
    return usd(value, digits, currency or context.get("currency") or "USD")


def number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "\u2013"
    return f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:.2f}x"


def cell(value: Any, money: bool) -> str:
    """A number in a chart's table: money to the cent, volumes whole; text (already formatted, such
    as a ratio or a share) as it is, escaped."""
    if value is None:
        return "\u2013"
    if isinstance(value, str):
        return escape(value)
    return f"{value:,.2f}" if money else f"{value:,.0f}"


def table_html(table: dict[str, Any]) -> Markup:
    """A chart's table of numbers as HTML, built in Python: hundreds of cells per chart cost about
    ten times less than a Jinja loop (the recompute's server time is a budget, issue 4). Columns in
    `text` are words, left-aligned; the others numbers."""
    money, text = table["money"], table.get("text", ())
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in table["columns"])
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{cell(x, False)}</td>" if k in text else f'<td class="num">{cell(x, k in money)}</td>'
            for k, x in enumerate(row)
        )
        + "</tr>"
        for row in table["rows"]
    )
    return Markup(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def share(p: float | None) -> str:
    """A probability in words: 34%, never a misleading 0% or 100% for a rare outcome."""
    if p is None:
        return "\u2013"
    if 0 < p < 0.005:
        return "under 1%"
    if 0.995 < p < 1:
        return "over 99%"
    return f"{p:.0%}"


def oob_errors(slots: list[tuple[str, str]], errors: dict[str, str]) -> Markup:
    """Every error slot, out of band: (html id, dotted path) pairs; an empty slot clears a fixed field."""
    return Markup(
        "".join(f'<p class="error" id="{i}" hx-swap-oob="true">{escape(errors.get(p, ""))}</p>\n' for i, p in slots)
    )


def csrf_field(request: Any) -> Markup:
    """The hidden input every POST form carries (app/auth/guard.py checks it)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_of(request))


def _json_attr(value: Any) -> Markup:
    """JSON for a data- attribute (orjson, then HTML-escaped by Markup's escape)."""
    return Markup.escape(orjson.dumps(value).decode())


def _make() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.globals.update(static=lambda path: assets().url(path), labels=STRATEGY_LABELS)
    env.filters.update(
        usd=_usd_filter,
        number=number,
        ratio=ratio,
        cell=cell,
        compact=compact,
        json_attr=_json_attr,
        shown=display,
        share=share,
        plain=number_text,
    )
    env.filters["table"] = table_html
    env.filters["cited"] = sources.cited
    env.globals.update(csrf=csrf_of, csrf_field=csrf_field, principal=principal_of, auth_on=auth_on)
    env.globals.update(oob_errors=oob_errors, range_of=fields.range_specs().get, template_range=fields.TEMPLATE_RANGE)
    env.globals.update(
        extra_cost_rows=forms.extra_cost_rows,
        candidate_rows=forms.candidate_rows,
        strategy_labels=STRATEGY_LABELS,
        categories=CATEGORIES,
    )
    env.globals.update(revision_currency=revision_currency, csv_shapes=exports.SHAPES)
    env.globals.update(month_fields=fields.MONTH_FIELDS, default_month=next_month)
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


templates = _make()
