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
from functools import cached_property
from typing import Any

import pandas as pd

from tenure._sql import ident
from tenure.customers._tables import PARTS, current, reading
from tenure.errors import NotFoundError
from tenure.results import Result, counted, jsonable
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
class Rows:
    """One part of a profile as the engine gave it: its columns and its rows."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Rows:
        return cls(tuple(map(str, frame.columns)), list(frame.itertuples(index=False,
                                                                          name=None)))


@dataclass(frozen=True)
class CustomerProfile(Result):
    """A customer's card (``card``: every figure of the customer tables) and each part of
    their record (``parts``, and ``tables`` as frames: orders, products, tickets,
    sla_clocks, contacts, consents, memberships, owners, referrals, churn_reasons,
    actions; the latest :data:`PART_ROWS` rows).

    A profile is read at every request of its page and its API route, most often as JSON:
    the parts are kept as the engine's rows, and become frames only when asked for."""

    card: dict[str, Any]
    parts: dict[str, Rows]

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: pd.DataFrame(part.rows, columns=list(part.columns))
                for name, part in self.parts.items()}

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
                f"{counted(int(c.get('orders') or 0), 'order')}"]
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
        return [("Customer", facts), *((TITLES[name], self.tables[name])
                                       for name, part in self.parts.items() if part.rows)]

    def chart(self):
        from tenure.charts._customers import order_history

        orders = self.tables.get("orders")
        if orders is None or not len(orders):
            return None
        return order_history(orders, title=f"Orders of {self.card['customer_id']}")

    def vega_lite(self) -> dict[str, Any] | None:
        from tenure.charts._customers import order_history_spec

        orders = self.parts.get("orders")
        if orders is None or not orders.rows:
            return None
        return order_history_spec(orders.records(),
                                  title=f"Orders of {self.card['customer_id']}")

    def to_dict(self) -> dict[str, Any]:
        card = jsonable(self.card)
        return {"kind": type(self).__name__, "headline": jsonable(self.headline),
                "lines": self.lines(), "frame": [card],
                "tables": {name: [dict(zip(part.columns, map(jsonable, row), strict=True))
                                  for row in part.rows]
                           for name, part in self.parts.items()},
                "card": card}

    def masked(self) -> CustomerProfile:
        """The profile as a viewer sees it: phone, e-mail and WeChat id masked, on the card
        and in every part."""
        from tenure.customers._masking import CONTACT_COLUMNS

        def hidden(name: str, value: Any) -> Any:
            masking = CONTACT_COLUMNS.get(name)
            return masking(value) if masking is not None and isinstance(value, str) else value

        card = {k: hidden(k, v) for k, v in self.card.items()}
        parts = {name: Rows(part.columns, [tuple(hidden(c, v) for c, v in zip(
                     part.columns, row, strict=True)) for row in part.rows])
                 for name, part in self.parts.items()}
        return CustomerProfile(card, parts)


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
    table = current(ws, refresh=refresh)
    params = {"id": str(customer_id), "rows": PART_ROWS}
    with reading(ws) as con:
        found = con.execute(f"SELECT * FROM {table} WHERE customer_id = $id",
                            {"id": params["id"]})
        names = [d[0] for d in found.description]
        rows = found.fetchall()
        if not rows or (owner is not None and rows[0][names.index("owner_id")] != owner):
            raise NotFoundError(f"there is no customer '{customer_id}' here; search for one "
                                "with `tenure customers search`")
        # Every part in one query: each is a few rows found through its index, and one
        # round trip costs less than eleven.
        found = con.execute(_PARTS_SQL, params)
        index = {d[0]: k for k, d in enumerate(found.description)}
        gathered: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _COLUMNS}
        for row in found.fetchall():
            gathered[row[0]].append(row)
    parts = {name: Rows(columns, [tuple(row[index[c]] for c in columns)
                                  for row in gathered[name]])
             for name, columns in _COLUMNS.items()}
    return CustomerProfile(dict(zip(names, rows[0], strict=True)), parts)


def check_owner(ws, customer_id: str, owner: str, *, refresh: bool = True) -> None:
    """Raise :class:`~tenure.errors.NotFoundError` unless ``owner`` looks after
    ``customer_id`` now, in the same words as for a customer that does not exist."""
    table = current(ws, refresh=refresh)
    with reading(ws) as con:
        found = con.execute(f"SELECT owner_id FROM {table} WHERE customer_id = $id",
                            {"id": str(customer_id)}).fetchall()
    if not found or found[0][0] != owner:
        raise NotFoundError(f"there is no customer '{customer_id}' here; search for one with "
                            "`tenure customers search`")


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
ACTION_COLUMNS = ("plan_date", "playbook", "channel", "owner_id", "offer", "reason",
                  "expected_value", "status", "outcomes", "last_outcome_at")
# The columns of each part of a profile, in the order it shows them.
_COLUMNS = {**{name: part.columns for name, part in PARTS.items()}, "actions": ACTION_COLUMNS}
# Each part's rows of one customer, latest first, the parts' columns side by side by name.
# A part's table is sorted by customer and then as the part is shown, and the index finds
# a customer's rows in the table's order: the first rows are the latest. (Sorting them
# again in the query would cost more to plan than the rest of the profile.)
_PARTS_SQL = " UNION ALL BY NAME ".join([
    *(f"(SELECT '{name}' AS _part, {', '.join(ident(c) for c in part.columns)} "
      f"FROM {block_table(f'customer_{name}')} WHERE customer_id = $id LIMIT $rows)"
      for name, part in PARTS.items()),
    f"(SELECT 'actions' AS _part, * FROM ({ACTIONS}))"])
