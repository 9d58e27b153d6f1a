"""Referral reach: which channels and accounts bring customers who bring customers.

From ``customers.referrer_id`` every customer is placed in a referral tree whose root is a
customer nobody referred (or whose referrer is not in the table). Per channel or account
(``acquisition_channel`` by default, or any ``by`` attribute) of the acquired customers:

- **acquired**: customers first seen in the window with that channel;
- **referrals**: customers they referred directly; **referrers**: how many of them did;
- **viral_coefficient**: referrals per acquired customer (the k-factor), with a normal
  interval from the spread of referrals per customer (a channel carried by one prolific
  account gets a wide one); **fission** marks channels whose lower bound is above the
  business's overall coefficient;
- **descendants**: the customers whose referral chain started with one of the acquired
  customers (all generations; a chain is credited to the channel of the customer who
  started it), **max_depth** the longest such chain, and **reach** = acquired +
  descendants.

The value of referred and non-referred customers is compared on net revenue and purchase
days, with a normal interval for the difference of means. The referral trees are walked
generation by generation, each generation one join in the engine.

>>> import pandas as pd
>>> from tenure.analytics import referral_reach
>>> customers = pd.DataFrame({"customer_id": ["a", "b", "c"],
...                           "acquisition_channel": ["store", "referral", "referral"],
...                           "referrer_id": [None, "a", "b"],
...                           "first_seen": pd.to_datetime(["2024-01-01", "2024-02-01",
...                                                         "2024-03-01"])})
>>> reach = referral_reach(customers).frame.set_index("acquisition_channel")
>>> [int(reach.loc["store", c]) for c in ("referrals", "descendants", "max_depth")]
[1, 2, 2]
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
    check_window,
    customer_groups,
    name_group,
    safe_ratio,
    until,
    z_value,
)
from tenure.charts import _analytics as _charts
from tenure.engine._activity import day_activity
from tenure.engine._customers import customer_summary
from tenure.engine._periods import Period, index, starts
from tenure.engine._tables import Tables, open_tables
from tenure.errors import InputError

__all__ = ["ReferralReach", "referral_reach"]

MAX_DEPTH = 1000


@dataclass(frozen=True)
class ReferralReach(Result):
    """Referral reach per channel or account.

    ``frame``: [by], acquired, referrers, referrals, viral_coefficient, low, high, fission,
    descendants, max_depth, reach, amplification (reach / acquired). ``value``: referred
    (true or false), customers, mean_revenue, mean_purchases; ``value_difference``:
    measure, referred, others, difference, low, high. ``top_referrers``: customer_id, [by],
    referrals, descendants, max_depth. ``by_period``: period, new_customers, referred,
    referred_share.
    """

    frame: pd.DataFrame
    value: pd.DataFrame
    value_difference: pd.DataFrame
    top_referrers: pd.DataFrame
    by_period: pd.DataFrame
    viral_coefficient: float
    unknown_referrers: int
    unplaced: int
    period: Period
    by: str
    as_of: dt.date

    def chart(self):
        return _charts.bars(self.frame, "viral_coefficient", self.by,
                            title="Referrals per acquired customer")

    @property
    def headline(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "acquired": int(self.frame["acquired"].sum()),
                "referrals": int(self.frame["referrals"].sum()),
                "viral_coefficient": self.viral_coefficient,
                "fission_groups": int(self.frame["fission"].sum()),
                "unknown_referrers": self.unknown_referrers}

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"value": self.value, "value_difference": self.value_difference,
                "top_referrers": self.top_referrers, "by_period": self.by_period}

    def lines(self) -> list[str]:
        lines = [f"{self.frame['acquired'].sum():,} customers acquired; each brings "
                 f"{self.viral_coefficient:.3f} referrals on average"]
        real = self.frame[self.frame["fission"]]
        if len(real):
            names = ", ".join(f"{r[self.by]} ({r['viral_coefficient']:.3f})"
                              for _, r in real.iterrows())
            lines.append(f"Real fission ability (above the average beyond doubt): {names}")
        diff = self.value_difference.set_index("measure")
        if "mean_revenue" in diff.index:
            row = diff.loc["mean_revenue"]
            lines.append(f"Referred customers spend {row['referred']:,.2f} vs "
                         f"{row['others']:,.2f} ({row['difference']:+,.2f}, "
                         f"CI {row['low']:+,.2f} to {row['high']:+,.2f})")
        if self.unknown_referrers:
            lines.append(f"{self.unknown_referrers:,} customers name a referrer who is not in "
                         "the customers table; they count as roots")
        return lines


def referral_reach(
    data: Any,
    *,
    period: Period = "month",
    by: str | None = None,
    start: Any = None,
    end: Any = None,
    timezone: str | None = None,
) -> ReferralReach:
    """Customers acquired, referrals generated, chain depth, viral coefficient and value of
    referred customers, per channel (``by``, default acquisition_channel), for the
    customers first seen between ``start`` and ``end``. ``data`` is a Workspace, a
    customers table or a mapping of tables (orders add the value comparison)."""
    window = check_window(period, by or "acquisition_channel", start, end)
    tables = open_tables(data, "customers", timezone=timezone)
    customers = tables.table("customers", ("customer_id", "referrer_id", "first_seen"),
                             why="referral reach")
    last = tables.scalar(customers.first_seen.max())
    if last is None or pd.isna(last):
        raise InputError("no customer has a first_seen date; referral reach needs it")
    as_of = window.end or pd.Timestamp(last).date()
    known = until(customers, "first_seen", as_of)
    if tables.workspace is not None and window.by != "tier" and window.by in known.columns:
        # A workspace holds one row per customer: the attribute is on it already.
        group = known[window.by].cast("string")
        people = known.select("customer_id", "referrer_id", "first_seen", **{GROUP: group})
    else:
        groups = customer_groups(tables, window.by, as_of,
                                 primary=tables.given.get("customers"),
                                 time_column="first_seen")
        people = known.select("customer_id", "referrer_id", "first_seen")
        people = people.left_join(groups, "customer_id").drop("customer_id_right")
    people = tables.keep(people.mutate(**{GROUP: people[GROUP].fill_null("unknown")}))
    trees, unknown, unplaced = _trees(tables, people)
    acquired = people
    if window.start is not None:
        acquired = people.filter(people.first_seen >= ibis.timestamp(window.start))
    counts = tables.run(_channel_query(people, acquired, trees))
    frame, overall = _channel_table(counts, tables.config["analytics.confidence"])
    value, difference = _value(tables, people, acquired, as_of)
    top = tables.run(_top_query(people, acquired, trees))
    by_period = tables.run(_period_query(acquired, window.period))
    by_period["period"] = starts(by_period["number"], window.period)
    by_period = by_period.drop(columns="number").sort_values("period").reset_index(drop=True)
    by_period["referred_share"] = safe_ratio(by_period["referred"], by_period["new_customers"])
    return ReferralReach(
        name_group(frame, window.by), value, difference, name_group(top, window.by),
        by_period[["period", "new_customers", "referred", "referred_share"]], overall,
        unknown, unplaced, window.period, window.by, as_of)


def _trees(tables: Tables, people: ir.Table) -> tuple[ir.Table, int, int]:
    """Every referred customer's root (id and group) and depth, generation by generation;
    each generation is one join in the engine, kept there for the next. The roots
    themselves (depth 0) are only counted: no result reads them."""
    referred = tables.keep(people.filter(people.referrer_id.notnull()).select(
        "customer_id", "referrer_id", GROUP))
    ids = people.select(parent_id=people.customer_id)
    dangling = tables.keep(referred.anti_join(ids, referred.referrer_id == ids.parent_id))
    unknown = int(tables.scalar(dangling.count()))
    unreferred = people.filter(people.referrer_id.isnull())
    roots = unreferred.select("customer_id", GROUP).union(
        dangling.select("customer_id", GROUP), distinct=False)
    placed = int(tables.scalar(unreferred.count())) + unknown
    level = roots.select("customer_id", root_id=roots.customer_id, root_group=roots[GROUP],
                         depth=ibis.literal(0, "int64"))
    levels = []
    while True:
        step = referred.join(level, referred.referrer_id == level.customer_id).select(
            customer_id=referred.customer_id, root_id=level.root_id,
            root_group=level.root_group, depth=level.depth + 1)
        level = tables.keep(step)
        found = int(tables.scalar(level.count()))
        if not found:
            break
        levels.append(level)
        placed += found
        if len(levels) > MAX_DEPTH:
            raise InputError(f"referral chains run deeper than {MAX_DEPTH} generations; "
                             "check referrer_id for loops")
    trees = ibis.union(*levels, distinct=False) if len(levels) > 1 else \
        levels[0] if levels else level
    total = int(tables.scalar(people.count()))
    # Customers in a referral loop (a refers b refers a) have no root and are not placed.
    return trees, unknown, total - placed


def _channel_query(people: ir.Table, acquired: ir.Table, trees: ir.Table) -> ir.Table:
    parents = acquired.select(parent_id=acquired.customer_id, parent_group=acquired[GROUP])
    direct = people.join(parents, people.referrer_id == parents.parent_id)
    per_parent = direct.group_by("parent_id", "parent_group").agg(n=direct.count())
    direct = per_parent.group_by(group=per_parent.parent_group).agg(
        referrals=per_parent.n.sum(), referrers=per_parent.count(),
        squares=(per_parent.n * per_parent.n).sum())
    base = acquired.group_by(group=acquired[GROUP]).agg(acquired=acquired.count())
    # Descendants of the acquired customers that are roots (nobody referred them).
    rooted = trees.filter(trees.depth > 0).semi_join(
        acquired, trees.root_id == acquired.customer_id)
    deep = rooted.group_by(group=rooted.root_group).agg(
        descendants=rooted.count(), max_depth=rooted.depth.max())
    out = base.left_join(direct, "group").drop("group_right")
    out = out.left_join(deep, "group").drop("group_right")
    return out.order_by("group")


def _channel_table(counts: pd.DataFrame, confidence: float) -> tuple[pd.DataFrame, float]:
    frame = counts.rename(columns={"group": GROUP})
    for column in ("referrals", "referrers", "descendants", "max_depth"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["viral_coefficient"] = frame["referrals"] / frame["acquired"]
    # The spread of referrals per customer, zeros included: a channel whose referrals come
    # from one prolific account gets a wide interval, as it should.
    n = frame["acquired"].astype(float)
    mean = frame["viral_coefficient"]
    squares = frame["squares"].fillna(0).astype(float)
    variance = np.where(n > 1, (squares - n * mean**2) / np.maximum(n - 1, 1), np.nan)
    spread = z_value(confidence) * np.sqrt(variance / n)
    frame["low"] = (frame["viral_coefficient"] - spread).clip(lower=0)
    frame["high"] = frame["viral_coefficient"] + spread
    overall = float(frame["referrals"].sum() / frame["acquired"].sum())
    frame["fission"] = frame["low"] > overall
    frame["reach"] = frame["acquired"] + frame["descendants"]
    frame["amplification"] = frame["reach"] / frame["acquired"]
    frame = frame.sort_values("viral_coefficient", ascending=False, kind="stable")
    return frame[[GROUP, "acquired", "referrers", "referrals", "viral_coefficient", "low",
                  "high", "fission", "descendants", "max_depth", "reach",
                  "amplification"]].reset_index(drop=True), overall


def _value(tables: Tables, people: ir.Table, acquired: ir.Table, as_of: dt.date):
    orders = tables.optional("orders", ("customer_id", "ordered_at", "amount"))
    empty = pd.DataFrame(columns=["measure", "referred", "others", "difference", "low",
                                  "high"])
    if orders is None:
        return pd.DataFrame(columns=["referred", "customers", "mean_revenue",
                                     "mean_purchases"]), empty
    last_order = pd.Timestamp(tables.scalar(orders.ordered_at.max())).date()
    if as_of >= last_order:
        per = customer_summary(tables)
    else:
        days = day_activity(tables, as_of, last_order)
        per = days.group_by("customer_id").agg(revenue=days.revenue.sum(),
                                               purchases=days.bought_days.sum())
    per = per.select("customer_id", "revenue", "purchases")
    who = acquired.select("customer_id", referred=acquired.referrer_id.notnull())
    joined = who.left_join(per, "customer_id").drop("customer_id_right")
    revenue = joined.revenue.fill_null(0.0)
    purchases = joined.purchases.fill_null(0).cast("float64")
    stats = joined.group_by("referred").agg(
        customers=joined.count(), mean_revenue=revenue.mean(), sd_revenue=revenue.std(),
        mean_purchases=purchases.mean(), sd_purchases=purchases.std())
    table = tables.run(stats.order_by("referred"))
    value = table[["referred", "customers", "mean_revenue", "mean_purchases"]]
    by = table.set_index("referred")
    if not {True, False} <= set(by.index):
        return value, empty
    z = z_value(tables.config["analytics.confidence"])
    rows_ = []
    for measure in ("revenue", "purchases"):
        a, b = by.loc[True], by.loc[False]
        diff = a[f"mean_{measure}"] - b[f"mean_{measure}"]
        se = np.sqrt(a[f"sd_{measure}"] ** 2 / a["customers"]
                     + b[f"sd_{measure}"] ** 2 / b["customers"])
        rows_.append({"measure": f"mean_{measure}", "referred": a[f"mean_{measure}"],
                      "others": b[f"mean_{measure}"], "difference": diff,
                      "low": diff - z * se, "high": diff + z * se})
    return value, pd.DataFrame(rows_)


def _top_query(people: ir.Table, acquired: ir.Table, trees: ir.Table, limit: int = 20):
    direct = people.filter(people.referrer_id.notnull())
    direct = direct.group_by(customer_id=direct.referrer_id).agg(referrals=direct.count())
    top = acquired.select("customer_id", GROUP).join(direct, "customer_id")
    under = trees.filter(trees.depth > 0)
    deep = under.group_by(customer_id=under.root_id).agg(
        descendants=under.count(), max_depth=under.depth.max())
    top = top.left_join(deep, "customer_id").drop("customer_id_right")
    return top.order_by([ibis.desc("referrals"), "customer_id"]).limit(limit)


def _period_query(acquired: ir.Table, period: Period) -> ir.Table:
    numbered = acquired.mutate(number=index(acquired.first_seen.date(), period))
    return numbered.group_by("number").agg(
        new_customers=numbered.count(), referred=numbered.referrer_id.notnull().sum())
