"""The rolling-origin backtest: folds without leakage, and the model beating the baselines on
the simulator and on CDNOW, with the margins shown."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tenure.churn import SCORERS, backtest, simulated_truth
from tenure.churn._backtest import plan_folds
from tenure.errors import ConfigError

D = dt.date


def test_folds_learn_only_from_labels_known_at_the_test_date():
    dates = [D(2024, 1, 1), D(2024, 2, 1), D(2024, 4, 1), D(2024, 5, 1)]
    # With 60-day labels: Jan 1 + 60 = Mar 1, Feb 1 + 60 = Apr 1, Apr 1 + 60 = May 31.
    assert plan_folds(dates, 60) == [
        (D(2024, 4, 1), [D(2024, 1, 1), D(2024, 2, 1)]),
        (D(2024, 5, 1), [D(2024, 1, 1), D(2024, 2, 1)]),
    ]
    assert plan_folds(dates, 200) == []


def test_dates_too_close_for_any_fold(tiny):
    with pytest.raises(ConfigError, match=r"no as-of date comes 90 days .* add an as-of date on "
                                          r"or before 2024-05-02"):
        backtest(tiny, ["2024-06-01", "2024-07-31"], "90D")


def test_unknown_scorer(tiny):
    with pytest.raises(ConfigError, match="there is no scorer 'baseline_magic'; the scorers "
                                          "are: churn_model, baseline_recency, "
                                          "baseline_p_alive"):
        backtest(tiny, ["2024-03-01", "2024-07-01"], "90D", scorers=["baseline_magic"])


SIM_DATES = ["2024-01-01", "2024-03-01", "2024-05-01", "2024-07-01", "2025-01-01", "2025-07-01"]


@pytest.mark.slow
def test_the_model_beats_recency_on_the_simulator(sim20k):
    ws, latent = sim20k
    result = backtest(ws, SIM_DATES)
    assert "learned" in result.definition.source
    assert result.folds["as_of"].dt.date.astype(str).tolist() == [
        "2024-07-01", "2025-01-01", "2025-07-01"]
    assert result.folds["training_as_of"].iloc[0] == "2024-01-01"  # 175-day labels
    margins = result.margins()
    assert set(margins["baseline"]) == {"baseline_recency", "baseline_p_alive"}
    # Every fold, against both baselines: at least 0.05 of ROC AUC, and a lower Brier score.
    assert (margins["roc_auc"] > 0.05).all(), margins
    assert (margins["pr_auc"] > 0.03).all(), margins
    assert (margins["brier"] > 0.01).all(), margins
    assert (margins["top_decile_lift"] > 0).all(), margins
    model = result.metrics[result.metrics["scorer"] == "churn_model"]
    assert (model["calibration_error"] < 0.05).all()
    text = result.summary()
    assert result.definition.describe() in text and "margin" in text

    # Against the latent truth (dead before as-of + horizon): the ranking is far above
    # chance, and the model's probabilities overstate death, because a customer still alive
    # who buys too rarely to buy within the horizon counts as churned.
    truth = simulated_truth(latent, SIM_DATES, result.definition.horizon_days)
    checked = result.against(truth, "latent death")
    mine = checked.metrics[checked.metrics["scorer"] == "churn_model"]
    assert (mine["roc_auc"] > 0.55).all(), mine
    assert (mine["churn_rate"] < model["churn_rate"].to_numpy()).all()
    assert checked.label == "latent death" and "latent death" in checked.summary()


@pytest.mark.slow
def test_the_model_beats_recency_on_cdnow(cdnow_workspace):
    dates = ["1997-04-01", "1997-05-01", "1997-06-01", "1997-07-01", "1997-12-30"]
    result = backtest(cdnow_workspace, dates, "26W")
    assert result.definition.horizon_days == 182
    assert len(result.folds) == 1 and result.folds["training_rows"].iloc[0] == 4 * 23_500
    margins = result.margins().set_index("baseline")
    assert list(margins.index) == ["baseline_recency", "baseline_p_alive"]
    assert (margins["roc_auc"] > 0.05).all(), margins
    assert (margins["pr_auc"] > 0.04).all(), margins
    assert (margins["brier"] > 0.03).all(), margins
    assert (margins["top_decile_lift"] > 0.05).all(), margins
    # The baselines themselves: the BG/NBD P(alive) ranks better than chance.
    p_alive = result.metrics.set_index("scorer").loc["baseline_p_alive"]
    assert 0.6 < p_alive["roc_auc"] < 0.66, p_alive


def test_against_needs_a_label_for_every_scored_customer(sim_workspace):
    result = backtest(sim_workspace, ["2024-03-01", "2024-09-01"], "120D",
                      scorers=["baseline_recency"])
    assert result.metrics["scorer"].tolist() == ["baseline_recency"]
    assert result.margins("baseline_recency").empty
    with pytest.raises(ConfigError, match=r"has no row for .* scored customers, such as"):
        result.against(pd.DataFrame({"customer_id": ["x"], "as_of": ["2024-09-01"],
                                     "churned": [True]}))
    assert list(SCORERS) == ["churn_model", "baseline_recency", "baseline_p_alive"]


def test_the_backtest_tells_its_progress_step_by_step(sim_workspace):
    events = []
    backtest(sim_workspace, ["2024-03-01", "2024-09-01"], "120D",
             scorers=["baseline_recency"], progress=events.append)
    # Two snapshots, then one fold (trained at 2024-03-01, tested at 2024-09-01) of one
    # scorer: three steps, each announced with the total, so a bar can fill.
    shown = [(e.step, e.steps, e.description) for e in events if e.fraction is None]
    assert shown == [(1, 3, "snapshot at 2024-03-01"), (2, 3, "snapshot at 2024-09-01"),
                     (3, 3, "fold 1: baseline_recency")]
