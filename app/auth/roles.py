"""Roles and the permissions each grants. One table: the guard, the pages and the docs read it."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    PUBLIC = "public"
    """No sign-in: the sign-in page, static files, read-only share links (the link is the key)."""
    READ = "read"
    """Pages, saved scenarios, their estimates, audit logs and exports: anything a GET shows."""
    COMPUTE = "compute"
    """Estimates that save nothing: the calculator's POSTs and POST /api/v1/estimate, validate, batch."""
    COMMENT = "comment"
    """Comment on a revision."""
    EDIT = "edit"
    """Create, edit, duplicate, archive, restore and re-price scenarios; submit them for review."""
    REVIEW = "review"
    """Approve a scenario in review, or request changes."""
    SHARE = "share"
    """Create and revoke read-only share links."""
    ACCOUNT = "account"
    """One's own account: API tokens, password, signing out."""
    ADMIN = "admin"
    """Accounts of everyone: create, change role, disable, reset password; the whole audit log."""


P = Permission
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({P.READ, P.COMPUTE, P.ACCOUNT}),
    "reviewer": frozenset({P.READ, P.COMPUTE, P.ACCOUNT, P.COMMENT, P.REVIEW, P.SHARE}),
    "editor": frozenset({P.READ, P.COMPUTE, P.ACCOUNT, P.COMMENT, P.EDIT, P.SHARE}),
    "admin": frozenset(Permission),
}
ROLE_LABELS = {
    "admin": "Admin: manages accounts, and may do everything below",
    "editor": "Editor: creates and edits scenarios, submits them for review",
    "reviewer": "Reviewer (finance): reads, comments, approves or requests changes, exports",
    "viewer": "Viewer: reads and exports",
}
TOKEN_SCOPES: dict[str, frozenset[Permission]] = {
    "read": frozenset({P.READ}),
    "write": frozenset(Permission) - {P.ACCOUNT, P.ADMIN},
}
"""What a token may do, within its owner's role: a read token only GETs (CSV and JSON for
spreadsheets); a write token anything else the role allows on /api/v1, but never manage accounts."""
