"""create_app(): the routers, error handlers and middleware of LLM TCO."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse

from app.api import errors, estimates, exports, reference, scenarios
from app.settings import Settings, get_settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="LLM TCO",
        version="1",
        summary="Total cost of ownership of prompting, RAG and fine-tuning, with a verdict under the 2x rule.",
        description="Field names are stable within /api/v1 (shared/design/api-contract.md). Money is USD, in cents.",
    )
    app.state.settings = settings
    api = APIRouter(prefix=API_PREFIX, responses=errors.ERROR_RESPONSES)  # our 422 and 413, on every route
    api.include_router(estimates.router)
    api.include_router(reference.router)
    api.include_router(scenarios.router)
    api.include_router(exports.router)
    app.include_router(api)
    errors.install(app)
    app.add_middleware(errors.BodyLimit, limit=settings.max_body_bytes)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app
