"""Churn risk and reasons on Spark: the features as one Spark query, the model applied
partition by partition (``mapInPandas``), the scores written one partition per date.

The model is trained on the driver (on snapshots collected there, as on a workspace); only
the scoring runs over every customer, where they are. Each partition of the features is
scored exactly as :func:`tenure.churn.score` scores the whole snapshot on one machine: the
risk and the strongest reasons from one pass over the trees.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tenure.churn._dates import as_of_date, data_span
from tenure.churn._features import FeatureContext
from tenure.churn._groups import feature_groups
from tenure.churn._model import ChurnModel
from tenure.churn._reasons import sentences, strongest
from tenure.churn._scores import REASONS, _groups_for
from tenure.churn._snapshot import _population
from tenure.engine._backends import drop_kept, keep_table
from tenure.progress import Progress, steps_of
from tenure.results import Result
from tenure.spark._engine import SparkEngine
from tenure.spark._scores import write_partition

__all__ = ["SparkChurnScores", "churn_features", "score_churn_on_spark"]


@dataclass(frozen=True)
class SparkChurnScores(Result):
    """What a churn score on Spark wrote: where, for which date, with which model, how many
    customers and how many at a risk of 50% or more; ``frame`` the riskiest customers."""

    as_of: dt.date
    out: str
    model_version: str
    customers: int
    at_risk_50: int
    mean_risk: float
    frame: pd.DataFrame

    @property
    def headline(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "out": self.out, "customers": self.customers,
                "at_risk_50": self.at_risk_50, "mean_risk": self.mean_risk,
                "model_version": self.model_version}

    def lines(self) -> list[str]:
        return [f"{self.customers:,} customers scored at {self.as_of.isoformat()}: "
                f"{self.at_risk_50:,} with a churn risk of 50% or more",
                f"Wrote {self.customers:,} rows to {self.out} (as_of={self.as_of}) with "
                f"{self.model_version}"]


def churn_features(engine: SparkEngine, as_of: dt.date, model: ChurnModel) -> tuple[Any, str]:
    """The features ``model`` reads for every customer counted at ``as_of``, as one Ibis
    query on Spark (one row per customer, in no order), and the name of the table of the
    customers counted, kept until the caller drops it."""
    ctx = FeatureContext(engine, as_of, model.definition_)
    counted_name = f"tenure_churn_counted_{as_of:%Y%m%d}"
    counted = keep_table(engine.backend, counted_name,
                         _population(ctx).select("customer_id").distinct())
    ctx = dataclasses.replace(ctx, counted=counted)
    table = counted
    wanted = {f.name for f in model.features_}
    for group in feature_groups(_groups_for(model)):
        built = group.build(ctx)
        names = [f.name for f in group.features if f.name in wanted]
        part = built.select("customer_id", *names)
        table = table.left_join(part, "customer_id").select(
            table, *[part[n] for n in names])
    return table.select("customer_id", *[f.name for f in model.features_]), counted_name


def _scorer(model: ChurnModel, currency: str, fills: dict[str, Any]):
    """The function each partition runs: features in, risk and reasons out. The model goes
    to the executors with it (pickled: LightGBM's booster as its text)."""

    def score(batches):
        for frame in batches:
            frame = frame.fillna(fills) if fills else frame
            if not len(frame):
                continue
            which, _, margin = strongest(model, frame, REASONS)
            said = sentences(model, frame, which, currency)
            yield pd.DataFrame({"customer_id": frame["customer_id"],
                                "churn_risk": model.calibrator_(margin),
                                **{f"churn_reason_{i + 1}": said[:, i]
                                   for i in range(REASONS)}})

    return score


def score_churn_on_spark(engine: SparkEngine, model: ChurnModel | str | Path, *,
                         as_of: Any = None, out: str | None = None, top: int = 20,
                         progress: Progress = None) -> SparkChurnScores:
    """Churn risk and the three strongest reasons for every customer counted at ``as_of``
    (the day after the last record by default), computed on Spark partition by partition
    and written under ``out`` (default: the engine's output) as the Parquet partition of
    that date, which scoring it again replaces."""
    from pyspark.sql import functions as F

    if not isinstance(model, ChurnModel):
        model = ChurnModel.load(model)
    model._check_fitted()
    span = data_span(engine)
    day = as_of_date(as_of) if as_of is not None else span.end
    span.check_start(day)
    out = out or engine.output
    step = steps_of(progress)
    step(f"features at {day.isoformat()}")
    features, counted = churn_features(engine, day, model)
    try:
        frame = engine.spark.sql(engine.backend.compile(features))
        fills = {f.name: (f.fill if f.categorical else float(f.fill))
                 for f in model.features_ if f.fill is not None}
        schema = ("customer_id string, churn_risk double, "
                  + ", ".join(f"churn_reason_{i + 1} string" for i in range(REASONS)))
        step("churn risk and reasons")
        scored = frame.mapInPandas(
            _scorer(model, str(engine.config["workspace.currency"]), fills), schema)
        step("writing scores")
        written = write_partition(engine.spark, scored, out, day, {
            "churn_model_version": model.version,
            "churn_horizon_days": model.definition_.horizon_days})
        totals = written.agg(F.count(F.lit(1)).alias("n"),
                             F.sum((F.col("churn_risk") >= 0.5).cast("int")).alias("high"),
                             F.avg("churn_risk").alias("mean")).collect()[0]
        riskiest = (written.orderBy(F.desc("churn_risk"), "customer_id").limit(top)
                    .drop("as_of", "churn_model_version", "churn_horizon_days").toPandas())
    finally:
        drop_kept(engine.backend, counted)
    return SparkChurnScores(day, out, model.version, int(totals["n"]),
                            int(totals["high"] or 0),
                            float(totals["mean"]) if totals["mean"] is not None else np.nan,
                            riskiest)
