"""Accounts, sign-in, sessions and API tokens, above the tables and below the guard and the routes.

Passwords are Argon2id (pwdlib). Session and API tokens are 256 random bits shown once and stored as
SHA-256. Failed sign-ins are counted per account and per address; past a free allowance each further
attempt must wait, 1 s doubling to 15 min, and a success clears the account's count.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pwdlib import PasswordHash
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app import audit
from app.auth.keys import digest, new_token
from app.auth.roles import ROLE_PERMISSIONS, TOKEN_SCOPES, Permission
from app.db.models import ROLES, ApiTokenRow, SessionRow, SignInFailureRow, UserRow, utcnow
from app.offload import hashing

hasher = PasswordHash.recommended()
"""Argon2id at pwdlib's recommended cost (about 0.1 s a hash here); tests swap in a cheaper one.
Call it through `_hash` and `_verify`: they take a hashing slot (app/offload.py)."""
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
TOKEN_PREFIX = "tco_"
MAX_WAIT_S = 15 * 60
FAILURE_MEMORY = dt.timedelta(hours=1)
"""A run of failures older than this is forgotten."""
Scope = Literal["read", "write"]


class AccountError(ValueError):
    """A refused account operation, with the form field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Principal:
    """Who is asking, and through what: the local user, a signed-in browser, or an API token."""

    username: str
    role: str
    via: Literal["local", "session", "token"]
    user_id: int | None = None
    scope: Scope = "write"
    credential: str = ""
    """The raw session token (the CSRF binding, and what sign-out deletes); empty otherwise."""

    def can(self, permission: Permission) -> bool:
        allowed = ROLE_PERMISSIONS.get(self.role, frozenset())
        if self.via == "token":
            allowed = allowed & TOKEN_SCOPES[self.scope]
        return permission is Permission.PUBLIC or permission in allowed


# --- accounts ---


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise AccountError("username", "2 to 64 characters: lower-case letters, digits, '.', '_' or '-'")
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError("password", f"{MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError("role", f"one of {', '.join(ROLES)}")
    return role


def create_user(session: Session, *, username: str, role: str, password: str, actor: str) -> UserRow:
    name, role = check_username(username), check_role(role)
    check_password(password)
    if get_user(session, username=name) is not None:
        raise AccountError("username", f"{name} already exists")
    user = UserRow(username=name, role=role, password_hash=_hash(password), created_at=utcnow())
    session.add(user)
    audit.record(session, actor=actor, action="user_created", detail=f"{name} as {role}")
    session.commit()
    return user


def get_user(session: Session, *, username: str) -> UserRow | None:
    return session.exec(select(UserRow).where(UserRow.username == username.strip().lower())).first()


def list_users(session: Session) -> Sequence[UserRow]:
    return session.exec(select(UserRow).order_by(col(UserRow.username))).all()


def count_users(session: Session) -> int:
    return len(session.exec(select(UserRow.id)).all())


def update_user(
    session: Session,
    *,
    user: UserRow,
    actor: str,
    role: str | None = None,
    disabled: bool | None = None,
    password: str | None = None,
) -> UserRow:
    """Change a role, disable or enable, or set a password. Disabling or a new password ends every
    session of the account; disabling also stops its tokens (they are checked against the account)."""
    if role is not None and role != user.role:
        user.role = check_role(role)
        audit.record(session, actor=actor, action="user_changed", detail=f"{user.username} is now {role}")
    if disabled is not None and disabled != (user.disabled_at is not None):
        user.disabled_at = utcnow() if disabled else None
        action = "user_disabled" if disabled else "user_enabled"
        audit.record(session, actor=actor, action=action, detail=user.username)
    if password is not None:
        user.password_hash = _hash(check_password(password))
        audit.record(session, actor=actor, action="password_changed", detail=user.username)
    if disabled or password is not None:
        for row in session.exec(select(SessionRow).where(SessionRow.user_id == user.id)).all():
            session.delete(row)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


# --- sign-in ---


@dataclass(frozen=True)
class Refused:
    message: str
    retry_after_s: int = 0


_DUMMY_HASH = hasher.hash("a password nobody has")


def _hash(password: str) -> str:
    with hashing():
        return hasher.hash(password)


def _verify(password: str, stored: str) -> bool:
    with hashing():
        return bool(hasher.verify(password[:MAX_PASSWORD], stored))


def is_password_of(session: Session, user: UserRow, password: str) -> bool:
    """Whether `password` is the user's, checked with no database connection held (the transaction
    ends first): a hash may wait for its slot, and the pool's connections are for everyone."""
    stored = user.password_hash
    session.commit()
    return _verify(password, stored)


def _wait_s(row: SignInFailureRow | None, free: int, now: dt.datetime) -> int:
    """Seconds to wait before the next attempt counts: 0 within the free allowance."""
    if row is None or now - row.last_at > FAILURE_MEMORY or row.failures < free:
        return 0
    wait = min(2 ** (row.failures - free), MAX_WAIT_S)
    left = (row.last_at + dt.timedelta(seconds=wait) - now).total_seconds()
    return max(0, int(left + 0.999))


def _prune(session: Session, now: dt.datetime) -> None:
    """Forget what no longer counts, so these tables stay small: failure runs past FAILURE_MEMORY (they
    count as zero anyway) and expired sessions."""
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.last_at < now - FAILURE_MEMORY))  # type: ignore[arg-type]
    session.execute(delete(SessionRow).where(SessionRow.expires_at < now))  # type: ignore[arg-type]


def _fail(session: Session, key: str, now: dt.datetime) -> None:
    row = session.get(SignInFailureRow, key)
    if row is None or now - row.last_at > FAILURE_MEMORY:
        row = row or SignInFailureRow(key=key, last_at=now)
        row.failures = 0
    row.failures += 1
    row.last_at = now
    session.add(row)


def sign_in(
    session: Session, *, username: str, password: str, address: str, free_failures: int, session_hours: int
) -> tuple[UserRow, str] | Refused:
    """The user and a new session token, or why not. A wrong name and a wrong password read the same,
    and take the same time (a hash is checked either way)."""
    now = utcnow()
    name = username.strip().lower()[:64]
    keys = {f"user:{name}": free_failures, f"addr:{address}"[:300]: 4 * free_failures}
    wait = max(_wait_s(session.get(SignInFailureRow, k), free, now) for k, free in keys.items())
    if wait:
        return Refused(f"Too many failed sign-ins: try again in {wait} s.", wait)
    user = get_user(session, username=name) if USERNAME.match(name) else None
    stored = user.password_hash if user else _DUMMY_HASH
    session.commit()  # the throttle was checked first; no connection is held while the hash waits and runs
    valid = _verify(password, stored)
    _prune(session, now)
    if user is None or not valid or user.disabled_at is not None:
        for key in keys:
            _fail(session, key, now)
        session.commit()
        if user is not None and valid:
            return Refused("This account is disabled: ask an admin.")
        return Refused("Wrong username or password.")
    stale = session.get(SignInFailureRow, f"user:{name}")
    if stale is not None:
        session.delete(stale)
    token = new_token()
    assert user.id is not None
    expires = now + dt.timedelta(hours=session_hours)
    session.add(SessionRow(user_id=user.id, token_hash=digest(token), created_at=now, expires_at=expires))
    audit.record(session, actor=user.username, action="signed_in", detail=f"from {address}")
    session.commit()
    return user, token


def session_user(session: Session, *, token: str) -> UserRow | None:
    """The user of a live session token, or None (unknown, expired, or the account disabled)."""
    row = session.exec(select(SessionRow).where(SessionRow.token_hash == digest(token))).first()
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(UserRow, row.user_id)
    return user if user is not None and user.disabled_at is None else None


def sign_out(session: Session, *, token: str, actor: str) -> None:
    row = session.exec(select(SessionRow).where(SessionRow.token_hash == digest(token))).first()
    if row is not None:
        session.delete(row)
        audit.record(session, actor=actor, action="signed_out")
        session.commit()


# --- API tokens ---


def create_token(session: Session, *, user: UserRow, name: str, scope: str, days: int) -> tuple[ApiTokenRow, str]:
    """A new token and its secret, which is shown this once and never again."""
    label = name.strip()
    if not 1 <= len(label) <= 100:
        raise AccountError("name", "1 to 100 characters, to tell your tokens apart")
    if scope not in TOKEN_SCOPES:
        raise AccountError("scope", "read or write")
    if not 1 <= days <= 3650:
        raise AccountError("days", "1 to 3,650 days")
    secret = new_token(TOKEN_PREFIX)
    now = utcnow()
    assert user.id is not None
    row = ApiTokenRow(
        user_id=user.id,
        name=label,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=digest(secret),
        scope=scope,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(row)
    audit.record(session, actor=user.username, action="token_created", detail=f"{label} ({scope}, {days} days)")
    session.commit()
    return row, secret


def list_tokens(session: Session, *, user_id: int | None = None) -> Sequence[ApiTokenRow]:
    query = select(ApiTokenRow)
    if user_id is not None:
        query = query.where(ApiTokenRow.user_id == user_id)
    return session.exec(query.order_by(col(ApiTokenRow.id).desc())).all()


def revoke_token(session: Session, *, token: ApiTokenRow, actor: str) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        audit.record(session, actor=actor, action="token_revoked", detail=f"{token.name} ({token.prefix}…)")
        session.commit()


def token_user(session: Session, *, secret: str) -> tuple[UserRow, ApiTokenRow] | str:
    """The user and token of a bearer secret, or why it is refused."""
    row = session.exec(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest(secret))).first()
    now = utcnow()
    if row is None:
        return "unknown token"
    if row.revoked_at is not None:
        return "this token was revoked"
    if row.expires_at <= now:
        return "this token expired"
    user = session.get(UserRow, row.user_id)
    if user is None or user.disabled_at is not None:
        return "this token's account is disabled"
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
        row.last_used_at = now  # at most one write a minute per token
        session.add(row)
        session.commit()
    return user, row
