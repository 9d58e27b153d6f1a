"""The survival view: Kaplan-Meier retention curves by group, and a Cox model's hazard
ratios for the interpretable drivers (lifelines).

Non-contractual: a customer's lifetime runs from their first to their last purchase day; it
has ended (churned) when the data goes on for at least the horizon after the last purchase,
and is still running (censored) otherwise. Contractual: a membership runs from its start to
its end; one without an end is still running.

The Cox model starts from a snapshot: every customer counted at its as-of date, their
features then, and the days their lifetime went on after it (to the last purchase before a
silence of the horizon, or the end of the membership held; a customer who never bought again
ends on day 0). Kaplan & Meier (1958),
"Nonparametric estimation from incomplete observations"; Cox (1972), "Regression models and
life-tables".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from tenure.churn._dates import as_of_date, data_span
from tenure.churn._definition import ChurnDefinition
from tenure.churn._features import FeatureContext
from tenure.churn._membership import NO_TIER
from tenure.churn._relationship import UNKNOWN
from tenure.churn._snapshot import resolve_definition, take_snapshot
from tenure.errors import ConfigError
from tenure.progress import Progress, steps_of
from tenure.results import Result

__all__ = ["COVARIATES", "GROUPINGS", "SurvivalResult", "survival"]

GROUPINGS = ("segment", "membership_tier", "acquisition_channel")
# Fewer customers or ended lifetimes than this say too little for hazard ratios.
MIN_COX_CUSTOMERS = 50
MIN_COX_EVENTS = 10


@dataclass(frozen=True)
class Covariate:
    """An interpretable driver for the Cox model, computed from snapshot columns."""

    name: str
    description: str
    needs: tuple[str, ...]

    def values(self, frame: pd.DataFrame) -> pd.Series:
        f = frame
        rules = {
            "purchase_days_log2": lambda: np.log2(f["purchase_days"].clip(lower=1)),
            "days_since_last_purchase_per_30": lambda: f["days_since_last_purchase"] / 30,
            "spend_per_purchase_log2": lambda: np.log2(f["average_spend"].clip(lower=1)),
            "refunded": lambda: f["refunds"] > 0,
            "low_csat_90d": lambda: f["low_csat_90d"] > 0,
            "open_ticket": lambda: f["open_tickets"] > 0,
            "answered_contact_90d": lambda: f["contacts_answered_90d"] > 0,
            "opted_out_somewhere": lambda: f["channels_opted_out"] > 0,
            "member": lambda: f["membership_tier"].astype(str) != NO_TIER,
            "new_owner_90d": lambda: f["days_since_owner_change"].fillna(np.inf) <= 90,
            "referred_someone": lambda: f["referrals_made"] > 0,
        }
        return rules[self.name]().astype(float)


COVARIATES = (
    Covariate("purchase_days_log2", "each doubling of purchase days", ("purchase_days",)),
    Covariate("days_since_last_purchase_per_30", "each 30 days since the last purchase",
              ("days_since_last_purchase",)),
    Covariate("spend_per_purchase_log2", "each doubling of spend per purchase day",
              ("average_spend",)),
    Covariate("refunded", "had a refund", ("refunds",)),
    Covariate("low_csat_90d", "scored support 1 or 2 in the last 90 days", ("low_csat_90d",)),
    Covariate("open_ticket", "has a support ticket open", ("open_tickets",)),
    Covariate("answered_contact_90d", "responded to a contact in the last 90 days",
              ("contacts_answered_90d",)),
    Covariate("opted_out_somewhere", "opted out of a contact channel", ("channels_opted_out",)),
    Covariate("member", "holds a membership", ("membership_tier",)),
    Covariate("new_owner_90d", "handed to a new owner in the last 90 days",
              ("days_since_owner_change",)),
    Covariate("referred_someone", "has referred a customer", ("referrals_made",)),
)


@dataclass(frozen=True)
class SurvivalResult(Result):
    """Retention curves and hazard ratios.

    - ``curves``: by (segment, membership_tier or acquisition_channel), group, day, retained
      (the Kaplan-Meier estimate), lower and upper (its 95% interval) and at_risk.
    - ``groups``: by, group, customers, churned and median_days (blank while more than half
      are retained).
    - ``hazard_ratios``: covariate, description, hazard_ratio, lower, upper (95% interval) and
      p; above 1 a driver of churn, below 1 a driver of staying. Segments and channels are
      compared with their largest group. Empty, with ``cox_note`` saying why, when the
      snapshot is too small.
    """

    definition: ChurnDefinition
    observed_until: dt.date
    cox_as_of: dt.date
    curves: pd.DataFrame
    groups: pd.DataFrame
    hazard_ratios: pd.DataFrame
    cox_customers: int
    cox_churned: int
    cox_note: str = ""

    @property
    def frame(self) -> pd.DataFrame:
        return self.curves

    @property
    def headline(self) -> dict[str, Any]:
        return {"observed_until": self.observed_until, "customers": int(
            self.groups.groupby("by")["customers"].sum().max()) if len(self.groups) else 0,
                "cox_as_of": self.cox_as_of, "cox_customers": self.cox_customers,
                "cox_churned": self.cox_churned}

    def lines(self) -> list[str]:
        said = [self.definition.describe(),
                f"retention observed until {self.observed_until.isoformat()}",
                f"Cox model from the snapshot at {self.cox_as_of.isoformat()} "
                f"({self.cox_customers:,} customers, {self.cox_churned:,} churned later)"]
        if self.cox_note:
            said.append(self.cox_note)
        return said

    def view(self) -> pd.DataFrame:
        return self.groups

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        shown = [("Retention by group", self.groups)]
        if not self.cox_note:
            shown.append(("Hazard ratios", self.hazard_ratios[
                ["description", "hazard_ratio", "lower", "upper", "p"]]))
        return shown

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"hazard_ratios": self.hazard_ratios, "curves": self.curves}

    def summary(self) -> str:
        hr = self.hazard_ratios[["description", "hazard_ratio", "lower", "upper", "p"]]
        return "\n".join([
            self.definition.describe(),
            f"retention observed until {self.observed_until.isoformat()}",
            self.groups.to_string(index=False, float_format=lambda v: f"{v:,.0f}"), "",
            f"Cox model from the snapshot at {self.cox_as_of.isoformat()} "
            f"({self.cox_customers:,} customers, {self.cox_churned:,} churned later)",
            self.cox_note or hr.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
        ])

    def __str__(self) -> str:
        return self.summary()

    def chart(self):
        """Retention curves per grouping and the hazard ratios with their intervals."""
        from tenure.charts._churn import survival_chart

        return survival_chart(self)


def _lifetimes(workspace, definition: ChurnDefinition, end: dt.date) -> pd.DataFrame:
    """customer_id, days, churned and the three groupings, one row per lifetime."""
    cutoff = ibis.timestamp(dt.datetime.combine(end, dt.time()))
    customers = workspace.table("customers").select(
        "customer_id", segment=ibis._.segment.fill_null(UNKNOWN),
        acquisition_channel=ibis._.acquisition_channel.fill_null(UNKNOWN))
    m = workspace.table("memberships")
    m = m.filter(m.started_at < cutoff)
    h = definition.horizon_days
    if definition.kind == "contractual":
        ended = m.ended_at.notnull() & (m.ended_at < cutoff)
        lives = m.select(
            "customer_id", membership_tier=m.tier, churned=ended,
            days=ibis.ifelse(ended, m.ended_at.date(), ibis.date(end)).delta(
                m.started_at.date(), unit="day"))
    else:
        o = workspace.table("orders")
        o = o.filter((o.amount > 0) & (o.ordered_at < cutoff))
        lives = o.group_by("customer_id").aggregate(first=o.ordered_at.min().date(),
                                                    last=o.ordered_at.max().date())
        lives = lives.select(
            "customer_id", days=lives.last.delta(lives.first, unit="day"),
            churned=ibis.date(end).delta(lives.last, unit="day") >= h)
        first_tier = m.mutate(rank=ibis.row_number().over(group_by="customer_id",
                                                          order_by="started_at"))
        first_tier = first_tier.filter(first_tier["rank"] == 0).select(
            "customer_id", membership_tier=first_tier.tier)
        lives = lives.left_join(first_tier, "customer_id").select(
            lives, membership_tier=first_tier.membership_tier.fill_null(NO_TIER))
    lives = lives.left_join(customers, "customer_id").select(
        lives, segment=customers.segment.fill_null(UNKNOWN),
        acquisition_channel=customers.acquisition_channel.fill_null(UNKNOWN))
    return lives.order_by("customer_id").to_pyarrow().to_pandas()


def _kaplan_meier(lives: pd.DataFrame, by: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    from lifelines import KaplanMeierFitter

    curves, groups = [], []
    for grouping in by:
        for group, rows in lives.groupby(grouping, sort=True):
            fitter = KaplanMeierFitter().fit(rows["days"], rows["churned"], label="retained")
            curve = fitter.survival_function_.join(fitter.confidence_interval_)
            curve.columns = ["retained", "lower", "upper"]
            table = fitter.event_table
            curve["at_risk"] = table["at_risk"].reindex(curve.index).to_numpy()
            curves.append(curve.rename_axis("day").reset_index().assign(by=grouping,
                                                                       group=str(group)))
            median = fitter.median_survival_time_
            groups.append({"by": grouping, "group": str(group), "customers": len(rows),
                           "churned": int(rows["churned"].sum()),
                           "median_days": float(median) if np.isfinite(median) else np.nan})
    curves_frame = pd.concat(curves, ignore_index=True)
    return (curves_frame[["by", "group", "day", "retained", "lower", "upper", "at_risk"]],
            pd.DataFrame(groups))


def _declared(workspace, definition: ChurnDefinition, as_of: dt.date, end: dt.date
              ) -> pd.DataFrame:
    """customer_id, days the lifetime went on after ``as_of``, and whether it ended."""
    cutoff = ibis.timestamp(dt.datetime.combine(end, dt.time()))
    h = definition.horizon_days
    if definition.kind == "contractual":
        follow = ibis.date(end).delta(ibis.date(as_of), unit="day")
        ctx = FeatureContext(workspace, as_of, definition)
        held = ctx.before("memberships")
        held = held.filter(held.ended_at.isnull()).select("customer_id", "started_at")
        m = workspace.table("memberships")
        ends = held.join(m, ["customer_id", "started_at"]).select(
            "customer_id", ended_at=m.ended_at)
        ended = ends.ended_at.notnull() & (ends.ended_at < cutoff)
        ends = ends.select("customer_id", churned=ended,
                           days=ibis.ifelse(ended, ends.ended_at.date().delta(
                               ibis.date(as_of), unit="day"), follow))
        return ends.group_by("customer_id").aggregate(
            churned=ends.churned.all(), days=ends.days.max()).to_pyarrow().to_pandas()
    o = workspace.table("orders")
    start = ibis.timestamp(dt.datetime.combine(as_of - dt.timedelta(days=h), dt.time()))
    o = o.filter((o.amount > 0) & (o.ordered_at >= start) & (o.ordered_at < cutoff))
    days = o.select("customer_id", day=o.ordered_at.date()).distinct()
    after = days.day.lead().over(ibis.window(group_by="customer_id", order_by="day"))
    days = days.mutate(next_day=after)
    silent = ibis.ifelse(days.next_day.isnull(), ibis.date(end), days.next_day).delta(
        days.day, unit="day") >= h
    per = days.group_by("customer_id").aggregate(gone=days.day.min(where=silent),
                                                 last=days.day.max())
    # The lifetime ends on the last purchase before the first silence of the horizon; a
    # customer still buying is followed up to their latest purchase.
    ended = per.gone.notnull()
    result = per.select(
        "customer_id", churned=ended,
        days=ibis.ifelse(ended, per.gone, per.last).delta(ibis.date(as_of), unit="day")
        .clip(lower=0))
    return result.to_pyarrow().to_pandas()


def _cox(snapshot_frame: pd.DataFrame, declared: pd.DataFrame) -> pd.DataFrame:
    from lifelines import CoxPHFitter

    data = snapshot_frame.merge(declared, on="customer_id", how="inner")
    columns = {}
    labels = {}
    for covariate in COVARIATES:
        if all(n in data.columns for n in covariate.needs):
            values = covariate.values(data)
            if values.nunique() > 1:
                columns[covariate.name] = values.to_numpy()
                labels[covariate.name] = covariate.description
    for name in ("segment", "acquisition_channel"):
        levels = data[name].astype(str)
        counts = levels.value_counts()
        reference = counts.index[0]
        for level in counts.index[1:]:
            if counts[level] >= 30:
                key = f"{name}={level}"
                columns[key] = (levels == level).to_numpy(dtype=float)
                labels[key] = f"{name.replace('_', ' ')} {level} (against {reference})"
    design = pd.DataFrame(columns)
    design["days"] = data["days"].to_numpy(dtype=float)
    design["churned"] = data["churned"].to_numpy(dtype=bool)
    fitter = CoxPHFitter(penalizer=0.01).fit(design, "days", "churned")
    s = fitter.summary
    return pd.DataFrame({
        "covariate": s.index.to_numpy(),
        "description": [labels[c] for c in s.index],
        "hazard_ratio": s["exp(coef)"].to_numpy(),
        "lower": s["exp(coef) lower 95%"].to_numpy(),
        "upper": s["exp(coef) upper 95%"].to_numpy(),
        "p": s["p"].to_numpy(),
    })


def survival(workspace, as_of=None, horizon=None, *, definition=None, cox_as_of=None,
             by: Sequence[str] = GROUPINGS, progress: Progress = None) -> SurvivalResult:
    """Kaplan-Meier retention curves by ``by`` and a Cox model's hazard ratios.

    ``as_of`` ends the observation (the day after the last record by default). The Cox model
    starts from the snapshot at ``cox_as_of`` (by default two horizons before the end, or one
    when the data is shorter) and follows its customers to the end.
    """
    span = data_span(workspace)
    end = as_of_date(as_of) if as_of is not None else span.end
    definition = resolve_definition(workspace, definition, horizon)
    unknown = [b for b in by if b not in GROUPINGS]
    if unknown:
        raise ConfigError(f"cannot group retention by {', '.join(unknown)}; choose from "
                          f"{', '.join(GROUPINGS)}")
    h = dt.timedelta(days=definition.horizon_days)
    if cox_as_of is None:
        cox = end - 2 * h if end - 2 * h > span.first else end - h
    else:
        cox = as_of_date(cox_as_of)
    span.check_start(cox)
    if cox >= end:
        raise ConfigError(f"the Cox snapshot at {cox.isoformat()} leaves no time to follow its "
                          f"customers before {end.isoformat()}; choose an earlier cox_as_of")
    with steps_of(progress, 4) as step:
        step("lifetimes")
        lives = _lifetimes(workspace, definition, end)
        step("Kaplan-Meier curves")
        curves, groups = _kaplan_meier(lives, by)
        step(f"snapshot at {cox.isoformat()}")
        snap = take_snapshot(workspace, cox, definition, None, labelled=False)
        declared = _declared(workspace, definition, cox, end)
        step("Cox model")
        followed = declared[declared["customer_id"].isin(snap.frame["customer_id"])]
        churned = int(followed["churned"].sum())
        note = ""
        if len(followed) < MIN_COX_CUSTOMERS or churned < MIN_COX_EVENTS:
            note = (f"too few customers for a Cox model: {len(followed):,} counted at "
                    f"{cox.isoformat()} and {churned:,} churned (at least {MIN_COX_CUSTOMERS} "
                    f"and {MIN_COX_EVENTS} are needed); choose another cox_as_of")
            ratios = pd.DataFrame(columns=["covariate", "description", "hazard_ratio", "lower",
                                           "upper", "p"])
        else:
            ratios = _cox(snap.frame, declared)
    return SurvivalResult(definition, end, cox, curves, groups, ratios, len(followed), churned,
                          note)
