"""The shared machinery of every value model: maximum likelihood on weighted rows.

A model declares its parameter names, its data columns and its log-likelihood (a pure
function returning per-row values and gradients); this base does the rest: it validates and
compresses the data, maximises the weighted log-likelihood over log-parameters from several
starting points with analytic gradients, takes standard errors from the Hessian, reports
boundary and failed fits with advice, and prints a summary.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import optimize

from tenure.errors import InputError, ModelError, NotFittedError

__all__ = ["Covariates", "FitDiagnostics", "ModelWarning", "ValueModel"]

# Log-parameters are kept inside these bounds so that exp() neither overflows nor vanishes.
LOG_BOUND = 18.0
COEF_BOUND = 20.0


SCOUT_ITERATIONS = 8
SCOUT_ROWS = 20_000


def _sample(d: Mapping[str, Any], w: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    """At most SCOUT_ROWS rows, drawn with a fixed seed, weighted to the same total."""
    if len(w) <= SCOUT_ROWS:
        return dict(d), w
    rows = np.sort(np.random.default_rng(0).choice(len(w), SCOUT_ROWS, replace=False))
    sampled = {k: v[rows] for k, v in d.items() if not k.startswith("_")}
    weights = w[rows]
    return sampled, weights * (w.sum() / weights.sum())


def _ll(result, scale: float) -> float:
    return -result.fun * scale if result.fun < 1e299 else -np.inf


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

    def __init__(self, *, n_starts: int = 3, max_iter: int = 500, **covariates: Sequence[str]):
        if n_starts < 1:
            raise ModelError(f"n_starts={n_starts} must be at least 1")
        self.n_starts = n_starts
        self.max_iter = max_iter
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
            if kind_name not in self.covariate_links:
                raise ModelError(f"{type(self).__name__} takes no {kind}; it takes "
                                 f"{', '.join(k + '_covariates' for k in self.covariate_links)}"
                                 if self.covariate_links else
                                 f"{type(self).__name__} takes no covariates")
            if columns:
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
        """Distinct rows of the model's columns and how many customers share each."""
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
        grouped = (pd.DataFrame(arrays).assign(weights=weights)
                   .groupby(columns, sort=False, as_index=False)["weights"].sum())
        return {c: grouped[c].to_numpy() for c in columns}, grouped["weights"].to_numpy()

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

    def _objective(self, theta: np.ndarray, d, w, scale: float) -> tuple[float, np.ndarray]:
        p = self._unpack(theta, d)
        with np.errstate(all="ignore"):
            ll, g = self._loglik(p, d, True)
        total = float(np.dot(w, ll))
        if not np.isfinite(total):
            return 1e300, np.zeros_like(theta)
        grad = np.empty_like(theta)
        for i, (param, column, _sign) in enumerate(self._layout()):
            chain = g[param] * p[param]  # d/d log(param)
            if column is not None:
                chain = chain * d[column]
            grad[i] = np.sum(w * chain) if np.ndim(chain) else chain * w.sum()
        if not np.all(np.isfinite(grad)):
            return 1e300, np.zeros_like(theta)
        return -total / scale, -grad / scale

    # -- fitting -------------------------------------------------------------------------
    def fit(self, data: Any) -> ValueModel:
        """Fit by maximum likelihood on ``data`` (a summary DataFrame); return ``self``."""
        d, w = self._compress(data)
        return self._fit_arrays(d, w)

    def _fit_arrays(self, d: dict[str, np.ndarray], w: np.ndarray) -> ValueModel:
        layout = self._layout()
        scale = float(w.sum())
        starts = self._starts(d, w)[: self.n_starts]
        bounds = [(-LOG_BOUND, LOG_BOUND) if c is None else (-COEF_BOUND, COEF_BOUND)
                  for _p, c, _s in layout]
        rows, scouts = [], []
        # Every start gets a few iterations, on a sample of the rows when there are many;
        # the most promising one is then run to convergence on all of them. This finds the
        # same optimum as running each start fully, at a fraction of the work.
        sd, sw = _sample(d, w) if len(starts) > 1 else (d, w)
        for start in starts:
            theta0 = np.array([math.log(start[p]) if c is None else 0.0 for p, c, _s in layout])
            scout = self._minimize(theta0, sd, sw, scale, bounds,
                                   SCOUT_ITERATIONS if len(starts) > 1 else self.max_iter)
            scouts.append(scout)
            rows.append({**{f"start_{p}": start[p] for p in self.param_names},
                         "scout_log_likelihood": _ll(scout, scale),
                         "scout_iterations": int(scout.nit)})
        finite = [i for i, sc in enumerate(scouts) if np.isfinite(_ll(sc, scale))]
        best = None
        if finite:
            lead = max(finite, key=lambda i: _ll(scouts[i], scale))
            result = scouts[lead]
            if len(starts) > 1:
                result = self._minimize(result.x, d, w, scale, bounds, self.max_iter)
            best = (_ll(result, scale), result)
        starts_frame = pd.DataFrame(rows)
        if best is None:
            raise ModelError(f"{self.title} could not be fitted: the likelihood was not finite "
                             f"from any of {len(starts)} starting points; "
                             f"{self._advice(d, w)}")
        ll, result = best
        theta = result.x
        messages = []
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
        self.log_likelihood_ = ll
        self.n_customers_ = float(w.sum())
        self.n_rows_ = len(w)
        cov = self._covariance(theta, d, w)
        self.covariance_ = cov
        self.standard_errors_ = self._standard_errors(theta, cov)
        if not np.all(np.isfinite(list(self.standard_errors_.values()))):
            messages.append("the Hessian is not invertible there, so some standard errors are "
                            f"missing; {self._advice(d, w)}")
        self.diagnostics_ = FitDiagnostics(bool(result.success) and not at_bound,
                                           starts_frame, tuple(messages))
        for message in messages:
            warnings.warn(f"{self.title}: {message}", ModelWarning, stacklevel=3)
        return self

    def _minimize(self, theta0, d, w, scale, bounds, max_iter):
        result = optimize.minimize(self._objective, theta0, args=(d, w, scale), jac=True,
                                   method="L-BFGS-B", bounds=bounds,
                                   options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-9,
                                            "maxcor": 20})
        # A line search that cannot improve at a vanishing gradient is at the optimum.
        result.success = bool(result.success or np.max(np.abs(result.jac)) < 1e-5)
        return result

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

    def _covariance(self, theta: np.ndarray, d, w) -> np.ndarray:
        """Inverse Hessian of -LL in optimiser coordinates, by differences of the gradient."""
        k = len(theta)
        hessian = np.empty((k, k))
        for i in range(k):
            h = 1e-5 * max(1.0, abs(theta[i]))
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            hessian[i] = (self._objective(up, d, w, 1.0)[1]
                          - self._objective(down, d, w, 1.0)[1]) / (2 * h)
        hessian = (hessian + hessian.T) / 2
        try:
            cov = np.linalg.inv(hessian)
        except np.linalg.LinAlgError:
            return np.full((k, k), np.nan)
        if np.any(np.diag(cov) <= 0):
            return np.full((k, k), np.nan)
        return cov

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
        return {"model": self.name, "params": dict(self.params_),
                "standard_errors": dict(self.standard_errors_),
                "log_likelihood": self.log_likelihood_, "n_customers": self.n_customers_,
                "covariates": {k + "_covariates": list(v[2])
                               for k, v in self.covariates.links.items()}}

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
