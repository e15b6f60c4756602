"""Static files with a content hash in their names, served gzipped from memory with a year's cache.

`static/css/app.css` is served at `/static/css/app.3f2a9c1b0d.css`; templates ask for it by its plain
path through `static_url()`. A changed file gets a new name, so browsers may keep every name forever
(`immutable`), and a repeat visit downloads nothing but the page. Files are read and gzipped once, at
start-up: plotly.js (1.2 MB) costs one compression, never one per request.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"
PREFIX = "/static/"
CACHE_FOREVER = "public, max-age=31536000, immutable"
_COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".map", ".html"}


@dataclass(frozen=True)
class Asset:
    url: str
    media_type: str
    body: bytes
    gzipped: bytes | None


def _hashed(relative: str, digest: str) -> str:
    stem, dot, suffix = relative.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{relative}.{digest}"


class Assets:
    """Every file under `static/`, keyed by its hashed URL."""

    def __init__(self, root: Path = STATIC_DIR) -> None:
        self.urls: dict[str, str] = {}
        self.by_url: dict[str, Asset] = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = path.relative_to(root).as_posix()
            body = path.read_bytes()
            url = PREFIX + _hashed(relative, hashlib.sha256(body).hexdigest()[:10])
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if media_type.startswith("text/") or media_type.endswith("javascript"):
                media_type += "; charset=utf-8"
            gzipped = gzip.compress(body, 9, mtime=0) if path.suffix in _COMPRESSIBLE else None
            self.urls[relative] = url
            self.by_url[url] = Asset(url, media_type, body, gzipped)

    def url(self, relative: str) -> str:
        """The hashed URL of `static/<relative>`; an unknown file is a bug in a template, so it raises."""
        return self.urls[relative]

    def respond(self, request: Request) -> Response:
        asset = self.by_url.get(request.url.path)
        if asset is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        headers = {"Cache-Control": CACHE_FOREVER, "Vary": "Accept-Encoding"}
        if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)
