"""`tenure score` and `tenure analyze` with --engine spark, in process, without a workspace:
the tables from Parquet, the counts of what was read, the scores written by date."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from tenure.analytics import cohort_retention
from tenure.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"TENURE_WORKSPACE": "", "COLUMNS": "200"})


@pytest.fixture
def lake(small_business, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no workspace encloses it: the settings' defaults apply
    return str(small_business / "orders.parquet")


@pytest.mark.slow
def test_score_on_spark_prints_what_it_read_and_writes_a_partition_in_chinese(
        lake, spark, tmp_path):
    from tenure.i18n import untranslated

    before = set(untranslated())
    out = tmp_path / "scores"
    result = run("--lang", "zh", "score", "--engine", "spark", "--master", "local[2]",
                 "--orders", lake, "--out", str(out), "--as-of", "2025-01-01",
                 "--model", "bgnbd")
    assert result.exit_code == 0, result.output
    assert "读取 7,788 行，有效 7,788 行，隔离 0 行" in result.output  # the orders, all valid
    assert "截至 2025-01-01 的评分" in result.output
    assert sorted(set(untranslated()) - before) == []
    written = pd.read_parquet(out / "as_of=2025-01-01")
    assert written["customer_id"].is_unique and len(written) > 0


def test_analyze_on_spark_gives_the_numbers_duckdb_gives(lake, spark):
    result = run("analyze", "cohorts", "--engine", "spark", "--orders", lake, "--json", "-")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output[result.output.index("{"):])
    duck = cohort_retention(pd.read_parquet(lake), period="month")
    assert printed["headline"] == json.loads(json.dumps(duck.to_dict()["headline"]))


def test_an_unknown_engine_is_one_sentence(lake):
    result = run("analyze", "cohorts", "--engine", "flink", "--orders", lake)
    assert result.exit_code == 2
    assert "use duckdb or spark" in result.output
