"""Rules the test suite keeps about itself, so that it can run in parallel (used by tests/conftest.py),
and how one test file reaches another's helpers (tests/ has no packages)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sys
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

TESTS = Path(__file__).resolve().parent


def load(name: str, path: Path) -> ModuleType:
    """The module at `path`, loaded once under `name` (later calls return the same module, so fixtures
    re-exported from it by several conftests are one and the same)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def duplicate_node_ids(nodeids: Iterable[str]) -> list[str]:
    """Node ids that name more than one collected test. pytest-xdist schedules tests by node id: of two
    tests sharing one, it runs one and says nothing (schemathesis cases of an unparametrized test all
    had one id, and 44 tests vanished from the parallel run that way)."""
    return sorted(nodeid for nodeid, n in Counter(nodeids).items() if n > 1)


def ungrouped(items: Iterable[Any]) -> list[str]:
    """Node ids of tests marked `xdist_group` that pytest-xdist's `--dist loadgroup` did not name
    `<id>@<group>`: it schedules them one by one then, on any worker."""
    return [item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]


OWN_FORMULA = re.compile(rb"<f>SUM\((Monthly![A-Z]+\d+:[A-Z]+\d+,?)+\)</f>")
"""The only formulas a workbook we export may hold: its Summary and Annual totals, SUMs over Monthly."""


def xlsx_formulas(data: bytes) -> list[bytes]:
    """Every `<f>` element of an XLSX's worksheets, as written."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        return [f for n in sheets for f in re.findall(rb"<f[ >][^<]*</f>", archive.read(n))]


def move_the_catalog(monkeypatch: Any) -> None:
    """Make every re-price find new prices: prompting's input price 1% higher at each pricing than at the
    one before. A re-price that finds the prices a revision froze adds nothing (issue 17), so a test that
    needs a re-priced revision moves the catalog first."""
    from app import saved

    real = saved.price
    count = {"n": 0}

    def moved(scenario: Any, **kwargs: Any) -> Any:
        sheet = real(scenario, **kwargs)
        count["n"] += 1
        prompting = sheet.prompting.model_copy(update={"input": sheet.prompting.input * (1 + 0.01 * count["n"])})
        return sheet.model_copy(update={"prompting": prompting})

    monkeypatch.setattr(saved, "price", moved)


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` on a real socket, uvicorn in a thread: what curl, a spreadsheet or a generated client's
    own httpx client reaches. Yields `127.0.0.1:<port>`."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
