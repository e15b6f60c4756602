"""HEAD answered wherever GET is (RFC 9110 section 9.3.2): the GET's status and headers, with no body.

FastAPI's routes answer only the methods they name, so a HEAD (curl -I, a link checker, a spreadsheet
probing a URL) met 405. This layer, outside the guard, hands a HEAD to the app as a GET, so the same
access rule and the same work decide the answer, and sends on the head of that answer without its body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def head_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a streamed body's chunks: none of them goes out
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, head_only)
