"""BG/BB: discrete-time buying and dropping out, for fixed purchase opportunities.

Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-Base Analysis in a Discrete-Time
Noncontractual Setting. Marketing Science 29(6), 1086-1108.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from tenure.errors import InputError, ModelError
from tenure.models._base import ValueModel, prediction
from tenure.models._special import dbetaln
from tenure.models._transactions import columns_of, horizons

__all__ = ["BetaGeoBetaBinom", "bgbb_loglik"]


def bgbb_loglik(alpha, beta, gamma, delta, x, tx, n, *, grad: bool = False):
    """Per-customer log-likelihood of BG/BB (Fader, Hardie & Shang 2010, eq. 5)::

        L = B(alpha+x, beta+n-x)/B(alpha, beta) * B(gamma, delta+n)/B(gamma, delta)
          + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta)
                                * B(gamma+1, delta+t_x+i)/B(gamma, delta)

    x purchases in n opportunities, the last at opportunity t_x. Each term is kept as a log
    and the sum taken as a log-sum-exp. Returns ``ll`` or ``(ll, gradients)``.
    """
    base = special.betaln(alpha, beta) + special.betaln(gamma, delta)
    terms = [(alpha + x, beta + n - x, gamma, delta + n, np.ones_like(x, dtype=bool))]
    span = n - tx
    for i in range(int(np.max(span)) if np.size(span) else 0):
        terms.append((alpha + x, beta + tx - x + i, gamma + 1.0, delta + tx + i, i < span))
    logs = np.stack([np.where(m, special.betaln(u1, v1) + special.betaln(u2, v2), -np.inf)
                     for u1, v1, u2, v2, m in terms])
    top = logs.max(axis=0)
    weights = np.exp(logs - top)
    total = weights.sum(axis=0)
    ll = top + np.log(total) - base
    if not grad:
        return ll
    weights = weights / total
    da0, db0 = dbetaln(alpha, beta)
    dg0, dd0 = dbetaln(gamma, delta)
    g = {"alpha": -da0, "beta": -db0, "gamma": -dg0, "delta": -dd0}
    for share, (u1, v1, u2, v2, m) in zip(weights, terms, strict=True):
        du1, dv1 = dbetaln(u1, v1)
        du2, dv2 = dbetaln(u2, v2)
        share = np.where(m, share, 0.0)
        g["alpha"] = g["alpha"] + share * du1
        g["beta"] = g["beta"] + share * dv1
        g["gamma"] = g["gamma"] + share * du2
        g["delta"] = g["delta"] + share * dv2
    return ll, g


class BetaGeoBetaBinom(ValueModel):
    """BG/BB (Fader, Hardie & Shang 2010): at each of n purchase opportunities (yearly
    events, monthly boxes) a living customer buys with probability p ~ Beta(alpha, beta),
    and before each opportunity dies with probability theta ~ Beta(gamma, delta).

    Fits a table with ``frequency`` (purchases after the first), ``recency`` (the
    opportunity of the last one, 0 if none), ``n_periods`` (opportunities since the first)
    and an optional ``weights`` column (customers sharing that row).

    >>> from tenure.models import BetaGeoBetaBinom
    >>> data = BetaGeoBetaBinom.simulate(n=5000, seed=1)
    >>> model = BetaGeoBetaBinom().fit(data)
    >>> sorted(model.params_)
    ['alpha', 'beta', 'delta', 'gamma']
    """

    name = "bgbb"
    title = "BG/BB"
    param_names = ("alpha", "beta", "gamma", "delta")
    data_columns = ("frequency", "recency", "n_periods")
    example_params: ClassVar[dict] = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}

    def __init__(self, *, n_starts: int = 3, max_iter: int = 500, penalizer_coef: float = 0.0):
        super().__init__(n_starts=n_starts, max_iter=max_iter, penalizer_coef=penalizer_coef)

    @staticmethod
    def _loglik(p, d, grad):
        return bgbb_loglik(p["alpha"], p["beta"], p["gamma"], p["delta"], d["frequency"],
                           d["recency"], d["n_periods"], grad=grad)

    def _validate(self, d):
        x, tx, n = d["frequency"], d["recency"], d["n_periods"]
        checks = [
            ((n < 0) | (n != np.round(n)), "n_periods", "must be a whole number, 0 or more"),
            ((x < 0) | (x != np.round(x)) | (x > n), "frequency",
             "must be a whole number from 0 to n_periods"),
            ((tx != np.round(tx)) | (tx > n) | (tx < np.minimum(x, 1) * x), "recency",
             "must be a whole number from frequency to n_periods"),
            ((x == 0) & (tx != 0), "recency", "must be 0 when frequency is 0"),
        ]
        for bad, column, rule in checks:
            if bad.any():
                raise InputError(f"{bad.sum():,} row(s) break the rule: {column} {rule}",
                                 row=int(np.flatnonzero(bad)[0]), column=column)

    def _starts(self, d, w):
        return [{"alpha": 1.0, "beta": 1.0, "gamma": 1.0, "delta": 1.0},
                {"alpha": 0.5, "beta": 2.0, "gamma": 0.5, "delta": 3.0},
                {"alpha": 2.0, "beta": 0.5, "gamma": 2.0, "delta": 0.5}]

    def _advice(self, d, w):
        return ("it needs customers observed over several opportunities; give more of them, "
                "or fit with penalizer_coef=0.01 to hold the parameters back")

    def _likelihood(self, d):
        p = self._row_params(d)
        return p, bgbb_loglik(p["alpha"], p["beta"], p["gamma"], p["delta"], d["frequency"],
                              d["recency"], d["n_periods"])

    @prediction
    def p_alive(self, data: Any, n_future: Opportunities = 1) -> np.ndarray:
        """P(alive at opportunity n + ``n_future`` | x, t_x, n).

        The default, ``n_future=1``, is the chance of being alive at the next opportunity
        (Fader, Hardie & Shang 2010, eq. 11); ``n_future=0`` the chance of being alive at
        the last one observed; larger values look further ahead (lifetimes'
        ``conditional_probability_alive(m_periods_in_future, ...)``). ``n_future`` is one
        whole number, one per customer, or the name of a column of ``data``.
        """
        d = self._prepare(data)
        m = opportunities(data, n_future, len(d["frequency"]))
        p, ll = self._likelihood(d)
        return np.exp(self._log_alive(p, d, m) - ll)

    @staticmethod
    def _log_alive(p, d, m):
        x, n = d["frequency"], d["n_periods"]
        return (special.betaln(p["alpha"] + x, p["beta"] + n - x)
                - special.betaln(p["alpha"], p["beta"])
                + special.betaln(p["gamma"], p["delta"] + n + m)
                - special.betaln(p["gamma"], p["delta"]))

    @prediction
    def expected_purchases(self, data: Any, n_future: Opportunities) -> np.ndarray:
        """Expected purchases in the next ``n_future`` opportunities (FHS 2010, eq. 13);
        ``n_future`` as in :meth:`p_alive`."""
        d = self._prepare(data)
        m = opportunities(data, n_future, len(d["frequency"]))
        p, ll = self._likelihood(d)
        a, b, g, dl = p["alpha"], p["beta"], p["gamma"], p["delta"]
        x, n = d["frequency"], d["n_periods"]
        log_buy = special.betaln(a + x + 1, b + n - x) - special.betaln(a, b)
        return np.exp(log_buy - ll) * _alive_opportunities(g, dl, n, m)

    @prediction
    def probability_of_n_purchases(self, data: Any, k: int | Sequence[int],
                                   n_future: Opportunities) -> np.ndarray:
        """P(X(n, n + n_future) = k | x, t_x, n): the chance that each customer buys at
        exactly ``k`` of the next ``n_future`` opportunities (one value of k: one per
        customer; a sequence: a column per value).

        A customer gone by n buys at none; one alive at n (chance ``p_alive(data, 0)``)
        buys at each opportunity while alive with p ~ Beta(alpha+x, beta+n-x) and leaves
        before each with theta ~ Beta(gamma, delta+n), their parameters updated by their
        history (FHS 2010, appendix).
        """
        return columns_of(lambda n_max: self.purchase_distribution(data, n_future, n_max=n_max),
                          k)

    @prediction
    def purchase_distribution(self, data: Any, n_future: Opportunities, *,
                              n_max: int = 10) -> np.ndarray:
        """Each customer's predictive distribution of purchases in the next ``n_future``
        opportunities: a row per customer, column k the chance of exactly k (k = 0..n_max)."""
        d = self._prepare(data)
        m = opportunities(data, n_future, len(d["frequency"]))
        return self._distribution_at(self._theta, d, m, n_max)

    def _mixtures(self, thetas, d, times, n_max: int) -> list[np.ndarray]:
        """``purchase_distribution`` averaged over the parameter sets ``thetas``, for each
        number of opportunities of ``times``."""
        return [sum(self._distribution_at(theta, d, m, n_max) for theta in thetas)
                / len(thetas) for m in times]

    def _distribution_at(self, theta, d, m, n_max: int) -> np.ndarray:
        """``purchase_distribution`` at the parameters ``theta`` (optimiser scale)."""
        p = self._unpack(theta, d)
        ll = bgbb_loglik(p["alpha"], p["beta"], p["gamma"], p["delta"], d["frequency"],
                         d["recency"], d["n_periods"])
        alive = np.exp(self._log_alive(p, d, 0.0) - ll)
        table = bgbb_pmf_if_alive(p, d["frequency"], d["n_periods"], m, n_max) * alive[:, None]
        table[:, 0] += 1.0 - alive
        return table

    @prediction
    def p_no_purchase(self, data: Any, n_future: Opportunities) -> np.ndarray:
        """The chance that each customer buys at none of the next ``n_future``
        opportunities."""
        return self.purchase_distribution(data, n_future, n_max=0)[:, 0]

    @prediction
    def probability_of_purchases(self, k: int | Sequence[int], n_periods: int) -> np.ndarray:
        """P(X(n) = k): the chance that a new customer buys at exactly ``k`` of their first
        ``n_periods`` opportunities after the first purchase (FHS 2010, eq. 6); times the
        size of a cohort, the expected histogram of its repeat transactions."""
        self._check_fitted()
        counts = np.asarray(k)
        if np.any(counts < 0) or np.any(counts != np.round(counts)) or n_periods < 0:
            raise ModelError(f"k={k!r} and n_periods={n_periods!r} must be whole numbers, "
                             "0 or more")
        p = {name: float(self.params_[name]) for name in self.param_names}
        zero = np.zeros(1)
        table = bgbb_pmf_if_alive(p, zero, zero, np.array([float(n_periods)]),
                                  int(counts.max(initial=0)))[0]
        return table[counts.astype(np.int64)]

    @prediction
    def expected_purchases_new_customer(self, n_periods: int) -> float:
        """Expected purchases in the first ``n_periods`` opportunities (FHS 2010, eq. 7)."""
        self._check_fitted()
        p = self.params_
        mean_p = p["alpha"] / (p["alpha"] + p["beta"])
        return float(mean_p * _alive_opportunities(p["gamma"], p["delta"], 0.0, n_periods))

    @prediction
    def predict(self, data: Any, n_future: int = 1) -> pd.DataFrame:
        """P(alive) and the expected purchases in the next ``n_future`` opportunities."""
        return pd.DataFrame({"p_alive": self.p_alive(data),
                             "expected_purchases": self.expected_purchases(data, n_future)})

    @classmethod
    def simulate(cls, params: Mapping[str, float] | None = None, n: int = 1000, *,
                 seed: int = 0, n_periods: int = 6, **options: Any) -> pd.DataFrame:
        """Customers over ``n_periods`` opportunities, compressed with a weights column."""
        p = dict(params or cls.example_params)
        rng = np.random.default_rng(seed)
        buy = rng.beta(p["alpha"], p["beta"], n)
        die = np.clip(rng.beta(p["gamma"], p["delta"], n), 1e-12, 1.0)
        alive_for = rng.geometric(die) - 1  # opportunities survived
        periods = np.arange(1, n_periods + 1)
        bought = (rng.random((n, n_periods)) < buy[:, None]) & (periods <= alive_for[:, None])
        x = bought.sum(axis=1)
        tx = np.where(x > 0, (bought * periods).max(axis=1), 0)
        frame = pd.DataFrame({"frequency": x, "recency": tx, "n_periods": n_periods})
        return (frame.groupby(list(frame.columns), as_index=False).size()
                .rename(columns={"size": "weights"}))


Opportunities = int | Sequence[int] | np.ndarray | str


def opportunities(data: Any, n_future: Opportunities, rows: int) -> float | np.ndarray:
    """Future opportunities as the predictions take them: one whole number for every
    customer, or one per customer (an array, or the name of a column of ``data``)."""
    values = horizons(data, n_future, rows)
    if np.any(np.asarray(values) != np.round(values)):
        raise ModelError(f"n_future={n_future!r} must be whole numbers of opportunities")
    return values


def bgbb_pmf_if_alive(p, x, n, m, n_max: int) -> np.ndarray:
    """P(k purchases at opportunities n+1..n+m | alive at n, x, n) for k = 0..n_max.

    Alive at n, p ~ Beta(alpha+x, beta+n-x) and theta ~ Beta(gamma, delta+n). The customer
    lives through j more opportunities, j < m with chance E[theta (1-theta)^j] (leaving
    before opportunity n+j+1) or all m with chance E[(1-theta)^m], and buys at k of those j
    with chance C(j, k) E[p^k (1-p)^(j-k)]; each expectation is a ratio of beta functions.
    """
    a, b, g, dl = (p[name] for name in ("alpha", "beta", "gamma", "delta"))
    x = np.asarray(x, float)[:, None]
    n = np.asarray(n, float)[:, None]
    m = np.broadcast_to(np.asarray(m, float), (len(x),))[:, None]
    k = np.arange(n_max + 1, dtype=float)[None, :]
    ax, bx, dn = a + x, b + n - x, dl + n
    base = special.betaln(ax, bx)
    leave_base = special.betaln(g, dn)

    def bought(j):  # log C(j, k) E[p^k (1-p)^(j-k)], -inf where k > j
        ok = k <= j
        jj, kk = np.where(ok, j, 0.0), np.where(ok, k, 0.0)
        log_choose = (special.gammaln(jj + 1) - special.gammaln(kk + 1)
                      - special.gammaln(jj - kk + 1))
        return np.where(ok, log_choose + special.betaln(ax + kk, bx + jj - kk) - base, -np.inf)

    table = np.exp(bought(m) + special.betaln(g, dn + m) - leave_base)
    for j in range(int(m.max(initial=0))):
        live = m > j
        leave = np.where(live, special.betaln(g + 1.0, dn + j) - leave_base, -np.inf)
        table += np.exp(bought(np.full_like(m, j)) + leave)
    return table


def _alive_opportunities(gamma, delta, n, n_future):
    """delta/(gamma-1) G(gamma+delta)/G(1+delta) [G(1+delta+n)/G(gamma+delta+n)
    - G(1+delta+n+n*)/G(gamma+delta+n+n*)]: the expected opportunities alive after n, up to
    n + n*, divided by the chance of being alive at n (FHS 2010)."""
    lead = special.gammaln(gamma + delta) - special.gammaln(1 + delta)
    now = special.gammaln(1 + delta + n) - special.gammaln(gamma + delta + n)
    later = (special.gammaln(1 + delta + n + n_future)
             - special.gammaln(gamma + delta + n + n_future))
    # delta/(gamma-1) * (e^now - e^later), written to stay finite as gamma -> 1.
    diff = np.exp(lead + now) * -np.expm1(later - now)
    return delta / (gamma - 1) * diff
