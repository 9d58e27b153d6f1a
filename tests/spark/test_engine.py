"""The Spark engine's surface: optional, checked, and the tables it hands out."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tenure.spark
from tenure.errors import ConfigError


def test_importing_tenure_does_not_import_pyspark():
    # DuckDB stays the only engine a plain `import tenure` (or an analysis) loads.
    code = ("import sys, tenure, tenure.analytics, tenure.engine; "
            "print('pyspark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_a_session_without_arrow_is_refused_with_the_setting_to_change(spark):
    key = "spark.sql.execution.arrow.pyspark.enabled"
    spark.conf.set(key, "false")
    try:
        with pytest.raises(ConfigError, match=key):
            tenure.spark.connect(spark)
    finally:
        spark.conf.set(key, "true")


def test_a_table_not_given_is_empty_with_every_contract_column(spark):
    engine = tenure.spark.connect(spark)
    tickets = engine.table("tickets")
    assert "opened_at" in tickets.columns
    assert engine.backend.execute(tickets.count()) == 0
    assert "tickets" not in engine  # the analyses see only the tables given


def test_an_unknown_table_name_is_refused(spark):
    engine = tenure.spark.connect(spark)
    with pytest.raises(ConfigError, match="not a table name"):
        engine.add("order", None)
