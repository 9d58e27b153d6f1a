"""Value scores on Spark: the summary in Spark, the fit on the driver, the scores joined
back in Spark and written as Parquet, one partition per as-of date.

Only the statistics the models need reach the driver: the distinct (frequency, recency, T)
with how many customers share each (for the purchase model), and the (frequency, mean spend)
of each repeat buyer (for Gamma-Gamma: 16 bytes a buyer). The predictions are made once per
distinct history and sent back to join the customers where they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import warnings
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from tenure.engine._backends import drop_kept, keep_table
from tenure.engine._rfm import rfm_expression, to_date
from tenure.errors import ConfigError, ModelError
from tenure.models import GammaGamma
from tenure.models._base import ModelWarning
from tenure.models._evaluation import check_forecasts
from tenure.models._scores import (
    PREDICTIONS,
    UNIT_DAYS,
    ScoreResult,
    _transaction_model,
    customer_scores,
    parse_horizon,
)
from tenure.progress import Progress, steps_of
from tenure.spark._engine import SparkEngine

__all__ = ["SparkScores", "score_on_spark", "write_partition"]

KEYS = ["frequency", "recency", "T"]


@dataclass(frozen=True)
class SparkScores(ScoreResult):
    """What a score on Spark wrote, as :class:`tenure.models.ScoreResult` says, and where
    (``out``). ``frame`` holds the top customers by CLV only (every customer's scores are in
    ``out``); ``histories`` and ``spends`` are the compressed statistics the models were
    fitted on: what was collected to the driver."""

    out: str = ""
    spends: pd.DataFrame | None = None

    @property
    def headline(self) -> dict[str, Any]:
        return {**super().headline, "out": self.out,
                "distinct_spends": 0 if self.spends is None else len(self.spends)}

    def lines(self) -> list[str]:
        spends = 0 if self.spends is None else len(self.spends)
        return [*super().lines()[:-1],
                f"Fitted on {len(self.histories):,} distinct histories and {spends:,} "
                "distinct spends collected to the driver",
                f"Wrote {self.customers:,} rows to {self.out} (as_of={self.as_of}) with "
                f"{self.model_version} and {self.spend_model_version}"]

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {**super().extra_tables(),
                **({} if self.spends is None else {"spends": self.spends})}


def _version(model: Any, day: dt.date) -> str:
    """A model's version: its name, window and a digest of its parameters, so that the
    same fit is the same version on any machine."""
    params = json.dumps({k: float(v) for k, v in model.params_.items()}, sort_keys=True)
    return f"{model.name}-{day.isoformat()}-{hashlib.sha1(params.encode()).hexdigest()[:8]}"


def score_on_spark(engine: SparkEngine, *, as_of: Any, out: str, horizon: str | int = "90d",
                   model: str = "bgnbd", discount_rate: float = 0.0, margin: float = 1.0,
                   top: int = 20, progress: Progress = None) -> SparkScores:
    """Score every customer of ``engine``'s orders as of ``as_of`` and write the scores
    under ``out`` as Parquet partitioned by ``as_of``; scoring a date again replaces that
    partition only. The models are those of :func:`tenure.models.score` (``model`` a
    continuous-time purchase model, Gamma-Gamma for spend), fitted on the orders before
    ``as_of``."""
    step = steps_of(progress)
    if model == "last":
        model = "bgnbd"  # nothing is saved on Spark: fitted for this date
    cls = _transaction_model(model)
    if cls.name == "bgbb":
        raise ConfigError("scores use a continuous-time model; use bgnbd, pnbd, mbgnbd or "
                          "ggomnbd")
    day = to_date(as_of, "as_of")
    days = parse_horizon(horizon)
    if not 0 <= margin <= 1 or discount_rate < 0:
        raise ConfigError(f"margin={margin} must be between 0 and 1 and "
                          f"discount_rate={discount_rate} 0 or more")
    backend = engine.backend
    step("summarising")
    expr = rfm_expression(engine.table("orders"), observation_end=day, unit="D",
                          last_day=day - dt.timedelta(days=1))
    name = f"tenure_summary_{day:%Y%m%d}"
    # Kept once: the statistics collected and the customers scored are the same rows.
    summary = keep_table(backend, name, expr)
    try:
        counts = backend.to_pyarrow(summary.group_by(KEYS).aggregate(weights=summary.count())
                                    .order_by(KEYS)).to_pandas()
        if not len(counts):
            raise ModelError(f"no customer bought before {day}; choose a later --as-of")
        # One row per repeat buyer, in the order the workspace's score fits them: mean
        # spends are nearly all distinct, so grouping them would save little, and the same
        # rows in the same order give the same fit to the last bit.
        buyers = summary.filter(summary.frequency > 0)
        spends = backend.to_pyarrow(
            buyers.select("frequency", "monetary_value", weights=ibis.literal(1.0))
            .order_by(["frequency", "monetary_value"])).to_pandas()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModelWarning)
            step(f"fitting {cls.title}")
            purchases = cls().fit(counts)
            check_forecasts(purchases, counts)
            step(f"fitting {GammaGamma.title}")
            spend = GammaGamma().fit(spends)
        step("scoring")
        steps = max(1, round(days / 30))
        rate = (1 + discount_rate) ** (days / steps / 30) - 1
        query, distinct = customer_scores(summary, purchases, spend,
                                          horizon=days / UNIT_DAYS["D"], steps=steps,
                                          discount_rate=rate, margin=margin, histories=counts)
        if not np.all(np.isfinite(distinct[["p_alive", "expected_purchases",
                                            "discounted_purchases"]].to_numpy())):
            raise ModelError("some scores are not finite; the fitted model may sit on a "
                             "boundary: fit it on a workspace to see its diagnostics")
        version, spend_version = _version(purchases, day), _version(spend, day)
        scores = query.select(
            "customer_id", "p_alive", "expected_purchases",
            expected_spend=query.expected_purchases * query.spend_per_purchase,
            clv=query.clv)
        step("writing scores")
        frame = engine.spark.sql(backend.compile(scores))
        written = write_partition(engine.spark, frame, out, day, {
            "model": purchases.name, "model_version": version, "horizon_days": days})
        totals = written.agg({"p_alive": "sum", "expected_purchases": "sum",
                              "expected_spend": "sum", "clv": "sum", "*": "count"}).collect()[0]
        top_rows = written.orderBy(written.clv.desc(), written.customer_id).limit(top)
        preview = top_rows.select("customer_id", "p_alive", "expected_purchases",
                                  "expected_spend", "clv").toPandas()
    finally:
        drop_kept(backend, name)
        drop_kept(backend, PREDICTIONS)
    notes = purchases.cautions() + spend.cautions()
    return SparkScores(day, days, int(totals["count(1)"]), version, spend_version,
                       float(totals["sum(p_alive)"]), float(totals["sum(expected_purchases)"]),
                       float(totals["sum(expected_spend)"]), float(totals["sum(clv)"]),
                       preview, distinct, tuple(notes), out=out, spends=spends)


def write_partition(spark: Any, frame: Any, out: str, day: dt.date,
                    constants: dict[str, Any]) -> Any:
    """Write ``frame`` (with ``constants`` as columns) under ``out`` as the Parquet
    partition ``as_of=day``, replacing that partition only; return the partition as
    written, read back."""
    from pyspark.sql import functions as F

    for key, value in constants.items():
        frame = frame.withColumn(key, F.lit(value))
    frame = frame.withColumn("as_of", F.lit(day))
    (frame.write.mode("overwrite").option("partitionOverwriteMode", "dynamic")
     .partitionBy("as_of").parquet(out))
    return spark.read.parquet(out).filter(F.col("as_of") == F.lit(day))
