"""Build the tables the analyses share, ahead of the first analysis.

The analyses read a workspace's orders through building blocks it stores: each customer's
activity per period (:mod:`tenure.engine._activity`) and the customer summary
(:mod:`tenure.engine._customers`). Each is built by the first analysis that needs it
after the tables it reads changed, which makes that analysis slower; :func:`prepare`
builds them at a moment of your choosing, for example right after an ingest.

>>> import tempfile, tenure
>>> from tenure.analytics import prepare
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/shop")
>>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
>>> prepare(ws, periods=["month"]).frame["table"].tolist()
['activity_day', 'activity_month', 'customer_summary']
>>> prepare(ws, periods=["month"]).frame["rebuilt"].tolist()  # nothing changed since
[False, False, False]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tenure.analytics._funnel import lead_progress
from tenure.engine._activity import activity, all_days
from tenure.engine._customers import customer_categories, customer_summary
from tenure.engine._periods import PERIODS, check_period
from tenure.engine._tables import Tables, open_tables
from tenure.errors import InputError
from tenure.progress import Progress, steps_of
from tenure.results import Result
from tenure.workspace import Workspace

__all__ = ["Prepared", "prepare"]


@dataclass(frozen=True)
class Prepared(Result):
    """The shared tables of a workspace: ``frame`` holds table, rows, rebuilt (False when
    it was current already) and seconds (spent building it now)."""

    frame: pd.DataFrame

    @property
    def headline(self) -> dict[str, Any]:
        return {"tables": len(self.frame), "rebuilt": int(self.frame["rebuilt"].sum()),
                "seconds": float(self.frame["seconds"].sum())}

    def view(self) -> pd.DataFrame:
        return self.frame.assign(
            rebuilt=self.frame["rebuilt"].map({True: "yes", False: "no (current)"}),
            seconds=self.frame["seconds"].map("{:.1f}".format))


def prepare(workspace: Workspace, *, periods: Sequence[Any] = PERIODS,
            progress: Progress = None) -> Prepared:
    """Build, where the tables they read changed, the day activity, the activity of each
    of ``periods``, the customer summary, the customers' categories and the leads'
    progress through the funnel of ``workspace``. ``progress`` is told the name of each
    table before it is looked at."""
    if not isinstance(workspace, Workspace):
        raise InputError(f"prepare needs a Workspace, not a {type(workspace).__name__}; "
                         "tables handed in directly are summarised by each analysis")
    chosen = [check_period(p) for p in periods]
    tables = open_tables(workspace, "orders")
    orders = tables.table("orders", ("customer_id", "ordered_at", "amount"),
                          why="preparing the analytics tables")
    last = pd.Timestamp(tables.scalar(orders.ordered_at.max())).date()
    steps: list[tuple[str, Callable[[Tables], Any]]] = [("activity_day", all_days)]
    steps += [(f"activity_{p}", lambda t, p=p: activity(t, p, last, last))
              for p in PERIODS if p in chosen and p != "day"]
    steps.append(("customer_summary", customer_summary))
    steps.append(("customer_categories", customer_categories))
    steps.append(("lead_progress", lead_progress))
    rows = []
    step = steps_of(progress, len(steps))
    for name, build in steps:
        step(name)
        started = time.perf_counter()
        table = build(tables)
        seconds = time.perf_counter() - started
        if table is None:  # nothing to build from (no order lines, no leads)
            continue
        rows.append({"table": name, "rows": int(tables.scalar(table.count())),
                     "rebuilt": name in tables.built, "seconds": seconds})
    return Prepared(pd.DataFrame(rows))
