"""The Host allow-list: a request naming any other host is answered 400 before anything else runs.

A page on a rebinding domain (evil.example resolving to 127.0.0.1) reaches the local server with
`Host: evil.example` and, in local mode, no credential is needed: refusing unknown Host headers is
what keeps local data local. The loopback names are always allowed (no other site can make a browser
send them); HOST's address when it names one; and ALLOWED_HOSTS, which a team server behind a
proxy sets to its public name.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from app.settings import Settings

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def allowed_names(settings: Settings) -> tuple[frozenset[str], tuple[str, ...]]:
    """(exact names, suffixes of `*.` wildcards), lower case, IPv6 without brackets."""
    names = set(LOOPBACK_NAMES) | set(settings.allowed_hosts)
    bound = settings.host.strip("[]").lower()
    if bound not in ("0.0.0.0", "::", ""):
        names.add(bound)
    wildcards = tuple(n[1:] for n in names if n.startswith("*."))  # ".example.com"
    return frozenset(n for n in names if not n.startswith("*.")), wildcards


def host_name(header: str) -> str:
    """The name of a Host header, without its port, lower case; IPv6 without brackets."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


class HostCheck:
    """Answer 400 to a Host header not on the allow-list (or missing), for every method and path."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.names, self.wildcards = allowed_names(settings)

    def allows(self, name: str) -> bool:
        return name in self.names or any(name.endswith(w) and len(name) > len(w) for w in self.wildcards)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), "")
        name = host_name(header)
        if self.allows(name):
            await self.app(scope, receive, send)
            return
        shown = name[:100] or "(none)"
        detail = (
            f"this server does not answer to the host name {shown!r}: its operator lists the names it "
            "answers to in ALLOWED_HOSTS (docs/settings.md)"
        )
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
