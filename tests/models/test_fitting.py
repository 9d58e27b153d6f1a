"""The fitting machinery: likelihood totals against the row-by-row likelihoods, and the
sample-then-Newton fit against a plain optimiser run to convergence on every row."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tenure.models import BetaGeo, GammaGamma, ModelWarning, ModifiedBetaGeo, ParetoNBD
from tenure.models._base import _difference_hessian, _Evaluator, _invert, _minimize

MODELS_WITH_TOTALS = [BetaGeo, ModifiedBetaGeo, ParetoNBD, GammaGamma]


def simulated(cls, n, seed, whole=False):
    """Simulated rows with continuous T (so nearly every row is distinct), and weights.
    ``whole`` rounds the times to whole units, as summaries in days are."""
    rng = np.random.default_rng(seed)
    options = {} if cls is GammaGamma else {"T": rng.uniform(5, 60, n)}
    data = cls.simulate(cls.example_params, n=n, seed=seed, **options)
    if whole and cls is not GammaGamma:
        data = data.assign(recency=np.floor(data.recency), T=np.ceil(data["T"]))
    return data.assign(weights=rng.integers(1, 4, len(data)).astype(float))


@pytest.mark.parametrize("whole", [False, True], ids=["continuous", "whole units"])
@pytest.mark.parametrize("cls", MODELS_WITH_TOTALS, ids=lambda c: c.__name__)
def test_totals_are_the_weighted_sums_of_the_row_likelihoods(cls, whole):
    model = cls()
    d, w = model._compress(simulated(cls, 5000, seed=1, whole=whole))
    totals = model._totals(d, w)
    # Parameters away from the truth, so that no term vanishes.
    params = {k: v * f for (k, v), f in zip(cls.example_params.items(), (1.3, 0.8, 1.1, 0.9),
                                            strict=False)}
    ll, grad, hess = totals(params, 2)
    rows, row_grad = model._loglik(params, d, True)
    assert ll == pytest.approx(np.dot(w, rows), rel=1e-12)
    np.testing.assert_allclose(grad, [np.dot(w, row_grad[k]) for k in cls.param_names],
                               rtol=1e-9)
    if not totals.has_hessian:
        assert hess is None
        return
    # The Hessian against central differences of the gradient.
    numeric = np.empty_like(hess)
    for i, name in enumerate(cls.param_names):
        h = 1e-6 * params[name]
        up, down = dict(params), dict(params)
        up[name] += h
        down[name] -= h
        numeric[i] = (totals(up, 1)[1] - totals(down, 1)[1]) / (2 * h)
    np.testing.assert_allclose(hess, numeric, rtol=1e-5)


@pytest.mark.parametrize("cls", MODELS_WITH_TOTALS, ids=lambda c: c.__name__)
def test_sample_then_newton_reaches_the_optimum_of_all_rows(cls):
    data = simulated(cls, 3 * cls.scout_rows, seed=2)
    model = cls().fit(data)
    assert model.n_rows_ > cls.scout_rows  # the fit went through a sample
    assert model.diagnostics_.converged
    # A plain quasi-Newton run over every row, row by row, from the first starting point
    # and to tight tolerances, lands on the same optimum.
    d, w = model._compress(data)
    rows = _Evaluator(model, d, w, None)
    start = model._starts(d, w)[0]
    theta0 = np.log([start[p] for p in cls.param_names])
    bounds = [(-18.0, 18.0)] * len(theta0)
    plain = _minimize(rows, theta0, bounds, 2000, "tight")
    assert plain.success
    assert model.log_likelihood_ == pytest.approx(-plain.fun * w.sum(), rel=1e-11)
    np.testing.assert_allclose(model._theta, plain.x, rtol=0, atol=1e-5)
    # Standard errors from the Hessian of the fit (exact, or from differences of the totals'
    # gradient) agree with those from differences of the row-by-row gradient.
    cov = _invert(_difference_hessian(rows, model._theta))
    np.testing.assert_allclose(np.sqrt(np.diag(model.covariance_)), np.sqrt(np.diag(cov)),
                               rtol=1e-4)


def test_a_sampled_fit_that_cannot_be_pinned_down_says_so():
    # 60,000 customers of whom 20 bought again: nothing tells buying from dropping out, so
    # the likelihood is flat in some directions. The sample-then-Newton path must still
    # warn, with the advice, and leave the standard errors missing rather than invent them.
    rng = np.random.default_rng(0)
    T = rng.uniform(20, 52, 60_000)
    x = np.zeros(60_000)
    x[:20] = 1
    data = pd.DataFrame({"frequency": x, "recency": np.where(x > 0, T / 2, 0.0), "T": T})
    with pytest.warns(ModelWarning, match="only 20 of 60,000 customers bought again"):
        model = BetaGeo().fit(data)
    assert np.isnan(list(model.standard_errors_.values())).all()


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD], ids=lambda c: c.__name__)
def test_too_few_repeat_buyers_always_warn(cls):
    # Three customers, none of whom bought again: whatever the optimiser finds (here a
    # likelihood of 1 on a ridge), the fit says the estimates mean little, and why.
    data = pd.DataFrame({"frequency": [0, 0, 0], "recency": [0.0, 0.0, 0.0],
                         "T": [5.0, 6.0, 7.0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cls().fit(data)
    said = [str(w.message) for w in caught if issubclass(w.category, ModelWarning)]
    assert any("estimates say little: only 0 of 3 customers" in m for m in said), said
    # Whatever else it says (a boundary, a Hessian that cannot be inverted) names the cause.
    assert all("only 0 of 3 customers bought again" in m for m in said), said


@pytest.mark.parametrize("values", [
    np.array([3.0, 0.0, 3.0, 7.0, 0.0]),  # whole numbers: the lookup table
    np.array([5, 2, 5, 2, 9]),
    np.array([0.5, 1.5, 0.5]),  # fractions, negatives and large numbers: a hash table
    np.array([-1.0, 2.0, -1.0]),
    np.array([1e9, 3.0, 1e9]),
], ids=["whole floats", "integers", "fractions", "negatives", "large"])
def test_factorize_gives_each_value_its_index_among_the_distinct_values(values):
    from tenure.models._special import factorize

    codes, uniques = factorize(values)
    np.testing.assert_array_equal(uniques[codes], values)
    assert sorted(uniques.tolist()) == sorted(set(values.tolist()))
    assert uniques.dtype == values.dtype


def test_the_penalty_is_an_l2_penalty_on_the_log_parameters_per_customer():
    # penalizer_coef c: the fit maximises LL / N - c * sum(log(param)^2), N the customers.
    # (lifetimes' penalizer_coef is the same c on the parameters themselves, not their logs.)
    from scipy import optimize

    import tenure

    cdnow = tenure.rfm_summary(tenure.datasets.load_cdnow(kind="sample"),
                               observation_end="1997-09-30", unit="W")
    plain = BetaGeo().fit(cdnow)
    penalised = BetaGeo(penalizer_coef=0.05).fit(cdnow)
    d, w = penalised._compress(cdnow)

    def objective(theta):
        rows = penalised._loglik(dict(zip(BetaGeo.param_names, np.exp(theta), strict=True)), d,
                                 False)
        return -np.dot(w, rows) / w.sum() + 0.05 * theta @ theta

    best = optimize.minimize(objective, np.log(list(plain.params_.values())), method="BFGS",
                             options={"gtol": 1e-10})
    np.testing.assert_allclose(np.log(list(penalised.params_.values())), best.x, atol=1e-5)
    # The penalty pulls the log-parameters towards 0; the likelihood it reports is the data's
    # own, lower than the unpenalised optimum's.
    assert np.sum(np.log(list(penalised.params_.values())) ** 2) < np.sum(
        np.log(list(plain.params_.values())) ** 2)
    assert penalised.log_likelihood_ < plain.log_likelihood_
    assert penalised.log_likelihood_ == pytest.approx(
        (-best.fun + 0.05 * best.x @ best.x) * w.sum())
    # The option travels with the model.
    assert penalised.to_dict()["options"] == {"penalizer_coef": 0.05}
    assert BetaGeo.from_params(penalised.params_, penalizer_coef=0.05).penalizer_coef == 0.05
