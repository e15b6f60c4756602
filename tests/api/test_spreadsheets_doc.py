"""docs/spreadsheets.md, run as written against live servers (issue 19).

Two servers on real sockets (uvicorn in a thread), the presets saved as scenarios 1-6 and scenario 3
edited once (so revision 2 exists): local mode, where the doc's `HOST:8000` and `127.0.0.1:8000` point,
and a team deployment, where its `tco.example.com` points, with a read token for `tco_...` and a share
link to scenario 3's revision 2 for `<secret>`. `ID` is 3 and `N` is 2. Then:

- every URL the doc names answers 200 (on the team server, an /api/v1 URL with the token, as section 9
  sends it; a share link's without one), with a body of its kind;
- every `sh` block's curl command is sent as written (method, headers, body file);
- the JSON request bodies (section 7's ranges) are estimated, and their ranges seeded;
- the Python block (section 10) runs, against the local server;
- the LibreOffice formula (section 5b) is recalculated by LibreOffice Calc itself, headless, when
  soffice is installed (`make test` installs it; without it that test is skipped, saying so).

Google Sheets' and Excel's own formulas (IMPORTDATA, Power Query's M, Apps Script) cannot run here:
their URLs, with the query and header they send, are among those checked.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine
from suitekit import serving

import app.db.models  # noqa: F401  (registers the tables)
from app import saved
from app.auth import accounts
from app.db import queries
from app.main import create_app
from app.presets import presets
from app.review import create_share
from app.settings import Settings

pytestmark = pytest.mark.xdist_group("spreadsheets-doc")
"""One pytest-xdist worker runs this module: the two servers (`live`) start once, not once per worker
that runs one of these tests."""

DOC = Path(__file__).resolve().parents[2] / "docs" / "spreadsheets.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = re.findall(r"^ *```(\w*)\n(.*?)^ *```", TEXT, flags=re.S | re.M)
URL = re.compile(r"https?://[^\s`\"'()\]<>]+(?:<secret>[^\s`\"'()\]<>]*)?")
ID, N = "3", "2"


def _app(engine: Engine, **settings: Any) -> Any:
    app = create_app(Settings(database_url="sqlite://", seed_presets=False, secret_key="k" * 40, **settings))
    app.state.session_factory = lambda: Session(engine, expire_on_commit=False)
    return app


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Both servers, on SQLite files of their own, and the values the doc's placeholders stand for."""
    folder = tmp_path_factory.mktemp("spreadsheets-doc")
    engines = {}
    for mode in ("local", "team"):
        engine = create_engine(f"sqlite:///{folder / mode}.sqlite3", connect_args={"check_same_thread": False})
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            assert saved.seed_presets(session, author="doc") == len(presets())
        engines[mode] = engine
    with Session(engines["team"], expire_on_commit=False) as session:
        user = accounts.create_user(session, username="budget", role="editor", password="a long password", actor="t")
        _, token = accounts.create_token(session, user=user, name="Budget sheet", scope="read", days=1)
        _, write = accounts.create_token(session, user=user, name="setup", scope="write", days=1)
    with serving(_app(engines["local"])) as local, serving(_app(engines["team"], auth_required=True)) as team:
        for host, headers in ((local, {}), (team, {"Authorization": f"Bearer {write}"})):
            edit = {"revision": 1, "scenario": {"name": "Content moderation at scale", "horizon_months": 24}}
            assert httpx.put(f"http://{host}/api/v1/scenarios/{ID}", json=edit, headers=headers).status_code == 200
        with Session(engines["team"], expire_on_commit=False) as session:
            row = queries.get_scenario(session, scenario_id=int(ID))
            assert row is not None
            _, secret = create_share(session, row=row, revision=int(N), actor="budget", days=1)
        yield {"local": local, "team": team, "token": token, "secret": secret}


def concrete(text: str, live: dict[str, str]) -> str:
    """The doc's placeholders replaced by the live servers' values."""
    text = text.replace("http://HOST:8000", f"http://{live['local']}").replace("127.0.0.1:8000", live["local"])
    text = text.replace("https://tco.example.com", f"http://{live['team']}").replace("<secret>", live["secret"])
    text = text.replace("tco_...", live["token"])
    text = re.sub(r"/scenarios/ID\b", f"/scenarios/{ID}", text)
    return re.sub(r"revision=N\b", f"revision={N}", text)


def doc_urls() -> list[str]:
    """Every URL the doc names outside its sh and python blocks (those run as they are, below) and its
    Apps Script (which builds section 9's curl URL from its arguments)."""
    prose = TEXT
    for language, body in BLOCKS:
        if language in ("sh", "python", "js"):
            prose = prose.replace(body, "")
    urls = {u.rstrip(".,;:") for u in URL.findall(prose)}
    return sorted(u for u in urls if "/docs" not in u and ":8000/api/v1/export." not in u)


@pytest.mark.parametrize("url", doc_urls())
def test_every_url_in_the_doc_answers(live: dict[str, str], url: str) -> None:
    address = concrete(url, live)
    headers = {}
    if live["team"] in address and "/api/v1/" in address:
        headers["Authorization"] = f"Bearer {live['token']}"  # section 9: the header, never the address
    answer = httpx.get(address, headers=headers, timeout=60)
    assert answer.status_code == 200, (address, answer.text[:300])
    kind = answer.headers["content-type"]
    if ".csv" in address:
        first = answer.text.split(",", 1)[0]
        assert kind.startswith("text/csv") and first in ("month", "scenario", "year", "at", "model")
    elif ".xlsx" in address:
        assert openpyxl.load_workbook(io.BytesIO(answer.content))["Summary"]
    elif "/api/" in address or ".json" in address:
        assert kind.startswith("application/json") and answer.json() is not None


def test_every_curl_command_runs_as_written(live: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "scenario.json").write_text(json.dumps({"name": "Posted"}))
    commands = [c for language, body in BLOCKS if language == "sh" for c in _commands(body)]
    assert len(commands) >= 3
    for command in commands:
        args = shlex.split(concrete(command, live))
        assert args[0] == "curl", command
        method, headers, body, out, url = "GET", {}, None, None, ""
        it = iter(args[1:])
        for arg in it:
            if arg == "-X":
                method = next(it)
            elif arg == "-H":
                name, value = next(it).split(":", 1)
                headers[name.strip()] = value.strip()
            elif arg == "-d":
                data = next(it)
                body = (tmp_path / data[1:]).read_bytes() if data.startswith("@") else data.encode()
                method = "POST" if method == "GET" else method
            elif arg == "-o":
                out = tmp_path / next(it)
            else:
                url = arg
        answer = httpx.request(method, url, headers=headers, content=body, timeout=60)
        assert answer.status_code == 200, (command, answer.text[:300])
        if out is not None:
            out.write_bytes(answer.content)
            assert out.stat().st_size > 0


def _commands(block: str) -> list[str]:
    return [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip().startswith("curl ")]


def test_the_json_bodies_are_accepted(live: dict[str, str]) -> None:
    """Section 7's scenario with ranges: estimated with its percentiles, and the seeds' ranges added."""
    bodies = [json.loads(body) for language, body in BLOCKS if language == "json" and '"ranges"' in body]
    assert bodies
    for body in bodies:
        url = f"http://{live['local']}/api/v1"
        answer = httpx.post(f"{url}/estimate?uncertainty=true", json=body, timeout=120)
        assert answer.status_code == 200, answer.text[:500]
        assert answer.json()["uncertainty"]["draws"] == body["uncertainty"]["draws"]
        assert httpx.post(f"{url}/ranges/seeds", json=body, timeout=60).status_code == 200


def test_the_python_block_runs(live: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = [body for language, body in BLOCKS if language == "python"]
    scenarios = [{"name": f"Batch {i}", "workload": {"requests_per_month": 10_000 * (i + 1)}} for i in range(3)]
    exec(concrete(re.sub(r"^  ", "", code, flags=re.M), live), {"scenarios": scenarios})
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(" ")[:2] for line in printed] == [["Batch", str(i)] for i in range(3)]


LIBREOFFICE = shutil.which("soffice")


@pytest.mark.skipif(not LIBREOFFICE, reason="LibreOffice is not installed (`make test` installs it)")
def test_the_libreoffice_import_reads_numbers_and_a_decimal_comma_locale_reads_text(
    live: dict[str, str], tmp_path: Path
) -> None:
    """Section 5b's command, as written: LibreOffice Calc fetches the CSV over HTTP and imports it with
    the English (USA) language, so every money cell is a number; with German (Germany), 1031, the same
    cells are text (what the doc warns of)."""
    (command,) = [
        c for language, body in BLOCKS if language == "sh" for c in body.splitlines() if c.startswith("soffice ")
    ]
    cells = {}
    for language in ("1033", "1031"):
        args = shlex.split(concrete(command, live).replace(",,1033", f",,{language}"))
        args[0:1] = [str(LIBREOFFICE), f"-env:UserInstallation=file://{tmp_path / 'profile'}"]
        args[-1:-1] = ["--outdir", str(tmp_path / language)]
        run = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        (made,) = (tmp_path / language).glob("*.xlsx")
        sheet = openpyxl.load_workbook(made).active
        header = [c.value for c in sheet[1]]
        cells[language] = {name: sheet.cell(2, header.index(name) + 1).value for name in header}
    usd = [name for name in cells["1033"] if name.endswith("_usd")]
    assert usd and all(isinstance(cells["1033"][name], (int, float)) for name in usd)
    assert re.fullmatch(r"\d{4}-\d{2}", cells["1033"]["period"])  # kept as text, not turned into a date
    fractional = [name for name in usd if isinstance(cells["1033"][name], float) and cells["1033"][name] % 1]
    assert fractional and all(isinstance(cells["1031"][name], str) for name in fractional)


@pytest.mark.skipif(not LIBREOFFICE, reason="LibreOffice is not installed (`make test` installs it)")
def test_the_audit_csvs_time_is_a_date_and_time_to_libreoffice(live: dict[str, str], tmp_path: Path) -> None:
    url = f"http://{live['local']}/api/v1/scenarios/{ID}/audit.csv"
    args = [str(LIBREOFFICE), f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless"]
    args += ["--convert-to", "xlsx", "--infilter=CSV:44,34,76,1,,1033", "--outdir", str(tmp_path), url]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    (made,) = tmp_path.glob("*.xlsx")
    sheet = openpyxl.load_workbook(made).active
    assert sheet["A1"].value == "at" and isinstance(sheet["A2"].value, dt.datetime), sheet["A2"].value
