"""`GET /start`: the guided start. Five plain questions fill the calculator's form (issue 17).

A first-time user faces some 150 inputs; these five decide most answers: the volume, the tokens per
request, whether the task is behaviour or knowledge, whether prompting was tried, and the data the team
has. Each answer's input is named by its dotted path, as in the calculator, so the answers are read
by the same parser and checked by the same model; everything else keeps its default and its source.

Answered without a mistake, the page redirects (303) to the calculator with those inputs in its
address (`/?...&guided=1`), which says what came from the questions. A mistake comes back beside its
question, with every answer kept as typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.web import fields, forms
from app.web.templating import templates

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    help: str = ""


@dataclass(frozen=True)
class Answer:
    """One input a question fills: a number typed, or one of a few choices (radio buttons)."""

    path: str
    label: str
    choices: tuple[Choice, ...] = ()
    empty: str = ""
    """What an empty number means, when its input has no default of its own (the volume's is derived)."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    help: str
    answers: tuple[Answer, ...]


QUESTIONS: tuple[Question, ...] = (
    Question(
        "volume",
        "How many requests will it serve a month?",
        "At launch; growth and peaks can be set later in the form. Fine-tuning rarely pays below about "
        "100,000 requests a month (002).",
        (Answer("workload.requests_per_month", "Requests a month", empty="100,000"),),
    ),
    Question(
        "tokens",
        "How long is a typical request and its answer?",
        "In tokens: a token is about three quarters of an English word, so a page of text is about 500.",
        (
            Answer("workload.input_tokens", "Tokens in (the user's text and any context)"),
            Answer("workload.output_tokens", "Tokens out (the model's answer)"),
        ),
    ),
    Question(
        "kind",
        "What must the model get right?",
        "Fine-tuning teaches behaviour; facts that change belong in retrieval, RAG (002). A task that needs "
        "both is weighed on the hybrid: retrieval for the facts feeding a tune for the behaviour.",
        (
            Answer(
                "task.kind",
                "The task",
                choices=(
                    Choice("behavior", "How it answers", "a format, a tone, a classification, a style"),
                    Choice("knowledge", "What it knows", "facts, documents or data, which change over time"),
                    Choice("both", "Both", "facts from your documents, answered in a set format, tone or labels"),
                ),
            ),
        ),
    ),
    Question(
        "prompting",
        "Have you tried prompting it, with a few good examples in the prompt?",
        "Weeks of prompt work with examples come before any tune: they often close the gap for far less (002).",
        (
            Answer(
                "task.prompting_tried",
                "Prompting with examples",
                choices=(Choice("true", "Yes, seriously"), Choice("false", "Not yet")),
            ),
        ),
    ),
    Question(
        "data",
        "What data does the team have?",
        "A tune needs labeled examples to learn from, and an evaluation set with a baseline score to tell "
        "whether it learned.",
        (
            Answer("task.labeled_examples", "Labeled examples (input and the right output)"),
            Answer(
                "task.eval_harness",
                "An evaluation set with a baseline score",
                choices=(
                    Choice("exists", "We have one"),
                    Choice("budgeted", "Planned and budgeted"),
                    Choice("missing", "None yet"),
                ),
            ),
        ),
    ),
)

PATHS = tuple(a.path for q in QUESTIONS for a in q.answers)


def _defaults() -> dict[str, str]:
    """What an unanswered question leaves: the calculator's default of each input, as the form shows it."""
    known = forms.defaults()
    return {p: forms.display(known.get(p)) for p in PATHS}


@router.get("/start", response_class=HTMLResponse)
def start(request: Request) -> Response:
    given = {p: request.query_params[p] for p in PATHS if p in request.query_params}
    errors: dict[str, str] = {}
    if given:
        parsed = forms.parse(given)
        errors = dict(parsed.errors)
        if errors:  # a number that is not one stops the parse before the model's checks: run those on the rest
            rest = forms.parse({p: v for p, v in given.items() if p not in errors})
            errors = rest.errors | errors
        errors = {(p if p in PATHS else ""): m for p, m in errors.items()}  # none expected: shown above, if any
        if parsed.scenario is not None and not errors:
            query = forms.query_of(parsed.scenario)
            return RedirectResponse("/?" + (query + "&" if query else "") + "guided=1", status_code=303)
    ctx: dict[str, Any] = {
        "nav": "calculator",
        "questions": QUESTIONS,
        "values": given,
        "defaults": _defaults(),
        "errors": errors,
        "units": {p: fields.all_fields()[p].unit for p in PATHS},
    }
    return templates.TemplateResponse(request, "start.html", ctx, status_code=422 if errors else 200)
