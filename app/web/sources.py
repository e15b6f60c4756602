"""`GET /sources`: the five seed articles behind the calculator's gates and defaults, by their own titles,
each with what the calculator takes from it and the inputs and gates that use it (issue 17).

The engine's texts cite the articles by file number ("(002)", "002's worked example"), as the seeds
are named in `shared/seeds/`. Those numbers mean nothing to a reader: `cited` turns each citation into
a link to the article's section of this page, named by its title. The numbers survive only as the
sections' anchors (`/sources#002`).

Which inputs cite which article is read from the field help texts (the `Scenario` docstrings) and
the seeds' ranges, so a docstring that starts citing an article shows up here without an edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from app.engine.uncertainty import SEED_RANGES
from app.engine.verdict import GATE_NAMES
from app.web import fields

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Claim:
    text: str
    """What the calculator takes from the article, in plain words, with the numbers it uses."""
    paths: tuple[str, ...] = ()
    """Inputs (dotted paths) whose default, range or meaning comes from the claim."""
    gates: tuple[int, ...] = ()
    """Gates (1-6) that apply the claim."""


@dataclass(frozen=True)
class Article:
    id: str
    """The number of the seed file (`shared/seeds/002_*.txt`): the page anchor, never shown as text."""
    title: str
    """The title as the article writes it; where it has no title line, the heading or sentence that
    names its subject, word for word."""
    short: str
    """The link text of a citation."""
    byline: str
    """Author, venue and date, as far as the article gives them."""
    claims: tuple[Claim, ...]


ARTICLES: tuple[Article, ...] = (
    Article(
        id="000",
        title="The Eight Experiments That Taught Me This",
        short="The Eight Experiments",
        byline="A practitioner's account of eight fine-tuning efforts run between late 2023 and mid-2025; "
        "the article names no author, venue or date.",
        claims=(
            Claim(
                "Five to fifteen well-chosen examples in the prompt beat a zero-shot prompt for most tasks.",
                ("prompting.few_shot_examples",),
            ),
            Claim(
                "A retrieval pipeline puts the top five retrieved chunks into the prompt.", ("rag.retrieved_chunks",)
            ),
            Claim(
                "Cleaning and labeling a training set takes about six weeks of one person doing nothing else.",
                ("fine_tuning.curation_weeks",),
            ),
            Claim(
                "A tuned model fell below the untuned baseline within four months without retraining, and a "
                "provider updated a base model six weeks after a tune was deployed.",
                ("fine_tuning.retrain_every_months", "fine_tuning.base_model_deprecation_months"),
            ),
            Claim(
                "Retrieval trades training for ongoing engineering: index upkeep and retrieval quality.",
                ("rag.maintenance_hours",),
            ),
        ),
    ),
    Article(
        id="001",
        title="Fine-tuning is rarely the right answer",
        short="Fine-tuning is rarely the right answer",
        byline="An engineering blog post on three fine-tunes in two years; the article names no author, venue or date.",
        claims=(
            Claim("Few-shot prompting puts 2 to 10 examples in the prompt.", ("prompting.few_shot_examples",)),
            Claim(
                "A tuned model needs only a short system prompt: the behaviour is in its weights.",
                ("fine_tuning.system_prompt_tokens",),
            ),
            Claim(
                "Prompts work on a provider's new model the day it ships; only the evaluations are re-run.",
                ("prompting.model_upgrade_months",),
            ),
            Claim(
                "Fine-tunes go stale as production data shifts: plan to retrain them, and monitor their drift.",
                (
                    "fine_tuning.retrain_every_months",
                    "fine_tuning.monitoring_usd_per_month",
                    "fine_tuning.maintenance_hours",
                ),
            ),
        ),
    ),
    Article(
        id="002",
        title="Is Fine-Tuning Worth It for Your Use Case? Probably Not.",
        short="Is Fine-Tuning Worth It for Your Use Case?",
        byline="By Mahmoud Zalt, independent AI systems architect and founder of Sista AI. No date given.",
        claims=(
            Claim(
                "Fine-tune only a behaviour task (format, tone, classification), never a knowledge task, and "
                "only once prompting with examples has been tried, an evaluation harness gives a baseline "
                "score, and the task is narrow and stable.",
                ("task.kind", "task.prompting_tried", "task.eval_harness", "task.narrow_and_stable"),
                (1, 2, 3, 4),
            ),
            Claim(
                "Fine-tuning must win by at least 2x on total cost of ownership, or meet a hard latency need; "
                "under about 100,000 calls a month its upkeep almost never pays.",
                ("workload.requests_per_month",),
                (5,),
            ),
            Claim(
                "Its worked example prices calls of 1,000 input tokens on GPT-4o, and a tuned style spares a "
                "1,000-token system prompt.",
                ("workload.input_tokens", "prompting.model", "prompting.system_prompt_tokens"),
            ),
            Claim(
                "Have at least 1,000 high-quality labeled examples (a LoRA on a narrow task trains on 500 to "
                "5,000), at 5 to 20 USD per skilled label; the evaluation harness freezes a golden set of 200 "
                "to 500 rated examples. A stronger model can generate training data instead: common and "
                "legitimate, but the outputs must be validated, and the generator's terms of service apply "
                "(OpenAI prohibits using its outputs to train competing models).",
                (
                    "task.labeled_examples",
                    "fine_tuning.training_examples",
                    "team.label_cost_usd",
                    "team.golden_examples",
                    "fine_tuning.labels_source",
                    "fine_tuning.synthetic_review_share",
                ),
                (6,),
            ),
            Claim(
                "Each training cycle takes 4 to 8 weeks of senior engineering, a deprecated base model forces a "
                "new one, and hosting a tuned open model costs 500 to 5,000 USD a month.",
                (
                    "fine_tuning.weeks_per_cycle",
                    "fine_tuning.base_model_deprecation_months",
                    "fine_tuning.gpu_hour_usd",
                    "fine_tuning.deployment",
                ),
            ),
        ),
    ),
    Article(
        id="003",
        title="When fine-tuning is worth the cost",
        short="When fine-tuning is worth the cost",
        byline="A guide in a series on building LLM apps; the article names no author, venue or date.",
        claims=(
            Claim(
                "Spend at least four weeks iterating on prompts, with real failure cases, before fine-tuning.",
                ("prompting.prompt_weeks", "task.prompting_tried"),
                (2,),
            ),
            Claim(
                "Budget 5 to 15 training runs, at 50 to 2,000 USD each, and 500 to 5,000 good examples.",
                ("fine_tuning.runs_per_cycle", "fine_tuning.cost_per_run_usd", "fine_tuning.training_examples"),
            ),
            Claim(
                "A frontier API has a latency floor; only a small tuned model on your own GPU answers in under 100 ms.",
                ("workload.latency_budget_ms", "prompting.latency_ms", "fine_tuning.deployment"),
                (5,),
            ),
            Claim(
                "Every update of the upstream model means re-running the evaluations, and likely retraining.",
                ("prompting.revalidation_weeks",),
            ),
            Claim("Its managed tuning example is OpenAI's gpt-4o-mini.", ("fine_tuning.model",)),
        ),
    ),
    Article(
        id="004",
        title="Fine-tuning is a leverage tool, not a default step",
        short="Fine-tuning is a leverage tool",
        byline="By the Anthra AI Team (engineering team), on the Anthra AI blog. No date given.",
        claims=(
            Claim(
                "Building retrieval takes days to weeks, at moderate cost: embeddings, a vector database, re-ranking.",
                ("rag.build_weeks",),
            ),
            Claim(
                "Fine-tuning iterates in weeks: data collection, training and evaluation.",
                ("fine_tuning.weeks_to_launch",),
            ),
            Claim(
                "Prompting iterates in minutes at near-zero cost, so it serves first while retrieval or a tune "
                "is being built.",
                ("rag.weeks_to_launch", "fine_tuning.weeks_to_launch"),
            ),
        ),
    ),
)
"""The seed articles, in the order of their files."""

BY_ID: dict[str, Article] = {a.id: a for a in ARTICLES}

_CITE = re.compile(r"(?<![\w,.#/\-])(?<!\d )(00[0-4])(?!\w|[,.]\d|-\d)")
"""A citation of a seed article: its three-digit number standing alone ("(002)", "002's", "002:",
"(002, 003)"), never a piece of a bigger number ("1,000", "100,000", "2026-002", "0.002")."""
_TAG = re.compile(r"(<[^>]*>)")


def citations(text: str) -> list[str]:
    """The article numbers a text cites, in order, each once."""
    return list(dict.fromkeys(m.group(1) for m in _CITE.finditer(text or "")))


def _link(match: re.Match[str]) -> str:
    number = match.group(1)
    return f'<a href="/sources#{number}">{escape(BY_ID[number].short)}</a>'


def cited(text: str) -> Markup:
    """The text HTML-escaped, each citation of a seed article a link to its section of `/sources`,
    named by the article's title: "(002)" -> "(<a href="/sources#002">Is Fine-Tuning ...</a>)".

    Markup passed in is kept as it is; only the text between its tags is linked (so a second pass,
    or an attribute holding a number, changes nothing)."""
    if text is None:
        return Markup("")
    safe = str(escape(text))
    parts = _TAG.split(safe)
    return Markup("".join(p if p.startswith("<") else _CITE.sub(_link, p) for p in parts))


def _title(path: str) -> str:
    titles = fields.titles()
    if path in titles:
        return titles[path]
    field = fields.all_fields().get(path)
    return field.label if field else path


@cache
def citing_inputs() -> dict[str, tuple[str, ...]]:
    """Article number -> the inputs whose help text, or whose seed range, cites it (form order)."""
    out: dict[str, dict[str, None]] = {a.id: {} for a in ARTICLES}
    for path, field in fields.all_fields().items():
        for number in citations(field.help):
            out[number][path] = None
    for seed in SEED_RANGES:
        for number in citations(seed.source):
            out[number][seed.path] = None
    return {number: tuple(paths) for number, paths in out.items()}


@cache
def page() -> list[dict[str, Any]]:
    """What the page shows of each article: its claims with their inputs (label, path) and gates
    (number, name), and the inputs citing it that no claim names, with their help texts."""
    help_of = {path: f.help for path, f in fields.all_fields().items()}
    out = []
    for article in ARTICLES:
        claimed = {p for c in article.claims for p in c.paths}
        out.append(
            {
                "article": article,
                "claims": [
                    {
                        "text": c.text,
                        "inputs": [(_title(p), p) for p in c.paths],
                        "gates": [(g, GATE_NAMES[g - 1]) for g in c.gates],
                    }
                    for c in article.claims
                ],
                "others": [(_title(p), p, help_of.get(p, "")) for p in citing_inputs()[article.id] if p not in claimed],
            }
        )
    return out


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    from app.web.templating import templates  # templating registers `cited`: imported late, no cycle

    return templates.TemplateResponse(request, "sources.html", {"nav": "sources", "articles": page()})
