"""The scenario: every input of the cost model, its default, and where the default comes from.

Field names follow `docs/api.md` (units in the name). Each
docstring cites its seed article by number (000-004 in `shared/seeds/`) or says
"assumption" where the seeds are silent; the web form shows the same text.
Every number is bounded so that no input can reach NaN or infinity.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import typing
from typing import Annotated, Any, Literal

from annotated_types import Ge, Gt, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from .currencies import ISO_4217

MONTH_DAYS = 365 / 12
"""Days in a month (cost-model.md: volumes per day are multiplied by 365/12)."""
MONTH_WEEKS = 52 / 12
"""Weeks in a month (cost-model.md)."""
MONTH_HOURS = 730.0
"""Hours in a month for GPU rental (365 x 24 / 12)."""
DEFAULT_REQUESTS_PER_MONTH = 100_000.0
MAX_CANDIDATES = 12
"""API models a scenario may compare its own against (`prompting.candidates`): a kernel row each."""
MIN_LABELED_EXAMPLES = 1_000
"""Gate 6 (002): at least 1,000 high-quality labeled examples."""
TCO_RULE = 2.0
"""Gate 5 (002): fine-tuning must win by at least 2x on total cost of ownership."""

Strategy = Literal["prompting", "rag", "fine_tuning", "hybrid"]
STRATEGIES: tuple[Strategy, ...] = ("prompting", "rag", "fine_tuning", "hybrid")
"""`hybrid` (RAG's retrieval feeding a tune) is an option only for a task of both kinds (`task.kind`)."""
STRATEGY_LABELS: dict[str, str] = {
    "prompting": "Prompting",
    "rag": "RAG",
    "fine_tuning": "Fine-tuning",
    "hybrid": "Hybrid",
}
"""How people read the keys: the one spelling for pages, tables and sentences."""
Category = Literal[
    "engineering", "labeling", "evaluation", "training", "inference", "hosting", "retrieval", "maintenance"
]
"""The eight cost categories of every strategy (cost-model.md, Strategy costs, by category)."""
CATEGORIES: tuple[Category, ...] = typing.get_args(Category)
Deployment = Literal["hosted", "serverless", "dedicated"]
LabelsSource = Literal["human", "synthetic", "mixed"]
DEPLOYMENTS: tuple[Deployment, ...] = ("hosted", "serverless", "dedicated")
DEFAULT_TUNE: dict[str, str] = {
    "hosted": "tinker:qwen3-8b-lora",
    "serverless": "tinker:qwen3-8b-lora",
    "dedicated": "qwen:qwen3-8b",
}
"""The tuned model a deployment starts from (pricing/tinker.yaml, pricing/open-models.yaml): routes that
still take training jobs in 2027 (OpenAI's self-serve fine-tuning takes none from 2027-01-06)."""
DEFAULT_API_MODEL = "openai:gpt-6.2-sol"
"""The frontier API model of prompting and RAG: OpenAI's newest (2026-11-17), with no end announced.
002's worked example priced GPT-4o, which shuts down on 2027-01-14."""
DEFAULT_FINE_TUNED_LATENCY_MS: dict[str, float] = {"hosted": 500.0, "serverless": 300.0, "dedicated": 80.0}
"""Typical latency per deployment when `fine_tuning.latency_ms` is not given (assumption;
002/003: a small tuned model on your own GPU gets under 100 ms, an API does not)."""

Tokens = Annotated[int, Field(ge=0, le=2_000_000)]
Weeks = Annotated[float, Field(ge=0, le=520, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Usd = Annotated[float, Field(ge=0, le=1_000_000_000, allow_inf_nan=False)]
PricePer1M = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
Hours = Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)]
Months = Annotated[int, Field(ge=1, le=120)]
LatencyMs = Annotated[float, Field(gt=0, le=600_000, allow_inf_nan=False)]
CatalogId = Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^:\s]+:\S+$")]
CATALOG_ID_KINDS: dict[str, str] = {
    "prompting.model": "llm",
    "rag.model": "llm",
    "rag.embedding_model": "embedding",
    "rag.vector_db": "vector_db",
    "rag.reranker": "reranker",
    "fine_tuning.model": "fine_tune",
    "fine_tuning.move_to": "fine_tune",
    "fine_tuning.gpu": "gpu",
    "fine_tuning.synthetic_model": "llm",
}
"""Every field that holds a catalog id, and the kind of entry it needs (the form's model picker, the
catalog check)."""
FIRST_START_MONTH, LAST_START_MONTH = "2020-01", "2100-12"
"""The calendar months a scenario may start in."""


def next_month(today: dt.date | None = None) -> str:
    """The calendar month after today's (UTC), "YYYY-MM": when a new scenario starts by default."""
    today = today or dt.datetime.now(dt.UTC).date()
    return f"{today.year + today.month // 12:04d}-{today.month % 12 + 1:02d}"


def _a_month(text: str) -> str:
    """A calendar month "YYYY-MM" from 2020-01 to 2100-12 (a month outside that is a typo)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"{text!r} is not a calendar month: write it as YYYY-MM, such as 2027-01")
    if not FIRST_START_MONTH <= text <= LAST_START_MONTH:
        raise ValueError(f"{text} is outside {FIRST_START_MONTH} to {LAST_START_MONTH}")
    return text


CalendarMonth = Annotated[str, Field(min_length=7, max_length=7, examples=["2027-01"]), AfterValidator(_a_month)]


def month_start(start_month: str, month: int) -> dt.date:
    """The first day of month `month` (1-based) of a scenario that starts in `start_month`."""
    year, mon = int(start_month[:4]), int(start_month[5:7])
    index = year * 12 + mon - 1 + month - 1
    return dt.date(index // 12, index % 12 + 1, 1)


def period(start_month: str, month: int) -> str:
    """The calendar month "YYYY-MM" of month `month` (1-based)."""
    return month_start(start_month, month).isoformat()[:7]


@functools.lru_cache(maxsize=256)
def periods_of(start_month: str, months: int) -> tuple[str, ...]:
    """ "YYYY-MM" of months 1 .. `months`: worked out once, for a day's documents and their pages' charts
    (a page's charts ask for the same months a dozen times, 15% of a recompute uncached)."""
    return tuple(period(start_month, m) for m in range(1, months + 1))


def month_of(start_month: str, day: dt.date) -> int:
    """The month (1-based) that contains `day`; 0 or less for a day before the start month."""
    return (day.year - int(start_month[:4])) * 12 + day.month - int(start_month[5:7]) + 1


def _no_control_characters(text: str) -> str:
    """Free text may hold tabs and line breaks, never NUL or other control characters
    (PostgreSQL cannot store NUL; spreadsheets choke on the rest)."""
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise ValueError("control characters (such as NUL) are not allowed")
    return text


def _iso_4217(code: str) -> str:
    """An ISO 4217 code in capitals ("eur" is read as "EUR")."""
    code = code.upper()
    if code not in ISO_4217:
        close = difflib.get_close_matches(code, sorted(ISO_4217), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise PydanticCustomError("currency", "not an ISO 4217 currency code{hint}", {"hint": hint})
    return code


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, use_attribute_docstrings=True, validate_default=True)


class PriceOverrides(_Section):
    """Negotiated rates; each one given replaces the catalog's (USD per 1M tokens)."""

    input: PricePer1M | None = None
    """Input tokens. Empty: the catalog price of the model."""
    cached_input: PricePer1M | None = None
    """Cached prefix tokens. Empty: the catalog price (or the input price where there is none)."""
    output: PricePer1M | None = None
    """Output tokens. Empty: the catalog price of the model."""
    batch_discount: Share | None = None
    """Share off for traffic sent through a batch API. Empty: the catalog's (OpenAI: 50%)."""


class FineTunedPriceOverrides(PriceOverrides):
    training: PricePer1M | None = None
    """USD per 1M training tokens. Empty: the catalog price of the tuned model."""


class EmbeddingPriceOverrides(_Section):
    input: PricePer1M | None = None
    """USD per 1M embedded tokens. Empty: the catalog price of the embedding model."""


class Workload(_Section):
    requests_per_month: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)] | None = None
    """Requests in month 1. Give this or `requests_per_day`, not both; neither means
    100,000 (002: under 100k calls a month the upkeep of a tune almost never pays)."""
    requests_per_day: Annotated[float, Field(ge=0, le=3e10, allow_inf_nan=False)] | None = None
    """Requests per day in month 1; a month is 365/12 days."""
    monthly_growth: Annotated[float, Field(gt=-1, le=1, allow_inf_nan=False)] = 0.0
    """Growth of volume from one month to the next, as a fraction (0.05 = 5%). Default 0: flat."""
    input_tokens: Tokens = 1_000
    """Variable input tokens per request, the user content only (002's worked example: 1,000)."""
    output_tokens: Tokens = 200
    """Output tokens per request (assumption: a short structured answer)."""
    peak_to_average: Annotated[float, Field(ge=1, le=100, allow_inf_nan=False)] = 3.0
    """Peak traffic over average traffic; sizes dedicated GPUs (assumption: a daily peak of 3x)."""
    latency_budget_ms: LatencyMs | None = None
    """Hard latency requirement per request. Empty: none (003: a frontier API has a latency floor)."""

    @model_validator(mode="after")
    def _one_volume(self) -> Workload:
        if self.requests_per_month is not None and self.requests_per_day is not None:
            raise ValueError("give requests_per_month or requests_per_day, not both")
        return self

    @property
    def monthly_requests(self) -> float:
        """Month-1 volume, whichever way it was entered."""
        if self.requests_per_month is not None:
            return self.requests_per_month
        if self.requests_per_day is not None:
            return self.requests_per_day * MONTH_DAYS
        return DEFAULT_REQUESTS_PER_MONTH


class Task(_Section):
    """The answers behind gates 1-4 and 6 (002). Defaults assume nothing in fine-tuning's favour."""

    kind: Literal["behavior", "knowledge", "both"] = "behavior"
    """Does the task shape behaviour (format, tone, classification), need knowledge, or both? Gate 1 (002).
    `both` needs RAG on: the tuned route is then the hybrid, RAG's retrieval feeding a tune."""
    prompting_tried: bool = False
    """Prompting with few-shot examples was tried and its failures are known. Gate 2 (002, 003)."""
    eval_harness: Literal["exists", "budgeted", "missing"] = "missing"
    """An evaluation harness with a baseline score: exists, is budgeted, or is missing. Gate 3 (002)."""
    narrow_and_stable: bool = False
    """The task is narrow, stable and well defined. Gate 4 (002)."""
    labeled_examples: Annotated[int, Field(ge=0, le=1_000_000_000)] = 0
    """High-quality labeled examples available now. Gate 6 needs 1,000 (002)."""


class Team(_Section):
    engineer_week_usd: Usd = 4_000.0
    """Loaded cost of one engineer-week (cost-model.md default)."""
    label_cost_usd: Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)] = 10.0
    """Cost of one human-labeled example (002: 5-20 USD for skilled annotators)."""
    golden_examples: Annotated[int, Field(ge=0, le=10_000_000)] = 300
    """Rated examples in the frozen golden set of the evaluation harness (002: 200-500)."""
    eval_build_weeks: Weeks = 2.0
    """Engineering to build the scorer and baseline of the harness (assumption)."""


class Prompting(_Section):
    model: CatalogId = DEFAULT_API_MODEL
    """Frontier API model (OpenAI's newest; 002's worked example priced GPT-4o, retired 2027-01-14)."""
    prices: PriceOverrides = Field(default_factory=PriceOverrides)
    """Negotiated rates for the prompting model; each one given replaces the catalog's."""
    system_prompt_tokens: Tokens = 1_000
    """System prompt (002: a style the tune bakes in would otherwise take a 1,000-token system prompt)."""
    few_shot_examples: Annotated[int, Field(ge=0, le=1_000)] = 5
    """Examples in the prompt (001: 2-10; 000: five to fifteen)."""
    tokens_per_example: Tokens = 200
    """Tokens of one few-shot example, input and output (assumption)."""
    cache_hit_rate: Share = 0.0
    """Share of the static prefix (system prompt + examples) billed as cached input. 0 = no caching."""
    batch_share: Share = 0.0
    """Share of traffic sent through the provider's batch API (at its batch discount)."""
    prompt_weeks: Weeks = 4.0
    """Engineering to build and iterate the prompt (003: at least four weeks of iteration)."""
    prompt_weeks_sunk: bool = False
    """The prompt weeks are already spent (as they usually are when the task says prompting was
    tried): a forward-looking TCO leaves a sunk cost out, so prompting is not charged for them."""
    maintenance_hours: Hours = 8.0
    """Engineering hours per month to watch and fix the prompt (assumption)."""
    model_upgrade_months: Months = 12
    """A provider model upgrade to re-validate every this many months (assumption; 001: prompts
    carry over to new models, but evals are re-run)."""
    revalidation_weeks: Weeks = 1.0
    """Engineering to re-run evals and adjust prompts at each model upgrade (assumption; 003)."""
    latency_ms: LatencyMs = 800.0
    """Typical latency of one call (assumption; 003: a frontier API has a latency floor)."""
    candidates: Annotated[list[CatalogId], Field(max_length=MAX_CANDIDATES)] = Field(default_factory=list)
    """Other API models (catalog ids, at most 12) to price prompting and RAG on, for the same workload
    and horizon: is a smaller model enough (002: a smaller model costs 10-50x less per token; 004:
    distil to a smaller one)? Advice, not a verdict (docs/cost-model.md, Right-sizing the API model)."""
    acceptable: Annotated[list[CatalogId], Field(max_length=MAX_CANDIDATES)] = Field(default_factory=list)
    """The candidates you judge good enough for the task: only these may replace `model` as the
    baseline of the 2x rule, and the cheapest of them does when it costs less."""

    @field_validator("candidates")
    @classmethod
    def _each_once(cls, ids: list[str]) -> list[str]:
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise PydanticCustomError("candidates", "{ids} listed more than once", {"ids": ", ".join(twice)})
        return ids

    @field_validator("acceptable")
    @classmethod
    def _among_candidates(cls, ids: list[str], info: ValidationInfo) -> list[str]:
        candidates = info.data.get("candidates")
        if candidates is None:  # the candidates were refused: their message says why
            return ids
        strangers = [i for i in ids if i not in candidates]
        if strangers:
            raise PydanticCustomError(
                "acceptable", "{ids}: not among the candidates; add it there first", {"ids": ", ".join(strangers)}
            )
        return ids


class Rag(_Section):
    enabled: bool = True
    """False when retrieval is not an option for this task: rag is then left out."""
    model: CatalogId = DEFAULT_API_MODEL
    """Frontier API model that answers over the retrieved chunks."""
    prices: PriceOverrides = Field(default_factory=PriceOverrides)
    """Negotiated rates for the RAG model; each one given replaces the catalog's."""
    system_prompt_tokens: Tokens = 300
    """System prompt of the RAG route (assumption)."""
    few_shot_examples: Annotated[int, Field(ge=0, le=1_000)] = 0
    """Optional few-shot examples in the RAG prompt."""
    tokens_per_example: Tokens = 200
    """Tokens of one few-shot example (assumption)."""
    retrieved_chunks: Annotated[int, Field(ge=0, le=1_000)] = 5
    """Chunks put in the prompt per request (000's pipeline retrieves the top 5)."""
    chunk_tokens: Tokens = 400
    """Tokens per chunk (assumption)."""
    cache_hit_rate: Share = 0.0
    """Share of the static prefix billed as cached input; retrieved chunks are never cached."""
    batch_share: Share = 0.0
    """Share of traffic sent through the provider's batch API."""
    build_weeks: Weeks = 3.0
    """Engineering to build the pipeline: chunking, embedding, retrieval eval (004: days to weeks)."""
    weeks_to_launch: Weeks = 3.0
    """Weeks from the start of month 1 until RAG serves traffic; prompting serves before (004)."""
    embedding_model: CatalogId = "openai:text-embedding-3-small"
    """Model that embeds the corpus and each query."""
    embedding_prices: EmbeddingPriceOverrides = Field(default_factory=EmbeddingPriceOverrides)
    """Negotiated rate for the embedding model; replaces the catalog's."""
    corpus_tokens: Annotated[float, Field(ge=0, le=1e13, allow_inf_nan=False)] = 5_000_000.0
    """Tokens in the knowledge base, embedded once in month 1 (assumption: a few thousand pages)."""
    corpus_churn_share: Share = 0.1
    """Share of the corpus re-embedded every month as documents change (assumption)."""
    vector_db: CatalogId = "pinecone:standard"
    """Vector database plan (catalog)."""
    vector_db_monthly_usd: Usd | None = None
    """Vector database fee per month. Empty: the catalog plan's fee."""
    reranker: CatalogId | None = None
    """Optional reranking model (catalog). Empty: no reranking."""
    rerank_usd_per_1k_requests: Usd | None = None
    """Reranking price per 1,000 requests. Empty: the catalog reranker's price."""
    maintenance_hours: Hours = 16.0
    """Engineering hours per month on index upkeep and retrieval quality (assumption; 000)."""
    model_upgrade_months: Months = 12
    """A provider model upgrade to re-validate every this many months (assumption)."""
    revalidation_weeks: Weeks = 1.0
    """Engineering to re-run evals at each model upgrade (assumption)."""
    latency_ms: LatencyMs = 1_200.0
    """Typical latency of one call, retrieval included (assumption)."""


class FineTuning(_Section):
    deployment: Deployment = "hosted"
    """hosted: the provider's fine-tuning API; serverless: a LoRA on an open model at a per-token
    host; dedicated: a LoRA on an open model on GPUs you rent (002, 003)."""
    model: CatalogId = DEFAULT_TUNE["hosted"]
    """Tuned model (catalog): training and inference prices. Empty: the deployment's default, routes that
    still take jobs: a Qwen3 8B LoRA on Tinker (hosted, serverless) or on your GPUs (dedicated). 003
    tuned OpenAI's gpt-4o-mini, whose tuning ends 2027-01-06."""
    prices: FineTunedPriceOverrides = Field(default_factory=FineTunedPriceOverrides)
    """Negotiated rates for the tuned model, training included; each one given replaces the catalog's."""
    system_prompt_tokens: Tokens = 50
    """A short system prompt; no examples, the behaviour is in the weights (001)."""
    cache_hit_rate: Share = 0.0
    """Share of the system prompt billed as cached input (hosted and serverless)."""
    batch_share: Share = 0.0
    """Share of traffic sent through a batch API (hosted and serverless)."""
    training_examples: Annotated[int, Field(ge=0, le=100_000_000)] = 2_000
    """Examples in the training set (002: 500-5,000 for LoRA on a narrow task)."""
    epochs: Annotated[int, Field(ge=1, le=100)] = 3
    """Passes over the training set per run (assumption: the common default of 3)."""
    runs_per_cycle: Annotated[int, Field(ge=0, le=1_000)] = 10
    """Training runs of a full cycle (003: budget 5 to 15 runs)."""
    cost_per_run_usd: Usd | None = None
    """Cost of one training run entered directly (003: 50-2,000 USD). Empty: from training tokens."""
    weeks_per_cycle: Weeks = 6.0
    """Senior engineering per full cycle: pipeline, eval, rollout (002: 4-8 weeks)."""
    curation_weeks: Weeks = 6.0
    """Engineering to review the training set of a full cycle (000: six weeks of one person)."""
    retrain_every_months: Months | None = 3
    """Retrain on fresh data every this many months (000: below baseline within four months
    without retraining; 001: fine-tunes go stale). Empty: never."""
    retrain_runs: Annotated[int, Field(ge=0, le=1_000)] = 3
    """Training runs of a retraining cycle (assumption)."""
    retrain_weeks: Weeks = 2.0
    """Engineering per retraining cycle (assumption)."""
    new_label_share: Share = 0.2
    """Share of the training set labeled afresh at each retraining (assumption)."""
    labels_source: LabelsSource = "human"
    """Where the training labels come from: people at `team.label_cost_usd` each (human), a stronger
    model's outputs of which a share is reviewed by a person (synthetic), or both (mixed), in the first
    cycle and at each retraining (002: synthetic data from a stronger model is common and legitimate,
    but it must be validated, and the generator's terms of service apply: OpenAI prohibits using its
    outputs to train competing models). The golden set stays human."""
    synthetic_share: Share = 0.5
    """mixed: the share of the training examples generated (the rest labeled by people) (assumption)."""
    synthetic_model: CatalogId | None = None
    """The model that generates the examples (catalog), priced per token. Empty: prompting's model."""
    synthetic_prompt_tokens: Tokens = 500
    """Tokens sent to the generator per example: instructions and seed examples (assumption). It
    writes one example, the size of a request's input and output."""
    synthetic_review_share: Share = 0.1
    """Share of the generated examples a person checks, at `team.label_cost_usd` each (assumption;
    002: synthetic outputs require validation)."""
    base_model_deprecation_months: Months | None = 12
    """The base model is deprecated or updated every this many months, forcing a full cycle
    (002: deprecated gpt-3.5-turbo fine-tunes; 000: a base update six weeks after launch).
    Empty: never."""
    weeks_to_launch: Weeks = 8.0
    """Weeks from the start of month 1 until the tuned model serves; prompting serves before (004)."""
    gpu: CatalogId = "lambda:h100-80gb"
    """GPU type (catalog) for dedicated serving and for self-hosted LoRA training."""
    gpu_hour_usd: Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)] | None = None
    """Hourly rate of one GPU. Empty: the catalog's."""
    gpus_per_replica: Annotated[int, Field(ge=1, le=64)] = 1
    """GPUs in one serving replica (an 8B model fits one GPU)."""
    min_replicas: Annotated[int, Field(ge=0, le=10_000)] = 1
    """Replicas kept running whatever the traffic (assumption: one)."""
    tokens_per_second_per_replica: Annotated[float, Field(ge=1, le=10_000_000, allow_inf_nan=False)] | None = None
    """Tokens (in + out) one replica serves per second at peak. Empty: the catalog GPU's."""
    training_tokens_per_second: Annotated[float, Field(ge=1, le=10_000_000, allow_inf_nan=False)] | None = None
    """Training throughput of one GPU for self-hosted LoRA runs. Empty: the catalog GPU's."""
    monitoring_usd_per_month: Usd = 200.0
    """Monitoring and drift tooling per month (assumption; 001: monitor drift)."""
    maintenance_hours: Hours = 16.0
    """Engineering hours per month on the tuned model: drift checks, incidents (assumption; 001)."""
    latency_ms: LatencyMs | None = None
    """Typical latency of one call. Empty: 500 ms hosted, 300 ms serverless, 80 ms dedicated."""
    move_to: CatalogId | None = None
    """Where the tune moves when its provider stops serving it or takes no new training job (a
    tuned-model catalog id, such as an open-weights LoRA on a serverless host or on your GPUs): a full
    cycle there, then its prices (docs/cost-model.md, Lifecycle). Empty: the catalog's successor; where
    there is none, fine-tuning reports the month from which it cannot be kept up."""

    @model_validator(mode="before")
    @classmethod
    def _model_for_deployment(cls, data: Any) -> Any:
        """No model given: the default tune of the chosen deployment, so that switching to dedicated
        never lands on a hosted-only model."""
        if isinstance(data, dict) and data.get("model") in (None, ""):
            deployment = data.get("deployment", "hosted")
            if deployment in DEFAULT_TUNE:
                return {**data, "model": DEFAULT_TUNE[deployment]}
        return data

    @property
    def effective_latency_ms(self) -> float:
        return self.latency_ms if self.latency_ms is not None else DEFAULT_FINE_TUNED_LATENCY_MS[self.deployment]


class Range(_Section):
    """Where an input may plausibly lie: Monte Carlo draws it from a triangle (low, value, high)."""

    low: Annotated[float, Field(allow_inf_nan=False)]
    """The lowest plausible value, in the input's own unit."""
    high: Annotated[float, Field(allow_inf_nan=False)]
    """The highest plausible value, in the input's own unit."""
    source: Annotated[str, Field(max_length=300), AfterValidator(_no_control_characters)] = ""
    """Where the range comes from: a seed article ("002: 5-20 USD per label"), a quote, a guess."""

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low ({self.low:g}) must not exceed high ({self.high:g})")
        return self


class Finance(_Section):
    """How finance reads the figures: fiscal year, present value, price trends and currency
    (docs/cost-model.md, Finance)."""

    fiscal_year_start_month: Annotated[int, Field(ge=1, le=12)] = 1
    """Calendar month (1-12) in which the fiscal year starts: 1 gives calendar years ("2027"); 7 gives
    fiscal years from July, named by the year they end in (July 2026 to June 2027 is "FY2027")."""
    discount_rate: Annotated[float, Field(gt=-1, le=9.99)] = 0.0
    """Yearly discount rate for the present value (`npv_usd`), e.g. 0.08 for 8% (above -100%, below
    999%); applied monthly, each month discounted from the end of that month to the start month.
    0: the present value is the TCO."""
    verdict_basis: Literal["nominal", "npv"] = "nominal"
    """Which totals the 2x rule weighs: nominal (the TCO, default) or npv (present values at the
    discount rate). With a rate set, the verdict also says what the other basis gives."""
    api_price_change_per_year: Annotated[float, Field(gt=-1, le=10)] = 0.0
    """Yearly change of every per-token price of API and serverless models (prompting, RAG's
    generator and embeddings, a hosted or serverless tune's inference and training), compounded
    monthly from month 1: -0.3 for prices falling 30% a year (assumption: 0, today's prices)."""
    gpu_price_change_per_year: Annotated[float, Field(gt=-1, le=10)] = 0.0
    """Yearly change of the GPU-hour price (dedicated serving and training), compounded monthly from
    month 1 (assumption: 0, today's price)."""
    currency: Annotated[
        str,
        Field(max_length=50, examples=["EUR"], json_schema_extra={"pattern": "^[A-Za-z]{3}$"}),
        AfterValidator(_iso_4217),
    ] = "USD"
    """ISO 4217 code of the currency every figure is shown in. Inputs stay in USD."""
    usd_to_currency: Annotated[float, Field(gt=0, le=1_000_000, allow_inf_nan=False)] = 1.0
    """How many units of `currency` one USD buys (e.g. 0.92 for EUR): typed in, never fetched. Note
    its date and source in the scenario's description; 1 when the currency is USD."""

    @field_validator("usd_to_currency")
    @classmethod
    def _usd_is_one(cls, rate: float, info: ValidationInfo) -> float:
        if info.data.get("currency") == "USD" and rate != 1.0:
            raise PydanticCustomError("currency_rate", "must be 1 while the currency is USD: choose the currency first")
        return rate


class ExtraCost(_Section):
    """A cost line of your own (a security review, a compliance audit), booked to some strategies."""

    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_control_characters)]
    """What it is, as the XLSX and the CSV name it."""
    strategies: Annotated[list[Strategy], Field(max_length=4, json_schema_extra={"minItems": 1})]
    """The strategies that pay it (prompting, rag, fine_tuning, hybrid): at least one."""
    category: Category = "engineering"
    """The category it is booked to."""
    one_time_usd: Usd = 0.0
    """Paid once, in `from_month`."""
    monthly_usd: Usd = 0.0
    """Paid every month from `from_month` to the end of the horizon."""
    from_month: Months = 1
    """The month (1 = the start month) of the one-time amount and of the first monthly one."""

    @field_validator("strategies")
    @classmethod
    def _once_each(cls, strategies: list[Strategy]) -> list[Strategy]:
        if not strategies:
            raise PydanticCustomError("no_strategy", "name at least one strategy that pays it")
        if len(set(strategies)) != len(strategies):
            raise PydanticCustomError("repeated", "name each strategy once")
        return strategies


def strategy_options(scenario: Scenario) -> tuple[Strategy, ...]:
    """The strategies that are an option for the scenario, in STRATEGIES order: rag only when enabled,
    hybrid only for a task of both kinds (which needs RAG on). The others are absent from every face."""
    if scenario.task.kind == "both":
        return STRATEGIES
    if scenario.rag.enabled:
        return ("prompting", "rag", "fine_tuning")
    return ("prompting", "fine_tuning")


def tuned_strategy(scenario: Scenario) -> Strategy:
    """The tuned route the 2x rule weighs: the hybrid for a task of both kinds, fine-tuning otherwise."""
    return "hybrid" if scenario.task.kind == "both" else "fine_tuning"


def year_label(month: str, fiscal_start: int) -> str:
    """The year of a calendar month "YYYY-MM": "2027", or with a fiscal year starting in month
    `fiscal_start` > 1 the year it ends in ("FY2027" for 2026-07 .. 2027-06 when it starts in July)."""
    year, mon = int(month[:4]), int(month[5:7])
    if fiscal_start == 1:
        return str(year)
    return f"FY{year + 1 if mon >= fiscal_start else year}"


class UncertaintySettings(_Section):
    """How many Monte Carlo draws, and the seed that makes them reproduce."""

    draws: Annotated[int, Field(ge=1, le=100_000)] = 10_000
    """Monte Carlo draws of the ranged inputs (cost-model.md: 10,000 by default, at most 100,000)."""
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 1
    """Seed of the random generator: the same seed and inputs give the same draws, to the cent."""


RANGE_NEEDS_VALUE = frozenset(
    {
        "workload.latency_budget_ms",
        "fine_tuning.retrain_every_months",
        "fine_tuning.base_model_deprecation_months",
        "fine_tuning.cost_per_run_usd",
    }
)
"""Inputs whose empty value means "none", "never" or "computed": a range needs a value to draw around."""
VOLUME_PATHS = ("workload.requests_per_month", "workload.requests_per_day")


def _is_number(annotation: Any) -> bool:
    """An int or float field, optional or not (a bool or a Literal is no number)."""
    return annotation in (int, float) or any(_is_number(a) for a in typing.get_args(annotation))


def field_bounds(info: FieldInfo) -> tuple[float | None, float | None, bool]:
    """A field's bounds (low, high, low is exclusive), wherever pydantic keeps them: on the field, or
    inside an `Optional[Annotated[...]]`. The form shows them; ranges are checked against them."""
    metadata = list(info.metadata)
    stack = [info.annotation]
    while stack:
        annotation = stack.pop()
        metadata.extend(getattr(annotation, "__metadata__", ()))
        stack.extend(typing.get_args(annotation))
    low, high, exclusive = None, None, False
    for m in metadata:
        for item in getattr(m, "metadata", [m]):
            if isinstance(item, Ge):
                low, exclusive = float(item.ge), False  # type: ignore[arg-type]
            elif isinstance(item, Gt):
                low, exclusive = float(item.gt), True  # type: ignore[arg-type]
            elif isinstance(item, Le):
                high = float(item.le)  # type: ignore[arg-type]
    return low, high, exclusive


NOT_RANGEABLE = frozenset({"horizon_months", "finance.fiscal_year_start_month", "finance.usd_to_currency"})
"""Numbers of a scenario that are not costs: the months counted, and how finance reads them (the
exchange rate converts the figures shown, never what the verdict weighs)."""
MAX_EXTRA_COSTS = 20
EXTRA_COST_RANGEABLE = ("one_time_usd", "monthly_usd")
"""The amounts of an extra cost line that may carry a range: `extra_costs.<i>.monthly_usd`."""


@functools.cache
def rangeable() -> dict[str, tuple[float | None, float | None, bool]]:
    """Every input that may carry a range, by dotted path, with its bounds (low, high, low exclusive).

    The numeric leaves of the scenario, less the horizon (it sets the months counted, not a cost),
    the Monte Carlo settings themselves and the fiscal year (a way of reading, not a cost).
    """
    out: dict[str, tuple[float | None, float | None, bool]] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
                if info.annotation is not UncertaintySettings:
                    walk(info.annotation, f"{prefix}{name}.")
            elif _is_number(info.annotation) and f"{prefix}{name}" not in NOT_RANGEABLE:
                out[f"{prefix}{name}"] = field_bounds(info)

    walk(Scenario, "")
    return out


_EXTRA_PATH = re.compile(r"extra_costs\.(\d+)\.(\w+)")


def extra_cost_bounds(path: str, lines: int) -> tuple[float | None, float | None, bool] | None:
    """The bounds of `extra_costs.<i>.<amount>` when the scenario has a line i; None otherwise."""
    match = _EXTRA_PATH.fullmatch(path)
    if match is None or match[2] not in EXTRA_COST_RANGEABLE or int(match[1]) >= lines:
        return None
    return field_bounds(ExtraCost.model_fields[match[2]])


def value_at(scenario_like: Any, path: str) -> Any:
    """The value of a dotted path in a scenario (or in the sections validated so far); None if absent."""
    node = scenario_like
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
        if node is None:
            return None
    return node


def effective_value(sections: dict[str, Any], path: str) -> float | None:
    """The number an input stands for when it is empty and the scenario alone knows it (volumes,
    the tuned model's latency); None when it comes from the catalog or is not known yet."""
    workload = sections.get("workload")
    if path in VOLUME_PATHS and isinstance(workload, Workload):
        monthly = workload.monthly_requests
        return monthly if path == VOLUME_PATHS[0] else monthly / MONTH_DAYS
    if path == "fine_tuning.latency_ms" and isinstance(sections.get("fine_tuning"), FineTuning):
        return float(sections["fine_tuning"].effective_latency_ms)
    value = value_at(sections, path)
    return None if value is None else float(value)


def _outside(sections: dict[str, Any], path: str, value: float, r: Range) -> str:
    """Why a range does not hold the value, naming the value as the user knows it: typed, or the one an
    empty field stands for (the volume given per month or per day, or the default)."""
    outside = f"outside its range {r.low:,.6g} to {r.high:,.6g}"
    if value_at(sections, path) is not None:
        return f"the value {value:,.6g} lies {outside}"
    if path == VOLUME_PATHS[1]:
        per_month = f"{value * MONTH_DAYS:,.6g} a month is {value:,.6g} a day"
        return f"this field is empty, so it stands for the volume per month: {per_month}, {outside}"
    if path == VOLUME_PATHS[0]:
        per_day = f"{value / MONTH_DAYS:,.6g} a day is {value:,.6g} a month"
        return f"this field is empty, so it stands for the volume per day: {per_day}, {outside}"
    return f"this field is empty, so its default {value:,.6g} is used, {outside}"


def _range_errors(ranges: dict[str, Range], sections: dict[str, Any]) -> list[InitErrorDetails]:
    known = rangeable()
    errors: list[InitErrorDetails] = []

    def error(loc: tuple[str, ...], kind: str, msg: str, given: Any) -> None:
        errors.append(InitErrorDetails(type=PydanticCustomError(kind, msg), loc=loc, input=given))

    if all(p in ranges for p in VOLUME_PATHS):
        error((VOLUME_PATHS[1],), "range_twice", "give a range on requests_per_month or requests_per_day, not both", "")
    lines = len(sections.get("extra_costs") or ())
    for path, r in ranges.items():
        bounds = known.get(path) or extra_cost_bounds(path, lines)
        if bounds is None:
            if _EXTRA_PATH.fullmatch(path):
                what = ", ".join(EXTRA_COST_RANGEABLE)
                error((path,), "range_path", f"not an extra cost line's amount ({what} of a line that exists)", path)
                continue
            close = difflib.get_close_matches(path, list(known), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            error((path,), "range_path", f"not a numeric input of the scenario{hint}", path)
            continue
        low_bound, high_bound, exclusive = bounds
        if low_bound is not None and (r.low < low_bound or (exclusive and r.low == low_bound)):
            error(
                (path, "low"),
                "range_bound",
                f"must be {'above' if exclusive else 'at least'} {low_bound:g}, as the input",
                r.low,
            )
        if high_bound is not None and r.high > high_bound:
            error((path, "high"), "range_bound", f"must be at most {high_bound:g}, as the input", r.high)
        if path.split(".")[0] not in sections and "." in path:
            continue  # its section failed validation: its own errors say why
        value = effective_value(sections, path)
        if value is None:
            if path in RANGE_NEEDS_VALUE:
                error((path,), "range_value", "give the input a value first: a range is drawn around it", path)
            continue  # a catalog price: checked against the range when the scenario is priced
        if not r.low <= value <= r.high:
            error((path,), "range_value", _outside(sections, path, value, r), value)
    return errors


class Scenario(_Section):
    """One question: what does each strategy cost over the horizon, and should we fine-tune?

    `{}` is a valid scenario: every field has a default.
    """

    name: Annotated[str, Field(max_length=200), AfterValidator(_no_control_characters)] = "Untitled scenario"
    """A short name for lists and exports."""
    description: Annotated[str, Field(max_length=5_000), AfterValidator(_no_control_characters)] = ""
    """What the scenario is about and where its numbers come from."""
    start_month: CalendarMonth = Field(default_factory=next_month)
    """Calendar month of month 1, "YYYY-MM" (default: the month after today, UTC). Models that a
    vendor retires inside the horizon are migrated on their dates (docs/cost-model.md, Lifecycle)."""
    horizon_months: Months = 36
    """Months of production traffic counted (cost-model.md: default 36, from 1 to 120)."""
    workload: Workload = Field(default_factory=Workload)
    """Traffic: volume, growth, tokens per request, peak and latency budget."""
    task: Task = Field(default_factory=Task)
    """The answers behind gates 1-4 and 6 (002)."""
    team: Team = Field(default_factory=Team)
    """People and data: the cost of an engineer-week, of a label, and of the evaluation harness."""
    prompting: Prompting = Field(default_factory=Prompting)
    """The baseline: a frontier API model with a system prompt and few-shot examples."""
    rag: Rag = Field(default_factory=Rag)
    """A frontier API model with retrieval: embeddings, vector database, retrieved chunks in the prompt."""
    fine_tuning: FineTuning = Field(default_factory=FineTuning)
    """A tuned model: training cycles, retraining, and hosted, serverless or dedicated serving."""
    finance: Finance = Field(default_factory=Finance)
    """How finance reads the figures: fiscal year, present value, price trends and currency."""
    extra_costs: Annotated[list[ExtraCost], Field(max_length=MAX_EXTRA_COSTS)] = Field(default_factory=list)
    """Cost lines of your own (a security review, a compliance audit), each booked to the strategies it
    names, in its category, from its month. Empty by default."""
    ranges: Annotated[dict[Annotated[str, Field(max_length=100)], Range], Field(max_length=200)] = Field(
        default_factory=dict
    )
    """Plausible low and high of any numeric input, keyed by its dotted path (`team.label_cost_usd`);
    Monte Carlo draws each from a triangle around its value. Empty: the point estimate only."""
    uncertainty: UncertaintySettings = Field(default_factory=UncertaintySettings)
    """Monte Carlo draws and their seed, stored with the scenario so its results reproduce."""

    @field_validator("extra_costs")
    @classmethod
    def _inside_horizon(cls, lines: list[ExtraCost], info: ValidationInfo) -> list[ExtraCost]:
        """Each line starts inside the horizon: one that starts after it would silently cost nothing."""
        horizon = info.data.get("horizon_months")
        errors = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "after_horizon",
                    "month {month} is after the horizon ({horizon} months)",
                    {"month": line.from_month, "horizon": horizon},
                ),
                loc=(i, "from_month"),
                input=line.from_month,
            )
            for i, line in enumerate(lines)
            if horizon is not None and line.from_month > horizon
        ]
        if errors:
            raise ValidationError.from_exception_data("Scenario", errors)
        return lines

    @model_validator(mode="after")
    def _retrieval_for_both(self) -> Scenario:
        """A task of both kinds is weighed on the hybrid, which is RAG's retrieval: refused, at `task.kind`,
        when RAG is off."""
        if self.task.kind == "both" and not self.rag.enabled:
            error = InitErrorDetails(
                type=PydanticCustomError(
                    "needs_rag",
                    "a task that needs both knowledge and behaviour is weighed on the hybrid, RAG's retrieval "
                    "feeding a tune: turn RAG on (rag.enabled), or choose behaviour or knowledge",
                ),
                loc=("task", "kind"),
                input=self.task.kind,
            )
            raise ValidationError.from_exception_data("Scenario", [error])
        return self

    @field_validator("ranges")
    @classmethod
    def _ranges_fit(cls, ranges: dict[str, Range], info: ValidationInfo) -> dict[str, Range]:
        """Each range names a numeric input, keeps the input's bounds and holds its value."""
        errors = _range_errors(ranges, info.data)
        if errors:
            raise ValidationError.from_exception_data("Scenario", errors)
        return ranges
