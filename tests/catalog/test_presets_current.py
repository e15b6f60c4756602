"""Every preset prices models that are served for its whole horizon: `make test` fails on the day a preset
uses a model the catalog says is shut down at its start month (docs/prices.md, "Model lifecycles")."""

from __future__ import annotations

import pytest

from app.catalog import CatalogError, load_catalog
from app.catalog_check import model_fields
from app.engine.scenario import month_start
from app.presets import Preset, presets


def _said(preset: Preset, model: str, day: object) -> bool:
    """The description names the model (the part of its id after the provider) and the date."""
    words = preset.scenario.description.casefold()
    return model.partition(":")[2].casefold() in words and str(day) in words


@pytest.mark.parametrize("slug", sorted(presets()))
def test_the_catalog_prices_the_preset_at_its_start_month(slug: str) -> None:
    scenario = presets()[slug].scenario
    try:
        load_catalog().price_sheet(scenario)
    except CatalogError as exc:
        lines = "\n".join(f"  {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors)
        pytest.fail(
            f"preset {slug} (presets/{slug}.yaml, start_month {scenario.start_month}) cannot be priced; move it "
            f"to a served model:\n{lines}"
        )


@pytest.mark.parametrize("slug", sorted(presets()))
def test_no_preset_model_ends_inside_its_horizon_unless_its_description_says_so(slug: str) -> None:
    preset = presets()[slug]
    scenario = preset.scenario
    after = month_start(scenario.start_month, scenario.horizon_months + 1)
    catalog = load_catalog()
    problems = []
    for field, id in model_fields(scenario.model_dump(mode="json")):
        life = catalog.get(id).lifecycle
        if life is None:
            continue
        for event, day in (("shuts down", life.shutdown_on), ("stops training", life.training_ends_on)):
            if day is not None and day < after and not _said(preset, id, day):
                successor = f" (successor {life.successor})" if life.successor else ""
                problems.append(f"{field} {id} {event} on {day}{successor}")
    assert not problems, (
        f"preset {slug} (presets/{slug}.yaml, {scenario.start_month} + {scenario.horizon_months} months, "
        f"to {after}): " + "; ".join(problems) + ". Move it to a served model, or say the date in its description."
    )
