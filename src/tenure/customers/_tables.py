"""The customer tables: one card per customer, and each customer's records kept together.

A list of customers (a search, the at-risk list) reads one row per customer with what a
person needs to judge them: who they are, their owner, tier and lifecycle state, their
value and churn risk with its reasons. A profile reads every record of one customer.
Computing either from the contract tables at each request would read every order of every
customer, so :func:`prepare` stores them once per version of the data they come from:

- ``analytics_customer_cards``: the cards, sorted by customer id;
- ``analytics_customer_<part>`` for each part of a profile (:data:`PARTS`): that part's
  rows sorted by customer id, so that the engine skips every block of rows holding other
  customers (its zone maps) and one customer's rows are found in a millisecond or two;
- ``analytics_customer_search``: every word a customer is searched by (id, name, phone,
  the phone read backwards for its last digits, e-mail, WeChat id), lower-cased and
  sorted, so that a search reads the few blocks holding words that start with what was
  typed;
- ``analytics_customer_at_risk``: the cards of the customers in the high and medium risk
  bands, ranked by value at risk, so that each page of the at-risk list is one block.

The version is cheap to read (the ingest log, the scores' dates, the saved models, the SLA
evaluation and the settings they depend on), so every read checks it and a stale table is
rebuilt first unless the caller keeps the tables current itself (the service does, after
each of its writes).

>>> import tempfile, tenure
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/shop")
>>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
>>> int(prepare(ws).frame["rows"].iloc[0])    # one card per customer
2357
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from tenure._sql import ident
from tenure.contract import TABLES
from tenure.errors import InputError, WorkspaceError
from tenure.progress import Progress, steps_of
from tenure.results import Result, counted
from tenure.workspace import Workspace
from tenure.workspace._migrations import block_table

__all__ = ["CARDS", "PARTS", "CustomerTables", "Part", "current", "prepare", "reading",
           "stored_version"]

CATALOGUE = "analytics_blocks"
# Bumped when the columns or their meaning change, so stored tables are rebuilt.
RECIPE = 4
CARDS = block_table("customer_cards")
_STATES = "_tenure_customer_states"
# The settings the cards are judged by.
_SETTINGS = ("lifecycle.", "customers.")


@dataclass(frozen=True)
class Part:
    """One part of a profile: the query of its rows (sorted by customer first, then by
    ``order``), and the columns a profile shows of it."""

    sql: str
    columns: tuple[str, ...]
    order: str


def _copy(table: str, order: str) -> Part:
    names = TABLES[table].column_names
    return Part(f"SELECT {', '.join(ident(c) for c in names)} FROM {ident(table)} "
                f"ORDER BY customer_id, {order}",
                tuple(c for c in names if c != "customer_id"), order)


# Each part of a profile.
PARTS: dict[str, Part] = {
    "orders": _copy("orders", "ordered_at DESC, order_id"),
    "products": Part("""
        WITH bought AS (
            SELECT o.customer_id, l.sku, min(o.ordered_at) AS first_bought,
                   max(o.ordered_at) AS last_bought, sum(coalesce(l.quantity, 1)) AS units
            FROM order_lines l JOIN orders o USING (order_id)
            GROUP BY ALL HAVING sum(coalesce(l.quantity, 1)) > 0)
        SELECT b.customer_id, b.sku, p.name AS product, p.category, b.first_bought,
               b.last_bought,
               b.units,
               b.last_bought + to_days(CAST(p.maintenance_interval_days AS INTEGER)) AS service_due,
               b.last_bought + to_days(CAST(p.consumable_life_days AS INTEGER)) AS refill_due,
               b.first_bought + to_days(CAST(p.lifespan_days AS INTEGER)) AS replacement_due,
               p.successor_sku
        FROM bought b LEFT JOIN products p USING (sku)
        ORDER BY b.customer_id, b.last_bought DESC, b.sku""",
        ("sku", "product", "category", "first_bought", "last_bought", "units", "service_due",
         "refill_due", "replacement_due", "successor_sku"), "last_bought DESC, sku"),
    "tickets": _copy("tickets", "opened_at DESC, ticket_id"),
    "sla_clocks": Part("""
        SELECT customer_id, ticket_id, policy, priority, metric, opened_at, target_minutes,
               elapsed_minutes, remaining_minutes, due_at, breached, running, at_risk
        FROM sla_results WHERE customer_id IS NOT NULL
        ORDER BY customer_id, opened_at DESC, ticket_id, metric""",
        ("ticket_id", "policy", "priority", "metric", "opened_at", "target_minutes",
         "elapsed_minutes", "remaining_minutes", "due_at", "breached", "running", "at_risk"),
        "opened_at DESC, ticket_id, metric"),
    "contacts": _copy("contacts", "sent_at DESC"),
    "consents": _copy("consents", "\"at\" DESC"),
    "memberships": _copy("memberships", "started_at DESC"),
    "owners": _copy("owners", "from_at DESC"),
    "referrals": Part("""
        SELECT referrer_id AS customer_id, customer_id AS referred_id, name, first_seen
        FROM customers WHERE referrer_id IS NOT NULL ORDER BY referrer_id, first_seen""",
        ("referred_id", "name", "first_seen"), "first_seen"),
    "churn_reasons": _copy("churn_reasons", "\"at\" DESC"),
}

# Built from the cards, after them.
DERIVED: dict[str, str] = {
    "search": f"""
        SELECT DISTINCT word, customer_id FROM (
            SELECT lower(customer_id) AS word, customer_id FROM {CARDS}
            UNION ALL SELECT lower(name), customer_id FROM {CARDS} WHERE name IS NOT NULL
            UNION ALL SELECT phone, customer_id FROM {CARDS} WHERE phone IS NOT NULL
            UNION ALL SELECT '~' || reverse(phone), customer_id FROM {CARDS}
                      WHERE phone IS NOT NULL
            UNION ALL SELECT lower(email), customer_id FROM {CARDS} WHERE email IS NOT NULL
            UNION ALL SELECT lower(wechat_id), customer_id FROM {CARDS}
                      WHERE wechat_id IS NOT NULL)
        ORDER BY word, customer_id""",
    "at_risk": f"""
        SELECT row_number() OVER (ORDER BY value_at_risk DESC NULLS LAST, customer_id)
               AS risk_rank, *
        FROM {CARDS} WHERE risk_band IN ('high', 'medium')
        ORDER BY risk_rank""",
}

_CARDS = """
WITH ids AS (
    SELECT customer_id FROM customers UNION SELECT customer_id FROM orders),
bought AS (
    SELECT customer_id, count(*) FILTER (WHERE amount >= 0) AS orders,
           sum(amount) AS revenue, min(ordered_at) AS first_order,
           max(ordered_at) AS last_order
    FROM orders GROUP BY customer_id),
value AS (
    SELECT customer_id, as_of AS value_as_of, p_alive, expected_purchases, clv
    FROM scores WHERE p_alive IS NOT NULL
      AND as_of = (SELECT max(as_of) FROM scores WHERE p_alive IS NOT NULL)),
risk AS (
    SELECT customer_id, as_of AS risk_as_of, churn_risk, churn_reason_1, churn_reason_2,
           churn_reason_3
    FROM scores WHERE churn_risk IS NOT NULL
      AND as_of = (SELECT max(as_of) FROM scores WHERE churn_risk IS NOT NULL)),
owner AS (
    SELECT customer_id, arg_max(owner_id, from_at) AS owner_id
    FROM owners WHERE to_at IS NULL GROUP BY customer_id),
tier AS (
    SELECT customer_id, arg_max(tier, started_at) AS tier
    FROM memberships WHERE ended_at IS NULL GROUP BY customer_id),
referred AS (
    SELECT referrer_id AS customer_id, count(*) AS referrals
    FROM customers WHERE referrer_id IS NOT NULL GROUP BY referrer_id),
support AS (
    SELECT customer_id, count(*) FILTER (WHERE resolved_at IS NULL) AS open_tickets
    FROM tickets GROUP BY customer_id),
clocks AS (
    SELECT customer_id, count(*) FILTER (WHERE breached) AS sla_breaches,
           count(*) FILTER (WHERE at_risk) AS sla_at_risk
    FROM sla_results GROUP BY customer_id)
SELECT ids.customer_id, c.name, c.phone, c.email, c.wechat_id, c.region, c.segment,
       c.acquisition_channel, c.referrer_id, c.first_seen, owner.owner_id, tier.tier,
       st.state, st.days_since, bought.orders, bought.revenue, bought.first_order,
       bought.last_order, value.p_alive, value.expected_purchases, value.clv,
       risk.churn_risk,
       CASE WHEN risk.churn_risk >= $high THEN 'high'
            WHEN risk.churn_risk >= $medium THEN 'medium'
            WHEN risk.churn_risk IS NOT NULL THEN 'low' END AS risk_band,
       risk.churn_risk * value.clv AS value_at_risk,
       risk.churn_reason_1, risk.churn_reason_2, risk.churn_reason_3,
       coalesce(referred.referrals, 0) AS referrals,
       coalesce(support.open_tickets, 0) AS open_tickets,
       coalesce(clocks.sla_breaches, 0) AS sla_breaches,
       coalesce(clocks.sla_at_risk, 0) AS sla_at_risk,
       value.value_as_of, risk.risk_as_of, $states_as_of::DATE AS state_as_of
FROM ids
LEFT JOIN customers c USING (customer_id)
LEFT JOIN bought USING (customer_id)
LEFT JOIN value USING (customer_id)
LEFT JOIN risk USING (customer_id)
LEFT JOIN owner USING (customer_id)
LEFT JOIN tier USING (customer_id)
LEFT JOIN referred USING (customer_id)
LEFT JOIN support USING (customer_id)
LEFT JOIN clocks USING (customer_id)
LEFT JOIN {states} st USING (customer_id)
ORDER BY ids.customer_id
"""


@dataclass(frozen=True)
class CustomerTables(Result):
    """The customer tables of a workspace: ``frame`` holds table, rows, rebuilt (False when
    it was current already) and seconds."""

    frame: pd.DataFrame

    @property
    def headline(self) -> dict[str, Any]:
        return {"tables": len(self.frame), "rebuilt": int(self.frame["rebuilt"].sum()),
                "customers": int(self.frame["rows"].iloc[0]) if len(self.frame) else 0,
                "seconds": float(self.frame["seconds"].sum())}

    def lines(self) -> list[str]:
        if not self.frame["rebuilt"].any():
            return ["The customer tables are current."]
        return [f"Built the customer tables ({counted(self.headline['customers'], 'customer')}) in "
                f"{self.headline['seconds']:.1f} s"]


def stored_version(ws: Workspace) -> str:
    """What changes whenever the cards would: the data, the scores, the models, the SLA
    evaluation and the settings the cards are judged by."""
    con = ws.connection
    parts = [f"recipe={RECIPE}"]
    for sql in ("SELECT count(*), max(ingest_id) FROM ingest_log",
                "SELECT count(*), max(as_of) FROM scores",
                "SELECT count(*), max(fitted_at) FROM value_models",
                "SELECT count(*), max(as_of) FROM sla_results"):
        parts.append(":".join(map(str, con.execute(sql).fetchall()[0])))
    churn = ws.path / "models" / "churn.json"
    parts.append(str(churn.stat().st_mtime_ns) if churn.exists() else "-")
    settings = sorted((k, repr(ws.config[k])) for k in ws.config
                      if k.startswith(_SETTINGS))
    parts.append(hashlib.sha1(repr(settings).encode()).hexdigest()[:12])
    return ";".join(parts)


def _built_version(ws: Workspace) -> str | None:
    rows = ws.connection.execute(f"SELECT version FROM {CATALOGUE} WHERE name = $n",
                                 {"n": "customer_cards"}).fetchall()
    if not rows:
        return None
    exists = ws.connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = $t AND database_name = "
        "current_database() AND NOT temporary", {"t": CARDS}).fetchall()[0][0]
    return rows[0][0] if exists else None


def current(ws: Workspace, *, refresh: bool = True) -> str:
    """The cards' table name; with ``refresh`` the tables are rebuilt first when the data
    changed since they were built, without it they are read as they are (by a caller that
    keeps them current itself, and reads them through :func:`reading`)."""
    if not refresh:
        return CARDS
    built = _built_version(ws)
    if built is None or built != stored_version(ws):
        prepare(ws)
    return CARDS


@contextlib.contextmanager
def reading(ws: Workspace) -> Iterator[Any]:
    """The connection to read the customer tables with: a read of tables never built says
    how to build them, in one sentence."""
    try:
        yield ws.connection
    except duckdb.CatalogException:
        if _built_version(ws) is not None:
            raise
        raise WorkspaceError(f"the customer tables of {ws.path} are not built yet; "
                             "build them with `tenure customers prepare`") from None


def prepare(ws: Workspace, *, force: bool = False, progress: Progress = None
            ) -> CustomerTables:
    """Build the customer tables of ``ws`` where the data changed since (all of them with
    ``force``); ``progress`` hears each table's name."""
    if not isinstance(ws, Workspace):
        raise InputError(f"the customer tables are kept in a workspace, not in a "
                         f"{type(ws).__name__}; open one with tenure.Workspace(path)")
    version = stored_version(ws)
    names = ["customer_cards", *(f"customer_{p}" for p in (*DERIVED, *PARTS))]
    if not force and _built_version(ws) == version:
        con = ws.connection
        rows = [{"table": n, "rows": con.execute(
            f"SELECT count(*) FROM {block_table(n)}").fetchall()[0][0], "rebuilt": False,
            "seconds": 0.0} for n in names]
        return CustomerTables(pd.DataFrame(rows))
    step = steps_of(progress, len(names))
    rows = []
    step("customer_cards")
    started = time.perf_counter()
    states = _states(ws)
    con = ws.connection
    con.register(_STATES, states)
    try:
        cards_sql = _CARDS.format(states=_STATES)
        params = {"high": ws.config["customers.high_risk"],
                  "medium": ws.config["customers.medium_risk"],
                  "states_as_of": states.attrs.get("as_of")}
        with ws.transaction():
            con.execute(f"CREATE OR REPLACE TABLE {CARDS} AS {cards_sql}", params)
            _index(con, CARDS)
        rows.append(_row(con, "customer_cards", started))
    finally:
        con.unregister(_STATES)
    for part, sql in {**DERIVED, **{k: v.sql for k, v in PARTS.items()}}.items():
        name = f"customer_{part}"
        step(name)
        started = time.perf_counter()
        with ws.transaction():
            con.execute(f"CREATE OR REPLACE TABLE {block_table(name)} AS {sql}")
            if part in PARTS:
                _index(con, block_table(name))
        rows.append(_row(con, name, started))
    with ws.transaction():
        con.execute(f"INSERT OR REPLACE INTO {CATALOGUE} VALUES ('customer_cards', $v)",
                    {"v": version})
    return CustomerTables(pd.DataFrame(rows))


def _index(con, table: str) -> None:
    """An index on the customer id: one customer's rows (or a page's cards) are then looked
    up rather than searched for in a block of rows."""
    con.execute(f"CREATE INDEX {table}_customer ON {table} (customer_id)")


def _row(con, name: str, started: float) -> dict[str, Any]:
    return {"table": name,
            "rows": con.execute(f"SELECT count(*) FROM {block_table(name)}").fetchall()[0][0],
            "rebuilt": True, "seconds": time.perf_counter() - started}


def _states(ws: Workspace) -> pd.DataFrame:
    """Each customer's lifecycle state now (customer_id, state, days_since), judged as the
    lifecycle analysis judges the last period; empty without orders."""
    from tenure.analytics import customer_states

    empty = pd.DataFrame({"customer_id": pd.Series([], dtype="string"),
                          "state": pd.Series([], dtype="string"),
                          "days_since": pd.Series([], dtype="float64")})
    if not ws.connection.execute("SELECT count(*) FROM orders").fetchall()[0][0]:
        return empty
    result = customer_states(ws)
    frame = result.frame[["customer_id", "state", "days_since"]].copy()
    frame.attrs["as_of"] = result.as_of
    return frame
