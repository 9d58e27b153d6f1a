"""Tokens of the service and its audit log: ``tenure token create|list|revoke`` and
``tenure audit``. Made here, these are logged as made by the local user; the service logs
its own writes under the token that made them."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from tenure.capabilities._spec import Capability, option

__all__ = ["ACCESS", "local_actor"]


def local_actor() -> str:
    """Who runs a command on this machine, as the audit log names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


@dataclass(frozen=True)
class CreateOptions:
    role: str = option(help="viewer (aggregates, contacts masked), operator (customer "
                            "lists and contacts) or admin (ingest, jobs and tokens).",
                       choices=("viewer", "operator", "admin"))
    owner: str | None = option(None, help="Limit the token to the customers of this owner "
                                          "(owner_id in the owners table).")
    label: str | None = option(None, help="A note on whose token it is.")


@dataclass(frozen=True)
class RevokeOptions:
    token_id: str = option(help="The token's id, as `tenure token list` shows it.")


@dataclass(frozen=True)
class AuditOptions:
    limit: int = option(100, help="At most this many entries, newest first.", low=1)
    actor: str | None = option(None, help="Only this actor (a token id, or cli:USER).")
    action: str | None = option(None, help="Only this action (ingest, token create, ...).")


@dataclass(frozen=True)
class NoOptions:
    pass


def _create(ws, o: CreateOptions, progress):
    from tenure.workspace._access import create_token

    with ws.transaction() as con:
        return create_token(con, o.role, owner_id=o.owner, label=o.label,
                            actor=local_actor(), client="local")


def _list(ws, o: NoOptions, progress):
    from tenure.workspace._access import list_tokens

    return list_tokens(ws.connection)


def _revoke(ws, o: RevokeOptions, progress):
    from tenure.workspace._access import revoke_token

    with ws.transaction() as con:
        return revoke_token(con, o.token_id, actor=local_actor(), client="local")


def _audit(ws, o: AuditOptions, progress):
    from tenure.workspace._access import audit_log

    return audit_log(ws.connection, limit=o.limit, actor=o.actor, action=o.action)


ACCESS: tuple[Capability, ...] = (
    Capability("token create", "Make a token for the service; its secret is shown once.",
               CreateOptions, _create, "tenure.workspace._access:TokenCreated",
               "tenure token create --role operator --owner rep-07", writes=True),
    Capability("token list", "List the service's tokens (never their secrets).", NoOptions,
               _list, "tenure.workspace._access:TokenList", "tenure token list"),
    Capability("token revoke", "Revoke a token at once.", RevokeOptions, _revoke,
               "tenure.workspace._access:TokenRevoked", "tenure token revoke 3f9a1c2b7d4e",
               writes=True),
    Capability("audit log", "Every write through the service and every token change: who, "
               "what, when, from where.", AuditOptions, _audit,
               "tenure.workspace._access:AuditLog", "tenure audit log --limit 20"),
)
