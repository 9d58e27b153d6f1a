"""``credits``: what each customer is owed for the breaches of one period.

A breach counts in the period its breach time falls in, for the metrics its policy's credit
covers. The credit per breach is a fixed amount or a percentage of the period's fee; the
total per customer is capped by an amount or a percentage of that fee. The period's fee is
the policy's ``monthly_fee`` times the months of the period, or else the fee of the
customer's membership in force at some time in the period (the latest started), divided by
``sla.membership_period_months`` and times the months of the period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from tenure.errors import ConfigError
from tenure.progress import Progress
from tenure.results import Result
from tenure.sla._evaluate import RESULTS_TABLE, evaluate, load_config, resolve_as_of

if TYPE_CHECKING:
    from tenure.workspace import Workspace

__all__ = ["Period", "SlaCredits", "credits", "parse_period"]


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year: ``start`` inclusive, ``end`` exclusive."""

    label: str
    start: datetime
    end: datetime
    months: int


def parse_period(text: Any) -> Period:
    """``2026-10`` (a month), ``2026-Q4`` (a quarter) or ``2026`` (a year).

    >>> parse_period("2026-Q4").start
    datetime.datetime(2026, 10, 1, 0, 0)
    """
    value = str(text).strip()
    month = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    quarter = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", value)
    year = re.fullmatch(r"(\d{4})", value)
    if month and 1 <= int(month.group(2)) <= 12:
        y, first, months = int(month.group(1)), int(month.group(2)), 1
    elif quarter:
        y, first, months = int(quarter.group(1)), 3 * int(quarter.group(2)) - 2, 3
    elif year:
        y, first, months = int(year.group(1)), 1, 12
    else:
        raise ConfigError(f"period '{value}' is not a month, quarter or year; write it as "
                          "2026-10, 2026-Q4 or 2026")
    end_month = first + months
    start = datetime(y, first, 1)
    end = datetime(y + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return Period(value, start, end, months)


@dataclass(frozen=True)
class SlaCredits(Result):
    """Credits owed for one period: a row per customer and policy with breaches.

    ``frame`` columns: customer_id, policy, breaches, period_fee (NaN when no fee is
    known), per_breach, before_cap, cap, owed (NaN when a percentage has no fee to apply
    to). ``total`` sums what is owed; ``unpriced`` counts rows without a fee to apply.
    """

    period: Period
    as_of: datetime
    frame: pd.DataFrame
    total: float
    unpriced: int

    @property
    def headline(self) -> dict[str, Any]:
        return {"period": self.period.label, "as_of": self.as_of, "total": self.total,
                "customers": int(self.frame["customer_id"].nunique()) if len(self.frame) else 0,
                "unpriced": self.unpriced}

    def lines(self) -> list[str]:
        if self.frame.empty:
            return [f"No credits owed for {self.period.label}."]
        said = [f"Total owed for {self.period.label}: {self.total:,.2f} (clocks as of "
                f"{self.as_of:%Y-%m-%d %H:%M})"]
        if self.unpriced:
            said.append(f"{self.unpriced:,} rows have a percentage credit but no known fee: "
                        "set the policy's monthly_fee or ingest memberships with a fee")
        return said


def credits(workspace: Workspace, period: Any = None, *, as_of: Any = None,
            progress: Progress = None) -> SlaCredits:
    """Credits owed per customer for the breaches of ``period`` (``2026-10``, ``2026-Q4``;
    by default the month of ``as_of``).

    Clocks are evaluated as of the end of the period, or of ``as_of`` (default: the
    latest time recorded) when that comes first; this replaces ``sla_results``.
    """
    if period is None:
        period = f"{resolve_as_of(workspace, as_of):%Y-%m}"
    span = parse_period(period)
    config = load_config(workspace)
    moment = min(resolve_as_of(workspace, as_of), span.end)
    evaluation = evaluate(workspace, moment, progress=progress)
    terms = {k: [] for k in ("policy", "amount", "percent", "cap", "cap_percent",
                             "monthly_fee", "metric")}
    for policy in config.policies.values():
        if policy.credit is None:
            continue
        for metric in policy.credit.metrics:
            for name, value in (("policy", policy.name), ("amount", policy.credit.amount),
                                ("percent", policy.credit.percent), ("cap", policy.credit.cap),
                                ("cap_percent", policy.credit.cap_percent),
                                ("monthly_fee", policy.monthly_fee), ("metric", metric)):
                terms[name].append(value)
    schema = pa.schema([("policy", pa.string()), *((k, pa.float64()) for k in (
        "amount", "percent", "cap", "cap_percent", "monthly_fee")), ("metric", pa.string())])
    con = workspace.connection
    con.register("_sla_credit_terms", pa.table(terms, schema=schema))
    try:
        frame = con.execute(_CREDITS_SQL, {
            "start": span.start, "end": span.end, "months": span.months,
            "period_months": config.membership_period_months,
        }).df()
    finally:
        con.unregister("_sla_credit_terms")
    return SlaCredits(span, evaluation.as_of, frame, float(frame["owed"].sum()),
                      int(frame["owed"].isna().sum()))


_CREDITS_SQL = f"""
    WITH breaches AS (
        SELECT r.customer_id, r.policy, count(*) AS breaches
        FROM {RESULTS_TABLE} r
        JOIN _sla_credit_terms c ON c.policy = r.policy AND c.metric = r.metric
        WHERE r.breached AND r.breached_at >= $start AND r.breached_at < $end
        GROUP BY ALL
    ), terms AS (
        SELECT policy, any_value(amount) AS amount, any_value(percent) AS percent,
               any_value(cap) AS cap, any_value(cap_percent) AS cap_percent,
               any_value(monthly_fee) AS monthly_fee
        FROM _sla_credit_terms GROUP BY policy
    ), fees AS (
        SELECT customer_id, arg_max(fee, started_at) AS fee
        FROM memberships
        WHERE started_at < $end AND (ended_at IS NULL OR ended_at > $start)
        GROUP BY customer_id
    ), priced AS (
        SELECT b.customer_id, b.policy, b.breaches,
               coalesce(t.monthly_fee * $months, f.fee / $period_months * $months)
                   AS period_fee, t.amount, t.percent, t.cap, t.cap_percent
        FROM breaches b JOIN terms t USING (policy)
        LEFT JOIN fees f USING (customer_id)
    ), owed AS (
        SELECT customer_id, policy, breaches, round(period_fee, 2) AS period_fee,
               round(coalesce(amount, percent / 100 * period_fee), 2) AS per_breach,
               round(coalesce(cap, cap_percent / 100 * period_fee), 2) AS cap
        FROM priced
    )
    SELECT customer_id, policy, breaches, period_fee, per_breach,
           round(breaches * per_breach, 2) AS before_cap,
           cap, CASE WHEN per_breach IS NOT NULL
                     THEN round(least(breaches * per_breach, cap), 2) END AS owed
    FROM owed
    ORDER BY owed DESC NULLS LAST, breaches DESC, customer_id
"""
