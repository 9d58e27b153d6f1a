"""What the playbooks read: the workspace as it stood before the plan date.

A :class:`PlanContext` hands the playbooks Ibis tables cut at the plan date (rows stamped
before it, later time stamps hidden: :func:`tenure.engine.as_of_rows`) and the shared
building blocks they would otherwise each compute again: every customer's purchase history
(:func:`tenure.engine.purchase_history`), the products they bought, their current owner and
their latest scores. Each block is computed once per plan, into a temporary table of the
engine, and only when a playbook asks for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.datatypes as idt
import ibis.expr.types as ir

from tenure.engine import as_of_rows, open_tables, purchase_history
from tenure.engine._history import cutoff
from tenure.workspace import Workspace
from tenure.workspace._migrations import CHURN_SCORE_COLUMNS, VALUE_SCORE_COLUMNS

__all__ = ["PlanContext", "customer_hash"]

@ibis.udf.scalar.builtin(name="hash")
def customer_hash(value: str) -> idt.uint64:
    """The engine's own 64-bit hash of a text (Ibis's ``hash()`` passes it through a signed
    integer, which a modulus then reads wrong)."""


# The trailing windows of the purchase history the playbooks read, in days.
WINDOWS = (30, 90, 365)


class PlanContext:
    """The tables as of ``date`` for the playbooks of one plan (see the module docstring).

    ``config`` is the checked ``[actions]`` section (:class:`~tenure.actions._config.
    ActionsConfig`).
    """

    def __init__(self, workspace: Workspace, date: dt.date, config: Any) -> None:
        self.workspace = workspace
        self.date = date
        self.config = config
        self.tables = open_tables(workspace, "orders")
        self._kept: dict[str, ir.Table | None] = {}
        self.notes: list[str] = []

    # -- the contract tables, cut at the date ------------------------------------------------
    @property
    def cutoff(self) -> ir.TimestampScalar:
        """The plan date as a timestamp: the first instant not yet known."""
        return cutoff(self.date)

    def before(self, name: str, needs: tuple[str, ...]) -> ir.Table | None:
        """Contract table ``name`` as it stood before the date, or None when it is empty."""
        table = self.tables.optional(name, needs)
        return None if table is None else as_of_rows(table, name, self.date)

    def orders(self) -> ir.Table:
        return self.before("orders", ("customer_id", "order_id", "ordered_at", "amount"))

    # -- shared blocks ------------------------------------------------------------------------
    def _once(self, name: str, build) -> ir.Table | None:
        if name not in self._kept:
            expr = build()
            self._kept[name] = None if expr is None else self.tables.keep(expr)
        return self._kept[name]

    def purchases(self) -> ir.Table | None:
        """Each customer's purchase history before the date (customer_id, first_day,
        last_day, purchase_days, gross, spend_Nd, purchases_Nd, ...)."""
        orders = self.orders()
        if orders is None:
            return None
        return self._once("purchases", lambda: purchase_history(orders, self.date, WINDOWS))

    def owned(self) -> ir.Table | None:
        """Every product each customer bought before the date, once per customer and
        product: customer_id, sku, last_day (the latest day they bought it), quantity and
        spent (units bought and paid on the latest line of it; a line without a quantity
        counts one), from order lines of orders with a positive amount. None without order
        lines."""
        def build():
            orders = self.orders()
            lines = self.before("order_lines", ("order_id", "sku", "quantity", "unit_price"))
            if orders is None or lines is None:
                return None
            bought = orders.filter(orders.amount > 0).select(
                "order_id", "customer_id", day=orders.ordered_at.date())
            joined = lines.select("order_id", "sku", "quantity", "unit_price").join(
                bought, "order_id")
            units = ibis.greatest(joined.quantity.fill_null(1), 1)
            # One pass: the latest line of each product (two lines of one product on one
            # day are rare enough not to pay a second aggregation for).
            return joined.group_by("customer_id", "sku").aggregate(
                last_day=joined.day.max(), quantity=units.argmax(joined.day),
                spent=(units * joined.unit_price.fill_null(0.0)).argmax(joined.day))
        return self._once("owned", build)

    def prices(self) -> ir.Table | None:
        """What each product sells for: sku and price, the mean paid per unit on the
        customers' latest purchases of it."""
        owned = self.owned()
        if owned is None:
            return None
        return self._once("prices", lambda: owned.group_by("sku").aggregate(
            price=owned.spent.sum() / owned.quantity.sum().cast("float64")))

    def sample(self, table: ir.Table, size: int) -> ir.Table:
        """The rows of ``table`` of at most about ``size`` of the customers who bought,
        drawn by a stable hash of their ids (all of them when there are fewer)."""
        customers = self.tables.scalar(self.purchases().count())
        if customers <= size:
            return table
        share = size / customers
        return table.filter(customer_hash(table.customer_id) % 1_000_000 < share * 1_000_000)

    def products(self, needs: tuple[str, ...]) -> ir.Table | None:
        return self.tables.optional("products", ("sku", *needs))

    def owners(self) -> ir.Table | None:
        """Each customer's current owner: customer_id, owner_id and since (the start of
        the assignment in force at the date; the latest one when several overlap)."""
        def build():
            owners = self.before("owners", ("customer_id", "owner_id", "from_at", "to_at"))
            if owners is None:
                return None
            live = owners.filter(owners.to_at.isnull())
            latest = ibis.row_number().over(group_by="customer_id",
                                            order_by=ibis.desc("from_at"))
            ranked = live.mutate(rank=latest)
            return ranked.filter(ranked.rank == 0).select(
                "customer_id", "owner_id", since=ranked.from_at)
        return self._once("owners", build)

    def scores(self) -> ir.Table | None:
        """Each customer's latest scores before or on the date: the value model's
        (p_alive, clv, expected_purchases, expected_spend, horizon_days) and the churn
        model's (churn_risk, churn_reason_1), each from its own latest as-of date; None
        without any."""
        return self._once("scores", self._scores)

    def _scores(self) -> ir.Table | None:
        con = self.workspace.connection
        dates = {}
        for column in ("p_alive", "churn_risk"):
            found = con.execute(f"SELECT max(as_of) FROM scores WHERE {column} IS NOT NULL "
                                "AND as_of <= $d", {"d": self.date}).fetchall()[0][0]
            dates[column] = found
        self.scores_as_of = dates
        if dates["p_alive"] is None and dates["churn_risk"] is None:
            return None
        scores = self.workspace.ibis.table("scores")
        value_columns = [c for c in VALUE_SCORE_COLUMNS if c not in ("model", "model_version")]
        churn_columns = ["churn_risk", "churn_reason_1"]
        parts = []
        for column, wanted in (("p_alive", value_columns), ("churn_risk", churn_columns)):
            if dates[column] is None:
                continue
            rows = scores.filter(scores.as_of == dates[column])
            parts.append(rows.select("customer_id", *wanted))
        joined = parts[0]
        for part in parts[1:]:
            joined = joined.outer_join(part, "customer_id").select(
                customer_id=ibis.coalesce(joined.customer_id, part.customer_id),
                **{c: joined[c] for c in joined.columns if c != "customer_id"},
                **{c: part[c] for c in part.columns if c != "customer_id"})
        for column, kind in {**VALUE_SCORE_COLUMNS, **CHURN_SCORE_COLUMNS}.items():
            if column not in joined.columns and column in (*value_columns, *churn_columns):
                joined = joined.mutate(**{column: ibis.null(
                    "float64" if kind == "DOUBLE" else
                    "int32" if kind == "INTEGER" else "string")})
        return joined

    def scored(self, column: str) -> dt.date | None:
        """The latest date before or on the plan date on which ``column`` of the scores
        (``p_alive`` for the value model, ``churn_risk`` for churn) was written."""
        if self.scores() is None:
            return None
        return self.scores_as_of.get(column)

    def value(self) -> ir.Table | None:
        """Each customer's value for the playbooks that weigh one: customer_id, clv (the
        value model's, or the last year's spend without scores), churn_risk (None without
        churn scores), next_year_spend (the value model's expected spend over the next
        365 days, or the last year's spend) and spend_per_purchase."""
        def build():
            purchases = self.purchases()
            if purchases is None:
                return None
            scores = self.scores()
            yearly = purchases.spend_365d.cast("float64")
            per_purchase = purchases.gross / ibis.greatest(purchases.purchase_days, 1)
            if scores is None:
                return purchases.select("customer_id", clv=yearly,
                                        churn_risk=ibis.null("float64"),
                                        churn_reason=ibis.null("string"),
                                        next_year_spend=yearly,
                                        spend_per_purchase=per_purchase)
            joined = purchases.left_join(scores, "customer_id")
            has_value = joined.p_alive.notnull()
            expected_year = (joined.expected_purchases * joined.expected_spend * 365.0
                             / joined.horizon_days.cast("float64"))
            return joined.select(
                customer_id=purchases.customer_id,
                clv=ibis.ifelse(has_value, joined.clv, yearly),
                churn_risk=joined.churn_risk,
                churn_reason=joined.churn_reason_1,
                next_year_spend=ibis.ifelse(has_value & expected_year.notnull(),
                                            expected_year, yearly),
                spend_per_purchase=ibis.ifelse(has_value & joined.expected_spend.notnull(),
                                               joined.expected_spend, per_purchase))
        return self._once("value", build)

    def insert(self, table: str, expr: ir.Table) -> None:
        """Append the rows of ``expr`` to the engine's table ``table`` (through the Ibis
        backend, which also hands the engine any in-memory tables ``expr`` reads)."""
        kept = self.tables.keep(expr)
        name = kept.get_name()
        self.workspace.connection.execute(f"INSERT INTO {table} SELECT * FROM {name}")
        self.tables.backend.drop_table(name, force=True)

    def days_before(self, day: ir.DateValue) -> ir.IntegerValue:
        """Whole days from ``day`` to the plan date."""
        return ibis.date(self.date).delta(day, unit="day")
