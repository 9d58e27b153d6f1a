"""Fitted models saved in the workspace with their training window and metrics, so that
scores (and later capabilities, such as churn risk) can reuse a fit."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tenure.errors import ModelError

__all__ = ["SavedModel", "last_fitted", "load_model", "save_model", "saved_models"]

@dataclass(frozen=True)
class SavedModel:
    """A model as the workspace keeps it: the fitted model and where it was trained."""

    model_version: str
    model: Any
    unit: str
    window_end: dt.date
    calibration_end: dt.date | None
    metrics: dict[str, float]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=float)


def save_model(con, model: Any, *, unit: str, window_end: dt.date,
               calibration_end: dt.date | None = None,
               metrics: dict[str, float] | None = None) -> str:
    """Store ``model`` (replacing an identical version) and return its version id."""
    state = model.to_dict()
    version = f"{model.version_}-{unit}-{window_end:%Y%m%d}"
    con.execute("DELETE FROM value_models WHERE model_version = $v", {"v": version})
    con.execute(
        "INSERT INTO value_models VALUES ($v, $model, $options, $params, $se, $ll, $n, $unit, "
        "$end, $cal, $metrics, now()::TIMESTAMP)",
        {"v": version, "model": model.name, "options": _json(state["options"]),
         "params": _json(state["params"]), "se": _json(state["standard_errors"]),
         "ll": None if math.isnan(state["log_likelihood"]) else state["log_likelihood"],
         "n": state["n_customers"], "unit": unit, "end": window_end, "cal": calibration_end,
         "metrics": _json(metrics or {})})
    return version


def saved_models(con) -> pd.DataFrame:
    """Every saved model, newest window first."""
    return con.execute("SELECT * FROM value_models ORDER BY window_end DESC, fitted_at DESC"
                       ).df()


def load_model(con, model_version: str | None = None, *, model: str | None = None,
               unit: str | None = None, window_end: dt.date | None = None) -> SavedModel:
    """A saved model by version, or the latest matching ``model``/``unit``/``window_end``.

    >>> # load_model(ws.connection, model="bgnbd").model.p_alive(summary)
    """
    from tenure.models._registry import MODELS

    where, params = [], {}
    for column, value in (("model_version", model_version), ("model", model), ("unit", unit),
                          ("window_end", window_end)):
        if value is not None:
            where.append(f"{column} = ${column}")
            params[column] = value
    sql = "SELECT * FROM value_models"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = con.execute(sql + " ORDER BY window_end DESC, fitted_at DESC LIMIT 1",
                       params).fetchall()
    names = [d[0] for d in con.description]
    if not rows:
        asked = ", ".join(f"{k}={v}" for k, v in params.items()) or "any"
        raise ModelError(f"no saved value model matches {asked}; fit one with `tenure fit` "
                         "or `tenure score`")
    record = dict(zip(names, rows[0], strict=True))
    cls = MODELS[record["model"]]
    fitted = cls.from_params(json.loads(record["params"]), **json.loads(record["options"]))
    fitted.log_likelihood_ = (float("nan") if record["log_likelihood"] is None
                              else record["log_likelihood"])
    fitted.standard_errors_ = json.loads(record["standard_errors"])
    fitted.n_customers_ = record["n_customers"]
    return SavedModel(record["model_version"], fitted, record["unit"], record["window_end"],
                      record["calibration_end"], json.loads(record["metrics"]))


def last_fitted(con, models: tuple[str, ...]) -> SavedModel:
    """The model of one of the kinds ``models`` (short names) fitted most recently on this
    workspace, whatever its window: what a score reuses when told to use the last fit."""
    row = con.execute("SELECT model_version FROM value_models WHERE list_contains($models, model) "
                      "ORDER BY fitted_at DESC LIMIT 1", {"models": list(models)}).fetchone()
    if row is None:
        raise ModelError(f"no {', '.join(models)} model has been fitted on this workspace yet; "
                         "fit one with `tenure fit`")
    return load_model(con, row[0])
