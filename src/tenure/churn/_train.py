"""Training a churn model on a workspace's past snapshots."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tenure.churn._dates import DataSpan, as_of_dates, data_span
from tenure.churn._definition import ChurnDefinition
from tenure.churn._drivers import KeyDrivers
from tenure.churn._model import ChurnModel
from tenure.churn._snapshot import LABEL, resolve_definition, take_snapshot
from tenure.errors import ConfigError, ModelError
from tenure.progress import Progress, steps_of
from tenure.results import Result

__all__ = ["ChurnTraining", "TrainingRefused", "default_training_dates", "model_path",
           "refusal_path", "train", "train_and_save"]

SNAPSHOTS = 4
SPACING_DAYS = 30


def model_path(workspace) -> Path:
    """Where the workspace keeps its churn model."""
    return workspace.path / "models" / "churn.json"


def refusal_path(workspace) -> Path:
    """Where the workspace keeps why its latest churn training was refused."""
    return workspace.path / "models" / "churn-refused.json"


class TrainingRefused(ModelError):
    """``churn train`` found that a model would mislead, and saved none: too few labelled
    customers or churners, trees that never split, or a ranking no better than recency
    alone. ``definition`` and ``as_of`` say what the baseline that scores instead learns
    from."""

    def __init__(self, message: str, definition: ChurnDefinition, as_of: list[dt.date]):
        super().__init__(message)
        self.definition = definition
        self.as_of = as_of


def _check_counts(workspace, snapshots, definition, dates) -> None:
    """Refuse before fitting when the snapshots hold too few customers or churners."""
    rows = sum(len(s) for s in snapshots)
    churned = sum(int(s.frame[LABEL].sum()) for s in snapshots)
    stayed = rows - churned
    least = int(workspace.config["churn.min_customers"])
    events = int(workspace.config["churn.min_churned"])
    shown = ", ".join(d.isoformat() for d in dates)
    if rows < least:
        raise TrainingRefused(
            f"churn train needs at least {least:,} labelled customers and the snapshots at "
            f"{shown} hold {rows:,}; add earlier as-of dates or more data, or lower "
            "churn.min_customers", definition, dates)
    if min(churned, stayed) < events:
        raise TrainingRefused(
            f"churn train needs at least {events:,} customers who churned and as many who "
            f"stayed, and the snapshots at {shown} hold {churned:,} and {stayed:,}; add as-of "
            "dates, change the horizon, or lower churn.min_churned", definition, dates)


def _check_fitted(model: ChurnModel, dates) -> None:
    """Refuse a fitted model that learned nothing or ranks no better than recency."""
    if model.splits_ == 0:
        raise TrainingRefused(
            "the churn model's trees found no split that tells churners from the others, so "
            "it would give every customer the same risk; no model was saved",
            model.definition_, dates)
    auc, recency = model.validation_metrics_["roc_auc"], model.recency_roc_auc_
    if recency is not None and not auc > recency:
        raise TrainingRefused(
            f"the churn model ranks the held-out customers no better than recency alone (ROC "
            f"AUC {auc:.3f} against {recency:.3f}), so no model was saved and churn score "
            "uses the recency baseline", model.definition_, dates)


def default_training_dates(span: DataSpan, horizon_days: int) -> list[dt.date]:
    """Four as-of dates a month apart, the latest one a horizon before the data ends."""
    last = span.end - dt.timedelta(days=horizon_days)
    dates = [last - dt.timedelta(days=SPACING_DAYS * k) for k in range(SNAPSHOTS - 1, -1, -1)]
    dates = [d for d in dates if d > span.first]
    if not dates:
        raise ConfigError(
            f"the data from {span.first.isoformat()} to {span.end.isoformat()} is shorter than "
            f"the horizon of {horizon_days} days, so no label can be read; use a shorter "
            "horizon")
    return dates


def train(workspace, as_of=None, horizon=None, *, definition=None, groups=None,
          model: ChurnModel | None = None, progress: Progress = None) -> ChurnModel:
    """A churn model fitted on the snapshots at ``as_of`` (by default four dates a month
    apart, the latest one a horizon before the data ends).

    It refuses (:class:`TrainingRefused`, one sentence saying what it needs) rather than
    return a model that would mislead: when the snapshots hold fewer labelled customers
    than ``churn.min_customers`` or fewer churners (or customers who stayed) than
    ``churn.min_churned``, when its trees never split, or when it ranks the held-out
    customers no better than recency alone.

    >>> import tempfile, tenure
    >>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/cdnow")
    >>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="master"))
    >>> model = tenure.churn.train(ws, horizon="26W")
    >>> [d.isoformat() for d in model.training_window_.as_of]
    ['1997-10-02', '1997-11-01', '1997-12-01', '1997-12-31']
    """
    definition = resolve_definition(workspace, definition, horizon)
    span = data_span(workspace)
    dates = (default_training_dates(span, definition.horizon_days) if as_of is None
             else as_of_dates(as_of))
    for date in dates:
        span.check_window(date, definition.horizon_days)
    model = (model or ChurnModel()).clone()
    with steps_of(progress, len(dates) + 1) as step:
        snapshots = []
        for date in dates:
            step(f"snapshot at {date.isoformat()}")
            snapshots.append(take_snapshot(workspace, date, definition, groups, labelled=True))
        _check_counts(workspace, snapshots, definition, dates)
        step("fitting the model")
        fitted = model.fit(snapshots)
    _check_fitted(fitted, dates)
    return fitted


@dataclass(frozen=True)
class ChurnTraining(Result):
    """A churn model trained on a workspace and saved there, with its key drivers on the
    latest training snapshot. ``frame`` is the drivers' summary, strongest first."""

    model: ChurnModel
    path: Path
    drivers: KeyDrivers

    @property
    def frame(self) -> pd.DataFrame:
        return self.drivers.summary

    @property
    def headline(self) -> dict[str, Any]:
        window = self.model.training_window_
        return {"model_version": self.model.version, "path": self.path,
                "horizon_days": self.model.definition_.horizon_days,
                "customers": window.customers, "rows": window.rows,
                "validation_rows": self.model.validation_rows_,
                **{f"validation_{k}": v for k, v in self.model.validation_metrics_.items()}}

    def lines(self) -> list[str]:
        model = self.model
        return [model.definition_.describe(), model.training_window_.describe(),
                f"calibration: {model.calibrator_.method} (cross-fitted Brier "
                f"{_metrics(model.calibration_scores_)})",
                f"validation ({model.validation_rows_:,} held-out rows, each calibrated on "
                f"the other half of them): {_metrics(model.validation_metrics_)}",
                f"recency alone on the same rows: ROC AUC {model.recency_roc_auc_:.3f}",
                f"Saved model {model.version} to {self.path}"]

    def view(self) -> pd.DataFrame:
        return self.drivers.summary.head(8)[["feature", "description", "mean_abs_contribution",
                                             "direction"]]

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"partial_dependence": self.drivers.partial_dependence}

    def chart(self):
        return self.drivers.chart()

    def to_dict(self) -> dict[str, Any]:
        model = {k: v for k, v in self.model.to_dict().items() if k != "booster"}
        return {**Result.to_dict(self), "model": model, "path": str(self.path),
                "key_drivers": self.drivers.summary.to_dict(orient="records")}


def _metrics(metrics: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())


def train_and_save(workspace, as_of=None, horizon=None, *, definition=None,
                   path: str | Path | None = None, model: ChurnModel | None = None,
                   progress: Progress = None) -> ChurnTraining:
    """Train a churn model on ``workspace`` (see :func:`train`), save it to ``path``
    (default: the workspace's ``models/churn.json``) and weigh its key drivers on the
    latest training snapshot."""
    from tenure.churn._snapshot import snapshot

    refused = refusal_path(workspace)
    try:
        fitted = train(workspace, as_of, horizon, definition=definition, model=model,
                       progress=progress)
    except TrainingRefused as exc:
        refused.parent.mkdir(parents=True, exist_ok=True)
        refused.write_text(json.dumps({
            "reason": str(exc), "definition": exc.definition.to_dict(),
            "as_of": [d.isoformat() for d in exc.as_of]}, ensure_ascii=False, indent=1),
            encoding="utf-8")
        raise
    refused.unlink(missing_ok=True)
    saved = fitted.save(path or model_path(workspace))
    latest = snapshot(workspace, fitted.training_window_.as_of[-1],
                      definition=fitted.definition_)
    return ChurnTraining(fitted, saved, fitted.drivers(latest))
