"""Scorers the backtest compares: the churn model and the baselines it has to beat.

A scorer learns from the training snapshots of a fold and returns a function giving each
customer of a later snapshot a churn probability. Adding one is a class with ``name``,
``description``, ``requires`` (the feature columns it reads) and ``fit``, and one line in
:data:`SCORERS`; a baseline built on a single feature is one :class:`FeatureBaseline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from tenure.churn._baselines import RECENCY, FeatureBaseline, Predict
from tenure.churn._model import ChurnModel
from tenure.churn._snapshot import LABEL, Snapshot
from tenure.errors import ConfigError

__all__ = ["SCORERS", "FeatureBaseline", "ModelScorer", "Scorer", "SurvivalBaseline", "scorers"]

class Scorer(Protocol):
    name: str
    description: str
    requires: tuple[str, ...]

    def fit(self, training: Sequence[Snapshot]) -> Predict: ...


@dataclass(frozen=True)
class ModelScorer:
    """The LightGBM churn model, refitted on each fold's training snapshots."""

    model: ChurnModel = field(default_factory=ChurnModel)
    name: str = "churn_model"
    description: str = "the calibrated LightGBM churn model over every feature"
    requires: tuple[str, ...] = ()

    def fit(self, training: Sequence[Snapshot]) -> Predict:
        return self.model.clone().fit(training).predict_proba


@dataclass(frozen=True)
class SurvivalBaseline:
    """A feature that is itself a probability of still being a customer, taken at its word:
    churn risk is one minus it, with nothing learned from the training rows. Missing values
    get the training churn rate."""

    name: str
    feature: str
    description: str

    @property
    def requires(self) -> tuple[str, ...]:
        return (self.feature,)

    def fit(self, training: Sequence[Snapshot]) -> Predict:
        rate = float(pd.concat([s.frame[LABEL] for s in training]).mean())

        def predict(snapshot: Snapshot) -> np.ndarray:
            values = snapshot.frame[self.feature].to_numpy(dtype=float)
            return np.where(np.isnan(values), rate, np.clip(1.0 - values, 0.0, 1.0))

        return predict


SCORERS: dict[str, Scorer] = {
    scorer.name: scorer
    for scorer in (
        ModelScorer(),
        RECENCY,
        SurvivalBaseline("baseline_p_alive", "p_alive",
                         description="the BG/NBD P(alive) at the as-of date: churn risk is "
                                     "1 - P(alive)"),
    )
}


def scorers(names=None, model: ChurnModel | None = None) -> tuple[Scorer, ...]:
    """The scorers named (all registered when None); ``model`` sets the churn model's
    options."""
    chosen = []
    for name in (SCORERS if names is None else ([names] if isinstance(names, str) else names)):
        if not isinstance(name, str):
            chosen.append(name)
            continue
        if name not in SCORERS:
            raise ConfigError(f"there is no scorer '{name}'; the scorers are: "
                              f"{', '.join(SCORERS)}")
        chosen.append(SCORERS[name])
    if model is not None:
        chosen = [ModelScorer(model) if isinstance(s, ModelScorer) else s for s in chosen]
    return tuple(chosen)
