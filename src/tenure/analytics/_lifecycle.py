"""Lifecycle states: where each customer stands in each period.

In every period from their first purchase on, a customer is in exactly one state:

- **new**: made their first purchase in the period;
- **resurrected**: bought in the period after having been churned or dormant (a win-back);
- **active**: bought in the period, or has not bought but is still within their rhythm;
- **at_risk**: has not bought for longer than their at-risk threshold;
- **churned**: passed their churned threshold in this period (they are lost now);
- **dormant**: churned in an earlier period and has not come back.

States are judged at the end of each period (at ``as_of`` for the last one) from the days
since the customer's last purchase. The thresholds are ``lifecycle.at_risk_days`` and
``lifecycle.churned_days`` when set; otherwise they are learned per customer: a multiple of
the customer's rhythm, their mean gap between purchase days blended with the business's
typical gap (the median of the customers' own mean gaps) weighted as ``prior_gaps`` gaps.
So a customer with one purchase is judged by the business's rhythm, one with twenty by
their own. The rhythm is known only from purchases made up to each period: no state reads
the future. With value-model scores made in the latest period, that period is judged by
P(alive) instead (at risk below ``lifecycle.at_risk_p_alive``, churned below
``lifecycle.churned_p_alive``), except that ``alive_from="auto"`` sets BG/NBD scores aside:
that model keeps every customer who never bought again alive.

The work reads each customer's activity per period (:mod:`tenure.engine._activity`): a
customer's history is cut into segments between purchase periods, each segment into runs
of constant state, and the runs are counted per period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

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
    setting,
    with_group,
)
from tenure.charts import _analytics as _charts
from tenure.engine._activity import activity
from tenure.engine._periods import Period, index, index_of, starts
from tenure.engine._tables import Tables, open_tables
from tenure.errors import InputError

__all__ = ["STATES", "CustomerStates", "Lifecycle", "LifecycleRules", "customer_states",
           "lifecycle"]

STATES = ("new", "active", "resurrected", "at_risk", "churned", "dormant")
# Models whose P(alive) is 1 for every customer who never bought again (BG/NBD: dropping out
# happens only after a repeat purchase), so it cannot tell which one-time buyers left.
SILENT_MODELS = ("bgnbd",)
BASE_STATES = ("new", "active", "resurrected", "at_risk")  # the active base
GONE_STATES = ("churned", "dormant")


@dataclass(frozen=True)
class LifecycleRules:
    """How lifecycle states are judged, as the user asks for them. Every value left None
    comes from the workspace settings (``lifecycle.*``); :class:`Thresholds` holds the
    values a run checked and used.

    - ``at_risk_days``, ``churned_days``: days without a purchase after which a customer is
      at risk, churned (0: learned from each customer's rhythm);
    - ``at_risk_multiple``, ``churned_multiple``: those thresholds in multiples of each
      customer's typical gap between purchases; ``prior_gaps``: the weight of the business's
      typical gap in each customer's rhythm;
    - ``alive_from``: ``auto`` (value-model scores when they fit the period), ``rhythm`` or
      ``scores``; ``model``: whose scores, when several models scored;
    - ``at_risk_p_alive``, ``churned_p_alive``: the P(alive) below which a scored customer is
      at risk, churned.

    >>> LifecycleRules(churned_multiple=6).churned_multiple
    6
    """

    at_risk_days: float | None = None
    churned_days: float | None = None
    at_risk_multiple: float | None = None
    churned_multiple: float | None = None
    prior_gaps: float | None = None
    alive_from: Literal["auto", "rhythm", "scores"] = "auto"
    model: str | None = None
    at_risk_p_alive: float | None = None
    churned_p_alive: float | None = None


@dataclass(frozen=True)
class Thresholds:
    """How states are judged (the checked options of one run)."""

    at_risk_days: float  # 0: learned from each customer's rhythm
    churned_days: float
    at_risk_multiple: float
    churned_multiple: float
    prior_gaps: float
    alive_from: Literal["rhythm", "scores"]
    at_risk_p_alive: float
    churned_p_alive: float
    typical_gap_days: float | None  # the business's rhythm, when learned
    scores_as_of: dt.date | None = None
    set_aside: str | None = None  # the model whose scores alive_from="auto" did not use
    unused: str | None = None  # why stored scores were not used, when they were not

    def describe(self) -> str:
        if self.at_risk_days and self.churned_days:
            text = (f"at risk after {self.at_risk_days:g} days without a purchase, churned "
                    f"after {self.churned_days:g}")
        else:
            text = (f"at risk after {self.at_risk_multiple:g}x and churned after "
                    f"{self.churned_multiple:g}x each customer's rhythm (the business's "
                    f"typical gap is {self.typical_gap_days:.0f} days)")
        if self.alive_from == "scores":
            text += (f"; the latest period judged by P(alive) as of {self.scores_as_of} "
                     f"(at risk below {self.at_risk_p_alive:g}, churned below "
                     f"{self.churned_p_alive:g})")
        elif self.unused:
            text += "; " + self.unused
        if self.set_aside:
            text += (f"; the {self.set_aside} scores were not used: that model keeps every "
                     "customer who never bought again alive (P(alive) = 1); score with pnbd "
                     "or mbgnbd, or pass alive_from='scores' to use them anyway")
        return text


@dataclass(frozen=True)
class Lifecycle(Result):
    """Customers per state per period, and the moves between consecutive periods.

    ``frame``: period (first day), [by], state, customers; every period from the first
    purchase (or ``start``) to ``as_of`` and every state appear, zeros included.
    ``transitions``: period (the later of the two), [by], from_state, to_state, customers.
    """

    frame: pd.DataFrame
    transitions: pd.DataFrame
    period: Period
    by: str | None
    as_of: dt.date
    thresholds: Thresholds

    def counts(self) -> pd.DataFrame:
        """Periods down, states across."""
        keys = ["period", *([self.by] if self.by else [])]
        table = self.frame.pivot_table(index=keys, columns="state", values="customers",
                                       aggfunc="sum", fill_value=0)
        return table.reindex(columns=list(STATES), fill_value=0).reset_index()

    def matrix(self, long: bool = False) -> pd.DataFrame:
        """Moves between consecutive periods summed over the periods shown: counts and the
        share of each from-state going to each to-state."""
        moves = self.transitions.groupby(["from_state", "to_state"], as_index=False)[
            "customers"].sum()
        moves["share"] = moves["customers"] / moves.groupby("from_state")[
            "customers"].transform("sum")
        if long:
            return moves
        table = moves.pivot(index="from_state", columns="to_state", values="share")
        order = [s for s in STATES if s in table.index]
        return table.reindex(index=order, columns=list(STATES)).fillna(0.0)

    def chart(self):
        """Gains above and losses below the axis, per period (the lifecycle flow)."""
        return _charts.lifecycle_flow(self)

    def transition_chart(self):
        return _charts.transition_heatmap(self)

    @property
    def headline(self) -> dict[str, Any]:
        """Customers in each state in the last period (over every group)."""
        last = self.frame[self.frame["period"] == self.frame["period"].max()]
        total = last.groupby("state")["customers"].sum()
        return {"as_of": self.as_of, **{s: int(total.get(s, 0)) for s in STATES}}

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"transitions": self.transitions}

    def lines(self) -> list[str]:
        last = self.frame[self.frame["period"] == self.frame["period"].max()]
        total = last.groupby("state")["customers"].sum()
        parts = [f"{total.get(s, 0):,} {s.replace('_', ' ')}" for s in STATES]
        return [f"As of {self.as_of}: " + ", ".join(parts),
                "Thresholds: " + self.thresholds.describe()]

    def view(self) -> pd.DataFrame:
        table = self.counts()
        table["period"] = table["period"].dt.strftime("%Y-%m-%d")
        return table


@dataclass(frozen=True)
class CustomerStates(Result):
    """Each customer's state in the period holding ``as_of``.

    ``frame``: customer_id, [by], state, last_purchase, days_since, at_risk_after and
    churned_after (the customer's thresholds in days) and p_alive (with scores).
    """

    frame: pd.DataFrame
    period: Period
    by: str | None
    as_of: dt.date
    thresholds: Thresholds

    def chart(self):
        counts = self.frame.groupby("state", as_index=False).size().rename(
            columns={"size": "customers"})
        return _charts.bars(counts, "customers", "state", title=f"States as of {self.as_of}",
                            sort=list(STATES))

    @property
    def headline(self) -> dict[str, Any]:
        counts = self.frame["state"].value_counts()
        return {"as_of": self.as_of, **{s: int(counts.get(s, 0)) for s in STATES}}

    def lines(self) -> list[str]:
        counts = self.frame["state"].value_counts()
        return [f"As of {self.as_of}: " + ", ".join(
            f"{counts.get(s, 0):,} {s.replace('_', ' ')}" for s in STATES)]


@dataclass(frozen=True)
class _Plan:
    """What one lifecycle query needs: options, window and the numbers of the periods."""

    window: Window
    as_of: dt.date
    last: int  # number of the period holding as_of
    thresholds: Thresholds
    last_order: dt.date  # the day of the latest order


def lifecycle(
    data: Any,
    *,
    period: Period = "month",
    by: str | None = None,
    start: Any = None,
    end: Any = None,
    timezone: str | None = None,
    rules: LifecycleRules | None = None,
) -> Lifecycle:
    """Customers per lifecycle state per period, and the transition counts.

    ``start`` and ``end`` bound the periods shown (history before ``start`` still decides
    the states); ``end`` defaults to the day of the latest order. Threshold options left
    out of ``rules`` (:class:`LifecycleRules`) come from the workspace settings
    (``lifecycle.*``). Its ``alive_from="auto"`` uses the value-model scores when they exist
    and were made in the latest period.

    >>> import tenure
    >>> from tenure.analytics import lifecycle
    >>> result = lifecycle(tenure.datasets.load_cdnow(kind="sample"), period="quarter")
    >>> last = result.counts().iloc[-1]
    >>> [int(last[state]) for state in ("new", "active", "churned", "dormant")]
    [0, 497, 74, 1524]
    """
    tables, plan, segments = prepare(data, period=period, by=by, start=start, end=end,
                                     timezone=timezone, rules=rules)
    # The counting reads the kinds of segment once per run of state: computed once.
    kinds = tables.keep(segment_kinds(segments))
    raw = tables.run(_counting_query(kinds, plan))
    frame, transitions = _shape(raw, plan)
    return Lifecycle(frame, transitions, plan.window.period, plan.window.by, plan.as_of,
                     plan.thresholds)


def customer_states(
    data: Any,
    *,
    period: Period = "month",
    by: str | None = None,
    end: Any = None,
    timezone: str | None = None,
    rules: LifecycleRules | None = None,
) -> CustomerStates:
    """Each customer's lifecycle state as of ``end`` (default: the latest order's day),
    judged exactly as :func:`lifecycle` judges the last period."""
    tables, plan, segments = prepare(data, period=period, by=by, start=None, end=end,
                                     timezone=timezone, rules=rules)
    frame = tables.run(current_states(segments, plan).order_by("customer_id"))
    if plan.thresholds.alive_from != "scores":
        frame = frame.drop(columns="p_alive")
    return CustomerStates(name_group(frame, plan.window.by), plan.window.period,
                          plan.window.by, plan.as_of, plan.thresholds)


def current_states(segments: ir.Table, plan: _Plan) -> ir.Table:
    """Each customer's state in the last period, with what it was judged from."""
    current = segments.filter(segments.following == plan.last + 1)
    return current.select(
        "customer_id", GROUP, state=state_at(current, ibis.literal(plan.last), plan.last),
        last_purchase=current.last_day,
        days_since=days_between(ibis.literal(plan.as_of), current.last_day),
        at_risk_after=current.at_risk_after, churned_after=current.churned_after,
        p_alive=current.p_alive)


# -- options --------------------------------------------------------------------------------
def prepare(data: Any, *, period: Any, by: str | None, start: Any, end: Any,
            timezone: str | None, rules: LifecycleRules | None = None):
    """The tables, the plan and the segments expression of a lifecycle run."""
    window = check_window(period, by, start, end)
    rules = rules or LifecycleRules()
    if not isinstance(rules, LifecycleRules):
        raise InputError(f"rules should be a LifecycleRules, not a {type(rules).__name__}; "
                         "write rules=LifecycleRules(at_risk_days=30)")
    alive_from, model = rules.alive_from, rules.model
    if alive_from not in ("auto", "rhythm", "scores"):
        raise InputError(f"alive_from='{alive_from}' is not known; use auto, rhythm or scores")
    tables = open_tables(data, "orders", timezone=timezone)
    table = orders(tables, "the lifecycle")
    as_of = observation_end(tables, table, "ordered_at", window)
    last = index_of(as_of, window.period)
    options = _options(tables, rules)
    alive_cuts = _alive_cuts(tables, rules.at_risk_p_alive, rules.churned_p_alive)
    scores = set_aside = None
    unused = None
    if alive_from != "rhythm":
        # Scores as of the day after the end see every order up to it (as `tenure score`
        # makes them by default): they describe the end of the last period too. Of the
        # stored dates, the latest up to that day is taken, if it lies in the last period.
        next_day = as_of + dt.timedelta(days=1)
        found = tables.scores(model, until=next_day)
        usable = found is not None and found.as_of is not None and (
            index_of(found.as_of, window.period) == last or found.as_of == next_day)
        if found is not None and not usable:
            unused = (f"the {found.model} scores were not used: they are as of "
                      f"{found.dates()}, none in the {window.period} holding {as_of} or on "
                      f"the day after it; score with `tenure score --as-of {next_day}`")
        if alive_from == "scores" and not usable:
            when = f"are as of {found.dates()}" if found else "do not exist"
            raise InputError(f"alive_from='scores' needs value-model scores made in the "
                             f"period holding {as_of} or on the day after it; the scores "
                             f"{when}; score the customers first or use alive_from='rhythm'")
        if usable and alive_from == "auto" and found.model in SILENT_MODELS:
            # Measured on the simulator: one-time buyers kept alive for ever make the
            # states and the early-repeat effect far worse than the rhythm does.
            usable, set_aside = False, found.model
        scores = found if usable else None
    last_order = last_order_day(tables, table, as_of, window)
    # Each customer's purchase periods, with what came before and after each.
    rows = activity(tables, window.period, as_of, last_order)
    periods = rows.filter(rows.bought_days > 0)
    typical = None
    if not (options["at_risk_days"] and options["churned_days"]):
        typical = _typical_gap(tables, periods)
    thresholds = Thresholds(
        **options, alive_from="scores" if scores else "rhythm",
        **alive_cuts,
        typical_gap_days=typical, scores_as_of=scores.as_of if scores else None,
        set_aside=set_aside, unused=unused)
    plan = _Plan(window, as_of, last, thresholds, last_order)
    groups = customer_groups(tables, window.by, as_of, primary=tables.given.get("orders"))
    segments = _segments(periods, groups, plan, scores.table if scores else None)
    return tables, plan, segments


def _alive_cuts(tables: Tables, at_risk_p_alive, churned_p_alive) -> dict[str, float]:
    cuts = {name: check_number(setting(tables, value, f"lifecycle.{name}"), name, high=1,
                               strict=False)
            for name, value in (("at_risk_p_alive", at_risk_p_alive),
                                ("churned_p_alive", churned_p_alive))}
    if cuts["churned_p_alive"] > cuts["at_risk_p_alive"]:
        raise InputError(f"churned_p_alive={cuts['churned_p_alive']:g} must not be above "
                         f"at_risk_p_alive={cuts['at_risk_p_alive']:g}: a customer is at "
                         "risk before churning")
    return cuts


def _options(tables: Tables, rules: LifecycleRules) -> dict[str, float]:
    out = {
        name: check_number(setting(tables, getattr(rules, name), f"lifecycle.{name}"), name,
                           strict=strict)
        for name, strict in (("at_risk_days", False), ("churned_days", False),
                             ("at_risk_multiple", True), ("churned_multiple", True),
                             ("prior_gaps", False))
    }
    fixed = out["at_risk_days"] and out["churned_days"]
    if fixed and out["at_risk_days"] >= out["churned_days"]:
        raise InputError(f"at_risk_days={out['at_risk_days']:g} must be below churned_days="
                         f"{out['churned_days']:g}: a customer is at risk before churning")
    if out["at_risk_multiple"] >= out["churned_multiple"]:
        raise InputError(f"at_risk_multiple={out['at_risk_multiple']:g} must be below "
                         f"churned_multiple={out['churned_multiple']:g}")
    return out


def _typical_gap(tables: Tables, periods: ir.Table) -> float:
    """The median, over customers who bought on two days or more, of their mean gap."""
    # A customer's latest purchase period knows their first day and their count of days.
    per = periods.filter(periods.next_day.isnull())
    per = per.mutate(n=per.days_before + per.bought_days)
    per = per.filter(per.n >= 2)
    gap = (days_between(per.last_day, per.first_day).cast("float64") / (per.n - 1)).median()
    value = tables.scalar(gap)
    if value is None or pd.isna(value):
        raise InputError("no customer bought on two different days, so no rhythm can be "
                         "learned; set lifecycle.at_risk_days and lifecycle.churned_days "
                         "(or pass at_risk_days= and churned_days=)")
    return float(value)


# -- the query ------------------------------------------------------------------------------
def _segments(per: ir.Table, groups: ir.Table | None, plan: _Plan,
              scores: ir.Table | None) -> ir.Table:
    """One row per customer and purchase period: the runs of state until the next one.

    Columns: number (the purchase period), last_day, at_risk_from and churned_from (the
    first periods at risk and churned, clipped to after the purchase period), following
    (the next purchase period, or the one after the last), buy_state, next_buy_state,
    end_state (a state set by P(alive) for the last period).
    """
    last, th = plan.last, plan.thresholds
    # Everything below is read from the customer's period row: no ordering of the rows.
    per = per.select(
        "customer_id", "number", "last_day", "first_day", "second_day", "previous_day",
        "previous",
        days_so_far=per.days_before + per.bought_days, days_before=per.days_before,
        following=per.following.fill_null(last + 1))
    per = _judge(per, plan, "", "last_day", "days_so_far", "number")
    # The state in which the purchase period starts: as the segment before it ended.
    per = _judge(per, plan, "before_", "previous_day", "days_before", "previous")
    per = per.mutate(buy_state=ibis.cases(
        (per.previous.isnull(), "new"),
        (per.before_churned_from <= per.number - 1, "resurrected"),
        else_="active"))
    # The next purchase period is never a first one: a win-back if this segment got as far
    # as churned before it.
    per = per.mutate(next_buy_state=ibis.cases(
        (per.following > last, ibis.null("string")),
        (per.churned_from <= per.following - 1, "resurrected"),
        else_="active"))
    per = with_group(per, groups, plan.window.by)
    if scores is None:
        return per.mutate(end_state=ibis.null("string"), p_alive=ibis.null("float64"))
    per = per.left_join(scores, per.customer_id == scores.customer_id).drop(
        "customer_id_right", "clv")
    before = state_at(per, ibis.literal(last - 1), None)
    gone = before.isin(GONE_STATES)
    judged = ibis.cases(
        (per.p_alive >= th.at_risk_p_alive, "active"),
        (per.p_alive >= th.churned_p_alive, "at_risk"),
        (gone, "dormant"),
        else_="churned")
    # Only customers who did not buy in the last period are judged by P(alive).
    override = (per.following == last + 1) & (per.number < last) & per.p_alive.notnull()
    return per.mutate(end_state=ibis.ifelse(override, judged, ibis.null("string")))


def _judge(per: ir.Table, plan: _Plan, prefix: str, last_day: str, bought: str,
           number: str) -> ir.Table:
    """``per`` with the thresholds of a customer whose last purchase was on ``last_day``,
    their ``bought``-th purchase day, in period ``number``: ``at_risk_after`` and
    ``churned_after`` (days), and the first periods at risk and churned, ``at_risk_from``
    and ``churned_from`` (clipped to after that period; after the last one when the day
    comes after as_of), each name starting with ``prefix``.

    Built in steps, each reading the columns of the one before, so that the engine
    computes every intermediate value once per row."""
    period, last, th = plan.window.period, plan.last, plan.thresholds
    day = per[last_day]
    if th.typical_gap_days is not None:
        gaps = (per[bought] - 1).cast("float64")
        span = days_between(day, per.first_day).cast("float64")
        prior, typical = th.prior_gaps, th.typical_gap_days
        rhythm = ibis.ifelse(gaps + prior > 0, (span + prior * typical) / (gaps + prior),
                             typical)
    else:
        rhythm = ibis.literal(1.0)
    per = per.mutate(_rhythm=rhythm, _left=days_between(ibis.literal(plan.as_of), day))
    at_risk = ibis.literal(th.at_risk_days) if th.at_risk_days else \
        th.at_risk_multiple * per._rhythm
    churned = ibis.literal(th.churned_days) if th.churned_days else \
        th.churned_multiple * per._rhythm
    names = {"at_risk": f"{prefix}at_risk_after", "churned": f"{prefix}churned_after"}
    per = per.mutate(**{names["at_risk"]: at_risk, names["churned"]: churned})
    # Days from the last purchase to the first day past each threshold.
    per = per.mutate(_to_at_risk=per[names["at_risk"]].floor().cast("int64") + 1,
                     _to_churned=per[names["churned"]].floor().cast("int64") + 1)

    def first_period(offset: ir.IntegerValue) -> ir.IntegerValue:
        # The period of that day if it comes by as_of.
        return ibis.ifelse(offset <= per._left,
                           index(per[last_day] + offset.as_interval("D"), period), last + 1)

    after = per[number] + 1
    per = per.mutate(**{f"{prefix}at_risk_from": ibis.greatest(first_period(per._to_at_risk),
                                                               after),
                        "_churned": ibis.greatest(first_period(per._to_churned), after)})
    per = per.mutate(**{f"{prefix}churned_from": ibis.greatest(
        per._churned, per[f"{prefix}at_risk_from"])})
    return per.drop("_rhythm", "_left", "_to_at_risk", "_to_churned", "_churned")


def state_at(seg: ir.Table, x: ir.IntegerValue, judged: int | None) -> ir.StringValue:
    """The state of a segment's customer in period ``x`` (number <= x < following); in
    period ``judged`` (the last), P(alive) decides where it was used."""
    cases = []
    if judged is not None and "end_state" in seg.columns:
        cases.append(((x == judged) & seg.end_state.notnull(), seg.end_state))
    cases += [
        (x == seg.number, seg.buy_state),
        (x < seg.at_risk_from, "active"),
        (x < seg.churned_from, "at_risk"),
        (x == seg.churned_from, "churned"),
    ]
    return ibis.cases(*cases, else_="dormant")


def segment_kinds(segments: ir.Table) -> ir.Table:
    """Segments that run alike, counted: all the counting needs, and far fewer rows."""
    return segments.group_by(
        GROUP, "number", "at_risk_from", "churned_from", "following", "buy_state",
        "next_buy_state", "end_state").agg(weight=segments.count())


def _counting_query(kinds: ir.Table, plan: _Plan) -> ir.Table:
    """Runs of constant state and runs of constant moves, as (first, last) period ranges
    weighted by how many customers share them; :func:`_shape` turns them into counts."""
    last = plan.last
    judged = kinds.end_state.notnull()
    # The last period of a segment judged by P(alive) belongs to its own run.
    until_ = ibis.ifelse(judged, ibis.literal(last - 1), ibis.literal(last))
    end = ibis.least(kinds.following - 1, until_)
    runs = [
        ("buy", kinds.buy_state, kinds.number, kinds.number),
        ("active", ibis.literal("active"), kinds.number + 1, kinds.at_risk_from - 1),
        ("at_risk", ibis.literal("at_risk"), kinds.at_risk_from, kinds.churned_from - 1),
        ("churned", ibis.literal("churned"), kinds.churned_from, kinds.churned_from),
        ("dormant", ibis.literal("dormant"), kinds.churned_from + 1, kinds.following - 1),
    ]
    parts = []
    for name, state, first, stop in runs:
        stop = ibis.least(stop, end) if name != "buy" else stop
        parts.append(_run(kinds, state, first, stop, name == "buy"))
    scored = kinds.filter(judged)
    parts.append(_run(scored, scored.end_state, ibis.literal(last), ibis.literal(last), False))
    # Moves into the next segment's purchase period.
    moving = kinds.filter(kinds.following <= last)
    parts.append(moving.select(
        GROUP, kind=ibis.literal("move"),
        from_state=state_at(moving, moving.following - 1, None),
        state=moving.next_buy_state, first=moving.following.cast("int64"),
        stop=moving.following.cast("int64"),
        weight=moving.weight))
    return ibis.union(*parts, distinct=False).group_by(
        "kind", GROUP, "from_state", "state", "first", "stop").agg(
        weight=ibis._.weight.sum())


def _run(kinds: ir.Table, state, first, stop, is_buy: bool) -> ir.Table:
    """A run of ``state`` over periods first..stop: its count, the move into it and the
    moves within it (customers staying in the state)."""
    table = kinds.mutate(_state=state, _first=first.cast("int64"), _stop=stop.cast("int64"))
    table = table.filter(table._first <= table._stop)
    counted = table.select(GROUP, kind=ibis.literal("count"), from_state=ibis.null("string"),
                           state=table._state, first=table._first, stop=table._stop,
                           weight=table.weight)
    if is_buy:
        # Moves into a purchase period are counted from the segment before it.
        return counted
    entering = table.select(GROUP, kind=ibis.literal("move"),
                            from_state=state_at(table, table._first - 1, None),
                            state=table._state, first=table._first, stop=table._first,
                            weight=table.weight)
    staying = table.filter(table._stop > table._first).select(
        GROUP, kind=ibis.literal("move"), from_state=table._state, state=table._state,
        first=table._first + 1, stop=table._stop, weight=table.weight)
    return ibis.union(counted, entering, staying, distinct=False)


# -- shaping the result ---------------------------------------------------------------------
def _shape(raw: pd.DataFrame, plan: _Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts per period from the weighted runs (a run adds its weight from its first
    period to its last), over every period and state, zeros included."""
    window = plan.window
    first = int(raw["first"].min()) if len(raw) else plan.last
    shown_from = first if window.start is None else index_of(window.start, window.period)
    numbers = np.arange(first, plan.last + 1)
    groups = sorted(raw[GROUP].unique()) if len(raw) else []

    def spread(part: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        # +weight at the first period and -weight after the last, then a running sum.
        starts_ = part.groupby([*keys, "first"])["weight"].sum().rename("delta")
        stops = part.assign(first=part["stop"] + 1).groupby([*keys, "first"])["weight"].sum()
        delta = starts_.sub(stops, fill_value=0).rename("delta").reset_index()
        delta = delta.rename(columns={"first": "number"})
        return delta

    counted = raw[raw["kind"] == "count"]
    delta = spread(counted, [GROUP, "state"])
    grid = pd.MultiIndex.from_product([groups, list(STATES), numbers],
                                      names=[GROUP, "state", "number"]).to_frame(index=False)
    frame = grid.merge(delta, how="left", on=[GROUP, "state", "number"])
    frame["delta"] = frame["delta"].fillna(0)
    frame["customers"] = frame.groupby([GROUP, "state"])["delta"].cumsum().round().astype(
        "int64")
    frame = frame[frame["number"] >= shown_from]
    frame["period"] = starts(frame["number"], window.period)
    frame = frame[["period", GROUP, "state", "customers"]].sort_values(
        ["period", GROUP], kind="stable").reset_index(drop=True)

    moves = raw[raw["kind"] == "move"]
    delta = spread(moves, [GROUP, "from_state", "state"])
    keys = [GROUP, "from_state", "state"]
    pairs = delta[keys].drop_duplicates()
    grid = pairs.merge(pd.DataFrame({"number": numbers}), how="cross")
    moved = grid.merge(delta, how="left", on=[*keys, "number"])
    moved["delta"] = moved["delta"].fillna(0)
    moved["customers"] = moved.groupby(keys)["delta"].cumsum().round().astype("int64")
    # A move into period n needs period n - 1 shown too.
    moved = moved[(moved["customers"] > 0) & (moved["number"] > shown_from)]
    moved["period"] = starts(moved["number"], window.period)
    moved = moved.rename(columns={"state": "to_state"})
    transitions = moved[["period", GROUP, "from_state", "to_state", "customers"]].sort_values(
        ["period", GROUP, "from_state", "to_state"], kind="stable").reset_index(drop=True)
    return name_group(frame, window.by), name_group(transitions, window.by)
