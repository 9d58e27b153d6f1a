"""``report``: how often the promises were kept, by metric, priority, customer, team and
period; the customers who fared worst; the clocks about to breach; a breach trend chart.

Compliance is the share of decided clocks that met their target: a clock is decided once
it stopped or breached, so a clock still running within its target counts in neither.
The team is the ticket's customer's owner (``owners``) when the ticket opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from tenure.errors import ConfigError
from tenure.progress import Progress
from tenure.results import Result, counted
from tenure.sla._evaluate import evaluate

if TYPE_CHECKING:
    from tenure.workspace import Workspace

__all__ = ["SlaReport", "report"]

PERIODS = ("week", "month", "quarter", "year")

_ROWS = """
    SELECT r.*, coalesce(CASE WHEN o.to_at IS NULL OR r.opened_at < o.to_at THEN o.owner_id
                         END, '(no owner)') AS team,
           CAST(date_trunc('{period}', r.opened_at) AS DATE) AS period
    FROM sla_results r
    ASOF LEFT JOIN owners o ON o.customer_id = r.customer_id AND r.opened_at >= o.from_at
"""

_COUNTS = """
    count(*) AS clocks,
    count(*) FILTER (NOT breached AND NOT running) AS met,
    count(*) FILTER (breached) AS breached,
    count(*) FILTER (running AND NOT breached) AS running,
    round(count(*) FILTER (NOT breached AND NOT running)
          / nullif(count(*) FILTER (breached OR NOT running), 0), 4) AS compliance
"""


@dataclass(frozen=True)
class SlaReport(Result):
    """Compliance as of ``as_of``. ``frame`` is per metric; the other frames break it down
    (columns: the grouping, clocks, met, breached, running, compliance)."""

    as_of: datetime
    period: str
    frame: pd.DataFrame
    by_priority: pd.DataFrame
    by_customer: pd.DataFrame
    by_team: pd.DataFrame
    by_period: pd.DataFrame
    worst_customers: pd.DataFrame
    at_risk: pd.DataFrame

    @property
    def headline(self) -> dict[str, Any]:
        totals = self.frame[["clocks", "met", "breached", "running"]].sum()
        decided = totals["met"] + totals["breached"]
        return {"as_of": self.as_of, "clocks": int(totals["clocks"]), "met": int(totals["met"]),
                "breached": int(totals["breached"]), "running": int(totals["running"]),
                "compliance": float(totals["met"] / decided) if decided else None,
                "at_risk": len(self.at_risk)}

    def lines(self) -> list[str]:
        compliance = self.headline["compliance"]
        return [f"SLA compliance as of {self.as_of:%Y-%m-%d %H:%M}: "
                + (f"{compliance:.1%}" if compliance is not None else "nothing decided yet")
                + " of decided clocks met",
                f"{counted(len(self.at_risk), 'clock')} at risk; `tenure sla evaluate` lists them"]

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"by_priority": self.by_priority, "by_team": self.by_team,
                "by_period": self.by_period, "worst_customers": self.worst_customers,
                "by_customer": self.by_customer, "at_risk": self.at_risk}

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        worst = len(self.worst_customers)
        return [("By metric", self.frame), ("By policy and priority", self.by_priority),
                ("By team (owner when the ticket opened)", self.by_team),
                (f"By {self.period} opened (latest)", self.by_period.tail(24)),
                (f"Worst {worst} customers", self.worst_customers)]

    def chart(self):
        """The breach rate per period and metric, as a Vega-Lite chart (Altair)."""
        from tenure.charts._sla import breach_trend

        return breach_trend(self.by_period, self.period)


def report(workspace: Workspace, as_of: Any = None, *, period: str = "month",
           worst: int = 10, progress: Progress = None) -> SlaReport:
    """Evaluate the clocks as of ``as_of`` and report compliance, worst customers first.

    ``period`` (week, month, quarter or year) groups tickets by when they opened;
    ``worst`` is how many customers to list, most breaches first.
    """
    if period not in PERIODS:
        raise ConfigError(f"period '{period}' is not one of {', '.join(PERIODS)}")
    if worst < 1:
        raise ConfigError(f"worst = {worst} should be at least 1")
    evaluation = evaluate(workspace, as_of, progress=progress)
    con = workspace.connection
    # Each breakdown reads the rows with their team and period, found once. The period
    # is one of PERIODS, checked above.
    con.execute("CREATE OR REPLACE TEMP TABLE _sla_rows AS " + _ROWS.format(period=period))
    try:
        def grouped(columns: str) -> pd.DataFrame:
            return con.execute(f"SELECT {columns}, {_COUNTS} FROM _sla_rows GROUP BY ALL "
                               f"ORDER BY ALL").df()

        by_customer = con.execute(
            f"SELECT customer_id, {_COUNTS} FROM _sla_rows GROUP BY ALL "
            "ORDER BY compliance NULLS LAST, breached DESC, customer_id").df()
        worst_customers = con.execute(f"""
            SELECT customer_id, count(DISTINCT ticket_id) AS tickets, {_COUNTS},
                   round(sum(elapsed_minutes - target_minutes) FILTER (breached), 1)
                       AS minutes_late,
                   round(max(elapsed_minutes / target_minutes), 2) AS worst_ratio,
                   count(*) FILTER (breached AND running) AS open_breaches,
                   max(breached_at) AS last_breach_at
            FROM _sla_rows GROUP BY customer_id HAVING count(*) FILTER (breached) > 0
            ORDER BY breached DESC, minutes_late DESC, customer_id LIMIT $worst
        """, {"worst": worst}).df()
        at_risk = con.execute(
            "SELECT ticket_id, customer_id, team, policy, priority, metric, elapsed_minutes, "
            "remaining_minutes, due_at FROM _sla_rows WHERE at_risk ORDER BY due_at, "
            "ticket_id, metric").df()
        result = SlaReport(
            as_of=evaluation.as_of,
            period=period,
            frame=grouped("metric"),
            by_priority=grouped("policy, priority, metric"),
            by_customer=by_customer,
            by_team=grouped("team, metric"),
            by_period=grouped("period, metric"),
            worst_customers=worst_customers,
            at_risk=at_risk,
        )
    finally:
        con.execute("DROP TABLE IF EXISTS _sla_rows")
    return result
