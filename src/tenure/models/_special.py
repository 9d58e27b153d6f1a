"""Special functions the likelihoods need, in log space and with their derivatives."""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["distinct_rows", "dot", "gauss_legendre", "log_hyp2f1_unit", "simulate_events"]

MAX_TERMS = 5000


def log_hyp2f1_unit(b: np.ndarray, c: np.ndarray, z: np.ndarray, grad: bool = False):
    """log 2F1(1, b; c; z) for 0 <= z < 1 and c > b > 0, with d/db, d/dc and d/dz.

    The series sum_n (b)_n / (c)_n z^n has positive terms that shrink at least as fast as
    z^n, so it is summed directly, each row stopping once its terms no longer matter. Its
    value lies between 1 and (1 - z)^(-1), so nothing overflows.
    """
    b, c, z = np.broadcast_arrays(np.asarray(b, float), np.asarray(c, float),
                                  np.asarray(z, float))
    shape = b.shape
    b, c, z = b.ravel(), c.ravel(), z.ravel()
    total = np.ones_like(z)
    d_b = np.zeros_like(z)
    d_c = np.zeros_like(z)
    d_z = np.zeros_like(z)
    # Work on the rows still summing, packed together, and write each back when it is done.
    rows = np.flatnonzero(z > 0)
    bb, cc, zz = b[rows], c[rows], z[rows]
    term = np.ones_like(zz)
    acc = np.ones_like(zz)
    acc_b, acc_c, acc_z = np.zeros_like(zz), np.zeros_like(zz), np.zeros_like(zz)
    sum_b, sum_c = np.zeros_like(zz), np.zeros_like(zz)
    n = 0
    while rows.size and n < MAX_TERMS:
        bn, cn = bb + n, cc + n
        term = term * (bn / cn) * zz
        acc += term
        if grad:
            sum_b += 1.0 / bn
            sum_c += 1.0 / cn
            acc_b += term * sum_b
            acc_c -= term * sum_c
            acc_z += term * ((n + 1) / zz)
        n += 1
        if n % 4 == 0 or n >= MAX_TERMS:
            # The remaining tail is below term * z / (1 - z); a row is done when that is
            # negligible beside its sum.
            done = term * zz / (1.0 - zz) <= 1e-17 * acc
            if n >= MAX_TERMS:
                done[:] = True
            if done.any():
                finished = rows[done]
                total[finished] = acc[done]
                d_b[finished], d_c[finished], d_z[finished] = acc_b[done], acc_c[done], acc_z[done]
                keep = ~done
                rows, bb, cc, zz, term, acc = (rows[keep], bb[keep], cc[keep], zz[keep],
                                               term[keep], acc[keep])
                acc_b, acc_c, acc_z = acc_b[keep], acc_c[keep], acc_z[keep]
                sum_b, sum_c = sum_b[keep], sum_c[keep]
    log_total = np.log(total).reshape(shape)
    if not grad:
        return log_total
    return (log_total, (d_b / total).reshape(shape), (d_c / total).reshape(shape),
            (d_z / total).reshape(shape))


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """Sum of u * v over long vectors in one pass, on the calling thread: a BLAS dot
    product may start threads of its own, which on a busy machine cost more than they
    save."""
    return float(np.einsum("i,i->", u, v))


def distinct_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group among the distinct combinations of ``columns``, and one row index
    per group: ``f(col[first])[codes]`` equals ``f(col)`` for a row-wise ``f``."""
    import pandas as pd

    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        column_codes, uniques = pd.factorize(column)
        codes, _groups = pd.factorize(codes * len(uniques) + column_codes)
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
