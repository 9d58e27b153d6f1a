"""BG/NBD: the beta-geometric / negative binomial model of repeat buying.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting Your Customers" the Easy Way:
An Alternative to the Pareto/NBD Model. Marketing Science 24(2), 275-284.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import special

from tenure.models._special import (
    dbetaln,
    dot,
    factorize,
    log_add,
    rank_within,
    simulate_events,
)
from tenure.models._transactions import TransactionModel, history_from_events

__all__ = ["BetaGeo", "BetaGeoTotals", "bg_loglik"]


def bg_loglik(r, alpha, a, b, x, tx, T, *, grad: bool = False, modified: bool = False,
              distinct_x: tuple[np.ndarray, np.ndarray] | None = None):
    """Per-customer log-likelihood of BG/NBD (or, with ``modified``, MBG/NBD).

    BG/NBD (Fader, Hardie & Lee 2005, eq. 6)::

        L = B(a, b+x)/B(a, b) * G(r+x) a^r / G(r) * [ (alpha+T)^-(r+x)
            + d(x>0) a/(b+x-1) (alpha+t_x)^-(r+x) ]

    MBG/NBD (Batislam, Denizel & Filiztekin 2007) lets customers drop out right after the
    first purchase too: B(a, b+x+1) replaces B(a, b+x), and a/(b+x) replaces a/(b+x-1) for
    every x, zero included. Computed in log space (a log-sum-exp of the two terms), so large
    x and T neither overflow nor underflow. Returns ``ll`` or ``(ll, gradients)`` with the
    gradients with respect to r, alpha, a and b.

    ``distinct_x`` (the distinct frequencies and each row's index into them) lets the
    special functions, which depend on x alone, be computed once per distinct x; it needs
    scalar parameters.
    """
    k = 1.0 if modified else 0.0
    log_alpha_T = np.log(alpha + T)
    log_alpha_tx = np.log(alpha + tx)
    if distinct_x is None or np.ndim(r) or np.ndim(alpha) or np.ndim(a) or np.ndim(b):
        def per_x(values):
            return values(x)
    else:
        def per_x(values):
            return values(distinct_x[0])[distinct_x[1]]
    base = per_x(lambda v: special.gammaln(r + v) - special.gammaln(r) + r * np.log(alpha)
                 + special.betaln(a, b + v + k) - special.betaln(a, b))
    u3 = -(r + x) * log_alpha_T
    has_second = np.ones_like(x, dtype=bool) if modified else x > 0
    denom = np.where(has_second, b + x - 1 + k, 1.0)
    u4 = np.where(has_second, np.log(a) - np.log(denom) - (r + x) * log_alpha_tx, -np.inf)
    lse, w4 = log_add(u3, u4)
    ll = base + lse
    if not grad:
        return ll
    w3 = 1.0 - w4
    da_0, db_0 = dbetaln(a, b)
    g = {
        "r": (per_x(lambda v: special.digamma(r + v)) - special.digamma(r) + np.log(alpha)
              - w3 * log_alpha_T - w4 * log_alpha_tx),
        "alpha": r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + tx)),
        "a": per_x(lambda v: dbetaln(a, b + v + k)[0]) - da_0 + w4 / a,
        "b": per_x(lambda v: dbetaln(a, b + v + k)[1]) - db_0 - w4 / denom,
    }
    return ll, g


def bg_p_alive(p, x, tx, T, t, *, modified: bool = False):
    """P(alive at T + t | x, t_x, T) for BG/NBD and MBG/NBD (FHL 2005, eq. 11 at t = 0).

    Dropping out happens only right after a purchase, so a customer alive at T stays alive
    to T + t unless they buy and then drop: given alive at T, lambda ~ Gamma(r+x, alpha+T)
    and p ~ Beta(a, b+x(+1)), and E[(1 + p t/(alpha+T))^-(r+x)] is a Gauss hypergeometric
    function. ``t`` is one horizon or one per customer.
    """
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    k = 1.0 if modified else 0.0
    has_second = np.ones_like(x, dtype=bool) if modified else x > 0
    denom = np.where(has_second, b + x - 1 + k, 1.0)
    # log((alpha+T)/(alpha+t_x)) as log1p, exact when T is far larger than t_x.
    log_odds = np.where(has_second, np.log(a) - np.log(denom)
                        + (r + x) * np.log1p((T - tx) / (alpha + tx)), -np.inf)
    alive_now = special.expit(-log_odds)
    if not np.any(t):
        return alive_now
    # E_p[(1 + p u)^-(r+x)], u = t/(alpha+T), p ~ Beta(a, b+x+k): by Pfaff's transformation
    # (1-z)^a 2F1(a+b+k-r, a; a+b+x+k; z) with z = t/(alpha+T+t), whose first two
    # parameters do not grow with x, so heavy buyers neither overflow nor lose precision.
    if r >= LARGE_SHAPE:
        c, span = _per_row(a + b + x + k), _per_row(t)
        stay = over_rate(r + x, alpha + T, lambda lam: special.hyp1f1(a, c, -lam * span))
    else:
        z = t / (alpha + T + t)
        stay = np.exp(a * np.log1p(-z)) * special.hyp2f1(a + b + k - r, a, a + b + x + k, z)
    return alive_now * np.clip(stay, 0.0, 1.0)


def bg_conditional_expectation(p, x, tx, T, t, *, modified: bool = False):
    """E[purchases in (T, T+t] | x, t_x, T] (FHL 2005, eq. 10; MBG/NBD: BDF 2007).

    The factor ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z) is rewritten with
    Euler's transformation as (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose parameters
    do not grow with x, so heavy buyers do not overflow.
    """
    return (bg_expected_if_alive(p, x, T, t, modified=modified)
            * bg_p_alive(p, x, tx, T, 0.0, modified=modified))


def bg_expected_if_alive(p, x, T, t, *, modified: bool = False):
    """E[purchases in (T, T+t] | alive at T, x, T]: the conditional expectation without its
    P(alive) factor. It depends on (x, T) only, not on t_x.

    At a = 1 the formula is 0/0; there (within 1e-7) it is the mean of its values on either
    side, which is exact to the square of that distance.
    """
    a = p["a"]
    if np.any(np.abs(np.asarray(a) - 1.0) < 1e-7):
        return (_expected_if_alive({**p, "a": a + 1e-7}, x, T, t, modified)
                + _expected_if_alive({**p, "a": a - 1e-7}, x, T, t, modified)) / 2
    return _expected_if_alive(p, x, T, t, modified)


def _expected_if_alive(p, x, T, t, modified):
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    k = 1.0 if modified else 0.0
    c = a + b + x - 1 + k
    if r >= LARGE_SHAPE:
        rows, span = _per_row(c), _per_row(t)
        factor = over_rate(r + x, alpha + T, lambda lam: special.hyp1f1(a - 1, rows, -lam * span))
    else:
        z = t / (alpha + T + t)
        factor = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(c - r - x, a - 1, c, z)
    return c / (a - 1) * (1.0 - factor)


# A purchase-rate shape from which 2F1 with a first parameter near -r loses its accuracy
# (SciPy's hyp2f1 returns NaN from about r = 1e4); beyond it the rate is nearly the same for
# every customer, and the expectations over it are taken by quadrature instead.
LARGE_SHAPE = 1000.0
HERMITE = np.polynomial.hermite.hermgauss(24)


def _per_row(values):
    """``values`` with a trailing axis, to meet the quadrature nodes of ``over_rate``."""
    return np.asarray(values, float)[..., None]


def over_rate(shape, scale, f):
    """E[f(lambda)] for lambda ~ Gamma(shape, scale) (a rate), ``shape`` large, per row.

    In y = log(lambda) the density is nearly normal, with mode log(shape/scale) and standard
    deviation 1/sqrt(shape); Gauss-Hermite nodes there, each weight corrected by the ratio of
    the exact density to the normal one and the weights renormalised, integrate smooth f to
    many digits. Given lambda, the expectation over the dropout chance p of BG/NBD is a
    confluent hypergeometric function (Kummer's 1F1), which ``f`` supplies.
    """
    nodes, weights = HERMITE
    shape = np.asarray(shape, float)[..., None]
    scale = np.asarray(scale, float)[..., None]
    sigma = 1.0 / np.sqrt(shape)
    y = np.log(shape / scale) + np.sqrt(2.0) * sigma * nodes
    log_exact = shape * np.log(scale) + shape * y - scale * np.exp(y) - special.gammaln(shape)
    log_normal = -nodes**2 - np.log(np.sqrt(2.0 * np.pi) * sigma)
    w = weights * np.exp(log_exact - log_normal - np.max(log_exact - log_normal, axis=-1,
                                                           keepdims=True))
    lam = np.exp(y)
    return (w * f(lam)).sum(axis=-1) / w.sum(axis=-1)


def bg_pmf_if_alive(p, x, T, t, n_max: int, *, modified: bool = False, exact: bool = True):
    """P(k purchases in (T, T+t] | alive at T, x, T) for k = 0..n_max, one row per customer.

    Given alive at T, lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x) (b+x+1 for
    MBG/NBD, which counts the first purchase as a chance to drop out). As in FHL (2005),
    eq. 8, with the updated parameters: k purchases happen either because the Poisson count
    is k and the customer survives all k, or because they drop out right after the k-th
    while the count would have gone on (P(count >= k), a regularized incomplete beta).
    """
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    x, T = np.asarray(x, float)[:, None], np.asarray(T, float)[:, None]
    t = np.broadcast_to(np.asarray(t, float), (len(x),))[:, None]
    rx = r + x
    bx = b + x + (1.0 if modified else 0.0)
    z = t / (alpha + T + t)
    later = np.arange(1, n_max + 1, dtype=float)[None, :]
    # Both factors by their ratios from one count to the next, summed as logs (a log per
    # cell instead of the several log-gammas of each term): the NBD pmf,
    # nbd(k) / nbd(k-1) = (rx + k - 1) z / k, and B(a, bx + k) / B(a, bx), whose ratio is
    # (bx + k - 1) / (a + bx + k - 1).
    with np.errstate(divide="ignore"):
        log_z = np.log(z)
    log_nbd = np.concatenate([rx * np.log1p(-z), np.log(rx + later - 1.0) - np.log(later)
                              + log_z], axis=1).cumsum(axis=1)
    log_stay = np.concatenate([np.zeros_like(bx), np.log(bx + later - 1.0)
                               - np.log(a + bx + later - 1.0)], axis=1).cumsum(axis=1)
    nbd = np.exp(log_nbd)
    table = np.exp(log_stay) * nbd
    # P(count >= k) = 1 - P(count < k), good to about 1e-16 absolute; below 1e-10, where
    # that would leave fewer than six significant digits, the regularized incomplete beta
    # I_z(k, r+x) gives it exactly (unless ``exact`` is off: intervals need no more).
    tail = np.maximum(1.0 - np.cumsum(nbd, axis=1)[:, :-1], 0.0)
    small = (tail < 1e-10) & exact
    if small.any():
        rows, cols = np.nonzero(small)
        tail[rows, cols] = special.betainc(later[0, cols], rx[rows, 0], z[rows, 0])
    # Leaving right after the k-th purchase: B(a + 1, bx + k - 1) / B(a, bx)
    # = a / (a + bx + k - 1) * B(a, bx + k - 1) / B(a, bx).
    table[:, 1:] += np.exp(np.log(a) - np.log(a + bx + later - 1.0) + log_stay[:, :-1]) * tail
    return table


def bg_unconditional_expectation(p, t, *, modified: bool = False):
    """E[X(t)] for a new customer (FHL 2005, eq. 9; BDF 2007 for MBG/NBD): the expectation
    given alive at x = 0, T = 0, times the chance of being alive then (1, or b / (a + b) for
    MBG/NBD, whose customers may leave right after the first purchase)."""
    t = np.asarray(t, float)
    zero = np.zeros_like(t)
    alive = p["b"] / (p["a"] + p["b"]) if modified else 1.0
    return alive * bg_expected_if_alive(p, zero, zero, t, modified=modified)


def bg_pmf(p, n, t, *, modified: bool = False):
    """P(X(t) = n) for a new customer (FHL 2005, eq. 8; BDF 2007 for MBG/NBD)."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    n = np.asarray(n)
    k = 1 if modified else 0
    log_nbd = (special.gammaln(r + n) - special.gammaln(r) - special.gammaln(n + 1)
               + r * np.log(alpha / (alpha + t)) + n * np.log(t / (alpha + t)))
    first = np.exp(special.betaln(a, b + n + k) - special.betaln(a, b) + log_nbd)
    # Dying right after the n-th purchase (at time 0 too, for MBG/NBD) leaves X(t) = n
    # whenever the NBD count reaches n: 1 - P(count <= n - 1).
    upto = n - 1
    cdf = np.array([np.exp(special.gammaln(r + np.arange(m + 1)) - special.gammaln(r)
                           - special.gammaln(np.arange(m + 1) + 1)
                           + r * np.log(alpha / (alpha + t))
                           + np.arange(m + 1) * np.log(t / (alpha + t))).sum() if m >= 0 else 0.0
                    for m in np.atleast_1d(upto)]).reshape(np.shape(upto))
    second = np.exp(special.betaln(a + 1, b + n - 1 + k) - special.betaln(a, b)) * (1 - cdf)
    if not modified:
        second = np.where(n > 0, second, 0.0)
    return first + second


class BetaGeo(TransactionModel):
    """BG/NBD (Fader, Hardie & Lee 2005): Poisson purchases at rate lambda ~ Gamma(r, alpha);
    after each repeat purchase the customer drops out with probability p ~ Beta(a, b).

    ``purchase_covariates`` (column names) scale the purchase rate by exp(coef . x) through
    alpha; ``dropout_covariates`` scale a, and so the odds of dropping out, by exp(coef . x).

    >>> import tenure
    >>> from tenure.models import BetaGeo
    >>> orders = tenure.datasets.load_cdnow(kind="sample")
    >>> s = tenure.rfm_summary(orders, observation_end="1997-09-30", unit="W")
    >>> model = BetaGeo().fit(s)
    >>> {k: round(v, 3) for k, v in model.params_.items()}
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    """

    name = "bgnbd"
    title = "BG/NBD"
    param_names = ("r", "alpha", "a", "b")
    covariate_links: ClassVar[dict] = {"purchase": ("alpha", -1), "dropout": ("a", 1)}
    example_params: ClassVar[dict] = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    modified = False

    @classmethod
    def _loglik(cls, p, d, grad):
        return bg_loglik(p["r"], p["alpha"], p["a"], p["b"], d["frequency"], d["recency"],
                         d["T"], grad=grad, modified=cls.modified, distinct_x=distinct(d))

    def _totals(self, d, w):
        return BetaGeoTotals(d["frequency"], d["recency"], d["T"], w, modified=self.modified)

    def _starting_points(self, mean_rate, mean_T):
        return [{"r": 1.0, "alpha": 1.0 / mean_rate, "a": 1.0, "b": 1.0},
                {"r": 0.5, "alpha": 0.5 / mean_rate, "a": 0.5, "b": 3.0},
                {"r": 2.0, "alpha": 2.0 / mean_rate, "a": 2.0, "b": 0.5},
                {"r": 0.2, "alpha": 0.1 / mean_rate, "a": 0.2, "b": 10.0}]

    def _p_alive(self, p, x, tx, T, t):
        return bg_p_alive(p, x, tx, T, t, modified=self.modified)

    def _expected_if_alive(self, p, x, T, t):
        return bg_expected_if_alive(p, x, T, t, modified=self.modified)

    def _unconditional_expectation(self, p, t):
        return bg_unconditional_expectation(p, t, modified=self.modified)

    def _pmf(self, p, n, t):
        return bg_pmf(p, n, t, modified=self.modified)

    def _pmf_if_alive(self, p, x, T, t, n_max, exact=True):
        return bg_pmf_if_alive(p, x, T, t, n_max, modified=self.modified, exact=exact)

    @classmethod
    def _draw(cls, rng, p, T, holdout):
        return draw_bg(rng, p, T, holdout, modified=cls.modified)


def distinct(d: dict) -> tuple[np.ndarray, np.ndarray]:
    """The distinct frequencies of ``d`` and each row's index into them, kept in ``d`` so
    that the many likelihood evaluations of one fit compute them once."""
    if "_distinct_x" not in d:
        d["_distinct_x"] = np.unique(d["frequency"], return_inverse=True)
    return d["_distinct_x"]


def draw_bg(rng, p, T, holdout, *, modified: bool):
    """Simulate BG/NBD (or MBG/NBD) histories: Poisson purchases until the dropout."""
    n = len(T)
    lam = rng.gamma(p["r"], 1.0 / p["alpha"])
    drop = np.clip(rng.beta(p["a"], p["b"]), 1e-12, 1.0)
    # Repeat purchases made before dropping out: BG/NBD drops only after a purchase.
    survive = rng.geometric(drop) - (1 if modified else 0)
    owner, times = simulate_events(rng, lam, T + holdout)
    keep = rank_within(owner) < survive[owner]
    return history_from_events(n, owner[keep], times[keep], T, holdout)


class BetaGeoTotals:
    """The weighted BG/NBD (or MBG/NBD) log-likelihood of fixed rows, with its gradient and
    Hessian in (r, alpha, a, b): the sum of ``bg_loglik`` over the rows, arranged so that
    each evaluation does little work per row.

    Per row, log L = A(x) + u3 + log(1 + exp(d)), with A the terms in x alone (computed
    once per distinct x), u3 = -(r+x) log(alpha+T) (summed over the distinct T), and
    d = log a - log(b+x-1) - (r+x) log((alpha+t_x)/(alpha+T)), the log-odds of the second
    term, the only part computed row by row. Rows without the second term (x = 0 under
    BG/NBD) have only A and u3.
    """

    has_hessian = True

    def __init__(self, x, tx, T, w, *, modified: bool = False):
        self.k = 1.0 if modified else 0.0
        self.w_total = float(w.sum())
        x_codes, self.xu = factorize(x)
        self.w_x = np.bincount(x_codes, weights=w, minlength=len(self.xu))
        # The second term's denominator b + x - 1 is 1 where the term is absent (x = 0).
        self.x_shift = np.where(self.xu > 0, self.xu - 1 + self.k, 1.0) if not modified \
            else self.xu
        # u3 over the distinct T: weights and weighted x per T.
        T_codes, self.Tu = factorize(T)
        self.w_T = np.bincount(T_codes, weights=w, minlength=len(self.Tu))
        self.wx_T = np.bincount(T_codes, weights=w * x, minlength=len(self.Tu))
        rows = np.ones(len(x), bool) if modified else x > 0
        tx_codes, self.txu = factorize(tx[rows])
        # Narrow codes make the lookups of each evaluation cheaper.
        self.tx_codes = tx_codes.astype(np.int32)
        self.T_codes, self.x_codes = T_codes[rows].astype(np.int32), x_codes[rows].astype(np.int32)
        self.x, self.w = x[rows], w[rows]

    def __call__(self, params, order):
        from tenure.models._compiled import bg_rows

        r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
        k, xu, w_x = self.k, self.xu, self.w_x
        # Terms in x alone, per distinct x, and u3 per distinct T.
        ll = (w_x @ (special.gammaln(r + xu) + special.betaln(a, b + xu + k))
              + self.w_total * (r * np.log(alpha) - special.gammaln(r) - special.betaln(a, b)))
        log_T = np.log(alpha + self.Tu)
        ll -= dot(log_T, r * self.w_T + self.wx_T)
        # The second term, row by row (compiled): log(1 + exp(d)) and, for the derivatives,
        # sums of s = 1 / (1 + exp(-d)) and v = s (1 - s) times d's own derivatives
        # d' = (-delta_log, -(r+x) delta_inv, 1/a, -1/denom), where delta_log and
        # delta_inv are the differences of log(alpha + .) and 1/(alpha + .) between t_x
        # and T.
        denom = b + self.x_shift
        inv_T, inv_tx = 1.0 / (alpha + self.Tu), 1.0 / (alpha + self.txu)
        sums = bg_rows(self.x, self.w, self.tx_codes, self.T_codes, self.x_codes,
                       np.log(alpha + self.txu), log_T, inv_tx, inv_T,
                       np.log(a) - np.log(denom), 1.0 / denom, float(r), order)
        (rows_ll, ws_log, ws_rx_inv, ws_total, ws_inv_denom, v_log_log, ws_inv, v_log_rx_inv,
         ws_rx_inv2, v_inv_rx_inv, v_log_total, v_log_inv_denom, v_inv_total,
         v_inv_inv_denom, v_total, wsv_inv_denom2, v_inv_denom) = sums
        ll += rows_ll
        if order < 1:
            return ll, None, None
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + xu + k)
        grad = np.array([
            w_x @ special.digamma(r + xu) + self.w_total * (np.log(alpha) - special.digamma(r))
            - dot(log_T, self.w_T) - ws_log,
            self.w_total * r / alpha - dot(inv_T, r * self.w_T + self.wx_T) - ws_rx_inv,
            w_x @ (psi_ab - psi_abx) + ws_total / a,
            w_x @ (special.digamma(b + xu + k) - psi_abx)
            + self.w_total * (psi_ab - special.digamma(b)) - ws_inv_denom,
        ])
        if order < 2:
            return ll, grad, None
        # Second derivatives: of A and u3 (per x and per T), then of log(1 + exp(d)):
        # s d'' + s (1 - s) d' d'^T.
        tri_ab, tri_abx = special.polygamma(1, a + b), special.polygamma(1, a + b + xu + k)
        h = np.empty((4, 4))
        h[0, 0] = (w_x @ special.polygamma(1, r + xu)
                   - self.w_total * special.polygamma(1, r) + v_log_log)
        h[0, 1] = self.w_total / alpha - dot(inv_T, self.w_T) - ws_inv + v_log_rx_inv
        h[1, 1] = (-self.w_total * r / alpha**2 + dot(inv_T**2, r * self.w_T + self.wx_T)
                   + ws_rx_inv2 + v_inv_rx_inv)
        h[0, 2] = -v_log_total / a
        h[0, 3] = v_log_inv_denom
        h[1, 2] = -v_inv_total / a
        h[1, 3] = v_inv_inv_denom
        h[2, 2] = w_x @ (tri_ab - tri_abx) + (v_total - ws_total) / a**2
        h[2, 3] = w_x @ (tri_ab - tri_abx) - v_inv_denom / a
        h[3, 3] = (w_x @ (special.polygamma(1, b + xu + k) - tri_abx)
                   + self.w_total * (tri_ab - special.polygamma(1, b)) + wsv_inv_denom2)
        lower = np.tril_indices(4, -1)
        h[lower] = h.T[lower]
        return ll, grad, h
