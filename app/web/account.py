"""Sign-in and sign-out, one's own account (password, API tokens), and the admin pages (accounts, the
whole audit log). Routes parse, call app/auth/accounts.py (which writes the audit entries) and render;
the guard has already checked the role and the CSRF token.

Every action answers 303 with a one-line notice (a reload never repeats it), or the same page again
with 422 (401 or 429 for a refused sign-in) and the message beside the field it is about, with what was
typed still in the form, passwords excepted. The one exception is a new API token: its secret is shown
once, on the response itself (201, `Cache-Control: no-store`), never in an address.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app import audit
from app.auth import accounts, keys
from app.auth.accounts import Principal
from app.auth.guard import SESSION_COOKIE, cookie_secure, principal_of
from app.auth.roles import ROLE_LABELS, Permission
from app.db.models import ROLES, ApiTokenRow, UserRow, utcnow
from app.deps import FormDep, PrincipalDep, SessionDep, SettingsDep
from app.exports import CSV_MEDIA_TYPE
from app.settings import Settings
from app.web import saved_views
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
AUDIT_PAGE = 100
ROLE_NAMES = {role: label.split(":", 1)[0] for role, label in ROLE_LABELS.items()}
"""admin -> "Admin", reviewer -> "Reviewer (finance)": the label's first part."""
ROLE_DUTIES = {role: label.split(":", 1)[1].strip() for role, label in ROLE_LABELS.items()}
"""What each role may do, in words: the label's second part."""
WRITE_POWERS = (
    (Permission.COMPUTE, "compute estimates"),
    (Permission.EDIT, "create and edit scenarios"),
    (Permission.COMMENT, "comment"),
    (Permission.REVIEW, "approve or request changes"),
    (Permission.SHARE, "make share links"),
)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never `//host`, `/\\host` or `https://host`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 0x20 or c == "\x7f" for c in target):  # a tab or newline inside `/\t/host` is dropped by browsers
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _redirect(path: str, **query: object) -> RedirectResponse:
    shown = {k: v for k, v in query.items() if v not in (None, "")}
    return RedirectResponse(path + ("?" + urlencode(shown) if shown else ""), status_code=303)


def _sentence(message: str) -> str:
    return message if message.endswith(".") else message + "."


def _wait_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _set_session_cookie(response: Response, request: Request, settings: Settings, raw: str) -> Response:
    """The signed session cookie: HttpOnly, SameSite=Lax, Secure under HTTPS, as long as the session."""
    response.set_cookie(
        SESSION_COOKIE,
        keys.sign(keys.secret(settings.secret_key), raw),
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
    )
    return response


def _start_session(
    request: Request, session: Session, settings: Settings, username: str, password: str
) -> tuple[UserRow, str] | accounts.Refused:
    return accounts.sign_in(
        session,
        username=username,
        password=password,
        address=request.client.host if request.client else "unknown",
        free_failures=settings.sign_in_free_failures,
        session_hours=settings.session_hours,
    )


# --- sign-in and sign-out ---


def _sign_in_page(
    request: Request,
    session: Session,
    *,
    username: str = "",
    next_: str = "/",
    error: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    who = principal_of(request)
    ctx = {
        "username": username,
        "next": safe_next(next_),
        "error": error,
        "errors": errors or {},
        "no_accounts": accounts.count_users(session) == 0,
        "local": who is not None and who.via == "local",
        "signed_in_as": who if who is not None and who.via == "session" else None,
        "role_names": ROLE_NAMES,
        "signed_out": request.query_params.get("signed_out") == "1",
    }
    return templates.TemplateResponse(request, "sign_in.html", ctx, status_code=status)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, session: SessionDep, next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    return _sign_in_page(request, session, next_=next)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, session: SessionDep, settings: SettingsDep, form: FormDep) -> Response:
    who = principal_of(request)
    if who is not None and who.via == "local":
        return _redirect("/")  # local mode: nobody signs in
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or "/"))
    blank = {
        field: message
        for field, value, message in (
            ("username", username, "Enter your username."),
            ("password", password, "Enter your password."),
        )
        if not value
    }
    if blank:  # not an attempt: nothing to count against the account
        return _sign_in_page(request, session, username=username, next_=target, errors=blank, status=422)
    result = _start_session(request, session, settings, username, password)
    if isinstance(result, accounts.Refused):
        wait = result.retry_after_s
        message = f"Too many failed sign-ins: try again in {_wait_words(wait)}." if wait else result.message
        response = _sign_in_page(
            request, session, username=username, next_=target, error=message, status=429 if wait else 401
        )
        if wait:
            response.headers["Retry-After"] = str(wait)
        return response
    if who is not None and who.via == "session":  # signing in as someone else ends the session before
        accounts.sign_out(session, token=who.credential, actor=who.username)
    return _set_session_cookie(RedirectResponse(target, status_code=303), request, settings, result[1])


@router.post("/sign-out")
def sign_out(request: Request, principal: PrincipalDep, session: SessionDep) -> Response:
    if principal.via != "session":
        return _redirect("/")  # local mode: there is no session to end
    accounts.sign_out(session, token=principal.credential, actor=principal.username)
    response = _redirect("/sign-in", signed_out=1)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request))
    return response


# --- one's own account ---


def _me(session: Session, principal: Principal) -> UserRow | None:
    return accounts.get_user(session, username=principal.username) if principal.via == "session" else None


def _own_token(session: Session, me: UserRow | None, token_id: int | None) -> ApiTokenRow | None:
    token = session.get(ApiTokenRow, token_id) if me is not None and token_id is not None else None
    return token if token is not None and me is not None and token.user_id == me.id else None


def account_page(
    request: Request,
    session: Session,
    principal: Principal,
    settings: Settings,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    new_token: tuple[ApiTokenRow, str] | None = None,
    notice: str = "",
) -> Response:
    me = _me(session, principal)
    ctx: dict[str, Any] = {
        "nav": "account",
        "me": me,
        "role_name": ROLE_NAMES.get(principal.role, principal.role),
        "role_duties": ROLE_DUTIES.get(principal.role, ""),
        "write_powers": [words for permission, words in WRITE_POWERS if principal.can(permission)],
        "tokens": accounts.list_tokens(session, user_id=me.id) if me else [],
        "errors": errors or {},
        "values": {"days": str(settings.token_days), "scope": "read"} | (values or {}),
        "token_days": settings.token_days,
        "session_hours": settings.session_hours,
        "new_token": new_token,
        "notice": notice,
        "utc": saved_views.utc,
        "now": utcnow(),
        "base": str(request.base_url).rstrip("/"),
    }
    response = templates.TemplateResponse(request, "account.html", ctx, status_code=status)
    if new_token is not None:
        response.headers["Cache-Control"] = "no-store"  # the secret must not be kept by a cache or the history
    return response


@router.get("/account", response_class=HTMLResponse)
def account(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    done: Annotated[str, Query(max_length=20)] = "",
    token: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    notice = ""
    if done == "password":
        notice = "Password changed. Your other sessions were signed out."
    elif done == "revoked":
        revoked = _own_token(session, _me(session, principal), token)
        notice = f"Token \u201c{revoked.name}\u201d revoked: it stopped working." if revoked else "Token revoked."
    return account_page(request, session, principal, settings, notice=notice)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request, session: SessionDep, principal: PrincipalDep, settings: SettingsDep, form: FormDep
) -> Response:
    me = _me(session, principal)
    if me is None:
        return _redirect("/account")  # local mode: no password to change
    current, new, repeat = (str(form.get(k) or "") for k in ("current", "new", "repeat"))
    errors: dict[str, str] = {}
    if not current:
        errors["current"] = "Enter your current password."
    elif not accounts.is_password_of(session, me, current):
        errors["current"] = "This is not your current password."
    try:
        accounts.check_password(new)
    except accounts.AccountError as exc:
        errors["new"] = f"Use {exc}."
    else:
        if new != repeat:
            errors["repeat"] = "The two new passwords differ: type the same one twice."
    if errors:
        return account_page(request, session, principal, settings, status=422, errors=errors)
    accounts.update_user(session, user=me, actor=me.username, password=new)
    # setting the password ended every session of the account, this one too: start a new one here
    result = _start_session(request, session, settings, me.username, new)
    if isinstance(result, accounts.Refused):
        return _redirect("/sign-in", next="/account")
    return _set_session_cookie(_redirect("/account", done="password"), request, settings, result[1])


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request, session: SessionDep, principal: PrincipalDep, settings: SettingsDep, form: FormDep
) -> Response:
    me = _me(session, principal)
    if me is None:
        return _redirect("/account")  # local mode: the API needs no token
    values = {k: str(form.get(k) or "").strip()[:200] for k in ("name", "scope", "days")}
    if not values["days"]:
        days = settings.token_days
    elif values["days"].isdigit() and len(values["days"]) <= 5:
        days = int(values["days"])
    else:
        return account_page(
            request, session, principal, settings, status=422, values=values, errors={"days": "A whole number of days."}
        )
    try:
        made = accounts.create_token(session, user=me, name=values["name"], scope=values["scope"], days=days)
    except accounts.AccountError as exc:
        errors = {exc.field: _sentence(str(exc))}
        return account_page(request, session, principal, settings, status=422, errors=errors, values=values)
    return account_page(request, session, principal, settings, status=201, new_token=made)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    me = _me(session, principal)
    if me is None:
        return _redirect("/account")
    token = _own_token(session, me, token_id)
    if token is None:  # another's token is as unknown as one that does not exist
        raise HTTPException(404, "You have no API token with this number.")
    accounts.revoke_token(session, token=token, actor=principal.username)
    return _redirect("/account", done="revoked", token=token_id)


# --- administration: accounts ---


@dataclass(frozen=True)
class RowError:
    """A refused change of one account, shown in its row: which form (`action`) and field, and why."""

    user_id: int
    action: str
    field: str
    message: str


def users_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    row_error: RowError | None = None,
    notice: str = "",
) -> Response:
    ctx = {
        "nav": "admin",
        "row_error": row_error,
        "users": accounts.list_users(session),
        "me": principal.username if principal.via == "session" else None,
        "roles": ROLES,
        "role_labels": ROLE_LABELS,
        "role_names": ROLE_NAMES,
        "errors": errors or {},
        "values": {"role": "viewer"} | (values or {}),
        "notice": notice,
        "utc": saved_views.utc,
    }
    return templates.TemplateResponse(request, "admin_users.html", ctx, status_code=status)


def _user_notice(done: str, user: UserRow | None) -> str:
    if user is None:
        return ""
    name = user.username
    return {
        "created": f"Account created: {name}, {ROLE_NAMES.get(user.role, user.role)}. Give them the password "
        "by a safe channel; they can change it on their account page.",
        "role": f"{name} is now {ROLE_NAMES.get(user.role, user.role)}.",
        "disable": f"{name} is disabled: their sessions ended and their API tokens stopped working.",
        "enable": f"{name} is enabled again. Their tokens work again unless revoked or expired.",
        "password": f"Password of {name} set; their sessions were signed out.",
    }.get(done, "")


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    done: Annotated[str, Query(max_length=20)] = "",
    user: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    subject = session.get(UserRow, user) if user is not None else None
    return users_page(request, session, principal, notice=_user_notice(done, subject))


@router.post("/admin/users", response_class=HTMLResponse)
def admin_create_user(request: Request, session: SessionDep, principal: PrincipalDep, form: FormDep) -> Response:
    values = {k: str(form.get(k) or "").strip()[:200] for k in ("username", "role")}
    try:
        user = accounts.create_user(
            session,
            username=values["username"],
            role=values["role"],
            password=str(form.get("password") or ""),
            actor=principal.username,
        )
    except accounts.AccountError as exc:
        errors = {exc.field: _sentence(str(exc))}
        return users_page(request, session, principal, status=422, errors=errors, values=values)
    return _redirect("/admin/users", done="created", user=user.id)


USER_ACTIONS = ("role", "disable", "enable", "password")


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def admin_change_user(
    user_id: int, request: Request, session: SessionDep, principal: PrincipalDep, form: FormDep
) -> Response:
    user = session.get(UserRow, user_id)
    if user is None:
        raise HTTPException(404, f"There is no account number {user_id}.")
    action = str(form.get("action") or "")
    yourself = principal.via == "session" and user.username == principal.username
    try:
        if action == "role":
            role = str(form.get("role") or "")
            if yourself and role != "admin":
                raise accounts.AccountError("role", "You cannot drop your own admin role: another admin must.")
            accounts.update_user(session, user=user, actor=principal.username, role=role)
        elif action in ("disable", "enable"):
            if yourself and action == "disable":
                raise accounts.AccountError("disable", "You cannot disable your own account: another admin must.")
            accounts.update_user(session, user=user, actor=principal.username, disabled=action == "disable")
        elif action == "password":
            if yourself:
                raise accounts.AccountError(
                    "password", "Change your own password on your account page: it asks for the current one."
                )
            accounts.update_user(session, user=user, actor=principal.username, password=str(form.get("password") or ""))
        else:
            raise accounts.AccountError("action", f"Choose one of: {', '.join(USER_ACTIONS)}.")
    except accounts.AccountError as exc:
        session.rollback()
        session.refresh(user)
        failed = RowError(user_id, action, exc.field, _sentence(str(exc)))
        return users_page(request, session, principal, status=422, row_error=failed)
    return _redirect("/admin/users", done=action, user=user.id)


# --- administration: the whole audit log ---


@router.get("/admin/audit", response_class=HTMLResponse)
def admin_audit(request: Request, session: SessionDep, page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    total = audit.count(session)
    pages = max(1, -(-total // AUDIT_PAGE))
    entries = audit.entries(session, limit=AUDIT_PAGE, offset=(page - 1) * AUDIT_PAGE)
    ctx = {
        "nav": "admin",
        "entries": entries,
        "page": page,
        "pages": pages,
        "total": total,
        "first": (page - 1) * AUDIT_PAGE + 1,
        "last": (page - 1) * AUDIT_PAGE + len(entries),
        "actions": audit.ACTIONS,
        "utc": saved_views.utc,
    }
    return templates.TemplateResponse(request, "admin_audit.html", ctx)


@router.get("/admin/audit.csv")
def admin_audit_csv(session: SessionDep) -> Response:
    """The whole log, newest first: at,actor,action,scenario_id,revision,detail; no text cell is a formula."""
    name = f"llm-tco-audit-{dt.datetime.now(dt.UTC):%Y-%m-%d}.csv"
    return Response(
        audit.csv_text(audit.entries(session, limit=None), with_scenario=True),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
