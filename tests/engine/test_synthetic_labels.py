"""Synthetic labels (issue 20; docs/cost-model.md, section 24), checked by hand.

The generator here is the test sheet's gpt-4o: 2.50 input and 10.00 output per 1M tokens. With
requests of 1,000 + 200 tokens and a 500-token generator prompt, one generated example costs
(500 x 2.50 + 1,200 x 10.00) / 1,000,000 = 0.01325 USD.
"""

from __future__ import annotations

import pytest

from app.catalog import CatalogError, load_catalog
from app.engine import MissingPrice, Scenario, estimate
from app.engine.prices import PriceSheet

GPT4O_IN, GPT4O_OUT = 2.5, 10.0  # the test sheet's gpt-4o (conftest.py)

PER_EXAMPLE = (500 * GPT4O_IN + 1_200 * GPT4O_OUT) / 1e6  # 0.01325


def labels_scenario(quiet, source: str, **fine_tuning):
    """2,000 examples to buy at 10 USD a label, a retraining every 3 months on 20% fresh labels."""
    return quiet(
        horizon_months=6,
        workload={"input_tokens": 1_000, "output_tokens": 200},
        team={"label_cost_usd": 10},
        task={"labeled_examples": 0},
        fine_tuning={
            "training_examples": 2_000,
            "retrain_every_months": 3,
            "new_label_share": 0.2,
            "labels_source": source,
            **fine_tuning,
        },
    )


@pytest.fixture(scope="module")
def generating(sheet) -> PriceSheet:
    """The test sheet with gpt-4o as the generator, as the catalog resolves an empty synthetic_model."""
    return sheet.model_copy(update={"synthetic": sheet.prompting.model_copy(update={"successor": None})})


@pytest.mark.parametrize(
    ("source", "month_1", "month_4"),
    [
        # people 10 x (0 + 1 x 0.1) = 1.00; 2,000 x (1.00 + 0.01325) = 2,026.50; 400 x 1.01325 = 405.30
        ("synthetic", 2_026.50, 405.30),
        # people 10 x (0.5 + 0.5 x 0.1) = 5.50; tokens 0.5 x 0.01325 = 0.006625; x 2,000 and x 400
        ("mixed", 11_013.25, 2_202.65),
        # 2,000 x 10 and 0.2 x 2,000 x 10, whatever generator the sheet names
        ("human", 20_000.00, 4_000.00),
    ],
)
def test_labeling_by_hand(quiet, monthly, generating, source, month_1, month_4):
    s = labels_scenario(quiet, source)
    labeling = monthly(s, "fine_tuning", generating)["labeling"]
    assert list(labeling.round(6)) == [month_1, 0, 0, month_4, 0, 0]
    shown = [m.categories.labeling for m in estimate(s, generating).strategies["fine_tuning"].monthly]
    assert shown == [month_1, 0, 0, month_4, 0, 0]


def test_the_exact_unrounded_per_label_price(quiet, monthly, generating):
    """Before any rounding: month 1 is 2,000 x (10 x 0.1) + 2,000 x 0.01325 exactly as the kernel adds it."""
    labeling = monthly(labels_scenario(quiet, "synthetic"), "fine_tuning", generating)["labeling"]
    assert labeling[0] == pytest.approx(2_000 * 1.0 + 2_000 * PER_EXAMPLE, rel=1e-15)


def test_a_share_of_labels_already_in_hand_is_not_bought_again(quiet, monthly, generating):
    """500 labeled: 1,500 bought at 1.01325 = 1,519.875 in month 1."""
    s = labels_scenario(quiet, "synthetic")
    s = s.model_copy(update={"task": s.task.model_copy(update={"labeled_examples": 500})})
    assert monthly(s, "fine_tuning", generating)["labeling"][0] == pytest.approx(1_500 * (1.0 + PER_EXAMPLE))


def test_the_tokens_follow_the_api_price_trend_and_people_do_not(quiet, monthly, generating):
    """Prices falling 30% a year: month 4 pays its tokens at 0.7^(3/12) = 0.914691:
    400 x 1.00 + 400 x 0.01325 x 0.914691 = 400 + 4.85 = 404.85."""
    s = labels_scenario(quiet, "synthetic")
    s = s.model_copy(update={"finance": s.finance.model_copy(update={"api_price_change_per_year": -0.3})})
    labeling = monthly(s, "fine_tuning", generating)["labeling"]
    assert labeling[3] == pytest.approx(400 * 1.0 + 400 * PER_EXAMPLE * 0.7 ** (3 / 12), rel=1e-12)
    assert round(float(labeling[3]), 2) == 404.85


def test_the_golden_set_stays_human(quiet, monthly, generating):
    """The harness's 300 golden examples at 10 USD are 3,000 whatever the training labels' source."""
    for source in ("human", "synthetic"):
        s = quiet(
            task={"eval_harness": "budgeted"},
            team={"golden_examples": 300, "label_cost_usd": 10, "eval_build_weeks": 0},
            fine_tuning={"labels_source": source},
        )
        assert monthly(s, "fine_tuning", generating)["evaluation"][0] == 3_000.0


def test_the_document_names_the_generator_and_gives_002s_caveat(quiet, generating, sheet):
    doc = estimate(labels_scenario(quiet, "mixed"), generating)
    assert doc.prices_used["synthetic"].values == {"input": 2.5, "output": 10.0}
    reason = doc.verdict.gates[5].reason
    assert "Synthetic labels (50% of the training set, from openai:gpt-4o, 10% checked by a person)" in reason
    assert "terms of service" in reason and "validate" in reason
    human = estimate(labels_scenario(quiet, "human"), sheet)
    assert "synthetic" not in human.prices_used and "Synthetic" not in human.verdict.gates[5].reason


def test_human_labels_cost_what_they_did_before(quiet, monthly, sheet, generating):
    """A generator in the sheet changes nothing while every label is a person's."""
    s = labels_scenario(quiet, "human")
    assert (
        monthly(s, "fine_tuning", sheet)["labeling"].tolist()
        == monthly(s, "fine_tuning", generating)["labeling"].tolist()
    )


# --- the catalog: which generator, and refusals at the field ---


def test_the_generator_defaults_to_prompting_model_and_is_priced_only_when_used():
    catalog = load_catalog()
    human = catalog.price_sheet(Scenario())
    assert human.synthetic is None
    synthetic = catalog.price_sheet(Scenario.model_validate({"fine_tuning": {"labels_source": "synthetic"}}))
    assert synthetic.synthetic is not None and synthetic.synthetic.id == Scenario().prompting.model
    assert synthetic.synthetic.successor is None


def test_a_generator_shut_down_at_the_start_month_is_refused_at_the_field():
    """openai:gpt-4o shuts down on 2027-01-14 (pricing catalog): generating from it in 2027-02 is refused."""
    scenario = Scenario.model_validate(
        {
            "start_month": "2027-02",
            "fine_tuning": {"labels_source": "synthetic", "synthetic_model": "openai:gpt-4o"},
        }
    )
    with pytest.raises(CatalogError) as info:
        load_catalog().price_sheet(scenario)
    [error] = info.value.errors
    assert error["loc"] == ("fine_tuning", "synthetic_model")
    assert "shut down on 2027-01-14, before 2027-02 (start_month)" in error["msg"]


def test_an_unknown_generator_lists_the_closest_ids():
    scenario = Scenario.model_validate({"fine_tuning": {"labels_source": "mixed", "synthetic_model": "openai:gpt-4x"}})
    with pytest.raises(CatalogError) as info:
        load_catalog().price_sheet(scenario)
    [error] = info.value.errors
    assert error["loc"] == ("fine_tuning", "synthetic_model") and "closest: openai:" in error["msg"]


def test_a_generator_must_be_an_api_model():
    scenario = Scenario.model_validate(
        {"fine_tuning": {"labels_source": "synthetic", "synthetic_model": "lambda:h100-80gb"}}
    )
    with pytest.raises(CatalogError) as info:
        load_catalog().price_sheet(scenario)
    assert info.value.errors[0]["loc"] == ("fine_tuning", "synthetic_model")


def test_generated_labels_without_a_generator_in_the_sheet_are_refused(quiet, sheet):
    """A sheet with no generator cannot price synthetic labels: MissingPrice, never a silent 0."""
    with pytest.raises(MissingPrice, match=r"fine_tuning\.synthetic_model"):
        estimate(labels_scenario(quiet, "synthetic"), sheet)
