"""`tenure analyze ...` in process, on a workspace holding a small simulated business: what
it prints and writes is what the library returns."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import tenure.analytics as analytics
from json_helpers import assert_same_json, named_datasets_in_order
from tenure.cli import app
from tenure.workspace import Workspace

runner = CliRunner()
TABLES = ("customers", "products", "orders", "order_lines", "leads", "memberships",
          "owners", "churn_reasons")
FUNCTIONS = {"cohorts": analytics.cohort_retention, "lifecycle": analytics.lifecycle,
             "growth": analytics.net_growth, "rfm": analytics.rfm_segments,
             "loyalty": analytics.loyalty_ladder, "funnel": analytics.funnel,
             "referrals": analytics.referral_reach, "handover": analytics.handover_impact,
             "churn-reasons": analytics.churn_reasons}


def run(*args: str):
    return runner.invoke(app, list(args), env={"TENURE_WORKSPACE": "", "COLUMNS": "200"})


@pytest.fixture(scope="module")
def shop(small_business, tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "shop"
    with Workspace.init(path, timezone="Asia/Shanghai") as ws:
        for name in TABLES:
            ws.ingest(name, small_business / f"{name}.parquet")
    return path


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_analysis_prints_and_writes_what_the_library_returns(shop, tmp_path, name):
    csv, out, chart = tmp_path / "out.csv", tmp_path / "out.json", tmp_path / "chart.json"
    result = run("analyze", name, "-w", str(shop), "--period", "quarter", "--csv", str(csv),
                 "--json", str(out), "--chart", str(chart))
    assert result.exit_code == 0, result.output
    with Workspace(shop) as ws:
        expected = FUNCTIONS[name](ws, period="quarter")
    # The sentences the library writes are printed as they are.
    for line in expected.lines():
        assert line in result.output.replace("\n", " ") or line in result.output
    # The CSV is the frame (a BOM first, so that Excel reads Chinese text).
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    written = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(written.columns) == [str(c) for c in expected.frame.columns]
    assert len(written) == len(expected.frame)
    numbers = expected.frame.select_dtypes("number").columns
    pd.testing.assert_frame_equal(written[numbers].reset_index(drop=True),
                                  expected.frame[numbers].reset_index(drop=True),
                                  check_dtype=False)
    # The JSON is the whole result, headline included.
    data = json.loads(out.read_text(encoding="utf-8"))
    assert_same_json(data, json.loads(json.dumps(expected.to_dict())))
    assert data["kind"] == type(expected).__name__
    # The chart is the result's own, data included.
    spec = json.loads(chart.read_text(encoding="utf-8"))
    assert_same_json(named_datasets_in_order(spec),
                     named_datasets_in_order(json.loads(expected.chart().to_json())))


def test_the_cohort_heatmap_encodes_the_retention_of_each_cohort(shop, tmp_path):
    chart = tmp_path / "cohorts.json"
    assert run("analyze", "cohorts", "-w", str(shop), "--period", "quarter", "--chart",
               str(chart)).exit_code == 0
    spec = json.loads(chart.read_text())
    assert spec["mark"]["type"] == "rect"
    encoding = spec["encoding"]
    assert (encoding["x"]["field"], encoding["y"]["field"]) == ("age", "cohort")
    assert encoding["color"]["field"] == "retention"
    rows = next(iter(spec["datasets"].values()))
    with Workspace(shop) as ws:
        frame = analytics.cohort_retention(ws, period="quarter").frame
    by_cell = {(r["cohort"], r["age"]): r["retention"] for r in rows}
    for row in frame.itertuples():
        assert by_cell[(row.cohort.strftime("%Y-%m-%d"), row.age)] == pytest.approx(
            row.retention, nan_ok=True)


def test_split_by_tier_prints_members_and_non_members(shop):
    result = run("analyze", "cohorts", "-w", str(shop), "--by", "tier")
    assert result.exit_code == 0, result.output
    with Workspace(shop) as ws:
        tiers = set(analytics.cohort_retention(ws, by="tier").frame["tier"])
    assert tiers == {"gold", "silver", "none"}  # members of both tiers and non-members
    assert all(tier in result.output for tier in tiers)


def test_json_to_standard_output_is_all_that_is_printed(shop):
    result = run("analyze", "growth", "-w", str(shop), "--json", "-")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    with Workspace(shop) as ws:
        headline = analytics.net_growth(ws).headline
    assert data["headline"]["lost"] == headline["lost"]
    assert data["headline"]["net_change"] == headline["net_change"]


def test_bad_input_is_one_line_and_exit_status_2(shop):
    cases = [
        (["cohorts", "--period", "year"],
         "analyze cohorts: period 'year' is not supported; use day, week, month or quarter"),
        (["growth", "--by", "colour"], "by='colour' is not a customer attribute"),
        (["rfm", "--chart", "x.gif"], "should end in .html, .json, .png or .svg"),
        (["cohorts", "--start", "last week"], "start 'last week' should be a date"),
    ]
    for args, message in cases:
        result = run("analyze", *args, "-w", str(shop))
        assert result.exit_code == 2, args
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.output
        assert message in result.output, result.output
