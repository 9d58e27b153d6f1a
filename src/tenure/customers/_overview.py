"""The state of the customer base at a glance, each figure with its trend.

Per period (a month by default), for the last ``periods`` periods:

- ``active_customers``: the active base at the end of the period, and its ``new``,
  ``won_back`` and ``lost`` customers, ``net_change`` and ``quick_ratio`` ((new + won
  back) / lost), as :func:`tenure.analytics.net_growth` counts them;
- ``retention``: the share of the base at the start of the period still active at its end
  (1 - lost / active base at the start);
- ``top_revenue_share``: the share of the period's revenue brought by its top buyers (the
  top ``rfm.top_share`` of the customers who bought in it);
- ``value_at_risk``: the CLV the churn model expects to lose (churn risk times CLV, summed
  over the customers) at the latest scoring date in the period (scores made after the
  last period count for it);
- ``sla_compliance``: the share of the SLA clocks of the tickets opened in the period that
  did not breach (clocks still running and within target are not judged yet).

>>> import tempfile, tenure
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/shop")
>>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
>>> seen = overview(ws, period="quarter", periods=4)
>>> seen.frame["period"].dt.strftime("%Y-%m").tolist()
['1997-07', '1997-10', '1998-01', '1998-04']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from tenure._sql import bound
from tenure.errors import ConfigError
from tenure.results import Result

__all__ = ["METRICS", "Overview", "overview"]

# Each figure of the overview and whether more of it is better.
METRICS: dict[str, bool] = {
    "active_customers": True, "net_change": True, "quick_ratio": True, "retention": True,
    "top_revenue_share": False, "value_at_risk": False, "sla_compliance": True}
PERIODS = ("week", "month", "quarter")
LABELS = {"active_customers": "Active customers", "net_change": "Net change",
          "quick_ratio": "Quick ratio", "retention": "Retention",
          "top_revenue_share": "Revenue from the top buyers", "value_at_risk": "Value at risk",
          "sla_compliance": "SLA compliance"}


@dataclass(frozen=True)
class Overview(Result):
    """The figures per period (``frame``: period, :data:`METRICS` and new, won_back, lost)
    and the latest of each with its change since the period before (``headline``)."""

    frame: pd.DataFrame
    period: str
    as_of: dt.date

    @property
    def headline(self) -> dict[str, Any]:
        return dict(self._figures)

    @cached_property
    def _figures(self) -> dict[str, Any]:
        # Worked out once: a page shows the same overview to everyone until the data change.
        figures: dict[str, Any] = {"as_of": self.as_of, "period": self.period}
        for metric in METRICS:
            values = self.frame[metric].to_numpy(dtype="float64")
            known = values[~np.isnan(values)]
            figures[metric] = float(known[-1]) if len(known) else None
            figures[f"{metric}_change"] = (float(known[-1] - known[-2]) if len(known) > 1
                                           else None)
        return figures

    def lines(self) -> list[str]:
        h = self.headline
        said = [f"As of {self.as_of}: {h['active_customers'] or 0:,.0f} active customers, net "
                f"change {h['net_change'] or 0:+,.0f} in the last {self.period}"]
        if h["quick_ratio"] is not None:
            said.append(f"Quick ratio {h['quick_ratio']:.2f}; retention "
                        f"{(h['retention'] or 0):.1%} over the {self.period}")
        if h["value_at_risk"] is not None:
            said.append(f"Value at risk: {h['value_at_risk']:,.0f}")
        if h["sla_compliance"] is not None:
            said.append(f"SLA compliance: {h['sla_compliance']:.1%}")
        return said

    def view(self) -> pd.DataFrame:
        return self.frame.assign(period=self.frame["period"].dt.strftime("%Y-%m-%d"))

    def chart(self):
        from tenure.charts._customers import trends

        return trends(self.frame, LABELS, title=f"The customer base by {self.period}")


def overview(ws, *, period: str = "month", periods: int = 12) -> Overview:
    """The overview of ``ws`` over its last ``periods`` periods (see the module)."""
    from tenure.analytics import net_growth

    if period not in PERIODS:
        raise ConfigError(f"period '{period}' is not supported here; use week, month or "
                          "quarter")
    if periods < 1:
        raise ConfigError(f"periods {periods} should be at least 1")
    growth = net_growth(ws, period=period)
    frame = growth.frame.groupby("period", as_index=False)[
        ["active_base_start", "new", "won_back", "lost", "net_change", "active_base"]].sum()
    frame = frame.tail(periods).reset_index(drop=True)
    frame["period"] = pd.to_datetime(frame["period"])
    frame["quick_ratio"] = ((frame["new"] + frame["won_back"])
                            / frame["lost"].where(frame["lost"] > 0))
    frame["retention"] = 1 - frame["lost"] / frame["active_base_start"].where(
        frame["active_base_start"] > 0)
    frame = frame.rename(columns={"active_base": "active_customers"})
    start = frame["period"].min().date() if len(frame) else growth.as_of
    con = ws.connection

    def run(sql: str) -> pd.DataFrame:
        return con.execute(sql, bound(sql, params)).df()

    last = frame["period"].max().date() if len(frame) else growth.as_of
    # Scores made the day after the last order count for the last period.
    params = {"period": period, "start": start, "last": last,
              "top": ws.config["rfm.top_share"]}
    concentration = run("""
        WITH per AS (
            SELECT date_trunc($period, ordered_at)::DATE AS period, customer_id,
                   sum(amount) AS revenue
            FROM orders WHERE ordered_at >= $start GROUP BY ALL HAVING sum(amount) > 0),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY period ORDER BY revenue DESC) AS k,
                   count(*) OVER (PARTITION BY period) AS n FROM per)
        SELECT period, sum(revenue) FILTER (WHERE k <= greatest(1, ceil(n * $top)))
                       / sum(revenue) AS top_revenue_share
        FROM ranked GROUP BY period""")
    risk = run("""
        SELECT least(date_trunc($period, as_of)::DATE, $last) AS period,
               arg_max(value_at_risk, as_of) AS value_at_risk
        FROM (SELECT as_of, sum(churn_risk * clv) AS value_at_risk FROM scores
              WHERE churn_risk IS NOT NULL AND clv IS NOT NULL GROUP BY as_of)
        WHERE as_of >= $start GROUP BY ALL""")
    sla = run("""
        SELECT date_trunc($period, opened_at)::DATE AS period,
               1 - avg(CASE WHEN breached THEN 1.0 ELSE 0.0 END) AS sla_compliance
        FROM sla_results WHERE (breached OR NOT running) AND opened_at >= $start
        GROUP BY ALL""")
    for part in (concentration, risk, sla):
        part["period"] = pd.to_datetime(part["period"])
        frame = frame.merge(part, on="period", how="left")
    for metric in METRICS:
        frame[metric] = frame[metric].astype("float64").replace([np.inf, -np.inf], np.nan)
    columns = ["period", *METRICS, "new", "won_back", "lost"]
    return Overview(frame[columns], period, growth.as_of)
