"""Prediction intervals: calibrated on the simulated business, parameter uncertainty
included, CLV bounds consistent with the purchase bounds."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import tenure
from tenure.errors import ModelError
from tenure.models import BetaGeo, GammaGamma, ModelWarning, ParetoNBD, prediction_intervals
from tenure.simulate import BusinessParams, simulate_business


@pytest.fixture(scope="module")
def business_summary():
    """A simulated shop whose customers buy and leave as BG/NBD says (no covariate effects,
    no extra churn from bad service or hand-overs): 20,000 customers, a holdout of the last
    26 weeks of 2025."""
    params = BusinessParams(process="bgnbd", purchase_coefficients={}, dropout_coefficients={},
                            bad_service_churn=0.0, handover_churn=0.0)
    shop = simulate_business(20_000, seed=5, params=params)
    return tenure.rfm_summary(shop.tables["orders"].to_pandas(), observation_end="2025-12-31",
                              calibration_end="2025-06-30", unit="W")


@pytest.mark.slow
def test_nominal_90_percent_intervals_cover_90_percent_of_the_simulated_holdout(
        business_summary):
    s = business_summary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        model = BetaGeo().fit(s)
    bounds = prediction_intervals(model, s, s.duration_holdout.iloc[0], level=0.9).frame
    actual = s.frequency_holdout
    covered = (actual >= bounds.purchases_lower) & (actual <= bounds.purchases_upper)
    assert 0.88 <= covered.mean() <= 0.92, covered.mean()
    # The share covered is what the predictive distributions promised, customer by customer.
    assert covered.mean() == pytest.approx(bounds.purchases_probability.mean(), abs=0.01)
    # 80% intervals are no wider and cover less: as much as they promise, which is more than
    # 80% here, as the customers likelier than that to buy nothing get [0, 0].
    eighty = prediction_intervals(model, s, s.duration_holdout.iloc[0], level=0.8).frame
    assert (eighty.purchases_upper - eighty.purchases_lower
            <= bounds.purchases_upper - bounds.purchases_lower).all()
    covered80 = (actual >= eighty.purchases_lower) & (actual <= eighty.purchases_upper)
    assert covered80.mean() < covered.mean()
    assert covered80.mean() == pytest.approx(eighty.purchases_probability.mean(), abs=0.01)


def test_parameter_uncertainty_widens_the_distribution():
    # 300 customers: the parameters are uncertain, and averaging the predictive distribution
    # over them spreads it (a larger variance) while keeping its mean near the plug-in one.
    cdnow = tenure.rfm_summary(tenure.datasets.load_cdnow(kind="sample"),
                               observation_end="1997-09-30", unit="W").iloc[:300]
    from tenure.models._intervals import mixture_distribution, parameter_draws

    model = ParetoNBD().fit(cdnow)
    d = model._prepare(cdnow)
    n = np.arange(101)
    plug_in = mixture_distribution(model, d, 52.0, parameter_draws(model, 1, 0), 100)
    mixed = mixture_distribution(model, d, 52.0, parameter_draws(model, 32, 0), 100)
    var = [(t @ n**2) - (t @ n) ** 2 for t in (plug_in, mixed)]
    assert np.mean(var[1]) > 1.01 * np.mean(var[0])
    assert np.mean(mixed @ n) == pytest.approx(np.mean(plug_in @ n), rel=0.05)
    # Seeded: the same draws give the same intervals.
    again = prediction_intervals(model, cdnow, 52.0, seed=3).frame
    pd.testing.assert_frame_equal(again, prediction_intervals(model, cdnow, 52.0, seed=3).frame)


def test_clv_bounds_value_the_purchase_bounds():
    s = tenure.rfm_summary(tenure.datasets.load_cdnow(kind="sample"),
                           observation_end="1997-09-30", unit="W")
    purchases, spend = BetaGeo().fit(s), GammaGamma().fit(s)
    out = prediction_intervals(purchases, s, 13.0, spend=spend, clv_horizon=52.0,
                               discount_rate=0.01, margin=0.3).frame
    over_year = prediction_intervals(purchases, s, 52.0).frame
    np.testing.assert_allclose(out.clv, spend.clv(purchases, s, horizon=52.0,
                                                  discount_rate=0.01, margin=0.3))
    # Each bound is the count bound over 52 weeks at the customer's (discounted) value of a
    # purchase: clv / expected purchases.
    per_purchase = out.clv / purchases.expected_purchases(s, 52.0)
    np.testing.assert_allclose(out.clv_upper, per_purchase * over_year.purchases_upper)
    np.testing.assert_allclose(out.clv_lower, per_purchase * over_year.purchases_lower)
    assert (out.clv_lower <= out.clv_upper).all()
    with pytest.raises(ModelError, match=r"level=1\.5"):
        prediction_intervals(purchases, s, 13.0, level=1.5)


def test_a_model_without_covariance_gives_the_customers_randomness_alone():
    model = BetaGeo.from_params(BetaGeo.example_params)
    data = pd.DataFrame({"frequency": [0, 4], "recency": [0.0, 30.0], "T": [40.0, 40.0]})
    result = prediction_intervals(model, data, 26.0)
    assert result.draws == 1 and not result.parameter_uncertainty
    table = model.purchase_distribution(data, 26.0, n_max=60)
    cdf = np.cumsum(table, axis=1)
    # The lower end is the 5% quantile: the first count past 5% of the probability.
    assert result.frame.purchases_lower.tolist() == np.argmax(cdf > 0.05, axis=1).tolist()
