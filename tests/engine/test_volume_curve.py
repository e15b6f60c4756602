"""The volume chart's curve is the engine's TCO at each volume, in one kernel call."""

from __future__ import annotations

import math

import pytest

from app.engine.estimate import tco_by_volume
from app.presets import presets
from app.services import estimate_one, price


@pytest.mark.parametrize("slug", sorted(presets()))
def test_each_point_is_the_estimate_at_that_volume(slug: str) -> None:
    scenario = presets()[slug].scenario
    sheet = price(scenario)
    volumes = [10.0, 12_345.0, 3e6, 7.5e8]
    curve = tco_by_volume(scenario, sheet, volumes)
    for i, volume in enumerate(volumes):
        workload = scenario.workload.model_copy(update={"requests_per_month": volume, "requests_per_day": None})
        doc = estimate_one(scenario.model_copy(update={"workload": workload}), sheet)
        for strategy, values in curve.items():
            if strategy in doc["strategies"]:
                expected = doc["strategies"][strategy]["total_usd"]
                assert values[i] == pytest.approx(expected, abs=0.011), (strategy, volume)
            else:
                assert values[i] is None


def test_rag_disabled_is_none_and_no_nan_leaks() -> None:
    scenario = presets()["content-moderation"].scenario
    scenario = scenario.model_copy(update={"rag": scenario.rag.model_copy(update={"enabled": False})})
    curve = tco_by_volume(scenario, price(scenario), [1.0, 1e6])
    assert curve["rag"] == [None, None]
    assert all(v is not None and math.isfinite(v) for s in ("prompting", "fine_tuning") for v in curve[s])
