"""The guard: on every request, before the route runs (and before its body is read), find who asks,
look the route's rule up in app/auth/policy.py, and answer 401, 403 or a sign-in redirect when the
rule is not met; check the CSRF token of every state-changing request from a browser.

Who asks:
- local mode (loopback and AUTH_REQUIRED unset): everyone is the single local user, an admin;
- /api/v1 with `Authorization: Bearer <token>`: the token's user, within the token's scope;
- otherwise the signed session cookie, looked up on the server (signing out deletes it).

CSRF: a form posts `csrf_token`, htmx sends `X-CSRF-Token` (base.html puts it in `hx-headers`), both
bound to the browser's session (before sign-in, to a pre-session cookie). /api/v1 with a bearer token
needs none; /api/v1 without one (local mode, or a signed-in browser) refuses a cross-site Origin, and
with a session cookie needs the header too.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi.routing import iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth import accounts, keys
from app.auth.accounts import Principal
from app.auth.policy import rule
from app.auth.roles import ROLE_PERMISSIONS, Permission

PageRenderer = Callable[[Request, int, str], Response]
"""Renders a refusal as a browser page (status, sentence): app/web/error_pages.page, handed to the guard
by app/main.py, so this module never imports the web layer."""

SESSION_COOKIE = "tco_session"
PRE_COOKIE = "tco_pre"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 1_000_000
DENIED = {
    Permission.READ: "read saved scenarios",
    Permission.COMPUTE: "compute estimates",
    Permission.COMMENT: "comment",
    Permission.EDIT: "create or edit scenarios",
    Permission.REVIEW: "approve or request changes",
    Permission.SHARE: "make share links",
    Permission.ACCOUNT: "manage an account",
    Permission.ADMIN: "manage accounts",
}


def principal_of(request: Request) -> Principal | None:
    """Who the guard found asking (None: nobody signed in, on a public route)."""
    return request.scope.get("state", {}).get("principal")


def csrf_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("csrf", ""))


def auth_on(request: Request) -> bool:
    return bool(request.scope.get("state", {}).get("auth_on", True))


def served_beyond_loopback(scope: Scope) -> bool:
    """The connection reached a non-loopback address of this server (uvicorn started by hand on 0.0.0.0)."""
    server = scope.get("server")
    try:
        return server is not None and not ipaddress.ip_address(str(server[0]).strip("[]")).is_loopback
    except ValueError:
        return False  # a name (the test client's), or a unix socket


def cookie_secure(request: Request) -> bool:
    return request.url.scheme == "https"


class NoRule(RuntimeError):
    """A route with no access rule: the app refuses to start rather than serve it unchecked."""


def route_table(routes: list[BaseRoute]) -> list[tuple[re.Pattern[str], str, str, Permission]]:
    """Every route of the app, flattened in the router's order: (path regex, methods, template, rule)."""
    table = []
    for context in iter_route_contexts(routes):
        path = str(context.path)
        regex, _, _ = compile_path(path)
        for method in sorted(context.methods or ()):
            permission = rule(method, path)  # HEAD follows GET
            if permission is None:
                raise NoRule(f"no access rule for {method} {path}: add one to app/auth/policy.py")
            table.append((regex, method, path, permission))
    return table


NOBODY_NEEDED = frozenset({"/static/{path:path}", "/healthz", "/readyz", "/metrics"})
"""Public routes that never show who is signed in: their requests skip the session lookup altogether."""


class Guard:
    def __init__(self, app: ASGIApp, routes: list[BaseRoute], page: PageRenderer) -> None:
        self.app = app
        self.routes = routes
        self.page = page
        self.table = route_table(routes)
        self.seen = len(routes)

    def _route_path(self, scope: Scope) -> str | None:
        """The template of the route the router will choose; None: it will answer 404 or 405."""
        path, method = scope["path"], scope["method"]
        for regex, allowed, template, _ in self.table:
            if method == allowed and regex.match(path):
                return template
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(self.routes) != self.seen:  # a route added to the running app: it must have a rule too
            try:
                self.table, self.seen = route_table(self.routes), len(self.routes)
            except NoRule as exc:
                await _error(Request(scope), 500, str(exc), page=self.page)(scope, receive, send)
                return
        path_template = self._route_path(scope)
        scope.setdefault("state", {})["route"] = path_template  # for the request log and metrics
        if path_template is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        method = scope["method"]
        permission = rule(method, path_template)
        if permission is None:
            detail = f"no access rule for {method} {path_template}: refused"
            await _error(request, 500, detail, page=self.page)(scope, receive, send)
            return
        fastapi_app = scope["app"]
        settings = fastapi_app.state.settings
        key = keys.secret(settings.secret_key)
        required = settings.auth_on or served_beyond_loopback(scope)
        api = request.url.path.startswith("/api/") or request.url.path == "/openapi.json"  # where tokens count
        found: tuple[Principal | None, bool] | Response
        if required and path_template in NOBODY_NEEDED:
            found = None, False
        elif required and ((api and "authorization" in request.headers) or SESSION_COOKIE in request.cookies):
            # a token or a session to look up in the database: off the event loop
            found = await run_in_threadpool(
                _identify, fastapi_app, request, required=required, api=api, key=key, page=self.page
            )
        else:  # nothing to look up (local mode, or no credential sent): a thread's hop would cost more
            found = _identify(fastapi_app, request, required=required, api=api, key=key, page=self.page)
        if isinstance(found, Response):
            await found(scope, receive, send)
            return
        principal, stale_cookie = found
        new_pre = ""
        if principal is not None and principal.via == "session":
            binding = principal.credential
        elif principal is not None:
            binding = "local"
        else:
            binding = request.cookies.get(PRE_COOKIE) or ""
            if len(binding) < 20:
                binding = new_pre = secrets.token_urlsafe(24)
        state = scope.setdefault("state", {})
        state.update(principal=principal, auth_on=required, csrf=keys.csrf_token(key, binding))

        refusal: Response | None = None
        if permission is not Permission.PUBLIC:
            if principal is None:
                refusal = _sign_in_needed(request, api, self.page)
            elif not principal.can(permission):
                refusal = _forbidden(request, principal, permission, self.page)
        if refusal is None and method not in SAFE and (principal is None or principal.via != "token"):
            receive, problem = await _csrf(request, receive, key, binding, api, principal)
            if problem:
                refusal = _error(request, 403, problem, page=self.page)
        if refusal is not None:
            await refusal(scope, receive, send)
            return

        async def with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and (new_pre or stale_cookie):
                headers = list(message.get("headers", []))
                secure = "; Secure" if cookie_secure(request) else ""
                if new_pre:
                    value = f"{PRE_COOKIE}={new_pre}; Path=/; HttpOnly; SameSite=Lax{secure}"
                    headers.append((b"set-cookie", value.encode()))
                if stale_cookie:
                    headers.append((b"set-cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_cookies)


def _identify(
    fastapi_app: Any, request: Request, *, required: bool, api: bool, key: bytes, page: PageRenderer
) -> tuple[Principal | None, bool] | Response:
    """(who, whether the session cookie is stale and should be cleared), or a 401 for a bad bearer token."""
    settings = fastapi_app.state.settings
    if not required:
        return Principal(settings.local_author, "admin", "local"), False
    authorization = request.headers.get("authorization", "")
    if api and authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return _error(
                request, 401, "send `Authorization: Bearer <token>`", page=page, bearer_error="invalid_request"
            )
        with fastapi_app.state.session_factory() as session:
            found = accounts.token_user(session, secret=secret.strip())
        if isinstance(found, str):
            return _error(request, 401, found, page=page, bearer_error="invalid_token")
        user, token = found
        principal = Principal(user.username, user.role, "token", user.id, scope=token.scope)  # type: ignore[arg-type]
        return principal, False
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None, False
    raw = keys.unsign(key, cookie)
    if raw is None:
        return None, True
    with fastapi_app.state.session_factory() as session:
        member = accounts.session_user(session, token=raw)
    if member is None:
        return None, True
    return Principal(member.username, member.role, "session", member.id, credential=raw), False


async def _csrf(
    request: Request, receive: Receive, key: bytes, binding: str, api: bool, principal: Principal | None
) -> tuple[Receive, str]:
    """(the receive to pass on, with a form's body replayed; the problem, or "")."""
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        return receive, f"cross-site request refused (Origin {origin})"
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return receive, "cross-site request refused"
    if api and (principal is None or principal.via == "local"):
        return receive, ""  # no ambient credential to abuse; the checks above stop browsers on other sites
    given = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if given is None and content_type.startswith("application/x-www-form-urlencoded"):
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_FORM_BYTES:
                return receive, "form too large"
        given = next(iter(parse_qs(body.decode("latin-1")).get(CSRF_FIELD, [])), None)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        receive = replay
    if not keys.csrf_ok(key, binding, given):
        return receive, "the form's security token is missing or out of date: reload the page and try again"
    return receive, ""


def _error(request: Request, status: int, detail: str, *, page: PageRenderer, bearer_error: str = "") -> Response:
    """JSON under /api (and /openapi.json), else the page `page` renders."""
    headers = {}
    if status == 401:
        headers["www-authenticate"] = f'Bearer error="{bearer_error}"' if bearer_error else "Bearer"
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    response = page(request, status, detail[0].upper() + detail[1:] + ".")
    response.headers.update(headers)
    return response


def _sign_in_needed(request: Request, api: bool, page: PageRenderer) -> Response:
    if api or request.url.path == "/openapi.json":
        return _error(request, 401, "sign-in required: send `Authorization: Bearer <token>` (an API token)", page=page)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):  # back to the page the fragment was for, not the fragment
        current = urlsplit(request.headers.get("hx-current-url", ""))
        here = (current.path or "/") + (f"?{current.query}" if current.query else "")
        return Response(status_code=401, headers={"hx-redirect": "/sign-in?next=" + quote(here, safe="")})
    return RedirectResponse("/sign-in?next=" + quote(here, safe=""), status_code=303)


def _forbidden(request: Request, principal: Principal, permission: Permission, page: PageRenderer) -> Response:
    what = DENIED.get(permission, str(permission))
    if (
        principal.via == "token"
        and principal.scope == "read"
        and permission in ROLE_PERMISSIONS.get(principal.role, ())
    ):
        return _error(request, 403, f"this token is read-only: it may not {what} (make a write token)", page=page)
    return _error(request, 403, f"a {principal.role} may not {what}; ask an admin for another role", page=page)
