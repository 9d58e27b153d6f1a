"""Vega-Lite charts of the value models (Altair, imported only when a chart is drawn).

>>> import tenure
>>> from tenure.models import BetaGeo
>>> from tenure.models.charts import p_alive_grid
>>> s = tenure.rfm_summary(tenure.datasets.load_cdnow(kind="sample"),
...                        observation_end="1997-09-30", unit="W")
>>> spec = p_alive_grid(BetaGeo().fit(s), max_frequency=10, T=39.0).to_dict()
>>> spec["mark"]["type"]
'rect'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tenure.models._evaluation import holdout_error

__all__ = ["clv_distribution", "conditional_expectations", "expected_purchases_grid",
           "p_alive_grid"]


def _altair():
    import altair as alt

    return alt


def conditional_expectations(model: Any, summary: pd.DataFrame, *, cap: int = 7):
    """Mean holdout purchases, actual and predicted, by calibration frequency (0..cap+)."""
    alt = _altair()
    err = holdout_error(model, summary)
    group = np.minimum(summary["frequency"].to_numpy(), cap)
    frame = pd.DataFrame({"frequency": group, "actual": err.frame["actual"],
                          "predicted": err.frame["predicted"]})
    means = frame.groupby("frequency", as_index=False)[["actual", "predicted"]].mean()
    long = means.melt("frequency", var_name="series", value_name="purchases")
    return alt.Chart(long, title=f"{model.title}: holdout purchases by calibration frequency"
                     ).mark_line(point=True).encode(
        x=alt.X("frequency:O", title=f"repeat purchases in calibration ({cap} = {cap}+)"),
        y=alt.Y("purchases:Q", title="mean purchases in the holdout"),
        color="series:N")


def _grid(model: Any, max_frequency: int, T: float, values) -> pd.DataFrame:
    x, tx = np.meshgrid(np.arange(max_frequency + 1), np.linspace(0, T, 40))
    grid = pd.DataFrame({"frequency": x.ravel(), "recency": tx.ravel(), "T": T})
    grid = grid[(grid.frequency > 0) | (grid.recency == 0)].reset_index(drop=True)
    grid["value"] = values(grid)
    return grid


def _heatmap(grid: pd.DataFrame, title: str, value: str):
    alt = _altair()
    return alt.Chart(grid, title=title).mark_rect().encode(
        x=alt.X("recency:Q", bin=alt.Bin(maxbins=40), title="recency (time of last purchase)"),
        y=alt.Y("frequency:O", sort="descending", title="repeat purchases"),
        color=alt.Color("value:Q", title=value))


def p_alive_grid(model: Any, *, max_frequency: int = 20, T: float | None = None):
    """P(alive) over the frequency-recency grid for customers observed for ``T``."""
    T = float(T if T is not None else 52.0)
    grid = _grid(model, max_frequency, T, model.p_alive)
    return _heatmap(grid, f"{model.title}: P(alive) after {T:g} time units", "P(alive)")


def expected_purchases_grid(model: Any, t: float, *, max_frequency: int = 20,
                            T: float | None = None):
    """Expected purchases in the next ``t`` over the frequency-recency grid."""
    T = float(T if T is not None else 52.0)
    grid = _grid(model, max_frequency, T, lambda g: model.expected_purchases(g, t))
    return _heatmap(grid, f"{model.title}: expected purchases in the next {t:g}",
                    "expected purchases")


def clv_distribution(clv: np.ndarray | pd.Series, *, bins: int = 50):
    """Histogram of customer lifetime values."""
    alt = _altair()
    frame = pd.DataFrame({"clv": np.asarray(clv, float)})
    return alt.Chart(frame, title="Customer lifetime value").mark_bar().encode(
        x=alt.X("clv:Q", bin=alt.Bin(maxbins=bins), title="CLV"),
        y=alt.Y("count():Q", title="customers"))
