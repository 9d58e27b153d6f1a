"""Scoring customers at a date and writing their churn risk and reasons to ``scores``.

The ``scores`` table holds one row per customer and as-of date, shared by every capability
that scores customers. Each one adds its own columns (``ALTER TABLE ... ADD COLUMN IF NOT
EXISTS``) and writes only those: churn scoring sets ``churn_risk``, ``churn_reason_1..3``,
``churn_model_version`` and ``churn_horizon_days`` and leaves the other columns alone.
Scoring a date again replaces that date's churn columns; a customer no longer counted on that
date loses them, and a row left with no value at all is removed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from tenure.churn._dates import as_of_date, as_of_dates, data_span, horizon_days
from tenure.churn._definition import ChurnDefinition
from tenure.churn._features import Feature
from tenure.churn._groups import FEATURE_GROUPS
from tenure.churn._model import ChurnModel, check_method
from tenure.churn._reasons import render, sentences, strongest
from tenure.churn._scorers import SCORERS
from tenure.churn._snapshot import LABEL, take_snapshot
from tenure.churn._train import model_path, refusal_path
from tenure.errors import ConfigError, ModelError
from tenure.progress import Progress, steps_of
from tenure.results import Result
from tenure.workspace._migrations import CHURN_SCORE_COLUMNS
from tenure.workspace._scores import write_scores

__all__ = ["ChurnScores", "score"]

# The reasons kept per customer: as many as the scores table declares columns for.
REASONS = sum(name.startswith("churn_reason_") for name in CHURN_SCORE_COLUMNS)

# What scores when churn train refused a model, and the one reason it can give: a customer
# silent for longer than most who stayed, where their risk is above the usual rate.
BASELINE = "baseline_recency"
SILENCE = Feature("days_since_last_purchase", "days since the last purchase",
                  "no purchase for {days_since_last_purchase:.0f} "
                  "{days_since_last_purchase:?day|days}")


@dataclass(frozen=True)
class ChurnScores(Result):
    """Churn risk and top reasons for every customer counted at ``as_of``.

    ``frame`` has customer_id, as_of, churn_risk and churn_reason_1..3, riskiest first.
    """

    as_of: dt.date
    definition: ChurnDefinition
    model_version: str
    frame: pd.DataFrame
    written: bool
    refused: str | None = None  # why churn train saved no model, when a baseline scored

    @property
    def headline(self) -> dict[str, Any]:
        risk = self.frame["churn_risk"]
        return {"as_of": self.as_of, "customers": len(self.frame),
                "at_risk_50": int((risk >= 0.5).sum()),
                "mean_risk": float(risk.mean()) if len(risk) else None,
                "model_version": self.model_version,
                "horizon_days": self.definition.horizon_days, "written": self.written}

    def lines(self) -> list[str]:
        high = self.headline["at_risk_50"]
        if self.refused is not None:
            said = [self.definition.describe(), self.refused,
                    f"{len(self.frame):,} customers scored at {self.as_of.isoformat()} by the "
                    "recency baseline instead (the churn rate of past customers as long without "
                    f"a purchase); {high:,} at 50% risk or more"]
        else:
            said = [self.definition.describe(),
                    f"{len(self.frame):,} customers scored at {self.as_of.isoformat()} by churn "
                    f"model {self.model_version}; {high:,} at 50% risk or more"]
        if self.written:
            said.append(f"Wrote churn_risk and three reasons for {len(self.frame):,} "
                        "customers to `scores`")
        return said

    def view(self) -> pd.DataFrame:
        return self.frame.drop(columns=["as_of"])

    def __str__(self) -> str:
        return "\n".join(self.lines()[1::-1])


def _groups_for(model: ChurnModel) -> list[str]:
    wanted = {f.name for f in model.features_}
    names = [g.name for g in FEATURE_GROUPS.values() if wanted & {f.name for f in g.features}]
    found = {f.name for g in names for f in FEATURE_GROUPS[g].features}
    missing = sorted(wanted - found)
    if missing:
        raise ModelError(f"the model reads features no feature group computes "
                         f"({', '.join(missing)}); train it again with this version of tenure")
    return names


def score(workspace, as_of=None, model: ChurnModel | str | Path | None = None, *,
          horizon: str | int | None = None, reasons_share: float = 1.0,
          reasons_method: str = "path", write: bool = True,
          progress: Progress = None) -> ChurnScores:
    """Churn risk and the top three reasons for every customer counted at ``as_of`` (the day
    after the last record by default), written to the ``scores`` table unless ``write`` is
    False. ``model`` is a fitted :class:`ChurnModel`, a saved model's path, or None for the
    workspace's own (``models/churn.json``).

    ``reasons_method`` is how the reasons weigh the features (see
    :meth:`ChurnModel.contributions`): ``path`` (the default) reads them from the same pass
    over the trees as the risk, at little cost; ``shap`` (exact tree SHAP) costs far more
    than the risk itself. ``reasons_share`` below 1 explains only that share of the
    customers, the riskiest first, and leaves the others' reasons blank. ``horizon``, when
    given, must be the one the model predicts: a model answers only the question it was
    trained on.

    When ``model`` is None and the latest ``churn train`` refused to save a model (see
    :func:`tenure.churn.train`), the customers are scored by the recency baseline instead,
    fitted on the snapshots that training read, and the result says so: its risk is the
    churn rate of past customers as long without a purchase, and its one reason the
    silence, where it puts a customer above the usual rate.
    """
    if not 0 <= reasons_share <= 1:
        raise ConfigError(f"reasons_share {reasons_share} should be between 0 (no reasons) "
                          "and 1 (every customer)")
    check_method(reasons_method)
    if model is None and refusal_path(workspace).exists():
        return _score_baseline(workspace, as_of, horizon, write, progress)
    if not isinstance(model, ChurnModel):
        model = ChurnModel.load(model if model is not None else model_path(workspace))
    model._check_fitted()
    if horizon is not None and horizon_days(horizon) != model.definition_.horizon_days:
        raise ConfigError(
            f"the model predicts churn within {model.definition_.horizon_days} days, not "
            f"{horizon}; train a model with `tenure churn train --horizon {horizon}` or "
            "leave the horizon out")
    span = data_span(workspace)
    date = as_of_date(as_of) if as_of is not None else span.end
    span.check_start(date)
    with steps_of(progress, 3 + write) as step:
        step(f"features at {date.isoformat()}")
        snap = take_snapshot(workspace, date, model.definition_, _groups_for(model),
                             labelled=False)
        step("churn risk")
        if reasons_method == "path":
            # The paths add up to the margin: one pass over the trees gives the risk and
            # every customer's strongest features.
            which, _, margin = strongest(model, snap.frame, REASONS)
            risk = model.calibrator_(margin)
        else:
            risk = model.predict_proba(snap) if len(snap) else np.zeros(0)
        step("reasons")
        # The snapshot is in id order, so a stable sort on risk alone breaks ties by id.
        order = np.argsort(-risk, kind="stable")
        explained = np.sort(order[:math.ceil(reasons_share * len(snap))])
        # Explaining everyone (the default) needs no copy of the features.
        picked = snap.frame if len(explained) == len(snap) else snap.frame.iloc[explained]
        if reasons_method == "path":
            which = which[explained]
        else:
            which = strongest(model, picked, REASONS, reasons_method)[0]
        said = np.full((len(snap), REASONS), None, dtype=object)
        said[explained] = sentences(model, picked, which, snap.currency)
        said = said[order]
        frame = pd.DataFrame({"customer_id": snap.frame["customer_id"].to_numpy()[order],
                              "as_of": date, "churn_risk": risk[order],
                              **{f"churn_reason_{i + 1}": said[:, i] for i in range(REASONS)}})
        if write:
            step("writing scores")
            _write(workspace, date, frame, model.version, model.definition_.horizon_days)
    return ChurnScores(date, model.definition_, model.version, frame, write)


def _score_baseline(workspace, as_of, horizon, write: bool, progress: Progress) -> ChurnScores:
    """Scores from the recency baseline, fitted on the snapshots churn train refused to
    learn a model from, with the refusal as the first thing said."""
    refused = json.loads(refusal_path(workspace).read_text(encoding="utf-8"))
    definition = ChurnDefinition.from_dict(refused["definition"])
    if horizon is not None and horizon_days(horizon) != definition.horizon_days:
        raise ConfigError(
            f"the recency baseline predicts churn within {definition.horizon_days} days, not "
            f"{horizon}; train with `tenure churn train --horizon {horizon}` or leave the "
            "horizon out")
    dates = as_of_dates(refused["as_of"])
    span = data_span(workspace)
    date = as_of_date(as_of) if as_of is not None else span.end
    span.check_start(date)
    with steps_of(progress, len(dates) + 1 + write) as step:
        training = []
        for day in dates:
            step(f"snapshot at {day.isoformat()}")
            training.append(take_snapshot(workspace, day, definition, ["purchases"],
                                          labelled=True))
        step(f"recency at {date.isoformat()}")
        snap = take_snapshot(workspace, date, definition, ["purchases"], labelled=False)
        risk = np.asarray(SCORERS[BASELINE].fit(training)(snap), dtype=float)
        rate = float(pd.concat([s.frame[LABEL] for s in training]).mean())
        # Silence is a reason only where it puts the customer above the usual churn rate.
        said = np.full((len(snap), REASONS), None, dtype=object)
        rows = np.flatnonzero((risk > rate) & snap.frame[SILENCE.name].notna().to_numpy())
        said[rows, 0] = render(SILENCE, snap.frame, rows, {})
        order = np.argsort(-risk, kind="stable")
        frame = pd.DataFrame({"customer_id": snap.frame["customer_id"].to_numpy()[order],
                              "as_of": date, "churn_risk": risk[order],
                              **{f"churn_reason_{i + 1}": said[order, i]
                                 for i in range(REASONS)}})
        if write:
            step("writing scores")
            _write(workspace, date, frame, BASELINE, definition.horizon_days)
    return ChurnScores(date, definition, BASELINE, frame, write, refused["reason"])


def _write(workspace, date: dt.date, frame: pd.DataFrame, model_version: str,
           horizon: int) -> None:
    n = len(frame)
    # The model's version is one string for every row: a dictionary of one entry, not
    # millions of copies. The date is bound by the writer.
    version = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)),
                                             pa.array([model_version], pa.string()))
    rows = pa.table({
        "customer_id": pa.array(frame["customer_id"].to_numpy(dtype=object), pa.string()),
        "churn_risk": pa.array(frame["churn_risk"].to_numpy(dtype=np.float64)),
        **{f"churn_reason_{i}": pa.array(frame[f"churn_reason_{i}"].to_numpy(dtype=object),
                                         pa.string())
           for i in range(1, REASONS + 1)},
        "churn_model_version": version,
        "churn_horizon_days": pa.array(np.full(n, horizon, dtype=np.int32)),
    })
    with workspace.transaction() as con:
        con.register("tenure_new_churn_scores", rows)
        try:
            write_scores(con, date, "SELECT * FROM tenure_new_churn_scores",
                         CHURN_SCORE_COLUMNS)
        finally:
            con.unregister("tenure_new_churn_scores")
