"""sBG: the shifted-beta-geometric model of contract renewals.

Fader, P. S. & Hardie, B. G. S. (2007). How to Project Customer Retention. Journal of
Interactive Marketing 21(1), 76-90; residual lifetime from Fader & Hardie (2010),
Customer-Base Valuation in a Contractual Setting: The Perils of Ignoring Heterogeneity.
Marketing Science 29(1), 85-93.
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

__all__ = ["ShiftedBetaGeo", "sbg_loglik"]


def sbg_loglik(alpha, beta, duration, churned, *, grad: bool = False):
    """Per-customer log-likelihood of sBG (Fader & Hardie 2007, eqs. 2-3 and 6).

    A customer renews each period with probability 1 - theta, theta ~ Beta(alpha, beta).
    ``duration`` is the number of periods paid; one who churned after t periods contributes
    P(T = t) = B(alpha+1, beta+t-1)/B(alpha, beta), one still active contributes the chance
    of surviving the t-1 renewals so far, S(t-1) = B(alpha, beta+t-1)/B(alpha, beta).
    """
    t = duration
    u = np.where(churned, alpha + 1.0, alpha)
    v = beta + t - 1.0
    ll = special.betaln(u, v) - special.betaln(alpha, beta)
    if not grad:
        return ll
    du, dv = dbetaln(u, v)
    d0a, d0b = dbetaln(alpha, beta)
    return ll, {"alpha": du - d0a, "beta": dv - d0b}


class ShiftedBetaGeo(ValueModel):
    """sBG (Fader & Hardie 2007) for memberships and subscriptions.

    Fit cohort survivor counts, ``fit(survivors=[1000, 631, 468, ...])`` (customers still
    active at the start and after each renewal), or per-customer histories,
    ``fit(durations=..., churned=...)`` (periods paid; whether they left), or a DataFrame
    with duration and churned columns (and optional weights).

    >>> from tenure.models import ShiftedBetaGeo
    >>> model = ShiftedBetaGeo().fit(survivors=[1000, 869, 743, 653, 593, 551, 517, 491])
    >>> {k: round(v, 3) for k, v in model.params_.items()}
    {'alpha': 0.668, 'beta': 3.806}
    """

    name = "sbg"
    title = "sBG"
    param_names = ("alpha", "beta")
    data_columns = ("duration", "churned")
    example_params: ClassVar[dict] = {"alpha": 0.7, "beta": 1.2}

    def __init__(self, *, n_starts: int = 3, max_iter: int = 500, penalizer_coef: float = 0.0):
        super().__init__(n_starts=n_starts, max_iter=max_iter, penalizer_coef=penalizer_coef)

    @staticmethod
    def _loglik(p, d, grad):
        return sbg_loglik(p["alpha"], p["beta"], d["duration"], d["churned"] > 0, grad=grad)

    def fit(self, data: Any = None, *, survivors: Sequence[float] | None = None,
            durations: Sequence[float] | None = None,
            churned: Sequence[bool] | None = None) -> ShiftedBetaGeo:
        """Fit on survivor counts, on per-customer durations, or on a DataFrame."""
        given = sum(v is not None for v in (data, survivors, durations))
        if given != 1 or (durations is None) != (churned is None):
            raise ModelError("give exactly one of: survivors=[...], durations=... with "
                             "churned=..., or a DataFrame with duration and churned")
        if survivors is not None:
            data = _from_survivors(survivors)
        elif durations is not None:
            data = pd.DataFrame({"duration": np.asarray(durations),
                                 "churned": np.asarray(churned, dtype=bool)})
        return super().fit(data)

    def _validate(self, d):
        t = d["duration"]
        bad = (t < 1) | (t != np.round(t))
        if bad.any():
            raise InputError(f"{bad.sum():,} duration(s) are not whole numbers of 1 or more "
                             "(periods paid)", row=int(np.flatnonzero(bad)[0]),
                             column="duration")

    def _starts(self, d, w):
        return [{"alpha": 1.0, "beta": 1.0}, {"alpha": 0.5, "beta": 3.0},
                {"alpha": 3.0, "beta": 0.5}]

    def _advice(self, d, w):
        return ("it needs both customers who left and customers who stayed, over 3+ periods; "
                "or fit with penalizer_coef=0.01 to hold the parameters back")

    @prediction
    def survival(self, periods: int | Sequence[int]) -> np.ndarray:
        """Share of a new cohort still active after t renewals: S(t) = B(a, b+t)/B(a, b)."""
        self._check_fitted()
        t = np.asarray(periods, float)
        a, b = self.params_["alpha"], self.params_["beta"]
        return np.exp(special.betaln(a, b + t) - special.betaln(a, b))

    @prediction
    def retention_rate(self, periods: int | Sequence[int]) -> np.ndarray:
        """Share of those active after t-1 renewals who renew the t-th time:
        (beta + t - 1) / (alpha + beta + t - 1)."""
        self._check_fitted()
        t = np.asarray(periods, float)
        a, b = self.params_["alpha"], self.params_["beta"]
        return (b + t - 1) / (a + b + t - 1)

    @prediction
    def expected_residual_lifetime(self, durations: Any, discount_rate: float) -> np.ndarray:
        """Discounted expected further payments of active customers who have paid ``n``
        periods (Fader & Hardie 2010, eq. 6):
        (b+n-1)/(a+b+n-1) 2F1(1, b+n; a+b+n; 1/(1+d)), d the discount rate per period."""
        self._check_fitted()
        if discount_rate <= 0:
            raise ModelError(f"discount_rate={discount_rate} must be positive; without "
                             "discounting the expected lifetime can be infinite")
        n = np.asarray(durations["duration"] if isinstance(durations, pd.DataFrame)
                       else durations, float)
        a, b = self.params_["alpha"], self.params_["beta"]
        return ((b + n - 1) / (a + b + n - 1)
                * special.hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + discount_rate)))

    @prediction
    def predict(self, data: Any, discount_rate: float = 0.1) -> pd.DataFrame:
        """For each customer: the chance of renewing next and the discounted residual
        lifetime (0 for those who left)."""
        d = self._prepare(data)
        n = d["duration"]
        active = d["churned"] == 0
        renew = np.where(active, self.retention_rate(n), 0.0)
        residual = np.where(active, self.expected_residual_lifetime(n, discount_rate), 0.0)
        return pd.DataFrame({"p_renew": renew, "expected_residual_lifetime": residual})

    @classmethod
    def simulate(cls, params: Mapping[str, float] | None = None, n: int = 1000, *,
                 seed: int = 0, n_periods: int = 8, **options: Any) -> pd.DataFrame:
        """A cohort of ``n`` customers followed for ``n_periods`` renewals."""
        p = dict(params or cls.example_params)
        rng = np.random.default_rng(seed)
        theta = np.clip(rng.beta(p["alpha"], p["beta"], n), 1e-12, 1.0)
        paid = rng.geometric(theta)  # periods paid before leaving
        churned = paid <= n_periods
        return pd.DataFrame({"duration": np.where(churned, paid, n_periods + 1),
                             "churned": churned})


def _from_survivors(survivors: Sequence[float]) -> pd.DataFrame:
    counts = np.asarray(survivors, float)
    if counts.ndim != 1 or len(counts) < 2 or np.any(np.diff(counts) > 0) or counts[-1] < 0:
        raise InputError(f"survivors={list(survivors)!r} must be counts that never increase, "
                         "starting with the cohort size, e.g. [1000, 631, 468]")
    lost = -np.diff(counts)
    k = len(counts) - 1
    return pd.DataFrame({
        "duration": np.r_[np.arange(1, k + 1), k + 1],
        "churned": np.r_[np.ones(k, bool), False],
        "weights": np.r_[lost, counts[-1]],
    })
