"""Errors of the browser pages as pages (the API keeps its JSON errors, app/api/errors.py)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.session import DATABASE_UNAVAILABLE, UNAVAILABLE_MESSAGE
from app.observability import ERRORS
from app.web.templating import templates

TITLES = {
    404: "Not found",
    405: "Not allowed",
    409: "Changed meanwhile",
    413: "Too large",
    422: "Bad input",
    503: "Database unavailable",
}
RETRY_AFTER_S = 5
log = logging.getLogger("llm_tco.database")


def is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/openapi.json"


def page(request: Request, status: int, message: str) -> Response:
    ctx = {"status": status, "title": TITLES.get(status, "Error"), "message": message}
    return templates.TemplateResponse(request, "error.html", ctx, status_code=status)


async def http_error(request: Request, exc: HTTPException) -> Response:
    detail: Any = exc.detail
    return page(request, exc.status_code, detail if isinstance(detail, str) else "The request could not be served.")


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    return page(request, 404, "No such page: the address has a part that is not valid.")


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug: the page says so plainly (htmx shows its banner instead and keeps the form)."""
    if is_api(request):
        return JSONResponse({"detail": "internal error: the server failed on this request"}, status_code=500)
    return page(request, 500, "The server failed on this request. What you typed is still in the form: try again.")


def database_unavailable(request: Request, exc: Exception) -> Response:
    """503 with Retry-After, as JSON or a page, for a database that is down, unreachable, locked past
    its busy timeout, or out of pooled connections. The cause goes to the log, under the request id."""
    ERRORS.labels(kind="database_unavailable").inc()
    request_id = request.scope.get("state", {}).get("request_id", "")
    cause = str(getattr(exc, "orig", None) or exc).strip().split("\n", 1)[0][:300]
    log.warning("database unavailable: %s: %s", type(exc).__name__, cause, extra={"request_id": request_id})
    headers = {"retry-after": str(RETRY_AFTER_S)}
    if is_api(request):
        return JSONResponse({"detail": UNAVAILABLE_MESSAGE}, status_code=503, headers=headers)
    response = page(request, 503, UNAVAILABLE_MESSAGE + " To send a form again, go back and submit it once more.")
    response.headers.update(headers)
    return response


class DatabaseOutage:
    """Middleware just outside the guard: 503 for a database that is away, wherever it was found, in a
    route or in the guard's own session and token lookups (the app's exception handlers only wrap
    routes). An answer already begun cannot be replaced: that error goes on up."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except DATABASE_UNAVAILABLE as exc:
            if started:
                raise
            await database_unavailable(Request(scope), exc)(scope, receive, send)


def install(app: Any) -> None:
    """The pages' answer to a bug (as JSON under /api). Their 4xx handlers are chosen by path in
    app.main, beside the API's."""
    app.add_exception_handler(Exception, server_error)
