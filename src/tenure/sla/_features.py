"""Breaches as churn features: per customer, how many and how recent, as of a date.

Point in time: the clocks are evaluated as of the date, from what was recorded by then, so
a backtest that moves the date never reads the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from tenure.errors import ConfigError
from tenure.progress import Progress
from tenure.sla._evaluate import SCRATCH_TABLE, evaluate

if TYPE_CHECKING:
    from tenure.workspace import Workspace

__all__ = ["CustomerBreaches", "customer_breaches"]


@dataclass(frozen=True)
class CustomerBreaches:
    """One row per customer with a measured clock, as of ``as_of``.

    ``frame`` columns: customer_id, tickets, clocks, breaches, ``breaches_{N}d`` for each
    window (breach times within the N days up to as_of), open_breaches (breached clocks
    still running), last_breach_at, days_since_breach (NaN: never breached) and
    compliance (met over decided clocks).
    """

    as_of: datetime
    windows: tuple[int, ...]
    frame: pd.DataFrame


def customer_breaches(workspace: Workspace, as_of: Any, *,
                      windows: tuple[int, ...] = (30, 90, 365),
                      progress: Progress = None) -> CustomerBreaches:
    """Per-customer breach counts and recency as of ``as_of``.

    The clocks are evaluated as of that moment into a temporary table: ``sla_results`` keeps
    the latest stored evaluation.

    >>> # features = customer_breaches(ws, "2025-06-30").frame
    """
    if not windows or any(not isinstance(w, int) or w < 1 for w in windows):
        raise ConfigError(f"windows = {windows!r} should be whole numbers of days such as "
                          "(30, 90, 365)")
    evaluation = evaluate(workspace, as_of, progress=progress, store=False)
    counts = ", ".join(
        f"count(*) FILTER (breached AND breached_at > $as_of - INTERVAL {int(w)} DAY) "
        f"AS breaches_{int(w)}d" for w in windows)
    frame = workspace.connection.execute(f"""
        SELECT customer_id, count(DISTINCT ticket_id) AS tickets, count(*) AS clocks,
               count(*) FILTER (breached) AS breaches, {counts},
               count(*) FILTER (breached AND running) AS open_breaches,
               max(breached_at) AS last_breach_at,
               date_diff('second', max(breached_at), $as_of) / 86400.0 AS days_since_breach,
               round(count(*) FILTER (NOT breached AND NOT running)
                     / nullif(count(*) FILTER (breached OR NOT running), 0), 4) AS compliance
        FROM {SCRATCH_TABLE} GROUP BY customer_id ORDER BY customer_id
    """, {"as_of": evaluation.as_of}).df()
    return CustomerBreaches(evaluation.as_of, tuple(windows), frame)
