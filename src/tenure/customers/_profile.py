"""One customer, whole: who they are, what they bought and what is due, their value and
risk with its reasons, their tickets and SLA clocks, consents, contacts and outcomes,
owners, referrals and the reasons they gave for leaving.

>>> import tempfile, tenure
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/shop")
>>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
>>> one = profile(ws, "12")
>>> one.headline["orders"], len(one.tables["orders"])
(1, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from tenure.customers._tables import PARTS, current
from tenure.errors import NotFoundError
from tenure.results import Result, jsonable
from tenure.workspace._migrations import block_table

__all__ = ["CustomerProfile", "check_owner", "profile"]

# The figures a profile leads with, in order.
HEADLINE = ("customer_id", "name", "segment", "region", "tier", "owner_id", "state",
            "orders", "revenue", "first_order", "last_order", "p_alive",
            "expected_purchases", "clv", "churn_risk", "risk_band", "value_at_risk",
            "churn_reason_1", "churn_reason_2", "churn_reason_3", "referrals",
            "open_tickets", "sla_breaches")
CONTACT = ("phone", "email", "wechat_id")
# Each part's title as a screen shows it.
TITLES = {"orders": "Orders", "products": "Products owned and what is due",
          "tickets": "Tickets", "sla_clocks": "SLA clocks", "contacts": "Contacts and outcomes",
          "consents": "Consents", "memberships": "Memberships", "owners": "Owner history",
          "referrals": "Referrals", "churn_reasons": "Churn reasons",
          "actions": "Actions and outcomes"}
# The most rows of one part a profile carries (the latest first).
PART_ROWS = 200


@dataclass(frozen=True)
class CustomerProfile(Result):
    """A customer's card (``card``: every figure of the customer tables) and each part of
    their record (``tables``: orders, products, tickets, sla_clocks, contacts, consents,
    memberships, owners, referrals, churn_reasons; the latest :data:`PART_ROWS` rows)."""

    card: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.card])

    @property
    def headline(self) -> dict[str, Any]:
        return {k: self.card.get(k) for k in (*HEADLINE, *CONTACT)}

    def lines(self) -> list[str]:
        c = self.card
        said = [f"{c.get('name') or c['customer_id']} ({c['customer_id']}): "
                f"{(c.get('state') or 'no orders').replace('_', ' ')}, "
                f"{int(c.get('orders') or 0):,} orders"]
        if c.get("churn_risk") is not None:
            reasons = "; ".join(r for r in (c.get("churn_reason_1"), c.get("churn_reason_2"),
                                            c.get("churn_reason_3")) if r)
            said.append(f"Churn risk {c['churn_risk']:.0%} ({c.get('risk_band')}): {reasons}")
        return said

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return dict(self.tables)

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        facts = pd.DataFrame({"field": list(self.headline),
                              "value": [_shown(v) for v in self.headline.values()]})
        facts = facts[facts["value"] != ""]
        return [("Customer", facts), *((TITLES[name], table)
                                       for name, table in self.tables.items() if len(table))]

    def chart(self):
        from tenure.charts._customers import order_history

        orders = self.tables.get("orders")
        if orders is None or not len(orders):
            return None
        return order_history(orders, title=f"Orders of {self.card['customer_id']}")

    def to_dict(self) -> dict[str, Any]:
        return {**Result.to_dict(self), "card": jsonable(self.card)}

    def masked(self) -> CustomerProfile:
        """The profile as a viewer sees it: phone, e-mail and WeChat id masked."""
        from tenure.customers._masking import CONTACT_COLUMNS

        card = {k: CONTACT_COLUMNS[k](v) if k in CONTACT_COLUMNS and isinstance(v, str) else v
                for k, v in self.card.items()}
        return CustomerProfile(card, self.tables)


def _shown(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


def profile(ws, customer_id: str, *, owner: str | None = None, refresh: bool = True
            ) -> CustomerProfile:
    """The profile of ``customer_id``; with ``owner``, only if that owner looks after the
    customer now (otherwise it is as unknown as a customer that does not exist)."""
    card = _card(ws, customer_id, owner, refresh)
    con = ws.connection
    row = {k: _plain(v) for k, v in card.iloc[0].items()}
    tables = {}
    for part in PARTS:
        tables[part] = con.execute(
            f"SELECT * EXCLUDE (customer_id) FROM {block_table(f'customer_{part}')} "
            "WHERE customer_id = $id LIMIT $rows", {"id": str(customer_id), "rows": PART_ROWS}
        ).df()
    tables["actions"] = con.execute(ACTIONS, {"id": str(customer_id), "rows": PART_ROWS}).df()
    return CustomerProfile(row, tables)


def check_owner(ws, customer_id: str, owner: str, *, refresh: bool = True) -> None:
    """Raise :class:`~tenure.errors.NotFoundError` unless ``owner`` looks after
    ``customer_id`` now, in the same words as for a customer that does not exist."""
    _card(ws, customer_id, owner, refresh)


def _card(ws, customer_id: str, owner: str | None, refresh: bool) -> pd.DataFrame:
    table = current(ws, refresh=refresh)
    card = ws.connection.execute(f"SELECT * FROM {table} WHERE customer_id = $id",
                                 {"id": str(customer_id)}).df()
    if not len(card) or (owner is not None and card["owner_id"].iloc[0] != owner):
        raise NotFoundError(f"there is no customer '{customer_id}' here; search for one with "
                            "`tenure customers search`")
    return card


# The actions planned for a customer, with what came back: read from the action log as it
# is now (outcomes arrive all day). Held-out and withdrawn actions were never to be acted
# on, so a profile does not show them.
ACTIONS = """
    SELECT l.plan_date, l.playbook, l.channel, l.owner_id, l.offer, l.reason,
           l.expected_value, l.status,
           string_agg(o.event, ', ' ORDER BY o."at" NULLS LAST, o.event) AS outcomes,
           max(o."at") AS last_outcome_at
    FROM action_log l LEFT JOIN action_outcomes o USING (customer_id, playbook, plan_date)
    WHERE l.customer_id = $id AND l.status NOT IN ('held_out', 'withdrawn')
    GROUP BY ALL ORDER BY l.plan_date DESC, l.playbook LIMIT $rows"""


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value
