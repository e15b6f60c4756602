"""The client a user generates from /openapi.json, used for real (issue 19).

openapi-python-client (the version the lock pins) generates a package from the document the app serves,
without a warning; the test imports it and calls the app through it, in process: the generated client's
httpx client is the app's TestClient. What a generated client needs from the document:

- readable, stable names: each operation's explicit operationId (`estimate`, `list_scenarios`,
  `export_scenario_csv`), so the functions and enums are named after them;
- every error with the one ErrorBody schema, so a 409's or a 404's message reaches the caller;
- the XLSX as bytes (a File) and every CSV as text;
- no token demanded in local mode: a plain `Client` works, and an `AuthenticatedClient` in team mode.
"""

from __future__ import annotations

import importlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from suitekit import serving

from app.auth import accounts
from app.main import create_app
from app.presets import presets
from app.settings import Settings

pytestmark = pytest.mark.xdist_group("generated-client")
"""One pytest-xdist worker runs this module: the client is generated (`generated`, ~13 s) once, not
once per worker that runs one of these tests."""

PACKAGE = "llm_tco_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = create_app(Settings(database_url="sqlite://", seed_presets=False))
    with TestClient(app) as http:
        return http.get("/openapi.json").json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def generated(spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The package openapi-python-client makes of the served document, imported."""
    folder = tmp_path_factory.mktemp("generated")
    (folder / "openapi.json").write_text(json.dumps(spec))
    run = subprocess.run(
        [str(GENERATOR), "generate", "--path", "openapi.json", "--output-path", PACKAGE, "--meta", "none"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": str(Path(sys.executable).parent)},  # its ruff post-hook: the venv's
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr  # no answer dropped, no name refused
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


def api(name: str) -> Any:
    """A generated operation module by its operationId, e.g. api("scenarios.edit_scenario")."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def models() -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


def plain_client(generated: ModuleType, http: TestClient) -> Any:
    return generated.Client(base_url=str(http.base_url)).set_httpx_client(http)


def test_every_operation_has_a_readable_name_a_tag_and_declared_errors(spec: dict[str, Any]) -> None:
    operations = [(m, p, op) for p, ops in spec["paths"].items() if p.startswith("/api/v1") for m, op in ops.items()]
    ids = [op["operationId"] for _, _, op in operations]
    assert len(operations) == 31 and len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", i) and "api_v1" not in i for i in ids), ids
    assert {"estimate", "validate", "list_scenarios", "export_scenario_csv", "export_audit_csv"} <= set(ids)
    for method, path, op in operations:
        where = f"{method.upper()} {path}"
        assert op["tags"] and op["summary"], where
        errors = {int(s) for s in op["responses"] if int(s) >= 400}
        for status in errors:
            content = op["responses"][str(status)]["content"]
            assert content == {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}, where
        assert {401, 503} <= errors, where  # team mode: no token; a database that is down
        assert (413 in errors) == ("requestBody" in op), where  # a body too large: only where there is one
        assert (404 in errors) == ("{" in path), where
        assert "security" not in op, where  # the document's, below
    conflicts = {op["operationId"] for _, _, op in operations if "409" in op["responses"]}
    assert conflicts == {"edit_scenario", "reprice_scenario", "submit_scenario", "approve_scenario", "request_changes"}
    assert spec["security"] == [{}, {"apiToken": []}]  # local mode needs no token; team mode a bearer token
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's 422, replaced by ErrorBody


def test_file_answers_are_declared_as_text_and_bytes(spec: dict[str, Any]) -> None:
    for path, ops in spec["paths"].items():
        for op in ops.values():
            content = op["responses"].get("200", {}).get("content", {})
            if path.endswith(".csv"):
                assert content == {"text/csv": {"schema": {"type": "string"}}}, path
            if path.endswith(".xlsx"):
                binary = {"schema": {"type": "string", "format": "binary"}}
                xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                assert content == {xlsx: binary, "application/octet-stream": binary}, path


def test_the_generated_client_estimates_saves_and_keeps_the_errors_message(
    generated: ModuleType, client: TestClient
) -> None:
    http = plain_client(generated, client)  # local mode: a plain client, no token
    scenario = models().Scenario.from_dict(presets()["content-moderation"].scenario.model_dump(mode="json"))

    answer = api("estimates.estimate").sync(client=http, body=scenario)
    assert isinstance(answer, models().Estimate)
    direct = client.post("/api/v1/estimate", json=scenario.to_dict()).json()
    assert answer.to_dict() == direct  # every field, as the JSON API answers it
    assert answer.verdict.recommendation.value == direct["verdict"]["recommendation"]

    saved = api("scenarios.create_scenario").sync(client=http, body=scenario)
    assert isinstance(saved, models().ScenarioDetail) and saved.latest_revision == 1
    edit = models().ScenarioEdit.from_dict({"revision": 1, "scenario": {"name": "Second"}})
    assert api("scenarios.edit_scenario").sync(saved.id, client=http, body=edit).latest_revision == 2
    stale = api("scenarios.edit_scenario").sync(saved.id, client=http, body=edit)  # revision 1 again
    assert isinstance(stale, models().ErrorBody)
    assert "revision 1 is not the latest (the latest is 2)" in stale.detail
    listed = api("scenarios.list_scenarios").sync(client=http)
    assert isinstance(listed, models().ScenarioPage) and [i.id for i in listed.items] == [saved.id]
    missing = api("scenarios.get_scenario").sync(999_999, client=http)
    assert isinstance(missing, models().ErrorBody) and "999999" in missing.detail
    bad = api("estimates.validate").sync(client=http, body=models().Scenario.from_dict({"horizon_months": 0}))
    assert isinstance(bad, models().ErrorBody) and bad.detail[0].loc == "horizon_months"


def test_the_generated_client_downloads_every_file(generated: ModuleType, client: TestClient) -> None:
    http = plain_client(generated, client)
    sid = client.post("/api/v1/scenarios", json={"name": "Files"}).json()["id"]
    workbook = api("exports.export_scenario_xlsx").sync(sid, client=http)
    assert isinstance(workbook, importlib.import_module(f"{PACKAGE}.types").File)
    assert openpyxl.load_workbook(io.BytesIO(workbook.payload.read()))["Summary"]["A1"].value
    wide_shape = models().ExportScenarioCsvShape.WIDE
    wide = api("exports.export_scenario_csv").sync(sid, client=http, shape=wide_shape)
    assert isinstance(wide, str) and wide.startswith("month,")
    audit = api("review.export_audit_csv").sync(sid, client=http)
    assert isinstance(audit, str) and audit.splitlines()[0].startswith("at,")


def test_team_mode_takes_a_token_and_the_document_needs_none(generated: ModuleType, db_engine: Engine) -> None:
    settings = Settings(database_url="sqlite://", seed_presets=False, secret_key="k" * 40, auth_required=True)
    app = create_app(settings)
    app.state.session_factory = lambda: Session(db_engine, expire_on_commit=False)
    with Session(db_engine, expire_on_commit=False) as session:
        user = accounts.create_user(session, username="editor", role="editor", password="a long password", actor="t")
        _, token = accounts.create_token(session, user=user, name="client", scope="write", days=1)
    with serving(app) as host:
        url = f"http://{host}"
        # a first /openapi.json builds the document: seconds on a busy machine, past httpx's 5 s default
        assert httpx.get(f"{url}/openapi.json", timeout=60).status_code == 200  # generators fetch it without a token
        patient = httpx.Timeout(60.0)
        refused = api("scenarios.list_scenarios").sync(client=generated.Client(base_url=url, timeout=patient))
        assert isinstance(refused, models().ErrorBody) and "sign-in required" in refused.detail
        signed = generated.AuthenticatedClient(base_url=url, token=token, timeout=patient)  # `Authorization: Bearer`
        assert api("scenarios.create_scenario").sync(client=signed, body=models().Scenario.from_dict({})).id >= 1
        assert api("scenarios.list_scenarios").sync(client=signed).total == 1


def test_every_body_operations_examples_succeed(spec: dict[str, Any], client: TestClient) -> None:
    """Each example the document gives a body (what /docs' "Try it out" fills in) is sent as it is, to a
    fresh saved scenario where the path names one (submitted first where the step needs it)."""
    sent = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            examples = operation["requestBody"]["content"]["application/json"].get("examples", {})
            assert examples, f"{method.upper()} {path} has no example"
            for name, example in examples.items():
                url = path
                if "{scenario_id}" in path:
                    sid = client.post("/api/v1/scenarios", json={"name": "For an example"}).json()["id"]
                    if path.endswith(("/approve", "/request-changes")):
                        submitted = client.post(f"/api/v1/scenarios/{sid}/submit", json={"revision": 1})
                        assert submitted.status_code == 200, submitted.text
                    url = path.replace("{scenario_id}", str(sid))
                answer = client.request(method.upper(), url, json=example["value"])
                assert answer.status_code in (200, 201), (method, path, name, answer.text[:300])
                sent += 1
    assert sent >= 16
