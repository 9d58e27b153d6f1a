"""A churn model that would mislead is refused, and scoring says it uses a baseline."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tenure.churn import ChurnModel, model_path, score, train, train_and_save
from tenure.churn._train import TrainingRefused, refusal_path


def _daily_buyers(workspace, customers: int = 300, seed: int = 3) -> None:
    """Customers who all start on 2024-01-01 and buy every day until they quit: everything
    known of a customer at a date follows from the day they quit, and so does the days
    since their last purchase, so no model can rank churners better than recency alone."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    quit_day = rng.integers(30, 400, size=customers)
    rows = [(f"{c}-{day}", f"C{c:04d}", start + pd.Timedelta(days=int(day)), 30.0)
            for c in range(customers) for day in range(quit_day[c] + 1)]
    workspace.ingest("orders", pd.DataFrame(rows, columns=["order_id", "customer_id",
                                                           "ordered_at", "amount"]))


def test_too_few_customers_is_refused_in_one_sentence(tiny):
    # The tiny shop counts one or two customers at a date: far below the 200 required.
    with pytest.raises(TrainingRefused, match=r"churn train needs at least 200 labelled "
                                              r"customers and the snapshots at .* hold \d; add "
                                              r"earlier as-of dates or more data, or lower "
                                              r"churn.min_customers"):
        train(tiny, ["2024-07-01"], "60D")


def test_too_few_churners_is_refused(workspace):
    _daily_buyers(workspace)
    workspace.set_setting("churn.min_churned", "100000")
    with pytest.raises(TrainingRefused, match=r"needs at least 100,000 customers who churned "
                                              r"and as many who stayed, and the snapshots"):
        train(workspace, ["2024-06-01", "2024-07-01"], "60D")


def test_trees_that_never_split_are_refused(workspace):
    _daily_buyers(workspace)
    # No leaf may hold fewer rows than there are: the trees cannot split.
    with pytest.raises(TrainingRefused, match="found no split that tells churners from the "
                                              "others, so it would give every customer the "
                                              "same risk"):
        train(workspace, ["2024-06-01", "2024-07-01"], "60D",
              model=ChurnModel(min_child_samples=10_000))


def test_a_model_no_better_than_recency_is_refused_and_scoring_uses_the_baseline(workspace):
    _daily_buyers(workspace)
    dates = ["2024-05-01", "2024-06-01", "2024-07-01"]
    with pytest.raises(TrainingRefused, match=r"ranks the held-out customers no better than "
                                              r"recency alone \(ROC AUC [\d.]+ against [\d.]+\)"):
        train_and_save(workspace, dates, "60D")
    assert not model_path(workspace).exists()
    record = json.loads(refusal_path(workspace).read_text(encoding="utf-8"))
    assert record["as_of"] == dates and record["definition"]["horizon_days"] == 60

    scores = score(workspace, "2024-09-01")
    lines = scores.lines()
    assert lines[1] == record["reason"]
    assert "by the recency baseline instead" in lines[2]
    frame = scores.frame
    assert scores.model_version == "baseline_recency"
    # Silence is the reason only where it lifts the risk above the usual churn rate: the
    # customers silent for more than a day, all of whom had quit.
    silent = frame["churn_reason_1"].notna()
    assert silent.any() and (~silent).any()
    assert frame.loc[silent, "churn_reason_1"].str.fullmatch(r"no purchase for \d+ days").all()
    assert (frame.loc[silent, "churn_risk"] > frame.loc[~silent, "churn_risk"].max()).all()
    assert frame[["churn_reason_2", "churn_reason_3"]].isna().all().all()
    written = workspace.connection.execute(
        "SELECT DISTINCT churn_model_version FROM scores WHERE as_of = DATE '2024-09-01'"
    ).fetchall()
    assert written == [("baseline_recency",)]


def test_validation_metrics_are_measured_on_rows_not_used_to_calibrate(fitted):
    model, _ = fitted
    metrics = model.validation_metrics_
    # An isotonic map judged on the rows it was fitted on has no calibration error at all;
    # judged on the other half of the rows, it has some.
    assert metrics["calibration_error"] > 0.005
    # The Brier score is the cross-fitted one of the chosen calibration.
    assert metrics["brier"] == pytest.approx(
        model.calibration_scores_[model.calibrator_.method], abs=1e-12)
    assert model.recency_roc_auc_ < metrics["roc_auc"]
    assert model.splits_ > 0
