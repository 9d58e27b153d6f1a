"""Every relational step on DuckDB and on Spark, on the same rows: equal results.

Each step runs once on DuckDB (the workspace, or the tables handed in) and once on Spark
(the same rows in a :class:`tenure.spark.SparkEngine`); counts, keys and text must be
equal, sums and scores equal within 1e-9 relative.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import tenure
from tenure.analytics import (
    cohort_retention,
    funnel,
    lifecycle,
    loyalty_ladder,
    net_growth,
    rfm_segments,
)
from tenure.churn import snapshot
from tenure.engine import rfm_expression
from tenure.models._fit_report import compressed
from tenure.results import Result

from .conftest import assert_same

END, CAL = "2025-06-30", "2024-12-31"


def _summary(data, orders):
    return tenure.rfm_summary(orders, observation_end=END, calibration_end=CAL, unit="W")


def _compressed(data, orders):
    expr = rfm_expression(orders, observation_end=END, calibration_end=CAL, unit="W")
    return compressed(expr, ["frequency", "recency", "T", "frequency_holdout",
                             "duration_holdout"])


def _summary_days(data, orders):
    return tenure.rfm_summary(orders, observation_end=END, unit="D")


STEPS = {
    "rfm_summary_split": _summary,
    "rfm_summary_days": _summary_days,
    "compressed_statistics": _compressed,
    "cohort_retention": lambda data, _: cohort_retention(data, period="month"),
    "lifecycle": lambda data, _: lifecycle(data, period="month"),
    "net_growth": lambda data, _: net_growth(data, period="quarter"),
    "rfm_segments": lambda data, _: rfm_segments(data),
    "loyalty_ladder": lambda data, _: loyalty_ladder(data),
    "funnel": lambda data, _: funnel(data, period="quarter"),
    "churn_snapshot": lambda data, _: snapshot(data, "2024-09-01", "120D"),
}
# The slowest on Spark: still run in CI, left out by `-m "not slow"`.
SLOW = {"lifecycle", "net_growth", "churn_snapshot"}


def _tables(result) -> dict[str, pd.DataFrame]:
    """Every table a result holds: its frame and the tables beside it."""
    if isinstance(result, pd.DataFrame):
        return {"frame": result}
    tables = {"frame": result.frame}
    if isinstance(result, Result):
        tables.update(result.extra_tables())
    return tables


def _compare(duck, spark) -> None:
    a, b = _tables(duck), _tables(spark)
    assert a.keys() == b.keys()
    for name in a:
        assert_same(a[name], b[name], name)
    if isinstance(duck, Result):
        for key, value in duck.headline.items():
            other = spark.headline[key]
            if isinstance(value, float):
                assert other == pytest.approx(value, rel=1e-9, nan_ok=True), key
            else:
                assert other == value, key
    if dataclasses.is_dataclass(duck) and hasattr(duck, "labelled"):  # a churn snapshot
        assert duck.feature_names == spark.feature_names


@pytest.mark.parametrize("step", [pytest.param(s, marks=pytest.mark.slow) if s in SLOW else s
                                  for s in STEPS])
def test_business_on_both_engines(business, step):
    ws, engine = business
    run = STEPS[step]
    _compare(run(ws, ws), run(engine, engine.table("orders")))
