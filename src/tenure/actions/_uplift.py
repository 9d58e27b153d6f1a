"""Whom does a treatment move? Each customer's predicted uplift from a randomised experiment.

Two meta-learners, each built from ordinary supervised learners (LightGBM by default):

- ``two_model`` (the T-learner): one model of the outcome on the treated, one on the
  control; the uplift is the difference of their predictions,
  tau(x) = mu_1(x) - mu_0(x).
- ``x_learner``: Kunzel, Sekhon, Bickel & Yu (2019), "Metalearners for estimating
  heterogeneous treatment effects using machine learning", PNAS 116, 4156-4165. After the
  two outcome models, each unit's effect is imputed from the other group's model,
  D_1 = Y_1 - mu_0(X_1) on the treated and D_0 = mu_1(X_0) - Y_0 on the control; a model of
  each is fitted and the two are blended by the propensity g,
  tau(x) = g tau_0(x) + (1 - g) tau_1(x). In a randomised experiment g is the treated share.
  It does better than the two-model approach when one group is much smaller than the other
  (a 10% holdout) or the effect is simpler than the outcome.

A 0/1 outcome is modelled with classifiers (probabilities), any other with regressors; the
effect models of the X-learner are regressors.

>>> import tenure
>>> from tenure.actions import UpliftModel
>>> mail = tenure.datasets.load_hillstrom()
>>> mail = mail[mail["segment"] != "Mens E-Mail"]
>>> X = mail[["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]]
>>> model = UpliftModel().fit(X, mail["segment"] == "Womens E-Mail", mail["visit"])
>>> uplift = model.predict(X)
>>> bool(0.0 < uplift.mean() < 0.1)       # about the 4.5-point lift in visits
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tenure.actions._checks import check_experiment, is_rate
from tenure.errors import ConfigError, InputError, NotFittedError

__all__ = ["UpliftModel"]

METHODS = ("two_model", "x_learner")
# Uplift is a small difference between two noisy outcomes: shallow trees, large leaves and a
# slow rate keep the models from fitting noise that the difference would then amplify.
LIGHTGBM = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15,
            "min_child_samples": 100, "subsample": 0.8, "subsample_freq": 1,
            "colsample_bytree": 0.8, "reg_lambda": 1.0, "verbose": -1, "deterministic": True,
            "force_row_wise": True}


class UpliftModel:
    """Predicted uplift per unit, fitted on a randomised experiment.

    ``method``: ``two_model`` or ``x_learner``. ``learner``: the outcome model, any
    scikit-learn estimator (a classifier for a 0/1 outcome; cloned for each group), or None
    for LightGBM. ``effect_learner``: the X-learner's regressor of the imputed effects, or
    None for LightGBM. ``seed`` and ``threads`` set up the LightGBM defaults (0 threads: all
    cores; one is the default because experiments of tens of thousands of units fit fastest
    without the cost of sharing out the work).

    After :meth:`fit`: ``control_model_``, ``treated_model_`` (and for the X-learner
    ``control_effect_model_``, ``treated_effect_model_``), ``treated_share_``,
    ``outcome_kind_`` (``rate`` or ``mean``), ``n_features_in_`` and, for a DataFrame,
    ``feature_names_in_``.
    """

    def __init__(self, *, method: str = "two_model", learner: Any = None,
                 effect_learner: Any = None, seed: int = 0, threads: int = 1) -> None:
        self.method = method
        self.learner = learner
        self.effect_learner = effect_learner
        self.seed = seed
        self.threads = threads

    def get_params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("method", "learner", "effect_learner", "seed",
                                              "threads")}

    def __repr__(self) -> str:
        state = f"fitted on {self.units_:,} units" if self.is_fitted else "not fitted"
        return f"UpliftModel(method={self.method!r}, {state})"

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "treated_model_")

    # -- fitting --------------------------------------------------------------------------
    def fit(self, X: Any, treatment: Any, y: Any) -> UpliftModel:
        """Learn from units with features ``X``, ``treatment`` (1 or True for treated, 0 or
        False for control) and outcome ``y``."""
        if self.method not in METHODS:
            raise ConfigError(f"method={self.method!r} is not an uplift method; use "
                              f"{' or '.join(map(repr, METHODS))}")
        rows = len(X)
        treated, outcome = check_experiment(treatment, y, rows=rows)
        rate = is_rate(outcome)
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        X_t, X_c = _rows(X, treated), _rows(X, ~treated)
        control = self._outcome_learner(rate).fit(X_c, outcome[~treated])
        treated_model = self._outcome_learner(rate).fit(X_t, outcome[treated])
        if self.method == "x_learner":
            imputed_t = outcome[treated] - _predict(control, X_t)
            imputed_c = _predict(treated_model, X_c) - outcome[~treated]
            self.treated_effect_model_ = self._effect_learner().fit(X_t, imputed_t)
            self.control_effect_model_ = self._effect_learner().fit(X_c, imputed_c)
        self.control_model_ = control
        self.treated_share_ = float(treated.mean())
        self.outcome_kind_ = "rate" if rate else "mean"
        self.units_ = rows
        self.treated_model_ = treated_model
        return self

    def _outcome_learner(self, rate: bool) -> Any:
        if self.learner is not None:
            from sklearn.base import clone

            return clone(self.learner)
        from lightgbm import LGBMClassifier, LGBMRegressor

        kind = LGBMClassifier if rate else LGBMRegressor
        return kind(random_state=self.seed, n_jobs=self.threads or None, **LIGHTGBM)

    def _effect_learner(self) -> Any:
        if self.effect_learner is not None:
            from sklearn.base import clone

            return clone(self.effect_learner)
        from lightgbm import LGBMRegressor

        return LGBMRegressor(random_state=self.seed, n_jobs=self.threads or None, **LIGHTGBM)

    # -- predicting -----------------------------------------------------------------------
    def predict(self, X: Any) -> np.ndarray:
        """The predicted uplift of each row of ``X``: the change in the expected outcome
        (in points of probability, for a rate) if the unit is treated."""
        X = self._features(X)
        if self.method == "x_learner":
            g = self.treated_share_
            return (g * _predict(self.control_effect_model_, X)
                    + (1 - g) * _predict(self.treated_effect_model_, X))
        return _predict(self.treated_model_, X) - _predict(self.control_model_, X)

    def predict_outcomes(self, X: Any) -> pd.DataFrame:
        """The expected outcome of each row of ``X`` without (``control``) and with
        (``treated``) the treatment, from the two outcome models."""
        X = self._features(X)
        return pd.DataFrame({"control": _predict(self.control_model_, X),
                             "treated": _predict(self.treated_model_, X)})

    def _features(self, X: Any) -> Any:
        if not self.is_fitted:
            raise NotFittedError("this UpliftModel is not fitted yet; call "
                                 "fit(X, treatment, y) first")
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            if not isinstance(X, pd.DataFrame):
                raise InputError("the model was fitted on a DataFrame; pass one with the "
                                 f"columns {', '.join(names)}")
            missing = [n for n in names if n not in X.columns]
            if missing:
                raise InputError(f"X lacks the column '{missing[0]}' the model was fitted "
                                 "with; pass the same features")
            return X[list(names)]
        if X.shape[1] != self.n_features_in_:
            raise InputError(f"X has {X.shape[1]} features where the model was fitted on "
                             f"{self.n_features_in_}; pass the same features")
        return X


def _rows(X: Any, mask: np.ndarray) -> Any:
    return X.loc[mask] if isinstance(X, pd.DataFrame) else np.asarray(X)[mask]


def _predict(model: Any, X: Any) -> np.ndarray:
    """A classifier's probability of 1, or a regressor's prediction."""
    from sklearn.base import is_classifier

    if is_classifier(model):
        return np.asarray(model.predict_proba(X))[:, 1]
    return np.asarray(model.predict(X), dtype=float)
