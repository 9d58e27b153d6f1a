"""CUPED: a narrower interval from what each unit did before the experiment.

Deng, Xu, Kohavi & Walker (2013), "Improving the sensitivity of online controlled
experiments by utilizing pre-experiment data", WSDM. Each unit's outcome Y is replaced by

    Y_cv = Y - theta * (X - mean(X)),    theta = cov(Y, X) / var(X)

where X is a covariate fixed before assignment (last year's spend). Assignment is random, so
X has the same mean in every arm and the difference of the Y_cv means estimates the same
effect as the difference of the Y means; its variance is smaller by the factor 1 - rho^2,
rho being the correlation of Y and X. theta is estimated once per comparison on the pooled
units of both groups, as the paper does; its own estimation error is of smaller order.

The interval is Welch's on the adjusted outcome: the within-group variance of Y_cv is
var(Y) - 2 theta cov(Y, X) + theta^2 var(X), all from the group moments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tenure.actions._intervals import welch
from tenure.actions._moments import Moments, pooled_slope

__all__ = ["Cuped", "cuped"]


@dataclass(frozen=True)
class Cuped:
    """Per arm: ``theta``, the adjusted ``difference`` with its interval (``low``, ``high``)
    and ``p_value``, and ``variance_reduction``, the share of the difference's variance the
    covariate removed (``1 - rho^2`` made concrete)."""

    theta: np.ndarray
    difference: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p_value: np.ndarray
    variance_reduction: np.ndarray


def cuped(y: Moments, x: Moments, cov: np.ndarray, arms: np.ndarray, control: int,
          confidence: float) -> Cuped:
    """CUPED for each treated group in ``arms`` against the group ``control``."""
    theta = np.array([pooled_slope(y, x, cov, [arm, control]) for arm in arms])
    c = control
    adjusted_var = (y.var[arms] - 2 * theta * cov[arms] + theta**2 * x.var[arms],
                    y.var[c] - 2 * theta * cov[c] + theta**2 * x.var[c])
    # The covariate's own arm means differ only by chance; subtracting theta times that gap
    # is the adjustment.
    adjusted_t = y.mean[arms] - theta * (x.mean[arms] - x.mean[c])
    low, high, p_value = welch(adjusted_t, adjusted_var[0], y.n[arms], y.mean[c],
                               adjusted_var[1], y.n[c], confidence)
    plain = y.var[arms] / y.n[arms] + y.var[c] / y.n[c]
    reduced = adjusted_var[0] / y.n[arms] + adjusted_var[1] / y.n[c]
    with np.errstate(divide="ignore", invalid="ignore"):
        reduction = np.where(plain > 0, 1 - reduced / plain, 0.0)
    return Cuped(theta, adjusted_t - y.mean[c], low, high, p_value, reduction)
