"""Per-group sizes, means, variances and covariances, one vectorised pass each.

Every statistic of :func:`tenure.actions.compare` is a function of these few numbers per
group, so two million units cost a handful of ``np.bincount`` calls whatever the number of
arms. Deviations are taken from each group's own mean, which keeps the sums accurate for
large amounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Moments", "group_covariance", "group_moments", "pooled_slope"]


@dataclass(frozen=True)
class Moments:
    """Per group: units ``n``, ``mean`` and ``var`` (ddof=1) of one variable."""

    n: np.ndarray
    mean: np.ndarray
    var: np.ndarray


def group_moments(codes: np.ndarray, values: np.ndarray,
                  groups: int) -> tuple[Moments, np.ndarray]:
    """The moments of ``values`` in each of ``groups`` groups (``codes`` 0..groups-1, every
    group non-empty), and each value's deviation from its group's mean."""
    n = np.bincount(codes, minlength=groups).astype(float)
    mean = np.bincount(codes, weights=values, minlength=groups) / n
    deviation = values - mean[codes]
    var = np.bincount(codes, weights=deviation * deviation, minlength=groups) / (n - 1)
    return Moments(n, mean, var), deviation


def group_covariance(codes: np.ndarray, deviation: np.ndarray, other: np.ndarray,
                     n: np.ndarray) -> np.ndarray:
    """The covariance (ddof=1) in each group of two variables, from their deviations."""
    return np.bincount(codes, weights=deviation * other, minlength=len(n)) / (n - 1)


def pooled_slope(y: Moments, x: Moments, cov: np.ndarray, pair: list[int]) -> float:
    """The slope ``cov(y, x) / var(x)`` over the pooled units of the groups in ``pair``,
    combined exactly from the group moments: the within-group sums plus the spread of the
    group means."""
    idx = np.asarray(pair)
    n = y.n[idx]
    x_bar, y_bar = x.mean[idx], y.mean[idx]
    x_pool = (n * x_bar).sum() / n.sum()
    y_pool = (n * y_bar).sum() / n.sum()
    sxx = ((n - 1) * x.var[idx]).sum() + (n * (x_bar - x_pool) ** 2).sum()
    sxy = ((n - 1) * cov[idx]).sum() + (n * (x_bar - x_pool) * (y_bar - y_pool)).sum()
    return float(sxy / sxx)
