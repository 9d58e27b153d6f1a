"""Value scores on Spark: the same scores as a workspace's, written one partition per date."""

from __future__ import annotations

import pytest

from tenure.models import score
from tenure.spark import score_on_spark

from .conftest import assert_same

pytestmark = pytest.mark.slow


def test_scores_equal_the_workspace_scores_and_rewrite_only_their_date(business, spark,
                                                                       tmp_path):
    ws, engine = business
    out = str(tmp_path / "scores")
    duck = score(ws, as_of="2025-01-01", model="bgnbd", refit=True)
    on_spark = score_on_spark(engine, as_of="2025-01-01", out=out, model="bgnbd")
    for key in ("customers", "expected_alive", "expected_purchases", "expected_spend", "clv"):
        assert on_spark.headline[key] == pytest.approx(duck.headline[key], rel=1e-9), key
    assert_same(duck.histories, on_spark.histories, "histories")
    written = spark.read.parquet(out).toPandas()
    columns = ["customer_id", "p_alive", "expected_purchases", "expected_spend", "clv"]
    assert_same(duck.frame[columns].sort_values("customer_id"),
                written[columns].sort_values("customer_id"), "scores")
    # Another date adds its partition; the first date scored again replaces only its own.
    score_on_spark(engine, as_of="2024-07-01", out=out, model="bgnbd")
    score_on_spark(engine, as_of="2025-01-01", out=out, model="bgnbd")
    again = spark.read.parquet(out).groupBy("as_of").count().toPandas()
    counts = {str(d): n for d, n in zip(again["as_of"], again["count"], strict=True)}
    assert counts["2025-01-01"] == duck.customers  # not twice as many
    assert counts["2024-07-01"] > 0


def test_churn_risk_and_reasons_equal_the_workspace_scores(business, spark, tmp_path):
    from tenure.churn import ChurnModel, snapshot
    from tenure.churn import score as churn_score
    from tenure.spark import score_churn_on_spark

    ws, engine = business
    model = ChurnModel(seed=1, n_estimators=40).fit(snapshot(ws, "2024-06-01", "120D"))
    duck = churn_score(ws, "2024-11-01", model, write=False)
    out = str(tmp_path / "churn")
    on_spark = score_churn_on_spark(engine, model, as_of="2024-11-01", out=out)
    assert on_spark.customers == len(duck.frame)
    written = spark.read.parquet(out).toPandas().drop(
        columns=["as_of", "churn_model_version", "churn_horizon_days"])
    columns = ["customer_id", "churn_risk", "churn_reason_1", "churn_reason_2",
               "churn_reason_3"]
    assert_same(duck.frame[columns].sort_values("customer_id"),
                written[columns].sort_values("customer_id"), "churn scores")
