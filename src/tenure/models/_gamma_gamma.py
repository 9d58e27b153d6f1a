"""Gamma-Gamma: the spend per purchase, independent of how often a customer buys.

Colombo, R. & Jiang, W. (1999). A stochastic RFM model. Journal of Interactive Marketing
13(3), 2-12; as used in Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), RFM and CLV:
Using Iso-Value Curves for Customer Base Analysis. Journal of Marketing Research 42(4),
415-430.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from tenure.errors import InputError, ModelError
from tenure.models._base import ModelWarning, ValueModel, prediction
from tenure.models._special import dot, factorize

if TYPE_CHECKING:
    import ibis

__all__ = ["GammaGamma", "GammaGammaTotals", "gg_loglik", "gg_transactions_loglik"]


def gg_loglik(p, q, gamma, x, m, *, grad: bool = False, distinct_x=None):
    """Log-density of a customer's mean spend m over x purchases (Fader, Hardie & Lee 2005,
    "RFM and CLV", eq. 3; the constant x-only terms kept)::

        f(m | p, q, gamma; x) = G(px+q) / (G(px) G(q)) gamma^q m^(px-1) x^(px)
                                / (gamma + m x)^(px+q)

    Each purchase ~ Gamma(p, nu) and nu ~ Gamma(q, gamma), so the mean of x purchases given
    nu is Gamma(px, nu x). Returns ``ll`` or ``(ll, gradients)``. ``distinct_x`` (distinct
    frequencies and each row's index into them) computes the x-only terms once per x.
    """
    if distinct_x is None:
        def per_x(values):
            return values(x)
    else:
        def per_x(values):
            return values(distinct_x[0])[distinct_x[1]]
    px = p * x
    log_gm = np.log(gamma + m * x)
    log_m = np.log(m)
    ll = (per_x(lambda v: special.gammaln(p * v + q) - special.gammaln(p * v)
                + p * v * np.log(v)) - special.gammaln(q)
          + q * np.log(gamma) + (px - 1) * log_m - (px + q) * log_gm)
    if not grad:
        return ll
    psi = per_x(lambda v: special.digamma(p * v + q))
    g = {
        "p": x * (psi - per_x(lambda v: special.digamma(p * v) - np.log(v)) + log_m - log_gm),
        "q": psi - special.digamma(q) + np.log(gamma) - log_gm,
        "gamma": q / gamma - (px + q) / (gamma + m * x),
    }
    return ll, g


def gg_transactions_loglik(p, q, gamma, x, m, log_mean, *, grad: bool = False):
    """Log-likelihood of a customer's x individual spends z_1..z_x, whose mean is m and the
    mean of whose logs is ``log_mean`` (Colombo & Jiang 1999; FHL 2005, "RFM and CLV",
    before they reduce it to the mean)::

        L = prod z_i^(p-1) / G(p)^x * gamma^q / G(q) * G(px+q) / (gamma + m x)^(px+q)

    Each z_i ~ Gamma(p, nu) and nu ~ Gamma(q, gamma), integrated out. Unlike the likelihood
    of the mean alone, the spread of a customer's spends (through the logs) informs p, and a
    customer with a single purchase counts too. Returns ``ll`` or ``(ll, gradients)``.
    """
    log_gm = np.log(gamma + m * x)
    px = p * x
    ll = ((p - 1) * x * log_mean - x * special.gammaln(p) + q * np.log(gamma)
          - special.gammaln(q) + special.gammaln(px + q) - (px + q) * log_gm)
    if not grad:
        return ll
    psi = special.digamma(px + q)
    g = {
        "p": x * (log_mean - special.digamma(p) + psi - log_gm),
        "q": np.log(gamma) - special.digamma(q) + psi - log_gm,
        "gamma": q / gamma - (px + q) / (gamma + m * x),
    }
    return ll, g


class GammaGamma(ValueModel):
    """Gamma-Gamma spend model: each purchase ~ Gamma(p, nu), nu ~ Gamma(q, gamma).

    Fitted on the repeat buyers (frequency > 0) of a summary; customers whose mean spend is
    zero or negative (refunds exceeding purchases) are left out with a warning that counts
    them. ``frequency_spend_correlation_`` reports the correlation between frequency and
    mean spend, which the model assumes to be near zero.

    >>> import tenure
    >>> from tenure.models import GammaGamma
    >>> orders = tenure.datasets.load_cdnow(kind="sample")
    >>> s = tenure.rfm_summary(orders, observation_end="1997-09-30", unit="W")
    >>> model = GammaGamma().fit(s)
    >>> {k: round(v, 2) for k, v in model.params_.items()}
    {'p': 6.25, 'q': 3.74, 'gamma': 15.44}
    """

    name = "gg"
    title = "Gamma-Gamma"
    param_names = ("p", "q", "gamma")
    data_columns = ("frequency", "monetary_value")
    example_params: ClassVar[dict] = {"p": 6.0, "q": 4.0, "gamma": 15.0}

    def __init__(self, *, n_starts: int = 3, max_iter: int = 500, penalizer_coef: float = 0.0):
        super().__init__(n_starts=n_starts, max_iter=max_iter, penalizer_coef=penalizer_coef)

    @staticmethod
    def _loglik(p, d, grad):
        if "log_value_mean" in d:  # fitted on individual transactions
            return gg_transactions_loglik(p["p"], p["q"], p["gamma"], d["frequency"],
                                          d["monetary_value"], d["log_value_mean"], grad=grad)
        if "_distinct_x" not in d:
            d["_distinct_x"] = np.unique(d["frequency"], return_inverse=True)
        return gg_loglik(p["p"], p["q"], p["gamma"], d["frequency"], d["monetary_value"],
                         grad=grad, distinct_x=d["_distinct_x"])

    def _totals(self, d, w):
        if "log_value_mean" in d:
            return None
        return GammaGammaTotals(d["frequency"], d["monetary_value"], w)

    def _validate(self, d):
        x = d["frequency"]
        bad = (x < 0) | (x != np.round(x))
        if bad.any():
            raise InputError("frequency must be a whole number, 0 or more",
                             row=int(np.flatnonzero(bad)[0]), column="frequency")

    def fit(self, data: Any) -> GammaGamma:
        """Fit on the rows with frequency > 0 and positive mean spend; return ``self``."""
        d, w = self._compress(data)
        buyers = d["frequency"] > 0
        non_positive = buyers & (d["monetary_value"] <= 0)
        if non_positive.any():
            count = float(w[non_positive].sum())
            warnings.warn(f"Gamma-Gamma: {count:,.0f} repeat buyer(s) with zero or negative "
                          "mean spend (refunds exceeding purchases) were left out of the fit",
                          ModelWarning, stacklevel=2)
        keep = buyers & (d["monetary_value"] > 0)
        kept = float(w[keep].sum())
        if kept < 2:
            raise ModelError("Gamma-Gamma needs repeat buyers with positive spend and got "
                             f"{kept:,.0f}; use a longer window")
        if not keep.all():
            d = {k: v[keep] for k, v in d.items()}
            w = w[keep]
        return self._fit_spend(d, w)

    def fit_transactions(self, transactions: Any, *, customer: str = "customer_id",
                         value: str = "amount") -> GammaGamma:
        """Fit on individual transaction values rather than on each customer's mean: a
        DataFrame or Ibis table with one row per purchase, its ``customer`` and its
        ``value``; return ``self``.

        The likelihood of the individual values (``gg_transactions_loglik``) uses the spread
        of each customer's spends as well as their mean, and customers with one purchase
        too. Which purchases to give is the caller's choice: all of them, or the repeat
        purchases only, as the mean-based fit on a summary uses. Values of zero or less
        (refunds) cannot come from a gamma distribution: they are left out with a warning
        that counts them. Predictions then take a summary as usual (``expected_spend``).

        >>> import tenure
        >>> from tenure.models import GammaGamma
        >>> orders = tenure.datasets.load_cdnow(kind="sample")
        >>> model = GammaGamma().fit_transactions(orders[orders.amount > 0])
        >>> round(model.params_["p"], 2), int(model.n_customers_)
        (3.41, 2349)
        """
        import ibis

        table = transactions if isinstance(transactions, ibis.Table) else ibis.memtable(
            self._frame(transactions))
        missing = [c for c in (customer, value) if c not in table.columns]
        if missing:
            raise InputError(f"the transactions lack the column(s) {', '.join(missing)}; name "
                             f"the customer and value columns with customer= and value= (got "
                             f"{', '.join(table.columns)})")
        amount = table[value].cast("float64")
        table = table.select(customer=table[customer], amount=amount)
        bad = int(table.filter(~(table.amount > 0)).count().execute())
        if bad:
            warnings.warn(f"Gamma-Gamma: {bad:,} transaction value(s) of zero or less (or "
                          "missing) were left out of the fit", ModelWarning, stacklevel=2)
        good = table.filter(table.amount > 0)
        per = good.group_by("customer").aggregate(
            frequency=good.count(), monetary_value=good.amount.mean(),
            log_value_mean=good.amount.log().mean()).to_pandas()
        if len(per) < 2:
            raise ModelError(f"Gamma-Gamma needs customers with positive spend and got "
                             f"{len(per):,}; give more transactions")
        d = {c: per[c].to_numpy(dtype=float)
             for c in ("frequency", "monetary_value", "log_value_mean")}
        return self._fit_spend(d, np.ones(len(per)))

    def _fit_spend(self, d: dict[str, np.ndarray], w: np.ndarray) -> GammaGamma:
        x, m = d["frequency"], d["monetary_value"]
        kept = float(w.sum())
        # The weighted correlation, from the deviations from the weighted means.
        mean_m = dot(w, m) / kept
        xs, ms = x - dot(w, x) / kept, m - mean_m
        wxs = w * xs
        var_x, var_m = dot(wxs, xs), dot(w * ms, ms)
        self.frequency_spend_correlation_ = (
            float(dot(wxs, ms) / np.sqrt(var_x * var_m)) if np.ptp(x) > 0 and np.ptp(m) > 0
            else float("nan"))
        self._mean_spend = float(mean_m)
        self._fit_arrays(d, w)
        if abs(self.frequency_spend_correlation_) > 0.3:
            warnings.warn(f"Gamma-Gamma assumes spend does not depend on frequency, but their "
                          f"correlation here is {self.frequency_spend_correlation_:.2f}; "
                          "treat its spend predictions with care", ModelWarning, stacklevel=3)
        return self

    def _starts(self, d, w):
        mean_m = float(np.average(d["monetary_value"], weights=w))
        return [{"p": 1.0, "q": 1.0, "gamma": 1.0},
                {"p": 5.0, "q": 3.0, "gamma": 2.0 * mean_m / 5.0},
                {"p": 2.0, "q": 10.0, "gamma": 9.0 * mean_m / 2.0}]

    def _advice(self, d, w):
        return ("check the spend values, use a longer window with more repeat buyers, or fit "
                "with penalizer_coef=0.01 to hold the parameters back")

    def mean_spend(self) -> float:
        """Expected spend per purchase of a customer not seen yet: p gamma / (q - 1)."""
        self._check_fitted()
        p = self.params_
        if p["q"] <= 1:
            return float("inf")
        return p["p"] * p["gamma"] / (p["q"] - 1)

    @prediction
    def expected_spend(self, data: Any) -> np.ndarray:
        """Expected spend per purchase of each customer, given their frequency and mean spend
        (FHL 2005, eq. 5): a weighted mean of the population mean and their own mean.
        Customers with no repeat purchase get the population mean."""
        d = self._prepare(data)
        p, q, gamma = self.params_["p"], self.params_["q"], self.params_["gamma"]
        x = d["frequency"]
        m = np.where(x > 0, d["monetary_value"], 0.0)
        return p * (gamma + m * x) / (p * x + q - 1)

    @prediction
    def clv(self, model: Any, data: Any, *, horizon: float, discount_rate: float = 0.0,
            margin: float = 1.0, steps: int = 12) -> np.ndarray:
        """Discounted value each customer brings in the next ``horizon`` units.

        The horizon is cut into ``steps`` equal periods; the purchases ``model`` (a fitted
        BG/NBD, MBG/NBD or Pareto/NBD) expects in period k are valued at the expected spend,
        times ``margin``, and discounted by (1 + discount_rate)^k, discount_rate being per
        period. ``horizon=360, steps=12, discount_rate=0.01`` is 12 months of 30 days at 1%
        a month.
        """
        spend = self.expected_spend(data)
        return margin * spend * model.discounted_purchases(
            data, horizon=horizon, steps=steps, discount_rate=discount_rate)

    def expected_spend_expression(self, frequency: ibis.Value,
                                  monetary_value: ibis.Value) -> ibis.Value:
        """``expected_spend`` as an engine expression of the two columns (Ibis), so that
        it is computed where the customers are."""
        self._check_fitted()
        import ibis

        p, q, gamma = (ibis.literal(self.params_[k], type="float64") for k in ("p", "q", "gamma"))
        # In floating point throughout: an engine may read a long literal as an exact
        # decimal, and decimal arithmetic on every customer is several times slower.
        x = frequency.cast("float64")
        m = ibis.ifelse(x > 0, monetary_value.cast("float64"), 0.0)
        return p * (gamma + m * x) / (p * x + q - 1)

    @prediction
    def predict(self, data: Any) -> pd.DataFrame:
        """Expected spend per purchase, per row."""
        return pd.DataFrame({"expected_spend": self.expected_spend(data)})

    @classmethod
    def simulate(cls, params: Mapping[str, float] | None = None, n: int = 1000, *,
                 seed: int = 0, frequency: np.ndarray | None = None, **options: Any
                 ) -> pd.DataFrame:
        """Repeat buyers with ``frequency`` purchases (default 1-10) and their mean spend."""
        p = dict(params or cls.example_params)
        rng = np.random.default_rng(seed)
        x = (np.asarray(frequency) if frequency is not None
             else rng.integers(1, 11, n)).astype(np.int64)
        nu = rng.gamma(p["q"], 1.0 / p["gamma"], len(x))
        # The mean of x Gamma(p, nu) purchases is Gamma(p x, nu x).
        m = rng.gamma(p["p"] * x, 1.0 / (nu * x))
        return pd.DataFrame({"frequency": x, "monetary_value": m})


class GammaGammaTotals:
    """The weighted Gamma-Gamma log-likelihood of fixed rows (repeat buyers), with its
    gradient and Hessian in (p, q, gamma): the sum of ``gg_loglik`` over the rows.

    The terms in x alone are computed once per distinct x and those in log m are summed
    once per fit, so an evaluation takes one logarithm per row, of gamma + m x.
    """

    has_hessian = True

    def __init__(self, x, m, w):
        self.w_total = float(w.sum())
        x_codes, self.xu = factorize(x)
        self.w_x = np.bincount(x_codes, weights=w, minlength=len(self.xu))
        log_m = np.log(m)
        self.wx = w * x
        self.w = w
        self.mx = m * x
        self.sum_log_m = dot(w, log_m)
        self.sum_x_log_m = dot(self.wx, log_m)

    def __call__(self, params, order):
        from tenure.models._compiled import gg_rows

        p, q, gamma = params["p"], params["q"], params["gamma"]
        xu, w_x, total = self.xu, self.w_x, self.w_total
        px = p * xu
        # Row by row (compiled): the weighted sums of log(gamma + m x) and of its inverse
        # and squared inverse, each weighted by x and by 1.
        wx_log, w_log, wx_inv, w_inv, wx_inv2, w_inv2 = gg_rows(self.wx, self.w, self.mx,
                                                                float(gamma), order)
        ll = (w_x @ (special.gammaln(px + q) - special.gammaln(px) + px * np.log(xu))
              + total * (q * np.log(gamma) - special.gammaln(q))
              + p * self.sum_x_log_m - self.sum_log_m - p * wx_log - q * w_log)
        if order < 1:
            return ll, None, None
        psi = special.digamma(px + q)
        grad = np.array([
            w_x @ (xu * (psi - special.digamma(px) + np.log(xu))) + self.sum_x_log_m - wx_log,
            w_x @ psi + total * (np.log(gamma) - special.digamma(q)) - w_log,
            total * q / gamma - p * wx_inv - q * w_inv,
        ])
        if order < 2:
            return ll, grad, None
        tri = special.polygamma(1, px + q)
        h = np.empty((3, 3))
        h[0, 0] = w_x @ (xu**2 * (tri - special.polygamma(1, px)))
        h[0, 1] = h[1, 0] = w_x @ (xu * tri)
        h[1, 1] = w_x @ tri - total * special.polygamma(1, q)
        h[0, 2] = h[2, 0] = -wx_inv
        h[1, 2] = h[2, 1] = total / gamma - w_inv
        h[2, 2] = -total * q / gamma**2 + p * wx_inv2 + q * w_inv2
        return ll, grad, h
