"""Each simulator, run from known parameters, gives data the model recovers them from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tenure.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
)

CASES = [
    (BetaGeo, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}, {"T": 52.0}),
    (ModifiedBetaGeo, {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6}, {"T": 52.0}),
    (ParetoNBD, {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}, {"T": 52.0}),
    (GammaGamma, {"p": 6.0, "q": 4.0, "gamma": 15.0}, {}),
    (BetaGeoBetaBinom, {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8},
     {"n_periods": 6}),
    (ShiftedBetaGeo, {"alpha": 0.7, "beta": 1.2}, {"n_periods": 10}),
]


@pytest.mark.parametrize(("cls", "truth", "options"), CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_parameters_are_recovered_within_their_standard_errors(cls, truth, options):
    rng = np.random.default_rng(0)
    if "T" in options:  # customers joined at different times
        options = {"T": rng.uniform(10, options["T"], 20_000)}
    data = cls.simulate(truth, n=20_000, seed=42, **options)
    model = cls().fit(data)
    for name, value in truth.items():
        z = (model.params_[name] - value) / model.standard_errors_[name]
        # Three standard errors: each check fails by chance about 3 times in 1,000.
        assert abs(z) < 3, f"{name}: fitted {model.params_[name]:.4f}, true {value}"


def test_bg_nbd_predicts_the_simulated_holdout():
    truth = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    T = np.random.default_rng(1).uniform(10, 52, 30_000)
    data = BetaGeo.simulate(truth, n=30_000, seed=7, T=T, holdout=26.0)
    model = BetaGeo.from_params(truth)
    predicted = model.expected_purchases(data, 26.0).sum()
    actual = data.frequency_holdout.sum()
    # A sum over 30,000 customers: within 3% of what they actually did.
    assert predicted == pytest.approx(actual, rel=0.03)
    # P(alive) in 26 weeks is what the customers with no holdout purchase need...
    assert model.p_alive(data, t=26.0).mean() < model.p_alive(data).mean()


def test_pareto_nbd_predicts_the_simulated_holdout():
    truth = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}
    T = np.random.default_rng(1).uniform(10, 52, 30_000)
    data = ParetoNBD.simulate(truth, n=30_000, seed=8, T=T, holdout=26.0)
    predicted = ParetoNBD.from_params(truth).expected_purchases(data, 26.0).sum()
    assert predicted == pytest.approx(data.frequency_holdout.sum(), rel=0.03)


@pytest.mark.parametrize("cls", [BetaGeo, ParetoNBD])
def test_covariate_effects_are_recovered(cls):
    rng = np.random.default_rng(3)
    n = 30_000
    covariates = pd.DataFrame({"smb": (rng.random(n) < 0.4).astype(float),
                               "referral": (rng.random(n) < 0.3).astype(float)})
    truth = {**cls.example_params, "purchase:smb": np.log(1.8), "dropout:referral": -0.7}
    data = cls.simulate(truth, seed=9, T=rng.uniform(20, 80, n), covariates=covariates)
    model = cls(purchase_covariates=["smb"], dropout_covariates=["referral"]).fit(data)
    for name in ("purchase:smb", "dropout:referral"):
        z = (model.params_[name] - truth[name]) / model.standard_errors_[name]
        assert abs(z) < 3, f"{name}: fitted {model.params_[name]:.3f}, true {truth[name]:.3f}"
    # Customers of the segment that buys 1.8 times as often are predicted to buy more.
    predicted = model.expected_purchases(data, 10.0)
    smb = data.smb == 1
    assert predicted[smb].mean() > predicted[~smb].mean()


def test_gamma_gamma_on_individual_transactions_recovers_the_truth():
    # Each customer's spends z ~ Gamma(p, nu), nu ~ Gamma(q, gamma); 1-8 purchases each.
    truth = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    rng = np.random.default_rng(12)
    n = 8_000
    count = rng.integers(1, 9, n)
    nu = rng.gamma(truth["q"], 1 / truth["gamma"], n)
    owner = np.repeat(np.arange(n), count)
    spends = pd.DataFrame({"customer_id": owner,
                           "amount": rng.gamma(truth["p"], 1 / nu[owner])})
    model = GammaGamma().fit_transactions(spends)
    for name, value in truth.items():
        z = (model.params_[name] - value) / model.standard_errors_[name]
        assert abs(z) < 3, f"{name}: fitted {model.params_[name]:.3f}, true {value}"
    # The individual values say more about p than the means do.
    per = spends.groupby("customer_id").amount.agg(["size", "mean"])
    means = GammaGamma().fit(pd.DataFrame({"frequency": per["size"],
                                           "monetary_value": per["mean"]}))
    assert model.standard_errors_["p"] < means.standard_errors_["p"] / 2


def test_gamma_gamma_transaction_likelihood_is_the_mixture_integral():
    from scipy import integrate, stats

    from tenure.models._gamma_gamma import gg_transactions_loglik

    p, q, gamma = 2.5, 3.0, 20.0
    values = np.array([12.0, 30.5, 7.25])
    direct, _err = integrate.quad(
        lambda nu: np.prod(stats.gamma.pdf(values, p, scale=1 / nu))
        * stats.gamma.pdf(nu, q, scale=1 / gamma), 0, np.inf)
    ours = gg_transactions_loglik(p, q, gamma, np.array([3.0]), np.array([values.mean()]),
                                  np.array([np.log(values).mean()]))
    assert ours[0] == pytest.approx(np.log(direct), rel=1e-9)


@pytest.mark.slow
def test_ggompertz_nbd_recovers_its_parameters():
    from tenure.models import GGompertzNBD

    truth = GGompertzNBD.example_params
    T = np.random.default_rng(0).uniform(10, 52, 20_000)
    data = GGompertzNBD.simulate(truth, n=20_000, seed=3, T=T)
    model = GGompertzNBD().fit(data)
    for name, value in truth.items():
        z = (model.params_[name] - value) / model.standard_errors_[name]
        assert abs(z) < 3, f"{name}: fitted {model.params_[name]:.4f}, true {value}"
