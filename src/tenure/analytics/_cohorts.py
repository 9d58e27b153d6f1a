"""Cohort retention: customers grouped by the period of their first purchase, followed
period by period.

A purchase is an order row with an amount of zero or more; a negative amount is a refund,
which lowers revenue in the period it is dated but is not activity. For each cohort and each
age (periods since the first purchase) the table gives the customers active in exactly that
period, those active then or later ("unbounded" retention), and the net revenue, also as a
share of the cohort's first-period revenue.

>>> import tenure
>>> from tenure.analytics import cohort_retention
>>> orders = tenure.datasets.load_cdnow(kind="sample")
>>> result = cohort_retention(orders, period="quarter")
>>> result.frame["active"].head(3).tolist()
[2357, 524, 418]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tenure.analytics._common import (
    GROUP,
    Result,
    Window,
    check_window,
    customer_groups,
    last_order_day,
    name_group,
    observation_end,
    orders,
    safe_ratio,
    with_group,
)
from tenure.charts import _analytics as _charts
from tenure.engine._activity import activity
from tenure.engine._periods import Period, index, index_of, starts
from tenure.engine._tables import open_tables

__all__ = ["CohortRetention", "cohort_retention"]


@dataclass(frozen=True)
class CohortRetention(Result):
    """Retention of each first-purchase cohort by age.

    ``frame``: [by], cohort (first day of the cohort's period), age (periods since the first
    purchase), complete (the period has ended by ``as_of``), customers (cohort size), active,
    retention (active / customers), active_or_later, retention_unbounded, revenue (net of
    refunds) and revenue_retention (revenue / the cohort's first-period revenue).

    ``average``: the curve over cohorts weighted by their size, from complete periods only.
    ``ages_shown``: the ages the printed table shows (the compact view: 1, 3, 6 and 12);
    None shows the first 13.
    """

    frame: pd.DataFrame
    average: pd.DataFrame
    period: Period
    by: str | None
    as_of: dt.date
    refund_only_customers: int
    ages_shown: tuple[int, ...] | None = None

    def chart(self, metric: str = "retention"):
        """A heatmap of ``metric`` (retention, retention_unbounded or revenue_retention)."""
        return _charts.cohort_heatmap(self, metric)

    def curve_chart(self):
        """The average retention curve, exact and unbounded."""
        return _charts.retention_curve(self)

    @property
    def headline(self) -> dict[str, Any]:
        """Customers, cohorts and the size-weighted retention 1, 3 and 12 periods on
        (over every group)."""
        first = self.frame[self.frame["age"] == 0]
        figures: dict[str, Any] = {"as_of": self.as_of, "customers": int(first["customers"].sum()),
                                   "cohorts": int(first["cohort"].nunique())}
        done = self.frame[self.frame["complete"]]
        for age in (1, 3, 12):
            rows = done[done["age"] == age]
            figures[f"retention_{age}"] = (float(rows["active"].sum() / rows["customers"].sum())
                                           if rows["customers"].sum() else None)
        return figures

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"average": self.average}

    def lines(self) -> list[str]:
        lines = []
        for group, curve in _by_group(self.average, self.by):
            sizes = self.frame.loc[self.frame["age"] == 0]
            if self.by:
                sizes = sizes[sizes[self.by] == group]
            head = f"{group}: " if self.by else ""
            parts = [f"{int(sizes['customers'].sum()):,} customers in {len(sizes)} "
                     f"cohort{'s' if len(sizes) != 1 else ''}"]
            for age in (1, 3, 12):
                row = curve[curve["age"] == age]
                if len(row) and not np.isnan(row["retention"].iloc[0]):
                    parts.append(f"{row['retention'].iloc[0]:.1%} active {age} {self.period}"
                                 f"{'s' if age > 1 else ''} on "
                                 f"({row['retention_unbounded'].iloc[0]:.1%} then or later)")
            lines.append(head + "; ".join(parts))
        if self.refund_only_customers:
            lines.append(f"{self.refund_only_customers:,} customers have refunds but no "
                         "purchase and belong to no cohort")
        return lines

    def view(self, metric: str = "retention", ages: int = 13) -> pd.DataFrame:
        """Cohorts down, ages across (the first ``ages``, or ``ages_shown``), ``metric`` as
        percentages."""
        wanted = self.frame["age"].isin(self.ages_shown) if self.ages_shown else (
            self.frame["age"] < ages)
        shown = self.frame[wanted]
        index = [*([self.by] if self.by else []), "cohort", "customers"]
        table = shown.pivot_table(index=index, columns="age", values=metric, aggfunc="first")
        if self.ages_shown:  # every cohort, and every age asked for, even where none reached it
            table = table.reindex(columns=list(self.ages_shown))
            first = self.frame[self.frame["age"] == 0].set_index(index).index
            table = table.reindex(first)
        table = table.map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        table.columns = [str(c) for c in table.columns]
        table = table.reset_index()
        table["cohort"] = table["cohort"].dt.strftime("%Y-%m-%d")
        return table


def cohort_retention(
    data: Any,
    *,
    period: Period = "month",
    by: str | None = None,
    start: Any = None,
    end: Any = None,
    timezone: str | None = None,
) -> CohortRetention:
    """Retention of first-purchase cohorts, by period.

    ``data`` is a Workspace, an orders table (DataFrame, Arrow or Ibis) or a mapping of
    contract tables. ``start`` keeps the cohorts whose first purchase is on or after it;
    ``end`` is the last day looked at (default: the day of the latest order). ``by`` splits
    by a customer attribute (segment, region, acquisition_channel or tier). ``timezone``
    is the zone whose calendar defines the periods for zone-aware times handed in directly.
    """
    window = check_window(period, by, start, end)
    tables = open_tables(data, "orders", timezone=timezone)
    table = orders(tables, "cohort retention")
    as_of = observation_end(tables, table, "ordered_at", window)
    groups = customer_groups(tables, window.by, as_of, primary=_given_orders(tables))
    rows = activity(tables, window.period, as_of, last_order_day(tables, table, as_of, window))
    counts = tables.run(_query(rows, groups, window))
    # Customers with refunds only have no cohort.
    refunds_only = int(tables.scalar(
        rows.filter(rows.first_day.isnull()).customer_id.nunique()))
    frame, average = _shape(counts, window, as_of)
    return CohortRetention(frame, average, window.period, window.by, as_of, refunds_only)


def _given_orders(tables):
    return tables.given.get("orders")


def _query(rows, groups, window: Window):
    """Counts per cohort and age, from each customer's activity per period: their cohort
    is the period of their first purchase, and a period with a purchase is their last
    when no purchase follows."""
    active = rows.bought_days > 0
    rows = rows.select("customer_id", "number", "revenue", "first_day", active=active,
                       ended=active & rows.next_day.isnull(),
                       cohort=index(rows.first_day, window.period))
    rows = with_group(rows, groups, window.by)
    # Refunds before a customer's first purchase have no age in their cohort.
    counted = rows.filter(rows.number >= rows.cohort)
    counted = counted.mutate(age=counted.number - counted.cohort)
    if window.start is not None:
        counted = counted.filter(counted.first_day >= window.start)
    return counted.group_by(GROUP, "cohort", "age").agg(
        active=counted.active.sum(), ended=counted.ended.sum(),
        revenue=counted.revenue.sum())


def _shape(counts: pd.DataFrame, window: Window, as_of: dt.date):
    period = window.period
    counts = counts.astype({"cohort": "int64", "age": "int64"})
    # Every age from 0 to the last period for every cohort, empty periods included; the
    # cohort's size is its activity at age 0 (everyone buys in their first period).
    last = index_of(as_of, period)
    sizes = counts[counts["age"] == 0][[GROUP, "cohort", "active"]].reset_index(drop=True)
    lengths = (last - sizes["cohort"] + 1).to_numpy()
    starts_at = np.repeat(np.cumsum(lengths) - lengths, lengths)
    grid = sizes.loc[np.repeat(sizes.index, lengths)].reset_index(drop=True)
    grid = grid.rename(columns={"active": "customers"})
    grid["age"] = np.arange(lengths.sum()) - starts_at
    counts = grid.merge(counts, how="left",
                        on=[GROUP, "cohort", "age"]).fillna(
        {"active": 0, "ended": 0, "revenue": 0.0})
    counts = counts.sort_values([GROUP, "cohort", "age"], kind="stable").reset_index(drop=True)
    keys = [GROUP, "cohort"]
    # Customers whose last active age is below this one are the ones lost before it.
    ended_before = counts.groupby(keys)["ended"].cumsum() - counts["ended"]
    counts["active_or_later"] = counts["customers"] - ended_before
    counts["retention"] = safe_ratio(counts["active"], counts["customers"])
    counts["retention_unbounded"] = safe_ratio(counts["active_or_later"], counts["customers"])
    first_revenue = counts.groupby(keys)["revenue"].transform("first")
    counts["revenue_retention"] = safe_ratio(counts["revenue"], first_revenue)
    # A period is complete when the day after as_of lies in a later one.
    finished = index_of(as_of + dt.timedelta(days=1), period)
    counts["complete"] = (counts["cohort"] + counts["age"]) < finished
    counts["cohort_start"] = starts(counts["cohort"], period)

    done = counts[counts["complete"]]
    average = done.groupby([GROUP, "age"], as_index=False).agg(
        cohorts=("cohort", "size"), customers=("customers", "sum"), active=("active", "sum"),
        active_or_later=("active_or_later", "sum"))
    first_rev = done.assign(first=first_revenue[done.index]).groupby(
        [GROUP, "age"], as_index=False).agg(revenue=("revenue", "sum"),
                                            first_revenue=("first", "sum"))
    average = average.merge(first_rev, on=[GROUP, "age"])
    average["retention"] = safe_ratio(average["active"], average["customers"])
    average["retention_unbounded"] = safe_ratio(average["active_or_later"], average["customers"])
    average["revenue_retention"] = safe_ratio(average["revenue"], average["first_revenue"])
    average = average.drop(columns=["first_revenue"])

    frame = counts.drop(columns=["cohort", "ended"]).rename(columns={"cohort_start": "cohort"})
    frame = frame[[GROUP, "cohort", "age", "complete", "customers", "active", "retention",
                   "active_or_later", "retention_unbounded", "revenue", "revenue_retention"]]
    for name in ("customers", "active", "active_or_later", "age"):
        frame[name] = frame[name].astype("int64")
    return (name_group(frame, window.by).reset_index(drop=True),
            name_group(average, window.by).reset_index(drop=True))


def _by_group(frame: pd.DataFrame, by: str | None):
    if by is None:
        yield None, frame
        return
    yield from frame.groupby(by, sort=True)
