"""The predictive distribution of future purchases, per-customer horizons and the P(alive)
path: against the peers' published numbers, against each other and against the simulator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tenure.datasets import load_donations
from tenure.errors import InputError, ModelError
from tenure.models import BetaGeo, BetaGeoBetaBinom, GGompertzNBD, ModifiedBetaGeo, ParetoNBD

# Five CDNOW-like histories in weeks: (x, t_x, T). The second is Hardie's worked example.
HISTORIES = pd.DataFrame([(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86),
                          (7, 29.43, 35.14), (14, 37.0, 38.0)],
                         columns=["frequency", "recency", "T"])
PNBD_CDNOW = {"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}


@pytest.mark.parametrize(("n", "t", "expected"), [
    (1, 1, [0.003181676507, 0.04156114178, 0.004980070261, 0.1194494786, 0.2139404698]),
    (2, 2, [0.0001845985855, 0.00530400867, 0.0004657308245, 0.03536864288, 0.09556835857]),
    (0, 39, [0.9307542802, 0.4080952824, 0.9134577317, 0.1938466907, 0.05305180527]),
    (3, 39, [0.005312626901, 0.09565226766, 0.01103436348, 0.08957138913, 0.03574653479]),
    (1, 52, [0.0486218062, 0.1920416104, 0.04117536504, 0.05939377745, 0.03498144057]),
])
def test_pareto_nbd_conditional_pmf_matches_lifetimes(n, t, expected):
    # lifetimes 0.11.3, ParetoNBDFitter.conditional_probability_of_n_purchases_up_to_time
    # (Fader & Hardie's note 028, eq. 16) at the CDNOW parameters PyMC-Marketing's tests use
    # (its expected_purchase_probability is checked against the same function).
    model = ParetoNBD.from_params(PNBD_CDNOW)
    np.testing.assert_allclose(model.probability_of_n_purchases(HISTORIES, n, t), expected,
                               rtol=1e-8)


def test_no_time_means_no_purchase():
    # lifetimes returns 0 for P(X = 0) over no time at all (its formula divides there);
    # the limit is 1: nobody buys in an interval of length zero.
    model = ParetoNBD.from_params(PNBD_CDNOW)
    assert model.probability_of_n_purchases(HISTORIES, 0, 0.0).tolist() == [1.0] * 5


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD, GGompertzNBD],
                         ids=lambda c: c.name)
def test_the_distribution_adds_to_one_and_its_mean_is_the_expectation(cls):
    model = cls.from_params(cls.example_params)
    table = model.purchase_distribution(HISTORIES, 39.0, n_max=400)
    np.testing.assert_allclose(table.sum(axis=1), 1.0, atol=1e-10)
    np.testing.assert_allclose(table @ np.arange(401), model.expected_purchases(HISTORIES, 39.0),
                               rtol=1e-9)
    # P(no purchase) is the first column, and the gone customers are all in it.
    np.testing.assert_allclose(model.p_no_purchase(HISTORIES, 39.0), table[:, 0])
    assert np.all(table[:, 0] >= 1 - model.p_alive(HISTORIES))


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD, GGompertzNBD],
                         ids=lambda c: c.name)
def test_a_customer_just_arrived_has_the_new_customer_distribution(cls):
    # x = 0, t_x = 0, T = 0: the conditional pmf is the unconditional one (FHL 2005, eq. 8;
    # for MBG/NBD, the chance of leaving right after the first purchase included).
    model = cls.from_params(cls.example_params)
    new = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]})
    np.testing.assert_allclose(model.purchase_distribution(new, 30.0, n_max=20)[0],
                               model.probability_of_purchases(np.arange(21), 30.0), atol=1e-12)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD, GGompertzNBD],
                         ids=lambda c: c.name)
def test_the_distribution_predicts_the_simulated_holdout_counts(cls):
    rng = np.random.default_rng(4)
    n = 40_000
    data = cls.simulate(cls.example_params, n=n, seed=11, T=rng.uniform(10, 52, n), holdout=26.0)
    model = cls.from_params(cls.example_params)
    expected = model.purchase_distribution(data, 26.0, n_max=3).sum(axis=0)
    actual = np.bincount(np.minimum(data.frequency_holdout, 4), minlength=5)[:4]
    # Each count is a sum of 40,000 Bernoulli trials: within four standard deviations.
    spread = np.sqrt(expected * (1 - expected / n))
    assert np.all(np.abs(actual - expected) < 4 * spread), (actual, expected.round(1))


def test_horizons_one_per_customer_or_a_column():
    model = BetaGeo.from_params(BetaGeo.example_params)
    t = np.array([1.0, 13.0, 26.0, 39.0, 52.0])
    one_by_one = [model.expected_purchases(HISTORIES.iloc[[i]], t[i])[0] for i in range(5)]
    np.testing.assert_allclose(model.expected_purchases(HISTORIES, t), one_by_one, rtol=1e-12)
    frame = HISTORIES.assign(horizon=t)
    np.testing.assert_allclose(model.expected_purchases(frame, "horizon"), one_by_one)
    alive = [model.p_alive(HISTORIES.iloc[[i]], t[i])[0] for i in range(5)]
    np.testing.assert_allclose(model.p_alive(frame, "horizon"), alive, rtol=1e-12)
    dist = [model.purchase_distribution(HISTORIES.iloc[[i]], t[i], n_max=3)[0] for i in range(5)]
    np.testing.assert_allclose(model.purchase_distribution(frame, "horizon", n_max=3), dist)
    with pytest.raises(ModelError, match="got 2 horizons for 5 customers"):
        model.expected_purchases(HISTORIES, [1.0, 2.0])
    with pytest.raises(ModelError, match="'weeks' is not in the data"):
        model.expected_purchases(HISTORIES, "weeks")
    with pytest.raises(InputError, match="row 1, column 'horizon'"):
        model.expected_purchases(frame.assign(horizon=[1.0, -2.0, 3.0, 4.0, 5.0]), "horizon")


def test_p_alive_path_replays_the_history():
    model = BetaGeo.from_params(BetaGeo.example_params)
    # Repeat purchases at weeks 3 and 10, observed to week 20.
    path = model.p_alive_path([3.0, 10.0], 20.0, step=5.0)
    at = path.set_index("time")
    just_before = path[path.time < 10.0].iloc[-1]
    # Before any repeat purchase a BG/NBD customer cannot have left: P(alive) = 1.
    assert (path[path.time < 3.0].p_alive == 1.0).all()
    assert path[path.time < 3.0].frequency.max() == 0 and at.loc[3.0, "frequency"] == 1
    # At week 10 the history is x = 2, t_x = T = 10: the only doubt is a dropout right after
    # the purchase just made, 1 / (1 + a / (b + x - 1)) = 1 / (1 + 0.8 / 3.5) (FHL 2005).
    assert at.loc[10.0, "frequency"] == 2
    assert at.loc[10.0, "p_alive"] == pytest.approx(1 / (1 + 0.8 / 3.5))
    # At week 20 it is the summary the customer would have then.
    end = pd.DataFrame({"frequency": [2], "recency": [10.0], "T": [20.0]})
    assert at.loc[20.0, "p_alive"] == pytest.approx(model.p_alive(end)[0])
    # Quiet spells lower P(alive); purchases raise it.
    assert at.loc[15.0, "p_alive"] > at.loc[20.0, "p_alive"]
    assert just_before.frequency == 1 and at.loc[10.0, "p_alive"] > just_before.p_alive


# -- BG/BB --------------------------------------------------------------------------------
BGBB_DONATIONS = {"alpha": 1.2035, "beta": 0.7497, "gamma": 0.6567, "delta": 2.7834}
PATTERNS = pd.DataFrame([(0, 0, 6), (1, 1, 6), (3, 5, 6), (6, 6, 6), (2, 2, 6)],
                        columns=["frequency", "recency", "n_periods"])


@pytest.mark.parametrize(("m", "alive", "purchases"), [
    (1, [0.1081370764, 0.06946346794, 0.7668301737, 0.930435059, 0.06641577155],
     [0.01636359848, 0.01924542971, 0.4052922893, 0.8427285806, 0.02675186393]),
    (3, [0.09551809889, 0.06135747905, 0.6773454841, 0.8218586162, 0.05866543138],
     [0.04615195912, 0.05427988754, 1.143088006, 2.376835085, 0.07545106484]),
    (6, [0.0821414673, 0.05276479974, 0.5824880581, 0.7067631521, 0.05044975423],
     [0.0852949601, 0.1003164531, 2.112578702, 4.392707432, 0.1394436052]),
])
def test_bgbb_matches_lifetimes_m_opportunities_ahead(m, alive, purchases):
    # lifetimes 0.11.3, BetaGeoBetaBinomFitter.conditional_probability_alive and
    # conditional_expected_number_of_purchases_up_to_time with m_periods_in_future = m, at
    # the donation-data parameters PyMC-Marketing's BG/BB tests use.
    model = BetaGeoBetaBinom.from_params(BGBB_DONATIONS)
    np.testing.assert_allclose(model.p_alive(PATTERNS, m), alive, rtol=1e-8)
    np.testing.assert_allclose(model.expected_purchases(PATTERNS, m), purchases, rtol=1e-8)


def test_bgbb_reproduces_the_donations_paper():
    donors = load_donations()
    model = BetaGeoBetaBinom().fit(donors)
    # Fader, Hardie & Shang (2010), section 4: alpha 1.204, beta 0.750, gamma 0.657,
    # delta 2.783, LL -33,225.6.
    assert {k: round(v, 3) for k, v in model.params_.items()} == {
        "alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    assert round(model.log_likelihood_, 1) == -33225.6
    # Figure 3 and Hardie's spreadsheet: of the 11,104 donors the model expects 3,454.9 to
    # give in none of the six years 1996-2001 (3,464 did) and 1,253.1 in all six (1,203 did).
    histogram = 11_104 * model.probability_of_purchases(range(7), 6)
    assert round(histogram[0], 1) == 3454.9
    assert round(histogram[6], 1) == 1253.1
    assert histogram.sum() == pytest.approx(11_104)


def test_bgbb_distribution_adds_up_and_predicts_the_simulation():
    model = BetaGeoBetaBinom.from_params(BGBB_DONATIONS)
    table = model.purchase_distribution(PATTERNS, 5, n_max=5)
    np.testing.assert_allclose(table.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(table @ np.arange(6), model.expected_purchases(PATTERNS, 5),
                               rtol=1e-10)
    # A new customer's distribution over the first six opportunities, against 50,000
    # simulated customers.
    sim = BetaGeoBetaBinom.simulate(BGBB_DONATIONS, n=50_000, seed=8, n_periods=6)
    actual = np.bincount(np.repeat(sim.frequency, sim.weights), minlength=7)
    expected = 50_000 * model.probability_of_purchases(range(7), 6)
    assert np.all(np.abs(actual - expected) < 4 * np.sqrt(expected)), (actual, expected)
    # Per-customer opportunities, as a column.
    frame = PATTERNS.assign(ahead=[1, 2, 3, 4, 5])
    one_by_one = [model.p_alive(PATTERNS.iloc[[i]], i + 1)[0] for i in range(5)]
    np.testing.assert_allclose(model.p_alive(frame, "ahead"), one_by_one)
    with pytest.raises(ModelError, match="whole numbers of opportunities"):
        model.expected_purchases(PATTERNS, 1.5)


def test_purchase_times_agree_with_the_summary():
    import tenure
    from tenure.models import purchase_times

    orders = tenure.datasets.load_cdnow(kind="sample")
    # Customer 1: 1997-01-01, 01-18 and 08-02 by the end of September (12-12 comes later).
    times, T = purchase_times(orders, "1", observation_end="1997-09-30")
    assert times.tolist() == [17 / 7, 213 / 7] and T == 272 / 7
    row = tenure.rfm_summary(orders, observation_end="1997-09-30", unit="W").set_index(
        "customer_id").loc["1"]
    assert (row.frequency, row.recency, row["T"]) == (len(times), times[-1], T)
    model = BetaGeo.from_params(BetaGeo.example_params)
    path = model.p_alive_path(times, T)
    assert path.p_alive.iloc[-1] == pytest.approx(
        model.p_alive(pd.DataFrame([row[["frequency", "recency", "T"]]]))[0])
    with pytest.raises(InputError, match="customer 'nobody' made no purchase"):
        purchase_times(orders, "nobody", observation_end="1997-09-30")
