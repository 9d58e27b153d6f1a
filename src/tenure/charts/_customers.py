"""Charts of the customer base and of one customer (Vega-Lite through Altair)."""

from __future__ import annotations

import copy
import math
from functools import cache
from typing import Any

import pandas as pd

from tenure.charts._theme import PALETTE, altair

__all__ = ["binned_bars", "order_history", "order_history_spec", "trends"]


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
    data = orders[["order_id", "ordered_at", "amount"]].copy()
    data["ordered_at"] = pd.to_datetime(data["ordered_at"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    return _order_bars(data, title)


def order_history_spec(orders: list[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """:func:`order_history` as its Vega-Lite specification, for ``orders`` given as rows
    (order_id, ordered_at, amount), put inline.

    A profile draws this chart at every request of its page, and building it through
    Altair costs far more than reading the customer: the specification is drawn once with
    no data, and each customer's orders are put into a copy of it.
    """
    spec = copy.deepcopy(_order_bars_without_data())
    spec["title"] = title
    spec["data"] = {"values": [
        {"order_id": None if _missing(o["order_id"]) else str(o["order_id"]),
         "ordered_at": None if _missing(o["ordered_at"])
         else o["ordered_at"].strftime("%Y-%m-%dT%H:%M:%S"),
         "amount": None if _missing(o["amount"]) else float(o["amount"])}
        for o in orders]}
    return spec


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


@cache
def _order_bars_without_data() -> dict[str, Any]:
    return _order_bars(altair().Data(values=[]), "").to_dict(validate=False)


def _order_bars(data: Any, title: str) -> Any:
    alt = altair()
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
