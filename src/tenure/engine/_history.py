"""Point in time: the tables as they stood at an as-of date, and each customer's purchase
history up to it.

Every feature and label of a backtest is computed as of a date from data stamped before
it. :func:`as_of_rows` gives the rows of a contract table stamped before the date, with
every later time stamp in those rows (a resolution, an end) hidden as missing;
:func:`purchase_history` summarises each customer's purchases up to the date.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from tenure.contract import TABLES

__all__ = ["as_of_rows", "cutoff", "hide_later", "purchase_history"]

# The trailing windows the purchase history counts purchases and spend over, in days.
WINDOWS = (30, 90, 365)


def cutoff(as_of: dt.date) -> ir.TimestampScalar:
    """The as-of date as a timestamp literal: the first instant of the future."""
    return ibis.timestamp(dt.datetime.combine(as_of, dt.time()))


def hide_later(table: ir.Table, name: str, as_of: dt.date) -> ir.Table:
    """``table`` (rows of contract table ``name``) with every time stamp that is not before
    ``as_of`` replaced by missing, its own time column aside."""
    spec = TABLES[name]
    first_unknown = cutoff(as_of)
    hidden = {}
    for column in spec.columns:
        if column.type == "timestamp" and column.name != spec.time_column:
            value = table[column.name]
            hidden[column.name] = ibis.ifelse(value < first_unknown, value, ibis.null())
    return table.mutate(**hidden) if hidden else table


def as_of_rows(table: ir.Table, name: str, as_of: dt.date) -> ir.Table:
    """Rows of contract table ``name`` stamped before ``as_of`` (by its time column), as
    they were known then (see :func:`hide_later`)."""
    spec = TABLES[name]
    if spec.time_column is not None:
        table = table.filter(table[spec.time_column] < cutoff(as_of))
    return hide_later(table, name, as_of)


def purchase_history(orders: ir.Table, as_of: dt.date,
                     windows: tuple[int, ...] = WINDOWS) -> ir.Table:
    """One row per customer who bought before ``as_of``, from ``orders`` already cut at it.

    A purchase day is a day with an order of positive amount; gaps are counted between
    purchase days. Columns: customer_id, first_day, last_day, purchase_days, gross (spend of
    the purchase orders), gaps, gap_sum and gap_squares (over the gaps between consecutive
    purchase days), purchases_Nd and spend_Nd per window, refunds and refunded.
    """
    bought = orders.filter(orders.amount > 0)
    days = bought.group_by("customer_id", day=bought.ordered_at.date()).aggregate(
        amount=bought.amount.sum())
    previous = days.day.lag().over(ibis.window(group_by="customer_id", order_by="day"))
    days = days.mutate(gap=days.day.delta(previous, unit="day"))

    counted = {}
    for n in windows:
        inside = days.day >= ibis.date(as_of) - ibis.interval(days=n)
        counted[f"purchases_{n}d"] = days.count(where=inside)
        counted[f"spend_{n}d"] = days.amount.sum(where=inside).fill_null(0.0)
    per = days.group_by("customer_id").aggregate(
        first_day=days.day.min(), last_day=days.day.max(), purchase_days=days.count(),
        gross=days.amount.sum(), gaps=days.gap.count(), gap_sum=days.gap.sum(),
        gap_squares=(days.gap * days.gap).sum(), **counted,
    )
    refunds = orders.filter(orders.amount < 0)
    refunds = refunds.group_by("customer_id").aggregate(
        refunds=refunds.count(), refunded=-refunds.amount.sum())
    return per.left_join(refunds, "customer_id").select(
        per, refunds=refunds.refunds.fill_null(0), refunded=refunds.refunded.fill_null(0.0))
