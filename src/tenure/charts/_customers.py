"""Charts of the customer base and of one customer (Vega-Lite through Altair)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from tenure.charts._theme import PALETTE, altair

__all__ = ["binned_bars", "order_history", "trends"]


def trends(frame: pd.DataFrame, metrics: dict[str, str], *, title: str) -> Any:
    """One small line chart per metric over the periods, each with its own scale;
    ``metrics`` maps each column to its label."""
    alt = altair()
    long = frame.melt(id_vars=["period"], value_vars=list(metrics), var_name="metric",
                      value_name="value").dropna(subset=["value"])
    long["metric"] = long["metric"].map(metrics)
    long["period"] = pd.to_datetime(long["period"]).dt.strftime("%Y-%m-%d")
    line = alt.Chart().mark_line(point=True, color=PALETTE[0]).encode(
        x=alt.X("period:T", title=None),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        tooltip=["metric:N", "period:T", alt.Tooltip("value:Q", format=",.3~f")])
    return alt.layer(line, data=long).properties(width=220, height=110).facet(
        facet=alt.Facet("metric:N", sort=list(metrics.values()), title=None), columns=4
    ).resolve_scale(y="independent").properties(title=title)


def order_history(orders: pd.DataFrame, *, title: str) -> Any:
    """A customer's orders: amount by date, refunds below the axis."""
    alt = altair()
    data = orders[["order_id", "ordered_at", "amount"]].copy()
    data["ordered_at"] = pd.to_datetime(data["ordered_at"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    return alt.Chart(data).mark_bar(size=6).encode(
        x=alt.X("ordered_at:T", title=None, axis=alt.Axis(format="%Y-%m-%d")),
        y=alt.Y("amount:Q", title="amount"),
        color=alt.condition("datum.amount < 0", alt.value(PALETTE[3]), alt.value(PALETTE[0])),
        tooltip=["order_id:N", "ordered_at:T", alt.Tooltip("amount:Q", format=",.2f")],
    ).properties(title=title, height=160)


def binned_bars(frame: pd.DataFrame, *, x: str, title: str, x_title: str) -> Any:
    """Counts already binned in the engine (columns low, high, customers)."""
    alt = altair()
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("low:Q", bin="binned", title=x_title), x2="high:Q",
        y=alt.Y("customers:Q", title="customers"),
        tooltip=[alt.Tooltip("low:Q", format=",.0f"), alt.Tooltip("high:Q", format=",.0f"),
                 "customers:Q"],
    ).properties(title=title)
