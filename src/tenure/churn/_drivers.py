"""Global key drivers: which features move customers towards churn or towards staying.

The summary averages the trees' per-customer contributions over a sample of customers, by
exact tree SHAP (Lundberg et al. 2020) rather than the path attributions the reasons use by
default: on a sample of a few thousand it costs about a second, and its shares are consistent
(a feature the model relies on more never gets less credit), which matters more in a ranking
of the features over everyone than in one customer's top three. Partial dependence (Friedman
2001, "Greedy function approximation: a gradient boosting machine") shows the average
predicted risk as one feature is set to each value of a grid while every other feature keeps
its own value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tenure.churn._snapshot import Snapshot

__all__ = ["KeyDrivers", "key_drivers"]


@dataclass(frozen=True)
class KeyDrivers:
    """Key drivers of churn and of staying.

    - ``summary``: one row per feature, strongest first: feature, description,
      mean_abs_contribution, towards_churn (mean of the contributions that raise risk),
      towards_staying (mean of those that lower it), share_raising (share of customers
      whose risk it raises) and direction (whether higher values raise or lower risk).
    - ``partial_dependence``: feature, value, churn_risk for the top features.
    """

    summary: pd.DataFrame
    partial_dependence: pd.DataFrame
    customers: int

    @property
    def frame(self) -> pd.DataFrame:
        return self.summary

    def chart(self):
        """Contribution bars and partial-dependence curves (Altair)."""
        from tenure.charts._churn import drivers_chart

        return drivers_chart(self)


def _direction(values: pd.Series, contributions: np.ndarray) -> str:
    if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == object:
        return "depends on the category"
    x = values.to_numpy(dtype=float)
    known = ~np.isnan(x)
    if known.sum() < 3 or np.nanstd(x[known]) == 0 or np.std(contributions[known]) == 0:
        return "no clear direction"
    r = np.corrcoef(x[known], contributions[known])[0, 1]
    if r > 0.2:
        return "higher raises risk"
    if r < -0.2:
        return "higher lowers risk"
    return "no clear direction"


def key_drivers(model, data: Snapshot | pd.DataFrame, *, top: int = 6, grid: int = 12,
                sample: int = 5_000, seed: int = 0) -> KeyDrivers:
    """Summarise contributions over up to ``sample`` customers and trace partial dependence
    for the ``top`` features on ``grid`` values each."""
    frame = data.frame if isinstance(data, Snapshot) else data
    if len(frame) > sample:
        frame = frame.sample(sample, random_state=seed)
    contributions = model.contributions(frame, method="shap")
    rows = []
    for feature in model.features_:
        c = contributions[feature.name].to_numpy()
        rows.append({
            "feature": feature.name, "description": feature.description,
            "mean_abs_contribution": float(np.abs(c).mean()),
            "towards_churn": float(np.clip(c, 0, None).mean()),
            "towards_staying": float(np.clip(c, None, 0).mean()),
            "share_raising": float((c > 0).mean()),
            "direction": _direction(frame[feature.name], c),
        })
    summary = pd.DataFrame(rows).sort_values("mean_abs_contribution", ascending=False,
                                             ignore_index=True)
    base = frame.head(min(len(frame), 1_000))
    curves = []
    by_name = {f.name: f for f in model.features_}
    for name in summary["feature"].head(top):
        column = frame[name]
        if by_name[name].categorical:
            values = [v for v in column.astype(str).value_counts().index[:grid]]
        else:
            known = column.dropna().to_numpy(dtype=float)
            if not len(known):
                continue
            values = np.unique(np.quantile(known, np.linspace(0.02, 0.98, grid)))
        stacked = pd.concat([base] * len(values), ignore_index=True)
        repeated = np.repeat(np.asarray(values, dtype=object), len(base))
        stacked[name] = (pd.Categorical(repeated.astype(str)) if by_name[name].categorical
                         else repeated.astype(float))
        risk = model.predict_proba(stacked).reshape(len(values), len(base)).mean(axis=1)
        curves.append(pd.DataFrame({"feature": name, "value": list(values), "churn_risk": risk}))
    dependence = (pd.concat(curves, ignore_index=True) if curves
                  else pd.DataFrame(columns=["feature", "value", "churn_risk"]))
    return KeyDrivers(summary, dependence, len(frame))
