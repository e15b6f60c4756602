"""JSON request bodies read off the event loop, with their shape bounded before any validation.

FastAPI parses a JSON body with `json.loads` on the event loop: a 32 MB batch holds every other
request for a second, and an object of a million keys then costs pydantic a million errors. Every API
route is an `OffLoopRoute`: its body is parsed in the thread pool, and an object with more than
`MAX_KEYS` keys or a nesting deeper than `MAX_DEPTH` is answered 422 at once, naming the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import orjson
from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

MAX_KEYS = 1_000
"""Keys in one JSON object: a scenario's largest object, `ranges`, has fewer than 100."""
MAX_DEPTH = 32
"""Nesting of objects and lists: a batch of scenarios with ranges is 5 deep."""


def _refuse(msg: str) -> HTTPException:
    return HTTPException(422, [{"loc": "(body)", "msg": msg, "type": "body_too_complex"}])


def bounded(document: Any) -> Any:
    """`document` itself, once no object in it has more than MAX_KEYS keys and nothing nests deeper than
    MAX_DEPTH; else the 422. Iterative: a hostile depth cannot overflow the stack."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
            if len(node) > MAX_KEYS:
                raise _refuse(f"an object with {len(node):,} keys: at most {MAX_KEYS:,} in one object")
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_DEPTH:
            raise _refuse(f"the body nests deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return document


def parse(body: bytes) -> Any:
    """The JSON document of a body, bounded; `json.JSONDecodeError` as FastAPI expects it.

    orjson reads a big body twice as fast as json (a million keys: 0.45 s against 0.87 s); what it
    refuses (NaN, an integer past 64 bits, 1,024 levels of nesting) is read by json as before, so the
    answers stay those of FastAPI's own parser."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            document = json.loads(body)
        except RecursionError:
            raise _refuse(f"the body nests deeper than {MAX_DEPTH} levels") from None
    return bounded(document)


class OffLoopJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = await run_in_threadpool(parse, await self.body())
        return self._json


class OffLoopRoute(APIRoute):
    """An API route whose JSON body is parsed and bounded in the thread pool (see the module)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            return await handler(OffLoopJSONRequest(request.scope, request.receive))

        return route_handler
