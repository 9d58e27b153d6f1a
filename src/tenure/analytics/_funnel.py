"""The lead funnel: how leads move through the stages to a won customer.

The stages come from ``funnel.stages`` (in order, the last one the win) and a lead's lost
row has the stage ``funnel.lost_stage``; stage names are compared without case. A lead has
reached a stage when it entered that stage or any later one (leads may skip stages). Per
stage the funnel gives the leads that reached it, their share of all leads, the conversion
to the next stage and its complement (leakage), the leads lost and still open there, and
the median and 90th percentile of the days leads took to move on from it. Lost reasons are
counted by the stage the lead had reached. Leads belong to the period they entered the
funnel, and ``start``/``end`` pick leads by that date.

>>> import pandas as pd
>>> from tenure.analytics import funnel
>>> leads = pd.DataFrame({"lead_id": ["a", "a", "b"], "stage": ["ML", "won", "ML"],
...                       "entered_at": pd.to_datetime(["2024-01-01", "2024-01-11",
...                                                     "2024-01-02"])})
>>> funnel(leads).lead_to_customer
0.5
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
    CUSTOMER_ATTRIBUTES,
    GROUP,
    Result,
    check_window,
    customer_groups,
    name_group,
    observation_end,
    safe_ratio,
    until,
    with_group,
)
from tenure.charts import _analytics as _charts
from tenure.engine._periods import Period, index, starts
from tenure.engine._tables import open_tables
from tenure.errors import InputError

__all__ = ["Funnel", "funnel"]

PROGRESS_RECIPE = 1  # the version of the stored lead progress (see _per_lead)
LEAD_ATTRIBUTES = {"source": "source", "owner": "owner_id", "owner_id": "owner_id"}
_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Funnel(Result):
    """Stage-to-stage conversion of leads.

    ``frame``: [by], stage, reached, share_of_leads, conversion (to the next stage),
    leakage, lost (lost after reaching this stage and no further), open (still here),
    median_days and p90_days (to move on). ``lost_reasons``: [by], stage, lost_reason,
    leads, share (of the leads lost at that stage). ``by_period``: period, [by], leads, won,
    lead_to_customer.
    """

    frame: pd.DataFrame
    lost_reasons: pd.DataFrame
    by_period: pd.DataFrame
    stages: tuple[str, ...]
    lead_to_customer: float
    leads: int
    period: Period
    by: str | None
    as_of: dt.date

    def chart(self):
        return _charts.funnel(self.frame, self.by)

    @property
    def headline(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "leads": self.leads,
                "lead_to_customer": self.lead_to_customer, "won_stage": self.stages[-1]}

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"lost_reasons": self.lost_reasons, "by_period": self.by_period}

    def lines(self) -> list[str]:
        lines = [f"{self.leads:,} leads, {self.lead_to_customer:.1%} became customers "
                 f"({self.stages[-1]})"]
        overall = self.frame.groupby("stage", sort=False)[["reached", "lost"]].sum()
        worst = None
        for here, there in zip(self.stages, self.stages[1:], strict=False):
            rate = safe_ratio(overall.loc[there, "reached"], overall.loc[here, "reached"])
            if worst is None or (not np.isnan(rate) and rate < worst[1]):
                worst = (f"{here} to {there}", float(rate))
        if worst is not None:
            lines.append(f"The largest leak is {worst[0]}: {1 - worst[1]:.1%} do not move on")
        return lines


def funnel(
    data: Any,
    *,
    period: Period = "month",
    by: str | None = None,
    start: Any = None,
    end: Any = None,
    timezone: str | None = None,
) -> Funnel:
    """Stage conversion, leakage, time in stage and lost reasons of the leads that entered
    the funnel between ``start`` and ``end``. ``data`` is a Workspace, a leads table or a
    mapping of tables; ``by`` is source, owner_id or a customer attribute (leads that did
    not become customers have none: unknown)."""
    window = check_window(period, by, start, end)
    tables = open_tables(data, "leads", timezone=timezone)
    stages = tuple(tables.config["funnel.stages"])
    lost_stage = tables.config["funnel.lost_stage"]
    leads = _leads(tables, required=True)
    as_of = observation_end(tables, leads, "entered_at", window)
    spelled = _check_stages(tables, leads, stages, lost_stage)
    last = as_of if window.end is None else \
        pd.Timestamp(tables.scalar(leads.entered_at.max())).date()
    if as_of >= last:
        per_lead = _stored_progress(tables, leads, stages, lost_stage, as_of, spelled)
        if window.start is not None:
            per_lead = per_lead.filter(per_lead.entered >= ibis.timestamp(window.start))
        per_lead = _grouped(tables, per_lead, window.by, as_of)
        if window.by is not None:
            per_lead = tables.keep(per_lead)  # read by the counts and the stage times
    else:
        per_lead = _per_lead(leads, stages, lost_stage, as_of, window.start,
                             window.by is not None, spelled)
        # Read by the counts and by the stage times: one pass over the leads' rows.
        per_lead = tables.keep(_grouped(tables, per_lead, window.by, as_of))
    counts = tables.run(_count_query(per_lead, window.period))
    if counts.empty:
        raise InputError(f"no lead entered the funnel between {window.start or 'the start'} "
                         f"and {as_of}; widen start and end")
    durations = tables.run(_duration_query(per_lead, len(stages)))
    frame = _stage_table(counts, durations, stages)
    lost = _lost_reasons(counts, stages)
    by_period = _by_period(counts, len(stages), window.period)
    leads_total = int(counts["leads"].sum())
    won = int(counts.loc[counts["reached"] == len(stages) - 1, "leads"].sum())
    return Funnel(name_group(frame, window.by), name_group(lost, window.by),
                  name_group(by_period, window.by), stages, won / leads_total, leads_total,
                  window.period, window.by, as_of)


def lead_progress(tables) -> ir.Table | None:
    """Every lead's progress over all their rows, as the funnel stores it (None without
    leads)."""
    leads = _leads(tables)
    if leads is None:
        return None
    stages = tuple(tables.config["funnel.stages"])
    lost_stage = tables.config["funnel.lost_stage"]
    spelled = _check_stages(tables, leads, stages, lost_stage)
    last = pd.Timestamp(tables.scalar(leads.entered_at.max())).date()
    return _stored_progress(tables, leads, stages, lost_stage, last, spelled)


def _stored_progress(tables, leads: ir.Table, stages, lost_stage: str, as_of: dt.date,
                     spelled: bool) -> ir.Table:
    """Every lead's progress over all their rows (``as_of`` at or after the latest),
    stored per version of the leads and of the stage settings."""
    return tables.block(
        "lead_progress", ("leads",), recipe=PROGRESS_RECIPE,
        settings=f"stages={'|'.join(stages)};lost={lost_stage}",
        build=lambda: _per_lead(leads, stages, lost_stage, as_of, None, True, spelled))


def _leads(tables, required: bool = False) -> ir.Table | None:
    columns = ["lead_id", "stage", "entered_at"]
    for optional in ("source", "owner_id", "customer_id", "lost_reason"):
        if tables.has_column("leads", optional):
            columns.append(optional)
    if required:
        return tables.table("leads", tuple(columns), why="the funnel")
    return tables.optional("leads", tuple(columns))


def _check_stages(tables, leads: ir.Table, stages, lost_stage) -> bool:
    """Check every stage is a known one (without case); True when each is spelled
    exactly as listed, so that rows can be matched without lowering their case."""
    known = [s.lower() for s in (*stages, lost_stage)]
    found = tables.run(leads.select("stage").distinct())["stage"]
    unknown = sorted({s.lower() for s in found if s is not None} - set(known))
    if unknown:
        raise InputError(f"stage '{unknown[0]}' is not one of {', '.join(stages)} or "
                         f"{lost_stage}; set funnel.stages and funnel.lost_stage to your "
                         "stage names", source="leads", column="stage")
    return set(found) <= {*stages, lost_stage}


def _per_lead(leads: ir.Table, stages, lost_stage: str, as_of: dt.date,
              start: dt.date | None, split: bool, spelled: bool) -> ir.Table:
    """Each lead's first entry, furthest stage, loss and reason, and when it entered each
    stage; with ``split``, its source, owner and customer too (text kept per lead costs,
    so only when a split may need them)."""
    rows = until(leads, "entered_at", as_of)
    if spelled:
        name, names, lost_name = rows.stage, stages, lost_stage
    else:
        name, names, lost_name = rows.stage.lower(), [s.lower() for s in stages], \
            lost_stage.lower()
    number = ibis.cases(*[(name == s, i) for i, s in enumerate(names)],
                        else_=ibis.null("int64"))
    rows = rows.mutate(_number=number, _lost=name == lost_name)
    aggregates = {
        "entered": rows.entered_at.min(),
        "reached": rows._number.max(),
        "lost": rows._lost.any(),
        **{f"at_{i}": rows.entered_at.min(where=rows._number == i) for i in range(len(stages))},
    }
    if "lost_reason" in rows.columns:
        aggregates["lost_reason"] = rows.lost_reason.max(where=rows._lost)
    if "source" in rows.columns and split:
        aggregates["source"] = rows.source.argmin(rows.entered_at)
    if "owner_id" in rows.columns and split:
        aggregates["owner_id"] = rows.owner_id.argmax(rows.entered_at)
    if "customer_id" in rows.columns and split:
        aggregates["customer_id"] = rows.customer_id.max()
    per = rows.group_by("lead_id").agg(**aggregates)
    # A lead with only a lost row was lost at the first stage.
    per = per.mutate(reached=per.reached.fill_null(0))
    if start is not None:
        per = per.filter(per.entered >= ibis.timestamp(start))
    return per


def _grouped(tables, per: ir.Table, by: str | None, as_of: dt.date) -> ir.Table:
    if by is None:
        return per.mutate(**{GROUP: ibis.literal(ALL)})
    column = LEAD_ATTRIBUTES.get(by)
    if column is not None:
        if column not in per.columns:
            raise InputError(f"by='{by}' needs the leads' {column} column, which is missing")
        return per.mutate(**{GROUP: per[column].cast("string").fill_null("unknown")})
    if by not in CUSTOMER_ATTRIBUTES and not tables.has_column("customers", by):
        raise InputError(f"by='{by}' is not a lead or customer attribute; use source, owner_id "
                         f"or one of {', '.join(CUSTOMER_ATTRIBUTES)}")
    if "customer_id" not in per.columns:
        raise InputError(f"by='{by}' needs the leads' customer_id column, which is missing")
    groups = customer_groups(tables, by, as_of)
    return with_group(per, groups, by)


def _count_query(per: ir.Table, period: Period) -> ir.Table:
    reason = per.lost_reason if "lost_reason" in per.columns else ibis.null("string")
    per = per.mutate(cohort=index(per.entered.date(), period), _reason=reason)
    return per.group_by(GROUP, "cohort", "reached", "lost", "_reason").agg(leads=per.count())


def _duration_query(per: ir.Table, count: int) -> ir.Table:
    """Median and 90th percentile of the days from entering each stage to entering the next
    stage the lead reached."""
    parts = []
    for i in range(count - 1):
        later = [per[f"at_{j}"] for j in range(i + 1, count)]
        following = ibis.coalesce(*later) if len(later) > 1 else later[0]
        seconds = following.epoch_seconds() - per[f"at_{i}"].epoch_seconds()
        days = seconds.cast("float64") / _SECONDS_PER_DAY
        moved = per.filter(per[f"at_{i}"].notnull() & following.notnull()).mutate(_days=days)
        parts.append(moved.group_by(GROUP).agg(
            stage=ibis.literal(i), moved=moved.count(), median_days=moved._days.median(),
            p90_days=moved._days.quantile(0.9)))
    if not parts:
        return per.select(GROUP).limit(0)
    return ibis.union(*parts, distinct=False)


def _stage_table(counts: pd.DataFrame, durations: pd.DataFrame, stages) -> pd.DataFrame:
    rows = []
    last = len(stages) - 1
    for group, part in counts.groupby(GROUP):
        total = part["leads"].sum()
        for i, stage in enumerate(stages):
            reached = part.loc[part["reached"] >= i, "leads"].sum()
            here = part[part["reached"] == i]
            rows.append({GROUP: group, "stage": stage, "number": i, "reached": int(reached),
                         "share_of_leads": reached / total,
                         "lost": int(here.loc[here["lost"], "leads"].sum()),
                         "open": int(here.loc[~here["lost"], "leads"].sum()) if i < last else 0})
    frame = pd.DataFrame(rows)
    following = frame.groupby(GROUP)["reached"].shift(-1)
    frame["conversion"] = safe_ratio(following, frame["reached"])
    frame.loc[frame["number"] == last, "conversion"] = np.nan
    frame["leakage"] = 1 - frame["conversion"]
    if len(durations):
        durations = durations.rename(columns={"stage": "number"})
        frame = frame.merge(durations[[GROUP, "number", "median_days", "p90_days"]],
                            how="left", on=[GROUP, "number"])
    else:
        frame["median_days"] = np.nan
        frame["p90_days"] = np.nan
    return frame[[GROUP, "stage", "reached", "share_of_leads", "conversion", "leakage", "lost",
                  "open", "median_days", "p90_days"]]


def _lost_reasons(counts: pd.DataFrame, stages) -> pd.DataFrame:
    lost = counts[counts["lost"]].assign(
        stage=lambda f: [stages[int(i)] for i in f["reached"]],
        lost_reason=lambda f: f["_reason"].fillna("unknown"))
    table = lost.groupby([GROUP, "stage", "lost_reason"], as_index=False)["leads"].sum()
    table["share"] = table["leads"] / table.groupby([GROUP, "stage"])["leads"].transform("sum")
    order = {s: i for i, s in enumerate(stages)}
    table = table.sort_values([GROUP, "stage", "leads"], ascending=[True, True, False],
                              key=lambda s: s.map(order) if s.name == "stage" else s)
    return table.reset_index(drop=True)


def _by_period(counts: pd.DataFrame, count: int, period: Period) -> pd.DataFrame:
    counts = counts.assign(won=np.where(counts["reached"] == count - 1, counts["leads"], 0))
    table = counts.groupby(["cohort", GROUP], as_index=False)[["leads", "won"]].sum()
    table["lead_to_customer"] = table["won"] / table["leads"]
    table.insert(0, "period", starts(table["cohort"], period))
    return table.drop(columns="cohort").sort_values(["period", GROUP]).reset_index(drop=True)
