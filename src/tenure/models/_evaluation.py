"""Holdout evaluation and model comparison.

Fit on the calibration window, predict each customer's purchases in the holdout, and
compare with what they did: per customer (MAE, RMSE) and in total.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tenure.errors import InputError, ModelError

__all__ = ["HoldoutError", "ModelComparison", "check_forecasts", "compare_models",
           "holdout_error"]

HOLDOUT_COLUMNS = ("frequency_holdout", "duration_holdout")


@dataclass(frozen=True)
class HoldoutError:
    """How well a model predicted the holdout purchases. ``frame`` has one row per
    customer: actual, predicted and their difference."""

    mae: float
    rmse: float
    predicted_total: float
    actual_total: float
    frame: pd.DataFrame

    @property
    def total_error(self) -> float:
        """Relative error of the total: (predicted - actual) / actual."""
        return (self.predicted_total - self.actual_total) / max(self.actual_total, 1e-12)


def holdout_error(model: Any, summary: pd.DataFrame) -> HoldoutError:
    """Compare ``model``'s expected holdout purchases with the actual ones.

    ``summary`` comes from ``rfm_summary(..., calibration_end=...)`` (or a BG/BB
    ``discrete_summary``); customers are weighted by a ``weights`` column if there is one.
    """
    if "n_periods_holdout" in summary.columns:
        horizons = summary["n_periods_holdout"].to_numpy()
    else:
        missing = [c for c in HOLDOUT_COLUMNS if c not in summary.columns]
        if missing:
            raise InputError(f"the summary has no holdout ({', '.join(missing)} missing); "
                             "build it with rfm_summary(..., calibration_end=DATE)")
        horizons = summary["duration_holdout"].to_numpy()
    if len(np.unique(horizons)) > 1:
        raise ModelError("every customer's holdout must have the same length")
    if not len(summary):
        raise ModelError("the summary is empty; there is nothing to evaluate")
    horizon = horizons[0]
    predicted = np.asarray(model.expected_purchases(summary, horizon), float)
    actual = summary["frequency_holdout"].to_numpy(dtype=float)
    weights = (summary["weights"].to_numpy(dtype=float) if "weights" in summary.columns
               else np.ones(len(summary)))
    error = predicted - actual
    frame = pd.DataFrame({"actual": actual, "predicted": predicted, "error": error})
    if "customer_id" in summary.columns:
        frame.insert(0, "customer_id", summary["customer_id"].to_numpy())
    total = weights.sum()
    return HoldoutError(
        mae=float(np.sum(weights * np.abs(error)) / total),
        rmse=float(math.sqrt(np.sum(weights * error**2) / total)),
        predicted_total=float(np.sum(weights * predicted)),
        actual_total=float(np.sum(weights * actual)),
        frame=frame,
    )


@dataclass(frozen=True)
class ModelComparison:
    """One row per model: parameters, log-likelihood, AIC, BIC and (with a holdout) its
    errors. ``models`` holds the fitted models by name."""

    frame: pd.DataFrame
    models: dict[str, Any]


def compare_models(summary: pd.DataFrame,
                   models: Sequence[str] = ("bgnbd", "mbgnbd", "pnbd")) -> ModelComparison:
    """Fit each named transaction model on ``summary`` and tabulate how they do.

    >>> import tenure
    >>> from tenure.models import compare_models
    >>> orders = tenure.datasets.load_cdnow(kind="sample")
    >>> s = tenure.rfm_summary(orders, observation_end="1998-06-30", unit="W",
    ...                        calibration_end="1997-09-30")
    >>> compare_models(s).frame["model"].tolist()
    ['BG/NBD', 'MBG/NBD', 'Pareto/NBD']
    """
    from tenure.models._registry import MODELS

    rows, fitted = [], {}
    has_holdout = "frequency_holdout" in summary.columns
    for name in models:
        if name not in MODELS or name in ("gg", "sbg", "bgbb"):
            raise ModelError(f"model {name!r} cannot be compared on an RFM summary; use "
                             "bgnbd, mbgnbd or pnbd")
        model = MODELS[name]().fit(summary)
        fitted[name] = model
        row = {"model": model.title, "parameters": model.n_params,
               "log_likelihood": model.log_likelihood_, "aic": model.aic_, "bic": model.bic_}
        if has_holdout:
            err = holdout_error(model, summary)
            row.update(holdout_mae=err.mae, holdout_rmse=err.rmse,
                       predicted_holdout=err.predicted_total, actual_holdout=err.actual_total)
        rows.append(row)
    return ModelComparison(pd.DataFrame(rows), fitted)


def check_forecasts(model: Any, data: pd.DataFrame) -> None:
    """Raise a ModelError, before anything is saved, if ``model`` forecasts anything that is
    not a number for the customers of ``data``: P(alive) and the purchases expected in a
    unit of time (an opportunity for BG/BB)."""
    with np.errstate(all="ignore"):
        values = np.concatenate([model.p_alive(data), model.expected_purchases(data, 1)])
    if not np.all(np.isfinite(values)):
        raise ModelError(f"{model.title} was fitted, but its forecasts are not numbers for some "
                         "customers, so it was not saved; refit with penalizer_coef=0.01, a "
                         "model with fewer parameters or a longer window")
