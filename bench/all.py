"""Every benchmark in bench/, one after the other, then one table of what each measured.

Runs each `bench/*.py` but this one (engine, api, pages, load first, in that order, then any other
in name order) as a subprocess with `--summary-json PATH`, its output streamed as it comes; each
writes its summary rows there, and at the end ONE table has a row per measured number: benchmark,
measure, value, goal, note. A benchmark that fails (exit status other than 0, or no summary) is
marked FAILED in the table, the others still run, and the exit status is 1.

`make bench` runs it inside scripts/with-postgres.sh (bench/load.py's PostgreSQL rows) and
scripts/with-chromium.sh (bench/pages.py drives Chromium):

    bash scripts/with-postgres.sh bash scripts/with-chromium.sh .venv/bin/python bench/all.py [--only load,api]

Nothing is asserted on time: every number is printed against its goal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ORDER = ("engine", "api", "pages", "load")


def discover() -> list[Path]:
    found = {p.stem: p for p in BENCH.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_")}
    first = [found.pop(name) for name in ORDER if name in found]
    return first + [found[name] for name in sorted(found)]


def run(script: Path, summary: Path) -> tuple[int, float]:
    """Exit status and seconds of one benchmark; its output goes straight through."""
    print(f"\n===== bench/{script.name} =====", flush=True)
    started = time.perf_counter()
    status = subprocess.run(
        [sys.executable, str(script), "--summary-json", str(summary)], cwd=ROOT, stdin=subprocess.DEVNULL
    ).returncode
    seconds = time.perf_counter() - started
    print(f"===== bench/{script.name}: exit status {status}, {seconds:.0f} s =====", flush=True)
    return status, seconds


def read_rows(summary: Path) -> list[dict[str, str]] | None:
    try:
        rows = json.loads(summary.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(rows, list):
        return None
    return [{k: str(row.get(k, "")) for k in ("measure", "value", "goal", "note")} for row in rows]


def table(rows: list[tuple[str, str, str, str, str]]) -> str:
    header = ("benchmark", "measure", "value", "goal", "note")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = []
    for i, r in enumerate([header, *rows]):
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].rjust(widths[2]), r[3].ljust(widths[3]), r[4]]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names (engine, api, pages, load, ...) to run alone")
    args = parser.parse_args()
    scripts = discover()
    if args.only:
        wanted = {name.strip().removesuffix(".py") for name in args.only.split(",")}
        unknown = wanted - {s.stem for s in scripts}
        if unknown:
            there = ", ".join(s.stem for s in scripts)
            parser.error(f"--only: no bench/{', '.join(sorted(unknown))}.py; there are {there}")
        scripts = [s for s in scripts if s.stem in wanted]

    print(f"bench/all.py: {', '.join(s.name for s in scripts)} on {os.cpu_count()} cores", flush=True)
    started = time.perf_counter()
    rows: list[tuple[str, str, str, str, str]] = []
    failed: list[str] = []
    times: list[str] = []
    with tempfile.TemporaryDirectory(prefix="llm-tco-bench-all-") as tmp:
        for script in scripts:
            summary = Path(tmp) / f"{script.stem}.json"
            status, seconds = run(script, summary)
            times.append(f"{script.stem} {seconds:.0f} s")
            got = read_rows(summary)
            for row in got or []:
                rows.append((script.name, row["measure"], row["value"], row["goal"], row["note"]))
            if status != 0 or got is None:
                failed.append(script.name)
                why = f"exit status {status}" if status != 0 else "no summary written"
                rows.append((script.name, "(the benchmark)", "FAILED", "", f"{why}; its output above"))

    total = time.perf_counter() - started
    print(f"\n===== summary of every benchmark ({total / 60:.1f} min: {', '.join(times)}) =====")
    print(table(rows))
    if failed:
        print(f"\nbench/all.py: FAILED: {', '.join(failed)} (their output above)")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
