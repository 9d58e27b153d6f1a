"""The churn classifier: gradient-boosted trees (LightGBM) with calibrated probabilities.

Ke et al. (2017), "LightGBM: a highly efficient gradient boosting decision tree". The trees
learn from several past snapshots at once; a share of the customers (chosen by a stable hash
of their id, so the same customer is never on both sides) is held back to stop the boosting
and to fit the calibration (see :mod:`tenure.churn._calibration`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tenure.churn._calibration import CALIBRATIONS, Calibrator, cross_fit
from tenure.churn._definition import ChurnDefinition
from tenure.churn._features import Feature
from tenure.churn._metrics import score_metrics
from tenure.churn._paths import CHUNK
from tenure.churn._snapshot import LABEL, Snapshot
from tenure.errors import ConfigError, ModelError, NotFittedError

if TYPE_CHECKING:
    from tenure.churn._paths import TreePaths

__all__ = ["ChurnModel", "TrainingWindow"]

FORMAT = "tenure.churn_model/1"
# How contributions are computed: path attributions by default, exact tree SHAP on request.
METHODS = ("path", "shap")


@dataclass(frozen=True)
class TrainingWindow:
    """The snapshots a model learned from: their as-of dates and the last day their labels
    read (the latest as-of date plus the horizon)."""

    as_of: tuple[dt.date, ...]
    labels_until: dt.date
    customers: int
    rows: int

    def describe(self) -> str:
        dates = ", ".join(d.isoformat() for d in self.as_of)
        return (f"trained on {self.rows:,} rows ({self.customers:,} customers) from snapshots at "
                f"{dates}, labels read up to {self.labels_until.isoformat()}")

    def to_dict(self) -> dict:
        return {"as_of": [d.isoformat() for d in self.as_of],
                "labels_until": self.labels_until.isoformat(),
                "customers": self.customers, "rows": self.rows}

    @classmethod
    def from_dict(cls, data: dict) -> TrainingWindow:
        return cls(tuple(dt.date.fromisoformat(d) for d in data["as_of"]),
                   dt.date.fromisoformat(data["labels_until"]), data["customers"], data["rows"])


def held_out(customer_ids: pd.Series, share: float, seed: int) -> np.ndarray:
    """A stable choice of about ``share`` of the customers, by a hash of their id."""
    hashed = pd.util.hash_pandas_object(customer_ids.astype(str), index=False,
                                        hash_key=f"tenure{seed:010d}"[:16])
    return (hashed.to_numpy() % 10_000) < share * 10_000


class ChurnModel:
    """Churn risk from point-in-time features: LightGBM trees and a calibration on top.

    >>> import tempfile, tenure
    >>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/cdnow")
    >>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="master"))
    >>> past = [tenure.churn.snapshot(ws, d, "26W") for d in ("1997-05-01", "1997-06-01")]
    >>> model = tenure.churn.ChurnModel().fit(past)
    >>> later = tenure.churn.snapshot(ws, "1997-12-01", "26W")
    >>> risk = model.predict_proba(later)
    >>> bool(0 <= risk.min() <= risk.max() <= 1)
    True
    """

    def __init__(self, *, n_estimators: int = 300, learning_rate: float = 0.1,
                 num_leaves: int = 24, max_depth: int = 6, min_child_samples: int = 100,
                 calibration: str = "auto", validation_share: float = 0.25,
                 early_stopping_rounds: int = 40, threads: int = 0, seed: int = 0) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.calibration = calibration
        self.validation_share = validation_share
        self.early_stopping_rounds = early_stopping_rounds
        self.threads = threads
        self.seed = seed

    def get_params(self) -> dict:
        """The options, read from ``__init__``'s signature as scikit-learn does, so that a
        new option needs no second list."""
        names = [p.name for p in inspect.signature(type(self).__init__).parameters.values()
                 if p.kind is inspect.Parameter.KEYWORD_ONLY]
        return {name: getattr(self, name) for name in names}

    def clone(self) -> ChurnModel:
        """An unfitted model with the same options."""
        return ChurnModel(**self.get_params())

    def __repr__(self) -> str:
        state = (f"fitted, {len(self.features_)} features, calibration={self.calibrator_.method}"
                 if self.is_fitted else "not fitted")
        return f"ChurnModel({state})"

    # -- fitting ------------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "booster_")

    def fit(self, snapshots: Snapshot | Iterable[Snapshot]) -> ChurnModel:
        """Learn from labelled snapshots (one or several as-of dates, one definition)."""
        import lightgbm as lgb

        if self.calibration not in CALIBRATIONS:
            raise ConfigError(f"calibration '{self.calibration}' is not known; use auto, "
                              "isotonic or platt")
        if not 0 < self.validation_share < 1:
            raise ConfigError(f"validation_share {self.validation_share} should be between 0 "
                              "and 1, such as 0.25")
        snaps = [snapshots] if isinstance(snapshots, Snapshot) else list(snapshots)
        features, definition = _check_training(snaps)
        frame = pd.concat([s.frame for s in snaps], ignore_index=True)
        self.features_ = features
        self.categories_ = {f.name: sorted(str(c) for c in frame[f.name].cat.categories)
                            for f in features if f.categorical}
        X, y = self._matrix(frame), frame[LABEL].to_numpy(dtype=bool)
        hold = held_out(frame["customer_id"], self.validation_share, self.seed)
        for part, name in ((~hold, "training"), (hold, "validation")):
            if len(np.unique(y[part])) < 2:
                raise ModelError(
                    f"the {name} customers are all of one class ({int(y[part].sum()):,} of "
                    f"{int(part.sum()):,} churned); add snapshots with more customers")
        params = {
            "objective": "binary", "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves, "max_depth": self.max_depth,
            "min_data_in_leaf": self.min_child_samples,
            "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1,
            "lambda_l2": 1.0, "seed": self.seed, "deterministic": True, "force_row_wise": True,
            "num_threads": self.threads, "verbosity": -1,
        }
        categorical = [f.name for f in features if f.categorical]
        train = lgb.Dataset(X[~hold], y[~hold], categorical_feature=categorical,
                            free_raw_data=True)
        valid = lgb.Dataset(X[hold], y[hold], categorical_feature=categorical, reference=train)
        booster = lgb.train(params, train, num_boost_round=self.n_estimators,
                            valid_sets=[valid], callbacks=[lgb.early_stopping(
                                self.early_stopping_rounds, verbose=False)])
        booster.free_dataset()
        self.booster_ = booster
        self.best_iteration_ = int(booster.best_iteration or booster.current_iteration())
        self.splits_ = int(booster.feature_importance(
            "split", iteration=self.best_iteration_).sum())
        margin = self._margin(X[hold])
        # The validation customers calibrate the probabilities too: each is judged by a
        # calibration fitted on the other half of them, never on itself.
        self.calibrator_, self.calibration_scores_, crossed = cross_fit(
            margin, y[hold], self.calibration, self.seed)
        self.definition_ = definition
        self.training_window_ = TrainingWindow(
            tuple(s.as_of for s in snaps),
            max(s.as_of for s in snaps) + dt.timedelta(days=definition.horizon_days),
            int(frame["customer_id"].nunique()), len(frame))
        self.validation_metrics_ = score_metrics(y[hold], crossed)
        self.validation_rows_ = int(hold.sum())
        self.recency_roc_auc_ = _recency_auc(frame, y, hold)
        self.typical_ = _typical(X[~hold], features)
        self.currency_ = snaps[0].currency
        return self

    # -- predicting ---------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError("this ChurnModel is not fitted yet; call fit(snapshots) or "
                                 "ChurnModel.load(path) first")

    def _frame(self, data: Snapshot | pd.DataFrame) -> pd.DataFrame:
        frame = data.frame if isinstance(data, Snapshot) else data
        missing = [f.name for f in self.features_ if f.name not in frame.columns]
        if missing:
            raise ModelError(f"the data has no column for features {', '.join(missing)}; build "
                             "it with tenure.churn.features or snapshot and the same groups "
                             "as the model")
        return frame

    def _categorical(self, feature: Feature, values: pd.Series) -> pd.Categorical:
        """``values`` over the categories the model was trained on; a category it never saw
        becomes missing, as an unseen value should."""
        known = self.categories_[feature.name]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.cat.rename_categories([str(c) for c in values.cat.categories])
            return values.cat.set_categories(known).array
        return pd.Categorical(values.astype(object), categories=known)

    def _matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        columns = {}
        for feature in self.features_:
            values = frame[feature.name]
            if feature.categorical:
                columns[feature.name] = self._categorical(feature, values)
            else:
                columns[feature.name] = pd.to_numeric(values).astype("float64")
        return pd.DataFrame(columns, index=frame.index)

    def _array(self, frame: pd.DataFrame) -> np.ndarray:
        """The features as the trees read them when predicting: a float column per feature
        (filled column by column, then made row-major), a category as its code among
        those the model was trained on, and a category it never saw as missing: the values
        LightGBM itself derives from the frame of :meth:`_matrix`, without the frame."""
        X = np.empty((len(frame), len(self.features_)), order="F")
        for j, feature in enumerate(self.features_):
            values = frame[feature.name]
            if feature.categorical:
                codes = self._categorical(feature, values).codes
                X[:, j] = np.where(codes < 0, np.nan, codes)
            else:
                X[:, j] = pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)
        # The trees read a row at a time: row-major input predicts about a quarter faster.
        return np.ascontiguousarray(X)

    def _margin(self, X: np.ndarray | pd.DataFrame) -> np.ndarray:
        return self.booster_.predict(X, raw_score=True, num_iteration=self.best_iteration_)

    def predict_proba(self, data: Snapshot | pd.DataFrame) -> np.ndarray:
        """The calibrated probability that each row's customer churns within the horizon."""
        self._check_fitted()
        return self.calibrator_(self._margin(self._array(self._frame(data))))

    def contributions(self, data: Snapshot | pd.DataFrame,
                      method: str = "path") -> pd.DataFrame:
        """Each feature's contribution to each row's log-odds of churn, plus the ``bias``
        they start from; the bias and the contributions add up to the model's raw margin.

        ``method`` is ``path`` (the default: each split on the row's way through a tree
        credits its feature with the change it makes to the tree's output; Saabas 2014) or
        ``shap`` (exact tree SHAP; Lundberg et al. 2020). Both start from the same bias; at
        about a hundred trees tree SHAP costs some thirty times as much. See docs/churn.md.
        """
        check_method(method)
        self._check_fitted()
        frame = self._frame(data)
        X = self._array(frame)
        names = [f.name for f in self.features_]
        if method == "shap":
            values = self.booster_.predict(X, pred_contrib=True,
                                           num_iteration=self.best_iteration_,
                                           num_threads=self.threads)
        else:
            paths = self._paths()
            values = np.empty((len(X), len(names) + 1))
            values[:, -1] = paths.bias
            for start in range(0, len(X), CHUNK):
                leaves = self._leaves(X[start:start + CHUNK])
                values[start:start + len(leaves), :-1] = paths.contributions(leaves,
                                                                             self.threads)
        return pd.DataFrame(values, columns=[*names, "bias"], index=frame.index)

    def explain(self, data: Snapshot | pd.DataFrame, top: int = 3, method: str = "path"):
        """The ``top`` features that push each customer's risk up most, as sentences
        (``method`` as in :meth:`contributions`); a feature is a reason only where the
        customer's values lie on the side its sentence calls a risk."""
        from tenure.churn._reasons import explain

        check_method(method)
        self._check_fitted()
        currency = data.currency if isinstance(data, Snapshot) else None
        return explain(self, self._frame(data), top, method, currency)

    def _leaves(self, X: np.ndarray) -> np.ndarray:
        """The leaf each row reaches in each tree (rows x trees)."""
        return self.booster_.predict(X, pred_leaf=True, num_iteration=self.best_iteration_,
                                     num_threads=self.threads)

    def _paths(self) -> TreePaths:
        """The trees' root-to-leaf paths, read from the booster on first use (and again
        whenever the booster changes: a new fit, a load)."""
        from tenure.churn._paths import TreePaths

        cached = getattr(self, "_path_cache", None)
        if cached is None or cached[0] is not self.booster_ or cached[1] != self.best_iteration_:
            paths = TreePaths.from_booster(self.booster_, self.best_iteration_)
            self._path_cache = cached = (self.booster_, self.best_iteration_, paths)
        return cached[2]

    def drivers(self, data: Snapshot | pd.DataFrame, **options):
        """Global key drivers of churn and of staying (see :func:`tenure.churn.key_drivers`)."""
        from tenure.churn._drivers import key_drivers

        return key_drivers(self, data, **options)

    # -- saving -------------------------------------------------------------------------
    @property
    def version(self) -> str:
        """A short hash of the fitted model, naming it in the scores it writes."""
        self._check_fitted()
        text = self.booster_.model_to_string(num_iteration=self.best_iteration_)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        self._check_fitted()
        return {
            "format": FORMAT,
            "version": self.version,
            "definition": self.definition_.to_dict(),
            "definition_text": self.definition_.describe(),
            "training_window": self.training_window_.to_dict(),
            "features": [f.to_dict() for f in self.features_],
            "categories": self.categories_,
            "options": self.get_params(),
            "best_iteration": self.best_iteration_,
            "calibration": self.calibrator_.to_dict(),
            "calibration_scores": self.calibration_scores_,
            "validation_metrics": self.validation_metrics_,
            "validation_rows": self.validation_rows_,
            "recency_roc_auc": self.recency_roc_auc_,
            "splits": self.splits_,
            "typical": self.typical_,
            "currency": self.currency_,
            "booster": self.booster_.model_to_string(num_iteration=self.best_iteration_),
        }

    def save(self, path: str | Path) -> Path:
        """Write the model, its training window, definition, features and metrics as JSON."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False),
                        encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> ChurnModel:
        """A model written by :meth:`save`."""
        import lightgbm as lgb

        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"there is no churn model at {path}; train one with "
                             "`tenure churn train`") from None
        except (OSError, ValueError) as exc:
            raise ModelError(f"{path} cannot be read as a churn model ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError(f"{path} is not a tenure churn model (format {FORMAT}); train one "
                             "with `tenure churn train`")
        missing = [key for key in _SAVED_KEYS if key not in data]
        if missing:
            raise ModelError(f"{path} lacks {', '.join(missing)}, so it is not a whole churn "
                             "model; train one again with `tenure churn train`")
        try:
            model = cls(**data["options"])
            model.booster_ = lgb.Booster(model_str=data["booster"])
            model.best_iteration_ = data["best_iteration"]
            model.features_ = tuple(Feature(**f) for f in data["features"])
            model.categories_ = data["categories"]
            model.calibrator_ = Calibrator.from_dict(data["calibration"])
            model.calibration_scores_ = data["calibration_scores"]
            model.definition_ = ChurnDefinition.from_dict(data["definition"])
            model.training_window_ = TrainingWindow.from_dict(data["training_window"])
            model.validation_metrics_ = data["validation_metrics"]
            model.validation_rows_ = data["validation_rows"]
            # Read by models saved since they were added; older ones lack them.
            model.recency_roc_auc_ = data.get("recency_roc_auc")
            model.splits_ = data.get("splits")
            model.typical_ = dict(data.get("typical") or {})
            model.currency_ = data.get("currency", "")
        except (KeyError, TypeError, ValueError, lgb.basic.LightGBMError) as exc:
            raise ModelError(f"{path} holds a damaged churn model ({type(exc).__name__}: "
                             f"{exc}); train one again with `tenure churn train`") from None
        return model


# What a saved model must hold to be loaded.
_SAVED_KEYS = ("options", "booster", "best_iteration", "features", "categories", "calibration",
               "calibration_scores", "definition", "training_window", "validation_metrics",
               "validation_rows")


def _recency_auc(frame: pd.DataFrame, churned: np.ndarray, hold: np.ndarray) -> float | None:
    """The ROC AUC of the recency baseline on the validation rows, fitted on the others: the
    figure a model has to beat to be worth its complexity."""
    from sklearn.metrics import roc_auc_score

    from tenure.churn._baselines import RECENCY as baseline

    if any(name not in frame.columns for name in baseline.requires):
        return None
    predict = baseline.fit_frame(frame.loc[~hold])
    return float(roc_auc_score(churned[hold], predict(frame.loc[hold])))


def _typical(X: pd.DataFrame, features: Sequence[Feature]) -> dict[str, float]:
    """The median of each numeric feature over the training rows: the neutral value of a
    reason that names no fixed one."""
    typical = {}
    for feature in features:
        if feature.categorical:
            continue
        known = X[feature.name].dropna()
        if len(known):
            typical[feature.name] = float(known.median())
    return typical


def check_method(method: str) -> None:
    if method not in METHODS:
        raise ConfigError(f"contribution method '{method}' is not known; use path (fast, the "
                          "default) or shap (exact tree SHAP, much slower)")


def _check_training(snaps: Sequence[Snapshot]) -> tuple[tuple[Feature, ...], ChurnDefinition]:
    if not snaps:
        raise ModelError("no snapshots to learn from; pass one or more from "
                         "tenure.churn.snapshot(workspace, as_of, horizon)")
    first = snaps[0]
    for snap in snaps:
        if not isinstance(snap, Snapshot) or not snap.labelled:
            raise ModelError("a churn model learns from labelled snapshots; build them with "
                             "tenure.churn.snapshot(workspace, as_of, horizon)")
        if snap.definition != first.definition:
            raise ModelError(f"the snapshots at {first.as_of} and {snap.as_of} use different "
                             f"churn definitions ({first.definition.horizon_days} and "
                             f"{snap.definition.horizon_days} days); build them with one "
                             "definition")
        if snap.feature_names != first.feature_names:
            raise ModelError(f"the snapshots at {first.as_of} and {snap.as_of} have different "
                             "features; build them with the same groups")
    churned = sum(int(s.frame[LABEL].sum()) for s in snaps)
    rows = sum(len(s) for s in snaps)
    dates = ", ".join(s.as_of.isoformat() for s in snaps)
    if rows == 0:
        raise ModelError(f"the snapshots at {dates} hold no customers; choose as-of dates "
                         "after customers have bought")
    if churned == 0:
        raise ModelError(
            f"the snapshots at {dates} hold no churned customers (all {rows:,} stayed within "
            f"{first.definition.horizon_days} days); use a longer horizon or other as-of dates")
    if churned == rows:
        raise ModelError(
            f"every one of the {rows:,} customers in the snapshots at {dates} churned within "
            f"{first.definition.horizon_days} days, so there is nothing to tell apart; use a "
            "shorter horizon or other as-of dates")
    return first.features, first.definition
