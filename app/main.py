"""create_app(): the routers, error handlers and middleware of LLM TCO."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.security import HTTPBearer
from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from app.api import errors, estimates, exports, reference, review, scenarios, spec
from app.auth.guard import Guard, route_table
from app.budget import BudgetScope
from app.db.session import get_engine
from app.exports import XLSX_MEDIA_TYPE
from app.head import HeadAsGet
from app.hosts import HostCheck
from app.observability import RequestLog
from app.ops import router as ops_router
from app.settings import Settings, get_settings
from app.web import account, calculator, catalog_page, compare, error_pages, guided, report, sources
from app.web import review as review_pages
from app.web import scenarios as scenario_pages
from app.web.assets import PREFIX
from app.web.middleware import SecurityHeaders
from app.web.templating import assets, templates

API_PREFIX = "/api/v1"
API_TOKEN = HTTPBearer(
    auto_error=False,  # documents the scheme only: the guard authenticates, before any route runs
    scheme_name="apiToken",
    description="An API token (`llm-tco tokens create`, or your account page), in team mode. Local mode needs none.",
)


Handler = Callable[[Request, Any], Awaitable[Response]]


def _by_face(api: Handler, pages: Handler) -> Handler:
    """One exception handler for both faces: JSON under /api, a page elsewhere."""

    async def handler(request: Request, exc: Any) -> Response:
        return await (api if error_pages.is_api(request) else pages)(request, exc)

    return handler


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="LLM TCO",
        version="1",
        summary="Total cost of ownership of prompting, RAG and fine-tuning, with a verdict under the 2x rule.",
        description=(
            "Field names are stable within /api/v1 (docs/api.md in the repository). Money is in dollars "
            "(or the scenario's `finance.currency`: the Estimate's `currency`), rounded to the cent."
        ),
        docs_url=None,  # served below from static/vendor: no CDN, no inline script
        redoc_url=None,
    )
    app.state.settings = settings
    engine = get_engine(settings.database_url)
    app.state.session_factory = lambda: Session(engine, expire_on_commit=False)
    # the bearer scheme (Swagger's "Authorize"); every operation's errors are declared by app/api/spec.py
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(API_TOKEN)])
    api.include_router(estimates.router)
    api.include_router(reference.router)
    api.include_router(scenarios.router)
    api.include_router(exports.router)
    api.include_router(review.router)
    app.include_router(api)
    app.include_router(calculator.router)
    app.include_router(guided.router)
    app.include_router(scenario_pages.router)
    app.include_router(report.router)
    app.include_router(compare.router)
    app.include_router(catalog_page.router)
    app.include_router(account.router)
    app.include_router(review_pages.router)
    app.include_router(sources.router)
    app.include_router(ops_router)
    errors.install(app)
    spec.install(app)
    error_pages.install(app)
    app.add_exception_handler(HTTPException, _by_face(errors.http_error, error_pages.http_error))
    app.add_exception_handler(RequestValidationError, _by_face(errors.validation_error, error_pages.validation_error))
    app.add_middleware(BudgetScope)  # inside the guard: the budget of whoever it found asking
    # after the body limit, before any route; it renders its page refusals with the pages' own renderer
    app.add_middleware(Guard, routes=app.router.routes, page=error_pages.page)
    app.add_middleware(error_pages.DatabaseOutage)  # 503 for the guard's lookups and the routes' alike
    app.add_middleware(errors.BodyLimit, limit=settings.max_body_bytes)
    # static files come gzipped already; an XLSX is a zip already (compressing it again only costs time)
    app.add_middleware(
        GZipMiddleware,
        minimum_size=1_000,
        compresslevel=6,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, XLSX_MEDIA_TYPE),
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)  # outside the guard: a HEAD is checked and answered as its GET
    app.add_middleware(HostCheck, settings=settings)  # before anything reads the request: DNS rebinding
    app.add_middleware(RequestLog)  # outermost of ours: times and logs every answer, refusals included

    static = assets()

    @app.get(PREFIX + "{path:path}", include_in_schema=False)
    async def static_file(request: Request, path: str) -> Response:
        return static.respond(request)

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    async def api_docs(request: Request) -> Response:
        return templates.TemplateResponse(request, "api_docs.html", {})

    route_table(app.router.routes)  # a route without an access rule stops the app here, not in production
    return app
