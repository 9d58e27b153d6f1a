"""The shared machinery of every value model: maximum likelihood on weighted rows.

A model declares its parameter names, its data columns and its log-likelihood (a pure
function returning per-row values and gradients), and may add its weighted totals (``Totals``)
for speed; this base does the rest: it validates and compresses the data, maximises the
weighted log-likelihood over log-parameters from several starting points (on a sample when
there are many rows, then Newton steps on all of them), takes standard errors from the
Hessian, reports boundary and failed fits with advice, and prints a summary.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd
from scipy import linalg, optimize
from threadpoolctl import threadpool_limits

from tenure.errors import InputError, ModelError, NotFittedError

__all__ = ["Covariates", "FitDiagnostics", "ModelWarning", "Totals", "ValueModel",
           "prediction"]

# Log-parameters are kept inside these bounds so that exp() neither overflows nor vanishes.
LOG_BOUND = 18.0
COEF_BOUND = 20.0
# A 95% interval wider than this on the log scale spans more than two orders of magnitude.
WIDE_INTERVAL = math.log(100.0)


SCOUT_ITERATIONS = 8
SCOUT_ROWS = 20_000


def _sample(d: Mapping[str, Any], w: np.ndarray,
            size: int = SCOUT_ROWS) -> tuple[dict[str, Any], np.ndarray]:
    """About ``size`` rows, drawn with a fixed seed with chances proportional to their
    weights (a row shared by many customers is always in), each reweighted by one over its
    chance so that every total stays unbiased."""
    if len(w) <= size:
        return dict(d), w
    # The scale c that makes the chances min(1, c w) add up to size: rows whose chance
    # would pass 1 are taken surely and c is spread over the others, until none is left.
    c, sure = size / w.sum(), 0
    if c * w.max() >= 1:  # some rows are sure: sort the weights to find them
        heavy = np.sort(w)[::-1]
        while sure < size and c * heavy[sure] >= 1:
            sure = int(np.searchsorted(-heavy, -1.0 / c, side="right"))
            c = (size - sure) / max(heavy[sure:].sum(), 1e-300)
    chance = np.minimum(1.0, c * w)
    rows = np.flatnonzero(np.random.default_rng(0).random(len(w)) < chance)
    sampled = {k: v[rows] for k, v in d.items() if not k.startswith("_")}
    return sampled, w[rows] / chance[rows]


def _ll(result, scale: float) -> float:
    return -result.fun * scale if result.fun < 1e299 else -np.inf


# Newton steps on all rows end with a step no longer than this (on the log scale), which
# leaves the parameters within about its square of the optimum.
NEWTON_LAST_STEP = 1e-5
NEWTON_STEPS = 30


class Totals(Protocol):
    """The weighted log-likelihood of a fixed data set at scalar parameters.

    ``totals(params, order)`` returns ``(ll, gradient, hessian)``: ``ll`` the weighted sum
    over the rows, ``gradient`` its derivatives with respect to the parameters in the
    order of ``param_names`` (None with ``order=0``), and with ``order=2`` ``hessian``
    their second derivatives when ``has_hessian`` (None otherwise). A model builds one per
    data set, so that everything that depends on the data alone is computed once per fit.
    """

    has_hessian: bool

    def __call__(self, params: Mapping[str, float], order: int
                 ) -> tuple[float, np.ndarray, np.ndarray | None]: ...


class _Evaluator:
    """The weighted log-likelihood of one data set as a function of the optimiser's
    coordinates (log-parameters, then covariate coefficients): through the model's totals
    when it has them, otherwise row by row with the chain rule."""

    # Whether a fit ends with Newton steps on all rows (as with the model's totals, or after
    # a sample) rather than a quasi-Newton run to tight tolerances.
    newton = False

    def __init__(self, model: ValueModel, d, w, totals: Totals | None):
        self.model, self.d, self.w, self.totals = model, d, w, totals
        self.exact = totals is not None and totals.has_hessian
        self.layout = model._layout()
        self.scale = float(w.sum())
        # The L2 penalty, per customer as the log-likelihood is summed over them.
        self.penalty = float(model.penalizer_coef) * self.scale

    def __call__(self, theta: np.ndarray, order: int = 1
                 ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """(ll, gradient, Hessian or None) of the penalised log-likelihood, ll = -inf where
        it is not finite."""
        ll, grad, hess = self._unpenalised(theta, order)
        if self.penalty and np.isfinite(ll):
            ll -= self.penalty * float(theta @ theta)
            grad = grad - 2.0 * self.penalty * theta
            if hess is not None:
                hess = hess - 2.0 * self.penalty * np.eye(len(theta))
        return ll, grad, hess

    def _unpenalised(self, theta: np.ndarray, order: int
                     ) -> tuple[float, np.ndarray, np.ndarray | None]:
        with np.errstate(all="ignore"):
            if self.totals is not None:
                p = np.exp(theta)
                ll, g, h = self.totals(dict(zip(self.model.param_names, p, strict=True)),
                                       order)
                if order < 1:
                    return (float(ll) if np.isfinite(ll) else -np.inf), np.zeros_like(theta), None
                grad = p * g  # d/d log(param)
                hess = None if h is None else h * np.outer(p, p) + np.diag(grad)
            else:
                ll, grad = self._rows(theta)
                hess = None
        if not (np.isfinite(ll) and np.all(np.isfinite(grad))
                and (hess is None or np.all(np.isfinite(hess)))):
            return -np.inf, np.zeros_like(theta), None
        return float(ll), grad, hess

    def _rows(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        d, w = self.d, self.w
        p = self.model._unpack(theta, d)
        ll, g = self.model._loglik(p, d, True)
        grad = np.empty_like(theta)
        for i, (param, column, _sign) in enumerate(self.layout):
            chain = g[param] * p[param]  # d/d log(param)
            if column is not None:
                chain = chain * d[column]
            grad[i] = np.sum(w * chain) if np.ndim(chain) else chain * w.sum()
        return float(np.dot(w, ll)), grad

    def objective(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """-ll per customer and its gradient, for a minimiser."""
        ll, grad, _h = self(theta)
        if not np.isfinite(ll):
            return 1e300, np.zeros_like(theta)
        return -ll / self.scale, -grad / self.scale


def _minimize(ev: _Evaluator, theta0, bounds, max_iter: int, tolerance: str):
    # Loose is for a sample (or for a start) that Newton steps on all rows will polish.
    ftol, gtol = (1e-10, 1e-6) if tolerance == "loose" else (1e-15, 1e-9)
    result = optimize.minimize(ev.objective, theta0, jac=True, method="L-BFGS-B",
                               bounds=bounds, options={"maxiter": max_iter, "ftol": ftol,
                                                       "gtol": gtol, "maxcor": 20})
    # A line search that cannot improve at a vanishing gradient is at the optimum.
    result.success = bool(result.success or np.max(np.abs(result.jac)) < 1e-5)
    return result


def _newton(ev: _Evaluator, start, bounds):
    """Newton steps from ``start`` (an optimiser result), a step that lowers the likelihood
    cut to a quarter until it does not. With the model's totals the Hessian is exact and
    new at every step; otherwise it comes from differences of the gradient at the start and
    is then updated from the gradients of the steps (BFGS), so that each step costs one
    gradient, and again from differences at the end for the covariance. Returns (result,
    Hessian at result.x), or (start, None) when the Hessian is not negative definite or
    the steps do not converge."""
    exact = ev.exact
    lo, hi = (np.array(b, float) for b in zip(*bounds, strict=True))
    theta = np.clip(start.x, lo, hi)
    ll, grad, hess = ev(theta, order=2 if exact else 1)
    if not exact and np.isfinite(ll):
        hess = _difference_hessian(ev, theta, grad)
    for step_no in range(1, NEWTON_STEPS + 1):
        if hess is None or not np.isfinite(ll):
            return start, None
        try:
            factor = linalg.cho_factor(-hess)
        except linalg.LinAlgError:
            return start, None
        step = linalg.cho_solve(factor, grad)
        if np.max(np.abs(step)) <= NEWTON_LAST_STEP:
            # So short a step is taken without a new Hessian: the quadratic model is exact
            # to its square. The Hessian of the point before stands for the covariance.
            last = np.clip(theta + step, lo, hi)
            last_ll, last_grad, _h = ev(last, order=0 if exact else 1)
            if last_ll >= ll - 1e-13 * abs(ll):
                theta, ll, grad = last, last_ll, last_grad
            if not exact:
                hess = _difference_hessian(ev, theta, grad)
            result = optimize.OptimizeResult(
                x=theta, fun=-ll / ev.scale, success=True, nit=start.nit + step_no,
                message="Newton steps converged")
            return result, hess
        size = 1.0
        while True:
            trial = np.clip(theta + size * step, lo, hi)
            t_ll, t_grad, t_hess = ev(trial, order=2 if exact else 1)
            # Near the optimum a step changes the total by less than its rounding error.
            if t_ll >= ll - 1e-13 * abs(ll):
                break
            size /= 4
            if size < 1e-6:
                return start, None
        hess = t_hess if exact else _bfgs_update(hess, trial - theta, t_grad - grad)
        theta, ll, grad = trial, t_ll, t_grad
    return start, None


def _bfgs_update(hess: np.ndarray, step: np.ndarray, change: np.ndarray) -> np.ndarray:
    """The Hessian of the log-likelihood after a step, from how the gradient changed
    (the BFGS update, applied to minus the Hessian); unchanged when the change says
    nothing about the curvature."""
    b, y = -hess, -change
    curvature = y @ step
    if curvature <= 1e-12 * np.linalg.norm(y) * np.linalg.norm(step):
        return hess
    bs = b @ step
    return -(b + np.outer(y, y) / curvature - np.outer(bs, bs) / (step @ bs))


def _difference_hessian(ev: _Evaluator, theta: np.ndarray,
                        grad: np.ndarray | None = None) -> np.ndarray:
    """Hessian of the log-likelihood by differences of its gradient: forward ones from
    ``grad`` (the gradient at ``theta``) when given, central ones otherwise."""
    k = len(theta)
    hessian = np.empty((k, k))
    for i in range(k):
        h = 1e-5 * max(1.0, abs(theta[i]))
        up = theta.copy()
        up[i] += h
        if grad is not None:
            hessian[i] = (ev(up)[1] - grad) / h
            continue
        down = theta.copy()
        down[i] -= h
        hessian[i] = (ev(up)[1] - ev(down)[1]) / (2 * h)
    return (hessian + hessian.T) / 2


def _invert(hessian: np.ndarray) -> np.ndarray:
    """Covariance of the estimates: the inverse of minus the Hessian, or NaN where that is
    not a covariance."""
    k = len(hessian)
    try:
        cov = np.linalg.inv(-hessian)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        return np.full((k, k), np.nan)
    return cov


def prediction(method):
    """Marks a public prediction: it runs with underflow allowed to round to zero (a
    probability below 1e-308 is zero in floating point, which is the right answer), while
    overflow, division by zero and invalid operations stay errors for whoever asks NumPy
    to raise them. Everything else about the arithmetic is the caller's setting."""

    @functools.wraps(method)
    def run(*args, **kwargs):
        with np.errstate(under="ignore"):
            return method(*args, **kwargs)

    return run


class ModelWarning(UserWarning):
    """A fit that worked but deserves a second look (a boundary, excluded rows...)."""


@dataclass(frozen=True)
class FitDiagnostics:
    """How the optimisation went: every start, and any problem with advice."""

    converged: bool
    starts: pd.DataFrame
    messages: tuple[str, ...] = ()


@dataclass
class Covariates:
    """Covariate design: for each linked parameter, the columns that shift its log.

    ``sign`` turns the coefficient on the parameter's log into one on the rate the user
    thinks about (a larger alpha means a *lower* purchase rate, so its sign is -1).
    """

    links: dict[str, tuple[str, int, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [f"{kind}:{col}" for kind, (_p, _s, cols) in self.links.items() for col in cols]


class ValueModel:
    """Base class of the value models (not used directly)."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    param_names: ClassVar[tuple[str, ...]] = ()
    data_columns: ClassVar[tuple[str, ...]] = ()
    # Covariate kinds this model accepts: kind -> (parameter whose log they shift, sign).
    covariate_links: ClassVar[dict[str, tuple[str, int]]] = {}
    example_params: ClassVar[dict[str, float]] = {}
    # Rows of the sample a fit with many rows starts on (see ``_fit_arrays``).
    scout_rows: ClassVar[int] = SCOUT_ROWS

    def __init__(self, *, n_starts: int = 3, max_iter: int = 500, penalizer_coef: float = 0.0,
                 **covariates: Sequence[str]):
        if n_starts < 1:
            raise ModelError(f"n_starts={n_starts} must be at least 1")
        if not (math.isfinite(penalizer_coef) and penalizer_coef >= 0):
            raise ModelError(f"penalizer_coef={penalizer_coef} must be a number, 0 or more")
        self.n_starts = n_starts
        self.max_iter = max_iter
        self.penalizer_coef = float(penalizer_coef)
        self._covariate_args = {k: tuple(v or ()) for k, v in covariates.items()}

    # -- the pieces a model provides -----------------------------------------------------
    @staticmethod
    def _loglik(p: Mapping[str, Any], d: Mapping[str, np.ndarray],
                grad: bool) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
        raise NotImplementedError

    def _starts(self, d: Mapping[str, np.ndarray], w: np.ndarray) -> list[dict[str, float]]:
        raise NotImplementedError

    def _advice(self, d: Mapping[str, np.ndarray], w: np.ndarray) -> str:
        return "check the data, or give more customers"

    def _data_warnings(self, d: Mapping[str, np.ndarray], w: np.ndarray) -> list[str]:
        """What makes any fit on ``d`` doubtful, whatever the optimiser found."""
        return []

    def predict(self, data: Any, **options: Any) -> pd.DataFrame:
        """The model's main predictions for each row of ``data``."""
        raise NotImplementedError

    @classmethod
    def simulate(cls, params: Mapping[str, float] | None = None, n: int = 1000, *,
                 seed: int = 0, **options: Any) -> pd.DataFrame:
        raise NotImplementedError

    # -- covariates ------------------------------------------------------------------------
    @property
    def covariates(self) -> Covariates:
        links = {}
        for kind, columns in self._covariate_args.items():
            kind_name = kind.removesuffix("_covariates")
            if kind_name not in self.covariate_links and columns:
                raise ModelError(f"{type(self).__name__} takes no {kind}; it takes "
                                 f"{', '.join(k + '_covariates' for k in self.covariate_links)}"
                                 if self.covariate_links else
                                 f"{type(self).__name__} takes no covariates")
            if columns and kind_name in self.covariate_links:
                param, sign = self.covariate_links[kind_name]
                links[kind_name] = (param, sign, columns)
        return Covariates(links)

    # -- data ------------------------------------------------------------------------------
    def _frame(self, data: Any) -> pd.DataFrame:
        if isinstance(data, pd.DataFrame):
            return data
        if hasattr(data, "to_pandas"):
            return data.to_pandas()
        raise InputError(f"{type(self).__name__} needs a DataFrame with "
                         f"{', '.join(self.data_columns)}; got {type(data).__name__}")

    def _columns(self) -> list[str]:
        cols = list(self.data_columns)
        for _p, _s, names in self.covariates.links.values():
            cols += [c for c in names if c not in cols]
        return cols

    def _arrays(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        missing = [c for c in self._columns() if c not in frame.columns]
        if missing:
            raise InputError(
                f"{type(self).__name__} needs the column(s) {', '.join(missing)}; got "
                f"{', '.join(map(str, frame.columns))}; build them with tenure.rfm_summary")
        out = {}
        for column in self._columns():
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(values)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise InputError(f"{bad.sum():,} value(s) are missing or not numbers; "
                                 "fill or drop them", row=row, column=column)
            out[column] = values
        self._validate(out)
        return out

    def _validate(self, d: dict[str, np.ndarray]) -> None:
        """Raise an InputError naming the first row that breaks the model's data rules."""

    def _compress(self, data: Any) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Distinct rows of the model's columns and how many customers share each (the
        rows as they are when ``data`` has a weights column)."""
        frame = self._frame(data)
        arrays = self._arrays(frame)
        columns = self._columns()
        if "weights" in frame.columns:
            weights = pd.to_numeric(frame["weights"], errors="coerce").to_numpy(dtype=float)
            if not np.all(np.isfinite(weights) & (weights >= 0)):
                raise InputError("weights must be zero or positive numbers", column="weights")
        else:
            weights = np.ones(len(frame))
        if not len(frame):
            raise ModelError(f"{type(self).__name__} got no rows to fit; check the window and "
                             "the filters that built the summary")
        if "weights" in frame.columns:
            # Rows that come with weights are compressed already (a repeated row would
            # only count twice, which gives the same likelihood).
            return arrays, weights
        # Grouped through each column's codes (a lookup table for whole numbers), several
        # times quicker than a hash grouping of the rows.
        from tenure.models._special import distinct_rows

        codes, first = distinct_rows(*(arrays[c] for c in columns))
        counts = np.bincount(codes, minlength=len(first)).astype(float)
        return {c: arrays[c][first] for c in columns}, counts

    # -- parameters on the optimiser's scale -------------------------------------------
    def _layout(self) -> list[tuple[str, str | None, int]]:
        """Optimiser coordinates: (parameter, covariate column or None, sign)."""
        coords: list[tuple[str, str | None, int]] = [(p, None, 1) for p in self.param_names]
        for param, sign, columns in self.covariates.links.values():
            coords += [(param, c, sign) for c in columns]
        return coords

    def _unpack(self, theta: np.ndarray, d: Mapping[str, np.ndarray]) -> dict[str, Any]:
        layout = self._layout()
        params: dict[str, Any] = {}
        for i, (param, column, _sign) in enumerate(layout):
            if column is None:
                params[param] = theta[i]
            else:
                params[param] = params[param] + theta[i] * d[column]
        return {k: np.exp(v) for k, v in params.items()}

    def _totals(self, d: Mapping[str, np.ndarray], w: np.ndarray) -> Totals | None:
        """The weighted log-likelihood of ``d`` as one function of scalar parameters, with
        its gradient and Hessian, when the model has it (see ``Totals``); None otherwise."""
        return None

    def _evaluator(self, d: Mapping[str, np.ndarray], w: np.ndarray) -> _Evaluator:
        totals = None if self.covariates.links else self._totals(d, w)
        return _Evaluator(self, d, w, totals)

    # -- fitting -------------------------------------------------------------------------
    def fit(self, data: Any) -> ValueModel:
        """Fit by maximum likelihood on ``data`` (a summary DataFrame); return ``self``."""
        d, w = self._compress(data)
        return self._fit_arrays(d, w)

    def _fit_arrays(self, d: dict[str, np.ndarray], w: np.ndarray) -> ValueModel:
        # The optimiser's linear algebra is on matrices of a few dozen numbers, for which
        # BLAS threads cost more than they save (much more on a busy machine).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit_single_threaded(d, w)

    def _fit_single_threaded(self, d: dict[str, np.ndarray], w: np.ndarray) -> ValueModel:
        layout = self._layout()
        scale = float(w.sum())
        starts = self._starts(d, w)[: self.n_starts]
        bounds = [(-LOG_BOUND, LOG_BOUND) if c is None else (-COEF_BOUND, COEF_BOUND)
                  for _p, c, _s in layout]
        full = self._evaluator(d, w)
        # With many rows, the optimum is found on a sample and then polished on all of them:
        # a sample of some thousands of rows puts the parameters within a few standard
        # errors of the full optimum, where a few Newton steps converge.
        sampled = len(w) > self.scout_rows
        near = self._evaluator(*_sample(d, w, self.scout_rows)) if sampled else full
        finish = sampled or full.totals is not None or full.newton
        tolerance = "loose" if finish else "tight"
        rows, scouts = [], []
        # Every start gets a few iterations; the most promising is run to convergence. This
        # finds the same optimum as running each start fully, at a fraction of the work.
        for start in starts:
            theta0 = np.array([math.log(start[p]) if c is None else 0.0 for p, c, _s in layout])
            iterations = SCOUT_ITERATIONS if len(starts) > 1 else self.max_iter
            scout = _minimize(near, theta0, bounds, iterations, tolerance)
            scouts.append(scout)
            rows.append({**{f"start_{p}": start[p] for p in self.param_names},
                         "scout_log_likelihood": _ll(scout, scale),
                         "scout_iterations": int(scout.nit)})
        starts_frame = pd.DataFrame(rows)
        finite = [i for i, sc in enumerate(scouts) if np.isfinite(_ll(sc, scale))]
        if not finite:
            raise ModelError(f"{self.title} could not be fitted: the likelihood was not finite "
                             f"from any of {len(starts)} starting points; "
                             f"{self._advice(d, w)}")
        result = scouts[max(finite, key=lambda i: _ll(scouts[i], scale))]
        if len(starts) > 1:
            result = _minimize(near, result.x, bounds, self.max_iter, tolerance)
        hessian = None
        if finish:
            result, hessian = _newton(full, result, bounds)
        if hessian is None and (tolerance == "loose" or not result.success):
            # No Newton finish (a Hessian that is not negative definite, as at a boundary):
            # the quasi-Newton run goes on over every row to tight tolerances.
            result = _minimize(full, result.x, bounds, self.max_iter, "tight")
            if full.exact:
                hessian = full(result.x, order=2)[2]
        ll = _ll(result, scale)
        theta = result.x
        messages = self._data_warnings(d, w)
        if not result.success:
            messages.append(f"the optimiser stopped before converging ({result.message}); "
                            "try max_iter higher")
        at_bound = [layout[i][0] if layout[i][1] is None else f"{layout[i][0]}:{layout[i][1]}"
                    for i, (lo, hi) in enumerate(bounds)
                    if min(theta[i] - lo, hi - theta[i]) < 0.5]
        if at_bound:
            messages.append(f"{', '.join(at_bound)} ran to the edge of the allowed range, so "
                            f"the fit sits on a boundary; {self._advice(d, w)}")
        self._theta = theta
        self._layout_ = layout
        self.params_ = self._named(theta)
        # What is reported is the likelihood of the data, without the penalty.
        self.log_likelihood_ = ll + full.penalty * float(theta @ theta)
        self.n_customers_ = scale
        self.n_rows_ = len(w)
        if hessian is None:
            hessian = _difference_hessian(full, theta)
        cov = _invert(hessian)
        self.covariance_ = cov
        self.standard_errors_ = self._standard_errors(theta, cov)
        if not np.all(np.isfinite(list(self.standard_errors_.values()))):
            messages.append("the Hessian is not invertible there, so some standard errors are "
                            f"missing; {self._advice(d, w)}")
        wide = self._wide_intervals(theta, cov)
        if wide:
            messages.append(f"{wide} more than two orders of magnitude, so the data say "
                            f"little about them; {self._advice(d, w)}")
        self.diagnostics_ = FitDiagnostics(bool(result.success) and not at_bound,
                                           starts_frame, tuple(messages))
        for message in messages:
            warnings.warn(f"{self.title}: {message}", ModelWarning, stacklevel=4)
        return self

    def _wide_intervals(self, theta: np.ndarray, cov: np.ndarray) -> str:
        """A sentence naming the parameters whose 95% interval spans more than a factor of
        100 (on the parameter for a positive one, on the multiplier exp(coefficient) for a
        covariate), with their intervals; empty when there are none."""
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        wide = []
        for i, (param, column, _sign) in enumerate(self._layout_):
            if not (np.isfinite(se[i]) and 2 * 1.959964 * se[i] > WIDE_INTERVAL):
                continue
            name = param if column is None else self._coef_name(param, column)
            low, high = theta[i] - 1.959964 * se[i], theta[i] + 1.959964 * se[i]
            if column is None:  # the interval of the parameter itself, kept positive
                with np.errstate(over="ignore", under="ignore"):
                    low, high = np.exp(low), np.exp(high)
            wide.append(f"{name} ({low:.3g} to {high:.3g})")
        if not wide:
            return ""
        if len(wide) == 1:
            return f"the 95% interval of {wide[0]} spans"
        return f"the 95% intervals of {', '.join(wide[:-1])} and {wide[-1]} span"

    def _named(self, theta: np.ndarray) -> dict[str, float]:
        named = {}
        for i, (param, column, sign) in enumerate(self._layout_):
            if column is None:
                named[param] = float(np.exp(theta[i]))
            else:
                named[self._coef_name(param, column)] = float(sign * theta[i])
        return named

    def _coef_name(self, param: str, column: str) -> str:
        kind = next(k for k, (p, _s, _c) in self.covariates.links.items() if p == param)
        return f"{kind}:{column}"

    def _standard_errors(self, theta: np.ndarray, cov: np.ndarray) -> dict[str, float]:
        se = {}
        diag = np.sqrt(np.diag(cov))
        for i, (param, column, _sign) in enumerate(self._layout_):
            if column is None:
                se[param] = float(np.exp(theta[i]) * diag[i])  # delta method
            else:
                se[self._coef_name(param, column)] = float(diag[i])
        return se

    # -- fitted state --------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "params_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call "
                                 f".fit(summary) first (or {type(self).__name__}.from_params)")

    @classmethod
    def from_params(cls, params: Mapping[str, float], **options: Any) -> ValueModel:
        """A model with the given parameters, as if fitted (for scoring and simulation)."""
        model = cls(**options)
        layout = model._layout()
        theta = []
        for param, column, sign in layout:
            key = param if column is None else model._find_coef(param, column)
            if key not in params:
                raise ModelError(f"{cls.__name__} needs the parameter {key!r}; got "
                                 f"{', '.join(params)}")
            theta.append(math.log(params[key]) if column is None else sign * params[key])
        model._theta = np.array(theta, dtype=float)
        model._layout_ = layout
        model.params_ = model._named(model._theta)
        model.log_likelihood_ = float("nan")
        model.standard_errors_ = {k: float("nan") for k in model.params_}
        model.covariance_ = np.full((len(theta), len(theta)), np.nan)
        model.n_customers_ = float("nan")
        model.n_rows_ = 0
        model.diagnostics_ = FitDiagnostics(True, pd.DataFrame(), ())
        return model

    def _find_coef(self, param: str, column: str) -> str:
        kind = next(k for k, (p, _s, _c) in self.covariates.links.items() if p == param)
        return f"{kind}:{column}"

    def _row_params(self, d: Mapping[str, np.ndarray]) -> dict[str, Any]:
        """Each row's parameters (scalars when there are no covariates)."""
        self._check_fitted()
        return self._unpack(self._theta, d)

    def _prepare(self, data: Any) -> dict[str, np.ndarray]:
        self._check_fitted()
        return self._arrays(self._frame(data))

    def cautions(self) -> tuple[str, ...]:
        """What to keep in mind about this fit, one sentence each: the fit's own warnings,
        or for a model rebuilt from saved parameters and standard errors (which has no
        diagnostics of its own), any parameter at the edge of the allowed range or whose 95%
        interval spans more than two orders of magnitude."""
        self._check_fitted()
        if self.diagnostics_.messages:
            return tuple(f"{self.title}: {m}" for m in self.diagnostics_.messages)
        edge, wide = [], []
        for name in self.param_names:
            value, se = self.params_[name], self.standard_errors_.get(name, float("nan"))
            if abs(math.log(value)) > LOG_BOUND - 0.5:
                edge.append(name)
            elif math.isfinite(se) and 2 * 1.959964 * se / value > WIDE_INTERVAL:
                wide.append(name)
        notes = []
        if edge:
            notes.append(f"{self.title}: {', '.join(edge)} sit at the edge of the allowed range, "
                         "so the fit is on a boundary; refit with more data or "
                         "penalizer_coef=0.01")
        if wide:
            notes.append(f"{self.title}: the 95% interval of {', '.join(wide)} spans more than "
                         "two orders of magnitude; refit with more data, a model with fewer "
                         "parameters or penalizer_coef=0.01")
        return tuple(notes)

    # -- reporting -----------------------------------------------------------------------
    @property
    def n_params(self) -> int:
        return len(self._layout())

    @property
    def aic_(self) -> float:
        self._check_fitted()
        return 2 * self.n_params - 2 * self.log_likelihood_

    @property
    def bic_(self) -> float:
        self._check_fitted()
        return self.n_params * math.log(max(self.n_customers_, 1.0)) - 2 * self.log_likelihood_

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals, one row per parameter."""
        self._check_fitted()
        names = list(self.params_)
        est = np.array([self.params_[n] for n in names])
        se = np.array([self.standard_errors_[n] for n in names])
        # Positive parameters get intervals on the log scale so they stay positive.
        positive = np.array([":" not in n for n in names])
        with np.errstate(all="ignore"):
            log_se = se / est
            lower = np.where(positive, est * np.exp(-1.959964 * log_se), est - 1.959964 * se)
            upper = np.where(positive, est * np.exp(1.959964 * log_se), est + 1.959964 * se)
        return pd.DataFrame({"parameter": names, "estimate": est, "std_error": se,
                             "lower_95": lower, "upper_95": upper})

    def to_dict(self) -> dict[str, Any]:
        """What it takes to rebuild the fitted model: its name, options and parameters."""
        self._check_fitted()
        covariates = {k + "_covariates": list(v[2]) for k, v in self.covariates.links.items()}
        penalty = {"penalizer_coef": self.penalizer_coef} if self.penalizer_coef else {}
        return {"model": self.name, "params": dict(self.params_),
                "standard_errors": dict(self.standard_errors_),
                "log_likelihood": self.log_likelihood_, "n_customers": self.n_customers_,
                "covariates": covariates, "options": {**covariates, **penalty}}

    @property
    def version_(self) -> str:
        """A short, stable id of the fitted parameters (changes when they change)."""
        self._check_fitted()
        text = json.dumps({"model": self.name, "params": self.params_}, sort_keys=True)
        return f"{self.name}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"

    def __repr__(self) -> str:
        if not self.is_fitted:
            return f"{type(self).__name__}(not fitted)"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        ll = ("" if math.isnan(self.log_likelihood_)
              else f", log_likelihood={self.log_likelihood_:.2f}")
        return f"{type(self).__name__}({shown}{ll})"
