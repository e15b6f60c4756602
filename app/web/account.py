"""Sign-in and sign-out, one's own account (password, API tokens), and the admin pages (accounts, the
whole audit log). Routes parse, call app/auth/accounts.py and render; the guard has already checked
the role and the CSRF token. Every action answers 303 (a reload never repeats it), except where a
secret is shown: a new token is shown once, on the response itself, never in an address.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import audit
from app.api.deps import PrincipalDep, SessionDep, SettingsDep
from app.auth import accounts, keys
from app.auth.guard import SESSION_COOKIE, cookie_secure, principal_of
from app.auth.roles import ROLE_LABELS
from app.db.models import ROLES, UserRow, utcnow
from app.exports import CSV_MEDIA_TYPE
from app.web import saved_views
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
AUDIT_PAGE = 100


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never `//host` or `https://host`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


# --- sign-in ---


def _sign_in_page(
    request: Request, session: SessionDep, *, username: str = "", next_: str = "/", error: str = "", status: int = 200
) -> Response:
    ctx = {
        "username": username,
        "next": safe_next(next_),
        "error": error,
        "no_accounts": accounts.count_users(session) == 0,
        "local": getattr(principal_of(request), "via", "") == "local",
    }
    return templates.TemplateResponse(request, "sign_in.html", ctx, status_code=status)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, session: SessionDep, next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    return _sign_in_page(request, session, next_=next)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    form = await request.form()
    username = str(form.get("username") or "")[:64]
    target = safe_next(str(form.get("next") or "/"))
    result = _sign_in(request, session, settings, username, str(form.get("password") or ""))
    if isinstance(result, accounts.Refused):
        status = 429 if result.retry_after_s else 401
        response = _sign_in_page(request, session, username=username, next_=target, error=result.message, status=status)
        if result.retry_after_s:
            response.headers["Retry-After"] = str(result.retry_after_s)
        return response
    return _with_session(RedirectResponse(target, status_code=303), request, settings, result[1])


def _sign_in(
    request: Request, session: SessionDep, settings: Any, username: str, password: str
) -> tuple[UserRow, str] | accounts.Refused:
    return accounts.sign_in(
        session,
        username=username,
        password=password,
        address=request.client.host if request.client else "unknown",
        free_failures=settings.sign_in_free_failures,
        session_hours=settings.session_hours,
    )


def _with_session(response: Response, request: Request, settings: Any, raw: str) -> Response:
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


@router.post("/sign-out")
def sign_out(principal: PrincipalDep, session: SessionDep) -> Response:
    if principal.via != "session":
        return RedirectResponse("/", status_code=303)
    accounts.sign_out(session, token=principal.credential, actor=principal.username)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- one's own account ---


def _me(session: SessionDep, principal: PrincipalDep) -> UserRow | None:
    return accounts.get_user(session, username=principal.username) if principal.via == "session" else None


def account_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    new_secret: str = "",
    notice: str = "",
) -> Response:
    me = _me(session, principal)
    ctx: dict[str, Any] = {
        "nav": "account",
        "me": me,
        "role_label": ROLE_LABELS.get(principal.role, principal.role),
        "tokens": accounts.list_tokens(session, user_id=me.id) if me else [],
        "errors": errors or {},
        "values": {"days": str(settings.token_days), "scope": "read"} | (values or {}),
        "new_secret": new_secret,
        "notice": notice,
        "utc": saved_views.utc,
        "now": utcnow(),
        "base": str(request.base_url).rstrip("/"),
    }
    return templates.TemplateResponse(request, "account.html", ctx, status_code=status)


NOTICES = {"password": "Password changed. Your other sessions were signed out.", "revoked": "Token revoked."}


@router.get("/account", response_class=HTMLResponse)
def account(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return account_page(request, session, principal, settings, notice=NOTICES.get(done, ""))


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> Response:
    me = _me(session, principal)
    if me is None:
        return RedirectResponse("/account", status_code=303)
    form = await request.form()
    current, new, repeat = (str(form.get(k) or "") for k in ("current", "new", "repeat"))
    errors: dict[str, str] = {}
    if not accounts.hasher.verify(current[: accounts.MAX_PASSWORD], me.password_hash):
        errors["current"] = "This is not your current password."
    elif new != repeat:
        errors["repeat"] = "The two new passwords differ."
    else:
        try:
            accounts.update_user(session, user=me, actor=me.username, password=new)
        except accounts.AccountError as exc:
            errors["new"] = str(exc)
    if errors:
        return account_page(request, session, principal, settings, status=422, errors=errors)
    # the password change ended every session, this one too: start a new one here
    result = _sign_in(request, session, settings, me.username, new)
    response = RedirectResponse("/account?done=password", status_code=303)
    if not isinstance(result, accounts.Refused):
        value = keys.sign(keys.secret(settings.secret_key), result[1])
        max_age = settings.session_hours * 3600
        response.set_cookie(
            SESSION_COOKIE, value, max_age=max_age, httponly=True, samesite="lax", secure=cookie_secure(request)
        )
    return response


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(
    request: Request, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> Response:
    me = _me(session, principal)
    if me is None:
        return RedirectResponse("/account", status_code=303)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in ("name", "scope", "days")}
    days = int(values["days"]) if values["days"].isdigit() and len(values["days"]) < 6 else -1
    try:
        _, secret = accounts.create_token(session, user=me, name=values["name"], scope=values["scope"], days=days)
    except accounts.AccountError as exc:
        return account_page(
            request, session, principal, settings, status=422, errors={exc.field: str(exc)}, values=values
        )
    response = account_page(request, session, principal, settings, status=201, new_secret=secret)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    me = _me(session, principal)
    token = next((t for t in accounts.list_tokens(session, user_id=me.id) if t.id == token_id), None) if me else None
    if me is None:
        return RedirectResponse("/account", status_code=303)
    if token is None:
        raise HTTPException(404, "No such token of yours.")
    accounts.revoke_token(session, token=token, actor=principal.username)
    return RedirectResponse("/account?done=revoked", status_code=303)


# --- administration ---


def users_page(
    request: Request,
    session: SessionDep,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    ctx = {
        "nav": "admin",
        "users": accounts.list_users(session),
        "roles": ROLES,
        "role_labels": ROLE_LABELS,
        "errors": errors or {},
        "values": {"role": "viewer"} | (values or {}),
        "notice": notice,
        "utc": saved_views.utc,
    }
    return templates.TemplateResponse(request, "admin_users.html", ctx, status_code=status)


USER_NOTICES = {
    "created": "Account created. Give its user the password by a safe channel; they change it on their account page.",
    "role": "Role changed.",
    "disable": "Account disabled: its sessions ended and its tokens stopped working.",
    "enable": "Account enabled.",
    "password": "Password set; the account's sessions were signed out.",
}


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(request: Request, session: SessionDep, done: Annotated[str, Query(max_length=20)] = "") -> Response:
    return users_page(request, session, notice=USER_NOTICES.get(done, ""))


@router.post("/admin/users", response_class=HTMLResponse)
async def admin_create_user(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("username", "role")}
    try:
        accounts.create_user(
            session,
            username=values["username"],
            role=values["role"],
            password=str(form.get("password") or ""),
            actor=principal.username,
        )
    except accounts.AccountError as exc:
        return users_page(request, session, status=422, errors={exc.field: str(exc)}, values=values)
    return RedirectResponse("/admin/users?done=created", status_code=303)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
async def admin_change_user(user_id: int, request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    user = session.get(UserRow, user_id)
    if user is None:
        raise HTTPException(404, f"No account {user_id}.")
    form = await request.form()
    action = str(form.get("action") or "")
    self_ = user.username == principal.username
    key = f"user-{user.id}"
    try:
        if action == "role":
            role = str(form.get("role") or "")
            if self_ and role != "admin":
                raise accounts.AccountError(key, "You cannot drop your own admin role: another admin must.")
            accounts.update_user(session, user=user, actor=principal.username, role=role)
        elif action in ("disable", "enable"):
            if self_ and action == "disable":
                raise accounts.AccountError(key, "You cannot disable your own account.")
            accounts.update_user(session, user=user, actor=principal.username, disabled=action == "disable")
        elif action == "password":
            accounts.update_user(session, user=user, actor=principal.username, password=str(form.get("password") or ""))
        else:
            raise accounts.AccountError(key, "Unknown action.")
    except accounts.AccountError as exc:
        field = exc.field if exc.field == key else key
        return users_page(request, session, status=422, errors={field: str(exc)})
    return RedirectResponse(f"/admin/users?done={action}", status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def admin_audit(request: Request, session: SessionDep, page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    rows = audit.entries(session, limit=page * AUDIT_PAGE + 1)
    shown = rows[(page - 1) * AUDIT_PAGE : page * AUDIT_PAGE]
    ctx = {
        "nav": "admin",
        "entries": shown,
        "page": page,
        "more": len(rows) > page * AUDIT_PAGE,
        "actions": audit.ACTIONS,
        "utc": saved_views.utc,
    }
    return templates.TemplateResponse(request, "admin_audit.html", ctx)


@router.get("/admin/audit.csv")
def admin_audit_csv(session: SessionDep) -> Response:
    text = audit.csv_text(audit.entries(session), with_scenario=True)
    return Response(
        text, media_type=CSV_MEDIA_TYPE, headers={"Content-Disposition": 'attachment; filename="llm-tco-audit.csv"'}
    )
