"""The guard's first promises, end to end: pages and the API need sign-in in auth mode, a signed-in
session works, a bearer token works on /api/v1, and local mode needs nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from teamkit import Team


def test_auth_mode_sends_pages_to_sign_in_and_the_api_answers_401(team: Team) -> None:
    anonymous = team.anonymous(follow_redirects=False)
    page = anonymous.get("/scenarios?q=x")
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=%2Fscenarios%3Fq%3Dx"
    api = anonymous.get("/api/v1/scenarios")
    assert api.status_code == 401
    assert api.headers["www-authenticate"].startswith("Bearer")


def test_a_session_reads_pages_and_a_bearer_token_reads_the_api(team: Team) -> None:
    assert team.signed_in("viewer").get("/api/v1/scenarios").status_code == 200
    assert team.bearer("viewer").get("/api/v1/scenarios").status_code == 200


def test_local_mode_needs_no_sign_in(client: TestClient) -> None:
    assert client.get("/api/v1/scenarios").status_code == 200
