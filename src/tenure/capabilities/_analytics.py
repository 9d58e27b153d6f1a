"""The retention analyses as capabilities: ``tenure analyze NAME`` and ``/api/v1/analyze/NAME``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tenure.capabilities._spec import Capability, option

# The periods of tenure.engine (a test keeps the two the same), named here so that declaring
# the analyses loads no engine.
PERIODS = ("day", "week", "month", "quarter")

__all__ = ["ANALYSES"]

_BY = ("Split by a customer attribute: segment, region, acquisition_channel or tier.")


@dataclass(frozen=True)
class AnalysisOptions:
    """The window and split every analysis takes."""

    period: str = option("month", help="day, week, month or quarter.", choices=PERIODS)
    by: str | None = option(None, help=_BY)
    start: dt.date | None = option(None, help="First day looked at (2024-01-31).")
    end: dt.date | None = option(None, help="Last day looked at; defaults to the latest "
                                            "record.")

    def window(self) -> dict:
        return {"period": self.period, "by": self.by, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class CohortOptions(AnalysisOptions):
    compact: bool = option(False, help="Print retention 1, 3, 6 and 12 periods on only, in "
                                       "80 columns; the files written keep every age.")


@dataclass(frozen=True)
class QuarterlyOptions(AnalysisOptions):
    period: str = option("quarter", help="day, week, month or quarter.", choices=PERIODS)


@dataclass(frozen=True)
class ScoredOptions(AnalysisOptions):
    """Analyses that can judge customers by the value models' P(alive) or CLV."""

    model: str | None = option(None, help="Value model whose scores to use when several "
                                          "models scored (pnbd, bgnbd, mbgnbd).")

    def rules(self):
        from tenure.analytics import LifecycleRules

        return LifecycleRules(model=self.model)


@dataclass(frozen=True)
class PrepareOptions:
    period: list[str] = option(list(PERIODS), help="Periods to prepare (repeat the option "
                                                   "or separate with commas).",
                               choices=PERIODS)


def _cohorts(ws, o: CohortOptions, progress):
    import dataclasses

    from tenure import analytics

    result = analytics.cohort_retention(ws, **o.window())
    return dataclasses.replace(result, ages_shown=(1, 3, 6, 12)) if o.compact else result


def _lifecycle(ws, o: ScoredOptions, progress):
    from tenure import analytics

    return analytics.lifecycle(ws, **o.window(), rules=o.rules())


def _growth(ws, o: ScoredOptions, progress):
    from tenure import analytics

    return analytics.net_growth(ws, **o.window(), rules=o.rules())


def _rfm(ws, o: ScoredOptions, progress):
    from tenure import analytics

    return analytics.rfm_segments(ws, **o.window(), model=o.model)


def _loyalty(ws, o: ScoredOptions, progress):
    from tenure import analytics

    return analytics.loyalty_ladder(ws, **o.window(), rules=o.rules())


def _funnel(ws, o: AnalysisOptions, progress):
    from tenure import analytics

    return analytics.funnel(ws, **o.window())


def _referrals(ws, o: AnalysisOptions, progress):
    from tenure import analytics

    return analytics.referral_reach(ws, **o.window())


def _handover(ws, o: QuarterlyOptions, progress):
    from tenure import analytics

    return analytics.handover_impact(ws, **o.window())


def _churn_reasons(ws, o: AnalysisOptions, progress):
    from tenure import analytics

    return analytics.churn_reasons(ws, **o.window())


def _prepare(ws, o: PrepareOptions, progress):
    from tenure import analytics

    return analytics.prepare(ws, periods=o.period, progress=progress)


# The analyses whose every step is an Ibis expression tested equal on DuckDB and Spark.
ON_SPARK = {"cohorts", "lifecycle", "growth", "rfm", "loyalty", "funnel"}


def _analysis(name, summary, options, run, result, example) -> Capability:
    return Capability(f"analyze {name}", summary, options, run, f"tenure.analytics:{result}",
                      example, chart=True, spark=name in ON_SPARK)


ANALYSES: tuple[Capability, ...] = (
    _analysis("cohorts", "Retention of first-purchase cohorts, exact and unbounded, in "
              "customers and revenue.", CohortOptions, _cohorts, "CohortRetention",
              "tenure analyze cohorts --period quarter --csv cohorts.csv"),
    _analysis("lifecycle", "Customers per lifecycle state per period (new, active, "
              "resurrected, at risk, churned, dormant).", ScoredOptions, _lifecycle,
              "Lifecycle", "tenure analyze lifecycle --by segment --chart lifecycle.html"),
    _analysis("growth", "Gained, won back, lost and net change of the active base per "
              "period, with the quick ratio.", ScoredOptions, _growth, "NetGrowth",
              "tenure analyze growth --period quarter"),
    _analysis("rfm", "RFM scores and segments, relationship classes, revenue concentration "
              "and super users.", ScoredOptions, _rfm, "RfmSegments",
              "tenure analyze rfm --csv rfm.csv"),
    _analysis("loyalty", "The loyalty ladder and the early-repeat effect.", ScoredOptions,
              _loyalty, "LoyaltyLadder",
              "tenure analyze loyalty --by acquisition_channel"),
    _analysis("funnel", "Lead funnel: conversion, leakage, time in stage and lost reasons.",
              AnalysisOptions, _funnel, "Funnel", "tenure analyze funnel --by source"),
    _analysis("referrals", "Referral reach and viral coefficient per channel or account.",
              AnalysisOptions, _referrals, "ReferralReach",
              "tenure analyze referrals --json reach.json"),
    _analysis("handover", "Churn and spend after an owner change, against matched "
              "customers.", QuarterlyOptions, _handover, "HandoverImpact",
              "tenure analyze handover --by segment"),
    _analysis("churn-reasons", "Churn reasons by code and side, their trend and the value "
              "they took.", AnalysisOptions, _churn_reasons, "ChurnReasons",
              "tenure analyze churn-reasons --period quarter"),
    Capability("analyze prepare", "Build the tables the analyses share (customer activity "
               "per period, the customer summary) where the orders changed, so that the "
               "next analyses start at once.", PrepareOptions, _prepare,
               "tenure.analytics:Prepared", "tenure analyze prepare --period month",
               writes=True),
)
