"""Who may use a workspace through the service, and what they did: tokens and the audit log.

A token is ``tnr_<id>_<secret>``. The workspace keeps its id, role, owner and a SHA-256 hash
of the secret (``api_tokens``); the secret itself is shown once, when the token is made, and
cannot be read back. Roles rise: a viewer reads aggregates and sees contacts masked; an
operator also works the customer lists and sees contacts, limited to their own customers
when the token names an owner; an admin also ingests, runs jobs and manages tokens.

Every write through the service and every token change lands in ``audit_log``: who
(the token id, or the local user for a command), what, when, from where and how it ended.

>>> import tempfile, tenure
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/shop")
>>> made = create_token(ws.connection, "viewer", actor="cli:ana")
>>> check_token(ws.connection, made.token).role
'viewer'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tenure.errors import ConfigError, InputError
from tenure.results import Result, jsonable

__all__ = ["ROLES", "AuditLog", "Token", "TokenCreated", "TokenList", "TokenRevoked",
           "audit_log", "check_token", "create_token", "list_tokens", "record", "revoke_token"]

ROLES = ("viewer", "operator", "admin")
_TOKEN = re.compile(r"tnr_([0-9a-f]{12})_([A-Za-z0-9_-]{20,64})\Z")


@dataclass(frozen=True)
class Token:
    """A token as the workspace knows it (never the secret)."""

    token_id: str
    role: str
    owner_id: str | None
    label: str | None

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def _hash(secret: str) -> str:
    # The secrets are 32 random bytes: a plain hash cannot be reversed by guessing.
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class TokenCreated(Result):
    """A new token, with its secret: shown this once."""

    token: str
    token_id: str
    role: str
    owner_id: str | None

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"token_id": self.token_id, "role": self.role,
                              "owner_id": self.owner_id}])

    @property
    def headline(self) -> dict[str, Any]:
        return {"token": self.token, "token_id": self.token_id, "role": self.role,
                "owner_id": self.owner_id}

    def lines(self) -> list[str]:
        return [f"Token {self.token}",
                "Keep it now: it is stored only as a hash and cannot be shown again."]


@dataclass(frozen=True)
class TokenList(Result):
    """Every token: id, role, owner, label, when and by whom it was made, and when it was
    revoked."""

    frame: pd.DataFrame

    @property
    def headline(self) -> dict[str, Any]:
        live = self.frame[self.frame["revoked_at"].isna()]
        return {"tokens": len(self.frame), "active": len(live)}

    def lines(self) -> list[str]:
        return [] if len(self.frame) else ["No tokens yet: tenure token create --role viewer"]


@dataclass(frozen=True)
class TokenRevoked(Result):
    token_id: str
    revoked: bool

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"token_id": self.token_id, "revoked": self.revoked}])

    @property
    def headline(self) -> dict[str, Any]:
        return {"token_id": self.token_id, "revoked": self.revoked}

    def lines(self) -> list[str]:
        if self.revoked:
            return [f"Revoked token {self.token_id}"]
        return [f"Token {self.token_id} was already revoked"]


@dataclass(frozen=True)
class AuditLog(Result):
    """The latest entries of the audit log, newest first."""

    frame: pd.DataFrame

    @property
    def headline(self) -> dict[str, Any]:
        return {"entries": len(self.frame)}


def create_token(con, role: str, *, owner_id: str | None = None, label: str | None = None,
                 actor: str, client: str | None = None) -> TokenCreated:
    """Make a token with ``role`` (viewer, operator or admin), limited to the customers of
    ``owner_id`` when one is given, and log who made it."""
    if role not in ROLES:
        raise ConfigError(f"role '{role}' is not a role; use viewer, operator or admin")
    owner_id = owner_id.strip() if owner_id and owner_id.strip() else None
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    con.execute("INSERT INTO api_tokens VALUES ($id, $hash, $role, $owner, $label, $at, $by, "
                "NULL)", {"id": token_id, "hash": _hash(secret), "role": role,
                          "owner": owner_id, "label": label, "at": _now(), "by": actor})
    record(con, actor=actor, role=None, action="token create", target=token_id,
           detail={"role": role, "owner_id": owner_id, "label": label}, client=client)
    return TokenCreated(f"tnr_{token_id}_{secret}", token_id, role, owner_id)


def check_token(con, token: str | None) -> Token | None:
    """The live token ``token`` names, or None when it is malformed, unknown, revoked or
    its secret does not match."""
    match = _TOKEN.match((token or "").strip())
    if not match:
        return None
    token_id, secret = match.groups()
    rows = con.execute("SELECT secret_hash, role, owner_id, label FROM api_tokens "
                       "WHERE token_id = $id AND revoked_at IS NULL", {"id": token_id}
                       ).fetchall()
    if not rows or not hmac.compare_digest(rows[0][0], _hash(secret)):
        return None
    return Token(token_id, rows[0][1], rows[0][2], rows[0][3])


def list_tokens(con) -> TokenList:
    frame = con.execute("SELECT token_id, role, owner_id, label, created_at, created_by, "
                        "revoked_at FROM api_tokens ORDER BY created_at, token_id").df()
    return TokenList(frame)


def revoke_token(con, token_id: str, *, actor: str, client: str | None = None
                 ) -> TokenRevoked:
    """Revoke ``token_id`` (the id shown by ``tenure token list``, or the whole token)."""
    match = _TOKEN.match(token_id.strip())
    token_id = match.group(1) if match else token_id.strip()
    rows = con.execute("SELECT revoked_at FROM api_tokens WHERE token_id = $id",
                       {"id": token_id}).fetchall()
    if not rows:
        raise InputError(f"there is no token '{token_id}'; `tenure token list` shows the ids")
    revoked = rows[0][0] is None
    if revoked:
        con.execute("UPDATE api_tokens SET revoked_at = $at WHERE token_id = $id",
                    {"at": _now(), "id": token_id})
    record(con, actor=actor, role=None, action="token revoke", target=token_id,
           detail={"was_live": revoked}, client=client)
    return TokenRevoked(token_id, revoked)


def record(con, *, actor: str, role: str | None, action: str, target: str | None = None,
           detail: Any = None, client: str | None = None, outcome: str = "ok") -> None:
    """Add one entry to the audit log."""
    text = None if detail is None else json.dumps(jsonable(detail), ensure_ascii=False,
                                                   sort_keys=True)
    con.execute("INSERT INTO audit_log SELECT coalesce(max(audit_id), 0) + 1, $at, $actor, "
                "$role, $action, $target, $detail, $client, $outcome FROM audit_log",
                {"at": _now(), "actor": actor, "role": role, "action": action,
                 "target": target, "detail": text, "client": client, "outcome": outcome})


def audit_log(con, *, limit: int = 100, actor: str | None = None,
              action: str | None = None) -> AuditLog:
    """The latest ``limit`` entries, newest first, of one actor or action if given."""
    frame = con.execute(
        "SELECT audit_id, \"at\", actor, role, action, target, detail, client, outcome "
        "FROM audit_log WHERE ($actor IS NULL OR actor = $actor) "
        "AND ($action IS NULL OR action = $action) ORDER BY audit_id DESC LIMIT $limit",
        {"actor": actor, "action": action, "limit": int(limit)}).df()
    return AuditLog(frame)
