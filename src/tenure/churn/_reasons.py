"""Per-customer reasons: the features that push a customer's churn risk up most, as
sentences.

A feature is a reason only when its contribution to the log-odds of churn is positive and
the customer's values lie on the side its sentence calls a risk (see
:meth:`~tenure.churn.Feature.argues`): "buying 1.4x as often as before" is never a reason to
leave, whatever the trees made of it. The
contributions come from the trees themselves, by one of two methods (see docs/churn.md):

- ``path`` (the default): path attributions, Saabas (2014), "Interpreting random forests".
  Every split on a customer's way from a tree's root to its leaf credits its feature with the
  change it makes to the tree's output (see :mod:`tenure.churn._paths`). A compiled loop adds
  up the paths of the leaves LightGBM reports and keeps only each customer's strongest few:
  the cost is that of the trees' depth, a little more than predicting the risk.
- ``shap``: exact tree SHAP, LightGBM's ``pred_contrib`` (Lundberg et al. 2020, "From local
  explanations to global understanding with explainable AI for trees"): consistent in how it
  shares credit between features, at a cost of the trees' leaves times their depth squared
  per tree, some thirty times the path attributions at a hundred trees of depth six.

Sentences are written once per distinct combination of the values they show, as they read
(3.14 and 3.1 both read ``3.1x``), so scoring millions of customers formats far fewer
strings than it has rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tenure.churn._features import Feature
from tenure.churn._paths import CHUNK
from tenure.config import currency_sign

__all__ = ["Reasons", "explain"]


@dataclass(frozen=True)
class Reasons:
    """The top reasons per customer.

    ``frame`` has one row per customer and reason: customer_id, rank (1 is the strongest),
    feature, value, contribution (to the log-odds of churn) and reason (the sentence).
    """

    frame: pd.DataFrame
    top: int

    def wide(self) -> pd.DataFrame:
        """One row per customer with columns reason_1 ... reason_N (blank when fewer)."""
        wide = self.frame.pivot(index="customer_id", columns="rank", values="reason")
        wide = wide.reindex(columns=range(1, self.top + 1))
        wide.columns = [f"reason_{r}" for r in wide.columns]
        return wide.reset_index()

    def for_customer(self, customer_id: str) -> list[str]:
        rows = self.frame[self.frame["customer_id"] == customer_id].sort_values("rank")
        return rows["reason"].tolist()


def render(feature: Feature, frame: pd.DataFrame, rows: np.ndarray,
            constants: Mapping[str, str]) -> np.ndarray:
    """The sentence of ``feature`` for each of ``rows`` of ``frame``, written once per
    distinct combination of how the values it shows read; ``constants`` are the same for
    every row (the currency sign)."""
    fields = dict.fromkeys(name for name in [*feature.fields(), *(
        feature.fields(feature.fallback) if feature.fallback else ())]
        if name not in constants)
    # Rows are told apart only by how their values read; a code of 0 is a missing value.
    combination = np.zeros(len(rows), dtype=np.int64)
    distinct = {}
    for name in fields:
        codes, uniques = pd.factorize(frame[name].iloc[rows])
        values = pd.Series(uniques).astype(object).tolist()
        reads = pd.factorize(np.asarray(feature.readings(name, values), dtype=object))[0]
        shown = np.append(reads + 1, 0)[codes]  # a missing value's code is -1
        combination = pd.factorize(combination * (len(values) + 1) + shown)[0]
        distinct[name] = (codes, values)
    _, first, inverse = np.unique(combination, return_index=True, return_inverse=True)
    sentences = [feature.sentence({**constants, **{
        name: values[codes[row]] if codes[row] >= 0 else None
        for name, (codes, values) in distinct.items()}}) for row in first]
    return np.asarray(sentences, dtype=object)[inverse]


def arguing(model, frame: pd.DataFrame) -> np.ndarray:
    """Rows x features: whether each row's values lie on the side the feature's sentence
    calls a risk (see :meth:`Feature.argues`); only those features can be reasons."""
    typical = getattr(model, "typical_", {})
    allowed = np.empty((len(frame), len(model.features_)), dtype=np.bool_)
    for j, feature in enumerate(model.features_):
        allowed[:, j] = feature.argues(frame, typical)
    return allowed


def strongest(model, frame: pd.DataFrame, k: int,
              method: str = "path") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the ``k`` features with the largest positive contributions among those whose
    sentence agrees with the row's values (:func:`arguing`), strongest first: their indices
    and contributions (-1 and 0 where fewer are positive), each rows x k; and the raw margin,
    which the bias and all the contributions add up to."""
    which = np.full((len(frame), k), -1, dtype=np.int32)
    amount = np.zeros((len(frame), k))
    margin = np.zeros(len(frame))
    for start in range(0, len(frame), CHUNK):
        part = frame.iloc[start:start + CHUNK]
        allowed = arguing(model, part)
        if method == "path":
            picked = model._paths().top(model._leaves(model._array(part)), k, allowed,
                                        model.threads)
        else:
            picked = _top_of(model.contributions(part, method).to_numpy(), k, allowed)
        for out, values in zip((which, amount, margin), picked, strict=True):
            out[start:start + len(part)] = values
    return which, amount, margin


def _top_of(contributions: np.ndarray, k: int,
            allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values = np.where(allowed, contributions[:, :-1], 0.0)  # the last column is the bias
    order = np.argsort(-values, axis=1, kind="stable")[:, :k]
    amount = np.take_along_axis(values, order, axis=1)
    positive = amount > 0
    return np.where(positive, order, -1), np.where(positive, amount, 0), contributions.sum(axis=1)


def sentences(model, frame: pd.DataFrame, which: np.ndarray,
              currency: str | None = None) -> np.ndarray:
    """The reason for each feature picked in ``which`` (rows x k feature indices, -1 for
    none), as a rows x k array of sentences (None for none); amounts read in ``currency``
    (a code such as CNY; default: the one the model was trained in)."""
    constants = {"currency": currency_sign(currency or getattr(model, "currency_", ""))}
    out = np.full(which.shape, None, dtype=object)
    flat = which.ravel()
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(len(model.features_) + 1))
    for index, feature in enumerate(model.features_):
        cells = order[bounds[index]:bounds[index + 1]]
        if len(cells):
            out.flat[cells] = render(feature, frame, cells // which.shape[1], constants)
    return out


def explain(model, frame: pd.DataFrame, top: int = 3, method: str = "path",
            currency: str | None = None) -> Reasons:
    """The ``top`` features pushing each row's churn risk up most, with their sentences."""
    names = [f.name for f in model.features_]
    k = min(top, len(names))
    which, amount, _ = strongest(model, frame, k, method)
    said = sentences(model, frame, which, currency)
    row, rank = np.nonzero(which >= 0)
    picked = which[row, rank]
    shown = np.empty(len(row), dtype=object)
    for index, name in enumerate(names):
        mask = picked == index
        if mask.any():
            shown[mask] = frame[name].iloc[row[mask]].astype(object).to_numpy()
    return Reasons(pd.DataFrame({
        "customer_id": frame["customer_id"].to_numpy()[row],
        "rank": rank + 1,
        "feature": np.array(names, dtype=object)[picked],
        "value": shown,
        "contribution": amount[row, rank],
        "reason": said[row, rank],
    }), top)
