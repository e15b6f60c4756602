"""Engine benchmark: one point estimate against 10,000 Monte Carlo draws through the same kernel.

Prints times and their ratio (goal: 10,000 draws at most 25x one estimate), and the cost of the
tornado and of the whole uncertainty part of an Estimate beside them.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.catalog import load_catalog
from app.engine import build_inputs, estimate, run
from app.engine.uncertainty import simulate, tornado, triangles, uncertainty_document
from app.presets import presets
from app.services import with_seed_ranges


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Median of `repeat` timings in seconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--preset", default="content-moderation")
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
    print(f"ratio draws / point:              {t_draws / t_point:8.1f}x   (goal: at most 25x)")
    print(f"tornado ({len(ranged)} ranges + the rest +-30%): {t_tornado * 1e3:8.2f} ms")
    print(f"whole uncertainty part:           {t_document * 1e3:8.2f} ms   ({t_document / t_point:.1f}x the point)")
    # For the record: the point estimate also searches the break-even volume and builds the
    # document; the kernel and verdict alone, for one row, cost this much.
    print(f"kernel + verdict, 1 row:          {t_kernel * 1e3:8.2f} ms   (draws / this: {t_draws / t_kernel:.0f}x)")
    if args.summary_json:
        from api import write_summary

        write_summary(
            args.summary_json,
            [
                ("one point estimate", f"{t_point * 1e3:.2f} ms", "", f"preset {args.preset}"),
                (f"Monte Carlo, {args.draws:,} draws", f"{t_draws * 1e3:.2f} ms", "", f"{len(ranged)} ranged inputs"),
                ("ratio draws / point", f"{t_draws / t_point:.1f}x", "at most 25x", ""),
                ("tornado", f"{t_tornado * 1e3:.2f} ms", "", f"{len(ranged)} ranges + the rest +-30%"),
                ("whole uncertainty part", f"{t_document * 1e3:.2f} ms", "", f"{t_document / t_point:.1f}x the point"),
                ("kernel + verdict, 1 row", f"{t_kernel * 1e3:.2f} ms", "", f"draws / this: {t_draws / t_kernel:.0f}x"),
            ],
        )


if __name__ == "__main__":
    main()
