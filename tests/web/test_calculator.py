"""The calculator at `/`: the form derived from the model, the htmx recompute, errors beside their field,
the link that reopens the inputs, and the page's craft (labels, no inline script, hashed static files)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import QueryParams

from app.engine import Scenario
from app.engine.scenario import next_month
from app.presets import presets
from app.web import fields, forms

HX = {"HX-Request": "true"}


class Page(HTMLParser):
    """The elements of a page as (tag, attrs, text inside) — enough to check structure, not grep it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[dict[str, Any]] = []
        self._open: list[dict[str, Any]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in ("input", "meta", "link", "br", "img", "option", "source"):
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i]["tag"] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element["text"] += data

    def find(self, tag: str | None = None, **attrs: str) -> list[dict[str, Any]]:
        return [
            e
            for e in self.elements
            if (tag is None or e["tag"] == tag) and all(e["attrs"].get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> dict[str, Any]:
        [element] = self.find(id=element_id)
        return element


def text_of(page: Page, element_id: str) -> str:
    return " ".join(page.by_id(element_id)["text"].split())


# --- the form is the model ---


def _leaves(document: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in document.items():
        out |= _leaves(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return out


def test_every_scenario_input_has_exactly_one_field_with_label_help_and_bounds() -> None:
    specs = fields.all_fields()
    # extra_costs is a list of rows, each with its own inputs (templates/_extra_costs.html), and so are
    # the API models to compare (templates/_candidates.html: a picker and a box per row)
    lists = {"extra_costs", "prompting.candidates", "prompting.acceptable"}
    assert set(specs) == _leaves(Scenario().model_dump()) - lists
    for spec in specs.values():
        assert spec.label and spec.help, spec.path
        if spec.kind in ("number", "integer"):
            assert spec.minimum is not None and spec.maximum is not None, spec.path
            assert spec.unit, spec.path
    grouped = [f.path for g in fields.groups() for f in (*g.fields, *(f for s in g.subgroups for f in s.fields))]
    assert len(grouped) == len(set(grouped)) == len(specs) - len(fields.about_fields())


def test_the_form_has_the_groups_of_the_issue_in_order(calculator: TestClient) -> None:
    page = Page(calculator.get("/").text)
    legends = [" ".join(e["text"].split()) for e in page.find("legend", class_="visually-hidden")]
    assert legends == [
        "Workload",
        "Your task",
        "Team and data",
        "Prompting",
        "RAG",
        "Fine-tuning",
        "Horizon",
        "Finance",
        "Monte Carlo",
    ]


# --- parsing ---


@pytest.mark.parametrize("slug", sorted(presets()))
def test_form_values_and_the_short_link_round_trip_every_preset(slug: str) -> None:
    scenario = presets()[slug].scenario
    assert forms.parse(forms.values_of(scenario)).scenario == scenario
    linked = forms.parse(QueryParams(forms.query_of(scenario))).scenario
    assert linked == scenario.model_copy(update={"description": ""})  # the link leaves the paragraph out


def test_the_defaults_give_a_link_of_the_start_month_alone() -> None:
    """The default start month moves with the calendar: a link keeps it, so it gives the same months
    whenever it is opened."""
    assert forms.query_of(Scenario(start_month="2027-01")) == "start_month=2027-01"
    assert forms.query_of(Scenario()) == f"start_month={next_month()}"


@pytest.mark.parametrize(
    ("text", "value"), [("1,000,000", 1_000_000.0), ("2.5e6", 2.5e6), (" 12 000 ", 12_000.0), ("5%", 0.05)]
)
def test_numbers_are_read_as_people_type_them(text: str, value: float) -> None:
    parsed = forms.parse({"workload.requests_per_month": text})
    assert parsed.scenario is not None and parsed.scenario.workload.requests_per_month == value


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        ("workload.requests_per_month", "abc", "'abc' is not a number"),
        ("workload.input_tokens", "2.5", "must be a whole number"),
        ("workload.input_tokens", "-1", "greater than or equal to 0"),
        ("horizon_months", "500", "less than or equal to 120"),
        ("workload.requests_per_month", "inf", "finite"),
    ],
)
def test_a_bad_value_is_a_message_for_its_field_and_keeps_the_text(path: str, text: str, message: str) -> None:
    parsed = forms.parse({path: text, "name": "kept"})
    assert parsed.scenario is None
    assert message in parsed.errors[path]
    assert parsed.values[path] == text and parsed.values["name"] == "kept"


def test_empty_optional_is_none_empty_required_is_the_default_and_checkboxes_read_the_last_value() -> None:
    form = QueryParams(
        [("fine_tuning.retrain_every_months", ""), ("workload.input_tokens", ""), ("rag.enabled", "false")]
    )
    parsed = forms.parse(form)
    assert parsed.scenario is not None
    assert parsed.scenario.fine_tuning.retrain_every_months is None
    assert parsed.scenario.workload.input_tokens == Scenario().workload.input_tokens
    assert parsed.scenario.rag.enabled is False
    ticked = forms.parse(QueryParams([("rag.enabled", "false"), ("rag.enabled", "true")]))
    assert ticked.scenario is not None and ticked.scenario.rag.enabled is True


def test_a_rule_across_fields_goes_to_its_section() -> None:
    parsed = forms.parse({"workload.requests_per_month": "10", "workload.requests_per_day": "1"})
    assert "not both" in parsed.errors["workload"]


# --- the page ---


def test_the_page_answers_with_results_for_a_preset(calculator: TestClient) -> None:
    response = calculator.get("/", params={"preset": "content-moderation"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    page = Page(response.text)
    assert text_of(page, "verdict-title") == "Recommendation: Fine-tuning"
    assert text_of(page, "tco-ratio") == "3.46x"
    assert page.by_id("f-workload__requests_per_day")["attrs"]["value"] == "500000"
    assert {c["attrs"]["id"] for c in page.find("div", class_="chart")} == {
        "chart-cumulative",
        "chart-savings",
        "chart-monthly",
        "chart-volume",
    }
    assert len(page.find("details", class_="numbers")) == 4
    assert all("open" not in d["attrs"] for d in page.find("details", class_="numbers"))


def test_an_unknown_preset_says_so_and_shows_the_defaults(calculator: TestClient) -> None:
    response = calculator.get("/", params={"preset": "nope"})
    assert response.status_code == 422
    assert "No example called 'nope'" in text_of(Page(response.text), "err-form")


def test_every_control_has_a_label_and_no_script_is_inline(calculator: TestClient) -> None:
    page = Page(calculator.get("/", params={"preset": "internal-docs-qa"}).text)
    labelled = {e["attrs"].get("for") for e in page.find("label")}
    controls = [e for e in page.elements if e["tag"] in ("input", "select", "textarea")]
    assert len(controls) > 90
    for control in controls:
        if control["attrs"].get("type") == "hidden":
            continue
        assert control["attrs"].get("id") in labelled, control["attrs"]
    for script in page.find("script"):
        assert script["attrs"].get("src", "").startswith("/static/") and not script["text"].strip()
    assert not [e for e in page.elements for a in e["attrs"] if a.startswith("on")]


def test_price_fields_show_the_catalog_price_and_its_date(calculator: TestClient) -> None:
    page = Page(calculator.get("/").text)
    field = page.by_id("f-prompting__prices__input")
    assert re.fullmatch(r"2 \(catalog, \d{4}-\d\d-\d\d\)", field["attrs"]["placeholder"])
    hint = text_of(page, "hint-prompting__prices__input")
    assert re.fullmatch(r"Catalog: 2 \(openai:gpt-6\.2-sol, \d{4}-\d\d-\d\d\)", hint), hint


def test_security_headers(calculator: TestClient) -> None:
    headers = calculator.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"]


# --- recompute (htmx) ---


def test_a_recompute_answers_the_fragment_and_the_short_link(calculator: TestClient) -> None:
    response = calculator.get("/", params={"workload.requests_per_month": "5,000,000"}, headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    assert response.headers["hx-replace-url"] == f"/?start_month={next_month()}&workload.requests_per_month=5000000"
    assert "hx-reswap" not in response.headers
    page = Page(response.text)
    assert not page.find("html") and not page.find("form")
    assert page.by_id("verdict-title")
    # valid: no field slots travel (app.js empties them), only the form-wide ones, emptied
    assert not page.find("p", class_="error")
    assert page.by_id("err-form")["attrs"]["hx-swap-oob"] == "true" and not text_of(page, "err-form")


def test_a_bad_value_keeps_the_last_results_and_fills_its_slot(calculator: TestClient) -> None:
    response = calculator.get("/", params={"workload.requests_per_month": "abc"}, headers=HX)
    assert response.status_code == 200  # htmx swaps only 2xx; HX-Reswap none keeps the results
    assert response.headers["hx-reswap"] == "none"
    assert "hx-replace-url" not in response.headers
    page = Page(response.text)
    assert not page.find(id="verdict-title")
    assert text_of(page, "err-workload__requests_per_month") == "'abc' is not a number"
    slots = {s["attrs"]["id"] for s in page.find("p", class_="error")}
    assert slots >= {f.error_id for f in fields.all_fields().values()}  # the others are emptied
    assert "1 field needs a fix" in text_of(page, "form-status")


def test_an_unknown_model_is_a_message_beside_the_model_field(calculator: TestClient) -> None:
    response = calculator.get("/", params={"prompting.model": "openai:gpt-4oo"}, headers=HX)
    message = text_of(Page(response.text), "err-prompting__model")
    assert "openai:gpt-4oo" in message and "openai:gpt-4o" in message.replace("openai:gpt-4oo", "")


def test_changing_the_model_moves_the_catalog_hints(calculator: TestClient) -> None:
    response = calculator.get("/", params={"prompting.model": "openai:gpt-4o-mini"}, headers=HX)
    hint = Page(response.text).by_id("hint-prompting__prices__input")
    assert hint["attrs"]["hx-swap-oob"] == "true"
    assert hint["attrs"]["data-placeholder"].startswith("0.15 (catalog, ")


def test_a_recompute_sends_the_catalog_hints_only_when_they_changed(calculator: TestClient) -> None:
    """The form says which hints it shows (`_hints`, from the page); typing a volume leaves them as they
    are and none travels; a new model sends them all, with the new key, which then stops them again."""
    page = Page(calculator.get("/").text)
    key = page.by_id("hints-key")["attrs"]["value"]
    assert re.fullmatch(r"[0-9a-f]{12}", key)
    typed = {"workload.requests_per_month": "2,000,000", "_hints": key}
    unchanged = Page(calculator.get("/", params=typed, headers=HX).text)
    assert not unchanged.find(id="hint-prompting__prices__input") and not unchanged.find(id="hints-key")
    assert unchanged.find(id="verdict-title")  # the results did come

    moved = Page(calculator.get("/", params={**typed, "prompting.model": "openai:gpt-4o-mini"}, headers=HX).text)
    new_key = moved.by_id("hints-key")
    assert new_key["attrs"]["hx-swap-oob"] == "true" and new_key["attrs"]["value"] != key
    assert moved.by_id("hint-prompting__prices__input")["attrs"]["data-placeholder"].startswith("0.15 (catalog, ")
    again = {**typed, "prompting.model": "openai:gpt-4o-mini", "_hints": new_key["attrs"]["value"]}
    assert not Page(calculator.get("/", params=again, headers=HX).text).find(id="hint-prompting__prices__input")


def test_the_link_reopens_the_same_inputs(calculator: TestClient) -> None:
    typed = {"workload.requests_per_month": "2,000,000", "task.kind": "knowledge", "rag.enabled": "true"}
    link = calculator.get("/", params=typed, headers=HX).headers["hx-replace-url"]
    reopened = forms.parse(QueryParams(parse_qsl(urlsplit(link).query)))
    assert reopened.scenario == forms.parse(typed).scenario
    page = Page(calculator.get(link).text)
    assert page.by_id("f-workload__requests_per_month")["attrs"]["value"] == "2000000"


def test_the_model_picker_lists_catalog_entries_of_its_kind(calculator: TestClient) -> None:
    response = calculator.get("/catalog/options/rag.embedding_model", params={"rag.embedding_model": "text-embedding"})
    values = [o["attrs"]["value"] for o in Page(response.text).find("option")]
    assert "openai:text-embedding-3-small" in values
    assert all("embedding" in v for v in values)
    assert calculator.get("/catalog/options/workload.input_tokens").status_code == 404


# --- static files, errors ---


def test_static_files_are_hashed_gzipped_and_cached_for_good(calculator: TestClient) -> None:
    page = Page(calculator.get("/").text)
    urls = [e["attrs"]["src"] for e in page.find("script")] + [
        e["attrs"]["href"] for e in page.find("link", rel="stylesheet")
    ]
    assert any("plotly-basic-4.1.1.min." in u for u in urls) and any("htmx-2.0.11.min." in u for u in urls)
    for url in urls:
        assert re.search(r"\.[0-9a-f]{10}\.(js|css)$", url), url
        response = calculator.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-encoding"] == "gzip"
    raw = calculator.get(urls[0], headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert (
        calculator.get(urls[0], headers={"Accept-Encoding": "gzip"}).content == raw.content
    )  # the same file, inflated
    assert calculator.get("/static/css/app.css").status_code == 404  # only hashed names


def test_vendor_files_come_with_their_licenses() -> None:
    from app.web.assets import STATIC_DIR

    vendor = STATIC_DIR / "vendor"
    for name in ("htmx-2.0.11", "plotly-basic-4.1.1"):
        assert (vendor / f"{name}.min.js").stat().st_size > 10_000
        license_text = (vendor / f"{name}.LICENSE").read_text()
        assert "Copyright" in license_text or "BSD" in license_text
    assert (vendor / "swagger-ui-5.35.0" / "LICENSE").exists()


def test_pages_answer_errors_as_pages_and_the_api_as_json(calculator: TestClient) -> None:
    page = calculator.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    api = calculator.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"


def test_the_api_docs_load_nothing_from_elsewhere(calculator: TestClient) -> None:
    page = Page(calculator.get("/docs").text)
    urls = [e["attrs"].get("src") or e["attrs"].get("href") for e in page.elements if e["tag"] in ("script", "link")]
    assert urls and all(u.startswith("/static/") for u in urls if u)


def test_head_of_the_calculator_is_answered(calculator: TestClient) -> None:
    """Uptime checks and `curl -I` ask with HEAD."""
    response = calculator.head("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
