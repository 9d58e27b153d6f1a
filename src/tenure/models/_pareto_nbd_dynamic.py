"""Pareto/NBD with time-varying covariates: a covariate per customer and period (a promotion
month, a membership tier that changes) scales the purchase and dropout rates while it holds.

Bachmann, P., Meierer, M. & Naef, J. (2021). The Role of Time-Varying Contextual Factors in
Latent Attrition Models for Customer Base Analysis. Marketing Science 40(4), 783-809 (the
dynamic covariates of CLVTools).

While alive, customer i buys at rate lambda_i a(t), a(t) = exp(g_p . z_p(t)), and leaves at
rate mu_i b(t), b(t) = exp(g_d . z_d(t)); lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta). With
A(t) and B(t) the integrals of a and b from the first purchase::

    L = prod_j a(t_j) G(r+x) alpha^r beta^s / G(r) * [ (alpha+A(T))^-(r+x) (beta+B(T))^-s
        + s integral_{t_x}^{T} b(u) (alpha+A(u))^-(r+x) (beta+B(u))^-(s+1) du ]

The covariates are constant within each period, so A and B are piecewise linear; the
integral is taken period by period by Gauss-Legendre, its derivatives on the same nodes, in
one compiled pass over the customers. With covariates that never change it is the static
model of Fader & Hardie (2007), to the last digits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tenure.engine._rfm import UNITS, to_date
from tenure.errors import InputError, ModelError
from tenure.models._base import ValueModel, _Evaluator, prediction
from tenure.models._special import gauss_legendre
from tenure.models._transactions import Horizon, horizons

__all__ = ["DynamicHistories", "ParetoNBDDynamic"]

PERIOD_NODES = 8


@dataclass(frozen=True)
class DynamicHistories:
    """Customers' histories with their covariate paths, as the dynamic model reads them.

    Per customer (in the order of ``customer_id``): frequency, recency and T in ``unit``
    after the first purchase, the sums of the purchase covariates at the repeat purchases,
    and (with a calibration end) frequency_holdout. Their covariate periods are the rows
    ``first[i]`` to ``last[i] - 1`` of ``lo``, ``hi`` (customer time; the last holds for
    ever), ``purchase`` and ``dropout`` (one column per covariate).
    """

    customer_id: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    sums: np.ndarray
    first: np.ndarray
    last: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    purchase: np.ndarray
    dropout: np.ndarray
    unit: str
    frequency_holdout: np.ndarray | None = None
    duration_holdout: float | None = None

    def __len__(self) -> int:
        return len(self.customer_id)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"frequency": self.frequency, "recency": self.recency, "T": self.T,
                "_sums": self.sums, "_first": self.first, "_last": self.last, "_lo": self.lo,
                "_hi": self.hi, "_zp": self.purchase, "_zd": self.dropout}


class _DynamicEvaluator(_Evaluator):
    """The weighted log-likelihood of the dynamic model in the optimiser's coordinates,
    from the compiled pass over the customers. Each evaluation is a pass over every
    customer's periods, so the fit ends with Newton steps (a Hessian from differences of the
    gradient, then updated) rather than a long quasi-Newton run."""

    newton = True

    def __init__(self, model: ParetoNBDDynamic, d, w):
        super().__init__(model, d, w, None)
        layout = self.layout
        self.purchase = [i for i, (p, c, _s) in enumerate(layout) if c and p == "alpha"]
        self.dropout = [i for i, (p, c, _s) in enumerate(layout) if c and p == "beta"]

    def rows(self, theta: np.ndarray) -> np.ndarray:
        from tenure.models._compiled import pnbd_dynamic_rows

        d = self.d
        r, alpha, s, beta = np.exp(theta[:4])
        # Coefficients are kept with the sign of alpha and beta (a larger alpha, a lower
        # rate); the rates' own coefficients are their negatives.
        gp, gd = -theta[self.purchase], -theta[self.dropout]
        nodes, weights = gauss_legendre(PERIOD_NODES)
        return pnbd_dynamic_rows(d["frequency"], d["recency"], d["T"], d["_first"], d["_last"],
                                 d["_lo"], d["_hi"], d["_zp"], d["_zd"], d["_sums"], r, alpha,
                                 s, beta, gp, gd, nodes, weights)

    def _unpenalised(self, theta, order):
        with np.errstate(all="ignore"):
            out = self.rows(theta)
            ll = float(self.w @ out[:, 0])
            sums = self.w @ out[:, 1:-1]
            grad = np.empty_like(theta)
            grad[:4] = sums[:4] * np.exp(theta[:4])  # d/d log(param)
            grad[self.purchase] = -sums[4:4 + len(self.purchase)]
            grad[self.dropout] = -sums[4 + len(self.purchase):]
        if not (np.isfinite(ll) and np.all(np.isfinite(grad))):
            return -np.inf, np.zeros_like(theta), None
        return ll, grad, None


class ParetoNBDDynamic(ValueModel):
    """Pareto/NBD whose purchase and dropout rates move with covariates that change over
    time, per customer and period (CLVTools' dynamic covariates).

    Build the histories from the orders and a covariate table with one row per customer and
    period (``histories``), then fit; coefficients are reported as ``purchase:COLUMN`` and
    ``dropout:COLUMN``, effects on the log of the rates.

    >>> from tenure.models import ParetoNBDDynamic
    >>> orders, covariates = ParetoNBDDynamic.simulate(n=500, seed=1)
    >>> model = ParetoNBDDynamic(purchase_covariates=["promo"], dropout_covariates=["tier"])
    >>> data = model.histories(orders, covariates, observation_end="2024-12-29")
    >>> len(data), sorted(model.fit(data).params_)[:2]
    (500, ['alpha', 'beta'])
    """

    name = "pnbd_dynamic"
    title = "Pareto/NBD (time-varying covariates)"
    param_names = ("r", "alpha", "s", "beta")
    covariate_links: ClassVar[dict] = {"purchase": ("alpha", -1), "dropout": ("beta", -1)}
    example_params: ClassVar[dict] = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0,
                                      "purchase:promo": float(np.log(2.0)),
                                      "dropout:tier": -0.7}
    # Each customer has a path of their own: nothing to sample or compress.
    scout_rows: ClassVar[int] = 1 << 62

    def __init__(self, *, purchase_covariates: Sequence[str] = (),
                 dropout_covariates: Sequence[str] = (), n_starts: int = 1,
                 max_iter: int = 500, penalizer_coef: float = 0.0):
        super().__init__(n_starts=n_starts, max_iter=max_iter, penalizer_coef=penalizer_coef,
                         purchase_covariates=purchase_covariates,
                         dropout_covariates=dropout_covariates)
        self.covariates  # noqa: B018 - rejects covariates the model does not take

    def _columns_of(self, kind: str) -> tuple[str, ...]:
        link = self.covariates.links.get(kind)
        return tuple(link[2]) if link else ()

    # -- data ------------------------------------------------------------------------------
    def histories(self, orders: Any, covariates: pd.DataFrame, *, observation_end: Any,
                  unit: str = "W", calibration_end: Any = None,
                  period_column: str = "period_start") -> DynamicHistories:
        """Each customer's purchases and covariate path, ready to fit or predict.

        ``orders`` has customer_id and ordered_at (a DataFrame); several orders on one day
        are one purchase, as in ``rfm_summary``. ``covariates`` has customer_id,
        ``period_column`` (the date from which the row's values hold, until the customer's
        next row; the last holds for ever) and the covariate columns; each customer needs a
        row in force at their first purchase. With ``calibration_end`` the histories stop
        there and frequency_holdout counts the purchases after it.
        """
        if unit not in UNITS:
            raise ModelError(f"unit {unit!r} is not known here; use D (days) or W (weeks)")
        days = UNITS[unit]
        end = to_date(observation_end, "observation_end")
        cal = to_date(calibration_end, "calibration_end") if calibration_end else None
        window = cal or end
        buys = _purchase_days(orders, end)
        first = buys.groupby("customer_id").day.min()
        first = first[first <= pd.Timestamp(window)]
        buys = buys[buys.customer_id.isin(first.index)]
        buys = buys.assign(first=buys.customer_id.map(first))
        repeat = buys[(buys.day > buys["first"]) & (buys.day <= pd.Timestamp(window))]
        ids = first.index.to_numpy()
        x = repeat.groupby("customer_id").size().reindex(ids, fill_value=0).to_numpy(float)
        last_day = repeat.groupby("customer_id").day.max().reindex(ids)
        tx = ((last_day - first).dt.days.fillna(0.0) / days).to_numpy(float)
        T = ((pd.Timestamp(window) - first).dt.days / days).to_numpy(float)
        names_p, names_d = self._columns_of("purchase"), self._columns_of("dropout")
        periods = _periods(covariates, period_column, [*names_p, *names_d], first, days)
        hold = None
        if cal is not None:
            later = buys[buys.day > pd.Timestamp(cal)]
            hold = later.groupby("customer_id").size().reindex(ids, fill_value=0).to_numpy(float)
        # The covariates at each repeat purchase: the customer's period in force that day.
        sums = np.zeros((len(ids), len(names_p)))
        if names_p and len(repeat):
            at = pd.merge_asof(repeat.sort_values("day"),
                               periods.sort_values("start_day")[["customer_id", "start_day",
                                                                  *names_p]],
                               left_on="day", right_on="start_day", by="customer_id")
            per = at.groupby("customer_id")[list(names_p)].sum().reindex(ids, fill_value=0.0)
            sums = per.to_numpy(float)
        position = pd.Index(ids).get_indexer(periods.customer_id)
        periods = periods.assign(position=position).sort_values(["position", "lo"])
        counts = np.bincount(periods.position.to_numpy(), minlength=len(ids))
        stops = np.cumsum(counts)
        return DynamicHistories(
            customer_id=ids.astype(str), frequency=x, recency=tx, T=T, sums=sums,
            first=(stops - counts).astype(np.int64), last=stops.astype(np.int64),
            lo=periods.lo.to_numpy(float), hi=periods.hi.to_numpy(float),
            purchase=periods[list(names_p)].to_numpy(float).reshape(len(periods), len(names_p)),
            dropout=periods[list(names_d)].to_numpy(float).reshape(len(periods), len(names_d)),
            unit=unit, frequency_holdout=hold,
            duration_holdout=None if cal is None else (end - cal).days / days)

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, data: DynamicHistories) -> ParetoNBDDynamic:
        """Fit by maximum likelihood on ``data`` (from :meth:`histories`); return ``self``."""
        d = self._check(data)
        return self._fit_arrays(d, np.ones(len(data)))

    def _check(self, data: Any) -> dict[str, np.ndarray]:
        if not isinstance(data, DynamicHistories):
            raise InputError(f"{type(self).__name__} fits the histories its histories() method "
                             f"builds from orders and covariates; got {type(data).__name__}")
        if data.purchase.shape[1] != len(self._columns_of("purchase")) or \
                data.dropout.shape[1] != len(self._columns_of("dropout")):
            raise InputError("the histories were built for other covariates; build them with "
                             "this model's histories()")
        return data.arrays()

    def _evaluator(self, d, w):
        return _DynamicEvaluator(self, d, w)

    def _starts(self, d, w):
        """The Pareto/NBD fit without covariates first (on the same histories, in a fraction
        of the time), then the usual spread of points."""
        import warnings

        from tenure.models._base import ModelWarning
        from tenure.models._pareto_nbd import ParetoNBD

        x, T = d["frequency"], d["T"]
        rate = max(float(np.sum(w * x) / max(np.sum(w * T), 1e-9)), 1e-6)
        mean_T = max(float(np.sum(w * T) / w.sum()), 1e-6)
        spread = [{"r": 1.0, "alpha": 1.0 / rate, "s": 1.0, "beta": mean_T},
                  {"r": 0.5, "alpha": 0.5 / rate, "s": 0.5, "beta": 0.5 * mean_T}]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModelWarning)
            plain = ParetoNBD().fit(pd.DataFrame({"frequency": x, "recency": d["recency"],
                                                  "T": T, "weights": w}))
        return [dict(plain.params_), *spread]

    def _advice(self, d, w):
        return ("give more customers or a longer window, fewer covariates, or fit with "
                "penalizer_coef=0.01 to hold the parameters back")

    # -- predictions -----------------------------------------------------------------------
    def _rows(self, data: DynamicHistories) -> np.ndarray:
        self._check_fitted()
        d = self._check(data)
        return _DynamicEvaluator(self, d, np.ones(len(data))).rows(self._theta)

    @prediction
    def p_alive(self, data: DynamicHistories) -> np.ndarray:
        """P(alive at the end of each customer's window), given their purchases and path."""
        return 1.0 - self._rows(data)[:, -1]

    @prediction
    def expected_purchases(self, data: DynamicHistories, t: Horizon) -> np.ndarray:
        """Expected purchases in the next ``t`` units, the covariates following the paths
        given (the last period of each holding on): P(alive) times E[lambda] times the
        integral over the horizon of a(u) and the chance of still being there at u."""
        from tenure.models._compiled import pnbd_dynamic_ahead

        horizon = np.broadcast_to(np.asarray(horizons(None, t, len(data)), float),
                                  (len(data),)).copy()
        d = self._check(data)
        theta = self._theta
        ev = _DynamicEvaluator(self, d, np.ones(len(data)))
        r, alpha, s, beta = np.exp(theta[:4])
        nodes, weights = gauss_legendre(PERIOD_NODES)
        ahead = pnbd_dynamic_ahead(d["frequency"], d["T"], horizon, d["_first"], d["_last"],
                                   d["_lo"], d["_hi"], d["_zp"], d["_zd"], r, alpha, s, beta,
                                   -theta[ev.purchase], -theta[ev.dropout], nodes, weights)
        return self.p_alive(data) * ahead

    def predict(self, data: DynamicHistories, t: float = 1.0) -> pd.DataFrame:
        """P(alive) and the expected purchases in the next ``t`` units, per customer."""
        return pd.DataFrame({"customer_id": data.customer_id, "p_alive": self.p_alive(data),
                             "expected_purchases": self.expected_purchases(data, t)})

    # -- simulation ------------------------------------------------------------------------
    @classmethod
    def simulate(cls, params: Mapping[str, float] | None = None, n: int = 1000, *,
                 seed: int = 0, weeks: int = 104, start: str = "2023-01-02",
                 promo_share: float = 0.25, tier_share: float = 0.4
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Orders and weekly covariates of ``n`` customers over ``weeks`` calendar weeks
        from ``start`` (a Monday): each first buys at a uniform time in the first half,
        ``promo`` is 1 in a random ``promo_share`` of each customer's weeks, ``tier`` turns
        from 0 to 1 at a random week for ``tier_share`` of them. The rates follow the model
        with ``params`` (coefficients ``purchase:promo`` and ``dropout:tier``). Returns
        (orders, covariates); the window ends on the last day of the last week."""
        p = dict(params or cls.example_params)
        rng = np.random.default_rng(seed)
        k = np.arange(weeks)
        promo = (rng.random((n, weeks)) < promo_share).astype(float)
        switch = np.where(rng.random(n) < tier_share, rng.integers(0, weeks, n), weeks)
        tier = (k[None, :] >= switch[:, None]).astype(float)
        born = rng.random(n) * weeks / 2
        lam = rng.gamma(p["r"], 1.0 / p["alpha"], n)
        mu = rng.gamma(p["s"], 1.0 / p["beta"], n)
        a = np.exp(p.get("purchase:promo", 0.0) * promo)
        b = np.exp(p.get("dropout:tier", 0.0) * tier)
        # Each week's time alive-to-be: the part after the first purchase.
        lo = np.maximum(k[None, :], born[:, None])
        span = np.clip(k[None, :] + 1.0 - lo, 0.0, None)
        hazard = np.cumsum(mu[:, None] * b * span, axis=1)
        need = rng.exponential(1.0, n)
        week = np.minimum((hazard < need[:, None]).sum(axis=1), weeks - 1)
        before = np.where(week > 0, hazard[np.arange(n), week - 1], 0.0)
        rate = mu * b[np.arange(n), week]
        death = np.where(hazard[:, -1] < need, np.inf,
                         lo[np.arange(n), week] + (need - before) / np.maximum(rate, 1e-300))
        alive_span = np.clip(np.minimum(k[None, :] + 1.0, death[:, None]) - lo, 0.0, None)
        counts = rng.poisson(lam[:, None] * a * alive_span)
        owner, week_of = np.nonzero(counts)
        repeats = counts[owner, week_of]
        owner, week_of = np.repeat(owner, repeats), np.repeat(week_of, repeats)
        when = lo[owner, week_of] + rng.random(len(owner)) * alive_span[owner, week_of]
        origin = pd.Timestamp(start)
        ids = np.array([f"c{i:06d}" for i in range(n)])
        times = np.r_[born, when]
        orders = pd.DataFrame({
            "customer_id": ids[np.r_[np.arange(n), owner]],
            "ordered_at": origin + pd.to_timedelta(np.round(times * 7 * 86400), unit="s"),
            "amount": 1.0})
        covariates = pd.DataFrame({
            "customer_id": np.repeat(ids, weeks),
            "period_start": np.tile((origin + pd.to_timedelta(k * 7, unit="D")).date, n),
            "promo": promo.ravel(), "tier": tier.ravel()})
        return orders.sort_values(["customer_id", "ordered_at"], ignore_index=True), covariates


def _purchase_days(orders: Any, end: dt.date) -> pd.DataFrame:
    frame = orders.to_pandas() if hasattr(orders, "to_pandas") else orders
    missing = [c for c in ("customer_id", "ordered_at") if c not in frame.columns]
    if missing:
        raise InputError(f"orders lack the column(s) {', '.join(missing)}; give customer_id and "
                         "ordered_at")
    days = pd.DataFrame({"customer_id": frame["customer_id"].astype(str),
                         "day": pd.to_datetime(frame["ordered_at"]).dt.normalize()})
    days = days[days.day <= pd.Timestamp(end)]
    return days.drop_duplicates(ignore_index=True)


def _periods(covariates: pd.DataFrame, period_column: str, names: list[str],
             first: pd.Series, days: float) -> pd.DataFrame:
    """The covariate periods of each customer from their first purchase on, in customer
    time: lo, hi (inf for the last) and the covariate columns."""
    missing = [c for c in ("customer_id", period_column, *names) if c not in covariates.columns]
    if missing:
        raise InputError(f"the covariates lack the column(s) {', '.join(missing)}; they need "
                         f"customer_id, {period_column} and {', '.join(names) or 'no others'}")
    table = covariates[["customer_id", period_column, *names]].copy()
    table["customer_id"] = table["customer_id"].astype(str)
    table["start_day"] = pd.to_datetime(table[period_column]).dt.normalize()
    for name in names:
        values = pd.to_numeric(table[name], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise InputError("covariates must be numbers (one-hot encode categories)", row=row,
                             column=name)
        table[name] = values.astype(float)
    table = table[table.customer_id.isin(first.index)]
    table = table.sort_values(["customer_id", "start_day"], ignore_index=True)
    table["lo"] = (table.start_day - table.customer_id.map(first)).dt.days / days
    table["hi"] = table.groupby("customer_id").lo.shift(-1).fillna(np.inf)
    covered = table[table.lo <= 0].customer_id.unique()
    lacking = first.index.difference(pd.Index(covered))
    if len(lacking):
        raise InputError(f"{len(lacking):,} customer(s) have no covariate row in force at their "
                         f"first purchase (the first is {lacking[0]!r}); give each a row "
                         "starting on or before it", column=period_column)
    table = table[table.hi > 0].copy()
    table["lo"] = table.lo.clip(lower=0.0)
    # Consecutive periods with the same values are one period: fewer pieces to integrate.
    same = table.customer_id.eq(table.customer_id.shift())
    for name in names:
        same &= table[name].eq(table[name].shift())
    table = table[~same].copy()
    table["hi"] = table.groupby("customer_id").lo.shift(-1).fillna(np.inf)
    return table
