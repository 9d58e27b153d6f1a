"""Per-customer reasons: the features that push a customer's churn risk up most, as
sentences.

The contributions are the trees' own (LightGBM ``pred_contrib``, tree SHAP: Lundberg et al.
2020, "From local explanations to global understanding with explainable AI for trees"); a
feature is a reason only when its contribution is positive. Sentences are rendered once per
distinct combination of the values they name, so scoring millions of customers formats far
fewer strings than it has rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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


def _render(feature, frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    fields = list(dict.fromkeys([*feature.fields(), *(feature.fields(feature.fallback)
                                                      if feature.fallback else ())]))
    values = frame.iloc[rows][fields]
    # Text values compare equal across rows only as plain objects, not as categories.
    values = values.astype(object).where(values.notna(), None)
    distinct = values.drop_duplicates()
    sentences = [feature.sentence(dict(zip(fields, row, strict=True)))
                 for row in distinct.itertuples(index=False, name=None)]
    lookup = distinct.assign(_sentence=sentences)
    merged = values.merge(lookup, on=fields, how="left")
    return merged["_sentence"].to_numpy(dtype=object)


# Rows explained at a time: the contributions of a chunk are a dense rows x features matrix.
CHUNK = 200_000


def explain(model, frame: pd.DataFrame, top: int = 3) -> Reasons:
    """The ``top`` features pushing each row's churn risk up most, with their sentences."""
    parts = [_explain(model, frame.iloc[start:start + CHUNK], top)
             for start in range(0, len(frame), CHUNK)]
    if not parts:
        parts = [_explain(model, frame, top)]
    return Reasons(pd.concat(parts, ignore_index=True), top)


def _explain(model, frame: pd.DataFrame, top: int) -> pd.DataFrame:
    contributions = model.contributions(frame)
    names = [f.name for f in model.features_]
    values = contributions[names].to_numpy()
    k = min(top, len(names))
    order = np.argsort(-values, axis=1, kind="stable")[:, :k]
    picked = np.take_along_axis(values, order, axis=1)
    row = np.repeat(np.arange(len(frame)), k)
    rank = np.tile(np.arange(1, k + 1), len(frame))
    which, amount = order.ravel(), picked.ravel()
    keep = amount > 0
    row, rank, which, amount = row[keep], rank[keep], which[keep], amount[keep]
    reasons = np.empty(len(row), dtype=object)
    shown = np.empty(len(row), dtype=object)
    for index, feature in enumerate(model.features_):
        mask = which == index
        if mask.any():
            reasons[mask] = _render(feature, frame, row[mask])
            shown[mask] = frame[feature.name].iloc[row[mask]].astype(object).to_numpy()
    return pd.DataFrame({
        "customer_id": frame["customer_id"].to_numpy()[row],
        "rank": rank,
        "feature": np.array(names, dtype=object)[which],
        "value": shown,
        "contribution": amount,
        "reason": reasons,
    })
