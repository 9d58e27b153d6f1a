"""The loyalty ladder: how customers climb from one purchase to the next.

Purchases are counted on distinct days (several orders on one day are one purchase; refunds
are not purchases). For each rung k (the k-th purchase, up to ``loyalty.max_purchases``):

- **customers**: those whose purchase count is exactly k (the top rung: k or more);
- **repeat_probability**: the share of customers who made a (k+1)-th purchase within
  ``loyalty.repeat_window_days`` of their k-th, among those whose k-th purchase is at least
  that old (so recent customers are not counted as failures), with a Wilson interval;
- **active_now**: the share of customers with k purchases or more who are in the active
  base as of the last day (lifecycle states);
- the rung from which the repeat probability reaches ``loyalty.loyal_probability`` is the
  business's **loyal_after** ("does the fifth purchase make a loyal customer?").

The **early-repeat effect** compares the later churn (churned or dormant as of the last
day; with value-model scores, the expected share gone, 1 - P(alive)) of customers who
bought again within ``loyalty.early_repeat_days`` of their first purchase with those who
did not, among customers first seen at least early_repeat_days + repeat_window_days before
the last day; with Wilson intervals per group and a Newcombe interval for the difference.
Where one-time buyers are common, their long silences make the rhythm-based states
overstate their churn; value-model scores give a calibrated comparison.

>>> import tenure
>>> from tenure.analytics import loyalty_ladder
>>> ladder = loyalty_ladder(tenure.datasets.load_cdnow(kind="sample"), repeat_window_days=180)
>>> ladder.frame.loc[ladder.frame["purchases"] == 1, "repeat_probability"].round(3).item()
0.376
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
    ALL,
    GROUP,
    Result,
    check_number,
    days_between,
    difference_ci,
    name_group,
    safe_ratio,
    setting,
    wilson,
)
from tenure.analytics._lifecycle import BASE_STATES, GONE_STATES, LifecycleRules, prepare, state_at
from tenure.charts import _analytics as _charts
from tenure.engine._activity import day_activity
from tenure.engine._periods import Period, check_date, index, starts
from tenure.engine._tables import open_tables

__all__ = ["LoyaltyLadder", "loyalty_ladder"]


@dataclass(frozen=True)
class LoyaltyOptions:
    early_repeat_days: int
    repeat_window_days: int
    max_purchases: int
    loyal_probability: float
    confidence: float


@dataclass(frozen=True)
class LoyaltyLadder(Result):
    """The ladder and the early-repeat effect.

    ``frame``: [by], purchases (the rung k), customers (exactly k; the top rung k or more),
    reached (k or more), eligible, repeated, repeat_probability, repeat_low, repeat_high,
    active_now. ``early_repeat``: [by], group (early_repeaters or others), customers,
    churned, churn_rate, low, high. ``effect``: [by], estimate (churn rate of early
    repeaters minus the others'), low, high. ``cohorts``: period of the first purchase,
    [by], customers, eligible, early_repeaters, early_repeat_share.
    """

    frame: pd.DataFrame
    early_repeat: pd.DataFrame
    effect: pd.DataFrame
    cohorts: pd.DataFrame
    loyal_after: dict[str, int | None]
    options: LoyaltyOptions
    period: Period
    by: str | None
    as_of: dt.date

    def chart(self):
        return _charts.ladder(self.frame if not self.by else
                              self.frame[self.frame[self.by] == self.frame[self.by].iloc[0]])

    def effect_chart(self):
        label = self.by or "comparison"
        data = self.effect if self.by else self.effect.assign(comparison="early repeaters")
        return _charts.effect(data, label=label,
                              title="Later churn of early repeaters minus the others")

    @property
    def headline(self) -> dict[str, Any]:
        """The chance of a second purchase, the rung from which customers are loyal and the
        early-repeat effect on churn (without a split)."""
        first = self.frame[self.frame["purchases"] == 1]
        effect = self.effect.iloc[0] if len(self.effect) and not self.by else None
        return {"as_of": self.as_of,
                "second_purchase": (float(first["repeated"].sum() / first["eligible"].sum())
                                    if len(first) and first["eligible"].sum() else None),
                "loyal_after": None if self.by else self.loyal_after.get("all"),
                "early_repeat_effect": None if effect is None else float(effect["estimate"]),
                "early_repeat_low": None if effect is None else float(effect["low"]),
                "early_repeat_high": None if effect is None else float(effect["high"])}

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"early_repeat": self.early_repeat, "effect": self.effect,
                "cohorts": self.cohorts}

    def lines(self) -> list[str]:
        lines = []
        for group, rows in _groups(self.frame, self.by):
            head = f"{group}: " if self.by else ""
            first = rows[rows["purchases"] == 1].iloc[0]
            loyal = self.loyal_after.get(group if self.by else "all")
            where = (f"from purchase {loyal} on the chance of another reaches "
                     f"{self.options.loyal_probability:.0%}") if loyal else (
                f"no rung reaches a {self.options.loyal_probability:.0%} chance of another")
            window = self.options.repeat_window_days
            if pd.isna(first["repeat_probability"]):
                # No first purchase is old enough for its window to have passed.
                lines.append(f"{head}no customer bought long enough ago to judge a second "
                             f"purchase within {window} days; {where}")
            else:
                lines.append(f"{head}{first['repeat_probability']:.1%} buy a second time "
                             f"within {window} days; {where}")
        for _, row in self.effect.iterrows():
            head = f"{row[self.by]}: " if self.by else ""
            rates = self.early_repeat
            if self.by:
                rates = rates[rates[self.by] == row[self.by]]
            rate = rates.set_index("group")["churn_rate"]
            lines.append(
                f"{head}{rate['early_repeaters']:.1%} of early repeaters (again within "
                f"{self.options.early_repeat_days} days) churned vs {rate['others']:.1%} of "
                f"the others: {_points(row['estimate'])} ({self.options.confidence:.0%} CI "
                f"{_points(row['low'])} to {_points(row['high'])})")
        return lines


def loyalty_ladder(
    data: Any,
    *,
    period: Period = "month",
    by: str | None = None,
    start: Any = None,
    end: Any = None,
    timezone: str | None = None,
    early_repeat_days: int | None = None,
    repeat_window_days: int | None = None,
    max_purchases: int | None = None,
    rules: LifecycleRules | None = None,
) -> LoyaltyLadder:
    """The loyalty ladder and the early-repeat effect of the customers first seen from
    ``start`` (default: all) up to ``end`` (default: the latest order's day). Options left
    out come from the ``loyalty.*`` settings; ``rules`` (:class:`LifecycleRules`) decide who
    has churned."""
    tables = open_tables(data, "orders", timezone=timezone)
    options = LoyaltyOptions(
        early_repeat_days=check_number(setting(tables, early_repeat_days,
                                               "loyalty.early_repeat_days"),
                                       "early_repeat_days", whole=True),
        repeat_window_days=check_number(setting(tables, repeat_window_days,
                                                "loyalty.repeat_window_days"),
                                        "repeat_window_days", whole=True),
        max_purchases=check_number(setting(tables, max_purchases, "loyalty.max_purchases"),
                                   "max_purchases", whole=True),
        loyal_probability=tables.config["loyalty.loyal_probability"],
        confidence=tables.config["analytics.confidence"],
    )
    tables, plan, segments = prepare(tables, period=period, by=by, start=None, end=end,
                                     timezone=timezone, rules=rules)
    window = plan.window
    # Each customer's state now, purchase count and first two purchase days, read by the
    # ladder and by the early-repeat comparison: computed once.
    current = segments.filter(segments.following == plan.last + 1)
    people = current.select(
        "customer_id", GROUP, "p_alive", "first_day", "second_day",
        state=state_at(current, ibis.literal(plan.last), plan.last),
        purchases=current.days_so_far)
    days = day_activity(tables, plan.as_of, plan.last_order)
    days = days.filter(days.bought_days > 0)
    if start is not None:
        first = check_date(start, "start")
        people = people.filter(people.first_day >= first)
        days = days.filter(days.first_day >= first)
    people = tables.keep(people)
    if window.by is not None:
        days = days.join(people.select("customer_id", GROUP), "customer_id")
    else:
        days = days.mutate(**{GROUP: ibis.literal(ALL)})
    ladder = tables.run(_ladder_query(days, people, plan.as_of, options))
    counts = tables.run(_people_query(people, plan.as_of, options, window.period))
    frame = _shape_ladder(ladder, options)
    early, effect = _early_repeat(counts, options)
    cohorts = _cohorts(counts, window.period)
    loyal = {}
    for group, rows in frame.groupby(GROUP):
        good = rows[(rows["repeat_probability"] >= options.loyal_probability)
                    & (rows["eligible"] > 0)]
        loyal[group] = int(good["purchases"].min()) if len(good) else None
    return LoyaltyLadder(name_group(frame, window.by), name_group(early, window.by),
                         name_group(effect, window.by), name_group(cohorts, window.by), loyal,
                         options, window.period, window.by, plan.as_of)


def _ladder_query(days: ir.Table, people: ir.Table, as_of: dt.date,
                  options: LoyaltyOptions) -> ir.Table:
    """Per rung k: the k-th purchase days reached, judged and followed by another within
    the window (from the purchase days), and the customers with exactly k purchases and
    how many of them are active (from each customer's state)."""
    top = options.max_purchases
    window = options.repeat_window_days
    # days_before is the number of purchase days before this one: the rung is one more.
    rungs = days.filter(days.days_before < top)
    judged = rungs.day <= ibis.literal(as_of - dt.timedelta(days=window))
    again = rungs.next_day.notnull() & (days_between(rungs.next_day, rungs.day) <= window)
    counts = rungs.group_by(GROUP, purchases=rungs.days_before + 1).agg(
        reached=rungs.count(), eligible=judged.sum(), repeated=(judged & again).sum())
    totals = people.mutate(rung=ibis.least(people.purchases, top),
                           active=people.state.isin(BASE_STATES))
    # Active now among those who reached rung k: summed over every rung at or above k.
    exactly = totals.group_by(GROUP, purchases=totals.rung).agg(
        customers=totals.count(), active=totals.active.sum())
    out = counts.left_join(exactly, [GROUP, "purchases"]).drop(f"{GROUP}_right",
                                                               "purchases_right")
    return out.order_by([GROUP, "purchases"])


def _people_query(people: ir.Table, as_of: dt.date, options: LoyaltyOptions,
                  period: Period) -> ir.Table:
    """Counts by group, first-purchase period, early repeat, eligibility and churn."""
    early = people.second_day.notnull() & (
        days_between(people.second_day, people.first_day) <= options.early_repeat_days)
    followed = options.early_repeat_days + options.repeat_window_days
    eligible = people.first_day <= ibis.literal(as_of - dt.timedelta(days=followed))
    gone = people.state.isin(GONE_STATES).cast("float64")
    # With value-model scores, churn is the expected share gone: 1 - P(alive).
    churn = ibis.ifelse(people.p_alive.notnull(), 1 - people.p_alive, gone)
    people = people.mutate(cohort=index(people.first_day, period), early=early,
                           eligible=eligible, churn=churn)
    return people.group_by(GROUP, "cohort", "early", "eligible").agg(
        customers=people.count(), churned=people.churn.sum())


def _shape_ladder(ladder: pd.DataFrame, options: LoyaltyOptions) -> pd.DataFrame:
    frame = ladder.copy()
    for column in ("customers", "active", "eligible", "repeated", "reached"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame = frame.sort_values([GROUP, "purchases"]).reset_index(drop=True)
    # Customers with k or more purchases, and how many of them are active now.
    reversed_ = frame.iloc[::-1]
    frame["active_reached"] = reversed_.groupby(GROUP)["active"].cumsum().iloc[::-1]
    frame["active_now"] = safe_ratio(frame["active_reached"], frame["reached"])
    frame["repeat_probability"] = safe_ratio(frame["repeated"], frame["eligible"])
    low, high = wilson(frame["repeated"], frame["eligible"], options.confidence)
    frame["repeat_low"], frame["repeat_high"] = low, high
    return frame[[GROUP, "purchases", "customers", "reached", "eligible", "repeated",
                  "repeat_probability", "repeat_low", "repeat_high", "active_now"]]


def _early_repeat(people: pd.DataFrame, options: LoyaltyOptions):
    judged = people[people["eligible"]]
    rows = []
    for (group, early), part in judged.groupby([GROUP, "early"]):
        total = int(part["customers"].sum())
        churned = float(part["churned"].sum())
        rows.append({GROUP: group, "group": "early_repeaters" if early else "others",
                     "customers": total, "churned": churned})
    early = pd.DataFrame(rows, columns=[GROUP, "group", "customers", "churned"])
    early["churn_rate"] = safe_ratio(early["churned"], early["customers"])
    early["low"], early["high"] = wilson(early["churned"], early["customers"],
                                         options.confidence)
    effects = []
    for group, part in early.groupby(GROUP):
        by = part.set_index("group")
        if not {"early_repeaters", "others"} <= set(by.index):
            continue
        a, b = by.loc["early_repeaters"], by.loc["others"]
        low, high = difference_ci(a["churn_rate"], a["customers"], b["churn_rate"],
                                  b["customers"], options.confidence)
        effects.append({GROUP: group, "estimate": a["churn_rate"] - b["churn_rate"],
                        "low": float(low), "high": float(high),
                        "early_repeaters": int(a["customers"]), "others": int(b["customers"])})
    effect = pd.DataFrame(effects, columns=[GROUP, "estimate", "low", "high",
                                            "early_repeaters", "others"])
    return early, effect


def _cohorts(people: pd.DataFrame, period: Period) -> pd.DataFrame:
    people = people.assign(early_count=np.where(people["early"], people["customers"], 0),
                           eligible_count=np.where(people["eligible"], people["customers"], 0))
    cohorts = people.groupby(["cohort", GROUP], as_index=False).agg(
        customers=("customers", "sum"), eligible=("eligible_count", "sum"),
        early_repeaters=("early_count", "sum"))
    cohorts["early_repeat_share"] = safe_ratio(cohorts["early_repeaters"], cohorts["customers"])
    cohorts.insert(0, "period", starts(cohorts["cohort"], period))
    return cohorts.drop(columns="cohort")


def _groups(frame: pd.DataFrame, by: str | None):
    if by is None:
        yield "all", frame
        return
    yield from frame.groupby(by)


def _points(value: float) -> str:
    return "n/a" if value is None or np.isnan(value) else f"{value * 100:+.1f} points"
