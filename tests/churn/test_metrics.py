"""Metrics and calibration on small arrays whose answers can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tenure.churn._calibration import choose_calibrator
from tenure.churn._metrics import calibration_curve, score_metrics, top_share
from tenure.errors import ConfigError


def test_top_decile_counts_ties_in_proportion():
    # Ten customers, two churners. The top tenth is one customer, but the two riskiest are
    # tied at 0.9 and one of them churned: half a churner is expected in the top tenth.
    churned = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    risk = np.array([0.9, 0.9, 0.5, 0.4, 0.3, 0.3, 0.2, 0.2, 0.1, 0.1])
    assert top_share(churned, risk) == pytest.approx(0.5)
    metrics = score_metrics(churned, risk)
    assert metrics["top_decile_lift"] == pytest.approx(0.5 / 1 / 0.2)  # rate 0.5, base 0.2
    assert metrics["top_decile_capture"] == pytest.approx(0.25)  # 0.5 of 2 churners


def test_metrics_of_a_perfect_and_a_useless_score():
    churned = np.array([0, 0, 0, 1, 1] * 20)
    perfect = score_metrics(churned, churned * 0.8 + 0.1)
    assert perfect["roc_auc"] == 1.0 and perfect["pr_auc"] == 1.0
    assert perfect["brier"] == pytest.approx(0.01)  # every prediction 0.1 away
    assert perfect["top_decile_lift"] == pytest.approx(1 / 0.4)
    flat = score_metrics(churned, np.full(100, 0.4))
    assert flat["roc_auc"] == 0.5 and flat["top_decile_lift"] == pytest.approx(1.0)
    assert flat["calibration_error"] == pytest.approx(0.0)  # 0.4 predicted, 0.4 observed


def test_calibration_curve_bins():
    curve = calibration_curve([0, 1, 1, 0], [0.05, 0.15, 0.95, 0.99])
    assert curve["bin"].tolist() == [0, 1, 9]
    assert curve["customers"].tolist() == [1, 1, 2]
    assert curve["observed"].tolist() == [0.0, 1.0, 0.5]


def test_calibration_is_chosen_on_held_out_customers():
    rng = np.random.default_rng(3)
    margin = rng.normal(0, 2, 20_000)
    # A logistic truth favours Platt scaling; a step function favours isotonic regression.
    logistic = rng.random(20_000) < 1 / (1 + np.exp(-(1.5 * margin - 0.5)))
    chosen, scores = choose_calibrator(margin, logistic)
    assert chosen.method == "platt" and scores["platt"] < scores["isotonic"]
    assert chosen.parameters["slope"] == pytest.approx(1.5, abs=0.1)
    step = rng.random(20_000) < np.where(margin < 1, 0.2, 0.9)
    chosen, scores = choose_calibrator(margin, step)
    assert chosen.method == "isotonic" and scores["isotonic"] < scores["platt"]
    assert chosen(np.array([-3.0, 3.0])) == pytest.approx([0.2, 0.9], abs=0.03)
    with pytest.raises(ConfigError, match="calibration 'beta' is not known"):
        choose_calibrator(margin, step, "beta")
