"""Customer activity per period: the building block most analyses read.

One row per customer and period (day, week, month or quarter) in which the customer has an
order, with what they bought in it and, looking along their history, what came before and
after it:

- ``customer_id``, ``number`` (the period, see :mod:`tenure.engine._periods`) and, in
  the day table only, ``day``;
- ``first_in``, ``last_day``: the first and last purchase days in the period (empty when
  the period holds refunds only); ``bought_days``: purchase days in it; ``orders``:
  purchase orders in it; ``revenue``: the net amount of its orders, refunds included;
- ``first_day`` and ``second_day``: the customer's first and second purchase days;
- on periods with a purchase: ``days_before`` and ``previous_day``, the purchase days
  before the period and the last of them, ``next_day``, the first purchase day after it,
  and ``previous`` and ``following``, the periods of those two days.

Summarising ten million orders this way is most of the work of a cohort table or a
lifecycle, and it is the same for all of them, so it is done once per version of the
orders: a workspace keeps the tables (``analytics_activity_<period>``) and rebuilds them
when the orders change; tables handed in directly are summarised once per analysis. Each
analysis then reads the rows :func:`activity` gives for its as-of date, where nothing
after that date shows.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from tenure.engine._periods import Period, first_day, index, index_of
from tenure.engine._tables import Tables

__all__ = ["activity", "all_days", "day_activity"]

# Bumped when the columns or their meaning change, so stored tables are rebuilt.
RECIPE = 4
SOURCES = ("orders",)


def activity(tables: Tables, period: Period, as_of: dt.date, last_order: dt.date) -> ir.Table:
    """Each customer's activity per ``period`` as known on ``as_of`` (periods after the one
    holding ``as_of`` dropped, purchase days after it unknown). ``last_order`` is the day
    of the latest order. The stored tables serve when no period is cut in two by
    ``as_of``; otherwise the periods are summarised afresh from the days up to it."""
    days = _days(tables)
    if period == "day":
        return _known(days, period, as_of, last_order)
    whole = as_of >= last_order or first_day(index_of(as_of, period) + 1, period) \
        == as_of + dt.timedelta(days=1)
    if whole:
        table = tables.block(f"activity_{period}", SOURCES, lambda: _periods(days, period),
                             recipe=RECIPE)
    else:
        table = _periods(days.filter(days.day <= as_of), period)
    return _known(table, period, as_of, last_order)


def day_activity(tables: Tables, as_of: dt.date, last_order: dt.date) -> ir.Table:
    """The day table as known on ``as_of`` (:func:`activity` by day)."""
    return activity(tables, "day", as_of, last_order)


def all_days(tables: Tables) -> ir.Table:
    """The whole day table, every order included."""
    return _days(tables)


def _days(tables: Tables) -> ir.Table:
    stored = tables.block("activity_day", SOURCES, lambda: _day_table(tables), recipe=RECIPE)
    # The columns every period table has, read off the day: cheaper to compute than to
    # store and read back.
    purchase = stored.orders > 0
    return stored.mutate(number=index(stored.day, "day"), first_in=_when(purchase, stored.day),
                         last_day=_when(purchase, stored.day),
                         bought_days=purchase.cast("int64"),
                         previous=index(stored.previous_day, "day"),
                         following=index(stored.next_day, "day"))


def _known(table: ir.Table, period: Period, as_of: dt.date, last_order: dt.date) -> ir.Table:
    """``table`` up to the period holding ``as_of``, with the days after it unknown."""
    if as_of >= last_order:
        return table
    rows = table.filter(table.number <= index_of(as_of, period))
    day = ibis.literal(as_of)
    later = rows.next_day > day
    return rows.mutate(
        first_day=_when(rows.first_day <= day, rows.first_day),
        second_day=_when(rows.second_day <= day, rows.second_day),
        next_day=_when(~later, rows.next_day),
        following=ibis.ifelse(later, ibis.null("int64"), rows.following))


def _day_table(tables: Tables) -> ir.Table:
    orders = tables.table("orders", ("customer_id", "ordered_at", "amount"),
                          why="customer activity")
    rows = orders.select("customer_id", day=orders.ordered_at.date(),
                         bought=orders.amount >= 0, amount=orders.amount)
    days = rows.group_by("customer_id", "day").agg(
        orders=rows.bought.sum().cast("int64"), revenue=rows.amount.sum())
    # Along the purchase days only: lag, lead and row numbers need one sort, where running
    # aggregates over refund days too would need a tree of partial sums.
    bought = days.filter(days.orders > 0)
    along = ibis.window(group_by="customer_id", order_by="day", rows=(None, None))
    bought = bought.mutate(
        first_day=bought.day.first().over(along), second_day=bought.day.nth(1).over(along),
        days_before=ibis.row_number().over(along), previous_day=bought.day.lag().over(along),
        next_day=bought.day.lead().over(along))
    firsts = bought.filter(bought.days_before == 0).select(
        "customer_id", "first_day", "second_day")
    refunds = days.filter(days.orders == 0)
    refunds = refunds.left_join(firsts, "customer_id").select(
        *days.columns, "first_day", "second_day", days_before=ibis.null("int64"),
        previous_day=ibis.null("date"), next_day=ibis.null("date"))
    return ibis.union(bought, refunds, distinct=False)


def _periods(days: ir.Table, period: Period) -> ir.Table:
    """Period rows summarised from day rows (the day table, or part of it). No ordering is
    needed: each column along the history is read from the day rows at the period's
    edges."""
    number = index(days.day, period)
    previous = index(days.previous_day, period)
    following = index(days.next_day, period)
    before = previous < number
    after = following > number
    return days.group_by("customer_id", number=number).agg(
        first_in=days.first_in.min(), last_day=days.last_day.max(),
        bought_days=days.bought_days.sum(), orders=days.orders.sum(),
        revenue=days.revenue.sum(),
        # The same on every day row of a customer.
        first_day=days.first_day.max(), second_day=days.second_day.max(),
        # Days before the period, and the last of them, as seen from its first purchase
        # day; the next purchase after it as seen from its last.
        days_before=days.days_before.min(),
        previous_day=days.previous_day.max(where=before),
        next_day=days.next_day.min(where=after),
        previous=previous.max(where=before), following=following.min(where=after))


def _when(condition: ir.BooleanValue, value: ir.DateValue) -> ir.DateValue:
    return ibis.ifelse(condition, value, ibis.null("date"))
