"""What the API's routes and the pages both depend on: the database session, who asks, the settings,
and a scenario id in a path. Neutral ground: `app/api` and `app/web` import it, never each other."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from pydantic import Field
from sqlmodel import Session
from starlette.datastructures import FormData

from app.auth.accounts import Principal
from app.auth.guard import principal_of
from app.db.session import DATABASE_UNAVAILABLE
from app.settings import Settings

log = logging.getLogger("llm_tco.database")


def get_session(request: Request) -> Iterator[Session]:
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        try:
            session.close()
        except DATABASE_UNAVAILABLE as exc:  # the answer is decided (maybe sent): a connection lost now
            log.warning("database connection lost while closing a session: %s", type(exc).__name__)  # is dropped


def get_principal(request: Request) -> Principal:
    """Who asks; the guard has already refused anyone a route's rule does not admit."""
    principal = principal_of(request)
    if principal is None:  # only public routes run without one, and they do not ask
        raise HTTPException(401, "sign-in required")
    return principal


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def read_form(request: Request) -> FormData:
    """The posted form, read on the event loop (I/O), so the route itself can be a plain `def` that runs
    in the thread pool with its database calls and password hashes."""
    return await request.form()


SessionDep = Annotated[Session, Depends(get_session)]
FormDep = Annotated[FormData, Depends(read_form)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ScenarioId = Annotated[int, Field(ge=1, le=2**31 - 1)]
"""A scenario id in a path: an INTEGER column on every database, so a huge number is a 404, not a
database error."""
