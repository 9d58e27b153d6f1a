"""Per-customer recency, frequency and spend: the sufficient statistics of the value models.

Built as one Ibis expression so that the engine (DuckDB here, Spark at scale) does the work.
The conventions are those of the buy-till-you-die papers (Fader, Hardie & Lee 2005):

- a purchase *period* is a calendar day: several orders on one day are one purchase;
- ``frequency`` (x) counts repeat purchase days, the first day excluded;
- ``recency`` (t_x) is the time from the first to the last purchase day, ``T`` the time from
  the first purchase day to the end of the window, both in ``unit`` (days, or weeks of 7 days);
- ``monetary_value`` is the mean net spend per repeat purchase day. A refund (a negative
  amount) is netted into the purchase day it follows: the latest purchase day on or before it.

Calendar units change the purchase period as well as the unit: with ``unit="CW"`` (calendar
weeks, Monday to Sunday) or ``"M"`` (calendar months) a purchase is a week or month with an
order, and recency and T count whole weeks or months between the customer's first period, the
last one with a purchase and the window's last; with ``"H"`` a purchase is a clock hour with
an order and times are in hours (the window ends at the last hour of its last day).
``include_first=True`` counts the first purchase in ``frequency`` and ``monetary_value``,
for spend models that want every purchase; the purchase models refuse such a summary.

>>> import tenure
>>> orders = tenure.datasets.load_cdnow(kind="sample")
>>> s = tenure.rfm_summary(orders, observation_end="1997-09-30", unit="W")
>>> len(s), int(s.frequency.sum())
(2357, 2457)
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from tenure.errors import ConfigError, InputError

if TYPE_CHECKING:
    import ibis

__all__ = ["SUMMARY_UNITS", "UNITS", "discrete_summary", "purchase_times", "rfm_expression",
           "rfm_summary", "to_date"]

# Days per time unit.
UNITS: dict[str, float] = {"D": 1.0, "W": 7.0}
# Units whose purchase period is the unit itself: calendar weeks, calendar months, hours.
CALENDAR_UNITS = ("CW", "M", "H")
SUMMARY_UNITS = (*UNITS, *CALENDAR_UNITS)
REQUIRED = ("customer_id", "ordered_at", "amount")


def to_date(value: Any, name: str) -> dt.date:
    """``value`` (text, date, datetime, Timestamp) as a calendar date, or a one-line error."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ConfigError(f"{name} {value!r} is not a date; write it like '2024-06-30'")
    return stamp.date()


def _unit_days(unit: str) -> float:
    if unit not in UNITS:
        raise ConfigError(f"unit {unit!r} is not known; use 'D' (days) or 'W' (weeks)")
    return UNITS[unit]


def _summary_unit(unit: str) -> None:
    if unit not in SUMMARY_UNITS:
        raise ConfigError(f"unit {unit!r} is not known; use 'D' (days), 'W' (weeks of 7 days), "
                          "'CW' (calendar weeks), 'M' (calendar months) or 'H' (hours)")


def _period(ordered_at: ibis.Value, unit: str) -> ibis.Value:
    """The purchase period an order falls in: its calendar day, or for the calendar units
    its week (from Monday), month or clock hour."""
    if unit == "H":
        return ordered_at.truncate("h")
    day = ordered_at.date()
    return {"CW": day.truncate("W"), "M": day.truncate("M")}.get(unit, day)


def _last_period(end: dt.date, unit: str) -> ibis.Value:
    """The last purchase period of a window that ends on the day ``end``."""
    import ibis

    if unit == "H":
        return ibis.literal(dt.datetime.combine(end, dt.time(23)))
    if unit == "CW":
        return ibis.literal(end - dt.timedelta(days=end.weekday()))
    return ibis.literal(end.replace(day=1) if unit == "M" else end)


def _between(later: ibis.Value, earlier: ibis.Value, unit: str) -> ibis.Value:
    """The time from one period to a later one, in ``unit``, as a float."""
    if unit == "M":
        return later.delta(earlier, unit="month").cast("float64")
    if unit == "H":
        return later.delta(earlier, unit="hour").cast("float64")
    days = 7.0 if unit == "CW" else UNITS[unit]
    return later.delta(earlier, unit="day").cast("float64") / days


def _orders_table(orders: Any) -> ibis.Table:
    """The orders as an Ibis table: from a Workspace, an Ibis table or any DataFrame."""
    import ibis

    from tenure.workspace import Workspace

    if isinstance(orders, Workspace):
        return orders.table("orders")
    table = orders if isinstance(orders, ibis.Table) else ibis.memtable(orders)
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InputError(
            f"orders lack the column(s) {', '.join(missing)}; the summary needs customer_id, "
            f"ordered_at and amount (got {', '.join(table.columns)}); rename them or ingest "
            "them into a workspace with a mapping"
        )
    if not table.ordered_at.type().is_temporal():
        raise InputError(f"ordered_at is {table.ordered_at.type()}, not a date or time; "
                         "parse it first (pd.to_datetime) or ingest it into a workspace",
                         column="ordered_at")
    return table


def rfm_expression(
    orders: Any,
    *,
    observation_end: Any,
    unit: Literal["D", "W", "CW", "M", "H"] = "D",
    calibration_end: Any = None,
    last_day: Any = None,
    include_first: bool = False,
) -> ibis.Table:
    """The summary of :func:`rfm_summary` as an Ibis expression, not yet run.

    ``last_day`` (default: the window's end) is the last day whose orders are read; scoring
    as of a date passes the day before it so that T runs to the as-of date while no order of
    that day is seen.
    """
    import ibis

    _summary_unit(unit)
    end = to_date(observation_end, "observation_end")
    cal = to_date(calibration_end, "calibration_end") if calibration_end is not None else None
    if cal is not None and cal >= end:
        raise ConfigError(f"calibration_end {cal} must come before observation_end {end}; "
                          "the holdout is the time between them")
    cut = to_date(last_day, "last_day") if last_day is not None else end
    window_end = cal or end

    source = _orders_table(orders)

    def read(table: ibis.Table) -> ibis.Table:
        # The customer id keeps its own type until the end: hashing integers is cheaper
        # than hashing their text, and the cast is then done once per customer.
        periods = {} if unit in UNITS else {"period": _period(table.ordered_at, unit)}
        table = table.select(customer_id=table.customer_id, day=table.ordered_at.date(),
                             amount=table.amount.cast("float64"), **periods)
        return table.filter(table.day <= ibis.literal(cut), table.amount.notnull(),
                            table.customer_id.notnull())

    # The purchase period: the day itself in days and weeks of 7 days.
    key = "day" if unit in UNITS else "period"

    def ranked_purchases(table: ibis.Table) -> ibis.Table:
        # The orders that are not refunds, each with the rank of its period among the
        # customer's purchase periods: 0 for the first, one rank for all the orders of one.
        buys = table.filter(table.amount >= 0)
        return buys.mutate(
            rank=ibis.dense_rank().over(group_by=buys.customer_id, order_by=buys[key]))

    t = read(source)
    cal_lit = ibis.literal(window_end)

    # A day with a purchase is a purchase day. One pass per customer over the ranked
    # purchases gives the number of purchase days (the highest rank, plus one) and the
    # first day's spend (rank 0). The engine ranks by sorting the orders of each customer,
    # which is quicker and lighter than grouping by customer and day first: nearly every
    # order is a customer-day of its own, and a hash table of them all is as large as the
    # orders. Refunds are netted in below. Without a holdout every purchase day is in the
    # calibration window, and the aggregates need no filter.
    bought = ranked_purchases(t)
    in_cal = (bought.day <= cal_lit) if cal is not None else None
    aggregates: dict[str, Any] = {
        "first_day": bought.day.min(),
        "last_day": bought.day.max(where=in_cal),
        **({} if key == "day" else {"first_period": bought.period.min(),
                                    "last_period": bought.period.max(where=in_cal)}),
        "n_cal": bought["rank"].max(where=in_cal) + 1,
        "cal_spend": bought.amount.sum(where=in_cal),
        "first_spend": bought.amount.sum(where=bought["rank"] == 0),
    }
    if cal is not None:
        aggregates["n_days"] = bought["rank"].max() + 1
        aggregates["holdout_spend"] = bought.amount.sum(where=~in_cal)
    pc = bought.group_by("customer_id").aggregate(**aggregates)
    pc = pc.filter(pc.first_day <= cal_lit)

    # A refund belongs to the latest purchase day on or before it: to a repeat purchase
    # once the second purchase day has come, to a holdout purchase once the first purchase
    # day after the calibration end has; one before either (a refund of the first purchase,
    # or of a calibration purchase seen after the calibration end) changes no repeat spend.
    # Only the customers with a refund take part, their orders read again (few, as a rule).
    theirs = read(source.semi_join(source.filter(source.amount < 0), "customer_id"))
    their_buys = ranked_purchases(theirs)
    marks = their_buys.group_by("customer_id").aggregate(
        second_day=their_buys.day.min(where=their_buys["rank"] == 1),
        first_holdout=their_buys.day.min(where=their_buys.day > cal_lit))
    refunds = theirs.filter(theirs.amount < 0)
    r = refunds.join(marks, "customer_id")
    adjust = {"repeat_refunds": r.amount.sum(where=(r.day >= r.second_day) & (r.day <= cal_lit))}
    if include_first:  # every refund of the calibration window, the first purchase's too
        adjust["all_refunds"] = r.amount.sum(where=r.day <= cal_lit)
    if cal is not None:
        adjust["holdout_refunds"] = r.amount.sum(where=r.day >= r.first_holdout)
    adjustments = r.group_by("customer_id").aggregate(**adjust)
    pc = pc.left_join(adjustments, "customer_id")

    frequency = pc.n_cal - 1
    repeat_spend = pc.cal_spend - pc.first_spend + pc.repeat_refunds.fill_null(0.0)
    first, last = (pc.first_day, pc.last_day) if key == "day" else (pc.first_period,
                                                                    pc.last_period)
    columns: dict[str, Any] = {
        "customer_id": pc.customer_id.cast("string"),
        "frequency": frequency,
        "recency": _between(last, first, unit),
        "T": _between(_last_period(window_end, unit), first, unit),
        "monetary_value": ibis.ifelse(frequency > 0,
                                      repeat_spend / frequency.cast("float64"), 0.0),
    }
    if include_first:
        columns["frequency"] = pc.n_cal
        columns["monetary_value"] = ((pc.cal_spend + pc.all_refunds.fill_null(0.0))
                                     / pc.n_cal.cast("float64"))
    if cal is not None:
        holdout_spend = pc.holdout_spend.fill_null(0.0) + pc.holdout_refunds.fill_null(0.0)
        n_holdout = pc.n_days - pc.n_cal
        columns["frequency_holdout"] = n_holdout
        columns["monetary_value_holdout"] = ibis.ifelse(
            n_holdout > 0, holdout_spend / n_holdout.cast("float64"), 0.0)
        columns["duration_holdout"] = _between(_last_period(end, unit), _last_period(cal, unit),
                                               unit)
    return pc.select(**columns)


def rfm_summary(
    orders: Any,
    *,
    observation_end: Any,
    unit: Literal["D", "W", "CW", "M", "H"] = "D",
    calibration_end: Any = None,
    include_first: bool = False,
) -> pd.DataFrame:
    """Recency, frequency, T and mean spend per customer, computed in the engine.

    ``orders`` is a :class:`~tenure.Workspace` (its ``orders`` table) or any DataFrame with
    customer_id, ordered_at and amount. Orders after ``observation_end`` are ignored. With
    ``calibration_end``, the statistics describe the calibration window (customers who first
    bought in it) and ``frequency_holdout``, ``monetary_value_holdout`` and
    ``duration_holdout`` describe the time after it, up to ``observation_end``.

    Returns one row per customer, sorted by customer_id: customer_id, frequency, recency, T,
    monetary_value (and the holdout columns when split).

    ``unit``: ``"D"`` days and ``"W"`` weeks of 7 days (a purchase is a calendar day with an
    order, and times keep their fraction of a week); ``"CW"`` calendar weeks, ``"M"``
    calendar months and ``"H"`` hours make the period itself the purchase (two orders in
    one week, month or hour are one purchase) and count whole periods. ``include_first``
    counts the first purchase in frequency and in the mean spend (for spend models only:
    the purchase models expect repeat purchases and refuse the summary).

    >>> import tenure
    >>> orders = tenure.datasets.load_cdnow(kind="sample")
    >>> s = tenure.rfm_summary(orders, observation_end="1998-06-30", unit="W",
    ...                        calibration_end="1997-09-30")
    >>> s.loc[s.customer_id == "2", ["frequency", "recency", "T"]].round(2).values.tolist()
    [[1.0, 1.71, 38.86]]
    """
    options = {"observation_end": observation_end, "unit": unit,
               "calibration_end": calibration_end, "include_first": include_first}
    table = _compiled_summary(orders, options)
    if table is None:
        table = rfm_expression(orders, **options).order_by("customer_id").to_pyarrow()
    frame = _frame(table)
    for column in ("frequency", "frequency_holdout"):
        if column in frame:
            frame[column] = frame[column].astype(np.int64)
    frame = frame.reset_index(drop=True)
    if include_first:
        frame.attrs["include_first"] = True
    return frame


# The column types the compiled summary takes as they are; any other input goes through Ibis,
# whose checks and conversions then apply (a workspace, an Ibis table, text dates, time zones).
_PLAIN = {"customer_id": lambda t: pa.types.is_integer(t) or pa.types.is_string(t)
          or pa.types.is_large_string(t),
          "ordered_at": lambda t: (pa.types.is_timestamp(t) and t.tz is None)
          or pa.types.is_date(t),
          "amount": lambda t: pa.types.is_integer(t) or pa.types.is_floating(t)}
_ORDERS = "tenure_orders"


def _compiled_summary(orders: Any, options: dict[str, Any]) -> pa.Table | None:
    """The summary of a DataFrame or Arrow table of plain column types, by SQL compiled once
    and cached (:mod:`tenure.engine._compiled`): the same query as the Ibis expression's,
    without importing Ibis. None for any other input."""
    if isinstance(orders, pd.DataFrame) and all(c in orders.columns for c in REQUIRED):
        try:
            arrow = pa.Table.from_pandas(orders[list(REQUIRED)], preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError):
            return None
    elif isinstance(orders, pa.Table) and all(c in orders.column_names for c in REQUIRED):
        arrow = orders.select(list(REQUIRED))
    else:
        return None
    if not all(_PLAIN[f.name](f.type) for f in arrow.schema):
        return None
    _summary_unit(options["unit"])
    # The dates as they will be compiled in, so that a bad one fails here, in one line.
    dates = {k: None if options[k] is None else str(to_date(options[k], k))
             for k in ("observation_end", "calibration_end")}
    key = {"query": "rfm_summary", "schema": [str(f.type) for f in arrow.schema],
           "unit": options["unit"], "include_first": bool(options["include_first"]), **dates}

    def compile_sql() -> str:
        import ibis

        unbound = ibis.table(ibis.Schema.from_pyarrow(arrow.schema), name=_ORDERS)
        expr = rfm_expression(unbound, **options).order_by("customer_id")
        return ibis.to_sql(expr, dialect="duckdb")

    from tenure.engine._compiled import cached_sql

    sql = cached_sql(key, compile_sql)
    import duckdb

    con = duckdb.connect()
    try:
        con.register(_ORDERS, arrow)
        return con.sql(sql).fetch_arrow_table()
    finally:
        con.close()


def purchase_times(orders: Any, customer_id: Any, *, observation_end: Any,
                   unit: Literal["D", "W"] = "W") -> tuple[np.ndarray, float]:
    """One customer's repeat purchase days as times after their first, in ``unit``, and
    their T: what ``model.p_alive_path(times, T)`` replays (the history chart).

    >>> import tenure
    >>> orders = tenure.datasets.load_cdnow(kind="sample")
    >>> times, T = purchase_times(orders, "1", observation_end="1997-09-30")
    >>> times.round(2).tolist(), round(T, 2)
    ([2.43, 30.43], 38.86)
    """
    days = _unit_days(unit)
    end = to_date(observation_end, "observation_end")
    t = _orders_table(orders)
    mine = t.filter((t.customer_id.cast("string") == str(customer_id)) & (t.amount >= 0))
    purchase_days = sorted({pd.Timestamp(d).date() for d in
                            mine.select(day=mine.ordered_at.date()).to_pandas()["day"]
                            if pd.Timestamp(d).date() <= end})
    if not purchase_days:
        raise InputError(f"customer {customer_id!r} made no purchase by {end}; pick another "
                         "customer or a later observation_end", column="customer_id")
    first = purchase_days[0]
    times = np.array([(d - first).days / days for d in purchase_days[1:]], float)
    return times, (end - first).days / days


def _frame(table) -> pd.DataFrame:
    """An Arrow table as a DataFrame whose text columns stay Arrow strings: a million
    customer ids as Python strings would take half a second to make."""
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow"),
                                         pa.large_string(): pd.StringDtype("pyarrow")}.get)


def discrete_summary(
    orders: Any,
    *,
    observation_end: Any,
    unit: Literal["D", "W"] = "W",
    calibration_end: Any = None,
) -> pd.DataFrame:
    """The BG/BB view of the orders: purchase opportunities are whole units after each
    customer's first purchase day.

    ``frequency`` counts the opportunities (after the first) with a purchase, ``recency`` is
    the last of them (0 if none) and ``n_periods`` the opportunities that have passed by the
    end of the window; with ``calibration_end``, ``frequency_holdout`` counts the
    opportunities with a purchase after it. Refunds are ignored here: only whether a
    customer bought in an opportunity matters.
    """
    import ibis

    days = int(_unit_days(unit))
    end = to_date(observation_end, "observation_end")
    cal = to_date(calibration_end, "calibration_end") if calibration_end is not None else None
    if cal is not None and cal >= end:
        raise ConfigError(f"calibration_end {cal} must come before observation_end {end}")
    window_end = cal or end
    t = _orders_table(orders)
    t = t.select(customer_id=t.customer_id.cast("string"), day=t.ordered_at.date(),
                 amount=t.amount)
    t = t.filter(t.day <= ibis.literal(end), t.amount >= 0, t.customer_id.notnull())
    first = t.group_by("customer_id").aggregate(first_day=t.day.min())
    first = first.filter(first.first_day <= ibis.literal(window_end))
    j = t.join(first, "customer_id")
    j = j.mutate(k=(j.day.delta(j.first_day, unit="day") // days).cast("int64"))
    cal_k = ibis.literal(window_end).delta(j.first_day, unit="day") // days
    per = j.group_by(["customer_id", "first_day"]).aggregate(
        frequency=j.k.nunique(where=(j.k > 0) & (j.day <= ibis.literal(window_end))),
        recency=j.k.max(where=j.day <= ibis.literal(window_end)),
        n_periods=cal_k.max(),
        **({"frequency_holdout": j.k.nunique(where=j.day > ibis.literal(window_end))}
           if cal is not None else {}),
    )
    frame = per.drop("first_day").order_by("customer_id").to_pandas()
    for column in ("frequency", "recency", "n_periods", "frequency_holdout"):
        if column in frame:
            frame[column] = frame[column].fillna(0).astype(np.int64)
    if cal is not None:
        frame["n_periods_holdout"] = (end - cal).days // days
    return frame.reset_index(drop=True)
