"""Plotly figures as plain dicts, built from an Estimate document.

Plain dicts rather than `plotly.graph_objects.Figure`: stack-notes.md measured a Figure of 4 traces
at about 10 ms to build against 0.05 ms for the same dict, and no style template (7 KB each). The
browser draws them with the pinned plotly.js partial bundle (static/js/app.js).

Every figure goes with the table of its numbers (`*_table`), shown beside it.
"""

from __future__ import annotations

import math
from typing import Any

from app.engine.scenario import CATEGORIES, STRATEGY_LABELS, TCO_RULE, period, periods_of
from app.exports import currency_of as currency
from app.exports import tuned_of

COLORS = {"prompting": "#1f77b4", "rag": "#2ca02c", "fine_tuning": "#d62728", "hybrid": "#9467bd"}
CATEGORY_COLORS = {
    "engineering": "#4e79a7",
    "labeling": "#f28e2b",
    "evaluation": "#e15759",
    "training": "#76b7b2",
    "inference": "#59a14f",
    "hosting": "#edc948",
    "retrieval": "#b07aa1",
    "maintenance": "#9c755f",
}
_FONT = {"family": "system-ui, sans-serif", "size": 12}


LEGEND = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "xref": "container",
    "y": 0,
    "yanchor": "bottom",
    "yref": "container",
}
"""Every chart's legend: a row along the bottom of the chart's box. Placed in the container, it makes
plotly.js push the plot up to make room, so it never overlaps the tick labels or the axis title;
placed in the plot's frame (y=-0.2) it sat over them wherever the chart was short (a phone)."""


def base_layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 64, "r": 16, "t": 32, "b": 8},
        "font": _FONT,
        "legend": LEGEND,
        "hovermode": "x unified",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    layout.update(extra)
    return layout


def axis_style(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "gridcolor": "#e5e5e5", "zeroline": False, "automargin": True, **extra}


def label(strategy: str) -> str:
    return STRATEGY_LABELS[strategy]


def plotly_text(text: str) -> str:
    """Text a user typed, for a string plotly.js draws (a trace name, a tick, an annotation, a hover).

    plotly.js reads a pseudo-HTML subset in those strings (`<a href>`, `<b>`, `<br>`, `<span style>`
    ...): it splits the string at tags first, then turns `&lt;`, `&gt;`, `&amp;` and numeric entities
    of the text between them into characters (svg_text_utils, plotly.js 4). So `&`, `<` and `>` as
    entities show literally and make no tag; quotes are left alone, `&quot;` would show as typed.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def periods(doc: dict[str, Any]) -> list[str] | None:
    """The calendar month "YYYY-MM" of each month of the horizon, or None for an estimate made before
    estimates had a start month (a saved revision's stored document)."""
    start = doc.get("start_month")
    if not start:
        return None
    return list(periods_of(start, doc["horizon_months"]))


def month_axis(doc: dict[str, Any], **extra: Any) -> tuple[list[Any], dict[str, Any]]:
    """The x values of a month-by-month chart and its axis: calendar months on a date axis (ticks and
    hover read "2027-01"), or month numbers for an estimate without a start month."""
    n = doc["horizon_months"]
    step = 6 if n > 24 else 1 if n <= 12 else 3
    calendar = periods(doc)
    if calendar is None:
        return list(range(1, n + 1)), axis_style("Month", dtick=step, **extra)
    # No title: the ticks ("2027-01") say what the axis is, and the legend below has the room.
    axis = axis_style("", type="date", dtick=f"M{step}", tickformat="%Y-%m", hoverformat="%Y-%m", **extra)
    return calendar, axis


def month_x(doc: dict[str, Any], month: int) -> Any:
    """Where month `month` (1-based) lies on the x axis of `month_axis`."""
    start = doc.get("start_month")
    return period(start, month) if start else month


def event_label(event: dict[str, Any]) -> str:
    """A lifecycle event in a few words, for its marker on the chart: "gpt-4o retires"."""
    model = plotly_text(str(event["model"]).split(":", 1)[-1])
    if event["event"] == "not_maintainable":
        return f"{label(event['strategy']).lower()} stops ({model})"
    return f"{model} retires"


def cumulative(doc: dict[str, Any]) -> dict[str, Any]:
    """Cumulative TCO per strategy, month by month, with the break-even month and each model lifecycle
    event (a migration, fine-tuning no longer maintainable) marked by a dotted line."""
    x, xaxis = month_axis(doc)
    months = list(range(1, doc["horizon_months"] + 1))
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": label(s),
            "x": x,
            "y": est["cumulative_usd"],
            "customdata": months,
            "line": {"color": COLORS[s], "width": 2.5},
            "hovertemplate": "%{y:,.0f} " + currency(doc) + " (month %{customdata})",
        }
        for s, est in doc["strategies"].items()
    ]
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []

    def mark(month: int, text: str, color: str | None = None) -> None:
        at = month_x(doc, month)
        where = (month - 1) / max(len(months) - 1, 1)  # a label near an edge hangs inwards
        anchor = "left" if where < 0.35 else "right" if where > 0.65 else "center"
        line: dict[str, Any] = {"dash": "dot"} | ({"color": color} if color else {})
        shapes.append({"type": "line", "x0": at, "x1": at, "yref": "paper", "y0": 0, "y1": 1, "line": line})
        annotations.append(
            {
                "x": at,
                "yref": "paper",
                "y": 1,
                "text": text,
                "showarrow": False,
                "xanchor": anchor,
                "yanchor": "bottom",
                "yshift": 14 * len(annotations),
                "font": {"color": color} if color else {},
            }
        )

    month = doc["verdict"]["break_even_month"]
    if month:
        mark(month, f"break-even: month {month}")
    seen = set()
    for event in doc.get("lifecycle_events") or []:
        text = event_label(event)
        if (event["month"], text) in seen:
            continue
        seen.add((event["month"], text))
        mark(event["month"], text, COLORS[event["strategy"]] if event["event"] == "not_maintainable" else "#6b7280")
    margin = {"l": 64, "r": 16, "t": 32 + 14 * max(len(annotations) - 1, 0), "b": 8}
    if isinstance(x[0], str):  # the data's months only: plotly would widen a date axis to fit the labels
        xaxis["range"] = [x[0], x[-1]]
    return {
        "data": data,
        "layout": base_layout(
            margin=margin,
            xaxis=xaxis,
            yaxis=axis_style(f"Cumulative TCO ({currency(doc)})", tickformat=",.0f", rangemode="tozero"),
            shapes=shapes,
            annotations=annotations,
        ),
    }


def savings_series(doc: dict[str, Any]) -> dict[str, list[float]]:
    """Per strategy other than the recommended one: its cumulative cost less the recommended one's,
    month by month, to the cent (positive: the recommendation has saved that much so far)."""
    chosen = doc["strategies"][doc["verdict"]["recommendation"]]["cumulative_usd"]
    return {
        s: [round(other - mine, 2) for other, mine in zip(est["cumulative_usd"], chosen, strict=True)]
        for s, est in doc["strategies"].items()
        if s != doc["verdict"]["recommendation"]
    }


def payback_month(saving: list[float]) -> int | None:
    """The first month from which a cumulative saving stays at or above 0 to the horizon; None: never."""
    month = None
    for m, value in enumerate(saving, 1):
        if value < 0:
            month = None
        elif month is None:
            month = m
    return month


def savings(doc: dict[str, Any]) -> dict[str, Any]:
    """What the recommended strategy saves against each other one, cumulatively: a line per alternative,
    the zero line, and the payback month (from which the saving stays positive) marked."""
    x, xaxis = month_axis(doc)
    chosen = label(doc["verdict"]["recommendation"])
    cur = currency(doc)
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0, "y1": 0, "line": {"color": "#6b7280", "width": 1}}
    ]
    annotations: list[dict[str, Any]] = []
    for s, saving in savings_series(doc).items():
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"against {label(s)}",
                "x": x,
                "y": saving,
                "line": {"color": COLORS[s], "width": 2.5},
                "hovertemplate": f"{chosen} saves %{{y:,.0f}} {cur} against {label(s)}<extra></extra>",
            }
        )
        month = payback_month(saving)
        if month is not None and month > 1:
            at = month_x(doc, month)
            shapes.append(
                {"type": "line", "x0": at, "x1": at, "yref": "paper", "y0": 0, "y1": 1, "line": {"dash": "dot"}}
            )
            annotations.append(
                {
                    "x": at,
                    "yref": "paper",
                    "y": 1,
                    "text": f"pays back against {label(s)}: month {month}",
                    "showarrow": False,
                    "yanchor": "bottom",
                    "yshift": 14 * len(annotations),
                }
            )
    return {
        "data": data,
        "layout": base_layout(
            margin={"l": 64, "r": 16, "t": 32 + 14 * max(len(annotations) - 1, 0), "b": 8},
            xaxis=xaxis,
            yaxis=axis_style(f"Saved by {chosen} so far ({cur})", tickformat=",.0f"),
            shapes=shapes,
            annotations=annotations,
        ),
    }


def savings_table(doc: dict[str, Any]) -> dict[str, Any]:
    series = savings_series(doc)
    columns, rows = _month_columns(doc)
    first = len(columns)
    for m, row in enumerate(rows):
        row += [saving[m] for saving in series.values()]
    return {
        "columns": [*columns, *(f"Against {label(s)}" for s in series)],
        "rows": rows,
        "money": set(range(first, first + len(series))),
        "text": set(range(1, first)),
    }


def _month_columns(doc: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The first columns of a month-by-month table: Month, and Period when the estimate has one."""
    calendar = periods(doc)
    months = range(1, doc["horizon_months"] + 1)
    if calendar is None:
        return ["Month"], [[m] for m in months]
    return ["Month", "Period"], [[m, calendar[m - 1]] for m in months]


def cumulative_table(doc: dict[str, Any]) -> dict[str, Any]:
    strategies = list(doc["strategies"])
    columns, rows = _month_columns(doc)
    first = len(columns)
    for m, row in enumerate(rows):
        row += [doc["strategies"][s]["cumulative_usd"][m] for s in strategies]
    return {
        "columns": [*columns, *(label(s) for s in strategies)],
        "rows": rows,
        "money": set(range(first, first + len(strategies))),
        "text": set(range(1, first)),
    }


def monthly(doc: dict[str, Any]) -> dict[str, Any]:
    """Monthly cost of each strategy stacked by category: one panel per strategy, one y-axis."""
    strategies = list(doc["strategies"])
    n = len(strategies)
    gap = 0.04
    width = (1 - gap * (n - 1)) / n
    data: list[dict[str, Any]] = []
    layout = base_layout(barmode="stack", hovermode="closest", annotations=[])
    x, _ = month_axis(doc)
    on_calendar = bool(periods(doc))
    for k, s in enumerate(strategies):
        axis = "" if k == 0 else str(k + 1)
        months = [m["month"] for m in doc["strategies"][s]["monthly"]]
        for category in CATEGORIES:
            values = [m["categories"][category] for m in doc["strategies"][s]["monthly"]]
            if not any(values):
                continue
            data.append(
                {
                    "type": "bar",
                    "name": category,
                    "legendgroup": category,
                    "showlegend": not any(t["legendgroup"] == category for t in data),
                    "x": x[: len(months)],
                    "y": values,
                    "customdata": months,
                    "xaxis": f"x{axis}",
                    "yaxis": "y",
                    "marker": {"color": CATEGORY_COLORS[category]},
                    "hovertemplate": f"{label(s)}, month %{{customdata}}"
                    + (" (%{x|%Y-%m})" if on_calendar else "")
                    + f"<br>{category}: %{{y:,.0f}} {currency(doc)}<extra></extra>",
                }
            )
        start = k * (width + gap)
        _, xaxis = month_axis(doc, domain=[start, start + width], anchor="y")
        xaxis.pop("dtick", None)  # a third of the width: plotly spaces the ticks itself
        layout[f"xaxis{axis}"] = xaxis
        layout["annotations"].append(
            {
                "text": f"<b>{label(s)}</b>",
                "x": start + width / 2,
                "xref": "paper",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
            }
        )
    layout["yaxis"] = axis_style(f"{currency(doc)} per month", tickformat=",.0f")
    narrow = {
        "annotations": [{"font": {"size": 10}} for _ in strategies],
        "legend": {"font": {"size": 10}},
        **{f"xaxis{'' if k == 0 else k + 1}": NARROW_YEARS if on_calendar else NARROW_MONTHS for k in range(n)},
    }
    return {"data": data, "layout": layout, "narrow": narrow}


NARROW_YEARS = {"dtick": "M12", "tickformat": "%Y", "tickfont": {"size": 10}}
NARROW_MONTHS = {"dtick": 12, "tickfont": {"size": 10}}
"""A third of a phone's width holds a tick a year ("2027", or month 12, 24...), not one every few months."""


def monthly_table(doc: dict[str, Any]) -> dict[str, Any]:
    strategies = list(doc["strategies"])
    columns, rows = _month_columns(doc)
    first = len(columns)
    for s in strategies:
        used = [c for c in CATEGORIES if any(m["categories"][c] for m in doc["strategies"][s]["monthly"])]
        columns += [f"{label(s)}: {c}" for c in used] + [f"{label(s)}: total"]
        for m, month in enumerate(doc["strategies"][s]["monthly"]):
            rows[m] += [month["categories"][c] for c in used] + [month["total_usd"]]
    return {"columns": columns, "rows": rows, "money": set(range(first, len(columns))), "text": set(range(1, first))}


def volume(doc: dict[str, Any], volumes: list[float], curve: dict[str, list[float | None]]) -> dict[str, Any]:
    """TCO against month-1 volume on a log axis, the tuned route's TCO times 2 (the 2x line) and the
    break-even volume: where the simpler strategy's curve crosses the 2x line."""
    tuned = tuned_of(doc)
    data: list[dict[str, Any]] = []
    for s in doc["strategies"]:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": label(s),
                "x": volumes,
                "y": curve[s],
                "line": {"color": COLORS[s], "width": 2.5},
                "hovertemplate": "%{y:,.0f} " + currency(doc),
            }
        )
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": f"{label(tuned)} x {TCO_RULE:g} (the 2x line)",
            "x": volumes,
            "y": [None if v is None else round(TCO_RULE * v, 2) for v in curve[tuned]],
            "line": {"color": COLORS[tuned], "dash": "dash", "width": 1.5},
            "hovertemplate": "%{y:,.0f} " + currency(doc),
        }
    )
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    marks: list[tuple[float, str, str]] = []
    current = doc["monthly_requests"][0] if doc["monthly_requests"] else 0
    if current > 0:
        marks.append((current, "this scenario", "dot"))
    break_even = doc["verdict"]["break_even_requests_per_month"]
    if break_even and volumes[0] <= break_even <= volumes[-1]:
        marks.append((break_even, f"2x above {compact(break_even)}/month", "dash"))
    lo, hi = math.log10(volumes[0]), math.log10(volumes[-1])
    for k, (x, text, dash) in enumerate(marks):
        shapes.append({"type": "line", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1, "line": {"dash": dash}})
        # on a log axis an annotation takes log10 of its x (a shape takes the value itself), or plotly.js
        # puts it far off the chart; a label near an edge hangs inwards, a second one sits above the first
        where = (math.log10(x) - lo) / max(hi - lo, 1e-9)
        annotations.append(
            {
                "x": math.log10(x),
                "yref": "paper",
                "y": 1,
                "text": text,
                "showarrow": False,
                "xanchor": "left" if where < 0.35 else "right" if where > 0.65 else "center",
                "yanchor": "bottom",
                "yshift": 14 * k,
            }
        )
    return {
        "data": data,
        "layout": base_layout(
            margin={"l": 64, "r": 16, "t": 32 + 14 * max(len(marks) - 1, 0), "b": 8},
            # the grid's ends only (a log range is in log10): plotly would widen it to fit the labels
            xaxis=axis_style("Requests in month 1", type="log", tickformat=".2s", range=[lo, hi]),
            yaxis=axis_style(f"TCO ({currency(doc)})", type="log", tickformat=".2s"),
            shapes=shapes,
            annotations=annotations,
        ),
    }


def volume_table(doc: dict[str, Any], volumes: list[float], curve: dict[str, list[float | None]]) -> dict[str, Any]:
    strategies = list(doc["strategies"])
    rows = [[v, *(curve[s][i] for s in strategies)] for i, v in enumerate(volumes)]
    return {
        "columns": ["Requests in month 1", *(label(s) for s in strategies)],
        "rows": rows,
        "money": set(range(1, len(strategies) + 1)),
    }


def volume_grid(current: float, break_even: float | None, points: int = 31) -> list[float]:
    """Log-spaced month-1 volumes around this scenario's (1/1000x to 1000x), widened to show the
    break-even volume when there is one."""
    low, high = max(current, 1.0) / 1000, max(current, 1.0) * 1000
    if break_even:
        low, high = min(low, break_even / 10), max(high, break_even * 10)
    low, high = max(low, 1.0), min(high, 1e12)
    ratio = (high / low) ** (1 / (points - 1))
    return [round(low * ratio**i, 6 if low * ratio**i < 10 else 0) for i in range(points)]


def compact(n: float) -> str:
    """3100000 -> "3.1M": how the verdict and the charts write a volume."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            return f"{n / size:.3g}{suffix}"
    return f"{n:.3g}"


# --- uncertainty: the fan chart, the TCO-ratio histogram and the tornado (doc["uncertainty"]) ---

SHORT_COLOR = "#8c95a6"
"""Histogram bars short of 2x: grey, so the coloured bars (the tuned route's colour) read as "it wins by 2x"."""
TORNADO_COLORS = {"low": "#4e79a7", "high": "#f28e2b"}
PLUS_MINUS_30 = "\u00b130%"
HATCH = "/"
"""Tornado bars of an input without a range (moved +-30%) are hatched; a range's bars are solid."""


def rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def number_text(value: float | None) -> str:
    """An input's value in words: 350000.0 -> "350,000", 0.14 -> "0.14"."""
    if value is None:
        return "\u2013"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}"


def fan(doc: dict[str, Any]) -> dict[str, Any]:
    """Cumulative cost per strategy across the draws: the P10-P90 band around the median (P50)."""
    unc = doc["uncertainty"]
    months, xaxis = month_axis(doc)
    data: list[dict[str, Any]] = []
    for s, est in unc["strategies"].items():
        bands = est.get("cumulative_usd")
        if not bands:
            continue
        color = COLORS[s]
        line = {"width": 0, "color": color}
        data += [
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{label(s)} P90",
                "legendgroup": s,
                "showlegend": False,
                "x": months,
                "y": bands["p90"],
                "line": line,
                "hovertemplate": f"{label(s)} P90: %{{y:,.0f}} {currency(doc)}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{label(s)} P10 to P90",
                "legendgroup": s,
                "showlegend": False,
                "x": months,
                "y": bands["p10"],
                "fill": "tonexty",
                "fillcolor": rgba(color, 0.18),
                "line": line,
                "hovertemplate": f"{label(s)} P10: %{{y:,.0f}} {currency(doc)}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{label(s)} P50",
                "legendgroup": s,
                "x": months,
                "y": bands["p50"],
                "line": {"color": color, "width": 2.5},
                "hovertemplate": f"{label(s)} P50: %{{y:,.0f}} {currency(doc)}<extra></extra>",
            },
        ]
    return {
        "data": data,
        "layout": base_layout(
            xaxis=xaxis,
            yaxis=axis_style(f"Cumulative TCO ({currency(doc)})", tickformat=",.0f", rangemode="tozero"),
        ),
    }


def fan_table(doc: dict[str, Any]) -> dict[str, Any]:
    unc = doc["uncertainty"]
    strategies = [s for s, est in unc["strategies"].items() if est.get("cumulative_usd")]
    columns, rows = _month_columns(doc)
    first = len(columns)
    columns += [f"{label(s)} {q}" for s in strategies for q in ("P10", "P50", "P90")]
    for m, row in enumerate(rows):
        row += [unc["strategies"][s]["cumulative_usd"][q][m] for s in strategies for q in ("p10", "p50", "p90")]
    return {"columns": columns, "rows": rows, "money": set(range(first, len(columns))), "text": set(range(1, first))}


def _bins(doc: dict[str, Any]) -> list[tuple[float, float, int]]:
    histogram = doc["uncertainty"]["tco_ratio"]["histogram"]
    edges, counts = histogram["edges"], histogram["counts"]
    return [(edges[i], edges[i + 1], counts[i]) for i in range(len(counts))]


def ratio_histogram(doc: dict[str, Any]) -> dict[str, Any]:
    """How the TCO ratio spreads over the draws, with the 2x line: bars right of it are draws where the
    tuned route wins by 2x (in its colour), the others grey. The tails are counted in the end bars."""
    tuned = tuned_of(doc)
    unc = doc["uncertainty"]
    bins = _bins(doc)
    draws = max(unc["draws"], 1)
    point = unc["tornado"]["tco_ratio"]
    lo, hi = bins[0][0], bins[-1][1]
    pad = max(hi - lo, 0.05 * max(abs(lo), 1.0)) * 0.05
    traces = []
    for name, color, wins in (
        (f"{label(tuned)} wins by {TCO_RULE:g}x", COLORS[tuned], True),
        (f"Short of {TCO_RULE:g}x", SHORT_COLOR, False),
    ):
        chosen = [b for b in bins if ((b[0] + b[1]) / 2 >= TCO_RULE) == wins]
        if not chosen:
            continue
        traces.append(
            {
                "type": "bar",
                "name": name,
                "x": [(a + b) / 2 for a, b, _ in chosen],
                "width": [max(b - a, pad) for a, b, _ in chosen],
                "y": [c for _, _, c in chosen],
                "customdata": [[a, b, c / draws] for a, b, c in chosen],
                "marker": {"color": color},
                "hovertemplate": "ratio %{customdata[0]:.2f} to %{customdata[1]:.2f}: %{y:,} draws "
                "(%{customdata[2]:.1%})<extra></extra>",
            }
        )
    marks = [(TCO_RULE, "dash", f"the {TCO_RULE:g}x line")]
    if point is not None:
        marks.append((point, "dot", "this scenario"))
    x_range, shapes, annotations = _ratio_axis(lo, hi, marks)
    return {
        "data": traces,
        "layout": base_layout(
            barmode="overlay",
            bargap=0.05,
            hovermode="closest",
            shapes=shapes,
            annotations=annotations,
            xaxis=axis_style("TCO ratio (simpler / fine-tuning)", range=x_range),
            yaxis=axis_style("Draws", tickformat=",d", rangemode="tozero"),
        ),
    }


def ratio_histogram_table(doc: dict[str, Any]) -> dict[str, Any]:
    draws = max(doc["uncertainty"]["draws"], 1)
    rows = [[f"{a:.2f}", f"{b:.2f}", c, f"{c / draws:.1%}"] for a, b, c in _bins(doc)]
    return {"columns": ["Ratio from", "to", "Draws", "Share of draws"], "rows": rows, "money": set()}


def _ratio_axis(
    low: float, high: float, marks: list[tuple[float, str, str]]
) -> tuple[list[float], list[dict[str, Any]], list[dict[str, Any]]]:
    """The x range, lines and labels of a TCO-ratio chart: the data, widened to each mark (the 2x line,
    this scenario's ratio) that is near it; a mark far away is named at the edge instead, so that it
    does not squeeze the data into a sliver."""
    span = max(high - low, 0.05 * max(abs(low), 1.0))
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    far = []
    for x, dash, text in marks:
        if low - span <= x <= high + span:
            low, high = min(low, x), max(high, x)
            shapes.append(_vline(x, dash))
            notes.append(_vlabel(x, text, yshift=14 * len(notes)))
        else:
            far.append((x, text))
    for x, text in far:
        side = "right" if x > high else "left"
        notes.append(
            {
                "xref": "paper",
                "x": 1 if side == "right" else 0,
                "xanchor": side,
                "yref": "paper",
                "y": 1,
                "yanchor": "bottom",
                "yshift": 14 * len(notes),
                "text": f"{text} ({x:.2f}x) lies {side} of every bar",
                "showarrow": False,
            }
        )
    pad = 0.05 * max(high - low, 0.1)
    x_range = [low - pad, high + pad]
    for note in notes:  # a label near an edge hangs inwards, so that a phone shows it whole
        if note.get("xref") != "paper":
            where = (note["x"] - x_range[0]) / (x_range[1] - x_range[0])
            note["xanchor"] = "left" if where < 0.35 else "right" if where > 0.65 else "center"
    return x_range, shapes, notes


def _vline(x: float, dash: str) -> dict[str, Any]:
    return {"type": "line", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1, "line": {"dash": dash}}


def _vlabel(x: float, text: str, yshift: int = 0) -> dict[str, Any]:
    return {"x": x, "yref": "paper", "y": 1, "text": text, "showarrow": False, "yanchor": "bottom", "yshift": yshift}


def tornado_label(item: dict[str, Any], titles: dict[str, str]) -> str:
    """ "Team and data:<br>Cost of a label (range)": two short lines leave the bars room on a phone."""
    moved = "range" if item["from_range"] else PLUS_MINUS_30
    group, _, name = titles.get(item["path"], item["path"]).rpartition(": ")
    return f"{group}:<br>{name} ({moved})" if group else f"{name} ({moved})"


def tornado(doc: dict[str, Any], titles: dict[str, str]) -> dict[str, Any]:
    """The ten inputs that swing the TCO ratio most, largest on top: from the point ratio, one bar to
    the ratio with the input at its low and one at its high (its range, or +-30%: hatched)."""
    t = doc["uncertainty"]["tornado"]
    point = t["tco_ratio"]
    items = t["inputs"]
    labels = [tornado_label(i, titles) for i in items]
    data = []
    if point is not None:
        for from_range in (True, False):
            for end in ("low", "high"):
                chosen = [(k, i) for k, i in enumerate(items) if i["from_range"] == from_range]
                if not chosen:
                    continue
                ratios = [i[f"tco_ratio_{end}"] for _, i in chosen]
                data.append(
                    {
                        "type": "bar",
                        "orientation": "h",
                        "name": f"At its {end} ({'its range' if from_range else PLUS_MINUS_30})",
                        "offsetgroup": end,
                        "y": [labels[k] for k, _ in chosen],
                        "x": [None if r is None else r - point for r in ratios],
                        "base": point,
                        "customdata": [[number_text(i[end]), r] for (_, i), r in zip(chosen, ratios, strict=True)],
                        "marker": {"color": TORNADO_COLORS[end], "pattern": {"shape": "" if from_range else HATCH}},
                        "hovertemplate": f"%{{y}}<br>at its {end}, %{{customdata[0]}}: "
                        "ratio %{customdata[1]:.2f}x<extra></extra>",
                    }
                )
    finite = [r for i in items for r in (i["tco_ratio_low"], i["tco_ratio_high"]) if r is not None]
    marks = [(TCO_RULE, "dash", f"the {TCO_RULE:g}x line")]
    if point is not None:
        marks.append((point, "solid", f"this scenario: {point:.2f}x"))
    ends = finite or [m[0] for m in marks]
    x_range, shapes, annotations = _ratio_axis(min(ends), max(ends), marks)
    return {
        "data": data,
        "layout": base_layout(
            barmode="group",
            hovermode="closest",
            shapes=shapes,
            annotations=annotations,
            margin={"l": 16, "r": 16, "t": 64, "b": 8},
            xaxis=axis_style("TCO ratio", range=x_range),
            yaxis=axis_style(
                "", autorange="reversed", categoryorder="array", categoryarray=labels, tickfont={"size": 11}
            ),
        ),
    }


def tornado_table(doc: dict[str, Any], titles: dict[str, str], units: dict[str, str]) -> dict[str, Any]:
    def ratio(r: float | None) -> str:
        return "\u2013" if r is None else f"{r:.2f}x"

    def value(path: str, v: float) -> str:
        unit = units.get(path, "")
        return f"{number_text(v)} {unit}".rstrip()

    rows = [
        [
            titles.get(i["path"], i["path"]),
            "its range" if i["from_range"] else PLUS_MINUS_30,
            value(i["path"], i["low"]),
            value(i["path"], i["high"]),
            ratio(i["tco_ratio_low"]),
            ratio(i["tco_ratio_high"]),
            STRATEGY_LABELS[i["recommendation_low"]],
            STRATEGY_LABELS[i["recommendation_high"]],
        ]
        for i in doc["uncertainty"]["tornado"]["inputs"]
    ]
    columns = ["Input", "Moved to", "Low", "High", "Ratio at low", "Ratio at high", "Verdict at low", "at high"]
    return {"columns": columns, "rows": rows, "money": set(), "text": {0, 1, 6, 7}}


ACCEPTABLE_COLOR, ADVICE_COLOR = "#2ca02c", "#9e9e9e"


def _model_name(m: dict[str, Any]) -> str:
    return m["model"] + (" (chosen)" if m["chosen"] else "")


def models(doc: dict[str, Any]) -> dict[str, Any]:
    """The model comparison (`model_comparison`): each API model's simpler-route TCO, one bar each (the
    chosen model and those marked good enough in colour, the others grey), and the 2x line: a model
    whose bar ends left of it is one the tuned route (fine-tuning, or the hybrid) does not beat by 2x."""
    comparison = doc["model_comparison"]
    rows = comparison["models"]
    names = [_model_name(m) for m in rows]
    colors = [
        COLORS[m["route"]] if m["chosen"] else ACCEPTABLE_COLOR if m["acceptable"] else ADVICE_COLOR for m in rows
    ]
    cur = currency(doc)
    tuned = tuned_of(doc)
    tune = doc["strategies"][tuned]["total_usd"]
    line = TCO_RULE * tune
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": f"TCO of the simpler route, {cur}",
                "y": names,
                "x": [m["total_usd"] for m in rows],
                "customdata": [[label(m["route"]), "good enough" if m["acceptable"] else "advice"] for m in rows],
                "marker": {"color": colors},
                "hovertemplate": "%{y}: %{customdata[0]} %{x:,.2f} (%{customdata[1]})<extra></extra>",
            }
        ],
        "layout": base_layout(
            hovermode="closest",
            showlegend=False,
            shapes=[_vline(line, "dash")],
            annotations=[_vlabel(line, f"{TCO_RULE:g}x {label(tuned).lower()}'s TCO")],
            xaxis=axis_style(f"TCO over {doc['horizon_months']} months, {cur}", rangemode="tozero"),
            yaxis={"autorange": "reversed", "automargin": True},
        ),
    }


def models_table(doc: dict[str, Any]) -> dict[str, Any]:
    """The model comparison as the page, the report and the workbook show it."""
    rows = [
        [
            _model_name(m),
            "yes" if m["acceptable"] else "not marked",
            label(m["route"]),
            m["total_usd"],
            m["cost_per_1k_requests_usd"],
            m["saving_usd"],
            "; ".join(e["note"] for e in m["events"] if e["strategy"] == m["route"]) or "none announced",
        ]
        for m in doc["model_comparison"]["models"]
    ]
    return {
        "columns": [
            "Model",
            "Good enough",
            "Route",
            "TCO",
            "Per 1,000 requests",
            "Saving against the chosen",
            "Lifecycle",
        ],
        "rows": rows,
        "money": {3, 4, 5},
        "text": {0, 1, 2, 6},
    }
