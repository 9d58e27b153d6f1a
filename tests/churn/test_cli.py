"""`tenure churn` run in process with Typer's runner, on the CDNOW sample."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tenure.cli import app
from tenure.datasets import load_cdnow
from tenure.workspace import Workspace

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"TENURE_WORKSPACE": "", "COLUMNS": "200"})


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("cli") / "cdnow"
    with Workspace.init(path) as ws:
        ws.ingest("orders", load_cdnow(kind="sample"))
    return str(path)


def test_every_churn_command_explains_itself_with_an_example():
    result = run("churn", "--help")
    assert result.exit_code == 0
    for command in ("train", "backtest", "score", "survival"):
        assert command in result.output
        page = run("churn", command, "--help")
        assert page.exit_code == 0 and "Example:" in page.output, command


@pytest.mark.slow
def test_train_score_and_backtest(shop, tmp_path):
    trained = tmp_path / "train.json"
    result = run("churn", "train", "--horizon", "26W", "--json", str(trained), "-w", shop)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("churn (non-contractual): no purchase in the 182 days")
    data = json.loads(trained.read_text(encoding="utf-8"))["model"]
    assert data["training_window"]["as_of"] == ["1997-10-02", "1997-11-01", "1997-12-01",
                                                "1997-12-31"]
    assert data["definition"]["horizon_days"] == 182 and "booster" not in data
    assert {"roc_auc", "brier"} <= set(data["validation_metrics"])
    drivers = json.loads(trained.read_text(encoding="utf-8"))["key_drivers"]
    assert drivers[0]["feature"] and drivers[0]["mean_abs_contribution"] > 0

    scored = tmp_path / "score.json"
    result = run("churn", "score", "--as-of", "1998-07-01", "--json", str(scored), "-w", shop)
    assert result.exit_code == 0, result.output
    scores = json.loads(scored.read_text(encoding="utf-8"))
    with Workspace(shop) as ws:
        stored = ws.connection.execute(
            "SELECT count(*) FROM scores WHERE as_of = DATE '1998-07-01' "
            "AND churn_risk IS NOT NULL").fetchall()[0][0]
    assert stored == scores["headline"]["customers"] == len(scores["frame"]) > 0
    assert scores["headline"]["model_version"] == data["version"]
    risks = [row["churn_risk"] for row in scores["frame"]]
    assert risks == sorted(risks, reverse=True)  # riskiest first
    result = run("churn", "score", "--reasons-method", "exact", "-w", shop)
    assert result.exit_code == 2
    assert "reasons_method 'exact' is not supported; use path or shap" in result.output
    result = run("churn", "score", "--horizon", "13W", "-w", shop)
    assert result.exit_code == 2
    assert "the model predicts churn within 182 days, not 13W" in result.output

    tested = tmp_path / "backtest.json"
    result = run("churn", "backtest", "--horizon", "26W", "--as-of",
                 "1997-05-01,1997-06-01", "--as-of", "1997-12-30", "--json", str(tested),
                 "-w", shop)
    assert result.exit_code == 0, result.output
    assert "churn_model margin over each baseline" in result.output
    report = json.loads(tested.read_text(encoding="utf-8"))
    assert {m["scorer"] for m in report["metrics"]} == {"churn_model", "baseline_recency",
                                                         "baseline_p_alive"}
    assert report["margins"][0]["baseline"] == "baseline_recency"


def test_bad_configuration_is_one_line(shop):
    result = run("churn", "backtest", "--horizon", "60W", "-w", shop)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "shorter than two horizons of 420 days" in result.output
    result = run("churn", "score", "-w", shop, "--model", "/nonexistent/churn.json")
    assert result.exit_code == 2 and "there is no churn model at" in result.output
