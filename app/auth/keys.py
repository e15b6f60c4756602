"""The secret key, and what it signs: session cookies and CSRF tokens.

Tokens themselves are random (256 bits) and stored as SHA-256; the signature on the cookie only lets
the guard drop a forged cookie without a database query.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_FILE = Path("var/secret-key")


@functools.cache
def _file_key() -> bytes:
    """The key in KEY_FILE, made once (exclusively, so two workers starting together agree), and read
    once per process: the guard asks on every request, and a file system call there releases the GIL,
    which the event loop then waits to get back from the engine's threads."""
    path = KEY_FILE.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    text = path.read_text().strip()
    if len(text) < 32:
        raise RuntimeError(f"{path} holds no usable key: delete it, or set SECRET_KEY")
    return text.encode()


def secret(configured: str) -> bytes:
    return configured.encode() if configured else _file_key()


def digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def _mac(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()[:43]


def sign(key: bytes, value: str) -> str:
    return f"{value}.{_mac(key, 'cookie', value)}"


def unsign(key: bytes, signed: str) -> str | None:
    value, _, mac = signed.rpartition(".")
    return value if value and hmac.compare_digest(mac, _mac(key, "cookie", value)) else None


def csrf_token(key: bytes, binding: str) -> str:
    """The CSRF token of a browser: bound to its session (or, before sign-in, to its pre-session cookie)."""
    return _mac(key, "csrf", binding)


def csrf_ok(key: bytes, binding: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(str(given), csrf_token(key, binding))
