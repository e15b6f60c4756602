"""Every answer carries the security headers, the guard's refusals and redirects included."""

from __future__ import annotations

import pytest
from teamkit import Team


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("anonymous", "/scenarios", 303),
        ("anonymous", "/api/v1/scenarios", 401),
        ("anonymous", "/sign-in", 200),
        ("viewer", "/admin/users", 403),
        ("viewer", "/scenarios", 200),
        ("viewer", "/api/v1/scenarios", 200),
        ("viewer", "/no-such-page", 404),
    ],
)
def test_security_headers_on_every_answer(team: Team, who: str, path: str, status: int) -> None:
    client = team.anonymous(follow_redirects=False) if who == "anonymous" else team.signed_in(who)
    client.follow_redirects = False
    response = client.get(path)
    assert response.status_code == status
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer")
