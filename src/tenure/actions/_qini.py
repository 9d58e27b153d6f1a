"""How well a ranking finds the customers a treatment moves, judged on experimental data.

Radcliffe (2007), "Using control groups to target on predicted lift: building and assessing
uplift models", Direct Marketing Analytics Journal 1, 14-21. Rank everyone by predicted
uplift; among the first k, with R_t, R_c the outcomes summed over the treated and the
control and N_t, N_c their counts, the Qini curve is

    Q(k) = R_t(k) - R_c(k) * N_t(k) / N_c(k)

the incremental outcome of treating the top k, counted in treated units (the control term
is 0 until a control unit is reached). Random targeting is the straight line from (0, 0) to
(1, Q(N)). The Qini area is the area between a curve and that line over the share targeted;
normalised, it is divided by the area of the best possible ranking (treated units by
outcome first, control units with outcomes last), so 0 is random and 1 perfect.

Customers with the same predicted uplift are taken together: the curve is evaluated at the
end of each block of ties, so no ranking gains from the order its ties happen to be in.

>>> import numpy as np
>>> from tenure.actions import qini_auc
>>> treated = np.array([1, 1, 1, 1, 0, 0, 0, 0])
>>> bought = np.array([1, 1, 0, 0, 0, 0, 1, 1])
>>> round(qini_auc(-np.arange(8.0), treated, bought), 3)   # treated buyers first: perfect
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tenure.actions._checks import check_experiment, check_numbers
from tenure.errors import InputError

__all__ = ["qini_auc", "qini_curve", "uplift_at_k"]


def _ranked(uplift: Any, treatment: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores = check_numbers(uplift, "uplift")
    treated, outcome = check_experiment(treatment, y, rows=len(scores))
    order = np.argsort(-scores, kind="stable")
    return scores[order], treated[order], outcome[order]


def _curve(scores: np.ndarray, treated: np.ndarray,
           outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units targeted and Q at the end of each block of tied scores, from (0, 0)."""
    ends = np.r_[np.flatnonzero(np.diff(scores) != 0), len(scores) - 1]
    n_t = np.cumsum(treated)[ends]
    n_c = np.cumsum(~treated)[ends]
    r_t = np.cumsum(np.where(treated, outcome, 0.0))[ends]
    r_c = np.cumsum(np.where(treated, 0.0, outcome))[ends]
    ratio = np.divide(n_t, n_c, out=np.zeros(len(ends)), where=n_c > 0)
    return np.r_[0, ends + 1], np.r_[0.0, r_t - r_c * ratio]


def qini_curve(uplift: Any, treatment: Any, y: Any) -> pd.DataFrame:
    """The Qini curve of a ranking by ``uplift`` (higher first) on units with ``treatment``
    (1 treated, 0 control) and outcome ``y``: one row per block of tied scores, with
    targeted (units), share (of all units), incremental (Q) and random (the straight line)."""
    scores, treated, outcome = _ranked(uplift, treatment, y)
    targeted, q = _curve(scores, treated, outcome)
    share = targeted / len(scores)
    return pd.DataFrame({"targeted": targeted, "share": share, "incremental": q,
                         "random": share * q[-1]})


def _area(targeted: np.ndarray, q: np.ndarray, units: int) -> float:
    """Area between a Qini curve and the random line, over the share targeted."""
    share = targeted / units
    return float(np.trapezoid(q, share) - q[-1] / 2)


def qini_auc(uplift: Any, treatment: Any, y: Any, *, normalize: bool = True) -> float:
    """The area between the Qini curve of ``uplift`` and random targeting; with
    ``normalize`` divided by the area of the best possible ranking (NaN if that is not
    positive)."""
    scores, treated, outcome = _ranked(uplift, treatment, y)
    area = _area(*_curve(scores, treated, outcome), len(scores))
    if not normalize:
        return area
    best = np.where(treated, outcome, -outcome)
    order = np.argsort(-best, kind="stable")
    # The best ranking is one order, not a set of ties: every unit is its own step.
    steps = -np.arange(len(order), dtype=float)
    ideal = _area(*_curve(steps, treated[order], outcome[order]), len(scores))
    return area / ideal if ideal > 0 else float("nan")


def uplift_at_k(uplift: Any, treatment: Any, y: Any, k: float = 0.2) -> float:
    """Mean outcome of the treated minus that of the control among the share ``k`` with
    the highest ``uplift``. Ties at the cut enter in proportion, so the order of tied units
    does not matter."""
    if not isinstance(k, int | float) or isinstance(k, bool) or not 0 < k <= 1:
        raise InputError(f"k={k!r} should be a share between 0 and 1, such as 0.2")
    scores, treated, outcome = _ranked(uplift, treatment, y)
    cut = k * len(scores)
    blocks = np.r_[0, np.cumsum(np.diff(scores) != 0)]
    sizes = np.bincount(blocks)
    before = np.r_[0, np.cumsum(sizes)[:-1]]
    weight = (np.clip(cut - before, 0, sizes) / sizes)[blocks]
    w_t, w_c = weight * treated, weight * ~treated
    if w_t.sum() == 0 or w_c.sum() == 0:
        which = "treated" if w_t.sum() == 0 else "control"
        raise InputError(f"the top {k:.0%} by uplift holds no {which} units; raise k or "
                         "evaluate on more units")
    return float((w_t * outcome).sum() / w_t.sum() - (w_c * outcome).sum() / w_c.sum())
