"""Prices as the engine consumes them: plain numbers with their provenance.

The engine never reads the catalog itself (it stays pure); the caller resolves
a scenario's catalog ids into a `PriceSheet` and the engine applies the
scenario's own overrides on top. A saved revision stores the sheet, so its
figures never move when the catalog does.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

_PER_1M = Field(ge=0, le=1_000_000, allow_inf_nan=False)


class _Priced(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str
    """Catalog id, `provider:model`."""
    source: str
    """Where the number comes from (a URL, or the package that carries it)."""
    as_of: dt.date | None = None
    """Date the source was read or the price took effect."""
    note: str | None = None
    """The catalog's caveat (an estimate, sources that disagree), kept with a frozen sheet."""


class TokenPrices(_Priced):
    """USD per 1M tokens of one model (a frontier API model or a tuned model)."""

    input: float = _PER_1M
    cached_input: float = _PER_1M
    """Price of a cache hit on the static prefix; equal to `input` where the provider has none."""
    output: float = _PER_1M
    batch_discount: float = Field(default=0.0, ge=0, le=1)
    """Share taken off the price of traffic sent through the provider's batch API."""
    training: float | None = Field(default=None, ge=0, le=1_000_000)
    """USD per 1M training tokens (tuned models trained through a provider's API)."""


class EmbeddingPrices(_Priced):
    input: float = _PER_1M
    """USD per 1M embedded tokens."""


class VectorDbPrices(_Priced):
    monthly_usd: float = Field(ge=0, le=10_000_000)
    """Plan fee per month."""


class RerankPrices(_Priced):
    usd_per_1k_requests: float = Field(ge=0, le=100_000)


class GpuPrices(_Priced):
    gpu_hour_usd: float = Field(ge=0, le=10_000)
    serving_tokens_per_second: float = Field(gt=0, le=10_000_000)
    """Aggregate tokens (in + out) one GPU serves for an 8B-class model under batching."""
    training_tokens_per_second: float = Field(gt=0, le=10_000_000)
    """Training tokens per second of one GPU for a LoRA run on an 8B-class model."""


class PriceSheet(BaseModel):
    """Every catalog price a scenario needs, resolved from its ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    catalog_version: str
    prompting: TokenPrices
    rag: TokenPrices | None = None
    embedding: EmbeddingPrices | None = None
    vector_db: VectorDbPrices | None = None
    reranker: RerankPrices | None = None
    fine_tuning: TokenPrices
    """The tuned model. For a dedicated deployment its token prices are unused."""
    gpu: GpuPrices | None = None
