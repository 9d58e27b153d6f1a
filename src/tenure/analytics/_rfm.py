"""RFM scores, named segments, relationship classes, revenue concentration and super users.

Per customer, over the orders in the window and as of its last day:

- **recency** (days since the last purchase), **frequency** (purchase days: several orders
  on one day are one purchase) and **monetary** value (net revenue, refunds included) are
  scored 1 to ``rfm.bins`` by quantile: ``1 + floor(percent rank * bins)``, so equal values
  share a score and the lowest value always scores 1;
- a named segment from the recency score and the mean of the frequency and monetary scores
  (on a 1-5 scale; other bin counts are rescaled):

  ============== ============ =================
  segment        recency      frequency+monetary
  ============== ============ =================
  champions      4-5          4 or more
  loyal          3 or more    3 or more (not champions)
  promising      4-5          below 3
  need_attention 3            below 3
  cannot_lose    1-2          4 or more
  at_risk        1-2          3 to below 4
  hibernating    2            below 3
  lost           1            below 3
  ============== ============ =================

- four relationship classes with measurable criteria: **one_off / regular** (purchase days
  below / at least ``rfm.regular_min_purchases``), **transactional / relationship** (days
  from first to last purchase below / at least ``rfm.relationship_min_days``),
  **low_value / valuable** (percentile of CLV, or of revenue without scores, below / at
  least ``rfm.valuable_percentile``), **loose / core** (product categories bought below /
  at least ``rfm.core_min_categories``; unknown without order lines).

Revenue concentration is the Lorenz curve of revenue over customers (net revenue below zero
counts as zero), its Gini coefficient, and the share of revenue from the top
``rfm.top_share`` of customers. Super users are the top ``rfm.super_user_share`` by CLV
(with value-model scores) or revenue, profiled against everyone else.

>>> import tenure
>>> from tenure.analytics import rfm_segments
>>> rfm = rfm_segments(tenure.datasets.load_cdnow(kind="sample"))
>>> round(rfm.top_share, 3), round(rfm.gini, 3)
(0.675, 0.631)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from tenure.analytics import _charts
from tenure.analytics._common import (
    GROUP,
    Result,
    Window,
    check_number,
    check_window,
    customer_groups,
    days_between,
    name_group,
    observation_end,
    orders,
    safe_ratio,
    setting,
    until,
    with_group,
)
from tenure.analytics._periods import Period
from tenure.analytics._source import Tables, open_tables
from tenure.errors import InputError

__all__ = ["RFM_SEGMENTS", "RfmSegments", "rfm_segments"]

RFM_SEGMENTS = ("champions", "loyal", "promising", "need_attention", "cannot_lose", "at_risk",
                "hibernating", "lost")
PROFILE_ATTRIBUTES = ("segment", "acquisition_channel", "region")
# Few distinct values: handed to pandas as categories, which is much lighter than text.
CATEGORY_COLUMNS = ("rfm", "rfm_segment", "frequency_class", "relationship_class",
                    "value_class", "breadth_class", GROUP, *PROFILE_ATTRIBUTES)


@dataclass(frozen=True)
class RfmOptions:
    bins: int
    top_share: float
    super_user_share: float
    regular_min_purchases: int
    relationship_min_days: int
    valuable_percentile: float
    core_min_categories: int


@dataclass(frozen=True)
class RfmSegments(Result):
    """RFM and value tiers.

    ``frame``: one row per customer who bought in the window: customer_id, [by],
    first_purchase, last_purchase, recency_days, purchases, orders, revenue, tenure_days,
    categories, clv, value (CLV or revenue), r, f, m, rfm (e.g. "545"), rfm_segment,
    frequency_class, relationship_class, value_class, breadth_class, and the customer's
    segment, acquisition_channel and region when the customers table has them.
    ``segments``: per [by and] rfm_segment: customers, share, revenue, revenue_share,
    median recency_days and mean purchases. ``classes``: per class and level: customers,
    share and revenue_share. ``lorenz``: customer_share, revenue_share (101 points).
    ``super_users``: the top customers; ``super_user_profile``: measure, super_users,
    others, ratio.
    """

    frame: pd.DataFrame
    segments: pd.DataFrame
    classes: pd.DataFrame
    lorenz: pd.DataFrame
    gini: float
    top_share: float
    super_users: pd.DataFrame
    super_user_profile: pd.DataFrame
    value_from: str
    options: RfmOptions
    by: str | None
    as_of: dt.date
    refund_only_customers: int
    period: Period = "month"

    def chart(self):
        """Customers on the recency x frequency grid, named by segment."""
        alt = _charts.altair()
        grid = self.frame.groupby(["r", "f"], as_index=False).agg(
            customers=("customer_id", "size"), revenue=("revenue", "sum"))
        return alt.Chart(grid).mark_rect().encode(
            x=alt.X("f:O", title="frequency score"), y=alt.Y("r:O", sort="descending",
                                                          title="recency score"),
            color=alt.Color("customers:Q", scale=alt.Scale(scheme="oranges")),
            tooltip=["r", "f", "customers", alt.Tooltip("revenue:Q", format=",.0f")],
        ).properties(title=f"Customers by recency and frequency as of {self.as_of}")

    def segments_chart(self):
        return _charts.bars(self.segments, "customers", "rfm_segment", sort=list(RFM_SEGMENTS),
                            color=self.by, title="Customers per RFM segment")

    def lorenz_chart(self):
        return _charts.lorenz(self.lorenz)

    def headline(self) -> list[str]:
        top = self.options.top_share
        lines = [f"{len(self.frame):,} customers as of {self.as_of}; the top {top:.0%} bring "
                 f"{self.top_share:.1%} of revenue (Gini {self.gini:.2f})"]
        counts = self.segments.groupby("rfm_segment")["customers"].sum()
        lines.append("Segments: " + ", ".join(
            f"{s} {counts.get(s, 0):,}" for s in RFM_SEGMENTS if counts.get(s, 0)))
        profile = self.super_user_profile.set_index("measure")
        if len(self.super_users) and "revenue_share" in profile.index:
            lines.append(
                f"{len(self.super_users):,} super users (top "
                f"{self.options.super_user_share:.0%} by {self.value_from}) bring "
                f"{profile.loc['revenue_share', 'super_users']:.1%} of revenue")
        return lines

    def view(self) -> pd.DataFrame:
        table = self.segments.copy()
        for column in ("share", "revenue_share"):
            table[column] = table[column].map(lambda v: f"{v:.1%}")
        return table


def rfm_segments(
    data: Any,
    *,
    by: str | None = None,
    start: Any = None,
    end: Any = None,
    timezone: str | None = None,
    bins: int | None = None,
    top_share: float | None = None,
    super_user_share: float | None = None,
    model: str | None = None,
    period: Period = "month",
) -> RfmSegments:
    """RFM scores and segments, relationship classes, revenue concentration and super
    users, from the purchases between ``start`` and ``end`` (as of ``end``, default the
    latest order's day). Options left out come from the ``rfm.*`` settings; ``period`` is
    accepted for a uniform interface and does not change the result."""
    window = check_window(period, by, start, end)
    tables = open_tables(data, "orders", timezone=timezone)
    options = _options(tables, bins, top_share, super_user_share)
    table = orders(tables, "RFM")
    as_of = observation_end(tables, table, "ordered_at", window)
    scores = tables.scores(model)
    per = tables.keep(_per_customer(tables, table, window, as_of, scores))
    counts = tables.run(per.group_by(bought=per.purchases > 0).agg(n=per.count()))
    counts = dict(zip(counts["bought"], counts["n"], strict=True))
    customers, refunds_only = int(counts.get(True, 0)), int(counts.get(False, 0))
    if not customers:
        raise InputError(f"no customer bought between {window.start or 'the first order'} "
                         f"and {as_of}; widen start and end")
    per = per.filter(per.purchases > 0)
    frame = tables.run(_scored(per, customers, options).order_by("customer_id"),
                       categories=CATEGORY_COLUMNS)
    frame = name_group(frame, window.by)
    super_users, profile = _super_users(frame, options)
    lorenz, gini, top = _concentration(frame["revenue"].to_numpy(), options.top_share)
    return RfmSegments(
        frame=frame, segments=_segment_summary(frame, window.by),
        classes=_class_summary(frame), lorenz=lorenz, gini=gini, top_share=top,
        super_users=super_users, super_user_profile=profile,
        value_from="clv" if scores is not None else "revenue", options=options,
        by=window.by, as_of=as_of, refund_only_customers=refunds_only, period=window.period)


def _options(tables: Tables, bins, top_share, super_user_share) -> RfmOptions:
    config = tables.config
    return RfmOptions(
        bins=check_number(setting(tables, bins, "rfm.bins"), "bins", low=1, whole=True,
                          strict=False),
        top_share=check_number(setting(tables, top_share, "rfm.top_share"), "top_share",
                               high=1),
        super_user_share=check_number(setting(tables, super_user_share,
                                              "rfm.super_user_share"),
                                      "super_user_share", high=1),
        regular_min_purchases=config["rfm.regular_min_purchases"],
        relationship_min_days=config["rfm.relationship_min_days"],
        valuable_percentile=config["rfm.valuable_percentile"],
        core_min_categories=config["rfm.core_min_categories"],
    )


def _per_customer(tables: Tables, table: ir.Table, window: Window, as_of: dt.date,
                  scores) -> ir.Table:
    """One row per customer with an order in the window: purchase days, orders, net
    revenue, first and last purchase, categories, CLV, the split and the attributes."""
    rows = until(table, "ordered_at", as_of)
    if window.start is not None:
        rows = rows.filter(rows.ordered_at >= ibis.timestamp(window.start))
    rows = rows.mutate(day=rows.ordered_at.date(), bought=rows.amount >= 0)
    days = rows.group_by("customer_id", "day").agg(
        bought=rows.bought.any(), orders=rows.bought.sum(), revenue=rows.amount.sum())
    per = days.group_by("customer_id").agg(
        first_purchase=days.day.min(where=days.bought),
        last_purchase=days.day.max(where=days.bought),
        purchases=days.bought.sum(), orders=days.orders.sum(), revenue=days.revenue.sum())
    per = per.mutate(recency_days=days_between(ibis.literal(as_of), per.last_purchase),
                     tenure_days=days_between(per.last_purchase, per.first_purchase))
    categories = _categories(tables, window, as_of)
    if categories is None:
        per = per.mutate(categories=ibis.null("int64"))
    else:
        per = per.left_join(categories, "customer_id").drop("customer_id_right")
    if scores is not None:
        clv = scores[0].select("customer_id", "clv")
        per = per.left_join(clv, "customer_id").drop("customer_id_right")
        per = per.mutate(value=per.clv.fill_null(0.0))
    else:
        per = per.mutate(clv=ibis.null("float64"), value=per.revenue)
    groups = customer_groups(tables, window.by, as_of, primary=tables.given.get("orders"))
    per = with_group(per, groups, window.by)
    attributes = _attributes(tables, window.by)
    if attributes is not None:
        per = per.left_join(attributes, "customer_id").drop("customer_id_right")
    return per


def _percent_rank(table: ir.Table, column: str, customers: int, *,
                  descending: bool = False) -> ir.Table:
    """(column, rank): the percent rank of each value, (customers below it) / (n - 1), so
    equal values share a rank. Ranked over the distinct values, a narrow table, rather
    than by sorting the customers' wide rows."""
    values = table.group_by(column).agg(n=table.count())
    key = ibis.desc(column) if descending else values[column]
    below = ibis.window(order_by=key, rows=(None, -1))
    values = values.mutate(below=values.n.sum().over(below).fill_null(0))
    return values.select(column, rank=values.below.cast("float64") / max(customers - 1, 1))


def _scored(per: ir.Table, customers: int, options: RfmOptions) -> ir.Table:
    bins = options.bins
    for column, name, descending in (("recency_days", "r", True), ("purchases", "f", False),
                                     ("revenue", "m", False), ("value", "value_rank", False)):
        ranks = _percent_rank(per, column, customers, descending=descending).rename(
            {name: "rank"})
        per = per.join(ranks, column)
        if name != "value_rank":
            per = per.mutate(**{name: ibis.least((per[name] * bins).floor().cast("int64") + 1,
                                                 bins)})

    def five(score: ir.IntegerValue) -> ir.FloatingValue:
        # Scores on a 1-5 scale, whatever the number of bins.
        return 1 + (score - 1) * 4.0 / (bins - 1) if bins > 1 else score * 0 + 3.0

    r, fm = five(per.r), (five(per.f) + five(per.m)) / 2
    segment = ibis.cases(
        ((r >= 4) & (fm >= 4), "champions"), ((r >= 3) & (fm >= 3), "loyal"),
        (r >= 4, "promising"), (r >= 3, "need_attention"), (fm >= 4, "cannot_lose"),
        (fm >= 3, "at_risk"), (r >= 2, "hibernating"), else_="lost")
    breadth = ibis.cases((per.categories.isnull(), "unknown"),
                         (per.categories >= options.core_min_categories, "core"),
                         else_="loose")
    scored = per.mutate(
        rfm=per.r.cast("string") + per.f.cast("string") + per.m.cast("string"),
        rfm_segment=segment,
        frequency_class=ibis.ifelse(per.purchases >= options.regular_min_purchases,
                                    "regular", "one_off"),
        relationship_class=ibis.ifelse(per.tenure_days >= options.relationship_min_days,
                                       "relationship", "transactional"),
        value_class=ibis.ifelse(per.value_rank >= options.valuable_percentile, "valuable",
                                "low_value"),
        breadth_class=breadth)
    front = ["customer_id", GROUP, "first_purchase", "last_purchase", "recency_days",
             "purchases", "orders", "revenue", "tenure_days", "categories", "clv", "value", "r",
             "f", "m", "rfm", "rfm_segment", "frequency_class", "relationship_class",
             "value_class", "breadth_class"]
    rest = [c for c in scored.columns if c not in front and c != "value_rank"]
    return scored.select(*front, *rest)


def _categories(tables: Tables, window: Window, as_of: dt.date) -> ir.Table | None:
    """Distinct product categories each customer bought, when order lines and products
    are there to tell."""
    lines = tables.optional("order_lines", ("order_id", "sku"))
    products = tables.optional("products", ("sku", "category"))
    if lines is None or products is None:
        return None
    rows = tables.table("orders", ("customer_id", "order_id", "ordered_at", "amount"),
                        why="category breadth")
    rows = until(rows, "ordered_at", as_of)
    if window.start is not None:
        rows = rows.filter(rows.ordered_at >= ibis.timestamp(window.start))
    rows = rows.filter(rows.amount >= 0).select("customer_id", "order_id")
    bought = rows.join(lines.select("order_id", "sku"), "order_id").join(
        products.select("sku", "category"), "sku")
    return bought.group_by("customer_id").agg(categories=bought.category.nunique())


def _attributes(tables: Tables, by: str | None) -> ir.Table | None:
    customers = tables.optional("customers", ("customer_id",))
    if customers is None:
        return None
    present = [a for a in PROFILE_ATTRIBUTES if a in customers.columns and a != by]
    if not present:
        return None
    return customers.select("customer_id", *[customers[a].cast("string") for a in present])


def _segment_summary(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    keys = [*([by] if by else []), "rfm_segment"]
    summary = frame.groupby(keys, as_index=False, observed=True).agg(
        customers=("customer_id", "size"), revenue=("revenue", "sum"),
        recency_days=("recency_days", "median"), purchases=("purchases", "mean"))
    total = summary.groupby(by, observed=True)["customers"].transform("sum") if by else \
        summary["customers"].sum()
    revenue = summary.groupby(by, observed=True)["revenue"].transform("sum") if by else \
        summary["revenue"].sum()
    summary["share"] = summary["customers"] / total
    summary["revenue_share"] = safe_ratio(summary["revenue"], revenue)
    order = {s: i for i, s in enumerate(RFM_SEGMENTS)}
    summary = summary.sort_values([*keys[:-1], "rfm_segment"],
                                  key=lambda s: s.map(order) if s.name == "rfm_segment" else s)
    return summary[[*keys, "customers", "share", "revenue", "revenue_share", "recency_days",
                    "purchases"]].reset_index(drop=True)


def _class_summary(frame: pd.DataFrame) -> pd.DataFrame:
    parts = []
    total_revenue = frame["revenue"].sum()
    for column in ("frequency_class", "relationship_class", "value_class", "breadth_class"):
        part = frame.groupby(column, as_index=False, observed=True).agg(
            customers=("customer_id", "size"), revenue=("revenue", "sum"))
        part = part.rename(columns={column: "level"}).assign(**{"class": column[:-6]})
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["share"] = out["customers"] / len(frame)
    out["revenue_share"] = out["revenue"] / total_revenue if total_revenue else np.nan
    return out[["class", "level", "customers", "share", "revenue", "revenue_share"]]


def _concentration(revenue: np.ndarray, top_share: float) -> tuple[pd.DataFrame, float, float]:
    """Lorenz curve at every percent of customers, the Gini coefficient and the revenue
    share of the top customers, with net revenue below zero counted as zero."""
    values = np.sort(np.clip(np.asarray(revenue, dtype=float), 0, None))
    n, total = len(values), values.sum()
    if n == 0 or total == 0:
        empty = pd.DataFrame({"customer_share": [0.0, 1.0], "revenue_share": [0.0, 1.0]})
        return empty, float("nan"), float("nan")
    cumulative = np.r_[0.0, np.cumsum(values)] / total
    points = np.linspace(0, 1, 101)
    lorenz = pd.DataFrame({"customer_share": points,
                           "revenue_share": np.interp(points * n, np.arange(n + 1), cumulative)})
    ranks = np.arange(1, n + 1)
    gini = float(2 * (ranks * values).sum() / (n * total) - (n + 1) / n)
    top = int(np.ceil(top_share * n))
    return lorenz, gini, float(values[n - top:].sum() / total)


def _super_users(frame: pd.DataFrame, options: RfmOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The customers whose value reaches that of the n-th best (ties included), n being
    ``super_user_share`` of the customers, and how they differ from everyone else."""
    count = int(np.ceil(options.super_user_share * len(frame)))
    values = frame["value"].to_numpy()
    threshold = np.partition(values, len(values) - count)[len(values) - count]
    chosen = values >= threshold
    top, rest = frame[chosen], frame[~chosen]
    total = frame["revenue"].sum()
    rows = [("customers", len(top), len(rest)),
            ("revenue_share", top["revenue"].sum() / total if total else np.nan,
             rest["revenue"].sum() / total if total else np.nan)]
    for name, column, how in (
            ("mean_revenue", "revenue", "mean"), ("mean_purchases", "purchases", "mean"),
            ("median_tenure_days", "tenure_days", "median"),
            ("median_recency_days", "recency_days", "median"),
            ("mean_categories", "categories", "mean")):
        rows.append((name, getattr(top[column], how)(), getattr(rest[column], how)()))
    rows.append(("average_order_value", _ratio(top["revenue"].sum(), top["orders"].sum()),
                 _ratio(rest["revenue"].sum(), rest["orders"].sum())))
    rows.append(("share_regular", (top["frequency_class"] == "regular").mean(),
                 (rest["frequency_class"] == "regular").mean()))
    for attribute in PROFILE_ATTRIBUTES:
        if attribute not in frame.columns:
            continue
        shares = pd.DataFrame({"top": top[attribute].value_counts(normalize=True),
                               "rest": rest[attribute].value_counts(normalize=True)}).fillna(0)
        shares["lift"] = safe_ratio(shares["top"], shares["rest"])
        for level, row in shares.sort_values("lift", ascending=False).head(3).iterrows():
            rows.append((f"share_{attribute}={level}", row["top"], row["rest"]))
    profile = pd.DataFrame(rows, columns=["measure", "super_users", "others"])
    profile["super_users"] = profile["super_users"].astype(float)
    profile["others"] = profile["others"].astype(float)
    profile["ratio"] = safe_ratio(profile["super_users"], profile["others"])
    top = top.sort_values(["value", "customer_id"], ascending=[False, True], kind="stable")
    return top.reset_index(drop=True), profile


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")
