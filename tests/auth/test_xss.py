"""User text is inert wherever it is shown.

Pages are parsed (tests/web/htmlkit.py), never grepped: no element or attribute may come from the text,
and where the text is shown it reads as typed (`{{7*7}}` is not 49). Charts: plotly.js reads a
pseudo-HTML subset in trace names and labels, so user text in a figure must hold no tag once plotly
has decoded it. Exports: CSV cells cannot start a formula, XLSX text cells are strings (never
formulas) with the quote prefix when risky, JSON is the data as typed.

Every text field a user can type: scenario name, description, a range's source, comments (on their
own, with a submission and with a request for changes), API token names, and what the forms echo
back (a bad number, a model id, a username, a preset, the sign-in form's `next`).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from suitekit import OWN_FORMULA, xlsx_formulas
from teamkit import Team, htmlkit

from app.exports import risky
from app.presets import presets
from app.web.figures import plotly_text

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    '=HYPERLINK("http://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1)",
    '<a href="https://evil.example">x</a> & <b>y</b>',
]
FORMULAS = [p for p in PAYLOADS if risky(p)]
API = "/api/v1/scenarios"
RANGED = "team.label_cost_usd"

# --- what a browser (or plotly.js) would make of the text ---


@functools.lru_cache(maxsize=32)
def parsed(html: str) -> Any:
    """Each page parsed once, whatever number of checks read it (parsing is most of these tests' time)."""
    return htmlkit.dom(html)


def assert_inert(html: str, where: str) -> None:
    """No script, image, frame or event handler came from user text, and no javascript: link."""
    root = parsed(html)
    assert not [n for n in root.iter() if n.tag == "script" and not n.attrs.get("src")], f"{where}: an inline script"
    for tag in ("img", "iframe", "object", "embed", "svg"):
        assert not root.find_all(tag), f"{where}: an injected <{tag}>"
    for node in root.iter():
        assert not any(k.startswith("on") for k in node.attrs), f"{where}: an event attribute on <{node.tag}>"
        for attr in ("href", "src", "action", "formaction"):
            assert not node.attrs.get(attr, "").strip().lower().startswith("javascript:"), f"{where}: {attr}"
        if node.tag == "a" and node.attrs.get("href", "").startswith("https://evil"):
            raise AssertionError(f"{where}: an injected link")


PLOTLY_ENTITIES = {"mu": "μ", "amp": "&", "lt": "<", "gt": ">", "nbsp": "\xa0", "times": "×", "plusmn": "±", "deg": "°"}


def plotly_decoded(text: str) -> str:
    """What plotly.js 4 shows of the text between tags (svg_text_utils.convertEntities)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#"):
            return chr(int(name[2:], 16) if name[1:2] == "x" else int(name[1:]))
        return PLOTLY_ENTITIES.get(name, match.group(0))

    return re.sub(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);", one, text)


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def assert_figures_inert(html: str, payload: str, where: str) -> int:
    """Every figure string that carries the payload makes no tag in plotly.js and shows it as typed.
    Returns how many strings carried it."""
    carried = 0
    for chart in parsed(html).iter():
        if "data-figure" not in chart.attrs:
            continue
        for text in strings(json.loads(chart.attrs["data-figure"])):
            shown = plotly_decoded(text)
            if payload in text or payload in shown:
                carried += 1
                assert "<" not in text and ">" not in text, f"{where}: plotly.js would read a tag in {text!r}"
                assert payload in shown, f"{where}: plotly.js would show {shown!r}"
    return carried


def shown_as_typed(html: str, payload: str) -> bool:
    return payload in parsed(html).text()


# --- one deployment full of the payload ---


def _share_url(html: str) -> str:
    links = [n.attrs["value"] for n in htmlkit.dom(html).iter() if n.attrs.get("id") == "share-url"]
    assert len(links) == 1, "the new share link is shown once"
    return "/shared/" + links[0].split("/shared/", 1)[1]


def _scenario_with(payload: str) -> dict[str, Any]:
    scenario = next(iter(presets().values())).scenario.model_dump(mode="json")
    scenario |= {"name": payload, "description": payload}
    scenario["ranges"] = {RANGED: {"low": 5, "high": 20, "source": payload}}
    scenario["team"]["label_cost_usd"] = 10
    return scenario


def _fill(team: Team, payload: str) -> dict[str, Any]:
    """A scenario whose every text is the payload, commented, reviewed, shared and compared."""
    editor, reviewer, admin = team.signed_in("editor"), team.signed_in("reviewer"), team.signed_in("admin")
    scenario = _scenario_with(payload)
    created = editor.post(API, json=scenario)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert editor.post(f"{API}/{sid}/comments", json={"revision": 1, "body": payload}).status_code == 201
    form = editor.post(
        f"/scenarios/{sid}/comments", data={"revision": "1", "body": payload + " (form)"}, follow_redirects=False
    )
    assert form.status_code == 303, form.text[:300]
    assert editor.post(f"{API}/{sid}/submit", json={"revision": 1, "comment": payload}).status_code == 200
    changes = reviewer.post(f"{API}/{sid}/request-changes", json={"revision": 1, "comment": payload})
    assert changes.status_code == 200, changes.text
    edited = editor.put(f"{API}/{sid}", json={"revision": 1, "scenario": scenario | {"description": payload + "!"}})
    assert edited.status_code == 200, edited.text
    other = editor.post(API, json={"name": "Plain"}).json()["id"]
    assert admin.post("/account/tokens", data={"name": payload, "scope": "read", "days": "5"}).status_code == 201
    shared = editor.post(f"/scenarios/{sid}/shares", data={"revision": "1"})
    assert shared.status_code == 201, shared.text[:300]
    return {
        "sid": sid,
        "other": other,
        "editor": editor,
        "admin": admin,
        "share page": shared.text,
        "shared": _share_url(shared.text),
    }


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_text_a_user_types_is_inert_in_pages(team: Team, payload: str) -> None:
    made = _fill(team, payload)
    sid, editor, admin = made["sid"], made["editor"], made["admin"]
    anonymous = team.anonymous()
    pages = {
        "list": editor.get("/scenarios"),
        "search": editor.get("/scenarios", params={"q": payload}),
        "scenario": editor.get(f"/scenarios/{sid}"),
        "old revision": editor.get(f"/scenarios/{sid}?revision=1"),
        "uncertainty": editor.get(f"/scenarios/{sid}/uncertainty"),
        "diff": editor.get(f"/scenarios/{sid}/diff?a=1&b=2"),
        "edit form": editor.get(f"/scenarios/{sid}/edit"),
        "compare": editor.get(f"/compare?ids={sid}&ids={made['other']}"),
        "account": admin.get("/account"),
        "audit": admin.get("/admin/audit"),
        "share response": made["share page"],
        "shared": anonymous.get(made["shared"]),
    }
    htmls = {k: v if isinstance(v, str) else v.text for k, v in pages.items()}
    for where, response in pages.items():
        if not isinstance(response, str):
            assert response.status_code == 200, (where, response.status_code)
    for where, html in htmls.items():
        assert_inert(html, where)
    for where in ("list", "scenario", "edit form", "shared", "compare", "account", "audit"):
        assert shown_as_typed(htmls[where], payload), f"{where}: the text is not shown as typed"
    edit_form = htmlkit.form_data(parsed(htmls["edit form"]).find("form", id="calculator"))
    assert edit_form["name"] == [payload] and edit_form[f"ranges.{RANGED}.source"] == [payload]
    assert assert_figures_inert(htmls["compare"], payload, "compare") >= 1  # the legend names the scenario


@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)  # what is echoed is never stored
@pytest.mark.parametrize("payload", PAYLOADS)
def test_what_the_forms_echo_back_is_inert(team: Team, payload: str) -> None:
    """Typed values the app sends back: in the calculator, a bad number's message, a bad edit, a
    refused sign-in, a refused username, an unknown preset, an unknown page."""
    editor, admin = team.signed_in("editor"), team.signed_in("admin")
    sid = editor.post(API, json={"name": "Echo"}).json()["id"]
    typed = {
        "name": payload,
        "description": payload,
        RANGED: "10",
        f"ranges.{RANGED}.low": "5",
        f"ranges.{RANGED}.high": "20",
        f"ranges.{RANGED}.source": payload,
    }
    bad = {"workload.requests_per_month": payload, "prompting.model": payload}
    htmx = {"HX-Request": "true"}
    anonymous = team.anonymous()
    responses = {
        "calculator": editor.get("/", params=typed),
        "calculator, bad values": editor.get("/", params=typed | bad),
        "calculator fragment, bad values": editor.get("/", params=typed | bad, headers=htmx),
        "calculator fragment": editor.get("/", params=typed, headers=htmx),
        "uncertainty panel": editor.get("/uncertainty", params=typed),
        "seed ranges": editor.get("/ranges/seeds", params=typed),
        "unknown preset": editor.get("/", params={"preset": payload}),
        "save, bad values": editor.post("/scenarios", data=typed | bad),
        "edit, bad values": editor.post(f"/scenarios/{sid}/edit", data=typed | bad | {"revision": "1"}),
        "model options": editor.get("/catalog/options/prompting.model", params={"prompting.model": payload}),
        "catalog search": editor.get("/catalog", params={"q": payload}),
        "compare, bad ids": editor.get("/compare", params={"ids": payload}),
        "old revision, bad number": editor.get(f"/scenarios/{sid}", params={"revision": payload}),
        "unknown page": editor.get("/no/" + payload),
        "sign-in, next": anonymous.get("/sign-in", params={"next": payload}),
        "admin, bad username": admin.post(
            "/admin/users", data={"username": payload, "role": "viewer", "password": "p" * 12}
        ),
        "token, bad days": admin.post("/account/tokens", data={"name": payload, "scope": "read", "days": payload}),
    }
    for where, response in responses.items():
        assert response.status_code < 500, where
        assert_inert(response.text, where)
    for where in ("calculator", "calculator, bad values", "save, bad values", "edit, bad values"):
        form = htmlkit.form_data(htmlkit.dom(responses[where].text).find("form", id="calculator"))
        assert form["name"] == [payload] and form[f"ranges.{RANGED}.source"] == [payload], where
    assert shown_as_typed(responses["calculator fragment, bad values"].text, payload)  # its message quotes it
    sign_in = team.anonymous()
    pre = sign_in.get("/sign-in")
    csrf = htmlkit.form_data(htmlkit.dom(pre.text).find("form"))["csrf_token"][0]
    refused = sign_in.post(
        "/sign-in", data={"username": payload, "password": "wrong", "next": payload, "csrf_token": csrf}
    )
    assert refused.status_code == 401
    assert_inert(refused.text, "sign-in refused")
    assert htmlkit.form_data(htmlkit.dom(refused.text).find("form"))["next"] == ["/"]  # never an outside target


def test_plotly_text_makes_no_tag_and_shows_as_typed() -> None:
    for payload in [*PAYLOADS, "\"quoted\" & 'single'", "&lt;already an entity&gt;", "&#60;b&#62;"]:
        text = plotly_text(payload)
        assert "<" not in text and ">" not in text
        assert plotly_decoded(text) == payload, payload


# --- exports ---


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_csv_inert(text: str, payload: str, where: str) -> None:
    cells = _csv_cells(text)
    for cell in cells:
        assert not risky(cell) or _is_number(cell), f"{where}: {cell!r} starts a formula"
    assert any(payload in cell for cell in cells), f"{where}: the payload is missing"


def assert_xlsx_inert(data: bytes, payload: str, where: str) -> None:
    # no formula but the workbook's own totals (SUMs over the Monthly sheet)
    assert all(OWN_FORMULA.fullmatch(f) for f in xlsx_formulas(data)), f"{where}: a formula"
    book = openpyxl.load_workbook(io.BytesIO(data))
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or (
                    cell.data_type == "f" and OWN_FORMULA.fullmatch(b"<f>%s</f>" % cell.value[1:].encode())
                ):
                    continue  # a number, or one of the workbook's own totals (checked above)
                at = f"{where} {sheet.title}!{cell.coordinate}"
                assert cell.data_type == "s", at
                assert not risky(cell.value) or cell.quotePrefix, f"{at}: no quote prefix on {cell.value!r}"
                if cell.value == payload:
                    found.append(at)
    assert found, f"{where}: the payload is not a cell as typed"


@pytest.mark.parametrize("payload", FORMULAS)
def test_exports_never_carry_a_formula(team: Team, payload: str) -> None:
    made = _fill(team, payload)
    sid, editor, admin = made["sid"], made["editor"], made["admin"]
    reader = team.bearer("viewer")
    scenario = _scenario_with(payload)
    anonymous = team.anonymous()
    csvs = {
        "saved CSV": reader.get(f"{API}/{sid}/export.csv").text,
        "saved CSV, revision 1": reader.get(f"{API}/{sid}/export.csv?revision=1").text,
        "posted CSV": editor.post("/api/v1/export.csv", json=scenario).text,
        "shared CSV": anonymous.get(made["shared"] + "/export.csv").text,
        "audit CSV": reader.get(f"{API}/{sid}/audit.csv").text,
        "admin audit CSV": admin.get("/admin/audit.csv").text,
    }
    for where, text in csvs.items():
        assert_csv_inert(text, payload, where)
    for where in ("saved CSV", "posted CSV", "shared CSV"):
        names = {row["scenario"] for row in csv.DictReader(io.StringIO(csvs[where]))}
        assert names == {"'" + payload}, where
    xlsxs = {
        "saved XLSX": reader.get(f"{API}/{sid}/export.xlsx").content,
        "posted XLSX": editor.post("/api/v1/export.xlsx", json=scenario).content,
        "shared XLSX": anonymous.get(made["shared"] + "/export.xlsx").content,
    }
    for where, data in xlsxs.items():
        assert_xlsx_inert(data, payload, where)
    document = reader.get(f"{API}/{sid}/export.json").json()  # JSON keeps the data as typed
    assert document["scenario_name"] == payload
    assert document["scenario"]["description"] == payload + "!"
    assert document["scenario"]["ranges"][RANGED]["source"] == payload
    assert payload in [c["body"] for c in reader.get(f"{API}/{sid}/comments").json()]


def test_the_quote_prefix_keeps_the_text_as_typed(client: TestClient) -> None:
    """A risky name is one string cell, as typed, carrying Excel's hidden `'`; a plain one carries none."""
    for name, prefixed in (("=1+2", True), ("-5", True), ("Plain = fine", False)):
        data = client.post("/api/v1/export.xlsx", json={"name": name}).content
        cell = openpyxl.load_workbook(io.BytesIO(data))["Summary"]["B2"]
        assert (cell.value, cell.data_type, bool(cell.quotePrefix)) == (name, "s", prefixed)
