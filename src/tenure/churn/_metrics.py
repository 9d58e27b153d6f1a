"""How good a churn score is: ranking, calibration and what the riskiest tenth holds."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["METRICS", "calibration_curve", "score_metrics", "top_share"]

METRICS = ("roc_auc", "pr_auc", "brier", "top_decile_lift", "top_decile_capture",
           "calibration_error")


def top_share(churned: np.ndarray, risk: np.ndarray, share: float = 0.1) -> float:
    """Expected number of churners among the ``share`` of customers with the highest risk.

    Customers tied at the cut count in proportion, so a score with many ties (days since the
    last purchase) is neither helped nor hurt by the order the ties happen to be in.
    """
    churned = np.asarray(churned, dtype=float)
    risk = np.asarray(risk, dtype=float)
    k = share * len(risk)
    frame = pd.DataFrame({"risk": risk, "churned": churned})
    groups = frame.groupby("risk", sort=True)["churned"].agg(["sum", "count"]).iloc[::-1]
    before = groups["count"].cumsum().shift(fill_value=0).to_numpy()
    take = np.clip(k - before, 0, groups["count"].to_numpy())
    return float((groups["sum"].to_numpy() / groups["count"].to_numpy() * take).sum())


def calibration_curve(churned, risk, bins: int = 10) -> pd.DataFrame:
    """Observed churn rate against mean predicted risk in ``bins`` equal-width bins."""
    churned = np.asarray(churned, dtype=float)
    risk = np.asarray(risk, dtype=float)
    which = np.minimum((risk * bins).astype(int), bins - 1)
    frame = pd.DataFrame({"bin": which, "predicted": risk, "observed": churned})
    curve = frame.groupby("bin").agg(predicted=("predicted", "mean"),
                                     observed=("observed", "mean"),
                                     customers=("observed", "size")).reset_index()
    curve["bin_low"] = curve["bin"] / bins
    return curve[["bin", "bin_low", "predicted", "observed", "customers"]]


def score_metrics(churned, risk) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier score, lift and capture in the top decile, and the expected
    calibration error (mean gap between predicted and observed rates over ten bins, weighted
    by customers)."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    churned = np.asarray(churned, dtype=bool)
    risk = np.asarray(risk, dtype=float)
    base = churned.mean()
    top = top_share(churned, risk)
    curve = calibration_curve(churned, risk)
    gap = (curve["predicted"] - curve["observed"]).abs()
    return {
        "roc_auc": float(roc_auc_score(churned, risk)),
        "pr_auc": float(average_precision_score(churned, risk)),
        "brier": float(brier_score_loss(churned, risk)),
        "top_decile_lift": float(top / (0.1 * len(risk)) / base),
        "top_decile_capture": float(top / churned.sum()),
        "calibration_error": float((gap * curve["customers"]).sum() / len(risk)),
    }
