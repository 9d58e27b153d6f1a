"""Charts of the value models (Vega-Lite through Altair): frames in, charts out. The frames
come from :mod:`tenure.models.charts`, which computes them from a fitted model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tenure.charts._theme import altair

__all__ = ["clv_histogram", "conditional_expectation_lines", "grid_heatmap", "p_alive_history",
           "tracking_lines"]


def conditional_expectation_lines(means: pd.DataFrame, *, title: str, cap: int):
    """Mean holdout purchases, actual and predicted (columns frequency, actual, predicted)."""
    alt = altair()
    long = means.melt("frequency", var_name="series", value_name="purchases")
    return alt.Chart(long, title=title).mark_line(point=True).encode(
        x=alt.X("frequency:O", title=f"repeat purchases in calibration ({cap} = {cap}+)"),
        y=alt.Y("purchases:Q", title="mean purchases in the holdout"),
        color="series:N")


def grid_heatmap(grid: pd.DataFrame, title: str, value: str):
    """A value over the frequency-recency grid (columns frequency, recency, value)."""
    alt = altair()
    return alt.Chart(grid, title=title).mark_rect().encode(
        x=alt.X("recency:Q", bin=alt.Bin(maxbins=40), title="recency (time of last purchase)"),
        y=alt.Y("frequency:O", sort="descending", title="repeat purchases"),
        color=alt.Color("value:Q", title=value))


def clv_histogram(clv: np.ndarray | pd.Series, *, bins: int = 50):
    """Histogram of customer lifetime values."""
    alt = altair()
    frame = pd.DataFrame({"clv": np.asarray(clv, float)})
    return alt.Chart(frame, title="Customer lifetime value").mark_bar().encode(
        x=alt.X("clv:Q", bin=alt.Bin(maxbins=bins), title="CLV"),
        y=alt.Y("count():Q", title="customers"))


def tracking_lines(frame: pd.DataFrame, *, title: str, unit: str, cumulative: bool = True):
    """Actual against predicted repeat purchases per period (a frame of
    :func:`tenure.models.charts.tracking_frame`), with the calibration end marked."""
    alt = altair()
    columns = (["cumulative_actual", "cumulative_predicted"] if cumulative
               else ["actual", "predicted"])
    long = frame.melt("period", columns, var_name="series", value_name="purchases")
    long["series"] = long["series"].str.replace("cumulative_", "")
    line = alt.Chart(long, title=title).mark_line().encode(
        x=alt.X("period:Q", title=f"period ({unit}) since the first purchase"),
        y=alt.Y("purchases:Q", title="repeat purchases"), color="series:N")
    cut = frame.loc[~frame["holdout"], "period"].max()
    rule = alt.Chart(pd.DataFrame({"period": [cut + 1]})).mark_rule(strokeDash=[4, 4]).encode(
        x="period:Q")
    return line + rule


def p_alive_history(path: pd.DataFrame, purchases: np.ndarray, *, title: str):
    """One customer's P(alive) along their history (columns time, p_alive), the repeat
    purchases marked as ticks at the top."""
    alt = altair()
    line = alt.Chart(path, title=title).mark_line(interpolate="step-after").encode(
        x=alt.X("time:Q", title="time since the first purchase"),
        y=alt.Y("p_alive:Q", title="P(alive)", scale=alt.Scale(domain=[0, 1])))
    bought = pd.DataFrame({"time": purchases, "p_alive": 1.0})
    marks = alt.Chart(bought).mark_tick(thickness=2).encode(x="time:Q", y="p_alive:Q")
    return line + marks
