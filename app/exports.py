"""Estimates as rows for CSV and spreadsheets: one shape, used by every face."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from app.engine import CATEGORIES, Estimate

LONG_COLUMNS = ("scenario", "revision", "strategy", "month", "category", "usd")


def long_rows(estimate: Estimate, *, revision: int | None = None) -> Iterator[tuple[object, ...]]:
    """One row per strategy x month x category (the long CSV shape of api-contract.md)."""
    for strategy, result in estimate.strategies.items():
        for month in result.monthly:
            for category in CATEGORIES:
                usd = getattr(month.categories, category)
                yield (estimate.scenario_name, revision or "", strategy, month.month, category, f"{usd:.2f}")


def to_csv(rows: Iterator[tuple[object, ...]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()
