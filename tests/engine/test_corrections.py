"""Issue 16's smaller corrections, each checked by hand against docs/cost-model.md."""

from __future__ import annotations

import math

from app.engine import estimate
from app.engine.estimate import tco_by_volume

GPU_HOUR = 2.99  # the test sheet's GPU (conftest.py)


def test_any_traffic_on_dedicated_gpus_needs_one_replica(quiet, sheet, monthly):
    """0.0001 requests a month, min_replicas 0: replicas = max(0, ceil(tiny)) = 1, so hosting is
    1 replica x 1 GPU x 2.99 USD x 730 h = 2,182.70 a month (launch at week 0); never 0 and never -0.0."""
    s = quiet(
        horizon_months=3,
        workload={"requests_per_month": 0.0001},
        fine_tuning={"deployment": "dedicated", "min_replicas": 0, "gpus_per_replica": 1, "weeks_to_launch": 0},
    )
    hosting = monthly(s, "fine_tuning")["hosting"]
    assert list(hosting) == [GPU_HOUR * 730] * 3  # 2,182.70
    months = estimate(s, sheet).strategies["fine_tuning"].monthly
    assert [m.categories.hosting for m in months] == [2_182.70] * 3


def test_no_traffic_and_no_minimum_rents_no_gpu(quiet, sheet, monthly):
    """No request at all and min_replicas 0: 0 replicas, hosting 0 (written 0.0, never -0.0)."""
    s = quiet(
        horizon_months=2,
        workload={"requests_per_month": 0},
        fine_tuning={"deployment": "dedicated", "min_replicas": 0, "weeks_to_launch": 0},
    )
    hosting = monthly(s, "fine_tuning")["hosting"]
    assert list(hosting) == [0.0, 0.0]
    for m in estimate(s, sheet).strategies["fine_tuning"].monthly:
        assert m.categories.hosting == 0.0 and math.copysign(1.0, m.categories.hosting) == 1.0


def test_a_whole_number_of_replicas_is_not_rounded_up_by_a_float_error(quiet, monthly):
    """Exactly 2 replicas' worth of peak traffic stays 2 replicas: V x tokens x peak / (730 x 3,600)
    = 2 x 10,000 tokens/s with V = 2 x 10,000 x 2,628,000 / 1,000 = 52,560,000 requests (1,000 tokens each,
    peak 1): hosting 2 x 2.99 x 730 = 4,365.40."""
    s = quiet(
        horizon_months=1,
        workload={"requests_per_month": 52_560_000, "input_tokens": 1_000, "output_tokens": 0, "peak_to_average": 1},
        fine_tuning={
            "deployment": "dedicated",
            "min_replicas": 0,
            "gpus_per_replica": 1,
            "weeks_to_launch": 0,
            "system_prompt_tokens": 0,
        },
    )
    assert list(monthly(s, "fine_tuning")["hosting"]) == [2 * GPU_HOUR * 730]


def test_when_everything_costs_nothing_the_ratio_is_empty_and_the_simpler_wins(quiet, sheet):
    """0 / 0: docs/cost-model.md says the ratio is empty (fine-tuning costs nothing), and neither wins by 2x."""
    s = quiet(
        workload={"requests_per_month": 0},
        fine_tuning={"deployment": "serverless", "runs_per_cycle": 0, "monitoring_usd_per_month": 0},
    )
    est = estimate(s, sheet)
    assert {name: doc.total_usd for name, doc in est.strategies.items()} == dict.fromkeys(est.strategies, 0.0)
    assert est.verdict.tco_ratio is None
    assert est.verdict.recommendation == est.verdict.simpler != "fine_tuning"


def test_break_even_volume_of_nearly_parallel_cost_lines_is_exact(quiet, sheet):
    """Two cost lines a millionth of a dollar apart per request. By hand, over 36 months at a flat volume V:
    prompting 36 x V x 1,000 x 2.001/1e6 = 0.072036 V; fine-tuning (serverless, 1.00 per 1M) 36 x 1,000 x
    monitoring + 36 x V x 1,000 x 1.0/1e6 = 36,000 + 0.036 V. 2x when 0.072036 V >= 72,000 + 0.072 V, that is
    V >= 72,000 / 0.000036 = 2,000,000,000 requests a month. Read off V = 0 and V = 1, the slope loses six
    digits to the 36,000 of fixed cost (it was 400 requests off)."""
    s = quiet(
        horizon_months=36,
        workload={"requests_per_month": 1_000, "input_tokens": 1_000, "output_tokens": 0},
        prompting={"prices": {"input": 2.001}, "system_prompt_tokens": 0, "few_shot_examples": 0},
        rag={"enabled": False},
        fine_tuning={
            "deployment": "serverless",
            "prices": {"input": 1.0},
            "system_prompt_tokens": 0,
            "weeks_to_launch": 0,
            "monitoring_usd_per_month": 1_000,
        },
    )
    volume = estimate(s, sheet).verdict.break_even_requests_per_month
    assert volume is not None
    assert abs(volume - 72_000 / 0.000036) <= 1  # 2,000,000,000
    # the volume chart off the same lines (docs/cost-model.md section 10): at V = 1,000,000 prompting is
    # 0.072036 x 1e6 = 72,036.00 and fine-tuning 36,000 + 0.036 x 1e6 = 72,000.00; at V = 0, 0.00 and 36,000.00
    curve = tco_by_volume(s, sheet, [0.0, 1e6])
    assert curve["prompting"] == [0.0, 72_036.0]
    assert curve["fine_tuning"] == [36_000.0, 72_000.0]
    assert curve["rag"] == [None, None]


def test_annual_totals_by_calendar_and_fiscal_year(quiet, sheet):
    """14 months from 2026-12 at 100,000 requests a month of 1,000 input tokens on prompting's 2.50 per 1M:
    250.00 a month. Calendar years: 2026 holds 1 month (250.00), 2027 twelve (3,000.00), 2028 one (250.00).
    Fiscal years from July, named by the year they end in: FY2027 is 2026-12 to 2027-06, 7 months (1,750.00);
    FY2028 is 2027-07 to 2028-01, 7 months (1,750.00). Either way they add up to 14 x 250 = 3,500.00."""
    base = {"start_month": "2026-12", "horizon_months": 14, "workload": {"requests_per_month": 100_000}}
    calendar = estimate(quiet(**base), sheet).strategies["prompting"]
    assert [(y.label, y.first_period, y.last_period, y.months, y.total_usd) for y in calendar.annual] == [
        ("2026", "2026-12", "2026-12", 1, 250.00),
        ("2027", "2027-01", "2027-12", 12, 3_000.00),
        ("2028", "2028-01", "2028-01", 1, 250.00),
    ]
    assert calendar.annual[1].categories.inference == 3_000.00 and calendar.total_usd == 3_500.00
    fiscal = estimate(quiet(**base, finance={"fiscal_year_start_month": 7}), sheet).strategies["prompting"]
    assert [(y.label, y.first_period, y.last_period, y.months, y.total_usd) for y in fiscal.annual] == [
        ("FY2027", "2026-12", "2027-06", 7, 1_750.00),
        ("FY2028", "2027-07", "2028-01", 7, 1_750.00),
    ]
    assert [y.year for y in calendar.annual] == [2026, 2027, 2028] and [y.year for y in fiscal.annual] == [2027, 2028]


def test_prompt_weeks_already_spent_are_left_out(quiet, sheet, monthly):
    """4 prompt weeks at 4,000 USD a week: prompting's month-1 engineering is 16,000 while they are to be
    spent, and 0 once `prompting.prompt_weeks_sunk` says they are spent (a sunk cost is not a future one)."""
    to_spend = quiet(prompting={"prompt_weeks": 4}, team={"engineer_week_usd": 4_000})
    spent = quiet(prompting={"prompt_weeks": 4, "prompt_weeks_sunk": True}, team={"engineer_week_usd": 4_000})
    assert monthly(to_spend, "prompting")["engineering"][0] == 4 * 4_000
    assert monthly(spent, "prompting")["engineering"][0] == 0.0
    gap = (
        estimate(to_spend, sheet).strategies["prompting"].total_usd
        - estimate(spent, sheet).strategies["prompting"].total_usd
    )
    assert gap == 16_000.00  # nothing else moves


def test_present_value_discounts_each_month_from_its_end(quiet, sheet):
    """250.00 a month for 12 months at 12% a year: month m is worth 250 / 1.12^(m/12) today, so the present
    value is 250 x (1.12^(-1/12) + ... + 1.12^(-12/12)) = 250 x 11.29152 = 2,822.88, against a TCO of
    3,000.00; with no rate, the present value is the TCO."""
    base = {"horizon_months": 12, "workload": {"requests_per_month": 100_000}}
    by_hand = 250 * sum(1.12 ** (-m / 12) for m in range(1, 13))
    assert round(by_hand, 2) == 2_822.88
    discounted = estimate(quiet(**base, finance={"discount_rate": 0.12}), sheet).strategies["prompting"]
    assert (discounted.total_usd, discounted.npv_usd) == (3_000.00, 2_822.88)
    nominal = estimate(quiet(**base), sheet).strategies["prompting"]
    assert nominal.npv_usd == nominal.total_usd == 3_000.00
