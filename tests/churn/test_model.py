"""The churn model: fitting, predicting, explaining, saving, and its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tenure.churn import ChurnModel, snapshot
from tenure.churn._reasons import arguing
from tenure.errors import ConfigError, ModelError, NotFittedError


def test_fit_records_what_it_learned_from(fitted):
    model, training = fitted
    window = model.training_window_
    assert [d.isoformat() for d in window.as_of] == ["2024-06-01", "2024-09-01"]
    assert window.labels_until.isoformat() == "2024-12-30"  # 2024-09-01 + 120 days
    assert window.rows == sum(len(s) for s in training)
    assert model.definition_.horizon_days == 120
    assert model.calibrator_.method == min(model.calibration_scores_,
                                           key=model.calibration_scores_.get)
    assert set(model.validation_metrics_) >= {"roc_auc", "pr_auc", "brier", "top_decile_lift"}
    assert model.validation_metrics_["roc_auc"] > 0.6
    assert "fitted" in repr(model)


def test_predictions_are_probabilities_and_reproducible(fitted, later):
    model, training = fitted
    risk = model.predict_proba(later)
    assert risk.shape == (len(later),)
    assert 0 <= risk.min() < risk.max() <= 1
    again = ChurnModel(seed=1).fit(training).predict_proba(later)
    np.testing.assert_array_equal(risk, again)


@pytest.mark.parametrize("method", ["path", "shap"])
def test_contributions_add_up_to_the_score(fitted, later, method):
    model, _ = fitted
    X = model._matrix(later.frame)
    # The trees split on categories, and the customers miss values where they go.
    split = {node["split_feature"] for node in _internal_nodes(model)}
    categorical = {i for i, f in enumerate(model.features_) if f.categorical}
    assert split & categorical
    assert X.iloc[:, sorted(split)].isna().any().sum() >= 3
    contributions = model.contributions(later, method=method)
    margin = model.booster_.predict(X, raw_score=True, num_iteration=model.best_iteration_)
    np.testing.assert_allclose(contributions.sum(axis=1), margin, rtol=0, atol=1e-9)
    # Both start from the trees' expected output over the training rows.
    shap_bias = model.contributions(later.frame.head(1), method="shap")["bias"].iloc[0]
    np.testing.assert_allclose(contributions["bias"], shap_bias, rtol=0, atol=1e-12)


def _internal_nodes(model):
    trees = model.booster_.dump_model(num_iteration=model.best_iteration_)["tree_info"]
    stack = [tree["tree_structure"] for tree in trees]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            yield node
            stack += [node["left_child"], node["right_child"]]


@pytest.mark.parametrize("method", ["path", "shap"])
def test_reasons_are_the_strongest_positive_contributions(fitted, later, method):
    model, _ = fitted
    reasons = model.explain(later, method=method)
    frame = reasons.frame
    assert set(frame["rank"]) <= {1, 2, 3}
    assert (frame["contribution"] > 0).all()
    contributions = model.contributions(later, method).set_index(later.frame["customer_id"])
    # Only features whose sentence agrees with the customer's values may be reasons.
    agrees = pd.DataFrame(arguing(model, later.frame), index=contributions.index,
                          columns=contributions.columns[:-1])
    for customer, rows in list(frame.groupby("customer_id"))[:50]:
        own = contributions.loc[customer].drop("bias")
        own = own[agrees.loc[customer]]
        expected = own[own > 0].sort_values(ascending=False, kind="stable").index[:3]
        assert rows.sort_values("rank")["feature"].tolist() == list(expected)
        np.testing.assert_array_equal(rows.sort_values("rank")["contribution"],
                                      own[expected])
    wide = reasons.wide()
    assert list(wide.columns) == ["customer_id", "reason_1", "reason_2", "reason_3"]
    assert wide["reason_1"].notna().mean() > 0.9


def test_no_reason_argues_the_other_way(fitted, later):
    model, _ = fitted
    reasons = model.explain(later).frame.merge(later.frame, on="customer_id")
    by = {name: reasons[reasons["feature"] == name] for name in reasons["feature"].unique()}
    # A silence shorter than the customer's usual gap is not a reason to leave...
    silence = by["days_since_last_purchase"]
    assert len(silence) and not (silence["recency_ratio"] <= 1).any()
    # ...nor is buying more often (or spending more) than before, nor a good support score.
    for name, rows in by.items():
        if name.startswith(("frequency_trend", "spend_trend")):
            assert (rows[name] < 1).all(), name
    assert not (by.get("worst_csat_90d", reasons.head(0))["worst_csat_90d"] >= 4).any()
    # Low amounts read in the workspace currency, as "only" amounts.
    spend = reasons[reasons["feature"].str.startswith("spend_")
                    & ~reasons["feature"].str.contains("trend")]
    assert len(spend) and spend["reason"].str.match(r"only ¥[\d,]+ spent in the last").all()
    # Each reason's own value sits on the risky side of the training median.
    for name, rows in by.items():
        feature = next(f for f in model.features_ if f.name == name)
        if feature.risk and feature.neutral is None:
            known = rows[name].notna()
            middle = model.typical_[name]
            side = rows.loc[known, name] > middle if feature.risk == "high" \
                else rows.loc[known, name] < middle
            assert side.all(), name


def test_an_argument_check_on_a_hand_made_frame():
    from tenure.churn._purchases import FEATURES

    silence = next(f for f in FEATURES if f.name == "days_since_last_purchase")
    frame = pd.DataFrame({"days_since_last_purchase": [118.0, 200.0, 30.0, 150.0],
                          "recency_ratio": [0.1, 3.1, 2.0, np.nan]})
    # 118 days at 0.1x the usual gap: not overdue; 200 days at 3.1x: a reason; 30 days is
    # below the median of 100; 150 days with no second purchase: the fallback, a reason.
    assert silence.argues(frame, {"days_since_last_purchase": 100.0}).tolist() == [
        False, True, False, True]


def test_a_ratio_that_reads_as_one_is_no_decline():
    from tenure.churn._purchases import FEATURES

    trend = next(f for f in FEATURES if f.name == "frequency_trend_90d")
    frame = pd.DataFrame({"frequency_trend_90d": [0.97, 0.94, 1.2, 0.5]})
    # 0.97 reads "buying 1.0x as often as before": no decline, so no reason; 0.94 reads 0.9x.
    assert trend.argues(frame, {}).tolist() == [False, True, False, True]
    assert trend.sentence({"frequency_trend_90d": 0.94}) == (
        "buying 0.9x as often in the last 90 days as before")


def test_save_and_load_give_the_same_model(fitted, later, tmp_path):
    model, _ = fitted
    path = model.save(tmp_path / "churn.json")
    loaded = ChurnModel.load(path)
    np.testing.assert_allclose(loaded.predict_proba(later), model.predict_proba(later))
    assert loaded.version == model.version
    assert loaded.training_window_ == model.training_window_
    assert loaded.definition_ == model.definition_
    assert loaded.features_ == model.features_
    assert loaded.validation_metrics_ == model.validation_metrics_
    pd.testing.assert_frame_equal(loaded.explain(later).frame, model.explain(later).frame)


def test_errors_say_what_to_do(tmp_path, later):
    with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
        ChurnModel().predict_proba(later)
    with pytest.raises(ModelError, match="there is no churn model at"):
        ChurnModel.load(tmp_path / "missing.json")
    (tmp_path / "other.json").write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(ModelError, match="is not a tenure churn model"):
        ChurnModel.load(tmp_path / "other.json")
    with pytest.raises(ConfigError, match="calibration 'sigmoid' is not known"):
        ChurnModel(calibration="sigmoid").fit(later)
    with pytest.raises(ModelError, match="has no column for features days_since_last_purchase"):
        ChurnModel().fit(later).predict_proba(later.frame.drop(
            columns="days_since_last_purchase"))


def _steady_buyers(workspace, customers: int = 40) -> None:
    """Customers who each buy every 10 days through 2024."""
    start = pd.Timestamp("2024-01-01")
    rows = [(f"{c}-{k}", f"C{c:02d}", start + pd.Timedelta(days=10 * k + c % 5), 20.0)
            for c in range(customers) for k in range(36)]
    workspace.ingest("orders", pd.DataFrame(rows, columns=["order_id", "customer_id",
                                                           "ordered_at", "amount"]))


def test_no_churned_customers_is_a_clear_error(workspace):
    _steady_buyers(workspace)
    snap = snapshot(workspace, "2024-06-01", "30D")  # everyone buys again within 30 days
    assert not snap.frame["churned"].any()
    with pytest.raises(ModelError, match=r"hold no churned customers \(all 40 stayed within 30 "
                                         r"days\); use a longer horizon or other as-of dates"):
        ChurnModel().fit(snap)


def test_a_single_class_of_churners_is_a_clear_error(workspace):
    _steady_buyers(workspace)
    # Their last purchases are from 2024-12-16 to 2024-12-20; a newcomer in March 2025 makes
    # the data long enough for a 30-day window from 2024-12-21, in which nobody buys.
    workspace.ingest("orders", pd.DataFrame({
        "order_id": ["late"], "customer_id": ["NEW"],
        "ordered_at": [pd.Timestamp("2025-03-01")], "amount": [5.0]}))
    snap = snapshot(workspace, "2024-12-21", "30D")
    assert len(snap) == 40 and snap.frame["churned"].all()
    with pytest.raises(ModelError, match=r"every one of the 40 customers .* churned within 30 "
                                         r"days, so there is nothing to tell apart"):
        ChurnModel().fit(snap)


def test_an_unseen_category_is_treated_as_missing(fitted, later):
    model, _ = fitted
    frame = later.frame.copy()
    frame["segment"] = pd.Categorical(["martian"] * len(frame))
    matrix = model._matrix(frame)
    assert matrix["segment"].isna().all()
    assert list(matrix["segment"].cat.categories) == model.categories_["segment"]
    risk = model.predict_proba(frame)
    assert np.isfinite(risk).all()


def test_prediction_array_reads_as_lightgbm_reads_the_frame(fitted, later):
    # The array the predictions use gives exactly what LightGBM makes of the training-style
    # frame, categories (and one never seen in training) included.
    model, _ = fitted
    frame = later.frame.copy()
    categorical = [f.name for f in model.features_ if f.categorical]
    assert categorical
    frame[categorical[0]] = frame[categorical[0]].astype(object)
    frame.loc[frame.index[0], categorical[0]] = "a value never seen in training"
    by_frame = model.booster_.predict(model._matrix(frame), raw_score=True,
                                      num_iteration=model.best_iteration_)
    by_array = model.booster_.predict(model._array(frame), raw_score=True,
                                      num_iteration=model.best_iteration_)
    np.testing.assert_array_equal(by_array, by_frame)
