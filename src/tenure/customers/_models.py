"""What the saved models say about the customer base: the value page and the model page.

- :func:`value_overview`: the distribution of CLV over the latest scores (binned in the
  engine) and, from the value model that made them, P(alive) over frequency and recency;
- :func:`model_overview`: every saved model (the value models' fit table, the churn
  model's validation) and the holdout tracking of the latest value model fitted with a
  calibration period.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tenure.errors import ModelError
from tenure.results import Result, counted

__all__ = ["ModelOverview", "ValueOverview", "model_overview", "value_overview"]

BINS = 40


@dataclass(frozen=True)
class ValueOverview(Result):
    """``frame``: the CLV histogram (low, high, customers); ``grid``: P(alive) over
    frequency and recency of the model that scored (empty when the model cannot say)."""

    frame: pd.DataFrame
    grid: pd.DataFrame
    as_of: dt.date
    model_version: str
    customers: int
    total_clv: float
    expected_alive: float

    @property
    def headline(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "model_version": self.model_version,
                "customers": self.customers, "total_clv": self.total_clv,
                "expected_alive": self.expected_alive}

    def lines(self) -> list[str]:
        return [f"Scores as of {self.as_of} by {self.model_version}: {self.customers:,} "
                f"customers, {self.expected_alive:,.0f} expected alive, total CLV "
                f"{self.total_clv:,.0f}"]

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"p_alive_grid": self.grid}

    def chart(self):
        from tenure.charts._customers import binned_bars
        from tenure.charts._models import grid_heatmap

        clv = binned_bars(self.frame, x="clv", title="Customer lifetime value",
                          x_title="CLV")
        if not len(self.grid):
            return clv
        grid = grid_heatmap(self.grid, "P(alive) by purchases and recency", "P(alive)")
        return (clv | grid).resolve_scale(color="independent")


def value_overview(ws) -> ValueOverview:
    """The value page of ``ws``: needs value-model scores (``tenure score``)."""
    from tenure.models._store import load_model

    con = ws.connection
    latest = con.execute("SELECT max(as_of) FROM scores WHERE clv IS NOT NULL").fetchall()[0][0]
    if latest is None:
        raise ModelError("there are no value scores yet; score the customers with "
                         "`tenure score --as-of DATE`")
    params = {"as_of": latest}
    version, customers, total, alive, top = con.execute(
        "SELECT any_value(model_version), count(*), sum(clv), sum(p_alive), "
        "quantile_cont(clv, 0.99) FROM scores WHERE as_of = $as_of AND clv IS NOT NULL",
        params).fetchall()[0]
    # Bins up to the 99th percentile; the last one holds the rest, so that a few large
    # customers do not squeeze everyone else into one bar.
    width = max(float(top or 0.0), 1e-9) / BINS
    frame = con.execute(
        "SELECT least(floor(greatest(clv, 0) / $w), $last) AS bin, count(*) AS customers "
        "FROM scores WHERE as_of = $as_of AND clv IS NOT NULL GROUP BY bin ORDER BY bin",
        {**params, "w": width, "last": BINS - 1}).df()
    frame = frame.assign(low=frame["bin"] * width, high=(frame["bin"] + 1) * width)[
        ["low", "high", "customers"]]
    grid = pd.DataFrame()
    try:
        saved = load_model(con, version)
    except ModelError:
        saved = None
    if saved is not None and hasattr(saved.model, "p_alive"):
        span = con.execute("SELECT quantile_cont(T, 0.5) FROM (SELECT date_diff('day', "
                           "min(ordered_at)::DATE, $as_of) AS T FROM orders "
                           "GROUP BY customer_id)", params).fetchall()[0][0]
        days = {"D": 1.0, "W": 7.0}.get(saved.unit, 7.0)
        grid = _grid(saved.model, float(span or days) / days)
    as_of = pd.Timestamp(latest).date()
    return ValueOverview(frame, grid, as_of, str(version), int(customers), float(total or 0),
                         float(alive or 0))


def _grid(model: Any, T: float, max_frequency: int = 20) -> pd.DataFrame:
    x, tx = np.meshgrid(np.arange(max_frequency + 1), np.linspace(0, T, 40))
    grid = pd.DataFrame({"frequency": x.ravel(), "recency": tx.ravel(), "T": T})
    grid = grid[(grid.frequency > 0) | (grid.recency == 0)].reset_index(drop=True)
    grid["value"] = model.p_alive(grid)
    return grid


@dataclass(frozen=True)
class ModelOverview(Result):
    """``frame``: one row per saved model (kind, model, version, window, metrics);
    ``tracking``: the latest calibrated value model's repeat purchases per period, actual
    and predicted (empty without one)."""

    frame: pd.DataFrame
    tracking: pd.DataFrame
    tracked: str | None

    @property
    def headline(self) -> dict[str, Any]:
        return {"models": len(self.frame), "tracked": self.tracked}

    def lines(self) -> list[str]:
        if not len(self.frame):
            return ["No model is saved yet: tenure fit, then tenure churn train"]
        said = [counted(len(self.frame), "saved model")]
        if not len(self.tracking):
            said.append("No value model was fitted with a holdout period, so there is no "
                        "holdout tracking: fit one with tenure fit --calibration-end DATE")
        return said

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"tracking": self.tracking}

    def chart(self):
        from tenure.charts._models import tracking_lines

        if not len(self.tracking):
            return None
        return tracking_lines(self.tracking, title=f"{self.tracked}: cumulative repeat "
                              "purchases, actual and predicted", unit="W")


def model_overview(ws) -> ModelOverview:
    """The model page of ``ws``: every saved value model and the churn model."""
    from tenure.models._store import load_model, saved_models

    con = ws.connection
    saved = saved_models(con)
    rows = []
    for row in saved.itertuples():
        metrics = json.loads(row.metrics)
        rows.append({"kind": "value", "model": row.model, "version": row.model_version,
                     "window_end": row.window_end, "calibration_end": row.calibration_end,
                     "customers": row.n_customers, "log_likelihood": row.log_likelihood,
                     "holdout_mae": metrics.get("holdout_mae"),
                     "holdout_rmse": metrics.get("holdout_rmse"), "roc_auc": None,
                     "brier": None})
    rows += _churn_rows(ws)
    frame = pd.DataFrame(rows, columns=["kind", "model", "version", "window_end",
                                        "calibration_end", "customers", "log_likelihood",
                                        "holdout_mae", "holdout_rmse", "roc_auc", "brier"])
    tracking, tracked = pd.DataFrame(), None
    calibrated = saved[saved["calibration_end"].notna() & (saved["model"] != "bgbb")]
    if len(calibrated):
        from tenure.models.charts import tracking_frame

        first = calibrated.iloc[0]
        model = load_model(con, first["model_version"]).model
        end = con.execute("SELECT max(ordered_at)::DATE FROM orders").fetchall()[0][0]
        tracking = tracking_frame(model, ws, calibration_end=first["calibration_end"],
                                  observation_end=end, unit=first["unit"] or "W")
        tracked = str(first["model_version"])
    return ModelOverview(frame, tracking, tracked)


def _churn_rows(ws) -> list[dict[str, Any]]:
    from tenure.churn import model_path
    from tenure.churn._model import ChurnModel

    path = model_path(ws)
    if not path.exists():
        return []
    model = ChurnModel.load(path)
    metrics = model.validation_metrics_ or {}
    window = model.training_window_
    return [{"kind": "churn", "model": "churn", "version": model.version,
             "window_end": max(window.as_of) if window.as_of else None,
             "calibration_end": None, "customers": window.customers,
             "log_likelihood": None, "holdout_mae": None, "holdout_rmse": None,
             "roc_auc": metrics.get("roc_auc"), "brier": metrics.get("brier")}]
