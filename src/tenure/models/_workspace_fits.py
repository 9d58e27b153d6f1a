"""Fitting on a workspace the models that are not purchase models of the orders alone: the
spend model, the memberships' renewals, and the purchase model chosen among all of them."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import numpy as np
import pandas as pd

from tenure.engine._rfm import SUMMARY_UNITS, rfm_expression, to_date
from tenure.errors import ConfigError, ModelError
from tenure.models._base import ModelWarning

__all__ = ["RENEWAL_DAYS", "fit_other", "membership_durations"]

# Days in a renewal period of the memberships (sBG).
RENEWAL_DAYS = {"W": 7.0, "M": 365.25 / 12, "Y": 365.25}


def fit_other(ws, model: str, *, unit: str, calibration_end: Any, observation_end: Any):
    """``fit_workspace`` for ``gg``, ``sbg`` and ``auto``."""
    from tenure.models._choice import choose_model
    from tenure.models._fit_report import FitReport, compressed, last_order_day
    from tenure.models._gamma_gamma import GammaGamma
    from tenure.models._shifted_beta_geo import ShiftedBetaGeo
    from tenure.models._store import save_model

    end = to_date(observation_end, "observation_end") if observation_end else last_order_day(ws)
    cal = to_date(calibration_end, "calibration_end") if calibration_end else None
    window = cal or end
    choice = None
    if model == "sbg":
        if unit not in RENEWAL_DAYS:
            raise ConfigError(f"unit {unit!r} is not a renewal period; use W (weeks), M "
                              "(months) or Y (years)")
        data = membership_durations(ws, end=window, unit=unit)
        fitted = ShiftedBetaGeo().fit(data)
        metrics = {"memberships": float(data.weights.sum())}
    else:
        if unit not in SUMMARY_UNITS:
            raise ConfigError(f"unit {unit!r} is not known; use D, W, CW, M or H")
        expr = rfm_expression(ws, observation_end=end, unit=unit, calibration_end=cal)
        if model == "gg":
            buyers = expr.filter(expr.frequency > 0)
            # In a fixed order, so that the fit is the same to the last bit run after run.
            data = (buyers.select("frequency", "monetary_value")
                    .order_by(["frequency", "monetary_value"]).to_pandas())
            fitted = GammaGamma().fit(data)
            metrics = {"spend_correlation": fitted.frequency_spend_correlation_,
                       "mean_spend": fitted.mean_spend()}
        else:
            extra = ["frequency_holdout", "duration_holdout"] if cal else []
            grouped = compressed(expr, ["frequency", "recency", "T", *extra])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ModelWarning)  # in the choice's cautions
                choice = choose_model(grouped)
            fitted = choice.model
            metrics = {"criterion_holdout": float(choice.criterion == "holdout")}
            row = choice.frame.set_index("model").loc[choice.chosen]
            if cal:
                metrics.update(holdout_mae=float(row.holdout_mae))
    metrics.update(log_likelihood=fitted.log_likelihood_, aic=fitted.aic_, bic=fitted.bic_,
                   customers=fitted.n_customers_)
    with ws.transaction() as con:
        version = save_model(con, fitted, unit=unit, window_end=window, calibration_end=cal,
                             metrics=metrics)
    notes = fitted.cautions() + ((choice.reason,) if choice is not None else ())
    return FitReport(fitted, version, fitted.summary(), metrics, window, cal, unit, notes,
                     choice)


def membership_durations(ws, *, end: dt.date, unit: str = "M") -> pd.DataFrame:
    """The memberships as sBG sees them, up to ``end``: for each one started by then, the
    renewal periods paid (one at the start and one at each ``unit`` after it, up to when
    it ended or ``end``) and whether it ended; grouped, with a weights column."""
    days = RENEWAL_DAYS[unit]
    con = ws.connection
    exists = con.execute("SELECT count(*) FROM information_schema.tables "
                         "WHERE table_name = 'memberships'").fetchone()[0]
    rows = con.execute(
        "SELECT floor(date_diff('day', CAST(started_at AS DATE), "
        "  CAST(least(coalesce(ended_at, $end), $end) AS DATE)) / $days) + 1 AS duration, "
        "  (ended_at IS NOT NULL AND CAST(ended_at AS DATE) <= $end) AS churned, "
        "  count(*) AS weights "
        "FROM memberships WHERE CAST(started_at AS DATE) <= $end GROUP BY ALL",
        {"end": end, "days": days}).df() if exists else pd.DataFrame()
    if not len(rows):
        raise ModelError(f"the workspace has no memberships started by {end}; ingest them with "
                         "`tenure ingest memberships`")
    rows["duration"] = rows["duration"].astype(np.int64)
    rows["weights"] = rows["weights"].astype(float)
    return rows
