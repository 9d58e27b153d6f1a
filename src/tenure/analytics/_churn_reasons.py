"""Churn reasons: why customers left, on whose side, and how much value each reason took.

Reasons come from the ``churn_reasons`` table, recorded between ``start`` and ``end``. A
reason's side is the recorded one, or else the side its code is listed under in
``churn_reasons.customer_side`` / ``churn_reasons.product_side`` (unknown otherwise). The
value a customer took is their net revenue before their first reason in the window; a
customer with several reasons splits it evenly between them, so the value shares add up to
one. Counts are distinct customers.

>>> import pandas as pd
>>> from tenure.analytics import churn_reasons
>>> reasons = pd.DataFrame({"customer_id": ["a", "b"], "code": ["moved", "bugs"],
...                         "at": pd.to_datetime(["2024-01-05", "2024-02-01"])})
>>> churn_reasons(reasons).frame[["code", "side", "customers"]].values.tolist()
[['bugs', 'product', 1], ['moved', 'customer', 1]]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from tenure.analytics._common import (
    GROUP,
    Result,
    check_window,
    customer_groups,
    name_group,
    observation_end,
    safe_ratio,
    until,
    with_group,
)
from tenure.charts import _analytics as _charts
from tenure.engine._periods import Period, index, starts
from tenure.engine._tables import Tables, open_tables

__all__ = ["ChurnReasons", "churn_reasons"]


@dataclass(frozen=True)
class ChurnReasons(Result):
    """Churn reasons by code and side.

    ``frame``: [by], code, side, customers, share (of the customers with a reason), value,
    value_share. ``sides``: [by], side, customers, share, value, value_share. ``trend``:
    period, [by], code, side, customers. ``value`` is NaN without orders.
    """

    frame: pd.DataFrame
    sides: pd.DataFrame
    trend: pd.DataFrame
    customers: int
    period: Period
    by: str | None
    as_of: dt.date

    def chart(self):
        return _charts.trend(self.trend, "customers", "code",
                             title=f"Churn reasons recorded per {self.period}")

    def value_chart(self):
        return _charts.bars(self.frame, "value_share", "code", color="side",
                            title="Share of churned value by reason", x_format="%")

    @property
    def headline(self) -> dict[str, Any]:
        sides = self.sides.groupby("side")["customers"].sum()
        return {"as_of": self.as_of, "customers": self.customers,
                **{f"{side}_side": int(n) for side, n in sides.items()}}

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"sides": self.sides, "trend": self.trend}

    def lines(self) -> list[str]:
        sides = self.sides.groupby("side")[["customers", "value"]].sum()
        total = sides["value"].sum()
        parts = [f"{s}-side {int(r['customers']):,}" + (
            f" ({r['value'] / total:.0%} of churned value)" if total else "")
            for s, r in sides.iterrows()]
        lines = [f"{self.customers:,} churned customers with a reason: " + ", ".join(parts)]
        top = self.frame.groupby(["code", "side"], as_index=False)[["customers", "value"]].sum()
        if len(top):
            best = top.sort_values(["value", "customers"], ascending=False).iloc[0]
            share = best["value"] / top["value"].sum() if top["value"].sum() else float("nan")
            lines.append(f"Costliest reason: {best['code']} ({best['side']}), "
                         f"{int(best['customers']):,} customers, {share:.0%} of churned value")
        return lines

    def view(self) -> pd.DataFrame:
        table = self.frame.copy()
        for column in ("share", "value_share"):
            table[column] = table[column].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        return table


def churn_reasons(
    data: Any,
    *,
    period: Period = "month",
    by: str | None = None,
    start: Any = None,
    end: Any = None,
    timezone: str | None = None,
) -> ChurnReasons:
    """Counts, trends and churned value of the reasons recorded between ``start`` and
    ``end``, by code and side. ``data`` is a Workspace, a churn_reasons table or a mapping
    of tables (orders add the value)."""
    window = check_window(period, by, start, end)
    tables = open_tables(data, "churn_reasons", timezone=timezone)
    columns = ["customer_id", "at", "code"]
    if tables.has_column("churn_reasons", "side"):
        columns.append("side")
    reasons = tables.table("churn_reasons", tuple(columns), why="the churn-reason analysis")
    as_of = observation_end(tables, reasons, "at", window)
    rows = until(reasons, "at", as_of)
    if window.start is not None:
        rows = rows.filter(rows["at"] >= ibis.timestamp(window.start))
    rows = rows.mutate(side=_side(tables, rows))
    groups = customer_groups(tables, window.by, as_of,
                             primary=tables.given.get("churn_reasons"), time_column="at")
    rows = with_group(rows, groups, window.by)
    # Read by the codes, the people and the trend: computed once.
    rows = _with_value(tables, rows, as_of)
    rows = tables.keep(rows.select("customer_id", "at", "code", "side", GROUP, "share_value"))
    raw = tables.run(_code_query(rows))
    people = tables.run(rows.group_by(GROUP).agg(people=rows.customer_id.nunique()))
    trend = tables.run(_trend_query(rows, window.period))
    frame, sides, total = _shape(raw, people)
    trend["period"] = starts(trend["number"], window.period)
    trend = trend.drop(columns="number").sort_values(["period", GROUP, "code"])
    trend = trend[["period", GROUP, "code", "side", "customers"]].reset_index(drop=True)
    return ChurnReasons(name_group(frame, window.by), name_group(sides, window.by),
                        name_group(trend, window.by), total, window.period, window.by, as_of)


def _side(tables: Tables, rows: ir.Table) -> ir.StringValue:
    code = rows.code.lower()
    customer = [c.lower() for c in tables.config["churn_reasons.customer_side"]]
    product = [c.lower() for c in tables.config["churn_reasons.product_side"]]
    listed = ibis.cases((code.isin(customer), "customer"), (code.isin(product), "product"),
                        else_="unknown")
    if "side" in rows.columns:
        return rows.side.lower().fill_null(listed)
    return listed


def _with_value(tables: Tables, rows: ir.Table, as_of: dt.date) -> ir.Table:
    """Each reason row with its share of the customer's value (NaN without orders)."""
    per = rows.group_by("customer_id").agg(first_at=rows["at"].min(), reasons=rows.count())
    orders = tables.optional("orders", ("customer_id", "ordered_at", "amount"))
    if orders is None:
        per = per.mutate(value=ibis.null("float64"))
    else:
        sales = until(orders, "ordered_at", as_of)
        joined = sales.join(per.select("customer_id", "first_at"), "customer_id")
        before = joined.filter(joined.ordered_at < joined.first_at)
        value = before.group_by("customer_id").agg(value=before.amount.sum())
        per = per.left_join(value, "customer_id").drop("customer_id_right")
        per = per.mutate(value=per.value.fill_null(0.0))
    per = per.select("customer_id", share_value=per.value / per.reasons)
    return rows.join(per, "customer_id")


def _code_query(rows: ir.Table) -> ir.Table:
    return rows.group_by(GROUP, "code", "side").agg(
        customers=rows.customer_id.nunique(), value=rows.share_value.sum())


def _trend_query(rows: ir.Table, period: Period) -> ir.Table:
    rows = rows.mutate(number=index(rows["at"].date(), period))
    return rows.group_by("number", GROUP, "code", "side").agg(
        customers=rows.customer_id.nunique())


def _shape(raw: pd.DataFrame, people: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Shares of the customers with a reason (a customer with two reasons counts in both,
    so customer shares may add up to more than one) and of the value (which adds up)."""
    frame = raw.merge(people, on=GROUP)
    frame["customers"] = frame["customers"].astype("int64")
    frame["share"] = frame["customers"] / frame["people"]
    frame["value_share"] = safe_ratio(frame["value"],
                                      frame.groupby(GROUP)["value"].transform("sum"))
    frame = frame.sort_values([GROUP, "customers", "code"], ascending=[True, False, True])
    sides = frame.groupby([GROUP, "side"], as_index=False).agg(
        customers=("customers", "sum"), value=("value", "sum"), people=("people", "first"))
    sides["share"] = sides["customers"] / sides["people"]
    sides["value_share"] = safe_ratio(sides["value"],
                                      sides.groupby(GROUP)["value"].transform("sum"))
    frame = frame[[GROUP, "code", "side", "customers", "share", "value", "value_share"]]
    sides = sides[[GROUP, "side", "customers", "share", "value", "value_share"]]
    return frame.reset_index(drop=True), sides, int(people["people"].sum())
