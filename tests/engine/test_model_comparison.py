"""Right-sizing the API model (issue 20; docs/cost-model.md, section 25), checked by hand.

The quiet scenario: 100,000 requests a month of 1,000 input tokens and no output, 12 months, every
overhead zero, RAG off. A request costs 1,000 x price / 1,000,000:

    chosen openai:gpt-4o at 2.50: 0.0025 a request, 250.00 a month, 3,000.00 over 12 months
    openai:mid at 1.00:           0.0010,             100.00,           1,200.00
    openai:small at 0.25:         0.00025,             25.00,             300.00
    the tune at 0.30 (test sheet): 0.0003,             30.00,             360.00
"""

from __future__ import annotations

import pytest
from pricekit import life, llm

from app.engine import estimate
from app.engine.estimate import estimate_documents

MID, SMALL = llm("openai:mid", 1.0), llm("openai:small", 0.25)


@pytest.fixture(scope="module")
def comparing(sheet):
    return sheet.model_copy(update={"candidates": [MID, SMALL]})


def scenario_with(quiet, *acceptable: str, **more):
    return quiet(
        horizon_months=12,
        rag={"enabled": False},
        task={"kind": "behavior", "prompting_tried": True, "narrow_and_stable": True, "labeled_examples": 5_000},
        prompting={"candidates": ["openai:mid", "openai:small"], "acceptable": list(acceptable)},
        **more,
    )


def rows(doc):
    return [(m.model, m.acceptable, m.route, m.total_usd, m.saving_usd) for m in doc.model_comparison.models]


def test_each_candidate_priced_and_the_saving_against_the_chosen_model(quiet, comparing):
    doc = estimate(scenario_with(quiet), comparing)
    assert rows(doc) == [
        ("openai:gpt-4o", True, "prompting", 3_000.00, 0.00),
        ("openai:mid", False, "prompting", 1_200.00, 1_800.00),  # 3,000 - 1,200
        ("openai:small", False, "prompting", 300.00, 2_700.00),  # 3,000 - 300
    ]
    # 1,200 / 1,200,000 requests x 1,000 = 1.00 per 1,000 requests; 300 -> 0.25
    assert [m.cost_per_1k_requests_usd for m in doc.model_comparison.models] == [2.50, 1.00, 0.25]
    # nothing marked good enough: advice only, the chosen model stays the baseline
    comparison = doc.model_comparison
    assert comparison.baseline_model == comparison.chosen_model == "openai:gpt-4o"
    assert doc.strategies["prompting"].total_usd == 3_000.00
    assert doc.verdict.tco_ratio == pytest.approx(3_000 / 360, abs=1e-4)  # 8.3333
    assert "openai:small costs 300 USD" in comparison.summary and "Advice only" in comparison.summary


def test_the_cheapest_acceptable_candidate_becomes_the_baseline(quiet, comparing):
    """mid marked good enough: prompting is priced on it (1,200.00), the ratio is 1,200 / 360 = 3.3333,
    and small, cheaper still but not marked, changes nothing."""
    doc = estimate(scenario_with(quiet, "openai:mid"), comparing)
    assert doc.model_comparison.baseline_model == "openai:mid"
    assert doc.strategies["prompting"].total_usd == 1_200.00
    assert doc.prices_used["prompting"].id == "openai:mid"
    assert doc.verdict.tco_ratio == pytest.approx(1_200 / 360, abs=1e-4)
    assert doc.verdict.recommendation == "fine_tuning"
    assert "you marked it good enough" in doc.verdict.summary


def test_a_good_enough_small_model_turns_the_verdict(quiet, comparing):
    """small marked good enough: 300 against the tune's 360, a ratio of 0.8333: keep prompting."""
    doc = estimate(scenario_with(quiet, "openai:mid", "openai:small"), comparing)
    assert doc.model_comparison.baseline_model == "openai:small"
    assert doc.strategies["prompting"].total_usd == 300.00
    assert doc.verdict.tco_ratio == pytest.approx(300 / 360, abs=1e-4)
    assert doc.verdict.recommendation == "prompting"


def test_a_dearer_acceptable_candidate_leaves_the_chosen_model(quiet, sheet):
    dear = sheet.model_copy(update={"candidates": [llm("openai:dear", 5.0)]})
    doc = estimate(
        quiet(
            horizon_months=12,
            rag={"enabled": False},
            prompting={"candidates": ["openai:dear"], "acceptable": ["openai:dear"]},
        ),
        dear,
    )
    assert doc.model_comparison.baseline_model == "openai:gpt-4o"
    assert rows(doc)[1] == ("openai:dear", True, "prompting", 6_000.00, -3_000.00)  # 5.00 -> 500 a month
    assert "None of the 1 candidates costs less" in doc.model_comparison.summary


def test_a_candidate_carries_its_own_lifecycle(quiet, sheet):
    """openai:old (2.50) shuts down on 2027-03-10, in month 3 of a scenario from 2027-01, and openai:new
    (1.00) takes over: 2 x 250 + 10 x 100 = 1,500.00, and the move is its event."""
    old = llm("openai:old", 2.5, life("2027-03-10", successor="openai:new"), llm("openai:new", 1.0))
    doc = estimate(
        quiet(
            start_month="2027-01",
            horizon_months=12,
            rag={"enabled": False},
            prompting={"candidates": ["openai:old"]},
        ),
        sheet.model_copy(update={"candidates": [old]}),
    )
    candidate = doc.model_comparison.models[1]
    assert candidate.total_usd == 1_500.00
    assert [(e.month, e.event, e.successor) for e in candidate.events] == [(3, "migration", "openai:new")]


def test_a_batch_compares_each_scenario_as_alone(quiet, comparing, sheet):
    alone = estimate_documents([scenario_with(quiet, "openai:mid")], [comparing])
    plain = quiet(horizon_months=12)
    batch = estimate_documents([plain, scenario_with(quiet, "openai:mid"), plain], [sheet, comparing, sheet])
    assert batch[1] == alone[0]
    assert "model_comparison" not in batch[0] and "model_comparison" not in batch[2]


def test_a_sheet_without_the_candidates_compares_nothing(quiet, sheet):
    """A revision saved before candidates existed has none in its sheet: its figures stay as they were."""
    doc = estimate(scenario_with(quiet, "openai:mid"), sheet)
    assert doc.model_comparison is None and doc.strategies["prompting"].total_usd == 3_000.00


def test_the_candidates_fields_refuse_bad_lists(quiet):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="at most 12"):
        quiet(prompting={"candidates": [f"openai:m{k}" for k in range(13)]})
    with pytest.raises(ValidationError, match="openai:a listed more than once"):
        quiet(prompting={"candidates": ["openai:a", "openai:a"]})
    with pytest.raises(ValidationError, match="openai:b: not among the candidates"):
        quiet(prompting={"candidates": ["openai:a"], "acceptable": ["openai:b"]})


def test_a_candidate_too_costly_to_show_names_its_scenario(quiet, sheet):
    """A candidate at 1,000,000 USD per 1M tokens (1 USD a token): 1,000 tokens x 1e9 requests x 120
    months = 1.2e14 USD, past what a cent can show; the error names scenario 0 of the batch, not the
    candidate's row (1) among the compared ones."""
    from app.engine.estimate import AmountTooLarge

    costly = sheet.model_copy(update={"candidates": [llm("openai:costly", 1_000_000.0)]})
    big = quiet(horizon_months=120, workload={"requests_per_month": 1e9}, prompting={"candidates": ["openai:costly"]})
    with pytest.raises(AmountTooLarge) as info:
        estimate_documents([big, quiet(horizon_months=12)], [costly, sheet])
    assert info.value.index == 0
