"""Headers every answer gets: a Content-Security-Policy with no inline script, and the usual guards.

`script-src 'self'`: the pages run only our hashed static files (htmx, plotly.js, app.js, and Swagger
UI's on /docs). Styles may be inline because plotly.js styles its charts through style attributes.

Every answer means every one: pages, the API, static files, the guard's 401, 403 and sign-in
redirects, and the error pages, the 500 one included. Starlette answers an unhandled exception from
its outermost layer (ServerErrorMiddleware), outside any middleware an app adds, so a bug's page would
go out bare; this middleware therefore renders that answer itself, through the app's own handler, with
the headers, and lets the exception go on up to be logged.
"""

from __future__ import annotations

import inspect

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in HEADERS if h[0] not in present]
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception as exc:
            handler = getattr(scope.get("app"), "exception_handlers", {}).get(Exception)
            if started or handler is None:
                raise
            response = handler(Request(scope), exc)
            if inspect.isawaitable(response):
                response = await response
            await response(scope, receive, with_headers)
            raise  # the answer is sent: the server's error layer only logs it (or a test client re-raises)
