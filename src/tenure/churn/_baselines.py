"""A baseline built on one feature, and the recency baseline every churn model must beat
(the churn model's own training checks it, so it lives apart from the backtest's scorers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tenure.churn._snapshot import LABEL, Snapshot

__all__ = ["RECENCY", "FeatureBaseline", "Predict"]

Predict = Callable[[Snapshot], np.ndarray]


@dataclass(frozen=True)
class FeatureBaseline:
    """One feature turned into a probability by isotonic regression on the training rows.

    ``increasing`` says that a higher value means more risk. Missing values get the training
    churn rate.
    """

    name: str
    feature: str
    increasing: bool
    description: str

    @property
    def requires(self) -> tuple[str, ...]:
        return (self.feature,)

    def fit(self, training: Sequence[Snapshot]) -> Predict:
        return self.fit_frame(pd.concat([s.frame[[self.feature, LABEL]] for s in training],
                                        ignore_index=True))

    def fit_frame(self, frame: pd.DataFrame) -> Predict:
        """Fitted on the rows of ``frame`` (the feature and the label); the risk it returns
        takes a snapshot or a frame."""
        from sklearn.isotonic import IsotonicRegression

        known = frame[self.feature].notna()
        x = frame.loc[known, self.feature].to_numpy(dtype=float)
        y = frame.loc[known, LABEL].to_numpy(dtype=float)
        curve = IsotonicRegression(increasing=self.increasing, out_of_bounds="clip").fit(x, y)
        rate = float(frame[LABEL].mean())

        def predict(data: Snapshot | pd.DataFrame) -> np.ndarray:
            rows = data.frame if isinstance(data, Snapshot) else data
            values = pd.to_numeric(rows[self.feature]).to_numpy(dtype=float, na_value=np.nan)
            missing = np.isnan(values)
            risk = curve.predict(np.where(missing, 0.0, values))
            return np.where(missing, rate, risk)

        return predict


RECENCY = FeatureBaseline("baseline_recency", "days_since_last_purchase", increasing=True,
                          description="recency alone: days since the last purchase, mapped to "
                                      "a probability by isotonic regression")
