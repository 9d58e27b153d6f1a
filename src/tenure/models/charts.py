"""Charts of the value models: what to draw is computed here from a fitted model, and drawn
by :mod:`tenure.charts` (Vega-Lite through Altair, imported only when a chart is drawn).

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

from tenure.charts import _models as draw
from tenure.models._evaluation import holdout_error

__all__ = ["clv_distribution", "conditional_expectations", "expected_purchases_grid",
           "p_alive_grid", "p_alive_history", "tracking", "tracking_frame"]


def conditional_expectations(model: Any, summary: pd.DataFrame, *, cap: int = 7):
    """Mean holdout purchases, actual and predicted, by calibration frequency (0..cap+)."""
    err = holdout_error(model, summary)
    group = np.minimum(summary["frequency"].to_numpy(), cap)
    frame = pd.DataFrame({"frequency": group, "actual": err.frame["actual"],
                          "predicted": err.frame["predicted"]})
    means = frame.groupby("frequency", as_index=False)[["actual", "predicted"]].mean()
    return draw.conditional_expectation_lines(
        means, title=f"{model.title}: holdout purchases by calibration frequency", cap=cap)


def _grid(model: Any, max_frequency: int, T: float, values) -> pd.DataFrame:
    x, tx = np.meshgrid(np.arange(max_frequency + 1), np.linspace(0, T, 40))
    grid = pd.DataFrame({"frequency": x.ravel(), "recency": tx.ravel(), "T": T})
    grid = grid[(grid.frequency > 0) | (grid.recency == 0)].reset_index(drop=True)
    grid["value"] = values(grid)
    return grid


def p_alive_grid(model: Any, *, max_frequency: int = 20, T: float | None = None):
    """P(alive) over the frequency-recency grid for customers observed for ``T``."""
    T = float(T if T is not None else 52.0)
    grid = _grid(model, max_frequency, T, model.p_alive)
    return draw.grid_heatmap(grid, f"{model.title}: P(alive) after {T:g} time units", "P(alive)")


def expected_purchases_grid(model: Any, t: float, *, max_frequency: int = 20,
                            T: float | None = None):
    """Expected purchases in the next ``t`` over the frequency-recency grid."""
    T = float(T if T is not None else 52.0)
    grid = _grid(model, max_frequency, T, lambda g: model.expected_purchases(g, t))
    return draw.grid_heatmap(grid, f"{model.title}: expected purchases in the next {t:g}",
                    "expected purchases")


def p_alive_history(model: Any, purchase_times, T: float, *, step: float = 1.0):
    """One customer's P(alive) over their history (``model.p_alive_path``), the repeat
    purchases marked: the profile chart."""
    path = model.p_alive_path(purchase_times, T, step=step)
    return draw.p_alive_history(path, np.asarray(purchase_times, float),
                                title=f"{model.title}: P(alive) along the history")


def clv_distribution(clv: np.ndarray | pd.Series, *, bins: int = 50):
    """Histogram of customer lifetime values."""
    return draw.clv_histogram(clv, bins=bins)


def tracking_frame(model: Any, orders: Any, *, calibration_end: Any, observation_end: Any,
                   unit: str = "W") -> pd.DataFrame:
    """Repeat purchases of the calibration cohort per period, actual and predicted.

    The prediction for period k sums, over the customers, the expected repeat purchases of a
    new customer (``expected_purchases_new_customer``) between their first purchase and the
    end of the period: the forecast the papers track (FHL 2005, figures 2 and 3).
    """
    import ibis

    from tenure.engine._rfm import UNITS, _orders_table, to_date

    days = int(UNITS[unit])
    cal = to_date(calibration_end, "calibration_end")
    end = to_date(observation_end, "observation_end")
    t = _orders_table(orders)
    t = t.select(customer_id=t.customer_id.cast("string"), day=t.ordered_at.date(),
                 amount=t.amount)
    t = t.filter((t.amount >= 0) & (t.day <= ibis.literal(end)))
    # Each customer's purchase days, computed once for the three queries that read them
    # (over millions of orders, each would compute them again).
    with t.select("customer_id", "day").distinct().cache() as buys:
        first = buys.group_by("customer_id").aggregate(first_day=buys.day.min())
        first = first.filter(first.first_day <= ibis.literal(cal))
        start = first.first_day.min().execute()
        start = pd.Timestamp(start).date()
        j = buys.join(first, "customer_id")
        j = j.filter(j.day > j.first_day)
        period = (j.day.delta(ibis.literal(start), unit="day") // days).name("period")
        actual = j.group_by(period).aggregate(actual=j.count()).to_pandas()
        firsts = first.group_by(
            first.first_day.delta(ibis.literal(start), unit="day").name("offset")
        ).aggregate(customers=first.count()).to_pandas()
    periods = np.arange(0, (end - start).days // days + 1)
    ends = (periods + 1) * days  # in days from the start
    offsets = firsts["offset"].to_numpy(float)
    elapsed = np.clip(ends[:, None] - offsets[None, :], 0, None) / days
    flat = np.unique(elapsed)
    expected = model.expected_purchases_new_customer(flat)
    cumulative = (np.interp(elapsed, flat, expected) * firsts["customers"].to_numpy()).sum(1)
    frame = pd.DataFrame({"period": periods, "predicted": np.diff(np.r_[0.0, cumulative])})
    frame = frame.merge(actual, on="period", how="left").fillna({"actual": 0.0})
    frame["period_start"] = [start + pd.Timedelta(days=int(k * days)) for k in periods]
    frame["cumulative_actual"] = frame["actual"].cumsum()
    frame["cumulative_predicted"] = frame["predicted"].cumsum()
    frame["holdout"] = frame["period_start"] > pd.Timestamp(cal).date()
    return frame


def tracking(model: Any, orders: Any, *, calibration_end: Any, observation_end: Any,
             unit: str = "W", cumulative: bool = True):
    """Actual against predicted repeat purchases per period (or cumulated), with the
    calibration end marked."""
    frame = tracking_frame(model, orders, calibration_end=calibration_end,
                           observation_end=observation_end, unit=unit)
    title = (f"{model.title}: {'cumulative ' if cumulative else ''}repeat purchases, "
             "actual and predicted")
    return draw.tracking_lines(frame, title=title, unit=unit, cumulative=cumulative)
