"""The access rule of every route: (method, path template) -> the permission it needs.

The guard looks each request's route up here before the route runs; a route missing from this table
is refused (500, never served unchecked), and tests/auth/test_authorization_matrix.py, which walks the
app's routes, fails on it. HEAD follows GET. docs/teams.md prints this table.
"""

from __future__ import annotations

from app.auth.roles import Permission

P = Permission
API = "/api/v1"
SCENARIO = "/scenarios/{scenario_id}"

_RULES: list[tuple[str, str, Permission]] = [
    # static files, sign-in, and what a share link opens: no account
    ("GET", "/static/{path:path}", P.PUBLIC),
    ("GET", "/sign-in", P.PUBLIC),
    ("POST", "/sign-in", P.PUBLIC),
    ("GET", "/shared/{token}", P.PUBLIC),
    ("GET", "/shared/{token}/export.csv", P.PUBLIC),
    ("GET", "/shared/{token}/export.xlsx", P.PUBLIC),
    # operations: liveness, readiness and metrics carry no user data (restrict /metrics at the proxy)
    ("GET", "/healthz", P.PUBLIC),
    ("GET", "/readyz", P.PUBLIC),
    ("GET", "/metrics", P.PUBLIC),
    # the API's description: no user data, and client generators fetch it without a token
    ("GET", "/openapi.json", P.PUBLIC),
    # pages
    ("GET", "/", P.READ),
    ("GET", "/start", P.READ),
    ("GET", "/uncertainty", P.READ),
    ("GET", "/numbers/{chart_id}", P.READ),
    ("GET", "/ranges/seeds", P.READ),
    ("GET", "/catalog/options/{path}", P.READ),
    ("GET", "/catalog", P.READ),
    ("GET", "/sources", P.PUBLIC),  # the seed articles' claims: no user data, and a share link cites them
    ("GET", "/compare", P.READ),
    ("GET", "/compare/uncertainty", P.READ),
    ("GET", "/docs", P.READ),
    ("GET", "/scenarios", P.READ),
    ("GET", SCENARIO, P.READ),
    ("GET", SCENARIO + "/uncertainty", P.READ),
    ("GET", SCENARIO + "/diff", P.READ),
    ("GET", SCENARIO + "/report", P.READ),
    ("GET", "/report", P.READ),
    # the form's saves reach their route, which checks EDIT itself (ROUTE_CHECKS): a refused save then comes
    # back as the form with everything typed and the reason, not a bare 403 page
    ("POST", "/scenarios", P.COMPUTE),
    ("GET", SCENARIO + "/edit", P.EDIT),
    ("POST", SCENARIO + "/edit", P.COMPUTE),
    ("POST", SCENARIO + "/duplicate", P.EDIT),
    ("POST", SCENARIO + "/archive", P.EDIT),
    ("POST", SCENARIO + "/restore", P.EDIT),
    ("POST", SCENARIO + "/reprice", P.EDIT),
    # the review steps too (ROUTE_CHECKS): a refused one goes back to the scenario page (303) with the reason
    ("POST", SCENARIO + "/submit", P.READ),
    ("POST", SCENARIO + "/approve", P.READ),
    ("POST", SCENARIO + "/request-changes", P.READ),
    ("POST", SCENARIO + "/comments", P.READ),
    ("POST", SCENARIO + "/shares", P.SHARE),
    ("POST", SCENARIO + "/shares/{share_id}/revoke", P.SHARE),
    # one's own account
    ("POST", "/sign-out", P.ACCOUNT),
    ("GET", "/account", P.ACCOUNT),
    ("POST", "/account/password", P.ACCOUNT),
    ("POST", "/account/tokens", P.ACCOUNT),
    ("POST", "/account/tokens/{token_id}/revoke", P.ACCOUNT),
    # administration
    ("GET", "/admin/users", P.ADMIN),
    ("POST", "/admin/users", P.ADMIN),
    ("POST", "/admin/users/{user_id}", P.ADMIN),
    ("GET", "/admin/audit", P.ADMIN),
    ("GET", "/admin/audit.csv", P.ADMIN),
    # the JSON API
    ("POST", API + "/estimate", P.COMPUTE),
    ("POST", API + "/validate", P.COMPUTE),
    ("POST", API + "/estimate/batch", P.COMPUTE),
    ("POST", API + "/ranges/seeds", P.COMPUTE),
    ("POST", API + "/export.csv", P.COMPUTE),
    ("POST", API + "/export.xlsx", P.COMPUTE),
    ("POST", API + "/export.json", P.COMPUTE),
    ("GET", API + "/catalog", P.READ),
    ("GET", API + "/catalog/{entry_id:path}", P.READ),
    ("GET", API + "/presets", P.READ),
    ("GET", API + "/presets/{slug}", P.READ),
    ("GET", API + "/scenarios", P.READ),
    ("GET", API + SCENARIO, P.READ),
    ("GET", API + SCENARIO + "/revisions", P.READ),
    ("GET", API + SCENARIO + "/revisions/{number}", P.READ),
    ("GET", API + SCENARIO + "/estimate", P.READ),
    ("GET", API + SCENARIO + "/export.csv", P.READ),
    ("GET", API + SCENARIO + "/export.xlsx", P.READ),
    ("GET", API + SCENARIO + "/export.json", P.READ),
    ("GET", API + SCENARIO + "/comments", P.READ),
    ("GET", API + SCENARIO + "/audit", P.READ),
    ("GET", API + SCENARIO + "/audit.csv", P.READ),
    ("POST", API + "/scenarios", P.EDIT),
    ("PUT", API + SCENARIO, P.EDIT),
    ("DELETE", API + SCENARIO, P.EDIT),
    ("POST", API + SCENARIO + "/restore", P.EDIT),
    ("POST", API + SCENARIO + "/reprice", P.EDIT),
    ("POST", API + SCENARIO + "/submit", P.EDIT),
    ("POST", API + SCENARIO + "/approve", P.REVIEW),
    ("POST", API + SCENARIO + "/request-changes", P.REVIEW),
    ("POST", API + SCENARIO + "/comments", P.COMMENT),
]

RULES: dict[tuple[str, str], Permission] = {(method, path): permission for method, path, permission in _RULES}

ROUTE_CHECKS: dict[tuple[str, str], Permission] = {
    ("POST", "/scenarios"): P.EDIT,
    ("POST", SCENARIO + "/edit"): P.EDIT,
    ("POST", SCENARIO + "/submit"): P.EDIT,
    ("POST", SCENARIO + "/approve"): P.REVIEW,
    ("POST", SCENARIO + "/request-changes"): P.REVIEW,
    ("POST", SCENARIO + "/comments"): P.COMMENT,
}
"""Routes that the guard lets a caller reach on a weaker rule because they check this stronger
permission themselves, to answer a refusal in their own way: a save keeps the form as typed (403), a
review step goes back to the scenario page with the reason (303, app.web.review)."""
assert len(RULES) == len(_RULES), "a route is listed twice"


def rule(method: str, path: str) -> Permission | None:
    return RULES.get(("GET" if method == "HEAD" else method, path))
