"""What one request may cost: engine work counted before it runs (docs/settings.md, REQUEST_BUDGET).

A unit is one month of one kernel row. A scenario costs `horizon_months` for its point estimate (and as
much again for each model it compares, `prompting.candidates`, and its own beside them); with
uncertainty it adds its Monte Carlo draws (only when it has ranges: without, every draw would be the
point estimate, and none is run) and its tornado rows (two per input it can move, plus the point).

Each request gets its budget from `Scope` (the role's in team mode, else REQUEST_BUDGET), and every
engine call made for it, from either face, is charged against it (`charge`, from
`services.estimate_all`): the work of a request is refused before it runs, with how to split it. A
batch checks its whole cost up front (`check_units`) so it is refused before its first chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from app.engine.scenario import rangeable

if TYPE_CHECKING:
    from app.engine import Scenario


def tornado_rows(scenario: Scenario) -> int:
    """Kernel rows of one scenario's tornado: two per input that may move (every numeric input, and the
    ranged amounts of its extra cost lines), and the point."""
    known = rangeable()
    return 2 * (len(known) + sum(path not in known for path in scenario.ranges)) + 1


def units(scenario: Scenario, *, uncertainty: bool) -> int:
    """Engine work of one scenario: months x (1 + compared + draws + tornado rows), the last two only with
    uncertainty; `compared` is 1 + its candidate models when it has some (the chosen model costed again
    beside them, `app.engine.comparison`)."""
    candidates = scenario.prompting.candidates
    rows = 1 + (len(candidates) + 1 if candidates else 0)
    if uncertainty:
        rows += (scenario.uncertainty.draws if scenario.ranges else 0) + tornado_rows(scenario)
    return scenario.horizon_months * rows


@dataclass
class Budget:
    """The units a request may still use: `limit`, set by `who`, of which `used` are spent."""

    limit: int
    who: str
    used: int = 0


_CURRENT: ContextVar[Budget | None] = ContextVar("llm_tco_budget", default=None)


def current() -> Budget | None:
    """The budget of the request being served (None outside one: the command line, tests of the engine)."""
    return _CURRENT.get()


def _refuse(budget: Budget, each: Sequence[int], loc: str) -> None:
    from app.services import ScenarioError  # services charges through this module

    total = sum(each)
    fits = (budget.limit - budget.used) // max(each)
    how = (
        f"split it into requests of at most {fits:,} such scenarios"
        if fits >= 1
        else "lower uncertainty.draws or horizon_months: one such scenario is over it alone"
    )
    msg = (
        f"this asks for {total:,} units of engine work (each scenario's months x (1 + Monte Carlo draws + "
        f"tornado rows), the last two only with uncertainty=true); at most {budget.limit:,} in one request, "
        f"set by {budget.who}: {how}"
    )
    raise ScenarioError([{"loc": loc, "msg": msg, "type": "over_budget"}])


def check_units(each: Sequence[int], *, loc: str) -> int:
    """The units of scenarios costing `each`, refused (ScenarioError at `loc`) when they do not fit what
    is left of the request's budget; nothing is charged."""
    total = sum(each)
    budget = current()
    if budget is not None and each and budget.used + total > budget.limit:
        _refuse(budget, each, loc)
    return total


def charge(scenarios: Sequence[Scenario], *, uncertainty: bool, loc: str) -> None:
    """Spend the scenarios' units from the request's budget, or refuse them before any is computed."""
    each = [units(s, uncertainty=uncertainty) for s in scenarios]
    total = check_units(each, loc=loc)
    budget = current()
    if budget is not None:
        budget.used += total


class BudgetScope:
    """Give each request its budget, once the guard has found who asks (it sits inside the guard)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        principal = scope.get("state", {}).get("principal")
        role = principal.role if principal is not None and principal.via != "local" else None
        if role in settings.role_budgets:
            budget = Budget(settings.role_budgets[role], f"the {role} role (ROLE_BUDGETS)")
        else:
            budget = Budget(settings.request_budget, "REQUEST_BUDGET")
        token = _CURRENT.set(budget)
        try:
            await self.app(scope, receive, send)
        finally:
            _CURRENT.reset(token)
