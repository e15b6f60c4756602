"""What an operator watches: one log line per request (JSON by default), a request id on every
answer, and Prometheus metrics.

Metrics with several workers: `llm-tco serve --workers N` points PROMETHEUS_MULTIPROC_DIR at an empty
folder before the workers start, so each worker writes its counters there and `/metrics`, whichever
worker answers it, sums them all (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")  # a proxy's id is kept when it is this tame, else replaced
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapes: logged at debug only

log = logging.getLogger("llm_tco.request")

REQUESTS = Counter(
    "llm_tco_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "llm_tco_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ESTIMATES = Counter(
    "llm_tco_estimates_total",
    "Scenarios estimated (every face: API, pages, exports, saves), by kind: point or monte_carlo.",
    ["kind"],
)
ERRORS = Counter(
    "llm_tco_errors_total",
    "Requests that failed on the server side, by kind: database_unavailable (answered 503) or "
    "unhandled (a bug, answered 500).",
    ["kind"],
)


def count_estimates(count: int, *, monte_carlo: bool) -> None:
    ESTIMATES.labels(kind="monte_carlo" if monte_carlo else "point").inc(count)


def metrics_body() -> tuple[bytes, str]:
    """The exposition text: this process's registry, or every worker's when they share a folder."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def route_label(scope: Scope) -> str:
    """The route's template (`/api/v1/scenarios/{scenario_id}`), as the guard matched it: bounded label
    values, and no secret from a path such as `/shared/<token>` reaches a metric or a log."""
    route = scope.get("state", {}).get("route")
    return route if isinstance(route, str) else "(unmatched)"


class RequestLog:
    """Outermost middleware: gives each request an id (the proxy's X-Request-ID, or a new one), sends it
    back as X-Request-ID, and when the answer is done logs one line and counts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", ())).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if _GOOD_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        failed = False
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            failed = True
            ERRORS.labels(kind="unhandled").inc()
            log.exception("unhandled error", extra={"request_id": request_id})
            raise
        finally:
            elapsed = time.perf_counter() - started
            route = route_label(scope)
            method = scope["method"]
            status = 500 if failed else status
            REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            LATENCY.labels(method=method, route=route).observe(elapsed)
            path = scope["path"] if "{token}" not in route else route
            fields = {
                "request_id": request_id,
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "client": (scope.get("client") or ("", 0))[0],
            }
            level = logging.DEBUG if scope["path"] in QUIET_PATHS and status < 500 else logging.INFO
            log.log(level, "%s %s %s", method, path, status, extra=fields)


# --- log formats -----------------------------------------------------------------------------------------

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, pid, and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        doc.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The same fields for a person: `time level message key=value ...`."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S.%f")[:-3]
        extra = " ".join(f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD)
        line = f"{when} {record.levelname.lower():7s} {record.getMessage()}" + (f"  {extra}" if extra else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def log_config(log_format: str, level: str) -> dict[str, Any]:
    """A logging.config dict for uvicorn's `log_config`: our lines and uvicorn's own in one format, to
    stderr. uvicorn's access log is off: RequestLog writes a better line (route, duration, request id)."""
    formatter = "json" if log_format == "json" else "text"
    handler = {"class": "logging.StreamHandler", "formatter": formatter, "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}, "text": {"()": TextFormatter}},
        "handlers": {"stderr": handler},
        "loggers": {
            "llm_tco": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
