"""Net growth of the active base: what each period gained, won back and lost.

The active base is every customer who is new, active, resurrected or at risk (see
:mod:`tenure.analytics._lifecycle`). From one period to the next it changes by

    net change = new + won back - lost

where *won back* are the resurrected customers and *lost* those who churned in the period.
A business that gained 10 and lost 20 grew by -10. The quick ratio (new + won back) / lost
says how many customers come in for each one lost: below 1 the base shrinks.

>>> import tenure
>>> from tenure.analytics import net_growth
>>> growth = net_growth(tenure.datasets.load_cdnow(kind="sample"), period="quarter")
>>> growth.frame[["new", "won_back", "lost", "net_change"]].iloc[-1].tolist()
[0, 64, 74, -10]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tenure.analytics._common import Result, safe_ratio
from tenure.analytics._lifecycle import BASE_STATES, LifecycleRules, Thresholds, lifecycle
from tenure.charts import _analytics as _charts
from tenure.engine._periods import Period, check_dates, check_period, first_day, index_of

__all__ = ["NetGrowth", "net_growth"]


@dataclass(frozen=True)
class NetGrowth(Result):
    """Growth accounting per period.

    ``frame``: period, [by], active_base_start, new, won_back, lost, reassessed (customers
    whose state changed without a purchase because P(alive) judged the last period; 0
    otherwise), net_change, active_base, growth_rate (net_change / active_base_start) and
    quick_ratio ((new + won_back) / lost; empty when nobody was lost).
    """

    frame: pd.DataFrame
    period: Period
    by: str | None
    as_of: dt.date
    thresholds: Thresholds

    def chart(self):
        return _charts.growth_bars(self)

    @property
    def headline(self) -> dict[str, Any]:
        """Totals over the periods shown, and the last period's net change, base and quick
        ratio (over every group)."""
        last = self.frame[self.frame["period"] == self.frame["period"].max()]
        lost = last["lost"].sum()
        return {"as_of": self.as_of, "periods": int(self.frame["period"].nunique()),
                "gained": int(self.frame["new"].sum()),
                "won_back": int(self.frame["won_back"].sum()),
                "lost": int(self.frame["lost"].sum()),
                "net_change": int(self.frame["net_change"].sum()),
                "last_net_change": int(last["net_change"].sum()),
                "active_base": int(last["active_base"].sum()),
                "quick_ratio": (float((last["new"].sum() + last["won_back"].sum()) / lost)
                                if lost else None)}

    def lines(self) -> list[str]:
        lines = []
        keys = [self.by] if self.by else []
        groups = self.frame.groupby(keys) if keys else [((None,), self.frame)]
        for key, part in groups:
            head = f"{key[0]}: " if self.by else ""
            total = part[["new", "won_back", "lost", "net_change"]].sum()
            last = part.iloc[-1]
            lines.append(
                f"{head}over {len(part)} {self.period}s: gained {total['new']:,}, won back "
                f"{total['won_back']:,}, lost {total['lost']:,}: net {_signed(total['net_change'])}"
                f"; last {self.period} ({last['period']:%Y-%m-%d}) net "
                f"{_signed(last['net_change'])}, quick ratio {_ratio(last['quick_ratio'])}")
        return lines

    def view(self) -> pd.DataFrame:
        table = self.frame.copy()
        table["period"] = table["period"].dt.strftime("%Y-%m-%d")
        table["net_change"] = table["net_change"].map(_signed)
        return table


def net_growth(
    data: Any,
    *,
    period: Period = "month",
    by: str | None = None,
    start: Any = None,
    end: Any = None,
    timezone: str | None = None,
    rules: LifecycleRules | None = None,
) -> NetGrowth:
    """Gained, won back, lost and net change of the active base per period, with the quick
    ratio. Options as in :func:`tenure.analytics.lifecycle`, ``rules`` included."""
    first, _ = check_dates(start, end)
    unit = check_period(period)
    # One period before the first shown gives the base that period starts from.
    earlier = None
    if first is not None:
        earlier = first_day(index_of(first, unit) - 1, unit)
    states = lifecycle(data, period=unit, by=by, start=earlier, end=end, timezone=timezone,
                       rules=rules)
    keys = [states.by] if states.by else []
    counts = states.frame.pivot_table(index=["period", *keys], columns="state",
                                      values="customers", aggfunc="sum", fill_value=0)
    counts = counts.reset_index().sort_values([*keys, "period"], kind="stable")
    for state in ("new", "active", "resurrected", "at_risk", "churned", "dormant"):
        if state not in counts:
            counts[state] = 0
    counts["active_base"] = counts[list(BASE_STATES)].sum(axis=1)
    previous = counts.groupby(keys)["active_base"].shift(1) if keys else \
        counts["active_base"].shift(1)
    counts["active_base_start"] = previous.fillna(0).astype("int64")
    frame = counts.rename(columns={"resurrected": "won_back", "churned": "lost"})
    frame["net_change"] = frame["active_base"] - frame["active_base_start"]
    frame["reassessed"] = frame["net_change"] - (frame["new"] + frame["won_back"] - frame["lost"])
    frame["growth_rate"] = safe_ratio(frame["net_change"], frame["active_base_start"])
    frame["quick_ratio"] = safe_ratio(frame["new"] + frame["won_back"], frame["lost"])
    if first is not None:
        frame = frame[frame["period"] >= pd.Timestamp(first_day(index_of(first, unit), unit))]
    columns = ["period", *keys, "active_base_start", "new", "won_back", "lost", "reassessed",
               "net_change", "active_base", "growth_rate", "quick_ratio"]
    frame = frame[columns].sort_values(["period", *keys], kind="stable").reset_index(drop=True)
    for name in ("active_base_start", "new", "won_back", "lost", "reassessed", "net_change",
                 "active_base"):
        frame[name] = frame[name].astype("int64")
    frame.columns.name = None
    return NetGrowth(frame, unit, states.by, states.as_of, states.thresholds)


def _signed(value: Any) -> str:
    return f"{int(value):+,}" if value else "0"


def _ratio(value: float) -> str:
    return "n/a (nobody lost)" if value is None or np.isnan(value) else f"{value:.2f}"
