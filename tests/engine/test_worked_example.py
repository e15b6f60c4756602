"""002's worked example, to the cent (cost-model.md, Worked examples to reproduce).

Content moderation: 500,000 posts a day, 1,000 input tokens a call. At 2.50
USD per 1M input tokens that is 1,250 USD a day; a tuned 7B model on a 0.10
USD per 1M host is 50 USD a day. With output tokens, prompts and overheads set
to zero, the engine must give exactly these inference figures.
"""

from __future__ import annotations

import pytest

from app.engine import CATEGORIES, estimate

DAY = 365 / 12  # days in a month


@pytest.fixture(scope="module")
def moderation(quiet, sheet):
    s = quiet(
        name="002 content moderation",
        horizon_months=12,
        workload={"requests_per_month": None, "requests_per_day": 500_000, "input_tokens": 1_000, "output_tokens": 0},
        rag={"enabled": False},  # 002 compares a prompt with a tune; no retrieval
        fine_tuning={"deployment": "serverless", "prices": {"input": 0.10}},
    )
    return estimate(s, sheet)


def test_prompting_is_1250_usd_a_day(moderation):
    prompting = moderation.strategies["prompting"]
    assert 500_000 * 1_000 * 2.50 / 1e6 == 1_250.0
    assert prompting.request_usd == 0.0025
    # 1,250 x 30.41666 = 38,020.8333 a month: the months tie out to the year (docs/cost-model.md, Tie-out),
    # so the rounded running total steps 38,020.83, 76,041.67, 114,062.50, ...: months of .83 and .84,
    # each within a cent of the exact month, adding up to 456,250.00 (twelve times .83 would be 0.04 short)
    months = [m.total_usd for m in prompting.monthly]
    assert months[:3] == [38_020.83, 38_020.84, 38_020.83]
    assert all(abs(m - 1_250 * DAY) < 0.01 for m in months)
    assert [m.categories.inference for m in prompting.monthly] == months
    assert round(sum(months), 2) == prompting.total_usd == 1_250 * 365 == 456_250.00
    assert prompting.cost_per_1k_requests_usd == 2.50


def test_serverless_tune_is_50_usd_a_day(moderation):
    tuned = moderation.strategies["fine_tuning"]
    assert pytest.approx(50.0) == 500_000 * 1_000 * 0.10 / 1e6
    assert tuned.request_usd == 0.0001
    # 50 x 30.41666 = 1,520.8333 a month: running totals 1,520.83, 3,041.67, 4,562.50, ... (see above)
    months = [m.total_usd for m in tuned.monthly]
    assert months[:3] == [1_520.83, 1_520.84, 1_520.83]
    assert all(abs(m - 50 * DAY) < 0.01 for m in months)
    assert round(sum(months), 2) == tuned.total_usd == 50 * 365 == 18_250.00
    assert tuned.compute_only_usd == 18_250.00
    assert tuned.cost_per_1k_requests_usd == 0.10


def test_nothing_but_inference(moderation):
    assert set(moderation.strategies) == {"prompting", "fine_tuning"}
    for doc in moderation.strategies.values():
        for month in doc.monthly:
            others = {name: getattr(month.categories, name) for name in CATEGORIES if name != "inference"}
            assert others == dict.fromkeys(others, 0.0)


def test_438000_usd_a_year_apart(moderation):
    prompting = moderation.strategies["prompting"].total_usd
    tuned = moderation.strategies["fine_tuning"].total_usd
    assert prompting - tuned == 1_200 * 365 == 438_000.00
    # the verdict's ratio is the plain quotient: 2.50 / 0.10 per token, no overheads
    assert moderation.verdict.tco_ratio == 25.0
    assert moderation.verdict.break_even_month == 1
    assert moderation.verdict.half_cost_month == 1
    assert moderation.monthly_requests == [round(500_000 * DAY, 2)] * 12
    assert moderation.prices_used["fine_tuning"].values["input"] == 0.10
    assert moderation.prices_used["fine_tuning"].overridden == ["input"]
