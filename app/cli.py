"""The command line: estimate a scenario file, list presets, search the price catalog, serve the app,
and manage the accounts and API tokens of a team deployment."""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from app.catalog import load_catalog
from app.engine import Estimate, Scenario
from app.engine.estimate import ModelComparison
from app.engine.scenario import STRATEGY_LABELS as LABELS
from app.exports import csv_export
from app.presets import ScenarioFileError, presets, read_document, scenario_document
from app.services import ScenarioError, estimate_one, with_seed_ranges

app = typer.Typer(
    help="LLM TCO: should we fine-tune, build RAG, or keep prompting a frontier API?",
    no_args_is_help=True,
    add_completion=False,
)


class _Out:
    """stdout as Rich sees it at call time: a terminal's width, or wide when piped (ids stay whole)."""

    def __getattr__(self, name: str) -> Any:
        wide = None if sys.stdout.isatty() else 240
        return getattr(Console(highlight=False, soft_wrap=True, width=wide), name)


out = _Out()
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Shape(enum.StrEnum):
    long = "long"
    wide = "wide"
    percentiles = "percentiles"
    annual = "annual"
    models = "models"


def _fail(lines: list[str]) -> typer.Exit:
    for line in lines:
        err.print(line, markup=False)
    return typer.Exit(code=2)


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def estimate_file(
    path: Path,
    *,
    uncertainty: bool = False,
    seed_ranges: bool = False,
    candidates: list[str] | None = None,
    acceptable: list[str] | None = None,
) -> Estimate:
    """Read, validate, price and estimate one scenario file; every problem as `path: message` lines.

    `seed_ranges` first adds the seed articles' ranges where they fit; `uncertainty` adds Monte Carlo;
    `candidates` and `acceptable` replace the file's `prompting.candidates` and `prompting.acceptable`.
    """
    try:
        document = scenario_document(read_document(path))
        if candidates is not None or acceptable is not None:
            prompting = dict(document.get("prompting") or {})
            if candidates is not None:
                prompting["candidates"] = candidates
            if acceptable is not None:
                prompting["acceptable"] = acceptable
            document = {**document, "prompting": prompting}
        scenario = Scenario.model_validate(document)
    except ScenarioFileError as exc:
        raise _fail([str(exc)]) from exc
    except ValidationError as exc:
        raise _fail([f"{path}: {_loc(e['loc'])}: {e['msg']}" for e in exc.errors()]) from exc
    try:
        if seed_ranges:
            scenario, _ = with_seed_ranges(scenario)
        return Estimate.model_validate(estimate_one(scenario, uncertainty=uncertainty))
    except ScenarioError as exc:
        raise _fail([f"{path}: {e['loc']}: {e['msg']}" for e in exc.errors]) from exc


def _money(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def print_table(result: Estimate) -> None:
    out.print(f"[bold]{result.scenario_name}[/bold]  ({result.horizon_months} months, {result.currency})")
    table = Table(show_edge=False)
    table.add_column("Strategy")
    table.add_column("TCO", justify="right")
    table.add_column("per 1k requests", justify="right")
    table.add_column("compute only", justify="right")
    for name, strategy in result.strategies.items():
        table.add_row(
            LABELS[name],
            _money(strategy.total_usd),
            _money(strategy.cost_per_1k_requests_usd),
            _money(strategy.compute_only_usd) if strategy.compute_only_usd is not None else "",
        )
    out.print(table)
    verdict = result.verdict
    ratio = "-" if verdict.tco_ratio is None else f"{verdict.tco_ratio:.2f}x"
    basis = "; on present values" if verdict.basis == "npv" else ""
    weighed = f"{LABELS[verdict.simpler]} over {LABELS[verdict.tuned]}"
    out.print(
        f"[bold]Verdict:[/bold] {LABELS[verdict.recommendation]}  (TCO ratio {ratio}, {weighed}; 2x needed{basis})"
    )
    out.print(verdict.summary, markup=False)
    for name, line in (("Cost", verdict.cost), ("Readiness", verdict.readiness)):
        out.print(f"  {'[green]PASS[/green]' if line.passed else '[red]FAIL[/red]'} {name}: ", end="")
        out.print(line.text, markup=False)
    for gate in verdict.gates:
        mark = "[green]PASS[/green]" if gate.passed else "[red]FAIL[/red]"
        out.print(f"  {mark} {gate.id}. {gate.name}: ", end="")
        out.print(gate.reason, markup=False)
    never = "never within the horizon"
    out.print(
        f"Break-even month: {verdict.break_even_month or never}; half-cost month: {verdict.half_cost_month or never}"
    )
    volume = verdict.break_even_requests_per_month
    out.print(f"Break-even volume: {'never below 1e12' if volume is None else f'{volume:,.0f} requests/month'}")
    out.print(f"Catalog: {result.catalog_version}", style="dim")
    if result.model_comparison is not None:
        print_models(result.model_comparison)
    if result.uncertainty is not None:
        print_uncertainty(result)


def print_models(found: ModelComparison) -> None:
    """The model comparison: each API model's simpler route, its TCO and what moving to it saves."""
    table = Table(show_edge=False, title="The same workload on other API models")
    for column, justify in (("Model", "left"), ("Good enough", "left"), ("Route", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for column in ("TCO", "per 1k requests", "saving"):
        table.add_column(column, justify="right")
    for m in found.models:
        table.add_row(
            m.model + (" (chosen)" if m.chosen else ""),
            "yes" if m.acceptable else "not marked",
            LABELS[m.route],
            _money(m.total_usd),
            _money(m.cost_per_1k_requests_usd),
            _money(m.saving_usd),
        )
    out.print(table)
    out.print(found.summary, markup=False)


def _share(p: float) -> str:
    return f"{p:.1%}"


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def print_uncertainty(result: Estimate) -> None:
    """P10/P50/P90 of each strategy's TCO, the probabilities, the summary sentence and the ranges."""
    unc = result.uncertainty
    assert unc is not None
    out.print()
    out.print(f"[bold]Uncertainty[/bold]  ({unc.draws:,} draws, seed {unc.seed}, {len(unc.ranges)} ranged inputs)")
    table = Table(show_edge=False)
    for column in ("Strategy", "P10", "P50", "P90", "mean", "recommended in"):
        table.add_column(column, justify="left" if column == "Strategy" else "right")
    for name, p in unc.strategies.items():
        share = unc.recommendation_shares.get(name, 0.0)
        table.add_row(
            LABELS[name], _money(p.p10_usd), _money(p.p50_usd), _money(p.p90_usd), _money(p.mean_usd), _share(share)
        )
    out.print(table)
    ratio = unc.tco_ratio
    out.print(f"TCO ratio: P10 {_ratio(ratio.p10)}, P50 {_ratio(ratio.p50)}, P90 {_ratio(ratio.p90)}")
    out.print(
        f"{LABELS[result.verdict.tuned]} wins by 2x: {_share(unc.win_probability)} of draws; "
        f"gate 5 passes: {_share(unc.gate5_probability)}"
    )
    out.print(unc.summary, markup=False)
    for r in unc.ranges:
        out.print(f"  {r.path}: {r.low:,.6g} .. {r.mode:,.6g} .. {r.high:,.6g}  ", end="")
        out.print(r.source, markup=False, style="dim")
    if unc.tornado.inputs:
        out.print(f"Moves the TCO ratio most (from {_ratio(unc.tornado.tco_ratio)}):")
        for t in unc.tornado.inputs[:5]:
            out.print(
                f"  {t.path}: {t.low:,.6g} -> {_ratio(t.tco_ratio_low)}, {t.high:,.6g} -> {_ratio(t.tco_ratio_high)}"
                + ("" if t.from_range else " (+-30%)"),
                markup=False,
            )


@app.command("estimate")
def estimate_command(
    file: Annotated[Path, typer.Argument(help="Scenario or preset YAML file.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    shape: Annotated[
        Shape,
        typer.Option(
            "--shape",
            help="CSV shape: long (strategy x month x category rows), wide (month rows), models (a row per "
            "API model compared), percentiles "
            "(month rows of the cumulative P10/P50/P90 per strategy; implies --uncertainty) or annual "
            "(calendar or fiscal year rows).",
        ),
    ] = Shape.long,
    uncertainty: Annotated[
        bool,
        typer.Option(
            "--uncertainty",
            "-u",
            help="Monte Carlo over the file's `ranges`: P10/P50/P90 of each TCO, the probabilities that "
            "fine-tuning wins by 2x and that gate 5 passes, the tornado (in --format json: `uncertainty`).",
        ),
    ] = False,
    seed_ranges: Annotated[
        bool,
        typer.Option(
            "--seed-ranges",
            help="First add the seed articles' ranges where the file's values lie inside them (implies --uncertainty).",
        ),
    ] = False,
    compare_models: Annotated[
        str | None,
        typer.Option(
            "--compare-models",
            help="Also price prompting and RAG on these API models (catalog ids, comma-separated, at most 12): "
            "a table of each one's TCO and saving (in --format json: `model_comparison`; --shape models).",
        ),
    ] = None,
    acceptable: Annotated[
        str | None,
        typer.Option(
            "--acceptable",
            help="Of the models compared, those good enough for the task (comma-separated): the cheapest of "
            "them, when it costs less, becomes the baseline of the 2x rule.",
        ),
    ] = None,
) -> None:
    """Estimate the TCO of each strategy for a scenario file and give the verdict."""
    percentiles = format is Format.csv and shape is Shape.percentiles
    result = estimate_file(
        file,
        uncertainty=uncertainty or seed_ranges or percentiles,
        seed_ranges=seed_ranges,
        candidates=_ids(compare_models),
        acceptable=_ids(acceptable),
    )
    if format is Format.json:
        # `uncertainty` and `model_comparison` absent unless asked for, as in POST /api/v1/estimate
        absent = {k for k in ("uncertainty", "model_comparison") if getattr(result, k) is None}
        typer.echo(result.model_dump_json(indent=2, exclude=absent or None))
    elif format is Format.csv:
        typer.echo(csv_export(result, shape=shape.value), nl=False)
    else:
        print_table(result)


def _ids(text: str | None) -> list[str] | None:
    """A comma-separated list of catalog ids; None when the option is not given."""
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


@app.command("presets")
def presets_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the bundled example scenarios."""
    items = presets()
    if as_json:
        typer.echo(json.dumps([{"slug": p.slug, "seed": p.seed, "name": p.scenario.name} for p in items.values()]))
        return
    table = Table(show_edge=False)
    for column in ("Slug", "Name", "Seed", "File"):
        table.add_column(column)
    for preset in items.values():
        table.add_row(preset.slug, preset.scenario.name, preset.seed, f"presets/{preset.slug}.yaml")
    out.print(table)


@app.command("catalog")
def catalog_command(
    search: Annotated[str | None, typer.Option("--search", "-s", help="Text in the id or name.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="llm, fine_tune, embedding, gpu, ...")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Instead: list stale as_of dates, models shut down or shutting down within 180 days, and the "
            "presets and saved scenarios (DATABASE_URL) using them; exit 1 when one uses a model already shut down.",
        ),
    ] = False,
    today: Annotated[
        dt.datetime | None,
        typer.Option("--today", formats=["%Y-%m-%d"], help="With --check: the day to check at (default: today)."),
    ] = None,
) -> None:
    """Search the price catalog: every price with its source and date (--check: what is out of date)."""
    if check:
        _catalog_check(today.date() if today else dt.date.today())
        return
    catalog = load_catalog()
    entries = catalog.search(search, kind=kind)
    table = Table(show_edge=False, title=f"{len(entries)} entries; catalog {catalog.version}")
    for column in ("Id", "Kind", "Prices", "As of", "Source"):
        table.add_column(column, overflow="fold")
    for entry in entries[:limit]:
        prices = ", ".join(
            f"{name} {value:g}"
            for name in (
                "input",
                "cached_input",
                "output",
                "batch_discount",
                "training",
                "gpu_hour_usd",
                "monthly_usd",
                "usd_per_1k_requests",
            )
            if (value := getattr(entry, name)) is not None
        )
        table.add_row(entry.id, entry.kind, prices, str(entry.as_of), entry.source)
    out.print(table)
    if len(entries) > limit:
        out.print(f"{len(entries) - limit} more; narrow with --search or --kind, or raise --limit.", style="dim")


def _catalog_check(today: dt.date) -> None:
    """`catalog --check`: plain lines from app.catalog_check, exit code 1 when a model in use has ended."""
    from app.catalog_check import check, saved_scenarios

    with _db() as session:
        saved = saved_scenarios(session)
    documents = {slug: p.scenario.model_dump(mode="json") for slug, p in presets().items()}
    report = check(load_catalog(), documents, saved, today=today)
    for line in report.lines():
        out.print(line, markup=False, emoji=False)  # ids such as qdrant:free are no emoji codes
    if report.exit_code:
        raise typer.Exit(code=report.exit_code)


@app.command("migrate")
def migrate_command() -> None:
    """Upgrade the database (DATABASE_URL) to the newest schema."""
    from app.db.migrate import upgrade
    from app.settings import get_settings

    url = get_settings().database_url
    upgrade(url)
    out.print(f"Database at the newest schema: {_safe_url(url)}")


@app.command("seed")
def seed_command() -> None:
    """Save the bundled presets as scenarios, if the database holds none yet."""
    from app.saved import seed_presets
    from app.settings import get_settings

    settings = get_settings()
    with _db() as session:  # migrated first: `llm-tco seed` on a new database works too
        count = seed_presets(session, author=settings.local_author)
    out.print(f"Saved {count} presets." if count else "The database already has scenarios; nothing seeded.")


WORKER_HEALTHCHECK_S = 60  # seconds a worker may take to answer uvicorn's supervisor (start-up included)


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Address to bind (default: HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PORT, 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Worker processes (default: WORKERS, 1); each is stateless.")
    ] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development; one worker).")] = False,
) -> None:
    """Migrate the database, seed the presets on first start, and serve the app."""
    import uvicorn

    from app.observability import log_config
    from app.settings import get_settings

    if host:  # the app decides local mode from HOST: it must see the address it is bound to
        os.environ["HOST"] = host
        get_settings.cache_clear()
    settings = get_settings()
    workers = workers or settings.workers
    if reload and workers > 1:
        raise _refuse("--reload serves one worker: leave out --workers (or WORKERS) to use it.")
    port = port or settings.port
    if workers > 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # first: seeding below counts estimates
        _metrics_folder(port)  # (made for one worker too when named: a missing folder fails every request)
    migrate_command()  # once, before any worker starts: workers never race to migrate
    if settings.seed_presets:
        seed_command()
    out.print(f"Serving on http://{settings.host}:{port} with {workers} worker(s)")
    if settings.auth_on:
        out.print("Sign-in required (AUTH_REQUIRED, or bound beyond loopback). Accounts: `llm-tco users create`.")
    else:
        out.print(f"Local mode: no sign-in, everyone here is {settings.local_author!r} (admin). Loopback only.")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=port,
        workers=workers,
        reload=reload,
        log_config=log_config(settings.log_format, settings.log_level),
        log_level=settings.log_level,
        access_log=False,  # app.observability.RequestLog writes one line per request instead
        timeout_graceful_shutdown=20,
        # A spawned worker answers the supervisor's ping only once it has imported app.cli (2 s idle);
        # uvicorn's 5 s default killed and respawned every worker forever on a loaded 2-core machine.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )


def _metrics_folder(port: int) -> None:
    """Point the workers' metrics at one empty folder (PROMETHEUS_MULTIPROC_DIR, else var/metrics-<port>),
    emptied first: counts restart with the server, as one process's would."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or f"var/metrics-{port}")
    if folder.exists():
        for child in folder.glob("*.db"):
            child.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder.resolve())


# --- accounts and API tokens (issue 6) ---

users_app = typer.Typer(
    help="Accounts of a team deployment: create, list, disable, enable, role, password.", no_args_is_help=True
)
tokens_app = typer.Typer(help="API tokens (Authorization: Bearer): create, list, revoke.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")

FIELD_WORDS = {"username": "Username", "password": "Password", "role": "Role", "name": "Name", "scope": "Scope"}


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _refuse(message: str) -> typer.Exit:
    """One line on stderr, exit code 1."""
    err.print(message, markup=False, style="red")
    return typer.Exit(code=1)


def _refused(exc: Any) -> typer.Exit:
    """An AccountError as one line: "Password: 10 to 200 characters."."""
    words = FIELD_WORDS.get(exc.field, "Days" if exc.field == "days" else exc.field)
    return _refuse(f"{words}: {exc}" + ("" if str(exc).endswith(".") else "."))


def _db() -> Any:
    """A session on DATABASE_URL, migrated first (as `serve` does), or a one-line refusal."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    from app.db.migrate import upgrade
    from app.db.session import get_engine
    from app.settings import get_settings

    url = get_settings().database_url
    try:
        upgrade(url)
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise _refuse(f"Cannot open the database at {_safe_url(url)} (DATABASE_URL): {reason}") from None
    return Session(get_engine(url), expire_on_commit=False)


def _actor() -> str:
    """Who the audit log names for a command-line action: cli:<OS user>."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


def _password(from_stdin: bool, username: str) -> str:
    """From the first line of stdin, or asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(f"Password for {username}", hide_input=True, confirmation_prompt="Repeat the password"))


def _check_password(password: str) -> None:
    from app.auth import accounts

    try:
        accounts.check_password(password)
    except accounts.AccountError as exc:
        raise _refused(exc) from None


def _user(session: Any, name: str) -> Any:
    from app.auth import accounts

    user = accounts.get_user(session, username=name)
    if user is None:
        raise _refuse(f"No account {name!r}: `llm-tco users list` shows them.")
    return user


class Role(enum.StrEnum):
    admin = "admin"
    editor = "editor"
    reviewer = "reviewer"
    viewer = "viewer"


PASSWORD_STDIN = typer.Option(
    "--password-stdin", help="Read the password from the first line of stdin (for scripts), instead of asking."
)


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Argument(help="Username: 2 to 64 of a-z 0-9 . _ - (stored in lower case).")],
    role: Annotated[Role, typer.Option(help="What the account may do.")],
    password_stdin: Annotated[bool, PASSWORD_STDIN] = False,
) -> None:
    """Create an account; the first admin of a team deployment is made here."""
    from app.auth import accounts

    with _db() as session:
        try:  # the name first: nobody types a password twice for a name that is then refused
            username = accounts.check_username(name)
        except accounts.AccountError as exc:
            raise _refused(exc) from None
        if accounts.get_user(session, username=username) is not None:
            raise _refuse(f"Username: {username} already exists (`llm-tco users list`).")
        password = _password(password_stdin, username)
        _check_password(password)
        try:
            user = accounts.create_user(session, username=username, role=role.value, password=password, actor=_actor())
        except accounts.AccountError as exc:
            raise _refused(exc) from None
    out.print(f"Created {user.username} ({user.role}). They can change the password once signed in.", markup=False)


@users_app.command("list")
def users_list() -> None:
    """Every account, with its role and state."""
    from app.auth import accounts

    with _db() as session:
        users = accounts.list_users(session)
    if not users:
        out.print("No accounts yet: `llm-tco users create NAME --role admin` makes the first admin.")
        return
    table = Table("Username", "Role", "Created (UTC)", "State", show_edge=False, title=_count(len(users), "account"))
    for u in users:
        state = f"disabled {u.disabled_at:%Y-%m-%d %H:%M}" if u.disabled_at else "active"
        table.add_row(u.username, u.role, f"{u.created_at:%Y-%m-%d %H:%M}", state)
    out.print(table)


def _change(name: str, say: Any, **change: Any) -> None:
    """Apply one change to an account and print what became of it; nothing is written when it is already so."""
    from app.auth import accounts

    with _db() as session:
        user = _user(session, name)
        already = say(user, before=True)
        if already:
            out.print(already, markup=False)
            return
        try:
            user = accounts.update_user(session, user=user, actor=_actor(), **change)
        except accounts.AccountError as exc:
            raise _refused(exc) from None
        out.print(say(user, before=False), markup=False)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Username.")]) -> None:
    """Disable an account: its sessions end and its tokens stop working. Nothing is deleted."""

    def say(user: Any, before: bool) -> str:
        if before:
            return f"{user.username} is already disabled." if user.disabled_at else ""
        return f"Disabled {user.username}: their sessions ended and their API tokens stopped working."

    _change(name, say, disabled=True)


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="Username.")]) -> None:
    """Enable a disabled account again."""

    def say(user: Any, before: bool) -> str:
        if before:
            return "" if user.disabled_at else f"{user.username} is already enabled."
        return f"Enabled {user.username}."

    _change(name, say, disabled=False)


@users_app.command("role")
def users_role(
    name: Annotated[str, typer.Argument(help="Username.")],
    role: Annotated[Role, typer.Argument(help="The new role.")],
) -> None:
    """Change an account's role."""

    def say(user: Any, before: bool) -> str:
        if before:
            return f"{user.username} is already {role.value}." if user.role == role.value else ""
        return f"{user.username} is now {user.role}."

    _change(name, say, role=role.value)


@users_app.command("password")
def users_password(
    name: Annotated[str, typer.Argument(help="Username.")],
    password_stdin: Annotated[bool, PASSWORD_STDIN] = False,
) -> None:
    """Set an account's password; its sessions end."""
    with _db() as session:
        username = _user(session, name).username
    password = _password(password_stdin, username)
    _check_password(password)

    def say(user: Any, before: bool) -> str:
        return "" if before else f"Password of {user.username} set; their sessions were signed out."

    _change(username, say, password=password)


class Scope(enum.StrEnum):
    read = "read"
    write = "write"


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Option(help="The account the token acts as.")],
    name: Annotated[str, typer.Option(help='A label, to tell tokens apart ("Budget sheet").')],
    scope: Annotated[
        Scope, typer.Option(help="read: GET only (spreadsheets); write: also what the account's role may do.")
    ] = Scope.read,
    days: Annotated[int | None, typer.Option(help="Lifetime in days, 1 to 3650 (default TOKEN_DAYS, 90).")] = None,
) -> None:
    """Create an API token and print its secret, this once: only its hash is stored."""
    from app.auth import accounts
    from app.settings import get_settings

    with _db() as session:
        owner = _user(session, user)
        try:
            row, secret = accounts.create_token(
                session,
                user=owner,
                name=name,
                scope=scope.value,
                days=get_settings().token_days if days is None else days,
            )
        except accounts.AccountError as exc:
            raise _refused(exc) from None
    if owner.disabled_at:
        err.print(f"{owner.username} is disabled: the token works only once the account is enabled.", markup=False)
    err.print(
        f'Token {row.id} "{row.name}" for {owner.username} ({row.scope}), expires {row.expires_at:%Y-%m-%d}. '
        "Copy the secret below now: it will not be shown again.",
        markup=False,
    )
    print(secret)  # alone on stdout, for `SECRET=$(llm-tco tokens create ...)`


@tokens_app.command("list")
def tokens_list(user: Annotated[str | None, typer.Option(help="Only this account's tokens.")] = None) -> None:
    """Tokens, newest first (never their secrets): id, owner, name, scope, dates, state."""
    from sqlmodel import select

    from app.auth import accounts
    from app.db.models import UserRow, utcnow

    with _db() as session:
        owner_id = _user(session, user).id if user else None
        tokens = accounts.list_tokens(session, user_id=owner_id)
        names = {u.id: u.username for u in session.exec(select(UserRow)).all()}
    if not tokens:
        out.print(f"{user} has no tokens." if user else "No tokens.", markup=False)
        return
    now = utcnow()
    table = Table(show_edge=False, title=f"{_count(len(tokens), 'token')}. Dates are UTC.")
    for column in ("Id", "User", "Name", "Starts with", "Scope", "Created", "Expires", "Last used", "State"):
        table.add_column(column, justify="right" if column == "Id" else "left")
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "expired" if t.expires_at <= now else "active"
        table.add_row(
            str(t.id),
            names.get(t.user_id, "?"),
            Text(t.name),  # typed by a user: never read as Rich markup
            t.prefix + "…",
            t.scope,
            f"{t.created_at:%Y-%m-%d}",
            f"{t.expires_at:%Y-%m-%d}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
            state,
        )
    out.print(table)


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="The token's id (`llm-tco tokens list`).")]) -> None:
    """Revoke a token: it stops working at once."""
    from app.auth import accounts
    from app.db.models import ApiTokenRow

    with _db() as session:
        token = session.get(ApiTokenRow, token_id)
        if token is None:
            raise _refuse(f"No token {token_id}: `llm-tco tokens list` shows them.")
        if token.revoked_at is not None:
            when = f"{token.revoked_at:%Y-%m-%d %H:%M} UTC"
            out.print(f'Token {token_id} "{token.name}" was already revoked on {when}.', markup=False)
            return
        accounts.revoke_token(session, token=token, actor=_actor())
    out.print(f'Revoked token {token_id} "{token.name}": it stopped working.', markup=False)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# --- moving every record between databases (issue 7): docs/data-transfer.md ---
# (above `main` and its `__main__` guard, so that `python -m app.cli export-all` knows these commands)


def _print_counts(console: Any, counts: dict[str, int], verb: str) -> None:
    table = Table("table", "rows", show_edge=False)
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    console.print(f"{verb} {sum(counts.values()):,} rows in {len(counts)} tables.")


@app.command("export-all")
def export_all_command(
    path: Annotated[str, typer.Argument(help="File to write the JSON to; `-` (the default) is stdout.")] = "-",
) -> None:
    """Write every scenario, revision, comment, audit entry, account, token and share link of DATABASE_URL
    as one JSON document, for `llm-tco import` into another database (docs/data-transfer.md)."""
    from app import transfer

    with _db() as session:
        try:
            document = transfer.export_all(session)
        except transfer.TransferError as exc:
            raise _refuse(str(exc)) from None
    if path == "-":
        json.dump(document, sys.stdout)
        sys.stdout.write("\n")
        sys.stdout.flush()
    else:
        target = Path(path)
        partial = target.with_name(target.name + ".partial")
        with partial.open("w", encoding="utf-8") as fh:  # a failed write leaves no half file under PATH
            json.dump(document, fh)
            fh.write("\n")
        partial.replace(target)
    counts = {name: len(rows) for name, rows in document["tables"].items()}
    _print_counts(err, counts, "Exported")
    err.print(f"Schema {document['schema']}; to: {'stdout' if path == '-' else path}", markup=False)


@app.command("import")
def import_command(
    path: Annotated[str, typer.Argument(help="A file written by `llm-tco export-all`; `-` is stdin.")],
) -> None:
    """Load an `llm-tco export-all` document into DATABASE_URL, which must hold no records yet: every
    row or none, ids kept. Migrates the database first."""
    from app import transfer

    try:
        if path == "-":
            document = json.load(sys.stdin)
        else:
            with Path(path).open(encoding="utf-8") as fh:
                document = json.load(fh)
    except OSError as exc:
        raise _refuse(f"Cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _refuse(f"{'stdin' if path == '-' else path} is not JSON: {exc}") from None
    with _db() as session:
        try:
            counts = transfer.import_all(session, document)
        except transfer.TransferError as exc:
            raise _refuse(f"Nothing imported: {exc}") from None
    _print_counts(out, counts, "Imported")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
