"""Owner hand-overs: does moving a customer to a new owner lose them?

A hand-over is an ``owners`` row whose owner differs from the customer's previous one; each
customer's first hand-over between ``start`` and ``end`` (with a full ``handover.window_days``
after it) is compared with customers whose owner did not change. Every such customer gets
one comparison date, spread over their history by a stable hash of their id, so reruns
agree. Both sides are described at their date by what happened before it: tenure (days since
the first purchase), value (net revenue) and recency (days since the last purchase), each
coarsened into bins, and by the period of the date; hand-overs are compared only with
customers in the same bins (coarsened exact matching, Iacus, King & Porro 2012). Over the
window after the date the analysis measures **churn** (no purchase at all) and **spend**
(net revenue). The effect is the hand-over customers' mean minus their matched comparison
customers' mean, weighted by stratum, with a normal interval.

>>> from tenure.analytics import handover_impact
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from tenure.analytics._common import (
    GROUP,
    Result,
    check_number,
    check_window,
    customer_groups,
    days_between,
    last_order_day,
    name_group,
    observation_end,
    orders,
    setting,
    until,
    with_group,
    z_value,
)
from tenure.charts import _analytics as _charts
from tenure.engine._activity import day_activity
from tenure.engine._periods import Period, index, starts
from tenure.engine._tables import Tables, open_tables
from tenure.errors import InputError

__all__ = ["HandoverImpact", "handover_impact"]

# Bin edges in days (tenure, recency); value bins are half-decades of net revenue.
DAY_EDGES = (30, 90, 180, 365, 730)
_HASH_SCALE = 1_000_003


@dataclass(frozen=True)
class HandoverImpact(Result):
    """Churn and spend after an owner change, against matched customers without one.

    ``frame``: [by], measure (churn or spend), handed_over (mean), matched (the comparison
    customers' weighted mean), difference, low, high, handed_over_customers,
    comparison_customers, strata. ``unmatched``: hand-overs with no comparison customer in
    their stratum (left out), ``no_history``: hand-overs before any purchase (left out).
    ``by_period``: period, [by], handovers, churn_after.
    """

    frame: pd.DataFrame
    by_period: pd.DataFrame
    unmatched: int
    no_history: int
    window_days: int
    confidence: float
    period: Period
    by: str | None
    as_of: dt.date

    def chart(self):
        data = self.frame[self.frame["measure"] == "churn"].rename(
            columns={"difference": "estimate"})
        label = self.by or "measure"
        return _charts.effect(data, label=label,
                              title=f"Churn in the {self.window_days} days after a hand-over, "
                                    "minus matched customers")

    @property
    def headline(self) -> dict[str, Any]:
        """The churn difference over every hand-over (the first churn row), and what was
        left out."""
        churn = self.frame[self.frame["measure"] == "churn"]
        row = churn.iloc[0] if len(churn) and not self.by else None
        return {"as_of": self.as_of, "window_days": self.window_days,
                "handed_over": int(churn["handed_over_customers"].sum()),
                "churn_difference": None if row is None else float(row["difference"]),
                "churn_low": None if row is None else float(row["low"]),
                "churn_high": None if row is None else float(row["high"]),
                "unmatched": self.unmatched, "no_history": self.no_history}

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"by_period": self.by_period}

    def lines(self) -> list[str]:
        lines = []
        for _, row in self.frame.iterrows():
            head = f"{row[self.by]}: " if self.by else ""
            if row["measure"] == "churn":
                lines.append(
                    f"{head}{row['handed_over']:.1%} of {row['handed_over_customers']:,} "
                    f"handed-over customers bought nothing in the next {self.window_days} "
                    f"days vs {row['matched']:.1%} of matched customers: "
                    f"{row['difference'] * 100:+.1f} points ({self.confidence:.0%} CI "
                    f"{row['low'] * 100:+.1f} to {row['high'] * 100:+.1f})")
            else:
                lines.append(f"{head}spend in the window {row['handed_over']:,.2f} vs "
                             f"{row['matched']:,.2f} ({row['difference']:+,.2f}, CI "
                             f"{row['low']:+,.2f} to {row['high']:+,.2f})")
        if self.unmatched or self.no_history:
            lines.append(f"Left out: {self.unmatched:,} hand-overs without a comparable "
                         f"customer, {self.no_history:,} before any purchase")
        return lines


def handover_impact(
    data: Any,
    *,
    period: Period = "quarter",
    by: str | None = None,
    start: Any = None,
    end: Any = None,
    timezone: str | None = None,
    window_days: int | None = None,
) -> HandoverImpact:
    """Churn and spend in the ``window_days`` (default ``handover.window_days``) after an
    owner change, against comparable customers whose owner did not change. ``period`` is
    the calendar bin both sides are matched in and the step of ``by_period``. ``data`` is a
    Workspace or a mapping with owners and orders."""
    window = check_window(period, by, start, end)
    tables = open_tables(data, "owners", timezone=timezone)
    days = check_number(setting(tables, window_days, "handover.window_days"), "window_days",
                        whole=True)
    confidence = tables.config["analytics.confidence"]
    owners = tables.table("owners", ("customer_id", "owner_id", "from_at"),
                          why="the hand-over analysis")
    sales = orders(tables, "the hand-over analysis")
    as_of = observation_end(tables, sales, "ordered_at", window)
    last_date = as_of - dt.timedelta(days=days)
    if window.start is not None and window.start > last_date:
        raise InputError(f"start {window.start} leaves no {days}-day window before {as_of}; "
                         "start earlier or shorten window_days")
    last_order = last_order_day(tables, sales, as_of, window)
    activity = day_activity(tables, as_of, last_order)
    events, no_history = _events(tables, owners, activity, window.start, last_date, as_of)
    groups = customer_groups(tables, window.by, as_of, primary=None)
    described = _describe(events, activity, days, window.period)
    # Read by the comparison and by the periods: computed once.
    described = tables.keep(with_group(described, groups, window.by))
    strata = tables.run(_strata_query(described))
    frame, unmatched = _effects(strata, confidence)
    periods = tables.run(_period_query(described))
    periods["period"] = starts(periods["number"], window.period)
    periods = periods.drop(columns="number").sort_values(["period", GROUP])
    periods = periods[["period", GROUP, "handovers", "churn_after"]].reset_index(drop=True)
    return HandoverImpact(name_group(frame, window.by), name_group(periods, window.by),
                          unmatched, no_history, days, confidence,
                          window.period, window.by, as_of)


def _events(tables: Tables, owners: ir.Table, activity: ir.Table, start: dt.date | None,
            last_date: dt.date, as_of: dt.date) -> tuple[ir.Table, int]:
    """Customers with their comparison date (the first hand-over in the window, or a date
    chosen by hash for customers whose owner never changed), and the number of hand-overs
    before any purchase."""
    owners = until(owners, "from_at", as_of)
    history = ibis.window(group_by="customer_id", order_by="from_at")
    owners = owners.mutate(previous=owners.owner_id.lag().over(history))
    changes = owners.filter(owners.previous.notnull() & (owners.previous != owners.owner_id))
    changes = changes.mutate(day=changes.from_at.date())
    in_window = changes.day <= last_date
    if start is not None:
        in_window &= changes.day >= start
    # Every customer whose owner changed, with their first change in the window (if any):
    # read by the hand-overs and by the comparison customers, so computed once.
    changed = tables.keep(changes.group_by("customer_id").agg(
        day=changes.day.min(where=in_window)))
    firsts = activity.filter((activity.days_before == 0) & (activity.bought_days > 0))
    firsts = firsts.select("customer_id", first=firsts.day)
    treated = changed.filter(changed.day.notnull()).join(firsts, "customer_id")
    no_history = int(tables.scalar(treated.filter(treated["first"] >= treated.day).count()))
    treated = treated.filter(treated["first"] < treated.day).select(
        "customer_id", "day", handed=ibis.literal(True))
    # The comparison date of a customer whose owner never changed: a stable point between
    # the day after their first purchase and the last date with a full window after it.
    earliest = firsts["first"] + ibis.interval(days=1)
    if start is not None:
        earliest = ibis.greatest(earliest, ibis.literal(start))
    room = days_between(ibis.literal(last_date), earliest)
    share = (firsts.customer_id.hash().abs() % _HASH_SCALE).cast("float64") / _HASH_SCALE
    offset = (share * (room + 1)).floor().cast("int64")
    controls = firsts.anti_join(changed, "customer_id").mutate(
        day=earliest + offset.as_interval("D"), room=room)
    controls = controls.filter(controls.room >= 0).select(
        "customer_id", "day", handed=ibis.literal(False))
    return treated.union(controls, distinct=False), no_history


def _describe(events: ir.Table, activity: ir.Table, days: int, period: Period) -> ir.Table:
    """Before-and-after figures of every customer around their date, from their days."""
    joined = activity.select("customer_id", "day", "revenue", "bought_days").rename(
        sale_day="day").join(events, "customer_id")
    before = joined.sale_day < joined.day
    after = (joined.sale_day > joined.day) & (
        days_between(joined.sale_day, joined.day) <= days)
    bought = joined.bought_days > 0
    # One date per customer: grouped by the customer alone, the date and the side ride along.
    per = joined.group_by("customer_id").agg(
        day=joined.day.max(), handed=joined.handed.max(),
        first=joined.sale_day.min(where=before & bought),
        last=joined.sale_day.max(where=before & bought),
        value=joined.revenue.sum(where=before).fill_null(0.0),
        bought_after=(after & bought).any(),
        spend=joined.revenue.sum(where=after).fill_null(0.0),
    )
    per = per.filter(per["first"].notnull())
    tenure = days_between(per.day, per["first"])
    recency = days_between(per.day, per["last"])
    return per.mutate(
        number=index(per.day, period),
        tenure_bin=_day_bin(tenure), recency_bin=_day_bin(recency),
        value_bin=((per.value.clip(lower=0) + 1).log10() * 2).floor().cast("int64"),
        churned=(~per.bought_after).cast("float64"),
    )


def _day_bin(days: ir.IntegerValue) -> ir.IntegerValue:
    return ibis.cases(*[(days < edge, i) for i, edge in enumerate(DAY_EDGES)],
                      else_=len(DAY_EDGES))


def _strata_query(described: ir.Table) -> ir.Table:
    keys = [GROUP, "number", "tenure_bin", "recency_bin", "value_bin", "handed"]
    return described.group_by(keys).agg(
        customers=described.count(),
        churn=described.churned.mean(), churn_var=described.churned.var(how="pop"),
        spend=described.spend.mean(), spend_var=described.spend.var(how="pop"))


def _effects(strata: pd.DataFrame, confidence: float) -> tuple[pd.DataFrame, int]:
    keys = [GROUP, "number", "tenure_bin", "recency_bin", "value_bin"]
    treated = strata[strata["handed"]].drop(columns="handed")
    control = strata[~strata["handed"]].drop(columns="handed")
    both = treated.merge(control, on=keys, suffixes=("_t", "_c"))
    unmatched = int(treated["customers"].sum() - both["customers_t"].sum())
    z = z_value(confidence)
    rows = []
    for group, part in both.groupby(GROUP):
        weight = part["customers_t"] / part["customers_t"].sum()
        for measure in ("churn", "spend"):
            t, c = part[f"{measure}_t"], part[f"{measure}_c"]
            # Sample variances from the population ones, pooled over strata of one.
            var_t = _sample_variance(part[f"{measure}_var_t"], part["customers_t"])
            var_c = _sample_variance(part[f"{measure}_var_c"], part["customers_c"])
            difference = float((weight * (t - c)).sum())
            se = float(np.sqrt((weight**2 * (var_t / part["customers_t"]
                                             + var_c / part["customers_c"])).sum()))
            rows.append({GROUP: group, "measure": measure,
                         "handed_over": float((weight * t).sum()),
                         "matched": float((weight * c).sum()), "difference": difference,
                         "low": difference - z * se, "high": difference + z * se,
                         "handed_over_customers": int(part["customers_t"].sum()),
                         "comparison_customers": int(part["customers_c"].sum()),
                         "strata": len(part)})
    columns = [GROUP, "measure", "handed_over", "matched", "difference", "low", "high",
               "handed_over_customers", "comparison_customers", "strata"]
    if not rows:
        raise InputError("no hand-over has a comparable customer without one; there are "
                         "too few customers or owner changes to compare")
    return pd.DataFrame(rows, columns=columns), unmatched


def _sample_variance(population: pd.Series, n: pd.Series) -> pd.Series:
    sample = population * n / (n - 1).where(n > 1)
    pooled = float((population * n).sum() / max(n.sum() - 1, 1))
    return sample.fillna(pooled)


def _period_query(described: ir.Table) -> ir.Table:
    handed = described.filter(described.handed)
    return handed.group_by(GROUP, "number").agg(handovers=handed.count(),
                                                churn_after=handed.churned.mean())

