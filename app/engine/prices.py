"""Prices as the engine consumes them: plain numbers with their provenance.

The engine never reads the catalog itself (it stays pure); the caller resolves
a scenario's catalog ids into a `PriceSheet` and the engine applies the
scenario's own overrides on top. A saved revision stores the sheet, so its
figures never move when the catalog does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .scenario import CatalogId, Deployment

_PER_1M = Field(ge=0, le=1_000_000, allow_inf_nan=False)
Url = Annotated[str, Field(pattern=r"^https://\S+$")]


class Lifecycle(BaseModel):
    """What the vendor has announced about a model's life (docs/prices.md, "Model lifecycles").

    A model is served up to the day before `shutdown_on`; a fine-tuning service takes no new job from
    `training_ends_on`. Each date is the vendor's, read on `as_of` at `source`. The catalog validates
    it; a price sheet freezes it, so a saved revision migrates on the dates it was saved with.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    deprecated_on: dt.date | None = None
    """The day the vendor announced the deprecation."""
    shutdown_on: dt.date | None = None
    """No request is served from this day on (a fine-tune dies with its base model)."""
    training_ends_on: dt.date | None = None
    """No new fine-tuning job is accepted from this day on (fine_tune)."""
    successor: CatalogId | None = None
    """The catalog id of the vendor's recommended replacement. Empty: none that this catalog can price
    (for a fine-tune: no base that can still be tuned there)."""
    source: Url
    """The vendor's page the dates come from (its deprecations page)."""
    as_of: dt.date
    """The day the source was read."""
    note: str | None = None
    """Where sources disagree, or what the vendor left unsaid."""

    @model_validator(mode="after")
    def _dates_in_order(self) -> Lifecycle:
        if self.deprecated_on is None and self.shutdown_on is None and self.training_ends_on is None:
            raise ValueError("a lifecycle needs at least one of deprecated_on, shutdown_on, training_ends_on")
        if self.deprecated_on and self.shutdown_on and self.deprecated_on > self.shutdown_on:
            raise ValueError(f"deprecated_on {self.deprecated_on} is after shutdown_on {self.shutdown_on}")
        if self.training_ends_on and self.shutdown_on and self.training_ends_on > self.shutdown_on:
            raise ValueError(f"training_ends_on {self.training_ends_on} is after shutdown_on {self.shutdown_on}")
        return self

    def sentence(self, name: Callable[[str], str] = str) -> str:
        """Plain words for pages: "shuts down 2027-01-14; successor gpt-6.1-sol"."""
        parts = []
        if self.shutdown_on:
            parts.append(f"shuts down {self.shutdown_on.isoformat()}")
        if self.training_ends_on:
            parts.append(f"no new fine-tuning jobs from {self.training_ends_on.isoformat()}")
        if self.deprecated_on and not parts:
            parts.append(f"deprecated {self.deprecated_on.isoformat()}")
        if self.successor:
            parts.append(f"successor {name(self.successor)}")
        return "; ".join(parts)


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
    lifecycle: Lifecycle | None = None
    """Announced shutdown and end of training, frozen with the sheet (None: nothing announced)."""


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
    deployment: Deployment | None = None
    """A tune's successor only: how it is served after the move (the original's is the scenario's)."""
    successor: TokenPrices | None = None
    """The model that takes over at this one's shutdown (a tune: where it moves), when that falls
    inside the scenario's horizon; None: no migration, or no successor to price."""


class EmbeddingPrices(_Priced):
    input: float = _PER_1M
    """USD per 1M embedded tokens."""
    successor: EmbeddingPrices | None = None
    """The embedding model that takes over at this one's shutdown inside the horizon."""


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
    candidates: list[TokenPrices] = Field(default_factory=list)
    """The API models of `prompting.candidates`, in order (with their successors inside the horizon)."""
    synthetic: TokenPrices | None = None
    """The model that generates synthetic training labels (`fine_tuning.synthetic_model`); None while
    every label is a person's (and in sheets saved before synthetic labels existed)."""


def chain(item: TokenPrices | EmbeddingPrices | None) -> list[TokenPrices | EmbeddingPrices]:
    """An item and the successors that follow it, in order."""
    out: list[TokenPrices | EmbeddingPrices] = []
    while item is not None:
        out.append(item)
        item = item.successor
    return out
