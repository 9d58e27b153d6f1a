"""GGompertz/NBD: Poisson purchases and a gamma-mixed Gompertz lifetime.

Bemmaor, A. C. & Glady, N. (2012). Modeling Purchasing Behavior with Sudden "Death": A
Flexible Customer Lifetime Model. Management Science 58(5), 1012-1021.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import special

from tenure.models._special import (
    count_pmf_with_lifetime,
    gauss_legendre,
    log_add,
    simulate_events,
)
from tenure.models._transactions import TransactionModel, history_from_events

__all__ = ["GGompertzNBD", "ggomnbd_loglik"]

# Gauss-Legendre nodes for the integral over the time of death, and the span (in the
# variable that turns the purchase term into exp(-w)) beyond which it is negligible.
DEATH_NODES = 48
DEATH_SPAN = 60.0
# Rows per block of the quadrature, which bounds the memory of a fit on many rows.
BLOCK = 50_000


def _log_clock(beta, b, y):
    """log(beta + exp(b y) - 1): the gamma scale of the lifetime once time y has passed,
    without overflow for large b y or loss of digits for small ones."""
    by = b * y
    big = by > 30.0
    safe = np.where(big, 0.0, by)
    return np.where(big, by + np.log1p((beta - 1.0) * np.exp(-np.where(big, by, 0.0))),
                    np.log(beta + np.expm1(safe)))


def _death_terms(r, alpha, b, s, beta, x, y):
    """log of (alpha+y)^-(r+x) times the lifetime density at y, and its derivatives with
    respect to (r, alpha, b, s, beta) at fixed y."""
    k = r + x
    la = np.log(alpha + y)
    clock = _log_clock(beta, b, y)
    share = 1.0 / (1.0 + (beta - 1.0) * np.exp(-np.minimum(b * y, 700.0)))  # e^{by}/(beta+e^{by}-1)
    log_f = np.log(b) + np.log(s) + s * np.log(beta) + b * y - (s + 1.0) * clock
    grads = (-la, -k / (alpha + y), 1.0 / b + y - (s + 1.0) * y * share,
             1.0 / s + np.log(beta) - clock, s / beta - (s + 1.0) * np.exp(-clock))
    return -k * la + log_f, grads


def ggomnbd_loglik(r, alpha, b, s, beta, x, tx, T, *, grad: bool = False):
    """Per-customer log-likelihood of GGompertz/NBD (Bemmaor & Glady 2012, eq. 6)::

        L = G(r+x) alpha^r / G(r) * [ (alpha+T)^-(r+x) (beta / (beta + e^{bT} - 1))^s
            + integral_{t_x}^{T} (alpha+y)^-(r+x) f(y) dy ],
        f(y) = b s beta^s e^{by} / (beta + e^{by} - 1)^(s+1)

    the lifetime of a customer being Gompertz with hazard eta b e^{bt}, eta ~ Gamma(s, beta).
    The integral (death between the last purchase and T) has no closed form: in
    w = (r+x) log((alpha+y)/(alpha+t_x)) the purchase term is exp(-w) and what is left varies
    slowly, so Gauss-Legendre on w over [0, min(W, 60)] takes it to many digits; its
    derivatives are the integrals of the integrand's, on the same nodes. Returns ``ll`` or
    ``(ll, gradients)``.
    """
    x, tx, T = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, float)) for v in (x, tx, T)))
    ll = np.empty(x.shape)
    grads = {name: np.empty_like(ll) for name in ("r", "alpha", "b", "s", "beta")}
    # Parameters that differ by row (covariates) are cut into the same blocks as the rows.
    params = [np.broadcast_to(v, x.shape) if np.ndim(v) else v for v in (r, alpha, b, s, beta)]
    for start in range(0, max(len(ll), 1), BLOCK):
        part = slice(start, start + BLOCK)
        here = [v[part] if np.ndim(v) else v for v in params]
        out = _loglik_block(*here, x[part], tx[part], T[part], grad)
        if grad:
            ll[part] = out[0]
            for name, value in out[1].items():
                grads[name][part] = value
        else:
            ll[part] = out
    return (ll, grads) if grad else ll


def _loglik_block(r, alpha, b, s, beta, x, tx, T, grad):
    k = r + x
    base = special.gammaln(k) - special.gammaln(r) + r * np.log(alpha)
    clock_T = _log_clock(beta, b, T)
    log_alive = -k * np.log(alpha + T) + s * (np.log(beta) - clock_T)
    # Death in (t_x, T]: the nodes in w, mapped back to y.
    nodes, weights = gauss_legendre(DEATH_NODES)
    span = np.minimum(k * (np.log(alpha + T) - np.log(alpha + tx)), DEATH_SPAN)
    w = span[:, None] * nodes[None, :]
    y = np.minimum((alpha + tx)[:, None] * np.exp(w / k[:, None]) - alpha, T[:, None])
    log_term, term_grads = _death_terms(r, alpha, b, s, beta, x[:, None], y)
    # dy = (alpha + y) / k dw, and the integrand is exp(log_term).
    log_g = log_term + np.log(alpha + y) - np.log(k)[:, None]
    with np.errstate(divide="ignore"):
        log_w = np.log(span)[:, None] + np.log(weights)[None, :] + log_g
    has_dead = span > 0
    top = np.where(has_dead, log_w.max(axis=1), 0.0)
    mass = np.exp(log_w - top[:, None])
    total = mass.sum(axis=1)
    with np.errstate(divide="ignore"):
        log_dead = np.where(has_dead, top + np.log(np.where(has_dead, total, 1.0)), -np.inf)
    lse, w_dead = log_add(log_alive, log_dead)
    ll = base + lse
    if not grad:
        return ll
    w_alive = 1.0 - w_dead
    shares = mass / np.where(has_dead, total, 1.0)[:, None]
    dead = [np.where(has_dead, (shares * g).sum(axis=1), 0.0) for g in term_grads]
    tail_share = 1.0 / (1.0 + (beta - 1.0) * np.exp(-np.minimum(b * T, 700.0)))
    alive = (-np.log(alpha + T), -k / (alpha + T), -s * T * tail_share,
             np.log(beta) - clock_T, s / beta - s * np.exp(-clock_T))
    own = (special.digamma(k) - special.digamma(r) + np.log(alpha), r / alpha, 0.0, 0.0, 0.0)
    g = {name: own[i] + w_alive * alive[i] + w_dead * dead[i]
         for i, name in enumerate(("r", "alpha", "b", "s", "beta"))}
    return ll, g


class GGompertzNBD(TransactionModel):
    """GGompertz/NBD (Bemmaor & Glady 2012): Poisson purchases at rate lambda ~ Gamma(r,
    alpha) while alive; a Gompertz lifetime with hazard eta b e^{bt}, eta ~ Gamma(s, beta),
    so that the chance of leaving can grow (b > 0) with time as a customer.
    ``purchase_covariates`` scale lambda and ``dropout_covariates`` scale eta by
    exp(coef . x), through alpha and beta, as in CLVTools. As b -> 0 with
    beta / b fixed it becomes Pareto/NBD, which is where it lands on CDNOW (Bemmaor & Glady,
    table 2: the same log-likelihood, -9594.98).

    >>> from tenure.models import GGompertzNBD
    >>> data = GGompertzNBD.simulate(n=2000, seed=1, T=52.0)
    >>> sorted(GGompertzNBD().fit(data).params_)
    ['alpha', 'b', 'beta', 'r', 's']
    """

    name = "ggomnbd"
    title = "GGompertz/NBD"
    param_names = ("r", "alpha", "b", "s", "beta")
    covariate_links: ClassVar[dict] = {"purchase": ("alpha", -1), "dropout": ("beta", -1)}
    example_params: ClassVar[dict] = {"r": 0.6, "alpha": 8.0, "b": 0.05, "s": 1.5,
                                      "beta": 5.0}
    # Each evaluation integrates over the time of death for every distinct row: a small
    # sample finds the optimum's neighbourhood, Newton steps on all rows finish.
    scout_rows: ClassVar[int] = 5_000

    @staticmethod
    def _loglik(p, d, grad):
        return ggomnbd_loglik(p["r"], p["alpha"], p["b"], p["s"], p["beta"], d["frequency"],
                              d["recency"], d["T"], grad=grad)

    def _starting_points(self, mean_rate, mean_T):
        return [{"r": 1.0, "alpha": 1.0 / mean_rate, "b": 1.0 / mean_T, "s": 1.0, "beta": 1.0},
                {"r": 0.5, "alpha": 0.5 / mean_rate, "b": 0.1 / mean_T, "s": 0.5, "beta": 0.1},
                {"r": 2.0, "alpha": 2.0 / mean_rate, "b": 3.0 / mean_T, "s": 2.0, "beta": 5.0}]

    def _remaining(self, p, T):
        """The gamma scale of eta given alive at T: beta + e^{bT} - 1, as a log."""
        return _log_clock(p["beta"], p["b"], T)

    def _log_alive_share(self, p, x, tx, T):
        ll = ggomnbd_loglik(p["r"], p["alpha"], p["b"], p["s"], p["beta"], x, tx, T)
        base = (special.gammaln(p["r"] + x) - special.gammaln(p["r"])
                + p["r"] * np.log(p["alpha"]))
        log_alive = (-(p["r"] + x) * np.log(p["alpha"] + T)
                     + p["s"] * (np.log(p["beta"]) - self._remaining(p, T)))
        return np.minimum(log_alive + base - ll, 0.0)

    def _stay(self, p, T, t):
        """P(alive at T + t | alive at T) = (scale at T / scale at T + t)^s."""
        return np.exp(p["s"] * (self._remaining(p, T) - self._remaining(p, T + t)))

    def _p_alive(self, p, x, tx, T, t):
        return np.exp(self._log_alive_share(p, x, tx, T)) * self._stay(p, T, t)

    def _expected_if_alive(self, p, x, T, t):
        """E[lambda | alive] times the expected time alive in (T, T+t]: the integral of the
        survival over the horizon, by Gauss-Legendre."""
        x, T = np.asarray(x, float), np.asarray(T, float)
        t = np.broadcast_to(np.asarray(t, float), np.broadcast(x, T).shape)
        nodes, weights = gauss_legendre(DEATH_NODES)
        u = t[..., None] * nodes
        alive_time = t * (self._stay(p, T[..., None], u) @ weights)
        return (p["r"] + x) / (p["alpha"] + T) * alive_time

    def _unconditional_expectation(self, p, t):
        t = np.asarray(t, float)
        zero = np.zeros_like(t)
        return self._expected_if_alive(p, zero, zero, t)

    def _pmf(self, p, n, t):
        n = np.asarray(n)
        zero = np.zeros(1)
        return self._pmf_if_alive(p, zero, zero, t, int(n.max(initial=0)))[0][n]

    def _pmf_if_alive(self, p, x, T, t, n_max, exact=True):
        """Given alive at T: lambda ~ Gamma(r+x, alpha+T), and the rest of the life has
        survival (scale at T / scale at T + tau)^s (see ``_stay``)."""
        b, s = p["b"], p["s"]
        x, T = np.asarray(x, float), np.asarray(T, float)
        t = np.broadcast_to(np.asarray(t, float), x.shape)
        log_scale = self._remaining(p, T)

        def time_at(u):
            # e^{b tau} = 1 + scale (u' - 1) e^{-bT}, u' = (1 - u)^(-1/s).
            grow = np.exp(log_scale[:, None] - b * T[:, None]) * np.expm1(-np.log1p(-u) / s)
            return np.log1p(grow) / b

        return count_pmf_with_lifetime(p["r"] + x, p["alpha"] + T, t, n_max,
                                       self._stay(p, T, t), time_at)

    @staticmethod
    def _draw(rng, p, T, holdout):
        n = len(T)
        lam = rng.gamma(p["r"], 1.0 / p["alpha"])
        eta = rng.gamma(p["s"], 1.0 / p["beta"])
        # S(t | eta) = exp(-eta (e^{bt} - 1)): the lifetime by inverting it.
        death = np.log1p(rng.exponential(1.0, n) / np.maximum(eta, 1e-300)) / p["b"]
        owner, times = simulate_events(rng, lam, np.minimum(death, T + holdout))
        return history_from_events(n, owner, times, T, holdout)
