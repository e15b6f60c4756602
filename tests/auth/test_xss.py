"""User text is inert wherever it is shown: pages (parsed, never grepped: no element or attribute comes
from the text), exports (CSV cells cannot start a formula, XLSX cells are strings) and JSON (data)."""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
from pathlib import Path

import openpyxl
import pytest
from teamkit import Team

from app.presets import presets

_kit = Path(__file__).resolve().parent.parent / "web" / "htmlkit.py"
_spec = importlib.util.spec_from_file_location("htmlkit_for_auth", _kit)
assert _spec is not None and _spec.loader is not None
htmlkit = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = htmlkit
_spec.loader.exec_module(htmlkit)

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    '=HYPERLINK("http://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "@SUM(1)",
]
API = "/api/v1/scenarios"


def _assert_inert(html: str, where: str) -> None:
    root = htmlkit.dom(html)
    injected = [n for n in root.iter() if n.tag == "script" and not n.attrs.get("src")]
    assert not injected, f"{where}: an inline script"
    assert not root.find_all("img"), f"{where}: an injected element"
    for node in root.iter():
        assert not any(k.startswith("on") for k in node.attrs), f"{where}: an event attribute on <{node.tag}>"
        assert not node.attrs.get("href", "").lower().startswith("javascript:"), f"{where}: a javascript: link"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_text_a_user_types_is_inert_in_pages(team: Team, payload: str) -> None:
    editor, admin = team.signed_in("editor"), team.signed_in("admin")
    scenario = next(iter(presets().values())).scenario.model_dump(mode="json")
    scenario |= {"name": payload, "description": payload}
    scenario["ranges"] = {"team.label_cost_usd": {"low": 5, "high": 20, "source": payload}}
    scenario["team"]["label_cost_usd"] = 10
    created = editor.post(API, json=scenario)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    editor.post(f"{API}/{sid}/comments", json={"revision": 1, "body": payload})
    editor.put(f"{API}/{sid}", json={"revision": 1, "scenario": scenario | {"description": payload + "!"}})
    other = editor.post(API, json={"name": "Plain"}).json()["id"]
    admin.post("/account/tokens", data={"name": payload, "scope": "read", "days": "5"})
    shared = editor.post(f"/scenarios/{sid}/shares", data={"revision": "1"})
    secret = shared.text.split("/shared/", 1)[1].split('"', 1)[0]
    pages = {
        "list": editor.get("/scenarios").text,
        "scenario": editor.get(f"/scenarios/{sid}").text,
        "old revision": editor.get(f"/scenarios/{sid}?revision=1").text,
        "diff": editor.get(f"/scenarios/{sid}/diff?a=1&b=2").text,
        "edit": editor.get(f"/scenarios/{sid}/edit").text,
        "compare": editor.get(f"/compare?ids={sid}&ids={other}").text,
        "account": admin.get("/account").text,
        "audit": admin.get("/admin/audit").text,
        "shared": team.anonymous().get(f"/shared/{secret}").text,
        "share response": shared.text,
        "search": editor.get("/scenarios", params={"q": payload}).text,
    }
    for where, html in pages.items():
        _assert_inert(html, where)
    for where in ("scenario", "shared", "list"):  # shown as typed: text, not markup, not a template
        assert payload in htmlkit.dom(pages[where]).text(), where


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p[0] in "=+-@"])
def test_exports_never_carry_a_formula(team: Team, payload: str) -> None:
    editor = team.signed_in("editor")
    sid = editor.post(API, json={"name": payload, "description": payload}).json()["id"]
    editor.post(f"{API}/{sid}/comments", json={"revision": 1, "body": payload})
    for url in (f"{API}/{sid}/audit.csv", f"{API}/{sid}/export.csv", "/admin/audit.csv"):
        client = team.signed_in("admin")
        for row in csv.reader(io.StringIO(client.get(url).text)):
            for cell in row:
                assert not cell.startswith(("=", "+", "@")) and not cell.startswith("-" + payload[1:2]), (url, cell)
    book = openpyxl.load_workbook(io.BytesIO(editor.get(f"{API}/{sid}/export.xlsx").content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and payload[1:] in cell.value:
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
    assert editor.get(f"{API}/{sid}/export.json").json()["scenario_name"] == payload  # JSON keeps the data as typed
