"""Work off the event loop, in bounded pools: the loop only does I/O, so a probe, a static file or a
small request is answered while estimates, password hashes and database calls run elsewhere.

- engine work (estimates, batches, Monte Carlo, exports): at most one thread per core at a time, so
  many heavy requests queue here instead of taking every thread of the shared pool;
- probes (`/readyz`): a pool of their own, so a saturated app still says how it is;
- password hashes: one per core at a time (`hashing`), a plain semaphore since they run inside threads.

A `CapacityLimiter` belongs to the event loop it was made on: each app makes its own on first use.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request

T = TypeVar("T")

CORES = os.cpu_count() or 1
_HASHING = threading.BoundedSemaphore(CORES)


def _limiter(app: FastAPI, name: str, tokens: int) -> anyio.CapacityLimiter:
    limiters: dict[str, anyio.CapacityLimiter] | None = getattr(app.state, "limiters", None)
    if limiters is None:
        limiters = app.state.limiters = {}
    if name not in limiters:
        limiters[name] = anyio.CapacityLimiter(tokens)
    return limiters[name]


async def engine(app: FastAPI, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on a thread of the engine pool (one per core)."""
    return await anyio.to_thread.run_sync(
        functools.partial(fn, *args, **kwargs), limiter=_limiter(app, "engine", CORES)
    )


async def probe(app: FastAPI, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` on the probes' own two threads."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args), limiter=_limiter(app, "probe", 2))


@contextmanager
def hashing() -> Iterator[None]:
    """Hold one of the password-hashing slots (one per core): Argon2 takes 0.1 to 0.7 s of a core and
    memory, so twenty sign-ins at once hash two at a time and the rest wait their turn in their threads."""
    with _HASHING:
        yield


class TimedOut(HTTPException):
    """Work stopped between two chunks at REQUEST_TIMEOUT_S: a 503 that says so."""

    def __init__(self, seconds: float, done: int, total: int) -> None:
        super().__init__(
            503,
            f"stopped after {seconds:g} s (REQUEST_TIMEOUT_S) with {done} of {total} chunks done: "
            "send smaller requests (fewer scenarios, months or draws), or ask the operator for more time",
        )


class Disconnected(Exception):
    """The client went away: its remaining chunks are not computed."""


async def chunks(request: Request, jobs: Iterable[Callable[[], T]], *, deadline: float) -> AsyncIterator[T]:
    """Each job's result in turn, run on the engine pool; between two jobs, stop with `TimedOut` past
    `deadline` (time.monotonic()) and with `Disconnected` when the client has gone."""
    todo = list(jobs)
    for done, job in enumerate(todo):
        if done and await request.is_disconnected():
            raise Disconnected
        if time.monotonic() > deadline:
            raise TimedOut(request.app.state.settings.request_timeout_s, done, len(todo))
        yield await engine(request.app, job)
