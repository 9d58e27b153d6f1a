"""UpliftModel: the estimator contract, recovery of a known heterogeneous effect, and a
held-out evaluation on the Hillstrom experiment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split

from tenure.actions import UpliftModel, qini_auc, simulate_uplift, uplift_at_k
from tenure.errors import ConfigError, InputError, NotFittedError

from .conftest import FEATURES

METHODS = ["two_model", "x_learner"]
X_COLUMNS = [f"x{i}" for i in range(1, 6)]


@pytest.fixture(scope="module")
def synthetic():
    return simulate_uplift(20_000, seed=1), simulate_uplift(20_000, seed=2)


@pytest.mark.parametrize("method", METHODS)
def test_the_estimator_contract(method):
    data = simulate_uplift(2_000, seed=4)
    model = UpliftModel(method=method)
    assert repr(model) == f"UpliftModel(method='{method}', not fitted)"
    with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
        model.predict(data[X_COLUMNS])
    assert model.fit(data[X_COLUMNS], data["treatment"], data["outcome"]) is model
    assert repr(model) == f"UpliftModel(method='{method}', fitted on 2,000 units)"
    uplift = model.predict(data[X_COLUMNS])
    assert uplift.shape == (2_000,) and np.isfinite(uplift).all()
    assert model.outcome_kind_ == "rate" and model.n_features_in_ == 5
    assert model.feature_names_in_.tolist() == X_COLUMNS
    assert model.treated_share_ == pytest.approx(data["treatment"].mean())
    # Columns are found by name, whatever their order.
    assert model.predict(data[X_COLUMNS[::-1]]) == pytest.approx(uplift)
    outcomes = model.predict_outcomes(data[X_COLUMNS])
    assert ((outcomes >= 0) & (outcomes <= 1)).all().all()
    with pytest.raises(InputError, match="X lacks the column 'x5'"):
        model.predict(data[X_COLUMNS[:4]])


def test_seeded_fits_repeat_exactly():
    data = simulate_uplift(3_000, seed=5)
    first, second = (UpliftModel(method="x_learner", seed=3).fit(
        data[X_COLUMNS], data["treatment"], data["outcome"]).predict(data[X_COLUMNS])
        for _ in range(2))
    assert np.array_equal(first, second)


def test_any_scikit_learn_learner_and_arrays_and_amounts():
    data = simulate_uplift(3_000, seed=6)
    X = data[X_COLUMNS].to_numpy()
    # Spend-like outcome: regressors for both stages.
    amount = data["outcome"] * (20 + 5 * data["x1"].abs())
    model = UpliftModel(method="x_learner", learner=LinearRegression(),
                        effect_learner=LinearRegression()).fit(X, data["treatment"], amount)
    assert model.outcome_kind_ == "mean" and not hasattr(model, "feature_names_in_")
    assert model.predict(X).shape == (3_000,)
    with pytest.raises(InputError, match="X has 4 features where the model was fitted on 5"):
        model.predict(X[:, :4])
    logistic = UpliftModel(learner=LogisticRegression()).fit(X, data["treatment"],
                                                             data["outcome"])
    # Persuadables rise with x1: a linear model sees the sign.
    assert np.corrcoef(logistic.predict(X), data["x1"])[0, 1] > 0.5


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"method": "causal_forest"}, ConfigError, r"method='causal_forest' is not an uplift"),
])
def test_bad_options_fail_with_one_sentence(options, error, message):
    data = simulate_uplift(200, seed=1)
    with pytest.raises(error, match=message):
        UpliftModel(**options).fit(data[X_COLUMNS], data["treatment"], data["outcome"])


def test_bad_data_fails_with_one_sentence():
    data = simulate_uplift(200, seed=1)
    with pytest.raises(InputError, match="treatment has 199 values where 200"):
        UpliftModel().fit(data[X_COLUMNS], data["treatment"][:-1], data["outcome"])
    with pytest.raises(InputError, match="treatment has no treated units"):
        UpliftModel().fit(data[X_COLUMNS], np.zeros(200), data["outcome"])


def _top(frame: pd.DataFrame, score: np.ndarray, share: float = 0.2) -> pd.DataFrame:
    return frame.iloc[np.argsort(-score, kind="stable")[: int(share * len(frame))]]


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_persuadables_rank_first(synthetic, method):
    train, test = synthetic
    model = UpliftModel(method=method).fit(train[X_COLUMNS], train["treatment"],
                                           train["outcome"])
    uplift = model.predict(test[X_COLUMNS])
    # Each unit's own effect is known: +1 persuadable, -1 sleeping dog, 0 otherwise.
    by_model = _top(test, uplift)["effect"].mean()
    by_truth = _top(test, test["uplift"].to_numpy())["effect"].mean()
    # Ranking by the true chance of buying anyway finds sure things and sleeping dogs;
    # ranking by the true risk of not buying finds persuadables mixed with lost causes.
    by_baseline = _top(test, test["baseline"].to_numpy())["effect"].mean()
    by_risk = _top(test, 1 - test["baseline"].to_numpy())["effect"].mean()
    overall = test["effect"].mean()
    assert by_model > 0.9 * by_truth
    assert by_model > by_risk + 0.1 and by_model > overall + 0.3 and by_baseline < 0
    persuadable = (_top(test, uplift)["kind"] == "persuadable").mean()
    assert persuadable > 2.5 * (test["kind"] == "persuadable").mean()
    # The observed outcomes say the same without the truth.
    assert qini_auc(uplift, test["treatment"], test["outcome"]) > qini_auc(
        1 - test["baseline"], test["treatment"], test["outcome"]) + 0.03


@pytest.fixture(scope="module")
def womens(hillstrom):
    """Women's e-mail against no e-mail, split 70/30 into training and held-out units,
    stratified by group and visit (seed 0)."""
    mail = hillstrom[hillstrom["segment"] != "Mens E-Mail"].reset_index(drop=True)
    treated = (mail["segment"] == "Womens E-Mail").to_numpy()
    train, test = train_test_split(np.arange(len(mail)), test_size=0.3, random_state=0,
                                   stratify=treated * 2 + mail["visit"].to_numpy())
    return mail, treated, train, test


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_hillstrom_visits_rank_better_than_random_and_than_past_spend(womens, method):
    mail, treated, train, test = womens
    model = UpliftModel(method=method).fit(mail.loc[train, FEATURES], treated[train],
                                           mail.loc[train, "visit"])
    uplift = model.predict(mail.loc[test, FEATURES])
    visits, treated_test = mail.loc[test, "visit"].to_numpy(), treated[test]
    qini = qini_auc(uplift, treated_test, visits)
    # Random targeting: the Qini areas of 200 random scores on the same held-out units.
    rng = np.random.default_rng(0)
    random = [qini_auc(rng.random(len(test)), treated_test, visits) for _ in range(200)]
    assert qini > np.quantile(random, 0.99) > 0
    # Past-year spend alone ranks no better than chance.
    assert qini > qini_auc(mail.loc[test, "history"], treated_test, visits) + 0.03
    # The top 30% by predicted uplift gain more visits than the 4.5 points of everyone.
    assert uplift_at_k(uplift, treated_test, visits, 0.3) > \
        uplift_at_k(uplift, treated_test, visits, 1.0) + 0.01
