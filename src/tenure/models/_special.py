"""Special functions the likelihoods need, in log space and with their derivatives."""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["count_pmf_with_lifetime", "distinct_rows", "dot", "factorize", "gauss_legendre",
           "log_add", "log_hyp2f1_unit", "simulate_events"]

def log_hyp2f1_unit(b: np.ndarray, c: np.ndarray, z: np.ndarray, grad: bool = False):
    """log 2F1(1, b; c; z) for 0 <= z < 1 and c > b > 0, with d/db, d/dc and d/dz.

    The series sum_n (b)_n / (c)_n z^n has positive terms that shrink at least as fast as
    z^n, so it is summed directly, each row stopping once its terms no longer matter. Its
    value lies between 1 and (1 - z)^(-1), so nothing overflows.
    """
    b, c, z = np.broadcast_arrays(np.asarray(b, float), np.asarray(c, float),
                                  np.asarray(z, float))
    shape = b.shape
    from tenure.models._compiled import hyp2f1_unit_series

    out = hyp2f1_unit_series(np.ascontiguousarray(b.ravel()), np.ascontiguousarray(c.ravel()),
                              np.ascontiguousarray(z.ravel()), grad)
    if not grad:
        return out[0].reshape(shape)
    return tuple(v.reshape(shape) for v in out)


def log_add(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(e^u + e^v) without overflow (either may be -inf, not both), and the share of the
    second term, e^v / (e^u + e^v): the two parts of a likelihood that is a sum of two
    scenarios (alive at T, or gone before), and the weight of the second in its gradient."""
    top = np.maximum(u, v)
    lse = top + np.log(np.exp(u - top) + np.exp(v - top))
    return lse, np.exp(v - lse)


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """Sum of u * v over long vectors in one pass, on the calling thread: a BLAS dot
    product may start threads of its own, which on a busy machine cost more than they
    save."""
    return float(np.einsum("i,i->", u, v))


# Whole numbers below this are factorized by a table lookup (frequencies, and recencies and
# ages in days, are).
SMALL_WHOLE = 1 << 22


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's index into the distinct values, and the distinct values (``codes``,
    ``uniques`` with ``uniques[codes] == values``), as ``pandas.factorize`` does. Whole
    numbers from 0 up to a few million, the usual case in a summary, go through a lookup
    table instead of a hash table, which is several times quicker; their uniques come
    sorted."""
    import pandas as pd

    values = np.asarray(values)
    if values.dtype.kind in "fiu" and len(values):
        low, high = values.min(), values.max()
        if low >= 0 and high < SMALL_WHOLE:
            whole = values.astype(np.int64, copy=False)
            if values.dtype.kind != "f" or np.array_equal(whole, values):
                present = np.zeros(int(high) + 1, dtype=bool)
                present[whole] = True
                index = np.cumsum(present) - 1
                return index[whole], np.flatnonzero(present).astype(values.dtype)
    return pd.factorize(values)


def distinct_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group among the distinct combinations of ``columns``, and one row index
    per group: ``f(col[first])[codes]`` equals ``f(col)`` for a row-wise ``f``."""

    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        column_codes, uniques = factorize(column)
        codes, _groups = factorize(codes * len(uniques) + column_codes)
    first = np.zeros(codes.max() + 1 if len(codes) else 0, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return codes, first


def gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights on [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return (nodes + 1) / 2, weights / 2


def simulate_events(rng: np.random.Generator, rate: np.ndarray,
                    end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson arrivals with ``rate`` on (0, end] for each customer: (owner, time), sorted."""
    counts = rng.poisson(rate * end)
    owner = np.repeat(np.arange(len(rate)), counts)
    times = rng.random(len(owner)) * end[owner]
    order = np.lexsort((times, owner))
    return owner[order], times[order]


def rank_within(owner: np.ndarray) -> np.ndarray:
    """0-based rank of each event among its owner's (events sorted by owner)."""
    if not len(owner):
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    lengths = np.diff(np.r_[starts, len(owner)])
    return np.arange(len(owner)) - np.repeat(starts, lengths)


def dbetaln(u, v):
    """Derivatives of log B(u, v) with respect to u and v."""
    both = special.digamma(u + v)
    return special.digamma(u) - both, special.digamma(v) - both


# Gauss-Legendre nodes for the integral over the dropout time of the purchase count.
LIFETIME_NODES = 64


def count_pmf_with_lifetime(rx, scale, t, n_max: int, stay, time_at):
    """P(k purchases in the next ``t`` | alive now) for k = 0..n_max, one row per customer,
    when purchases are Poisson at a rate ~ Gamma(rx, scale) for as long as the customer
    lives, and the rest of their life has survival ``stay`` at ``t`` and quantile function
    ``time_at(u)`` (the time by which a share u of such customers have left).

    Alive throughout (chance ``stay``) the count is negative binomial over t; gone at tau,
    it is negative binomial over tau. The second part is the integral of that pmf over the
    dropout time, taken in u = the dropout time's CDF (so the integrand is a probability
    between 0 and 1, smooth but for a bounded power at the far end) by Gauss-Legendre.
    """
    rx, scale = np.asarray(rx, float), np.asarray(scale, float)
    t, stay = np.asarray(t, float), np.asarray(stay, float)
    nodes, weights = gauss_legendre(LIFETIME_NODES)
    died = 1.0 - stay
    tau = time_at(died[:, None] * nodes[None, :])
    z_t = t / (scale + t)
    z = tau / (scale[:, None] + tau)
    log_keep_t, log_keep = rx * np.log1p(-z_t), rx[:, None] * np.log1p(-z)
    out = np.empty((len(rx), n_max + 1))
    for k in range(n_max + 1):
        coef = special.gammaln(rx + k) - special.gammaln(rx) - special.gammaln(k + 1.0)
        at_t = np.exp(coef + log_keep_t + special.xlogy(k, z_t))
        along = np.exp(coef[:, None] + log_keep + special.xlogy(k, z)) @ weights
        out[:, k] = stay * at_t + died * along
    return out
