"""Finance inputs against arithmetic written out by hand (docs/cost-model.md, sections 20-24): prices
that move, the golden set scored at re-evaluations, own cost lines, the verdict's basis, currency.

The price sheet is conftest.py's: gpt-4o at 2.5 / 1.25 / 10 USD per 1M, the tuned model at 0.3 /
0.15 / 1.2 and training 3.0, embeddings 0.02, GPU 2.99 an hour serving 10,000 tokens a second.
"""

from __future__ import annotations

import pytest

from app.engine import estimate, estimate_many
from app.engine.scenario import Scenario

V = 100_000.0
PROMPT = 1_000 * 2.5 / 1e6  # quiet: 1,000 input tokens, nothing else, at 2.5 per 1M = 0.0025 a request
TUNED = 1_000 * 0.3 / 1e6  # the same request on the tuned model: 0.0003


def test_api_prices_falling_30_percent_a_year_compound_monthly(quiet, monthly):
    s = quiet(horizon_months=13, finance={"api_price_change_per_year": -0.3})
    got = monthly(s, "prompting")["inference"]
    # month m pays today's price x (1 - 0.3)^((m - 1) / 12): 250.00 in month 1, 175.00 in month 13
    assert got[0] == pytest.approx(V * PROMPT) == pytest.approx(250.0)
    assert got[6] == pytest.approx(250.0 * 0.7 ** (6 / 12))  # month 7: 250 x 0.83666 = 209.165
    assert got[12] == pytest.approx(250.0 * 0.7) == pytest.approx(175.0)
    # the tune's per-token inference falls alike: 30.00 in month 1, 21.00 in month 13
    ft = monthly(s, "fine_tuning")["inference"]
    assert (ft[0], ft[12]) == pytest.approx((V * TUNED, V * TUNED * 0.7))


def test_the_trends_reach_embeddings_training_tokens_and_gpu_hours(quiet, monthly):
    # RAG: the corpus' 25% churn is re-embedded every month at the falling embedding price
    rag = quiet(
        horizon_months=13,
        workload={"requests_per_month": 0},
        rag={"corpus_tokens": 1e9, "corpus_churn_share": 0.25},
        finance={"api_price_change_per_year": -0.5},
    )
    retrieval = monthly(rag, "rag")["retrieval"]
    corpus = 1e9 * 0.02 / 1e6  # 20 USD to embed the corpus in month 1, at today's price
    assert retrieval[0] == pytest.approx(corpus)
    assert retrieval[12] == pytest.approx(corpus * 0.25 * 0.5)  # month 13: 5.00 x 0.5 = 2.50
    # hosted training runs are per-token API prices: a retraining in month 13 pays 1.2x when they rise 20%
    hosted = quiet(
        horizon_months=13,
        fine_tuning={"training_examples": 1_000, "retrain_every_months": 12, "retrain_runs": 1, "runs_per_cycle": 1},
        finance={"api_price_change_per_year": 0.2},
    )
    run = 1_000 * 1_000 * 3 * 3.0 / 1e6  # examples x tokens x 3 epochs x 3.0 per 1M = 9.00
    training = monthly(hosted, "fine_tuning")["training"]
    assert (training[0], training[12]) == pytest.approx((run, run * 1.2))
    # dedicated GPUs: one replica at 2.99 x 730 in month 1, x (1 - 0.1) in month 13; API trends do not touch it
    dedicated = quiet(
        horizon_months=13,
        fine_tuning={"deployment": "dedicated", "min_replicas": 1},
        finance={"gpu_price_change_per_year": -0.1, "api_price_change_per_year": 0.5},
    )
    hosting = monthly(dedicated, "fine_tuning")["hosting"]
    assert (hosting[0], hosting[12]) == pytest.approx((2.99 * 730, 2.99 * 730 * 0.9))  # 2,182.70 and 1,964.43
    # a cost per run typed in stays as typed
    typed = quiet(
        horizon_months=13,
        fine_tuning={"cost_per_run_usd": 100, "runs_per_cycle": 1, "retrain_every_months": 12, "retrain_runs": 1},
        finance={"api_price_change_per_year": 0.5},
    )
    assert list(monthly(typed, "fine_tuning")["training"][[0, 12]]) == [100.0, 100.0]


def test_extra_cost_lines_land_in_their_category_and_strategies(quiet, monthly, sheet):
    line = {
        "name": "Compliance audit",
        "strategies": ["rag", "fine_tuning"],
        "category": "evaluation",
        "one_time_usd": 5_000,
        "monthly_usd": 1_000,
        "from_month": 3,
    }
    s = quiet(horizon_months=5, extra_costs=[line])
    # month 3: 5,000 once + 1,000; months 4 and 5: 1,000; nothing before month 3
    for strategy in ("rag", "fine_tuning"):
        assert list(monthly(s, strategy)["evaluation"]) == [0.0, 0.0, 6_000.0, 1_000.0, 1_000.0]
    assert list(monthly(s, "prompting")["evaluation"]) == [0.0] * 5
    plain = quiet(horizon_months=5)
    with_line, without = estimate(s, sheet), estimate(plain, sheet)
    for strategy, added in (("prompting", 0.0), ("rag", 8_000.0), ("fine_tuning", 8_000.0)):  # 5,000 + 3 x 1,000
        assert with_line.strategies[strategy].total_usd == pytest.approx(
            without.strategies[strategy].total_usd + added, abs=0.005
        )
    # in a batch, rows with and without lines (and with two lines) each get what they get alone
    two = quiet(horizon_months=5, extra_costs=[line, {**line, "category": "maintenance", "strategies": ["prompting"]}])
    assert estimate_many([plain, s, two], [sheet] * 3) == [estimate(x, sheet) for x in (plain, s, two)]


def test_a_ranged_extra_cost_is_drawn_and_moves_the_tornado(quiet, sheet):
    s = quiet(
        horizon_months=12,
        extra_costs=[{"name": "Security review", "strategies": ["fine_tuning"], "monthly_usd": 1_000}],
        ranges={"extra_costs.0.monthly_usd": {"low": 500, "high": 4_000, "source": "vendor quote"}},
        uncertainty={"draws": 2_000, "seed": 3},
    )
    from app.engine.estimate import estimate_documents

    [doc] = estimate_documents([s], [sheet], uncertainty=True)
    u = doc["uncertainty"]
    assert [r["path"] for r in u["ranges"]] == ["extra_costs.0.monthly_usd"]
    ft = u["strategies"]["fine_tuning"]
    # 12 months x a triangle (500, 1,000, 4,000) whose mean is 1,833.33: the mean TCO is 12 x 833.33 above
    # the point estimate's
    point = doc["strategies"]["fine_tuning"]["total_usd"]
    assert ft["mean_usd"] - point == pytest.approx(12 * (5_500 / 3 - 1_000), rel=0.03)
    assert "extra_costs.0.monthly_usd" in [i["path"] for i in u["tornado"]["inputs"]]


def _tune_wins_nominally(quiet, **finance: object) -> Scenario:
    """Prompting: 250 a month for 12 months = 3,000. Fine-tuning: one run of 1,000 in month 1 and
    30 a month = 1,360. Nominal ratio 3,000 / 1,360 = 2.2059: at least 2x; every other gate passes."""
    return quiet(
        horizon_months=12,
        task={"prompting_tried": True, "narrow_and_stable": True, "labeled_examples": 2_000},
        rag={"enabled": False},
        fine_tuning={"cost_per_run_usd": 1_000, "runs_per_cycle": 1},
        finance=finance,
    )


def test_present_value_basis_can_overturn_the_verdict(quiet, sheet):
    # at 100% a year, month m weighs 2^(-m/12); sum over m = 1..12 = 2^(-1/12) x (1 - 1/2) / (1 - 2^(-1/12))
    weights = sum(2 ** (-m / 12) for m in range(1, 13))
    assert weights == pytest.approx(8.408_577, abs=1e-6)
    prompting_npv = 250 * weights  # 2,102.14
    ft_npv = 1_000 * 2 ** (-1 / 12) + 30 * weights  # 943.87 + 252.26 = 1,196.13
    assert prompting_npv / ft_npv == pytest.approx(1.7575, abs=1e-4)  # short of 2x

    nominal = estimate(_tune_wins_nominally(quiet, discount_rate=1.0), sheet)
    assert nominal.verdict.basis == "nominal" and nominal.verdict.recommendation == "fine_tuning"
    assert nominal.verdict.tco_ratio == pytest.approx(3_000 / 1_360, abs=1e-4)  # 2.2059
    assert nominal.strategies["prompting"].npv_usd == pytest.approx(prompting_npv, abs=0.01)
    assert nominal.strategies["fine_tuning"].npv_usd == pytest.approx(ft_npv, abs=0.01)
    other = nominal.verdict.other_basis
    assert other is not None and other.basis == "npv" and other.recommendation == "prompting"
    assert other.tco_ratio == pytest.approx(1.7575, abs=1e-4)
    assert nominal.verdict.summary.endswith(
        "On present value at 100% a year the answer differs: Prompting, a ratio of 1.76x."
    )

    npv = estimate(_tune_wins_nominally(quiet, discount_rate=1.0, verdict_basis="npv"), sheet)
    assert npv.verdict.basis == "npv" and npv.verdict.recommendation == "prompting"
    assert npv.verdict.tco_ratio == pytest.approx(1.7575, abs=1e-4)
    assert npv.verdict.gates[4].reason.startswith(
        "Over 12 months, in present value at 100% a year, fine-tuning costs 1,196 USD"
    )
    assert npv.verdict.other_basis is not None and npv.verdict.other_basis.recommendation == "fine_tuning"
    # the TCO shown stays nominal on either basis
    assert npv.strategies["fine_tuning"].total_usd == nominal.strategies["fine_tuning"].total_usd == 1_360.0
    # no rate: no second basis, and the summary says nothing of it
    plain = estimate(_tune_wins_nominally(quiet), sheet)
    assert plain.verdict.other_basis is None and "present value" not in plain.verdict.summary


def test_a_currency_converts_every_amount_at_the_edge(quiet, sheet):
    usd = estimate(_tune_wins_nominally(quiet), sheet)
    eur = estimate(_tune_wins_nominally(quiet, currency="eur", usd_to_currency=0.92), sheet)
    assert (usd.currency, eur.currency) == ("USD", "EUR")
    # 1,360 USD x 0.92 = 1,251.20 EUR; 3,000 x 0.92 = 2,760.00; a request 0.0025 x 0.92 = 0.0023
    assert eur.strategies["fine_tuning"].total_usd == 1_251.20
    assert eur.strategies["prompting"].total_usd == 2_760.00
    assert eur.strategies["prompting"].request_usd == pytest.approx(0.0023)
    assert eur.strategies["prompting"].monthly[0].total_usd == 230.00  # 250 x 0.92
    # the ratio, the verdict and the break-even volume do not depend on the currency
    assert eur.verdict.tco_ratio == usd.verdict.tco_ratio
    assert eur.verdict.break_even_requests_per_month == usd.verdict.break_even_requests_per_month
    assert "1,251 EUR against 2,760 EUR" in eur.verdict.gates[4].reason


def test_the_tornado_moves_a_negative_input_inside_its_bounds(quiet, sheet):
    """-0.9 a year moved 30% either way is -1.17 and -0.63; -1.17 is past the open bound of -1 (a price
    that falls 100% or more), so the low end stops halfway to it: (-1 + -0.9) / 2 = -0.95."""
    from app.engine.inputs import build_inputs
    from app.engine.uncertainty import _tornado_candidates, tornado

    s = quiet(horizon_months=12, finance={"api_price_change_per_year": -0.9})
    base = build_inputs([s], [sheet])
    bars = {t.path: t for t in _tornado_candidates(s, base, [])}
    bar = bars["finance.api_price_change_per_year"]
    assert (bar.low, bar.mode, bar.high) == pytest.approx((-0.95, -0.9, -0.63))
    assert all(t.low <= t.mode <= t.high for t in bars.values())  # every bar in order, whatever its sign
    tornado(s, base, [])  # and the kernel takes every end (no price raised to a power of a negative base)


def test_costs_too_large_to_show_to_the_cent_are_refused_not_garbled(quiet, sheet):
    """10^12 requests a month of 2,000,000 tokens at 2.50 per 1M cost 5e12 USD a month: 6e13 over 12
    months, under 9e13; at 2 units per USD it is 1.2e14, past what a float holds to the cent."""
    from app.engine.estimate import AmountTooLarge, estimate_documents

    big = {"horizon_months": 12, "workload": {"requests_per_month": 1e12, "input_tokens": 2_000_000}}
    estimate_documents([quiet(**big)], [sheet])  # 6e13 USD: shown
    with pytest.raises(AmountTooLarge, match=r"the costs reach 1.2e\+14 EUR over the horizon") as caught:
        estimate_documents([quiet(), quiet(**big, finance={"currency": "EUR", "usd_to_currency": 2})], [sheet] * 2)
    assert caught.value.index == 1
