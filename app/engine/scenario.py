"""The scenario: every input of the cost model, its default, and where the default comes from.

Field names follow `shared/design/api-contract.md` (units in the name). Each
docstring cites its seed article by number (000-004 in `shared/seeds/`) or says
"assumption" where the seeds are silent; the web form shows the same text.
Every number is bounded so that no input can reach NaN or infinity.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

MONTH_DAYS = 365 / 12
"""Days in a month (cost-model.md: volumes per day are multiplied by 365/12)."""
MONTH_WEEKS = 52 / 12
"""Weeks in a month (cost-model.md)."""
MONTH_HOURS = 730.0
"""Hours in a month for GPU rental (365 x 24 / 12)."""
DEFAULT_REQUESTS_PER_MONTH = 100_000.0
MIN_LABELED_EXAMPLES = 1_000
"""Gate 6 (002): at least 1,000 high-quality labeled examples."""
TCO_RULE = 2.0
"""Gate 5 (002): fine-tuning must win by at least 2x on total cost of ownership."""

Strategy = Literal["prompting", "rag", "fine_tuning"]
STRATEGIES: tuple[Strategy, ...] = ("prompting", "rag", "fine_tuning")
STRATEGY_LABELS: dict[str, str] = {"prompting": "Prompting", "rag": "RAG", "fine_tuning": "Fine-tuning"}
"""How people read the keys: the one spelling for pages, tables and sentences."""
Deployment = Literal["hosted", "serverless", "dedicated"]
DEPLOYMENTS: tuple[Deployment, ...] = ("hosted", "serverless", "dedicated")
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


def _no_control_characters(text: str) -> str:
    """Free text may hold tabs and line breaks, never NUL or other control characters
    (PostgreSQL cannot store NUL; spreadsheets choke on the rest)."""
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise ValueError("control characters (such as NUL) are not allowed")
    return text


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

    kind: Literal["behavior", "knowledge"] = "behavior"
    """Does the task shape behaviour (format, tone, classification) or need knowledge? Gate 1 (002)."""
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
    model: CatalogId = "openai:gpt-4o"
    """Frontier API model (002's worked example prices GPT-4o)."""
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
    maintenance_hours: Hours = 8.0
    """Engineering hours per month to watch and fix the prompt (assumption)."""
    model_upgrade_months: Months = 12
    """A provider model upgrade to re-validate every this many months (assumption; 001: prompts
    carry over to new models, but evals are re-run)."""
    revalidation_weeks: Weeks = 1.0
    """Engineering to re-run evals and adjust prompts at each model upgrade (assumption; 003)."""
    latency_ms: LatencyMs = 800.0
    """Typical latency of one call (assumption; 003: a frontier API has a latency floor)."""


class Rag(_Section):
    enabled: bool = True
    """False when retrieval is not an option for this task: rag is then left out."""
    model: CatalogId = "openai:gpt-4o"
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
    model: CatalogId = "openai:ft:gpt-4o-mini"
    """Tuned model (catalog): training and inference prices (003: OpenAI gpt-4o-mini)."""
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

    @property
    def effective_latency_ms(self) -> float:
        return self.latency_ms if self.latency_ms is not None else DEFAULT_FINE_TUNED_LATENCY_MS[self.deployment]


class Scenario(_Section):
    """One question: what does each strategy cost over the horizon, and should we fine-tune?

    `{}` is a valid scenario: every field has a default.
    """

    name: Annotated[str, Field(max_length=200), AfterValidator(_no_control_characters)] = "Untitled scenario"
    """A short name for lists and exports."""
    description: Annotated[str, Field(max_length=5_000), AfterValidator(_no_control_characters)] = ""
    """What the scenario is about and where its numbers come from."""
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
