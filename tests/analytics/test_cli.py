"""`tenure analyze ...` in process, on a workspace holding a small simulated business."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from tenure.cli import app
from tenure.workspace import Workspace

runner = CliRunner()
TABLES = ("customers", "products", "orders", "order_lines", "leads", "memberships",
          "owners", "churn_reasons")


@pytest.fixture(scope="module")
def shop(small_business, tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "shop"
    with Workspace.init(path, timezone="Asia/Shanghai") as ws:
        for name in TABLES:
            ws.ingest(name, small_business / f"{name}.parquet")
    return path


@pytest.mark.parametrize("name", ["cohorts", "lifecycle", "growth", "rfm", "loyalty",
                                  "funnel", "referrals", "handover", "churn-reasons"])
def test_every_analysis_prints_writes_and_charts(shop, tmp_path, name):
    csv, out, chart = tmp_path / "out.csv", tmp_path / "out.json", tmp_path / "chart.html"
    result = runner.invoke(app, ["analyze", name, "-w", str(shop), "--period", "quarter",
                                 "--csv", str(csv), "--json", str(out), "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(csv)
    assert len(frame) > 0
    assert len(json.loads(out.read_text(encoding="utf-8"))) == len(frame)
    assert "vega" in chart.read_text(encoding="utf-8").lower()


def test_split_by_tier_and_a_vega_lite_file(shop, tmp_path):
    spec = tmp_path / "cohorts.json"
    result = runner.invoke(app, ["analyze", "cohorts", "-w", str(shop), "--by", "tier",
                                 "--chart", str(spec)])
    assert result.exit_code == 0, result.output
    assert "gold" in result.output and "none" in result.output  # members and non-members
    assert json.loads(spec.read_text())["$schema"].startswith("https://vega.github.io")


def test_bad_input_is_one_line_and_exit_status_2(shop):
    result = runner.invoke(app, ["analyze", "cohorts", "-w", str(shop), "--period", "year"])
    assert result.exit_code == 2
    assert "period 'year' is not supported; use day, week, month or quarter" in result.output
    result = runner.invoke(app, ["analyze", "growth", "-w", str(shop), "--by", "colour"])
    assert result.exit_code == 2
    assert "by='colour' is not a customer attribute" in result.output
    result = runner.invoke(app, ["analyze", "rfm", "-w", str(shop), "--chart", "x.png"])
    assert result.exit_code == 2
    assert "should end in .html or .json" in result.output
