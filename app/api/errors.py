"""Errors as docs/api.md says: 422 with `{loc, msg}` per bad field, 404, 409, 413; never a 500."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.services import ScenarioError


class FieldError(BaseModel):
    loc: str
    """Dotted path of the bad field: `workload.input_tokens`, `scenarios.3.horizon_months`."""
    msg: str
    type: str = "value_error"


class ErrorBody(BaseModel):
    detail: list[FieldError] | str


MAX_ERRORS = 100
"""Errors listed in one 422; past them, one more entry counts the rest (a batch of 10,000 bad scenarios
answers in kilobytes, not megabytes)."""


def capped(errors: list[dict[str, str]], total: int | None = None) -> list[dict[str, str]]:
    """The first MAX_ERRORS errors, then one entry that counts the others (`total`: all of them)."""
    total = len(errors) if total is None else total
    if total <= MAX_ERRORS:
        return errors
    rest = total - MAX_ERRORS
    more = {"loc": "(body)", "msg": f"and {rest:,} more errors, not listed: fix these first", "type": "too_many_errors"}
    return [*errors[:MAX_ERRORS], more]


def _field_errors(errors: Any) -> list[dict[str, str]]:
    out = []
    for e in errors[:MAX_ERRORS]:
        loc = [str(p) for p in e.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path"):
            loc = loc[1:] if loc[0] == "body" else loc
        out.append({"loc": ".".join(loc) or "(body)", "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))})
    return capped(out, len(errors))


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": _field_errors(exc.errors())}, status_code=422)


async def _scenario(request: Request, exc: ScenarioError) -> JSONResponse:
    return JSONResponse({"detail": capped([{"type": "value_error", **e} for e in exc.errors])}, status_code=422)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 400:  # FastAPI's answer to a body it cannot read (not UTF-8): a bad input, so 422
        error = {"loc": "(body)", "msg": f"{exc.detail}: the body must be JSON in UTF-8", "type": "body_invalid"}
        return JSONResponse({"detail": [error]}, status_code=422)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def install(app: FastAPI) -> None:
    """The API's own error: a scenario the catalog cannot price. Its 4xx handlers are chosen by path in
    app.main, beside the pages'."""
    app.add_exception_handler(ScenarioError, _scenario)  # type: ignore[arg-type]


class BodyLimit:
    """Answer 413 to a body over `limit` bytes, by its Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(send)
            return
        seen = 0
        over = False
        started = False

        async def limited_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    over = True
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            """Once the body overflowed, whatever the app answers (FastAPI turns the error it met while
            reading the body into a 400 or 422) gives way to the 413."""
            nonlocal started
            if over:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._too_large(send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps({"detail": f"request body larger than {self.limit:,} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
