"""Hand-written prices for engine tests: an API model and the lifecycle it may carry (no catalog)."""

from __future__ import annotations

import datetime as dt

from app.engine.prices import Lifecycle, TokenPrices

SOURCE = "https://example.com/deprecations"


def life(shutdown: str | None = None, training_ends: str | None = None, successor: str | None = None) -> Lifecycle:
    return Lifecycle(
        shutdown_on=dt.date.fromisoformat(shutdown) if shutdown else None,
        training_ends_on=dt.date.fromisoformat(training_ends) if training_ends else None,
        successor=successor,
        source=SOURCE,
        as_of=dt.date(2026, 12, 2),
    )


def llm(
    id: str, price_in: float, lifecycle: Lifecycle | None = None, successor: TokenPrices | None = None
) -> TokenPrices:
    """An API model at `price_in` USD per 1M input tokens (cached the same, output 10, no batch discount)."""
    return TokenPrices(
        id=id,
        source="test sheet",
        input=price_in,
        cached_input=price_in,
        output=10.0,
        lifecycle=lifecycle,
        successor=successor,
    )
