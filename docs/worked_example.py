"""The worked example of docs/cost-model.md, computed by the engine and re-derived by hand.

Run from the repository root: `python docs/worked_example.py`. It prints every
figure the document uses. Each hand formula is written out with literal numbers
(the very text the document shows), evaluated, and checked against the engine's
figure to the cent; a figure that moved in the engine makes this script fail.

The price sheet is hand-made (it does not read the catalog), so the figures
never move when the catalog does.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine import CATEGORIES, Estimate, PriceSheet, Scenario, build_inputs, estimate, run
from app.engine.prices import EmbeddingPrices, GpuPrices, TokenPrices, VectorDbPrices

GPT_4O = TokenPrices(
    id="openai:gpt-4o", source="hand-made for docs", input=2.50, cached_input=1.25, output=10.00, batch_discount=0.5
)
SHEET = PriceSheet(
    catalog_version="docs-worked-example",
    prompting=GPT_4O,
    rag=GPT_4O,
    embedding=EmbeddingPrices(id="openai:text-embedding-3-small", source="hand-made for docs", input=0.02),
    vector_db=VectorDbPrices(id="pinecone:standard", source="hand-made for docs", monthly_usd=50.0),
    fine_tuning=TokenPrices(
        id="openai:ft:gpt-4o-mini",
        source="hand-made for docs",
        input=0.30,
        cached_input=0.15,
        output=1.20,
        batch_discount=0.5,
        training=3.00,
    ),
    gpu=GpuPrices(
        id="lambda:h100-80gb",
        source="hand-made for docs",
        gpu_hour_usd=2.49,
        serving_tokens_per_second=2_000,
        training_tokens_per_second=3_000,
    ),
)

# Everything not given here is the engine's default (docs/cost-model.md, table of defaults).
SCENARIO = {
    "name": "Worked example: ticket triage at 150,000 requests a day",
    "workload": {"requests_per_day": 150_000, "monthly_growth": 0.02},
    "task": {"prompting_tried": True, "eval_harness": "budgeted", "narrow_and_stable": True, "labeled_examples": 1_500},
    "prompting": {"cache_hit_rate": 0.8, "batch_share": 0.25},
}
MONTHS_SHOWN = (1, 2, 4, 13)

# The hand formulas, with literal numbers. V(m) is month m's volume, p/r/f the USD per request
# of the prompting, RAG and fine-tuned routes (each re-derived below).
V1 = "150000 * 365/12"
P = "0.0065625"
R = "0.01025"
F = "0.000555"
REQUEST = {
    "prompting": "((1000 + 2000*(1 - 0.8)) * 2.50 + 2000*0.8 * 1.25 + 200 * 10.00) / 1e6 * (1 - 0.25*0.5)",
    "rag": "((1000 + 5*400 + 300) * 2.50 + 200 * 10.00) / 1e6",
    "fine_tuning": "((1000 + 50) * 0.30 + 200 * 1.20) / 1e6",
}


def volume(m: int) -> str:
    return V1 if m == 1 else f"{V1} * 1.02**{m - 1}"


def hand(strategy: str, m: int) -> dict[str, str]:
    """Each category of month m as arithmetic (only the months shown in the document)."""
    v = volume(m)
    out: dict[str, str] = {}
    if strategy == "prompting":
        out["engineering"] = {1: "4 * 4000", 13: "1 * 4000"}.get(m, "0")
        # the harness in month 1; the 300 golden examples scored at each re-validation (correction 6)
        out["evaluation"] = {1: "300 * 10 + 2 * 4000", 13: f"300 * {P}"}.get(m, "0")
        out["inference"] = f"{v} * {P}"
        out["maintenance"] = "8 * 4000/40"
    elif strategy == "rag":
        served = "4/13" if m == 1 else "1"
        out["engineering"] = {1: "3 * 4000", 13: "1 * 4000"}.get(m, "0")
        out["evaluation"] = {1: "300 * 10 + 2 * 4000", 13: f"300 * {R}"}.get(m, "0")
        out["inference"] = f"{v} * (9/13 * {P} + 4/13 * {R})" if m == 1 else f"{v} * {R}"
        corpus = "5e6 * 0.02/1e6" if m == 1 else "5e6 * 0.02/1e6 * 0.1"
        out["retrieval"] = f"{corpus} + 50 + {v} * {served} * 1000 * 0.02/1e6"
        out["maintenance"] = "16 * 4000/40"
    else:
        full, retrain = m in (1, 13), m in (4, 7, 10)
        if full:
            out["engineering"] = "(6 + 6) * 4000"
            out["training"] = "10 * 2000 * (50 + 1000 + 200) * 3 * 3.00/1e6"
        elif retrain:
            out["engineering"] = "(2 + 6*0.2) * 4000"
            out["training"] = "3 * 2000 * (50 + 1000 + 200) * 3 * 3.00/1e6"
        out["labeling"] = "(2000 - 1500) * 10" if m == 1 else "0.2 * 2000 * 10" if (full or retrain) else "0"
        out["evaluation"] = "300 * 10 + 2 * 4000" if m == 1 else f"300 * {F}" if (full or retrain) else "0"
        out["inference"] = {1: f"{v} * {P}", 2: f"{v} * (11/13 * {P} + 2/13 * {F})"}.get(m, f"{v} * {F}")
        out["maintenance"] = "200 + 16 * 4000/40"
    return out


def calc(expr: str) -> float:
    return float(eval(expr, {"__builtins__": {}}))


def check(label: str, expr: str, engine: float, within: float = 0.005) -> None:
    """The hand formula's value and the engine's figure agree: to the nearest cent (`within` half a cent),
    or for a tied-out cell of a month within a cent (docs/cost-model.md, section 11)."""
    value = calc(expr)
    if abs(value - engine) > within + 1e-9:
        raise SystemExit(f"MISMATCH {label}: hand {expr} = {value:,.6f}, engine {engine:,.2f}")


def usd(x: float) -> str:
    return f"{x:,.2f}"


def per_request(e: Estimate) -> None:
    print("## Per request (USD, engine request_usd, 8 decimals)")
    for s, expr in REQUEST.items():
        engine = e.strategies[s].request_usd
        if abs(calc(expr) - engine) > 1e-8:
            raise SystemExit(f"MISMATCH request {s}: {expr} = {calc(expr)}, engine {engine}")
        print(f"- {s}: {expr} = {engine:.8f}")
    for name, expr in (("p", P), ("r", R), ("f", F)):
        assert calc(expr) == calc(REQUEST[{"p": "prompting", "r": "rag", "f": "fine_tuning"}[name]])


def months(e: Estimate) -> None:
    print("\n## Requests")
    for m in (*MONTHS_SHOWN, 36):
        engine = e.monthly_requests[m - 1]
        check(f"V{m}", volume(m), engine)
        print(f"- V{m} = {volume(m)} = {usd(engine)}")
    for s in e.strategies:
        print(f"\n## {s}: months {', '.join(map(str, MONTHS_SHOWN))} by category (USD)")
        for m in MONTHS_SHOWN:
            month = e.strategies[s].monthly[m - 1]
            cats = month.categories.model_dump()
            formulas = hand(s, m)
            print(f"\n### {s}, month {m}: total {usd(month.total_usd)}")
            for c in CATEGORIES:
                expr = formulas.get(c, "0")
                check(f"{s} m{m} {c}", expr, cats[c], within=0.01)
                if cats[c] or expr != "0":
                    print(f"| {c} | {usd(cats[c])} | `{expr}` |")
            if abs(round(sum(cats.values()), 2) - month.total_usd) > 1e-9:
                raise SystemExit(f"TIE-OUT {s} m{m}: the categories add to {sum(cats.values()):,.2f}, not the month")
        months_cents = round(sum(m.total_usd for m in e.strategies[s].monthly), 2)
        if months_cents != e.strategies[s].total_usd:
            raise SystemExit(f"TIE-OUT {s}: the months add to {months_cents:,.2f}, not the TCO")


def sum_v(first: int, last: int) -> str:
    """Sum of V(m) for m in first..last, as a geometric series."""
    return f"{V1} * 1.02**{first - 1} * (1.02**{last - first + 1} - 1) / 0.02"


TOTALS = {
    "prompting": {
        "engineering": "4*4000 + 2 * 1*4000",
        "evaluation": f"300*10 + 2*4000 + 2 * 300*{P}",
        "inference": f"{P} * {sum_v(1, 36)}",
        "maintenance": "36 * 8*4000/40",
    },
    "rag": {
        "engineering": "3*4000 + 2 * 1*4000",
        "evaluation": f"300*10 + 2*4000 + 2 * 300*{R}",
        "inference": f"{V1} * (9/13*{P} + 4/13*{R}) + {R} * {sum_v(2, 36)}",
        "retrieval": f"5e6*0.02/1e6 * (1 + 35*0.1) + 36*50 + 0.02/1e6*1000 * (4/13*{V1} + {sum_v(2, 36)})",
        "maintenance": "36 * 16*4000/40",
    },
    "fine_tuning": {
        "engineering": "3 * (6+6)*4000 + 9 * (2 + 6*0.2)*4000",
        "labeling": "(2000-1500)*10 + (2 + 9) * 0.2*2000*10",
        "evaluation": f"300*10 + 2*4000 + (2 + 9) * 300*{F}",
        "training": "(3*10 + 9*3) * 2000*(50+1000+200)*3*3.00/1e6",
        "inference": f"{P} * ({V1} + 11/13*{V1}*1.02) + {F} * (2/13*{V1}*1.02 + {sum_v(3, 36)})",
        "maintenance": "36 * (200 + 16*4000/40)",
    },
}


def totals(e: Estimate) -> None:
    print("\n## Totals over 36 months (USD)")
    for s, parts in TOTALS.items():
        st = e.strategies[s]
        # Category totals are not in the Estimate document: take the engine's unrounded months.
        costs, _ = run(build_inputs([Scenario.model_validate(SCENARIO)], [SHEET]))
        by_category = dict(zip(CATEGORIES, costs.categories(s, 0, 36).sum(axis=0), strict=True))
        for c in CATEGORIES:
            check(f"total {s} {c}", parts.get(c, "0"), round(float(by_category[c]), 2))
        total_expr = " + ".join(f"({expr})" for expr in parts.values())
        check(f"total {s}", total_expr, st.total_usd)
        print(f"\n### {s}: TCO {usd(st.total_usd)}")
        for c, expr in parts.items():
            print(f"| {c} | {usd(calc(expr))} | `{expr}` |")
        print(f"- cost per 1,000 requests: {usd(st.cost_per_1k_requests_usd or 0)}")
        if st.compute_only_usd is not None:
            print(
                f"- compute-only estimate: {usd(st.compute_only_usd)}; TCO / compute-only = "
                f"{st.total_usd / st.compute_only_usd:.2f}"
            )
    fallback = f"{P} * ({V1} + 11/13 * {V1} * 1.02)"
    print(f"- fine-tuning's prompting fallback (months 1-2): `{fallback}` = {usd(calc(fallback))}")
    print(f"- requests served over 36 months: {usd(sum(e.monthly_requests))}")


def verdict(e: Estimate) -> None:
    v = e.verdict
    print("\n## Verdict")
    simpler = e.strategies[v.simpler].total_usd
    ft = e.strategies["fine_tuning"].total_usd
    print(f"- simpler: {v.simpler}; ratio {usd(simpler)} / {usd(ft)} = {simpler / ft:.4f} (engine {v.tco_ratio})")
    for g in v.gates:
        print(f"- gate {g.id} {'PASS' if g.passed else 'FAIL'}: {g.reason}")
    print(f"- recommendation: {v.recommendation}; summary: {v.summary}")
    ft_cum = e.strategies["fine_tuning"].cumulative_usd
    s_cum = e.strategies[v.simpler].cumulative_usd
    for label, month, factor in (("break-even", v.break_even_month, 1.0), ("half-cost", v.half_cost_month, 0.5)):
        print(f"- {label} month: {month}")
        if month:
            for m in (month - 1, month):
                if m >= 1:
                    print(
                        f"  - month {m}: fine-tuning cumulative {usd(ft_cum[m - 1])}, "
                        f"{factor:g} x {v.simpler} cumulative {usd(factor * s_cum[m - 1])}"
                    )
    volume_found = v.break_even_requests_per_month
    print(f"- break-even volume: {volume_found} requests in month 1 ({(volume_found or 0) / (365 / 12):,.0f} a day)")
    if volume_found:
        for vol in (volume_found * 0.999, volume_found):
            s = Scenario.model_validate({**SCENARIO, "workload": {"requests_per_month": vol, "monthly_growth": 0.02}})
            print(f"  - at {vol:,.0f} requests in month 1 the ratio is {estimate(s, SHEET).verdict.tco_ratio}")


def dedicated() -> None:
    """The same scenario with the tuned model on rented GPUs: replicas, hosting and runs."""
    s = Scenario.model_validate({**SCENARIO, "fine_tuning": {"deployment": "dedicated"}})
    e = estimate(s, SHEET)
    st = e.strategies["fine_tuning"]
    print("\n## Variant: fine_tuning.deployment = dedicated")
    peak = f"{V1} * (50 + 1000 + 200) * 3 / (730 * 3600)"
    print(
        f"- peak tokens/s in month 1: {peak} = {calc(peak):,.2f}; / 2000 per replica -> "
        f"ceil({calc(peak) / 2000:.4f}) = 4 replicas"
    )
    run = "2000 * (50 + 1000 + 200) * 3 / 3000 / 3600 * 2.49"
    check("dedicated run", f"10 * {run}", st.monthly[0].categories.training)
    print(f"- one run: {run} = {calc(run):,.4f}; month-1 training {usd(st.monthly[0].categories.training)}")
    for m, expr in ((2, "4 * 1 * 2.49 * 730 * 2/13"), (13, "5 * 1 * 2.49 * 730")):
        peak_m = calc(f"{volume(m)} * 1250 * 3 / (730 * 3600)")
        check(f"dedicated hosting m{m}", expr, st.monthly[m - 1].categories.hosting)
        print(
            f"- month {m}: peak {peak_m:,.2f} tokens/s -> {peak_m / 2000:.4f} -> hosting `{expr}` = "
            f"{usd(st.monthly[m - 1].categories.hosting)}; inference {usd(st.monthly[m - 1].categories.inference)}"
        )
    print(
        f"- TCO {usd(st.total_usd)}, compute-only {usd(st.compute_only_usd or 0)}, "
        f"ratio {e.verdict.tco_ratio}, recommendation {e.verdict.recommendation}"
    )


def content_moderation() -> None:
    """002: 500,000 posts a day x 1,000 tokens, 2.50 vs 0.10 USD per 1M input tokens."""
    s = Scenario.model_validate(
        {
            "name": "002 content moderation",
            "horizon_months": 12,
            "workload": {"requests_per_day": 500_000, "input_tokens": 1_000, "output_tokens": 0},
            "prompting": {"system_prompt_tokens": 0, "few_shot_examples": 0},
            "fine_tuning": {
                "deployment": "serverless",
                "system_prompt_tokens": 0,
                "weeks_to_launch": 0,
                "prices": {"input": 0.10},
            },
        }
    )
    e = estimate(s, SHEET)
    costs, _ = run(build_inputs([s], [SHEET]))
    inference = CATEGORIES.index("inference")
    year: dict[str, float] = {}
    print("\n## 002 content moderation")
    for strategy, price in (("prompting", "2.50"), ("fine_tuning", "0.10")):
        st = e.strategies[strategy]
        monthly = st.monthly[0].categories.inference
        year[strategy] = float(costs.categories(strategy, 0, 12)[:, inference].sum())
        check(f"002 {strategy} month", f"500000 * 365/12 * 1000 * {price}/1e6", monthly)
        check(f"002 {strategy} year", f"500000 * 365 * 1000 * {price}/1e6", round(year[strategy], 2))
        print(
            f"- {strategy}: request {st.request_usd:.8f} USD; a day 500000 * 1000 * {price}/1e6 = "
            f"{calc(f'500000 * 1000 * {price}/1e6'):,.2f}; month inference {usd(monthly)}; "
            f"12 months (unrounded months) {usd(year[strategy])}; 12 x the rounded month {usd(12 * monthly)}"
        )
    print(f"- a year apart: {usd(year['prompting'] - year['fine_tuning'])}")


def main() -> None:
    e = estimate(Scenario.model_validate(SCENARIO), SHEET)
    print(f"# {e.scenario_name} (catalog {e.catalog_version})\n")
    per_request(e)
    months(e)
    totals(e)
    verdict(e)
    dedicated()
    content_moderation()


if __name__ == "__main__":
    main()
