"""What the continuous-time purchase models (BG/NBD, MBG/NBD, Pareto/NBD) share.

They all read a customer's history as (x, t_x, T) = (frequency, recency, T) and answer the
same questions; each model file supplies the formulas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tenure.errors import InputError, ModelError
from tenure.models._base import ValueModel, prediction
from tenure.models._special import distinct_rows

__all__ = ["Horizon", "PurchaseOutlook", "TransactionModel", "horizons"]


@dataclass(frozen=True)
class PurchaseOutlook:
    """Per customer: P(alive), expected purchases in a horizon and discounted expected
    purchases over the CLV horizon (arrays in the order of the data)."""

    p_alive: np.ndarray
    expected_purchases: np.ndarray
    discounted_purchases: np.ndarray


class TransactionModel(ValueModel):
    """Base of the continuous-time non-contractual models."""

    data_columns = ("frequency", "recency", "T")
    covariate_links: ClassVar[dict[str, tuple[str, int]]] = {}

    def __init__(self, *, purchase_covariates=(), dropout_covariates=(), n_starts: int = 3,
                 max_iter: int = 500, penalizer_coef: float = 0.0):
        super().__init__(n_starts=n_starts, max_iter=max_iter, penalizer_coef=penalizer_coef,
                         purchase_covariates=purchase_covariates,
                         dropout_covariates=dropout_covariates)
        self.covariates  # noqa: B018 - rejects covariates the model does not take

    def _frame(self, data: Any) -> pd.DataFrame:
        frame = super()._frame(data)
        if frame.attrs.get("include_first"):
            raise InputError("this summary counts the first purchase (include_first=True), but "
                             f"{self.title} needs repeat purchases only; build the summary "
                             "without include_first")
        return frame

    def _validate(self, d: dict[str, np.ndarray]) -> None:
        x, tx, T = d["frequency"], d["recency"], d["T"]
        checks = [
            ((x < 0) | (x != np.round(x)), "frequency", "must be a whole number, 0 or more"),
            (tx < 0, "recency", "must not be negative"),
            (T < 0, "T", "must not be negative"),
            (tx > T * (1 + 1e-9) + 1e-9, "recency", "must not exceed T"),
            ((x == 0) & (tx > 0), "recency", "must be 0 when frequency is 0"),
        ]
        for bad, column, rule in checks:
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise InputError(f"{bad.sum():,} row(s) break the rule: {column} {rule}; "
                                 "build the summary with tenure.rfm_summary", row=row,
                                 column=column)

    def _advice(self, d: Mapping[str, np.ndarray], w: np.ndarray) -> str:
        return self._few_repeat_buyers(d, w) or (
            "try a coarser unit (unit='W'), a longer calibration window, a model with fewer "
            "parameters, or penalizer_coef=0.01 to hold the parameters back")

    def _data_warnings(self, d: Mapping[str, np.ndarray], w: np.ndarray) -> list[str]:
        few = self._few_repeat_buyers(d, w)
        return [f"the estimates say little: {few}"] if few else []

    @staticmethod
    def _few_repeat_buyers(d: Mapping[str, np.ndarray], w: np.ndarray) -> str:
        repeat = float(np.sum(w * (d["frequency"] > 0)))
        total = float(w.sum())
        if repeat < 30 or repeat < 0.02 * total:
            return (f"only {repeat:,.0f} of {total:,.0f} customers bought again, too few to "
                    "tell buying from dropping out; use a longer window or more customers, or "
                    "fit with penalizer_coef=0.01 to hold the parameters back")
        return ""

    def _starts(self, d, w) -> list[dict[str, float]]:
        x, T = d["frequency"], d["T"]
        mean_rate = max(float(np.sum(w * x) / max(np.sum(w * T), 1e-9)), 1e-6)
        mean_T = max(float(np.sum(w * T) / w.sum()), 1e-6)
        return self._starting_points(mean_rate, mean_T)

    def _starting_points(self, mean_rate: float, mean_T: float) -> list[dict[str, float]]:
        raise NotImplementedError

    # -- predictions ---------------------------------------------------------------------
    def _hist(self, data: Any) -> tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray]:
        d = self._prepare(data)
        return self._row_params(d), d["frequency"], d["recency"], d["T"]

    @prediction
    def p_alive(self, data: Any, t: Horizon = 0.0) -> np.ndarray:
        """Probability that each customer is still alive ``t`` units after the end of their
        window (``t=0``: at the end of it). ``t`` is one number for every customer, an
        array with one per customer, or the name of a column of ``data``."""
        p, x, tx, T = self._hist(data)
        return self._p_alive(p, x, tx, T, horizons(data, t, len(x)))

    @prediction
    def expected_purchases(self, data: Any, t: Horizon) -> np.ndarray:
        """Expected purchases of each customer in the next ``t`` units, given their history;
        ``t`` as in :meth:`p_alive` (one number, one per customer, or a column name)."""
        p, x, tx, T = self._hist(data)
        return self._conditional_expectation(p, x, tx, T, horizons(data, t, len(x)))

    @prediction
    def expected_purchases_at(self, data: Any, times) -> np.ndarray:
        """Expected purchases in the next t units for each t of ``times``: one row per time,
        one column per customer (what CLV sums over its periods)."""
        p, x, tx, T = self._hist(data)
        for t in times:
            _check_horizon(t)
        return self._expectations(p, x, tx, T, [float(t) for t in times])

    @prediction
    def discounted_purchases(self, data: Any, *, horizon: float, steps: int = 12,
                             discount_rate: float = 0.0) -> np.ndarray:
        """Expected purchases of each customer in the next ``horizon`` units, cut into
        ``steps`` equal periods and those of period k discounted by (1 + discount_rate)^k:
        what the customer lifetime value multiplies by the spend per purchase."""
        return self.purchase_outlook(data, horizon=horizon, clv_horizon=horizon, steps=steps,
                                     discount_rate=discount_rate).discounted_purchases

    @prediction
    def purchase_outlook(self, data: Any, *, horizon: float, clv_horizon: float | None = None,
                         steps: int = 12, discount_rate: float = 0.0) -> PurchaseOutlook:
        """P(alive), expected purchases in ``horizon`` and discounted purchases over
        ``clv_horizon`` (see ``discounted_purchases``) in one pass over ``data``: what a
        score needs from the purchase model."""
        clv_horizon = horizon if clv_horizon is None else clv_horizon
        _check_horizon(horizon)
        if np.any(np.asarray(clv_horizon) <= 0) or steps < 1:
            raise ModelError(f"horizon={clv_horizon} must be positive and steps={steps} at "
                             "least 1")
        if discount_rate <= -1:
            raise ModelError(f"discount_rate={discount_rate} must be above -1")
        p, x, tx, T = self._hist(data)
        discount = (1.0 + discount_rate) ** -np.arange(1, steps + 1)
        times = [clv_horizon * k / steps for k in range(1, steps + 1)]
        alive = self._p_alive(p, x, tx, T, 0.0)
        if np.ndim(horizon) or np.ndim(clv_horizon):  # horizons per customer
            cumulative = np.stack([self._if_alive(self._expected_if_alive, p, x, T, t)
                                   for t in [*times, horizon]])
            codes = slice(None)
        elif any(np.ndim(v) for v in p.values()):
            cumulative = np.stack([self._expected_if_alive(p, x, T, t)
                                   for t in [*times, horizon]])
            codes = slice(None)
        else:
            # Given alive, the expectations depend on (x, T) alone: once per distinct pair.
            codes, first = distinct_rows(x, T)
            cumulative = np.stack([self._expected_if_alive(p, x[first], T[first], t)
                                   for t in [*times, horizon]])
        per_period = np.diff(cumulative[:-1], axis=0, prepend=0.0)
        discounted = (discount[:, None] * per_period).sum(axis=0)
        return PurchaseOutlook(alive, alive * cumulative[-1][codes], alive * discounted[codes])

    def _expectations(self, p, x, tx, T, times):
        alive = self._p_alive(p, x, tx, T, 0.0)
        return np.stack([self._if_alive(self._expected_if_alive, p, x, T, t) * alive
                         for t in times])

    @staticmethod
    def _if_alive(formula, p, x, T, t, *args):
        """``formula(p, x, T, t, *args)`` (a prediction given alive, which depends on x, T
        and the horizon alone) computed once per distinct (x, T, t) and spread back to the
        rows; directly when the parameters differ by row (covariates)."""
        if any(np.ndim(v) for v in p.values()):
            return formula(p, x, T, t, *args)
        if np.ndim(t):
            codes, first = distinct_rows(x, T, t)
            return formula(p, x[first], T[first], t[first], *args)[codes]
        codes, first = distinct_rows(x, T)
        return formula(p, x[first], T[first], t, *args)[codes]

    # -- the predictive distribution of future purchases -------------------------------
    @prediction
    def probability_of_n_purchases(self, data: Any, n: int | Sequence[int],
                                   t: Horizon) -> np.ndarray:
        """P(X(T, T+t) = n | history): the probability that each customer makes exactly
        ``n`` purchases in the next ``t`` units, given their frequency, recency and T.

        A customer who is gone makes none; one still alive buys as a customer with their
        history would (the parameters updated by it), dropping out on the way as the model
        says. ``n`` is a whole number (one value per customer) or a sequence of them (a
        column per value); ``t`` as in :meth:`p_alive`. lifetimes calls this
        ``conditional_probability_of_n_purchases_up_to_time`` (Pareto/NBD only) and
        PyMC-Marketing ``expected_purchase_probability``.
        """
        return columns_of(lambda n_max: self.purchase_distribution(data, t, n_max=n_max), n)

    @prediction
    def p_no_purchase(self, data: Any, t: Horizon) -> np.ndarray:
        """Probability that each customer makes no purchase in the next ``t`` units:
        gone, or alive and not buying."""
        return self.purchase_distribution(data, t, n_max=0)[:, 0]

    @prediction
    def purchase_distribution(self, data: Any, t: Horizon, *, n_max: int = 10) -> np.ndarray:
        """The predictive distribution of each customer's purchases in the next ``t``
        units: one row per customer, column k the probability of exactly k purchases for
        k = 0..n_max (the rest of the probability is on more than n_max)."""
        if n_max < 0:
            raise ModelError(f"n_max={n_max} must be 0 or more")
        p, x, tx, T = self._hist(data)
        t = horizons(data, t, len(x))
        return self._distribution(p, x, tx, T, t, n_max)

    def _distribution_at(self, theta: np.ndarray, d: Mapping[str, np.ndarray], t,
                         n_max: int) -> np.ndarray:
        """``purchase_distribution`` at the parameters ``theta`` (optimiser scale)."""
        p = self._unpack(theta, d)
        return self._distribution(p, d["frequency"], d["recency"], d["T"], t, n_max)

    def _mixture(self, thetas: np.ndarray, d: Mapping[str, np.ndarray], t,
                 n_max: int) -> np.ndarray:
        """``purchase_distribution`` averaged over the parameter sets ``thetas``."""
        return self._mixtures(thetas, d, [t], n_max)[0]

    def _mixtures(self, thetas: np.ndarray, d: Mapping[str, np.ndarray], times,
                  n_max: int) -> list[np.ndarray]:
        """The averaged distributions for each horizon of ``times``. Without covariates and
        with horizons that are one number each, the distribution given alive depends on
        (x, T) alone: it is computed once per distinct pair and draw, P(alive) once per row
        and draw for all the horizons, and the two combined in one compiled pass."""
        if self.covariates.links or any(np.ndim(t) for t in times):
            return [sum(self._distribution_at(theta, d, t, n_max) for theta in thetas)
                    / len(thetas) for t in times]
        from tenure.models._compiled import mix_alive

        x, tx, T = d["frequency"], d["recency"], d["T"]
        codes, first = distinct_rows(x, T)
        alive = np.empty((len(thetas), len(x)))
        pmf = np.empty((len(times), len(thetas), len(first), n_max + 1))
        for s, theta in enumerate(thetas):
            p = self._unpack(theta, d)
            alive[s] = self._p_alive(p, x, tx, T, 0.0)
            for h, t in enumerate(times):
                pmf[h, s] = self._pmf_if_alive(p, x[first], T[first], t, n_max, exact=False)
        return [mix_alive(alive, pmf[h], codes) for h in range(len(times))]

    def _distribution(self, p, x, tx, T, t, n_max: int) -> np.ndarray:
        alive = self._p_alive(p, x, tx, T, 0.0)
        table = self._if_alive(self._pmf_if_alive, p, x, T, t, n_max) * alive[:, None]
        table[:, 0] += 1.0 - alive
        return table

    @prediction
    def p_alive_path(self, purchase_times: Sequence[float], T: float, *,
                     step: float = 1.0) -> pd.DataFrame:
        """P(alive) along one customer's history, as it looked at each moment: at every
        ``step`` from the first purchase (time 0) to ``T``, and just before and at each
        repeat purchase, from the purchases made by then.

        ``purchase_times`` are the repeat purchases, in the model's unit after the first
        purchase; the frame has time, frequency, recency and p_alive (the data of the
        history chart: P(alive) decays while the customer is quiet and jumps at each
        purchase).
        """
        self._check_fitted()
        times = np.sort(np.asarray(purchase_times, float))
        if np.any(times <= 0) or np.any(times > T) or step <= 0:
            raise ModelError("purchase_times must lie after the first purchase (0) and by T, "
                             "and step must be positive")
        grid = np.unique(np.r_[np.arange(0.0, T, step), T, times,
                               np.maximum(times - 1e-9 * max(T, 1.0), 0.0)])
        made = np.searchsorted(times, grid, side="right")
        recency = np.where(made > 0, times[np.maximum(made - 1, 0)], 0.0) if len(times) \
            else np.zeros_like(grid)
        frame = pd.DataFrame({"time": grid, "frequency": made, "recency": recency, "T": grid})
        frame["p_alive"] = self.p_alive(frame)
        return frame.drop(columns="T")

    @prediction
    def expected_purchases_new_customer(self, t: float | np.ndarray) -> np.ndarray:
        """Expected repeat purchases in ``t`` units of a customer who just made a first one."""
        self._check_fitted()
        _check_horizon(t)
        return self._unconditional_expectation(self._population(), np.asarray(t, float))

    @prediction
    def probability_of_purchases(self, n: int | np.ndarray, t: float) -> np.ndarray:
        """Probability that a new customer makes exactly ``n`` repeat purchases in ``t``."""
        self._check_fitted()
        _check_horizon(t)
        n = np.asarray(n)
        if np.any(n < 0) or np.any(n != np.round(n)):
            raise ModelError(f"n={n!r} must be whole numbers, 0 or more")
        return self._pmf(self._population(), n.astype(np.int64), float(t))

    @prediction
    def predict(self, data: Any, t: float = 1.0) -> pd.DataFrame:
        """P(alive) now and the expected purchases in the next ``t`` units, per row."""
        return pd.DataFrame({"p_alive": self.p_alive(data),
                             "expected_purchases": self.expected_purchases(data, t)})

    def _population(self) -> dict[str, float]:
        """Parameters of a customer whose covariates are all zero (the baseline)."""
        return {k: float(self.params_[k]) for k in self.param_names}

    # -- formulas each model supplies --------------------------------------------------
    def _p_alive(self, p, x, tx, T, t):
        raise NotImplementedError

    def _conditional_expectation(self, p, x, tx, T, t):
        return self._expectations(p, x, tx, T, [t])[0]

    def _expected_if_alive(self, p, x, T, t):
        """E[purchases in (T, T+t] | alive at T, x, T]."""
        raise NotImplementedError

    def _unconditional_expectation(self, p, t):
        raise NotImplementedError

    def _pmf(self, p, n, t):
        raise NotImplementedError

    def _pmf_if_alive(self, p, x, T, t, n_max, exact=True):
        """P(k purchases in (T, T+t] | alive at T, x, T) for k = 0..n_max, a row per
        customer; without ``exact``, probabilities below 1e-10 may lose their digits (what
        intervals can afford)."""
        raise NotImplementedError

    # -- simulation ----------------------------------------------------------------------
    @classmethod
    def simulate(cls, params: Mapping[str, float] | None = None, n: int = 1000, *,
                 seed: int = 0, T: float | np.ndarray = 52.0, holdout: float = 0.0,
                 covariates: pd.DataFrame | None = None, **options: Any) -> pd.DataFrame:
        """Customers drawn from the model: frequency, recency, T (and, with ``holdout``,
        frequency_holdout and duration_holdout), plus the covariate columns given.

        ``T`` is each customer's observed time (a number for all, or one per customer);
        covariates, when given, have one row per customer and their coefficients are in
        ``params`` as ``purchase:COLUMN`` / ``dropout:COLUMN``.
        """
        params = dict(params or cls.example_params)
        kinds = {}
        if covariates is not None:
            for key in params:
                if ":" in key:
                    kind, column = key.split(":", 1)
                    kinds.setdefault(f"{kind}_covariates", []).append(column)
            n = len(covariates)
        model = cls.from_params(params, **kinds, **options)
        arrays = ({c: covariates[c].to_numpy(dtype=float) for c in covariates.columns}
                  if covariates is not None else {})
        row = model._unpack(model._theta, arrays)
        rng = np.random.default_rng(seed)
        T_arr = np.broadcast_to(np.asarray(T, float), (n,)).copy()
        full = {k: np.broadcast_to(v, (n,)) for k, v in row.items()}
        x, tx, x_hold = cls._draw(rng, full, T_arr, float(holdout))
        frame = pd.DataFrame({"frequency": x, "recency": tx, "T": T_arr})
        if holdout > 0:
            frame["frequency_holdout"] = x_hold
            frame["duration_holdout"] = float(holdout)
        if covariates is not None:
            for column in covariates.columns:
                frame[column] = covariates[column].to_numpy()
        return frame

    @staticmethod
    def _draw(rng, p, T, holdout):
        raise NotImplementedError


def _check_horizon(t) -> None:
    if np.any(np.asarray(t, float) < 0) or not np.all(np.isfinite(np.asarray(t, float))):
        raise ModelError(f"t={t!r} must be a finite time of 0 or more, in the summary's unit")


Horizon = float | Sequence[float] | np.ndarray | str


def columns_of(distribution, n: int | Sequence[int]) -> np.ndarray:
    """The columns for the counts ``n`` of ``distribution(n_max)``, a table of the
    probabilities of 0..n_max purchases per customer: one column for one count, a 2-D
    table for several."""
    counts = np.asarray(n)
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ModelError(f"n={n!r} must be whole numbers, 0 or more")
    return distribution(int(counts.max(initial=0)))[:, counts.astype(np.int64)]


def horizons(data: Any, t: Horizon, rows: int) -> float | np.ndarray:
    """A horizon as the predictions take it: one float for every customer, or an array with
    one per customer (given as an array or as the name of a column of ``data``)."""
    if isinstance(t, str):
        if not hasattr(data, "columns") or t not in data.columns:
            raise ModelError(f"the horizon column {t!r} is not in the data; name one of its "
                             "columns or give a number")
        values = pd.to_numeric(pd.Series(np.asarray(data[t])), errors="coerce").to_numpy(float)
        if not np.all(np.isfinite(values) & (values >= 0)):
            row = int(np.flatnonzero(~(np.isfinite(values) & (values >= 0)))[0])
            raise InputError("horizons must be finite times of 0 or more", row=row, column=t)
        return values
    if np.ndim(t) == 0:
        _check_horizon(t)
        return float(t)
    values = np.asarray(t, float)
    if values.shape != (rows,):
        raise ModelError(f"got {values.size} horizons for {rows} customers; give one number "
                         "for all, one per customer, or a column name")
    _check_horizon(values)
    return values


def history_from_events(n: int, owner: np.ndarray, times: np.ndarray, T: np.ndarray,
                        holdout: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, holdout count) from sorted repeat-purchase events on (0, T + holdout]."""
    in_cal = times <= T[owner]
    x = np.bincount(owner[in_cal], minlength=n)
    tx = np.zeros(n)
    np.maximum.at(tx, owner[in_cal], times[in_cal])
    hold = np.bincount(owner[~in_cal & (times <= T[owner] + holdout)], minlength=n)
    return x.astype(np.int64), tx, hold.astype(np.int64)
