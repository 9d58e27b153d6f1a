"""Reasons: path attributions read from the trees, their agreement with tree SHAP, and the
sentences written in bulk."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from tenure.churn import ChurnModel, score
from tenure.churn._paths import TreePaths
from tenure.churn._reasons import sentences
from tenure.errors import ConfigError


def test_path_attributions_of_a_hand_built_tree():
    # One regression tree at learning rate 1: each node's value is the mean target of the
    # training rows in it. x <= 2 sends the four rows of 0 left (a leaf of 0); on the right
    # (mean 12) c == "a" gives a leaf of 10 and c == "b" one of 14. The root's mean is 8.
    X = pd.DataFrame({"x": [1.0] * 4 + [3.0] * 8,
                      "c": pd.Categorical(["a", "b"] * 2 + ["a"] * 4 + ["b"] * 4)})
    y = np.array([0.0] * 4 + [10.0] * 4 + [14.0] * 4)
    params = {"objective": "regression", "learning_rate": 1.0, "num_leaves": 3,
              "min_data_in_leaf": 1, "min_data_in_bin": 1, "min_data_per_group": 1,
              "cat_l2": 0.0, "cat_smooth": 0.0, "verbosity": -1}
    booster = lgb.train(params, lgb.Dataset(X, y, categorical_feature=["c"]),
                        num_boost_round=1)
    paths = TreePaths.from_booster(booster, 1)
    assert paths.bias == 8
    rows = pd.DataFrame({"x": [1.0, 3.0, 3.0, np.nan, 3.0],
                         "c": pd.Categorical(["b", "a", "b", "a", None], categories=["a", "b"])})
    leaves = booster.predict(rows, pred_leaf=True)
    np.testing.assert_array_equal(paths.contributions(leaves), [
        [-8, 0],  # left at the root: 8 -> 0, all on x
        [4, -2],  # right (8 -> 12, x), then "a" (12 -> 10, c)
        [4, 2],   # right, then "b" (12 -> 14, c)
        [-8, 0],  # LightGBM reads a missing x as 0 here, so left
        [4, 2],   # a missing category is not "a", so right
    ])
    which, amount, margin = paths.top(leaves, 2)
    np.testing.assert_array_equal(which, [[-1, -1], [0, -1], [0, 1], [-1, -1], [0, 1]])
    np.testing.assert_array_equal(amount, [[0, 0], [4, 0], [4, 2], [0, 0], [4, 2]])
    np.testing.assert_array_equal(margin, booster.predict(rows))  # 0, 10, 14, 0, 14


def test_the_strongest_from_the_compiled_loop_are_those_of_a_full_sort(fitted, later):
    model, _ = fitted
    paths = model._paths()
    leaves = model._leaves(model._matrix(later.frame))
    full = paths.contributions(leaves)
    for k in (3, full.shape[1]):
        which, amount, margin = paths.top(leaves, k)
        order = np.argsort(-full, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(full, order, axis=1)
        np.testing.assert_array_equal(which, np.where(top > 0, order, -1))
        np.testing.assert_array_equal(amount, np.where(top > 0, top, 0))
    for one, every in zip(paths.top(leaves, 3, threads=1), paths.top(leaves, 3), strict=True):
        np.testing.assert_array_equal(one, every)
    # The leaf values are summed as LightGBM sums them: the same margin to the last bit.
    np.testing.assert_array_equal(margin, model.booster_.predict(
        model._matrix(later.frame), raw_score=True, num_iteration=model.best_iteration_))


def test_path_and_shap_mostly_agree_on_the_top_reason(fitted, later):
    model, _ = fitted

    def first(method: str) -> pd.Series:
        frame = model.explain(later, method=method).frame
        return frame[frame["rank"] == 1].set_index("customer_id")["feature"]

    both = pd.concat([first("path"), first("shap")], axis=1, join="inner")
    # Nearly everyone has a reason that argues their way by both methods.
    assert len(both) >= len(later) - 15
    # Most customers have the same first reason by both methods (see docs/churn.md).
    share = (both.iloc[:, 0] == both.iloc[:, 1]).mean()
    assert share >= 0.75


def test_paths_are_read_again_for_a_new_fit(fitted, later):
    model, training = fitted
    X = model._matrix(later.frame)
    refitted = model.clone()
    for snap in training:
        refitted.fit(snap)
        margin = refitted.booster_.predict(X, raw_score=True,
                                           num_iteration=refitted.best_iteration_)
        np.testing.assert_allclose(refitted.contributions(later).sum(axis=1), margin,
                                   rtol=0, atol=1e-9)


def test_sentences_in_bulk_read_as_one_at_a_time(fitted, later):
    model, _ = fitted
    frame = later.frame
    every = np.tile(np.arange(len(model.features_)), (len(frame), 1))
    bulk = sentences(model, frame, every, "CNY")
    fallbacks = 0
    for index, feature in enumerate(model.features_):
        names = (set(feature.fields()) | set(feature.fields(feature.fallback or ""))) - {
            "currency"}
        values = frame[sorted(names)].astype(object)
        values = values.where(values.notna(), None).to_dict(orient="records")
        expected = [feature.sentence({**row, "currency": "¥"}) for row in values]
        assert bulk[:, index].tolist() == expected, feature.name
        fallbacks += sum(any(row[f] is None for f in feature.fields() if f != "currency")
                         for row in values)
    assert fallbacks > 100  # missing values take the fallback sentences


def test_explaining_no_customers(fitted, later):
    model, _ = fitted
    reasons = model.explain(later.frame.iloc[:0])
    assert reasons.frame.empty
    assert list(reasons.frame.columns) == ["customer_id", "rank", "feature", "value",
                                           "contribution", "reason"]


def test_an_unknown_method_is_a_clear_error(fitted, later, sim_workspace):
    model, _ = fitted
    message = r"contribution method 'saabas' is not known; use path \(fast, the default\) or shap"
    with pytest.raises(ConfigError, match=message):
        model.contributions(later, method="saabas")
    with pytest.raises(ConfigError, match=message):
        model.explain(later, method="saabas")
    with pytest.raises(ConfigError, match=message):
        score(sim_workspace, "2025-06-01", model, reasons_method="saabas")
    with pytest.raises(ConfigError, match=message):
        ChurnModel().explain(later, method="saabas")  # before the model is even fitted
