"""The customer value models: ``tenure fit`` and ``tenure score``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tenure.capabilities._spec import Capability, option

__all__ = ["VALUE_MODELS"]


@dataclass(frozen=True)
class FitOptions:
    model: str = option("bgnbd", help="bgnbd, pnbd, mbgnbd, ggomnbd, bgbb (purchases), gg "
                                       "(spend), sbg (membership renewals) or auto (every "
                                       "purchase model, the best forecast chosen).",
                        choices=("bgnbd", "pnbd", "mbgnbd", "ggomnbd", "bgbb", "sbg", "gg",
                                 "auto"))
    unit: str = option("W", help="Time unit: D (days), W (7-day weeks), CW (calendar weeks), "
                                 "M (months) or H (hours); for sbg the renewal period (W, M "
                                 "or Y).", choices=("D", "W", "CW", "M", "H", "Y"))
    calibration_end: dt.date | None = option(
        None, help="Fit on the orders up to this date and judge the model on the rest.")


@dataclass(frozen=True)
class ScoreOptions:
    as_of: dt.date = option(help="Score as of this date (orders before it are used).")
    horizon: str = option("90d", help="How far ahead: 90d, 12w, ...")
    model: str = option("last", help="last (the purchase model last fitted on the workspace; "
                                      "BG/NBD when none was), bgnbd, pnbd, mbgnbd or "
                                      "ggomnbd.",
                        choices=("last", "bgnbd", "pnbd", "mbgnbd", "ggomnbd"))
    margin: float = option(1.0, help="Share of spend that is profit.", low=0.0, high=1.0)
    discount_rate: float = option(0.0, help="Discount rate per 30 days.", low=0.0)
    refit: bool = option(False, help="Fit again even if a saved model fits the same window.")


def _fit(ws, o: FitOptions, progress):
    from tenure.models import fit_workspace

    return fit_workspace(ws, o.model, unit=o.unit, calibration_end=o.calibration_end)


def _score(ws, o: ScoreOptions, progress):
    from tenure.models import score
    from tenure.spark import SparkEngine, score_on_spark

    if isinstance(ws, SparkEngine):  # nothing is saved on Spark: fitted for the date
        return score_on_spark(ws, as_of=o.as_of, out=ws.output, horizon=o.horizon,
                              model=o.model, margin=o.margin, discount_rate=o.discount_rate,
                              progress=progress)
    return score(ws, as_of=o.as_of, horizon=o.horizon, model=o.model, margin=o.margin,
                 discount_rate=o.discount_rate, refit=o.refit, progress=progress)


VALUE_MODELS: tuple[Capability, ...] = (
    Capability("fit", "Fit a customer value model on the orders, save it and print its "
               "table.", FitOptions, _fit, "tenure.models:FitReport",
               "tenure fit --model pnbd --unit W --calibration-end 1997-09-30", writes=True),
    Capability("score", "Score every customer (P(alive), expected purchases and spend, CLV) "
               "into `scores`.", ScoreOptions, _score, "tenure.models:ScoreResult",
               "tenure score --as-of 2025-12-31 --horizon 90d --parquet scores.parquet",
               writes=True, spark=True),
)
