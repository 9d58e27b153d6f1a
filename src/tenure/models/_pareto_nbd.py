"""Pareto/NBD: Poisson purchases and an exponential lifetime, both gamma-mixed.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting Your Customers: Who Are
They and What Will They Do Next? Management Science 33(1), 1-24. The likelihood is written
as in Fader, Hardie & Lee (2005), "A Note on Deriving the Pareto/NBD Model and Related
Expressions".
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import special

from tenure.errors import ModelError
from tenure.models._base import prediction
from tenure.models._special import (
    count_pmf_with_lifetime,
    distinct_rows,
    factorize,
    log_add,
    log_hyp2f1_unit,
    simulate_events,
)
from tenure.models._transactions import TransactionModel, history_from_events

__all__ = ["ParetoNBD", "ParetoNBDTotals", "pnbd_loglik"]


def _log_tail(r, alpha, s, beta, x, y):
    """log of G(y) = integral from y to infinity of (alpha+u)^-(r+x) (beta+u)^-(s+1) du,
    with its gradient.

    G(y) (r+s+x) is the Gauss hypergeometric term of the Pareto/NBD likelihood,
    2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+y)) / (alpha+y)^(r+s+x) when alpha >= beta
    (the roles swap otherwise). Euler's transformation turns it into 2F1(1, b; r+s+x+1; z)
    with c > b, which lies between 1 and 1/(1-z): it cannot overflow however large x is.
    """
    a_y, b_y = alpha + y, beta + y
    la, lb = np.log(a_y), np.log(b_y)
    big = r + s + x
    ge = np.broadcast_to(alpha >= beta, np.broadcast(a_y, b_y).shape)
    z = np.where(ge, (alpha - beta) / a_y, (beta - alpha) / b_y)
    bpar = np.where(ge, r + x, s + 1.0)
    lh, h_b, h_c, h_z = log_hyp2f1_unit(bpar, big + 1.0, z, grad=True)
    log_g = np.where(ge, -s * lb - (r + x) * la, (1 - r - x) * la - (s + 1) * lb) + lh
    log_g = log_g - np.log(big)
    g = {
        "r": -la + np.where(ge, h_b, 0.0) + h_c - 1.0 / big,
        "s": -lb + np.where(ge, 0.0, h_b) + h_c - 1.0 / big,
        "alpha": np.where(ge, -(r + x) / a_y + h_z * b_y / a_y**2,
                          (1 - r - x) / a_y - h_z / b_y),
        "beta": np.where(ge, -s / b_y - h_z / a_y, -(s + 1) / b_y + h_z * a_y / b_y**2),
    }
    return log_g, g


def _tail_at(r, alpha, s, beta, x, y, pairs):
    """_log_tail on the distinct (x, y) pairs, spread back to the rows."""
    if pairs is None or np.ndim(alpha) or np.ndim(beta) or np.ndim(r) or np.ndim(s):
        return _log_tail(r, alpha, s, beta, x, y)
    xu, yu, index = pairs
    log_g, g = _log_tail(r, alpha, s, beta, xu, yu)
    return log_g[index], {k: v[index] for k, v in g.items()}


def distinct_pairs(x: np.ndarray, y: np.ndarray):
    """Distinct (x, y) pairs and each row's index into them."""
    index, first = distinct_rows(x, y)
    return x[first], y[first], index


def pnbd_loglik(r, alpha, s, beta, x, tx, T, *, grad: bool = False, pairs=None,
                distinct_x=None):
    """Per-customer log-likelihood of the Pareto/NBD model (Schmittlein et al. 1987)::

        L = G(r+x) a^r b^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s
            + s * integral_{t_x}^{T} (alpha+u)^-(r+x) (beta+u)^-(s+1) du ]

    The second term (the customer died between t_x and T) is the difference of two
    hypergeometric tails (see ``_log_tail``), taken in log space. Returns ``ll`` or
    ``(ll, gradients)`` with the gradients with respect to r, alpha, s and beta.

    ``pairs`` (from ``distinct_pairs`` for (x, t_x) and for (x, T)) computes each tail once
    per distinct pair, and ``distinct_x`` (the distinct frequencies and each row's index
    into them) the gamma functions once per distinct x; both need scalar parameters.
    """
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    lg_tx, g_tx = _tail_at(r, alpha, s, beta, x, tx, pairs[0] if pairs else None)
    lg_T, g_T = _tail_at(r, alpha, s, beta, x, T, pairs[1] if pairs else None)
    ratio = np.exp(np.minimum(lg_T - lg_tx, 0.0))
    with np.errstate(divide="ignore"):
        log_dead = np.log(s) + lg_tx + np.log1p(-ratio)
    lse, w_dead = log_add(log_alive, log_dead)
    if distinct_x is None or np.ndim(r):
        def per_x(values):
            return values(x)
    else:
        def per_x(values):
            return values(distinct_x[0])[distinct_x[1]]
    base = (per_x(lambda v: special.gammaln(r + v)) - special.gammaln(r) + r * np.log(alpha)
            + s * np.log(beta))
    ll = base + lse
    if not grad:
        return ll
    w_alive = 1.0 - w_dead
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / (1.0 - ratio)
        d_log_i = {k: np.where(ratio < 1.0, (g_tx[k] - ratio * g_T[k]) * inv, 0.0)
                   for k in g_tx}
    g = {
        "r": (per_x(lambda v: special.digamma(r + v)) - special.digamma(r) + np.log(alpha)
              - w_alive * np.log(alpha + T) + w_dead * d_log_i["r"]),
        "alpha": r / alpha - w_alive * (r + x) / (alpha + T) + w_dead * d_log_i["alpha"],
        "s": np.log(beta) - w_alive * np.log(beta + T) + w_dead * (1.0 / s + d_log_i["s"]),
        "beta": s / beta - w_alive * s / (beta + T) + w_dead * d_log_i["beta"],
    }
    return ll, g


class ParetoNBD(TransactionModel):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchases at rate
    lambda ~ Gamma(r, alpha) while alive; an exponential lifetime with rate mu ~ Gamma(s, beta).

    ``purchase_covariates`` scale lambda and ``dropout_covariates`` scale mu by
    exp(coef . x), through alpha and beta (Fader & Hardie 2007, "Incorporating
    Time-Invariant Covariates into the Pareto/NBD and BG/NBD Models").

    >>> import tenure
    >>> from tenure.models import ParetoNBD
    >>> orders = tenure.datasets.load_cdnow(kind="sample")
    >>> s = tenure.rfm_summary(orders, observation_end="1997-09-30", unit="W")
    >>> model = ParetoNBD().fit(s)
    >>> {k: round(v, 3) for k, v in model.params_.items()}
    {'r': 0.553, 'alpha': 10.578, 's': 0.606, 'beta': 11.669}
    """

    name = "pnbd"
    title = "Pareto/NBD"
    param_names = ("r", "alpha", "s", "beta")
    covariate_links: ClassVar[dict] = {"purchase": ("alpha", -1), "dropout": ("beta", -1)}
    example_params: ClassVar[dict] = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}
    # The work of an evaluation grows with the distinct (x, t_x) and (x, T) pairs, which a
    # sample thins out slowly: a small one keeps the scouting cheap.
    scout_rows: ClassVar[int] = 5_000

    @staticmethod
    def _loglik(p, d, grad):
        if "_pairs" not in d:  # once per fit: the tails depend on (x, t_x) and (x, T) only
            d["_pairs"] = (distinct_pairs(d["frequency"], d["recency"]),
                           distinct_pairs(d["frequency"], d["T"]))
            codes, first = distinct_rows(d["frequency"])
            d["_distinct_x"] = (d["frequency"][first], codes)
        return pnbd_loglik(p["r"], p["alpha"], p["s"], p["beta"], d["frequency"],
                           d["recency"], d["T"], grad=grad, pairs=d["_pairs"],
                           distinct_x=d["_distinct_x"])

    def _totals(self, d, w):
        return ParetoNBDTotals(d["frequency"], d["recency"], d["T"], w)

    def _starting_points(self, mean_rate, mean_T):
        return [{"r": 1.0, "alpha": 1.0 / mean_rate, "s": 1.0, "beta": mean_T},
                {"r": 0.5, "alpha": 0.5 / mean_rate, "s": 0.5, "beta": 0.5 * mean_T},
                {"r": 2.0, "alpha": 2.0 / mean_rate, "s": 2.0, "beta": 4.0 * mean_T},
                {"r": 0.2, "alpha": 0.2 / mean_rate, "s": 0.2, "beta": 0.1 * mean_T}]

    def _log_alive_share(self, p, x, tx, T):
        ll = pnbd_loglik(p["r"], p["alpha"], p["s"], p["beta"], x, tx, T)
        base = (special.gammaln(p["r"] + x) - special.gammaln(p["r"])
                + p["r"] * np.log(p["alpha"]) + p["s"] * np.log(p["beta"]))
        log_alive = -(p["r"] + x) * np.log(p["alpha"] + T) - p["s"] * np.log(p["beta"] + T)
        return log_alive + base - ll

    def _p_alive(self, p, x, tx, T, t):
        """P(alive at T+t): alive at T, then an exponential lifetime with mu ~
        Gamma(s, beta+T) survives t more."""
        alive = np.exp(self._log_alive_share(p, x, tx, T))
        return alive * ((p["beta"] + T) / (p["beta"] + T + t)) ** p["s"]

    def _expected_if_alive(self, p, x, T, t):
        """Schmittlein et al. (1987), eq. 22, without its P(alive) factor; the s = 1 limit
        taken smoothly."""
        r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
        log_q = np.log(beta + T) - np.log(beta + T + t)
        return (r + x) * (beta + T) / (alpha + T) * _one_minus_power_over(log_q, s - 1.0)

    def _unconditional_expectation(self, p, t):
        r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
        return r * beta / alpha * _one_minus_power_over(np.log(beta / (beta + t)), s - 1.0)

    def _pmf(self, p, n, t):
        """P(X(t) = n) for a new customer: the conditional pmf at x = 0, T = 0."""
        n = np.asarray(n)
        zero = np.zeros(1)
        table = self._pmf_if_alive(p, zero, zero, t, int(n.max(initial=0)))[0]
        return table[n]

    def _pmf_if_alive(self, p, x, T, t, n_max, exact=True):
        """P(k purchases in (T, T+t] | alive at T) (Fader & Hardie 2006, "Deriving the
        Conditional PMF of the Pareto/NBD Model"): lambda ~ Gamma(r+x, alpha+T) and the rest
        of the lifetime is Pareto II with mu ~ Gamma(s, beta+T)."""
        r, s, beta = p["r"], p["s"], p["beta"]
        x, T = np.asarray(x, float), np.asarray(T, float)
        t = np.broadcast_to(np.asarray(t, float), x.shape)
        b = beta + T
        stay = np.exp(s * (np.log(b) - np.log(b + t)))

        def time_at(u):
            return b[:, None] * np.expm1(-np.log1p(-u) / s)

        return count_pmf_with_lifetime(r + x, p["alpha"] + T, t, n_max, stay, time_at)

    @prediction
    def expected_remaining_lifetime(self, data, discount_rate: float = 0.0) -> np.ndarray:
        """Expected remaining lifetime of each customer, in the summary's unit.

        Given alive at T, mu ~ Gamma(s, beta+T). Undiscounted it is P(alive) (beta+T)/(s-1),
        infinite when s <= 1. With a continuous ``discount_rate`` d > 0 it is
        P(alive) (beta+T)^s d^(s-1) U(s, s, d (beta+T)), U the confluent hypergeometric
        function of the second kind (Fader, Hardie & Lee 2005, "RFM and CLV").
        """
        p, x, tx, T = self._hist(data)
        if discount_rate < 0:
            raise ModelError(f"discount_rate={discount_rate} must be 0 or more")
        alive = np.exp(self._log_alive_share(p, x, tx, T))
        s, b = p["s"], p["beta"] + T
        if discount_rate == 0:
            return np.where(s > 1, alive * b / np.maximum(s - 1, 1e-300), np.inf)
        d = discount_rate
        return alive * b**s * d ** (s - 1) * special.hyperu(s, s, d * b)

    @staticmethod
    def _draw(rng, p, T, holdout):
        n = len(T)
        lam = rng.gamma(p["r"], 1.0 / p["alpha"])
        mu = rng.gamma(p["s"], 1.0 / p["beta"])
        death = rng.exponential(1.0 / np.maximum(mu, 1e-300))
        owner, times = simulate_events(rng, lam, np.minimum(death, T + holdout))
        return history_from_events(n, owner, times, T, holdout)


def _one_minus_power_over(log_q, k):
    """(1 - q^k) / k for q = exp(log_q) <= 1, continuous at k = 0 (where it is -log q)."""
    k = np.asarray(k, float)
    safe = np.where(np.abs(k) < 1e-10, 1.0, k)
    return np.where(np.abs(k) < 1e-10, -log_q, -np.expm1(k * log_q) / safe)


class ParetoNBDTotals:
    """The weighted Pareto/NBD log-likelihood of fixed rows with its gradient in
    (r, alpha, s, beta): the sum of ``pnbd_loglik`` over the rows.

    The hypergeometric tails are computed once per distinct (x, t_x) and (x, T) pair and the
    gamma functions once per distinct x; what is left, per row, is combined in one compiled
    pass. No Hessian: fits take it from differences of this gradient.
    """

    has_hessian = False

    def __init__(self, x, tx, T, w):
        self.pairs = (distinct_pairs(x, tx), distinct_pairs(x, T))
        x_codes, self.xu = factorize(x)
        self.w_x = np.bincount(x_codes, weights=w, minlength=len(self.xu))
        self.w_total = float(w.sum())
        self.x, self.T, self.w = x, T, w

    def __call__(self, params, order):
        r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
        (x_tx, y_tx, i_tx), (x_T, y_T, i_T) = self.pairs
        lg_tx, g_tx = _log_tail(r, alpha, s, beta, x_tx, y_tx)
        lg_T, g_T = _log_tail(r, alpha, s, beta, x_T, y_T)
        from tenure.models._compiled import pnbd_rows

        names = ("r", "alpha", "s", "beta")
        sums = pnbd_rows(self.x, self.T, self.w, i_tx, i_T, lg_tx,
                          np.stack([g_tx[k] for k in names]), lg_T,
                          np.stack([g_T[k] for k in names]), r, alpha, s, beta)
        w_x, total = self.w_x, self.w_total
        ll = sums[0] + (w_x @ special.gammaln(r + self.xu)
                        + total * (r * np.log(alpha) + s * np.log(beta) - special.gammaln(r)))
        if order < 1:
            return ll, None, None
        grad = sums[1:] + np.array([
            w_x @ special.digamma(r + self.xu) + total * (np.log(alpha) - special.digamma(r)),
            total * r / alpha, total * np.log(beta), total * s / beta])
        return ll, grad, None
