"""No prediction is ever NaN or inf for valid input: the extremes the peers test, with NumPy
raising on every floating-point error and every warning an error."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import tenure
from tenure.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    GGompertzNBD,
    ModelWarning,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
)

# (x, t_x, T): lifetimes' high-frequency case (1000 purchases, the last at 10, T = 100);
# no repeat purchase, at T = 0, 100 and a million; very large T with recent and old
# purchases; an enormous frequency; a history a moment long.
EXTREMES = pd.DataFrame([(1000, 10.0, 100.0), (0, 0.0, 0.0), (0, 0.0, 100.0), (0, 0.0, 1e6),
                         (5, 1e6 - 1, 1e6), (3, 5e5, 1e6), (1000, 99.9, 100.0),
                         (20_000, 5.0, 50.0), (1, 1e-9, 1e-9)],
                        columns=["frequency", "recency", "T"])
TRANSACTION_MODELS = [BetaGeo, ModifiedBetaGeo, ParetoNBD, GGompertzNBD]


@pytest.fixture(scope="module")
def cdnow():
    return tenure.rfm_summary(tenure.datasets.load_cdnow(kind="sample"),
                              observation_end="1997-09-30", unit="W")


def strictly(call):
    """``call()`` with NumPy raising on overflow, division by zero, invalid operations and
    underflow, and every warning an error."""
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


def predictions(model, data):
    return {
        "p_alive": model.p_alive(data),
        "p_alive in 52": model.p_alive(data, 52.0),
        "expected purchases": model.expected_purchases(data, 52.0),
        "expected purchases in 1e7": model.expected_purchases(data, 1e7),
        "distribution": model.purchase_distribution(data, 52.0, n_max=12),
        "distribution over no time": model.purchase_distribution(data, 0.0, n_max=2),
        "no purchase": model.p_no_purchase(data, 13.0),
        "discounted": model.purchase_outlook(data, horizon=52.0,
                                             discount_rate=0.01).discounted_purchases,
    }


@pytest.mark.parametrize("cls", TRANSACTION_MODELS, ids=lambda c: c.name)
@pytest.mark.parametrize("fitted", [False, True], ids=["example", "cdnow"])
def test_extreme_histories_give_finite_predictions_with_the_right_limits(cls, fitted, cdnow):
    model = cls().fit(cdnow) if fitted else cls.from_params(cls.example_params)
    out = strictly(lambda: predictions(model, EXTREMES))
    for name, values in out.items():
        assert np.all(np.isfinite(values)), name
        assert np.all(values >= 0), name
    for name in ("p_alive", "p_alive in 52", "no purchase"):
        assert np.all(out[name] <= 1), name
    assert np.all(out["distribution"].sum(axis=1) <= 1 + 1e-12)
    assert np.all(out["distribution over no time"][:, 0] == 1.0)
    # A thousand purchases in the first 10 of 100 units, then nothing: surely gone, and
    # expected to buy nothing more (lifetimes' test asks for exactly 0).
    assert out["p_alive"][0] < 1e-300 and out["expected purchases"][0] < 1e-300
    # Twenty thousand purchases, the last long ago: the same.
    assert out["p_alive"][7] < 1e-300
    if cls is BetaGeo:
        # Under BG/NBD only a purchase can be followed by leaving: x = 0 means alive.
        assert out["p_alive"][[1, 2, 3]].tolist() == [1.0, 1.0, 1.0]
    if cls is ParetoNBD:
        # No purchase in a million units: gone.
        assert out["p_alive"][3] < 1e-3
    # Bought a moment ago after 1000 purchases in 100 units: alive, and buying on.
    assert out["p_alive"][6] > 0.9 and out["expected purchases"][6] > 100


def test_new_customer_predictions_at_extreme_times():
    for cls in TRANSACTION_MODELS:
        model = cls.from_params(cls.example_params)
        t = np.array([0.0, 1e-9, 1.0, 1e6])
        values = strictly(lambda m=model, t=t: (m.expected_purchases_new_customer(t),
                                                m.probability_of_purchases(np.arange(6), 1e6)))
        assert all(np.all(np.isfinite(v)) for v in values), cls.name
        assert values[0][0] == 0.0


def test_bgbb_gamma_gamma_and_sbg_extremes():
    bgbb = BetaGeoBetaBinom.from_params(BetaGeoBetaBinom.example_params)
    patterns = pd.DataFrame([(0, 0, 0), (0, 0, 1000), (1000, 1000, 1000), (1, 1, 1000),
                             (999, 1000, 1000)], columns=["frequency", "recency", "n_periods"])
    out = strictly(lambda: [bgbb.p_alive(patterns), bgbb.p_alive(patterns, 500),
                            bgbb.expected_purchases(patterns, 500),
                            bgbb.purchase_distribution(patterns, 50, n_max=50)])
    assert all(np.all(np.isfinite(v)) for v in out)
    assert out[0][2] > 0.99 and out[0][3] < 1e-6  # bought every time, or not since the first
    spend = GammaGamma.from_params(GammaGamma.example_params)
    buyers = pd.DataFrame({"frequency": [1, 10**6, 0, 3], "monetary_value": [1e-300, 5.0, 0.0,
                                                                              1e300]})
    assert np.all(np.isfinite(strictly(lambda: spend.expected_spend(buyers))))
    sbg = ShiftedBetaGeo.from_params(ShiftedBetaGeo.example_params)
    survival = strictly(lambda: sbg.survival([0, 1, 10**6, 10**9]))
    assert np.all(np.isfinite(survival)) and survival[0] == 1.0


def test_a_fit_on_next_to_nothing_says_so_and_still_predicts(cdnow):
    # Twelve customers of whom three bought again: the data cannot pin the parameters down.
    # The fit warns, naming what to do, and its predictions are still numbers.
    small = cdnow.iloc[:12]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = BetaGeo().fit(small)
    said = [str(w.message) for w in caught]
    assert all(issubclass(w.category, ModelWarning) for w in caught), said
    # Every warning says what to do: more data, or the penalty.
    assert all("more customers" in m and "penalizer_coef=0.01" in m for m in said), said
    assert any("more than two orders of magnitude" in m for m in said), said
    assert np.all(np.isfinite(strictly(lambda: model.expected_purchases(small, 39.0))))


@pytest.mark.parametrize(("r", "expected_if_alive", "stay"), [
    (5e3, 2.123279994270474, 0.7631227660289482),
    (5e4, 2.122943018247434, 0.7631513969062631),
    (5e6, 2.122905935603378, 0.7631545477076338),
])
def test_a_rate_with_almost_no_heterogeneity_still_predicts(r, expected_if_alive, stay):
    # A small shop's fit can run r and alpha up together (the purchase rate the same for
    # everyone); there SciPy's 2F1 of FHL (2005) eq. 10 returns NaN. The references are
    # that formula in 40-digit arithmetic (mpmath), with r / alpha = 1/16 per unit, a = 0.8,
    # b = 2.5, and x = 3, t_x = T = 30, t = 39.
    model = BetaGeo.from_params({"r": r, "alpha": 16 * r, "a": 0.8, "b": 2.5})
    one = pd.DataFrame({"frequency": [3], "recency": [30.0], "T": [30.0]})
    alive = 4.5 / 5.3  # 1 / (1 + a / (b + x - 1)): just bought
    assert strictly(lambda: model.expected_purchases(one, 39.0))[0] == pytest.approx(
        alive * expected_if_alive, rel=1e-10)
    assert strictly(lambda: model.p_alive(one, 39.0))[0] == pytest.approx(alive * stay,
                                                                           rel=1e-10)
