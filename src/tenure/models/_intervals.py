"""Per-customer prediction intervals for purchases and CLV.

Each customer's purchases in the horizon have a predictive distribution (the model's
``purchase_distribution``: gone, or alive and buying as their history says). The fitted
parameters are uncertain too: their estimates are close to normal on the optimiser's scale
(log-parameters, covariate coefficients) with the covariance from the Hessian. Drawing
parameter sets from that normal (quasi-random, so that a few dozen cover it evenly) and
averaging the customer's distribution over them gives the distribution of what the customer
will do, both uncertainties included; the interval is its central part. Everything is
computed once per distinct history, so a million customers cost what their few hundred
thousand distinct histories do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tenure.errors import ModelError
from tenure.models._base import prediction
from tenure.models._special import distinct_rows
from tenure.models._transactions import Horizon, horizons

__all__ = ["PredictionIntervals", "prediction_intervals"]

# Parameter draws: a power of two, for the balance of the quasi-random (Sobol) points.
DRAWS = 32
FIRST_N_MAX = 15


@dataclass(frozen=True)
class PredictionIntervals:
    """Per-customer intervals, one row per row of the data, in its order.

    ``frame``: purchases_lower and purchases_upper (whole purchases in the horizon), the
    probability the customer's predictive distribution puts between them
    (purchases_probability: whole counts make it differ from ``level``, and it is above it
    for customers more likely than ``level`` to buy nothing), and with a spend model clv,
    clv_lower and clv_upper. ``level`` is the nominal coverage, ``draws``
    the parameter sets averaged over (1 when the model has no covariance, as one built with
    ``from_params``: then only the customers' own randomness is in the intervals, which
    ``parameter_uncertainty`` says).
    """

    level: float
    horizon: Any
    draws: int
    parameter_uncertainty: bool
    frame: pd.DataFrame


def parameter_draws(model: Any, draws: int, seed: int) -> np.ndarray:
    """``draws`` parameter sets on the optimiser's scale, quasi-random normal around the
    estimates with their covariance; the estimates alone if the covariance is missing.

    The points are a Halton sequence shifted by a seeded random offset (a Cranley-Patterson
    rotation), mapped through the normal quantile function and the Cholesky factor of the
    covariance: a few dozen of them cover the normal far more evenly than as many random
    draws.
    """
    theta = np.asarray(model._theta, float)
    cov = np.asarray(model.covariance_, float)
    if draws <= 1 or not np.all(np.isfinite(cov)):
        return theta[None, :]
    from scipy import special

    try:
        factor = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return theta[None, :]
    shift = np.random.default_rng(seed).random(len(theta))
    points = (halton(draws, len(theta)) + shift) % 1.0
    return theta + special.ndtri(points) @ factor.T


def halton(n: int, dims: int) -> np.ndarray:
    """The first ``n`` points of the Halton sequence in ``dims`` dimensions (skipping the
    origin), one prime base per dimension."""
    primes: list[int] = []
    candidate = 2
    while len(primes) < dims:
        if all(candidate % q for q in primes):
            primes.append(candidate)
        candidate += 1
    index = np.arange(1, n + 1)
    out = np.zeros((n, dims))
    for j, base in enumerate(primes):
        rest, scale = index.copy(), 1.0 / base
        while rest.any():
            out[:, j] += (rest % base) * scale
            rest //= base
            scale /= base
    return out


def mixture_distribution(model: Any, d: dict[str, np.ndarray], t, thetas: np.ndarray,
                         n_max: int) -> np.ndarray:
    """The predictive distribution of each row's purchases (columns 0..n_max), averaged
    over the parameter sets ``thetas``."""
    return model._mixtures(thetas, d, [t], n_max)[0]


def central_interval(table: np.ndarray, level: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The central interval of each row's discrete distribution whose probability is nearest
    ``level``: from the (1 - level) / 2 quantile to whichever of the two counts around the
    1 - (1 - level) / 2 quantile brings the probability inside nearer ``level`` (whole
    counts cannot hold exactly 90%; taking always the wider would hold 95% and more).
    Returns lower, upper and the probability of [lower, upper]; rows whose distribution does
    not reach the upper quantile within the table get upper = -1."""
    tail = (1.0 - level) / 2
    rows = np.arange(len(table))
    cdf = np.cumsum(table, axis=1)
    lower = np.argmax(cdf > tail - 1e-12, axis=1)
    reached = cdf >= 1.0 - tail - 1e-12
    upper = np.argmax(reached, axis=1)
    below = cdf[rows, np.maximum(lower - 1, 0)] * (lower > 0)
    wide = cdf[rows, upper] - below
    narrow_upper = np.maximum(upper - 1, lower)
    narrow = cdf[rows, narrow_upper] - below
    take_narrow = np.abs(narrow - level) < np.abs(wide - level)
    upper = np.where(take_narrow, narrow_upper, upper)
    held = np.where(take_narrow, narrow, wide)
    return lower, np.where(reached.any(axis=1), upper, -1), held


def purchase_intervals(model: Any, d: dict[str, np.ndarray], times: list, level: float,
                       thetas: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each horizon of ``times``: the lower and upper purchase counts of each row and
    the probability between them, the table of counts widened for the rows whose upper end
    lies beyond it."""
    rows = len(next(iter(d.values())))
    out = [(np.zeros(rows, np.int64), np.full(rows, -1, np.int64), np.zeros(rows))
           for _ in times]
    todo, n_max = np.arange(rows), FIRST_N_MAX
    while len(todo):
        part = {k: v[todo] for k, v in d.items()}
        spans = [t[todo] if np.ndim(t) else t for t in times]
        tables = model._mixtures(thetas, part, spans, n_max)
        short = np.zeros(len(todo), bool)
        for (lower, upper, held), table in zip(out, tables, strict=True):
            lower[todo], upper[todo], held[todo] = central_interval(table, level)
            short |= upper[todo] < 0
        todo = todo[short]
        n_max = 3 * n_max - 5  # 15, 40, 115, ...: a few rows need the longer tables
        if n_max > 100_000:
            raise ModelError("some customers' purchase distributions reach beyond 100,000 "
                             "purchases in the horizon; use a shorter horizon")
    return out


@prediction
def prediction_intervals(purchases: Any, data: Any, t: Horizon, *, level: float = 0.9,
                         spend: Any = None, clv_horizon: Horizon | None = None,
                         steps: int = 12, discount_rate: float = 0.0, margin: float = 1.0,
                         draws: int = DRAWS, seed: int = 0) -> PredictionIntervals:
    """Prediction intervals for each customer's purchases in the next ``t`` units (BG/BB:
    opportunities) and, with a fitted ``spend`` model (Gamma-Gamma), for their CLV over
    ``clv_horizon`` (default ``t``) as in :meth:`GammaGamma.clv`.

    The purchase interval is the central part of the customer's predictive distribution
    whose probability is nearest ``level``, parameter uncertainty included (``draws``
    quasi-random parameter sets from the fit's covariance, ``seed`` fixing them). The CLV
    interval is the purchase interval over the CLV horizon valued at the customer's
    expected spend per purchase, discounted as their expected purchases are: it carries the
    uncertainty of how many purchases they make, not of what each will cost.

    >>> import tenure
    >>> from tenure.models import BetaGeo, prediction_intervals
    >>> s = tenure.rfm_summary(tenure.datasets.load_cdnow(kind="sample"),
    ...                        observation_end="1997-09-30", unit="W")
    >>> bounds = prediction_intervals(BetaGeo().fit(s), s, 39.0).frame
    >>> bounds.purchases_upper[:3].tolist()
    [3, 0, 2]
    """
    if not 0 < level < 1:
        raise ModelError(f"level={level} must lie between 0 and 1, e.g. 0.9")
    if draws < 1:
        raise ModelError(f"draws={draws} must be at least 1")
    d = purchases._prepare(data)
    rows = len(next(iter(d.values())))
    t_rows = horizons(data, t, rows)
    clv_t = t_rows if clv_horizon is None else horizons(data, clv_horizon, rows)
    thetas = parameter_draws(purchases, draws, seed)
    # Once per distinct history (and horizons), spread back to the customers.
    keys = [*d.values(), *(h for h in (t_rows, clv_t) if np.ndim(h))]
    codes, first = distinct_rows(*keys)
    distinct = {k: v[first] for k, v in d.items()}

    def at_first(h):
        return h[first] if np.ndim(h) else h

    if spend is not None and not hasattr(purchases, "discounted_purchases"):
        raise ModelError(f"CLV intervals need a continuous-time purchase model (BG/NBD, "
                         f"MBG/NBD, Pareto/NBD); got {purchases.title}")
    same = clv_horizon is None or np.array_equal(np.asarray(clv_t), np.asarray(t_rows))
    times = [at_first(t_rows)] + ([] if spend is None or same else [at_first(clv_t)])
    bounds = purchase_intervals(purchases, distinct, times, level, thetas)
    lower, upper, held = bounds[0]
    frame = pd.DataFrame({"purchases_lower": lower[codes], "purchases_upper": upper[codes],
                          "purchases_probability": held[codes]})
    if spend is not None:
        clv_lower, clv_upper, _held = bounds[-1]
        per_purchase = margin * np.asarray(spend.expected_spend(data), float)
        discounted = purchases.discounted_purchases(data, horizon=clv_t, steps=steps,
                                                    discount_rate=discount_rate)
        expected = purchases.expected_purchases(data, clv_t)
        # Discounting as the customer's expected purchases are discounted.
        factor = np.divide(discounted, expected, out=np.ones_like(discounted),
                           where=expected > 0)
        value = per_purchase * factor
        frame["clv"] = per_purchase * discounted
        frame["clv_lower"] = value * clv_lower[codes]
        frame["clv_upper"] = value * clv_upper[codes]
    return PredictionIntervals(level, t, len(thetas), len(thetas) > 1, frame)
