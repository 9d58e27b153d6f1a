"""Charts of the SLA results (Vega-Lite through Altair)."""

from __future__ import annotations

import pandas as pd

from tenure.charts._theme import altair

__all__ = ["breach_trend"]


def breach_trend(by_period: pd.DataFrame, period: str):
    """Breach rate (breached over decided clocks) per period, one line per metric, with
    the counts in the tooltip."""
    alt = altair()
    data = by_period.assign(
        breach_rate=lambda f: f["breached"] / (f["met"] + f["breached"]).where(
            f["met"] + f["breached"] > 0),
        period=lambda f: pd.to_datetime(f["period"]),
    )
    return (
        alt.Chart(data, title=f"SLA breaches by {period} opened")
        .mark_line(point=True)
        .encode(
            x=alt.X("period:T", title=period),
            y=alt.Y("breach_rate:Q", title="breach rate", axis=alt.Axis(format="%")),
            color=alt.Color("metric:N", title="metric"),
            tooltip=[
                alt.Tooltip("period:T", title=period),
                alt.Tooltip("metric:N"),
                alt.Tooltip("breached:Q", title="breached", format=","),
                alt.Tooltip("met:Q", title="met", format=","),
                alt.Tooltip("breach_rate:Q", title="breach rate", format=".1%"),
            ],
        )
        .properties(width=600, height=260)
    )
