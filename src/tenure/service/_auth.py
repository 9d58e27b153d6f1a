"""Who is asking, and may they: tokens, roles, owners and the session cookie.

Every request names a token, in an ``Authorization: Bearer`` header or in the session
cookie the login page sets. No token, or one that is unknown or revoked: 401. A token
whose role is too low: 403. A token limited to one owner sees only that owner's
customers: an option ``owner`` is set to its owner (asking for another owner's is 403),
and another owner's customer is as unknown as one that does not exist (404).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from tenure.capabilities import Capability
from tenure.errors import ConfigError
from tenure.workspace._access import ROLES, Token

__all__ = ["COOKIE", "LANG_COOKIE", "authenticate", "client_of", "required_role",
           "scoped_values"]

COOKIE = "tenure_session"
LANG_COOKIE = "tenure_lang"
# Options the service sets itself: it keeps the customer tables current after each write,
# so a read never rebuilds them. Options that name a file (a model's path) keep their
# defaults: a request does not choose files on the server.
FIXED = {"refresh": False}


class LoginNeeded(HTTPException):
    """401 for the API; the pages send the browser to the login page instead."""

    def __init__(self, message: str) -> None:
        super().__init__(401, message, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request, role: str = "viewer") -> Token:
    """The token of ``request``, at least ``role``; 401 or 403 otherwise."""
    header = request.headers.get("authorization", "")
    text = header[7:].strip() if header.lower().startswith("bearer ") else None
    text = text or request.cookies.get(COOKIE)
    if not text:
        raise LoginNeeded("a token is needed: send `Authorization: Bearer TOKEN` or log in "
                          "at /login")
    token = request.app.state.tenure.token(text)
    if token is None:
        raise LoginNeeded("this token is unknown or revoked; ask an admin for a new one "
                          "(tenure token create)")
    if not token.at_least(role):
        raise HTTPException(403, f"this needs the {role} role and the token has the "
                                 f"{token.role} role; ask an admin for one that allows it")
    request.state.token = token
    return token


def required_role(capability: Capability) -> str:
    """The lowest role that may use ``capability``: admins manage tokens, read the audit
    log and quarantine, and run whatever writes (the day's plan and the lift among them);
    operators work the customer lists and the actions (recording outcomes has a route of
    its own); viewers read the rest."""
    if capability.group in ("token", "audit") or capability.name == "quarantine":
        return "admin"
    if capability.writes:
        return "admin"
    if capability.group == "actions":
        return "operator"
    if capability.name == "customers at-risk":
        return "operator"
    return "viewer"


def scoped_values(capability: Capability, token: Token, values: dict[str, Any]
                  ) -> dict[str, Any]:
    """``values`` with the options the service fixes, and a token's owner put in its
    ``owner`` option (403 when another owner is asked for)."""
    specs = capability.option_specs()
    names = {spec.name for spec in specs}
    for spec in specs:
        if spec.kind is Path and values.get(spec.name) not in (None, ""):
            raise ConfigError(f"{capability.name}: {spec.name} names a file on the server, "
                              "which a request may not choose; leave it out")
    values = {**values, **{k: v for k, v in FIXED.items() if k in names}}
    for name in ("owner", "owner_id"):
        if name in names and token.owner_id is not None:
            asked = values.get(name)
            if asked not in (None, "", token.owner_id):
                raise HTTPException(403, f"this token sees only the customers of "
                                         f"{token.owner_id}")
            values[name] = token.owner_id
    return values


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def role_rank(role: str) -> int:
    return ROLES.index(role)
