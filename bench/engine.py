"""Engine benchmark: one point estimate against 10,000 Monte Carlo draws through the same kernel, and
a 1,000-scenario summary batch against a validate-only pass over the same body.

Prints times and their ratios (goals: 10,000 draws at most 40x one estimate; the summary batch at
most 2.5x reading and validating its scenarios), and the cost of the tornado and of the whole
uncertainty part of an Estimate beside them. The batch's 1,000 scenarios are bench/snapshot.py's
random ones (every preset, deployment, basis and currency), sent as the JSON bytes an API client
sends: the batch pass validates them from bytes, prices them, estimates them (detail=summary) and
writes the JSON answer, as POST /api/v1/estimate/batch does.
Both are timed in this process, back to back, so machine noise mostly cancels;
no threshold is asserted anywhere.

    python bench/engine.py [--draws 10000] [--repeat 15] [--summary-json PATH]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.catalog import load_catalog
from app.engine import Scenario, build_inputs, estimate, run
from app.engine.estimate import estimate_documents
from app.engine.uncertainty import simulate, tornado, triangles, uncertainty_document
from app.presets import presets
from app.services import priced, with_seed_ranges


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Median of `repeat` timings in seconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def batch_times(count: int, repeat: int) -> tuple[float, float, dict[str, float]]:
    """(validate only, the whole summary batch, its parts), medians of `repeat` alternating rounds."""
    from snapshot import scenarios

    bodies = [s.model_dump_json().encode() for s in scenarios(count)]

    def validate() -> list[Scenario]:
        return [Scenario.model_validate_json(b) for b in bodies]

    parts: dict[str, list[float]] = {"validation": [], "pricing": [], "engine": [], "JSON": []}

    def batch() -> None:
        t0 = time.perf_counter()
        chunk = validate()
        t1 = time.perf_counter()
        sheets = priced(chunk)
        t2 = time.perf_counter()
        docs = estimate_documents(chunk, sheets, detail="summary")
        t3 = time.perf_counter()
        [orjson.dumps(d) for d in docs]  # what the batch route sends: orjson, a document at a time
        t4 = time.perf_counter()
        for name, t in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            parts[name].append(t)

    validate(), batch()
    for times in parts.values():
        times.clear()
    t_validate, t_batch = [], []
    for _ in range(repeat):
        for fn, times in ((validate, t_validate), (batch, t_batch)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return (
        statistics.median(t_validate),
        statistics.median(t_batch),
        {name: statistics.median(t) for name, t in parts.items()},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--preset", default="content-moderation")
    parser.add_argument("--batch", type=int, default=1000, help="scenarios in the summary batch")
    parser.add_argument("--summary-json", type=Path, help="also write the summary rows here (bench/all.py)")
    args = parser.parse_args()

    # The preset with the seeds' ranges, as the calculator's "Fill the seeds' ranges" leaves it.
    scenario, _ = with_seed_ranges(presets()[args.preset].scenario)
    scenario = scenario.model_copy(
        update={"uncertainty": scenario.uncertainty.model_copy(update={"draws": args.draws})}
    )
    sheet = load_catalog().price_sheet(scenario)
    base = build_inputs([scenario], [sheet])
    ranged = triangles(scenario, base)

    t_point = best_of(lambda: estimate(scenario, sheet), args.repeat)
    t_kernel = best_of(lambda: run(base), args.repeat)
    t_draws = best_of(lambda: simulate(scenario, base, ranged), args.repeat)
    t_tornado = best_of(lambda: tornado(scenario, base, ranged), args.repeat)
    t_document = best_of(lambda: uncertainty_document(scenario, base, 0), args.repeat)
    print(f"preset: {args.preset}, {len(ranged)} ranged inputs (the seeds'), {args.draws:,} draws")
    print(f"one point estimate:               {t_point * 1e3:8.2f} ms")
    print(f"Monte Carlo, {args.draws:,} draws:         {t_draws * 1e3:8.2f} ms")
    print(f"ratio draws / point:              {t_draws / t_point:8.1f}x   (goal: at most 40x)")
    print(f"tornado ({len(ranged)} ranges + the rest +-30%): {t_tornado * 1e3:8.2f} ms")
    print(f"whole uncertainty part:           {t_document * 1e3:8.2f} ms   ({t_document / t_point:.1f}x the point)")
    # For the record: the point estimate also searches the break-even volume and builds the
    # document; the kernel and verdict alone, for one row, cost this much.
    print(f"kernel + verdict, 1 row:          {t_kernel * 1e3:8.2f} ms   (draws / this: {t_draws / t_kernel:.0f}x)")
    t_validate, t_batch, parts = batch_times(args.batch, max(3, args.repeat // 5))
    print(f"validate {args.batch:,} scenarios from bytes: {t_validate * 1e3:8.1f} ms")
    print(
        f"summary batch of {args.batch:,}:          {t_batch * 1e3:8.1f} ms   "
        f"({t_batch / t_validate:.2f}x the validation; goal: at most 2.5x)"
    )
    print("  of which " + ", ".join(f"{name} {t * 1e3:.1f} ms" for name, t in parts.items()))
    if args.summary_json:
        from api import write_summary

        write_summary(
            args.summary_json,
            [
                ("one point estimate", f"{t_point * 1e3:.2f} ms", "", f"preset {args.preset}"),
                (f"Monte Carlo, {args.draws:,} draws", f"{t_draws * 1e3:.2f} ms", "", f"{len(ranged)} ranged inputs"),
                ("ratio draws / point", f"{t_draws / t_point:.1f}x", "at most 40x", ""),
                ("tornado", f"{t_tornado * 1e3:.2f} ms", "", f"{len(ranged)} ranges + the rest +-30%"),
                ("whole uncertainty part", f"{t_document * 1e3:.2f} ms", "", f"{t_document / t_point:.1f}x the point"),
                ("kernel + verdict, 1 row", f"{t_kernel * 1e3:.2f} ms", "", f"draws / this: {t_draws / t_kernel:.0f}x"),
                (f"summary batch of {args.batch:,}", f"{t_batch * 1e3:.1f} ms", "", ""),
                ("summary batch / validation", f"{t_batch / t_validate:.2f}x", "at most 2.5x", "same bytes"),
            ],
        )


if __name__ == "__main__":
    main()
