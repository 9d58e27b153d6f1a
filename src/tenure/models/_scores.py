"""Fit the value models on a workspace and write per-customer scores.

The summary is built in the engine; the models are fitted on its distinct statistics
(customers with the same history are one weighted row), predictions are computed once per
distinct row, and the engine joins them back to the customers and writes the ``scores``
table, one row per customer and as-of date.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from tenure.engine._backends import register_arrow
from tenure.engine._rfm import SUMMARY_UNITS, UNITS, discrete_summary, rfm_expression, to_date
from tenure.errors import ConfigError, ModelError
from tenure.models._base import ModelWarning
from tenure.models._evaluation import check_forecasts, holdout_error
from tenure.models._fit_report import FitReport, compressed, last_order_day
from tenure.models._store import load_model, save_model
from tenure.progress import Progress, steps_of
from tenure.results import Result
from tenure.workspace._migrations import VALUE_SCORE_COLUMNS

if TYPE_CHECKING:
    import ibis
from tenure.workspace._scores import write_scores

__all__ = ["FitReport", "ScoreResult", "customer_scores", "fit_workspace", "model_table",
           "parse_horizon", "score"]

TRANSACTION_MODELS = ("bgnbd", "pnbd", "mbgnbd")
# Every purchase model a score can use, and the days in each summary unit.
PURCHASE_MODELS = ("bgnbd", "pnbd", "mbgnbd", "ggomnbd")
UNIT_DAYS = {"D": 1.0, "W": 7.0, "CW": 7.0, "M": 365.25 / 12, "H": 1.0 / 24}
STATS = ["frequency", "recency", "T", "monetary_value"]



def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def parse_horizon(text: str | int) -> int:
    """A horizon such as ``90d``, ``12w`` or ``90`` as a number of days."""
    if isinstance(text, int) and not isinstance(text, bool):
        days = text
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", str(text).lower())
        if not match:
            raise ConfigError(f"horizon {text!r} is not a length of time; write it like "
                              "'90d' (days) or '12w' (weeks)")
        days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
    if days <= 0:
        raise ConfigError(f"horizon {text!r} must be longer than zero days")
    return days


def _transaction_model(name: str):
    from tenure.models._registry import MODELS

    if name not in MODELS or name not in (*TRANSACTION_MODELS, "ggomnbd", "bgbb"):
        raise ConfigError(f"model {name!r} is not known here; use bgnbd, pnbd, mbgnbd, ggomnbd "
                          "or bgbb")
    return MODELS[name]


def fit_workspace(ws, model: str = "bgnbd", *, unit: str = "W",
                  calibration_end: Any = None, observation_end: Any = None) -> FitReport:
    """Fit ``model`` on the workspace's orders, save it, and report it.

    With ``calibration_end`` the model is fitted on the orders up to that date and judged on
    the rest (holdout MAE, RMSE and totals in ``metrics``). ``model`` is a purchase model
    (bgnbd, pnbd, mbgnbd, ggomnbd, bgbb), ``gg`` (Gamma-Gamma on the repeat buyers' spend),
    ``sbg`` (the memberships' renewals, ``unit`` the renewal period: W, M or Y) or ``auto``
    (every continuous-time purchase model, the one that forecasts best chosen: see
    :func:`choose_model`; the report's ``choice`` says why).
    """
    if model in ("gg", "sbg", "auto"):
        from tenure.models._workspace_fits import fit_other

        return fit_other(ws, model, unit=unit, calibration_end=calibration_end,
                         observation_end=observation_end)
    cls = _transaction_model(model)
    if unit not in (UNITS if cls.name == "bgbb" else SUMMARY_UNITS):
        raise ConfigError(f"unit {unit!r} is not known for {cls.title}; use D (days) or W "
                          "(weeks)" + ("" if cls.name == "bgbb" else
                                       ", CW (calendar weeks), M (months) or H (hours)"))
    end = to_date(observation_end, "observation_end") if observation_end else last_order_day(ws)
    cal = to_date(calibration_end, "calibration_end") if calibration_end else None
    if cls.name == "bgbb":
        data = discrete_summary(ws, observation_end=end, unit=unit, calibration_end=cal)
        cols = ["frequency", "recency", "n_periods"]
        extra = ["frequency_holdout", "n_periods_holdout"] if cal else []
        grouped = (data.groupby(cols + extra, as_index=False).size()
                   .rename(columns={"size": "weights"}))
    else:
        expr = rfm_expression(ws, observation_end=end, unit=unit, calibration_end=cal)
        cols = ["frequency", "recency", "T"]
        extra = ["frequency_holdout", "duration_holdout"] if cal else []
        grouped = compressed(expr, cols + extra)
    fitted = cls().fit(grouped)
    check_forecasts(fitted, grouped)
    metrics = {"log_likelihood": fitted.log_likelihood_, "aic": fitted.aic_,
               "bic": fitted.bic_, "customers": fitted.n_customers_}
    if cal:
        err = holdout_error(fitted, grouped)
        metrics.update(holdout_mae=err.mae, holdout_rmse=err.rmse,
                       predicted_holdout=err.predicted_total, actual_holdout=err.actual_total)
    with ws.transaction() as con:
        version = save_model(con, fitted, unit=unit, window_end=cal or end,
                             calibration_end=cal, metrics=metrics)
    return FitReport(fitted, version, fitted.summary(), metrics, cal or end, cal, unit,
                     fitted.cautions())


PREDICTIONS = "_tenure_predictions"
# Customer ids come back as Arrow-backed strings: far quicker for a million of them.
_TEXT = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}


def customer_scores(summary: ibis.Table, purchases: Any, spend: Any, *, horizon: float,
                    clv_horizon: float | None = None, steps: int = 12,
                    discount_rate: float = 0.0, margin: float = 1.0,
                    histories: pd.DataFrame | None = None) -> tuple[ibis.Table, pd.DataFrame]:
    """Each customer's P(alive), expected purchases in ``horizon``, spend per purchase and
    CLV, as an engine query over ``summary`` (a materialised table with customer_id,
    frequency, recency, T and monetary_value).

    The purchase model predicts once per distinct history (frequency, recency, T); those
    rows go to the engine as ``_tenure_predictions``, a view of an Arrow table (the caller
    unregisters it when done), and are joined back to the customers there, where the spend
    per purchase and the CLV are columns of the query. CLV is as in
    :meth:`GammaGamma.clv`, over ``clv_horizon`` (default ``horizon``) cut into ``steps``
    periods, period k discounted by (1 + discount_rate)^k. ``histories`` are the distinct
    histories with their ``weights`` when already at hand (the rows the purchase model was
    fitted on). Returns the query and the distinct histories with their predictions and how
    many customers share each.
    """
    keys = ["frequency", "recency", "T"]
    if histories is None:
        histories = (summary.group_by(keys).aggregate(weights=summary.count()).order_by(keys)
                     .to_pandas())
    outlook = purchases.purchase_outlook(histories, horizon=horizon, clv_horizon=clv_horizon,
                                         steps=steps, discount_rate=discount_rate)
    predictions = pa.table({
        **{k: pa.array(histories[k].to_numpy()) for k in keys},
        "p_alive": outlook.p_alive,
        "expected_purchases": outlook.expected_purchases,
        "discounted_purchases": outlook.discounted_purchases,
    })
    # Registered, not copied: DuckDB reads the Arrow columns where they are.
    table = register_arrow(summary.get_backend(), PREDICTIONS, predictions)
    j = summary.join(table, keys)
    j = j.mutate(spend_per_purchase=spend.expected_spend_expression(j.frequency,
                                                                    j.monetary_value))
    query = j.select("customer_id", "p_alive", "expected_purchases", "spend_per_purchase",
                     clv=margin * j.spend_per_purchase * j.discounted_purchases)
    frame = histories[[*keys, "weights"]].assign(
        p_alive=outlook.p_alive, expected_purchases=outlook.expected_purchases,
        discounted_purchases=outlook.discounted_purchases)
    return query, frame


@dataclass(frozen=True)
class ScoreResult(Result):
    """What ``score`` wrote: the as-of date, the models used, totals over the customers
    and a preview.

    ``frame`` holds every customer's scores as written (customer_id, p_alive,
    expected_purchases, expected_spend, clv); ``histories`` the distinct (frequency,
    recency, T) with the purchase model's predictions and how many customers share each;
    the totals are sums over every customer. ``notes`` say which model scored and its
    cautions (a boundary, intervals too wide to trust), one sentence each."""

    as_of: dt.date
    horizon_days: int
    customers: int
    model_version: str
    spend_model_version: str
    expected_alive: float
    expected_purchases: float
    expected_spend: float
    clv: float
    frame: pd.DataFrame
    histories: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def headline(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "horizon_days": self.horizon_days,
                "customers": self.customers, "distinct_histories": len(self.histories),
                "expected_alive": self.expected_alive,
                "expected_purchases": self.expected_purchases,
                "expected_spend": self.expected_spend, "clv": self.clv,
                "model_version": self.model_version,
                "spend_model_version": self.spend_model_version}

    def lines(self) -> list[str]:
        return [f"Scores as of {self.as_of}, next {self.horizon_days} days: "
                f"{self.customers:,} customers, {self.expected_alive:,.1f} expected alive, "
                f"{self.expected_purchases:,.1f} expected purchases, "
                f"{self.expected_spend:,.2f} expected spend, CLV {self.clv:,.2f}",
                *(f"note: {note}" for note in self.notes),
                f"Wrote {self.customers:,} rows to `scores` with {self.model_version} and "
                f"{self.spend_model_version}"]

    def view(self) -> pd.DataFrame:
        return self.frame.sort_values("clv", ascending=False, kind="stable")

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        return [("Most valuable customers", self.view())]

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"histories": self.histories}


def score(ws, *, as_of: Any, horizon: str | int = "90d", model: str = "bgnbd",
          discount_rate: float = 0.0, margin: float = 1.0, refit: bool = False,
          progress: Progress = None) -> ScoreResult:
    """Score every customer as of ``as_of`` and write the ``scores`` table.

    The models see the orders before ``as_of`` (in days). A model fitted before on the same
    window is reused unless ``refit``. ``model="last"`` scores with the purchase model last
    fitted on the workspace (by ``tenure fit`` or a score), its parameters as they are, the
    summary in its unit; the result's notes say which it was. ``discount_rate`` is per 30
    days; ``margin`` is the share of spend that is profit. Re-running for the same ``as_of``
    replaces its rows.
    """
    from tenure.models._gamma_gamma import GammaGamma
    from tenure.models._store import last_fitted

    step = steps_of(progress)
    reuse = last_fitted(ws.connection, PURCHASE_MODELS) if model == "last" else None
    fallback = model == "last" and reuse is None
    if fallback:  # nothing fitted yet: BG/NBD, fitted on the days before as_of
        model = "bgnbd"
    cls = type(reuse.model) if reuse is not None else _transaction_model(model)
    if cls.name == "bgbb":
        raise ConfigError("scores use a continuous-time model; use bgnbd, pnbd, mbgnbd or "
                          "ggomnbd")
    unit = reuse.unit if reuse is not None else "D"
    day = to_date(as_of, "as_of")
    days = parse_horizon(horizon)
    if not 0 <= margin <= 1 or discount_rate < 0:
        raise ConfigError(f"margin={margin} must be between 0 and 1 and "
                          f"discount_rate={discount_rate} 0 or more")
    expr = rfm_expression(ws, observation_end=day, unit=unit,
                          last_day=day - dt.timedelta(days=1))
    step("summarising")
    con = ws.connection
    # Materialised once: float sums may differ in their last bits between two runs of the
    # same parallel query, and the scores are joined back on those values.
    import ibis

    con.execute("CREATE OR REPLACE TEMP TABLE _tenure_summary AS "
                + ibis.to_sql(expr, dialect="duckdb"))
    try:
        return _score_summary(ws, ws.ibis.table("_tenure_summary"), cls, GammaGamma, day=day,
                              days=days, discount_rate=discount_rate, margin=margin,
                              refit=refit, step=step, reuse=reuse, unit=unit,
                              fallback=fallback)
    finally:
        con.unregister(PREDICTIONS)
        con.execute("DROP TABLE IF EXISTS _tenure_summary")


def _score_summary(ws, summary: ibis.Table, cls, spend_cls, *, day: dt.date, days: int,
                   discount_rate: float, margin: float, refit: bool, step,
                   reuse: Any = None, unit: str = "D",
                   fallback: bool = False) -> ScoreResult:
    con = ws.connection
    # Fetched as Arrow, which turns into a DataFrame quicker than a direct fetch does; in a
    # fixed order, so that the sums of a fit add up the same way and a date scored again
    # gets the same scores to the last bit.
    counts = con.sql('SELECT frequency, recency, "T", count(*) AS weights '
                     'FROM _tenure_summary GROUP BY ALL ORDER BY ALL').to_arrow_table().to_pandas()
    if not len(counts):
        raise ModelError(f"no customer bought before {day}; choose a later --as-of")
    # Mean spends are nearly all distinct: one row per repeat buyer.
    buyers = con.sql("SELECT frequency, monetary_value, 1.0::DOUBLE AS weights "
                     "FROM _tenure_summary WHERE frequency > 0 ORDER BY ALL"
                     ).to_arrow_table().to_pandas()

    models = {}
    if reuse is not None:
        models["purchases"] = (reuse.model, reuse.model_version)
    for kind, model_cls, data in (("purchases", cls, counts), ("spend", spend_cls, buyers)):
        if kind in models:
            continue
        saved = None
        if not refit:
            try:
                saved = load_model(con, model=model_cls.name, unit=unit, window_end=day)
            except ModelError:
                saved = None
        if saved is not None:
            models[kind] = (saved.model, saved.model_version)
            continue
        step(f"fitting {model_cls.title}")
        with warnings.catch_warnings():
            # Said in the result's notes instead, with the saved models' own.
            warnings.simplefilter("ignore", ModelWarning)
            fitted = model_cls().fit(data)
        if kind == "purchases":  # nothing saved whose forecasts are not numbers
            check_forecasts(fitted, data)
        metrics = {"log_likelihood": fitted.log_likelihood_, "aic": fitted.aic_,
                   "bic": fitted.bic_, "customers": fitted.n_customers_}
        with ws.transaction() as tx:
            version = save_model(tx, fitted, unit=unit, window_end=day, metrics=metrics)
        models[kind] = (fitted, version)

    step("scoring")
    purchases, version = models["purchases"]
    spend_model, spend_version = models["spend"]
    steps = max(1, round(days / 30))
    rate = (1 + discount_rate) ** (days / steps / 30) - 1
    query, distinct = customer_scores(summary, purchases, spend_model,
                                      horizon=days / UNIT_DAYS[unit], steps=steps,
                                      discount_rate=rate, margin=margin, histories=counts)
    if not np.all(np.isfinite(distinct[["p_alive", "expected_purchases",
                                        "discounted_purchases"]].to_numpy())):
        raise ModelError("some scores are not finite; the fitted model may sit on a "
                         "boundary: run `tenure fit` to see its diagnostics")

    step("writing scores")
    import ibis

    scores = ibis.to_sql(query, dialect="duckdb")
    with ws.transaction() as tx:
        write_scores(
            tx, day,
            "SELECT customer_id, p_alive, expected_purchases, "
            "expected_purchases * spend_per_purchase AS expected_spend, clv, "
            f"{_text(purchases.name)} AS model, {_text(version)} AS model_version, "
            f"{int(days)} AS horizon_days FROM ({scores})",
            VALUE_SCORE_COLUMNS)
        totals = tx.execute(
            "SELECT count(p_alive), sum(p_alive), sum(expected_purchases), sum(expected_spend), "
            "sum(clv) FROM scores WHERE as_of = $as_of", {"as_of": day}).fetchall()[0]
        # A relation, not a cursor: DuckDB copies a cursor's rows once more into Arrow.
        per_customer = tx.sql(
            "SELECT customer_id, p_alive, expected_purchases, expected_spend, clv "
            "FROM scores WHERE as_of = $as_of AND p_alive IS NOT NULL ORDER BY customer_id",
            params={"as_of": day}).to_arrow_table().to_pandas(types_mapper=_TEXT.get)
    notes = purchases.cautions() + spend_model.cautions()
    if reuse is not None:
        notes = (f"scored with {reuse.model.title} {reuse.model_version}, the purchase model "
                 f"fitted last, on orders to {reuse.window_end} in unit {reuse.unit}",
                 *notes)
    elif fallback:
        notes = (f"no purchase model was fitted on this workspace yet, so {purchases.title} "
                 f"was fitted on the orders before {day}; choose one with `tenure fit` or "
                 "--model", *notes)
    return ScoreResult(day, days, int(totals[0]), version, spend_version,
                       *(float(v) for v in totals[1:]), per_customer, distinct, notes)


def model_table(ws, *, unit: str = "W", calibration_end: Any = None,
                models: tuple[str, ...] = TRANSACTION_MODELS) -> pd.DataFrame:
    """BG/NBD, MBG/NBD and Pareto/NBD side by side on the workspace's orders: parameters,
    log-likelihood, AIC, BIC and, with ``calibration_end``, the holdout errors."""
    from tenure.models._evaluation import compare_models

    end = last_order_day(ws)
    cal = to_date(calibration_end, "calibration_end") if calibration_end else None
    expr = rfm_expression(ws, observation_end=end, unit=unit, calibration_end=cal)
    extra = ["frequency_holdout", "duration_holdout"] if cal else []
    grouped = compressed(expr, ["frequency", "recency", "T", *extra])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        return compare_models(grouped, models).frame
