"""The price catalog: every price the calculator may use, each with its source and its date.

Two origins, one list of typed entries:

- token prices of API models come from the pinned `genai-prices` package (its bundled data only,
  never a download), resolved at the fixed reference date of `pricing/genai-prices.yaml` so the
  catalog is the same on every machine and every day;
- what genai-prices lacks (fine-tuning, GPUs, vector databases, rerankers, some batch discounts)
  lives in `pricing/*.yaml`, validated by the pydantic models below (unknown fields rejected).
  A YAML entry whose id is also in genai-prices extends it and may not contradict its prices.

The engine never reads the catalog (it stays pure): `Catalog.price_sheet` turns a scenario's ids
into a `PriceSheet`, reporting every bad id at once. A missing price is an error, never a 0.

`python -m app.catalog --write-schema` regenerates `pricing/schema.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import functools
import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from app.engine.prices import (
    EmbeddingPrices,
    GpuPrices,
    Lifecycle,
    PriceSheet,
    RerankPrices,
    TokenPrices,
    VectorDbPrices,
)
from app.engine.scenario import Deployment, Scenario, month_start

PRICING_DIR = Path(__file__).resolve().parent.parent / "pricing"
"""The repository's price data (the default of `Catalog`)."""
PIN_FILE = "genai-prices.yaml"
SCHEMA_FILE = "schema.json"
GENAI_PRICES = "genai-prices"
REFERENCE_TIME = dt.time(12, 0, tzinfo=dt.UTC)
"""Time of day at which genai-prices is resolved: noon UTC, outside off-peak windows."""

Kind = Literal["llm", "embedding", "fine_tune", "gpu", "vector_db", "reranker"]
KINDS: tuple[str, ...] = get_args(Kind)

_TOKEN_FIELDS = ("input", "cached_input", "output", "batch_discount")
_PRICE_FIELDS = (
    *_TOKEN_FIELDS,
    "training",
    "deployments",
    "gpu_hour_usd",
    "serving_tokens_per_second",
    "training_tokens_per_second",
    "monthly_usd",
    "usd_per_1k_requests",
)
_ALLOWED: dict[str, frozenset[str]] = {
    "llm": frozenset(_TOKEN_FIELDS),
    "embedding": frozenset({"input", "batch_discount"}),
    "fine_tune": frozenset({*_TOKEN_FIELDS, "training", "deployments"}),
    "gpu": frozenset({"gpu_hour_usd", "serving_tokens_per_second", "training_tokens_per_second"}),
    "vector_db": frozenset({"monthly_usd"}),
    "reranker": frozenset({"usd_per_1k_requests"}),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "fine_tune": ("deployments",),
    "gpu": ("gpu_hour_usd", "serving_tokens_per_second", "training_tokens_per_second"),
    "vector_db": ("monthly_usd",),
    "reranker": ("usd_per_1k_requests",),
}

Per1M = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
TokensPerSecond = Annotated[float, Field(gt=0, le=10_000_000, allow_inf_nan=False)]
Url = Annotated[str, Field(pattern=r"^https://\S+$")]
EntryId = Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^:\s]+:\S+$")]


class CatalogError(ValueError):
    """Bad price data or a scenario the catalog cannot price; `errors` lists every problem.

    Each error is `{"loc": (...), "msg": "..."}` with the field path, the shape pydantic uses,
    so a form or the JSON API can point at the offending field.
    """

    def __init__(self, message: str, errors: Sequence[dict[str, Any]]) -> None:
        self.errors: list[dict[str, Any]] = [dict(e) for e in errors]
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in self.errors]
        super().__init__("\n".join([message, *lines]))


class UnknownCatalogId(LookupError):
    """An id the catalog does not have. Carries the closest ids; never a fuzzy substitute."""

    def __init__(self, id: str, closest: Sequence[str]) -> None:
        self.id = id
        self.closest = list(closest)
        hint = f"closest: {', '.join(self.closest)}" if self.closest else "no close match"
        super().__init__(f"unknown catalog id {id!r}; {hint}")

    def __str__(self) -> str:
        return str(self.args[0])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True)


class GenaiPricesPin(_Strict):
    """`pricing/genai-prices.yaml`: the genai-prices data the catalog is built from."""

    package: Literal["genai-prices"]
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    """Installed version required (the pin in pyproject.toml)."""
    reference_date: dt.date
    """Date at which dated and conditional prices are resolved (the catalog's as_of)."""
    source: Url
    """Where the package and its data are published."""


class PricingEntry(_Strict):
    """One priced item of a `pricing/<family>.yaml` file.

    Only the fields of its kind are allowed. An id also present in genai-prices extends that
    entry: it adds what genai-prices lacks and must not contradict its token prices.
    """

    id: EntryId
    """`provider:model`, e.g. `openai:ft:gpt-4o-mini` or `lambda:h100-80gb`."""
    kind: Kind
    name: str | None = None
    """Display name. Empty: genai-prices' name, or the part of the id after the provider."""
    input: Per1M | None = None
    """USD per 1M input tokens (llm, embedding, fine_tune)."""
    cached_input: Per1M | None = None
    """USD per 1M cached input tokens."""
    output: Per1M | None = None
    """USD per 1M output tokens."""
    batch_discount: Share | None = None
    """Share taken off through the provider's batch API (0.5 = half price)."""
    training: Per1M | None = None
    """USD per 1M training tokens (fine_tune trained through the provider's API)."""
    deployments: list[Deployment] | None = Field(default=None, min_length=1)
    """How the tuned model can be served: hosted, serverless, dedicated (fine_tune)."""
    gpu_hour_usd: Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)] | None = None
    """On-demand price of one GPU for one hour (gpu)."""
    serving_tokens_per_second: TokensPerSecond | None = None
    """Aggregate in+out tokens/s one GPU serves for an 8B model with a batching server (gpu)."""
    training_tokens_per_second: TokensPerSecond | None = None
    """Training tokens/s of one GPU for a LoRA run on an 8B model (gpu)."""
    monthly_usd: Annotated[float, Field(ge=0, le=10_000_000, allow_inf_nan=False)] | None = None
    """Plan fee or minimum per month (vector_db)."""
    usd_per_1k_requests: Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)] | None = None
    """USD per 1,000 reranking requests (reranker)."""
    deprecated: bool | None = None
    lifecycle: Lifecycle | None = None
    """Announced deprecation, shutdown, end of fine-tuning and successor, with their own source."""
    source: Url | None = None
    """The page the numbers come from (the official pricing page when unconfirmed). Empty only for an
    entry that adds nothing but `lifecycle` to a genai-prices model, whose prices keep their source."""
    as_of: dt.date | None = None
    """Date the source states or was read (given with `source`)."""
    note: str | None = None
    """Where sources disagree, how an estimate was made, or what was not confirmed."""

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> PricingEntry:
        if (self.source is None) != (self.as_of is None):
            raise ValueError("source and as_of go together")
        if self.source is None and (self.lifecycle is None or any(getattr(self, f) is not None for f in _PRICE_FIELDS)):
            raise ValueError(
                "source and as_of are needed: only an entry that gives nothing but lifecycle may omit them"
            )
        stray = [f for f in _PRICE_FIELDS if getattr(self, f) is not None and f not in _ALLOWED[self.kind]]
        if stray:
            raise ValueError(f"{', '.join(stray)} not allowed for kind {self.kind!r}")
        missing = [f for f in _REQUIRED.get(self.kind, ()) if getattr(self, f) is None]
        if missing:
            raise ValueError(f"kind {self.kind!r} needs {', '.join(missing)}")
        if self.deployments is not None and len(set(self.deployments)) != len(self.deployments):
            raise ValueError("deployments has duplicates")
        return self


class PricingFile(_Strict):
    """A `pricing/<provider or family>.yaml` file."""

    description: str | None = None
    """What the file covers."""
    entries: list[PricingEntry] = Field(min_length=1)


class CatalogEntry(BaseModel):
    """One catalog item as the rest of the app sees it; fields unused by its kind are None."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: Kind
    name: str
    provider: str
    input: float | None = None
    cached_input: float | None = None
    output: float | None = None
    batch_discount: float | None = None
    training: float | None = None
    deployments: tuple[Deployment, ...] | None = None
    gpu_hour_usd: float | None = None
    serving_tokens_per_second: float | None = None
    training_tokens_per_second: float | None = None
    monthly_usd: float | None = None
    usd_per_1k_requests: float | None = None
    deprecated: bool = False
    lifecycle: Lifecycle | None = None
    """Announced dates of the model's end, and its successor (None: nothing announced that we know of)."""
    source: str
    as_of: dt.date
    note: str | None = None
    origin: str
    """`genai-prices`, `pricing/<file>.yaml`, or `genai-prices+pricing/<file>.yaml` when extended."""


def pricing_schema() -> dict[str, Any]:
    """JSON schema of every `pricing/*.yaml` file, for editors and external validators."""
    schema = TypeAdapter(PricingFile | GenaiPricesPin).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "LLM TCO pricing file",
        "description": "pricing/*.yaml: generated by `python -m app.catalog --write-schema`; do not edit.",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(pricing_schema(), indent=2) + "\n"


def _installed_genai_prices_version() -> str:
    return metadata.version(GENAI_PRICES)


def _err(loc: Sequence[str | int], msg: str) -> dict[str, Any]:
    return {"loc": tuple(loc), "msg": msg}


def _a(kind: str) -> str:
    return f"an {kind}" if kind in ("llm", "embedding") else f"a {kind}"


def _num(value: object) -> Decimal | None:
    """A genai-prices price as a Decimal: tiered prices give their base tier."""
    from genai_prices.types import TieredPrices

    if isinstance(value, TieredPrices):
        return value.base
    return value if isinstance(value, Decimal) else None


def _genai_entries(version: str, reference_date: dt.date) -> dict[str, CatalogEntry]:
    """Every genai-prices model with a per-token price, resolved at the reference date."""
    from genai_prices.data import providers
    from genai_prices.types import ModelPrice, TieredPrices, TimeOfDateConstraint

    at = dt.datetime.combine(reference_date, REFERENCE_TIME)
    entries: dict[str, CatalogEntry] = {}
    for provider in providers:
        source = provider.pricing_urls[0] if provider.pricing_urls else f"genai-prices {version}"
        for model in provider.models:
            price = model.get_prices(at)
            keys = ("input_mtok", "cache_read_mtok", "output_mtok")
            inp, cached, out = (_num(getattr(price, k)) for k in keys)
            if inp is None and out is None:
                continue
            notes: list[str] = []
            tiered = [k for k in keys if isinstance(getattr(price, k), TieredPrices)]
            if tiered:
                notes.append("Tiered price: the base tier is used (long prompts cost more).")
            if not isinstance(model.prices, ModelPrice) and any(
                isinstance(c.constraint, TimeOfDateConstraint) for c in model.prices
            ):
                notes.append("Time-of-day price: the one in effect at 12:00 UTC.")
            is_embedding = "embed" in model.id.lower() or provider.id == "voyageai"
            entries[f"{provider.id}:{model.id}"] = CatalogEntry(
                id=f"{provider.id}:{model.id}",
                kind="embedding" if is_embedding else "llm",
                name=model.name or model.id,
                provider=provider.id,
                input=None if inp is None else float(inp),
                cached_input=None if cached is None else float(cached),
                output=None if out is None else float(out),
                batch_discount=_batch_discount(model, at, inp, out),
                deprecated=bool(model.deprecated),
                source=source,
                as_of=reference_date,
                note=" ".join(notes) or None,
                origin=GENAI_PRICES,
            )
    return entries


def _batch_discount(model: Any, at: dt.datetime, inp: Decimal | None, out: Decimal | None) -> float | None:
    """`1 - batch/standard` from the batch price variant active at `at`; None without one."""
    batch = {"processing": "batch"}
    if not any(
        v.when == batch and (v.constraint is None or v.constraint.active(at)) for v in model.price_variants or ()
    ):
        return None
    prices = model.get_prices(at, batch)
    for standard, key in ((inp, "input_mtok"), (out, "output_mtok")):
        discounted = _num(getattr(prices, key))
        if standard and discounted is not None:
            return float(1 - discounted / standard)
    return None


_SUCCESSOR_KINDS: dict[str, frozenset[str]] = {
    "llm": frozenset({"llm"}),
    "embedding": frozenset({"embedding"}),
    "fine_tune": frozenset({"fine_tune"}),
}
"""What a successor may be: the same kind of thing (a tune moves to a base that can still be tuned)."""


def _successor_errors(entries: dict[str, CatalogEntry], files: dict[str, str]) -> list[dict[str, Any]]:
    """Every successor names an entry of a kind that can replace it, and no chain of successors loops."""
    errors = []
    for entry in entries.values():
        life = entry.lifecycle
        if life is None or life.successor is None:
            continue
        loc = ("pricing", files.get(entry.id, "?"), entry.id, "lifecycle", "successor")
        successor = entries.get(life.successor)
        if successor is None:
            close = difflib.get_close_matches(life.successor, entries, n=3)
            hint = f"; closest: {', '.join(close)}" if close else ""
            errors.append(_err(loc, f"successor {life.successor!r} is not in the catalog{hint}"))
        elif successor.kind not in _SUCCESSOR_KINDS.get(entry.kind, frozenset()):
            errors.append(
                _err(loc, f"successor {life.successor!r} is {_a(successor.kind)}; {entry.id!r} is {_a(entry.kind)}")
            )
        chain: list[str] = [entry.id]
        at: str | None = life.successor
        while at is not None and at in entries:
            if at in chain:
                loop = " -> ".join([*chain[chain.index(at) :], at])
                errors.append(_err(loc, f"successors form a cycle: {loop}"))
                break
            chain.append(at)
            nxt = entries[at].lifecycle
            at = nxt.successor if nxt else None
    return errors


def _provenance(entry: CatalogEntry) -> dict[str, Any]:
    """Where an entry's numbers come from, as every priced item of a sheet carries it."""
    return {
        "id": entry.id,
        "source": entry.source,
        "as_of": entry.as_of,
        "note": entry.note,
        "lifecycle": entry.lifecycle,
    }


class Catalog:
    """All catalog entries, keyed by id, built from genai-prices and `pricing/*.yaml`.

    `version` names the exact data (`genai-prices 0.2.3+pricing.<12 hex>`, the hash of the
    pricing files): a saved estimate stores it with its prices.
    """

    def __init__(self, pricing_dir: Path | str | None = None) -> None:
        self.pricing_dir = Path(pricing_dir) if pricing_dir is not None else PRICING_DIR
        files = sorted(self.pricing_dir.glob("*.yaml"))
        texts = {f.name: f.read_text(encoding="utf-8") for f in files}
        pin = self._pin(texts)
        self.genai_prices_version = pin.version
        self.reference_date = pin.reference_date
        digest = hashlib.sha256()
        for name in sorted(texts):
            digest.update(texts[name].encode())
        self.version = f"genai-prices {pin.version}+pricing.{digest.hexdigest()[:12]}"

        entries = _genai_entries(pin.version, pin.reference_date)
        errors: list[dict[str, Any]] = []
        seen: dict[str, str] = {}
        for name, text in texts.items():
            if name == PIN_FILE:
                continue
            for i, entry in enumerate(self._parse(name, text, errors)):
                loc = ("pricing", name, "entries", i)
                if entry.id in seen:
                    errors.append(_err((*loc, "id"), f"duplicate id {entry.id!r}, already in pricing/{seen[entry.id]}"))
                    continue
                seen[entry.id] = name
                merged = self._merge(entries.get(entry.id), entry, name, loc, errors)
                if merged is not None:
                    entries[entry.id] = merged
        errors.extend(_successor_errors(entries, seen))
        if errors:
            raise CatalogError(f"invalid price data in {self.pricing_dir}", errors)
        self._entries = dict(sorted(entries.items()))
        self._sheets: dict[tuple[Any, ...], PriceSheet] = {}

    def _pin(self, texts: dict[str, str]) -> GenaiPricesPin:
        if PIN_FILE not in texts:
            raise CatalogError("missing pin file", [_err(("pricing", PIN_FILE), "file not found")])
        try:
            pin = GenaiPricesPin.model_validate(yaml.safe_load(texts[PIN_FILE]))
        except ValidationError as exc:
            errors = [_err(("pricing", PIN_FILE, *e["loc"]), e["msg"]) for e in exc.errors()]
            raise CatalogError("invalid pin file", errors) from exc
        installed = _installed_genai_prices_version()
        if installed != pin.version:
            msg = (
                f"installed genai-prices {installed} differs from the pinned {pin.version}: "
                f"install genai-prices=={pin.version}, or move the pin in pyproject.toml and "
                f"pricing/{PIN_FILE} together (docs/prices.md)"
            )
            raise CatalogError("genai-prices version mismatch", [_err(("pricing", PIN_FILE, "version"), msg)])
        return pin

    @staticmethod
    def _parse(name: str, text: str, errors: list[dict[str, Any]]) -> list[PricingEntry]:
        try:
            return PricingFile.model_validate(yaml.safe_load(text)).entries
        except yaml.YAMLError as exc:
            errors.append(_err(("pricing", name), f"not valid YAML: {exc}"))
        except ValidationError as exc:
            errors.extend(_err(("pricing", name, *e["loc"]), e["msg"]) for e in exc.errors())
        return []

    @staticmethod
    def _merge(
        base: CatalogEntry | None,
        entry: PricingEntry,
        file: str,
        loc: tuple[str | int, ...],
        errors: list[dict[str, Any]],
    ) -> CatalogEntry | None:
        """A YAML entry on its own, or extending the genai-prices entry of the same id."""
        given = entry.model_dump(include=set(_PRICE_FIELDS), exclude_none=True)
        if "deployments" in given:
            given["deployments"] = tuple(given["deployments"])
        provider, _, model = entry.id.partition(":")
        deprecated = bool(entry.deprecated) or entry.lifecycle is not None
        if base is None:
            if entry.source is None or entry.as_of is None:
                errors.append(
                    _err((*loc, "source"), f"{entry.id!r} is not in genai-prices, so it needs source and as_of")
                )
                return None
            needed = {"llm": ("input", "output"), "embedding": ("input",)}.get(entry.kind, ())
            missing = [f for f in needed if f not in given]
            if missing:
                msg = f"{entry.kind} {entry.id!r} is not in genai-prices, so it needs {', '.join(missing)}"
                errors.append(_err((*loc, missing[0]), msg))
                return None
            return CatalogEntry(
                id=entry.id,
                kind=entry.kind,
                name=entry.name or model,
                provider=provider,
                **given,
                deprecated=deprecated,
                lifecycle=entry.lifecycle,
                source=entry.source,
                as_of=entry.as_of,
                note=entry.note,
                origin=f"pricing/{file}",
            )
        if entry.kind not in ("llm", "embedding", "fine_tune"):
            errors.append(_err((*loc, "kind"), f"{entry.id!r} is a genai-prices model; it cannot be a {entry.kind}"))
            return None
        before = len(errors)
        for field in _TOKEN_FIELDS:
            ours, theirs = given.get(field), getattr(base, field)
            if ours is not None and theirs is not None and not math.isclose(ours, theirs, rel_tol=1e-9):
                msg = f"{field} {ours} contradicts genai-prices ({theirs}); drop it or fix it"
                errors.append(_err((*loc, field), msg))
        if len(errors) > before:
            return None
        own_source = entry.source is not None and entry.as_of is not None
        token_note = f"Token prices from genai-prices ({base.source})." if own_source else None
        note = " ".join(n for n in (entry.note, base.note, token_note) if n)
        return base.model_copy(
            update={
                **given,
                "kind": entry.kind,
                "name": entry.name or base.name,
                "deprecated": base.deprecated or deprecated,
                "lifecycle": entry.lifecycle,
                "source": entry.source if own_source else base.source,
                "as_of": entry.as_of if own_source else base.as_of,
                "note": note or None,
                "origin": f"{GENAI_PRICES}+pricing/{file}",
            }
        )

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, id: object) -> bool:
        return id in self._entries

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self._entries.values())

    def ids(self) -> list[str]:
        """Every id, sorted."""
        return list(self._entries)

    def get(self, id: str) -> CatalogEntry:
        """The entry of `id`; an unknown id raises `UnknownCatalogId` with the closest ids."""
        try:
            return self._entries[id]
        except KeyError:
            raise UnknownCatalogId(id, difflib.get_close_matches(id, self._entries, n=5)) from None

    def search(self, text: str | None = None, kind: str | None = None, limit: int | None = None) -> list[CatalogEntry]:
        """Entries whose id or name contains `text` (any case), of `kind`; deprecated ones last."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        needle = text.casefold() if text else None
        hits = [
            e
            for e in self._entries.values()
            if (kind is None or e.kind == kind)
            and (needle is None or needle in e.id.casefold() or needle in e.name.casefold())
        ]
        hits.sort(key=lambda e: e.deprecated)
        return hits if limit is None else hits[: max(limit, 0)]

    def price_sheet(self, scenario: Scenario) -> PriceSheet:
        """Resolve every catalog id of `scenario` into the prices the engine needs.

        Raises `CatalogError` listing every unknown id, wrong kind, unsupported deployment or
        missing price at once, each with its field path (e.g. `("rag", "embedding_model")`).

        A sheet depends only on the fields in `_sheet_key` and is frozen: the last SHEETS_KEPT are
        kept and shared (a batch of a thousand scenarios on a few models prices each combination
        once; resolving one costs a few pydantic validations, about 70 us).
        """
        key = _sheet_key(scenario)
        sheet = self._sheets.get(key)
        if sheet is None:
            sheet = self._resolve(scenario)
            if len(self._sheets) >= SHEETS_KEPT:
                self._sheets.pop(next(iter(self._sheets)), None)
            self._sheets[key] = sheet
        return sheet

    def _resolve(self, scenario: Scenario) -> PriceSheet:
        """`price_sheet` without the cache: reads exactly the fields `_sheet_key` names."""
        errors: list[dict[str, Any]] = []
        version = self.version

        def resolve(loc: tuple[str, ...], id: str, kind: str) -> CatalogEntry | None:
            try:
                entry = self.get(id)
            except UnknownCatalogId as exc:
                errors.append(_err(loc, str(exc)))
                return None
            if entry.kind != kind:
                errors.append(_err(loc, f"{id!r} is {_a(entry.kind)}; {'.'.join(loc)} needs {_a(kind)}"))
                return None
            return entry

        def need(loc: tuple[str, ...], entry: CatalogEntry, fields: Sequence[str]) -> bool:
            missing = [f for f in fields if getattr(entry, f) is None]
            if missing:
                errors.append(_err(loc, f"{entry.id!r} has no {' or '.join(missing)} price in the catalog"))
            return not missing

        start = scenario.start_month
        first_day = month_start(start, 1)
        after_horizon = month_start(start, scenario.horizon_months + 1)

        def alive(loc: tuple[str, ...], entry: CatalogEntry) -> bool:
            """A model already shut down (a tune: or taking no training job) at the start is refused."""
            life = entry.lifecycle
            if life is None:
                return True
            successor = f"; its successor is {life.successor}" if life.successor else ""
            if life.shutdown_on is not None and life.shutdown_on <= first_day:
                msg = f"{entry.id!r} shut down on {life.shutdown_on}, before {start} (start_month){successor}"
            elif entry.kind == "fine_tune" and life.training_ends_on is not None and life.training_ends_on <= first_day:
                msg = (
                    f"{entry.id!r} takes no new fine-tuning job since {life.training_ends_on}, before {start} "
                    f"(start_month): choose a tune whose provider still trains"
                )
            else:
                return True
            errors.append(_err(loc, msg))
            return False

        def ends_inside(entry: CatalogEntry) -> bool:
            """The entry is retired (or, a tune, stops training) before the horizon is over."""
            life = entry.lifecycle
            dates = (life.shutdown_on, life.training_ends_on if entry.kind == "fine_tune" else None) if life else ()
            return any(d is not None and d < after_horizon for d in dates)

        def successor_of(loc: tuple[str, ...], entry: CatalogEntry, kind: str) -> CatalogEntry | None:
            """The catalog's successor of `entry` when it ends inside the horizon, if any."""
            target = entry.lifecycle.successor if entry.lifecycle and ends_inside(entry) else None
            return resolve(loc, target, kind) if target else None

        def tokens(
            entry: CatalogEntry,
            training: float | None = None,
            zero: bool = False,
            deployment: Deployment | None = None,
            successor: TokenPrices | None = None,
        ) -> TokenPrices:
            inp = entry.input if entry.input is not None else 0.0 if zero else None
            return TokenPrices(
                **_provenance(entry),
                input=inp,
                cached_input=entry.cached_input if entry.cached_input is not None else inp,
                output=entry.output if entry.output is not None else 0.0 if zero else None,
                batch_discount=entry.batch_discount or 0.0,
                training=training,
                deployment=deployment,
                successor=successor,
            )

        def llm(loc: tuple[str, ...], id: str, depth: int = 0) -> TokenPrices | None:
            entry = resolve(loc, id, "llm")
            if entry is None or not need(loc, entry, ("input", "output")) or (depth == 0 and not alive(loc, entry)):
                return None
            nxt = successor_of(loc, entry, "llm")
            return tokens(entry, successor=llm(loc, nxt.id, depth + 1) if nxt else None)

        def embedding_prices(loc: tuple[str, str], id: str, depth: int = 0) -> EmbeddingPrices | None:
            e = resolve(loc, id, "embedding")
            if e is None or not need(loc, e, ("input",)) or (depth == 0 and not alive(loc, e)):
                return None
            nxt = successor_of(loc, e, "embedding")
            return EmbeddingPrices(
                **_provenance(e),
                input=e.input,
                successor=embedding_prices(loc, nxt.id, depth + 1) if nxt else None,
            )

        prompting = llm(("prompting", "model"), scenario.prompting.model)
        candidates = [
            llm(("prompting", "candidates", str(k)), id) for k, id in enumerate(scenario.prompting.candidates)
        ]
        rag = embedding = vector_db = reranker = None
        if scenario.rag.enabled:
            rag = llm(("rag", "model"), scenario.rag.model)
            embedding = embedding_prices(("rag", "embedding_model"), scenario.rag.embedding_model)
            if e := resolve(("rag", "vector_db"), scenario.rag.vector_db, "vector_db"):
                vector_db = VectorDbPrices(**_provenance(e), monthly_usd=e.monthly_usd)
            if scenario.rag.reranker is not None and (
                e := resolve(("rag", "reranker"), scenario.rag.reranker, "reranker")
            ):
                reranker = RerankPrices(**_provenance(e), usd_per_1k_requests=e.usd_per_1k_requests)

        ft = scenario.fine_tuning
        run_given = ft.cost_per_run_usd is not None or ft.prices.training is not None
        move_loc = ("fine_tuning", "move_to")
        move_to = resolve(move_loc, ft.move_to, "fine_tune") if ft.move_to else None  # checked even if unused

        def tune(loc: tuple[str, str], tuned: CatalogEntry, deployment: Deployment, depth: int) -> TokenPrices | None:
            """The tune's prices on `deployment`, and those of where it moves (scenario or catalog)."""
            supported = tuned.deployments or ()
            if deployment not in supported:
                if depth == 0:
                    msg = f"{tuned.id!r} does not support deployment {deployment!r} (supports: {', '.join(supported)})"
                    errors.append(_err(loc, msg))
                    return None
                deployment = supported[0]  # a move keeps the deployment where it can, else the target's first
            if depth == 0 and not alive(loc, tuned):
                return None
            if deployment != "dedicated" and not need(
                loc, tuned, ("input", "output") if run_given and depth == 0 else ("input", "output", "training")
            ):
                return None
            if depth == 0 and ft.move_to:  # the scenario names where the tune moves
                where = move_loc
                nxt = move_to if move_to is not None and ends_inside(tuned) and alive(where, move_to) else None
            else:
                where, nxt = loc, successor_of(loc, tuned, "fine_tune")
            after = tune(where, nxt, deployment, depth + 1) if nxt is not None and nxt.id != tuned.id else None
            return tokens(
                tuned,
                tuned.training,
                zero=deployment == "dedicated",
                deployment=deployment if depth else None,
                successor=after,
            )

        fine_tuning = None
        loc = ("fine_tuning", "model")
        if tuned := resolve(loc, ft.model, "fine_tune"):
            fine_tuning = tune(loc, tuned, ft.deployment, 0)
        gpu = None
        if g := resolve(("fine_tuning", "gpu"), ft.gpu, "gpu"):
            gpu = GpuPrices(
                **_provenance(g),
                gpu_hour_usd=g.gpu_hour_usd,
                serving_tokens_per_second=g.serving_tokens_per_second,
                training_tokens_per_second=g.training_tokens_per_second,
            )
        synthetic = None  # the generator of synthetic labels: named (checked even if unused), else prompting's
        if ft.synthetic_model:
            loc = ("fine_tuning", "synthetic_model")
            if (g := resolve(loc, ft.synthetic_model, "llm")) and need(loc, g, ("input", "output")) and alive(loc, g):
                synthetic = tokens(g) if ft.labels_source != "human" else None
        elif ft.labels_source != "human" and prompting is not None:
            synthetic = prompting.model_copy(update={"successor": None})
        if errors or prompting is None or fine_tuning is None:
            n = len(errors)
            raise CatalogError(f"{n} catalog error{'s' if n != 1 else ''} in the scenario", errors)
        return PriceSheet(
            catalog_version=version,
            prompting=prompting,
            rag=rag,
            embedding=embedding,
            vector_db=vector_db,
            reranker=reranker,
            fine_tuning=fine_tuning,
            gpu=gpu,
            candidates=[c for c in candidates if c is not None],
            synthetic=synthetic,
        )


SHEETS_KEPT = 4096
"""Price sheets a catalog keeps (a few KB each): the first in is the first out."""


def _sheet_key(scenario: Scenario) -> tuple[Any, ...]:
    """Every field `Catalog._resolve` reads, and nothing else: two scenarios with the same key get the
    same sheet (tests/catalog/test_sheet_cache.py checks this against every field of a scenario)."""
    rag, ft = scenario.rag, scenario.fine_tuning
    return (
        scenario.start_month,
        scenario.horizon_months,
        scenario.prompting.model,
        rag.enabled,
        rag.model,
        rag.embedding_model,
        rag.vector_db,
        rag.reranker,
        ft.model,
        ft.deployment,
        ft.move_to,
        ft.gpu,
        ft.cost_per_run_usd is not None,
        ft.prices.training is not None,
        ft.labels_source != "human",
        ft.synthetic_model,
        tuple(scenario.prompting.candidates),
    )


@functools.cache
def load_catalog() -> Catalog:
    """The repository's catalog, built once per process (building it reads every price)."""
    return Catalog()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.catalog",
        description="Print the catalog version and its entries by kind, or regenerate the schema.",
    )
    parser.add_argument("--write-schema", action="store_true", help=f"regenerate pricing/{SCHEMA_FILE}")
    args = parser.parse_args(argv)
    if args.write_schema:
        path = PRICING_DIR / SCHEMA_FILE
        path.write_text(schema_text(), encoding="utf-8")
        print(f"wrote {path}")
        return 0
    catalog = load_catalog()
    counts = Counter[str](e.kind for e in catalog)
    print(catalog.version)
    for kind in KINDS:
        print(f"  {kind:<10} {counts.get(kind, 0):>5}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
