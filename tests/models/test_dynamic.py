"""Pareto/NBD with time-varying covariates: the static model when nothing changes, the
truth recovered from simulated paths, the holdout predicted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tenure
from tenure.errors import InputError
from tenure.models import ParetoNBD, ParetoNBDDynamic

END = "2024-12-29"  # the last day of the simulated 104 weeks


@pytest.fixture(scope="module")
def simulated():
    return ParetoNBDDynamic.simulate(n=3000, seed=2)


def test_covariates_that_never_change_give_the_static_model(simulated):
    orders, covariates = simulated
    # A third of the customers in the top tier for their whole life: a static covariate.
    ids = covariates.customer_id.unique()
    tier = pd.Series((np.arange(len(ids)) % 3 == 0).astype(float), index=ids)
    covariates = covariates.assign(tier=covariates.customer_id.map(tier))
    dynamic = ParetoNBDDynamic(dropout_covariates=["tier"])
    histories = dynamic.histories(covariates=covariates, orders=orders, observation_end=END)
    dynamic.fit(histories)
    summary = tenure.rfm_summary(orders, observation_end=END, unit="W")
    summary["tier"] = tier.reindex(summary.customer_id).to_numpy()
    static = ParetoNBD(dropout_covariates=["tier"]).fit(summary)
    # Fader & Hardie (2007)'s time-invariant covariates are the special case: the same
    # optimum, the same predictions.
    assert dynamic.log_likelihood_ == pytest.approx(static.log_likelihood_, rel=1e-12)
    for name, value in static.params_.items():
        assert dynamic.params_[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    order = pd.Index(summary.customer_id).get_indexer(histories.customer_id)
    np.testing.assert_allclose(dynamic.p_alive(histories), static.p_alive(summary)[order],
                               rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(dynamic.expected_purchases(histories, 26.0),
                               static.expected_purchases(summary, 26.0)[order], rtol=1e-6,
                               atol=1e-10)


@pytest.mark.slow
def test_time_varying_effects_are_recovered():
    # Promotions in a quarter of each customer's weeks double the purchase rate; moving to
    # the top tier (40% of customers, at a random week) multiplies the dropout rate by
    # exp(-0.7) = 0.5.
    orders, covariates = ParetoNBDDynamic.simulate(n=4000, seed=1)
    model = ParetoNBDDynamic(purchase_covariates=["promo"], dropout_covariates=["tier"])
    model.fit(model.histories(orders, covariates, observation_end=END))
    for name, value in ParetoNBDDynamic.example_params.items():
        z = (model.params_[name] - value) / model.standard_errors_[name]
        # The effects within two standard errors; the gamma parameters, which trade off
        # against each other, within three.
        assert abs(z) < (2 if ":" in name else 3), f"{name}: {model.params_[name]:.3f}"


def test_the_holdout_is_predicted_along_the_covariate_paths():
    orders, covariates = ParetoNBDDynamic.simulate(n=10_000, seed=4)
    model = ParetoNBDDynamic.from_params(ParetoNBDDynamic.example_params,
                                         purchase_covariates=["promo"],
                                         dropout_covariates=["tier"])
    # Calibration to the end of week 78; the 26 weeks after it follow the customers' paths.
    histories = model.histories(orders, covariates, observation_end=END,
                                calibration_end="2024-06-30")
    predicted = model.expected_purchases(histories, histories.duration_holdout).sum()
    actual = histories.frequency_holdout.sum()
    # About 6,200 purchases, whose sum varies by some 2% from one simulation to the next.
    assert predicted == pytest.approx(actual, rel=0.03)
    # With no promotion planned after the calibration end, the forecast follows: a quarter of
    # the weeks at twice the rate made 1.25 times as many purchases as none would.
    later = covariates.period_start > pd.Timestamp("2024-06-30").date()
    quiet = model.histories(orders, covariates.assign(promo=covariates.promo.where(~later, 0.0)),
                            observation_end=END, calibration_end="2024-06-30")
    ratio = model.expected_purchases(quiet, 26.0).sum() / predicted
    assert ratio == pytest.approx(1 / 1.25, abs=0.02)


def test_every_customer_needs_a_covariate_row_at_the_first_purchase(simulated):
    orders, covariates = simulated
    late = covariates[~((covariates.customer_id == "c000005")
                        & (covariates.period_start < pd.Timestamp("2024-01-01").date()))]
    model = ParetoNBDDynamic(purchase_covariates=["promo"])
    with pytest.raises(InputError, match="'c000005'"):
        model.histories(orders, late, observation_end=END)
