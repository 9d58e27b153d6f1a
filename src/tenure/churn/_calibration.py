"""Turning tree scores into probabilities: Platt scaling or isotonic regression, whichever
predicts the validation customers better.

Platt (1999), "Probabilistic outputs for support vector machines": a logistic regression of
the label on the score. Zadrozny & Elkan (2002), "Transforming classifier scores into accurate
multiclass probability estimates": a monotone step function fitted by isotonic regression.
Both are fitted on customers the trees never saw; the choice between them is made by the
Brier score of two-fold cross-fitting on those customers, then the chosen one is refitted on
all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tenure.errors import ConfigError

__all__ = ["CALIBRATIONS", "Calibrator", "choose_calibrator", "cross_fit"]

CALIBRATIONS = ("auto", "isotonic", "platt")


@dataclass(frozen=True)
class Calibrator:
    """A fitted map from a raw tree score (log-odds) to a churn probability."""

    method: str
    parameters: dict = field(default_factory=dict)

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        margin = np.asarray(margin, dtype=float)
        if self.method == "platt":
            z = self.parameters["slope"] * margin + self.parameters["intercept"]
            return 1.0 / (1.0 + np.exp(-z))
        return np.interp(margin, self.parameters["x"], self.parameters["y"])

    def to_dict(self) -> dict:
        return {"method": self.method, "parameters": self.parameters}

    @classmethod
    def from_dict(cls, data: dict) -> Calibrator:
        return cls(data["method"], dict(data["parameters"]))


def _fit(method: str, margin: np.ndarray, churned: np.ndarray) -> Calibrator:
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    if method == "platt":
        model = LogisticRegression(C=1e6).fit(margin.reshape(-1, 1), churned)
        return Calibrator("platt", {"slope": float(model.coef_[0, 0]),
                                    "intercept": float(model.intercept_[0])})
    model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(margin, churned)
    return Calibrator("isotonic", {"x": model.X_thresholds_.tolist(),
                                   "y": model.y_thresholds_.tolist()})


def choose_calibrator(margin, churned, method: str = "auto", seed: int = 0
                      ) -> tuple[Calibrator, dict[str, float]]:
    """The calibrator for ``method`` ("auto" picks the lower cross-fitted Brier score), and
    the cross-fitted Brier score of each candidate."""
    chosen, scores, _ = cross_fit(margin, churned, method, seed)
    return chosen, scores


def cross_fit(margin, churned, method: str = "auto", seed: int = 0
              ) -> tuple[Calibrator, dict[str, float], np.ndarray]:
    """As :func:`choose_calibrator`, and the chosen method's cross-fitted probabilities:
    each half of the rows calibrated by a fit on the other half, so that the rows a
    probability is judged on were never used to calibrate it."""
    if method not in CALIBRATIONS:
        raise ConfigError(f"calibration '{method}' is not known; use auto, isotonic or platt")
    margin = np.asarray(margin, dtype=float)
    churned = np.asarray(churned, dtype=float)
    half = np.random.default_rng(seed).permutation(len(margin)) % 2 == 0
    candidates = ("isotonic", "platt") if method == "auto" else (method,)
    scores, crossed = {}, {}
    for name in candidates:
        predicted = np.empty(len(margin))
        for part in (half, ~half):
            predicted[~part] = _fit(name, margin[part], churned[part])(margin[~part])
        scores[name] = float(np.mean((predicted - churned) ** 2))
        crossed[name] = predicted
    best = min(scores, key=scores.get)
    return _fit(best, margin, churned), scores, crossed[best]
