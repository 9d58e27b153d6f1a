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

from tenure.analytics._common import (
    GROUP,
    Result,
    Window,
    check_number,
    check_window,
    customer_groups,
    days_between,
    last_order_day,
    name_group,
    observation_end,
    orders,
    safe_ratio,
    setting,
    with_group,
)
from tenure.charts import _analytics as _charts
from tenure.engine._customers import (
    PROFILE_ATTRIBUTES,
    customer_categories,
    customer_summary,
    summary_between,
)
from tenure.engine._periods import Period
from tenure.engine._tables import Tables, open_tables
from tenure.errors import InputError

__all__ = ["RFM_SEGMENTS", "RfmSegments", "rfm_segments"]

RFM_SEGMENTS = ("champions", "loyal", "promising", "need_attention", "cannot_lose", "at_risk",
                "hibernating", "lost")


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
    value_note: str
    options: RfmOptions
    by: str | None
    as_of: dt.date
    refund_only_customers: int
    period: Period = "month"

    def chart(self):
        """Customers on the recency x frequency grid, named by segment."""
        return _charts.rfm_grid(self)

    def segments_chart(self):
        return _charts.bars(self.segments, "customers", "rfm_segment", sort=list(RFM_SEGMENTS),
                            color=self.by, title="Customers per RFM segment")

    def lorenz_chart(self):
        return _charts.lorenz(self.lorenz)

    @property
    def headline(self) -> dict[str, Any]:
        counts = self.segments.groupby("rfm_segment", observed=True)["customers"].sum()
        return {"as_of": self.as_of, "customers": len(self.frame),
                "top_share": self.options.top_share, "top_revenue_share": self.top_share,
                "gini": self.gini, "super_users": len(self.super_users),
                **{f"segment_{s}": int(counts.get(s, 0)) for s in RFM_SEGMENTS}}

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"segments": self.segments, "classes": self.classes, "lorenz": self.lorenz,
                "super_users": self.super_users,
                "super_user_profile": self.super_user_profile}

    def lines(self) -> list[str]:
        top = self.options.top_share
        lines = [f"{len(self.frame):,} customers as of {self.as_of}; the top {top:.0%} bring "
                 f"{self.top_share:.1%} of revenue (Gini {self.gini:.2f})"]
        counts = self.segments.groupby("rfm_segment", observed=True)["customers"].sum()
        lines.append("Segments: " + ", ".join(
            f"{s} {counts.get(s, 0):,}" for s in RFM_SEGMENTS if counts.get(s, 0)))
        profile = self.super_user_profile.set_index("measure")
        if len(self.super_users) and "revenue_share" in profile.index:
            lines.append(
                f"{len(self.super_users):,} super users (top "
                f"{self.options.super_user_share:.0%} by {self.value_from}) bring "
                f"{profile.loc['revenue_share', 'super_users']:.1%} of revenue")
        lines.append(self.value_note[0].upper() + self.value_note[1:])
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
    # The latest scores that see no order after the window (as of its end or the day after).
    found = tables.scores(model, until=as_of + dt.timedelta(days=1))
    scores = found if found is not None and found.as_of is not None else None
    if found is not None and scores is None:
        value_note = (f"value is revenue: the {found.model} scores are as of {found.dates()}, "
                      f"all after {as_of + dt.timedelta(days=1)}")
    elif scores is not None:
        value_note = f"value is the CLV of the {scores.model} scores as of {scores.as_of}"
    else:
        value_note = "value is revenue: the workspace holds no value-model scores"
    last_order = last_order_day(tables, table, as_of, window)
    base, per, key, refunds_only = _per_customer(tables, window, as_of, last_order, scores)
    customers = int(tables.scalar(base.filter(base.purchases > 0).count()))
    if not customers:
        raise InputError(f"no customer bought between {window.start or 'the first order'} "
                         f"and {as_of}; widen start and end")
    scored = _scored(base, per, customers, options, as_of).order_by(key)
    if key != "customer_id":
        scored = scored.drop(key)
    frame = _named(tables.run(scored, categories=(GROUP, *PROFILE_ATTRIBUTES),
                              text=("customer_id",)), options)
    frame = name_group(frame, window.by)
    super_users, profile = _super_users(frame, options)
    lorenz, gini, top = _concentration(frame["revenue"].to_numpy(), options.top_share)
    return RfmSegments(
        frame=frame, segments=_segment_summary(frame, window.by),
        classes=_class_summary(frame), lorenz=lorenz, gini=gini, top_share=top,
        super_users=super_users, super_user_profile=profile,
        value_from="clv" if scores is not None else "revenue", value_note=value_note,
        options=options,
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


def _per_customer(tables: Tables, window: Window, as_of: dt.date, last_order: dt.date,
                  scores) -> tuple[ir.Table, ir.Table, str, int]:
    """One row per customer with an order in the window: purchase days, orders, net
    revenue, first and last purchase, categories, the attributes, and CLV, value and the
    split where they come from other tables. Returned as a table of the engine that the
    scores' edges read (``value`` included) and the full rows built on it; then the column
    that orders the customers by id, and how many customers have refunds only."""
    if window.start is None and as_of >= last_order:
        base, key = customer_summary(tables), "customer_key"
        base = base.drop(*[a for a in PROFILE_ATTRIBUTES if a == window.by and a in base.columns])
        categories = customer_categories(tables)
        if categories is None:
            rows = base.mutate(categories=ibis.null("int64"))
        else:
            rows = base.left_join(categories, "customer_key").drop("customer_key_right")
    else:
        base = rows = tables.keep(summary_between(tables, window.start, as_of, last_order,
                                                  window.by))
        key = "customer_id"
    counts = tables.run(base.group_by(bought=base.purchases > 0).agg(n=base.count()))
    refunds_only = int(counts.loc[~counts["bought"], "n"].sum())
    if scores is None and window.by is None:
        return base, rows, key, refunds_only
    if scores is not None:
        clv = scores.table.select("customer_id", "clv")
        rows = rows.left_join(clv, "customer_id").drop("customer_id_right")
        rows = rows.mutate(value=rows.clv.fill_null(0.0))
    if window.by is not None:
        groups = customer_groups(tables, window.by, as_of, primary=tables.given.get("orders"))
        rows = with_group(rows, groups, window.by)
    # Read by each score and by the result: joined once, in a table of its own.
    rows = tables.keep(rows)
    return rows, rows, key, refunds_only


def _edges(table: ir.Table, column: str, customers: int, bins: int) -> ir.Table:
    """One row: for each score s, the least value of ``column`` scoring s (``{column}_{s}``;
    null when no value does). A value's percent rank is (customers below it) / (n - 1), so
    equal values share a rank, and its score 1 + floor(percent rank * bins). Both are
    computed over the distinct values, a narrow table; the customers are then scored by
    comparing with these edges rather than by joining their ranks."""
    values = _buyers_per_value(table, column)
    below = ibis.window(order_by=column, rows=(None, -1))
    values = values.mutate(below=values.n.sum().over(below).fill_null(0))
    rank = values.below.cast("float64") / max(customers - 1, 1)
    values = values.mutate(score=ibis.least((rank * bins).floor().cast("int64") + 1, bins))
    return values.aggregate(**{f"{column}_{s}": values[column].min(where=values.score == s)
                               for s in range(1, bins + 1)})


def _buyers_per_value(table: ir.Table, column: str) -> ir.Table:
    """How many customers who bought have each value of ``column``. Those with refunds
    only are skipped here rather than filtered out first: each score reads the table
    itself, so the engine does not keep a filtered copy of it for them all."""
    values = table.group_by(column).agg(n=table.count(where=table.purchases > 0))
    return values.filter(values.n > 0)


def _score(table: ir.Table, column: str, bins: int) -> ir.IntegerValue:
    """The score of ``column`` read off the edges joined to ``table``: the highest whose
    edge the value reaches (a score no value has has no edge)."""
    value = table[column]
    cases = [(value >= table[f"{column}_{s}"], s) for s in range(bins, 1, -1)]
    return ibis.cases(*cases, else_=1).cast("int64")


def _valuable_from(per: ir.Table, column: str, customers: int, percentile: float
                   ) -> ir.Table:
    """One row: the least value of ``column`` whose percent rank reaches ``percentile``
    (null when none does)."""
    values = _buyers_per_value(per, column)
    below = ibis.window(order_by=column, rows=(None, -1))
    values = values.mutate(below=values.n.sum().over(below).fill_null(0))
    rank = values.below.cast("float64") / max(customers - 1, 1)
    return values.aggregate(valuable_from=values[column].min(where=rank >= percentile))


def _scored(base: ir.Table, per: ir.Table, customers: int, options: RfmOptions,
            as_of: dt.date) -> ir.Table:
    """The customers scored, their segment and classes as numbers (see :func:`_named`).

    ``base`` is a table of the engine: each score reads it once for its edges; ``per``
    holds every column of the customers (``base`` with more joined). Recency is ranked
    through the day of the last purchase (the later, the more recent)."""
    bins = options.bins
    value = "value" if "value" in base.columns else "revenue"
    scored = per
    for edge in (_edges(base, "last_purchase", customers, bins),
                 _edges(base, "purchases", customers, bins),
                 _edges(base, "revenue", customers, bins),
                 _valuable_from(base, value, customers, options.valuable_percentile)):
        scored = scored.cross_join(edge)
    r, f, m = (_score(scored, c, bins) for c in ("last_purchase", "purchases", "revenue"))
    scored = scored.filter(scored.purchases > 0).select(
        *per.columns, r=r, f=f, m=m, valuable=scored[value] >= scored.valuable_from,
        recency_days=days_between(ibis.literal(as_of), scored.last_purchase),
        tenure_days=days_between(scored.last_purchase, scored.first_purchase))
    if value == "revenue":
        scored = scored.mutate(clv=ibis.null("float64"), value=scored.revenue)

    def five(score: ir.IntegerValue) -> ir.FloatingValue:
        # Scores on a 1-5 scale, whatever the number of bins.
        return 1 + (score - 1) * 4.0 / (bins - 1) if bins > 1 else score * 0 + 3.0

    r, fm = five(scored.r), (five(scored.f) + five(scored.m)) / 2
    # The segment as its place in RFM_SEGMENTS.
    segment = ibis.cases(
        ((r >= 4) & (fm >= 4), 0), ((r >= 3) & (fm >= 3), 1), (r >= 4, 2), (r >= 3, 3),
        (fm >= 4, 4), (fm >= 3, 5), (r >= 2, 6), else_=7)
    breadth = ibis.cases((scored.categories.isnull(), 0),
                         (scored.categories >= options.core_min_categories, 2), else_=1)
    scored = scored.mutate(
        rfm_segment=segment.cast("int8"),
        frequency_class=scored.purchases >= options.regular_min_purchases,
        relationship_class=scored.tenure_days >= options.relationship_min_days,
        value_class=scored.valuable, breadth_class=breadth.cast("int8"))
    front = ["customer_id", *([GROUP] if GROUP in per.columns else []), "first_purchase",
             "last_purchase", "recency_days",
             "purchases", "orders", "revenue", "tenure_days", "categories", "clv", "value", "r",
             "f", "m", "rfm_segment", "frequency_class", "relationship_class",
             "value_class", "breadth_class"]
    rest = [c for c in scored.columns if c not in front and c != "valuable"
            and not c.startswith(("last_purchase_", "purchases_", "revenue_"))
            and c != "valuable_from"]
    return scored.select(*front, *rest)


# Class columns come from the engine as numbers: their levels, in order.
CLASS_LEVELS = {
    "rfm_segment": RFM_SEGMENTS,
    "frequency_class": ("one_off", "regular"),
    "relationship_class": ("transactional", "relationship"),
    "value_class": ("low_value", "valuable"),
    "breadth_class": ("unknown", "loose", "core"),
}


def _named(frame: pd.DataFrame, options: RfmOptions) -> pd.DataFrame:
    """The class columns named by their levels, and the rfm code (e.g. "545"), as pandas
    categories: far lighter than two million strings."""
    for column, levels in CLASS_LEVELS.items():
        codes = frame[column].to_numpy().astype("int8")
        frame[column] = pd.Categorical.from_codes(codes, categories=list(levels))
    bins = options.bins
    code = ((frame["r"].to_numpy() - 1) * bins + frame["f"].to_numpy() - 1) * bins \
        + frame["m"].to_numpy() - 1
    present = np.flatnonzero(np.bincount(code, minlength=bins ** 3))
    number = np.zeros(bins ** 3, dtype="int32")
    number[present] = np.arange(len(present))
    labels = [f"{c // (bins * bins) + 1}{c // bins % bins + 1}{c % bins + 1}" for c in present]
    if len(set(labels)) == len(labels):
        rfm = pd.Categorical.from_codes(number[code], categories=labels)
    else:  # with more than ten bins two codes can read alike ("1" "11" "1" and "11" "1" "1")
        rfm = pd.Categorical(np.asarray(labels, dtype=object)[number[code]])
    frame.insert(frame.columns.get_loc("m") + 1, "rfm", rfm)
    return frame


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
    revenue = frame["revenue"].to_numpy()
    total_revenue = revenue.sum()
    for column in ("frequency_class", "relationship_class", "value_class", "breadth_class"):
        levels = frame[column].cat.categories
        codes = frame[column].cat.codes.to_numpy()
        customers = np.bincount(codes, minlength=len(levels))
        sums = np.bincount(codes, weights=revenue, minlength=len(levels))
        seen = customers > 0
        parts.append(pd.DataFrame({"class": column[:-6], "level": levels[seen],
                                   "customers": customers[seen], "revenue": sums[seen]}))
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
    top = frame[chosen]
    # The others are nearly everyone: their sums and means come from the totals, and only
    # their medians need their rows.

    def means(column: str) -> tuple[float, float]:
        everyone, some = frame[column], top[column]
        rest = everyone.count() - some.count()
        return some.mean(), (everyone.sum() - some.sum()) / rest if rest else np.nan

    def medians(column: str) -> tuple[float, float]:
        rest = frame[column].to_numpy()[~chosen]
        return top[column].median(), float(np.median(rest)) if len(rest) else np.nan

    total = frame["revenue"].sum()
    revenue = (top["revenue"].sum(), total - top["revenue"].sum())
    orders = (top["orders"].sum(), frame["orders"].sum() - top["orders"].sum())
    others = len(frame) - len(top)
    regular = int((frame["frequency_class"] == "regular").sum())
    top_regular = int((top["frequency_class"] == "regular").sum())
    rows = [("customers", len(top), others),
            ("revenue_share", *(r / total if total else np.nan for r in revenue)),
            ("mean_revenue", *means("revenue")), ("mean_purchases", *means("purchases")),
            ("median_tenure_days", *medians("tenure_days")),
            ("median_recency_days", *medians("recency_days")),
            ("mean_categories", *means("categories")),
            ("average_order_value", *(_ratio(r, o) for r, o in zip(revenue, orders,
                                                                    strict=True))),
            ("share_regular", _ratio(top_regular, len(top)),
             _ratio(regular - top_regular, others))]
    for attribute in PROFILE_ATTRIBUTES:
        if attribute not in frame.columns:
            continue
        shares = pd.DataFrame({"top": _shares(frame[attribute], chosen),
                               "rest": _shares(frame[attribute], ~chosen)}).fillna(0)
        shares["lift"] = safe_ratio(shares["top"], shares["rest"])
        for level, row in shares.sort_values("lift", ascending=False).head(3).iterrows():
            rows.append((f"share_{attribute}={level}", row["top"], row["rest"]))
    profile = pd.DataFrame(rows, columns=["measure", "super_users", "others"])
    profile["super_users"] = profile["super_users"].astype(float)
    profile["others"] = profile["others"].astype(float)
    profile["ratio"] = safe_ratio(profile["super_users"], profile["others"])
    top = top.sort_values(["value", "customer_id"], ascending=[False, True], kind="stable")
    return top.reset_index(drop=True), profile


def _shares(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """Share of each value of ``column`` among ``rows`` (missing values left out), as
    ``value_counts(normalize=True)`` gives them, indexed in sorted order."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()[rows]
        counts = np.bincount(codes[codes >= 0], minlength=len(column.cat.categories))
        shares = pd.Series(counts / max(counts.sum(), 1) if counts.sum() else counts * np.nan,
                           index=column.cat.categories)
    else:
        shares = column[rows].value_counts(normalize=True)
    return shares.sort_index()


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")
