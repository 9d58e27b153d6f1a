"""tenure on Apache Spark: the same relational steps, run by Spark through Ibis.

DuckDB is tenure's default engine and its only hard dependency; Spark comes with the
``tenure[spark]`` extra and is imported only here, on first use. :func:`connect` wraps a
``SparkSession`` the caller already has; :func:`session` starts one set up as tenure needs
(Arrow transfer on, the session's clock in UTC). The :class:`SparkEngine` either returns is
a mapping of contract tables that every analysis accepts in place of a workspace:

>>> import tenure.spark                      # doctest: +SKIP
>>> engine = tenure.spark.connect(spark)     # doctest: +SKIP
>>> engine.read({"orders": "s3a://lake/orders/"})             # doctest: +SKIP
>>> tenure.analytics.cohort_retention(engine, period="month")  # doctest: +SKIP
"""

from tenure.spark._churn import SparkChurnScores, churn_features, score_churn_on_spark
from tenure.spark._engine import SparkEngine, connect, session
from tenure.spark._scores import SparkScores, score_on_spark
from tenure.spark._sources import SourceCount, SourceReport, open_engine, read_tables

__all__ = ["SourceCount", "SourceReport", "SparkChurnScores", "SparkEngine", "SparkScores",
           "churn_features", "connect", "open_engine", "read_tables", "score_churn_on_spark",
           "score_on_spark", "session"]
