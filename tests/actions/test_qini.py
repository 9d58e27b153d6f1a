"""Qini curve, Qini area and uplift at k on tables small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tenure.actions import qini_auc, qini_curve, uplift_at_k
from tenure.errors import InputError

# Eight units already in the order of their scores (8 highest): treated or control, outcome.
SCORES = np.arange(8.0, 0.0, -1)
TREATED = np.array([1, 0, 1, 0, 1, 0, 1, 0])
OUTCOME = np.array([1, 0, 1, 1, 0, 0, 0, 1])


def test_the_qini_curve_by_hand():
    curve = qini_curve(SCORES, TREATED, OUTCOME)
    # Q(k) = R_t - R_c * N_t / N_c, the control term 0 until a control unit is reached:
    # k=1 T1: 1; k=2 C0: 1 - 0; k=3 T1: 2; k=4 C1: 2 - 1 * 2/2 = 1; k=5 T0: 2 - 1 * 3/2;
    # k=6 C0: 2 - 1 * 3/3; k=7 T0: 2 - 1 * 4/3; k=8 C1: 2 - 2 * 4/4.
    assert curve["incremental"].tolist() == pytest.approx(
        [0, 1, 1, 2, 1, 0.5, 1, 2 / 3, 0])
    assert curve["targeted"].tolist() == list(range(9))
    assert curve["share"].iloc[-1] == 1.0
    # Treating everyone gains nothing here (2 of 4 buy either way): random is flat at 0.
    assert (curve["random"] == 0).all()


def test_the_qini_area_by_hand():
    # Trapezoids of width 1/8 under 0, 1, 1, 2, 1, .5, 1, 2/3, 0: (43/3) / 16.
    assert qini_auc(SCORES, TREATED, OUTCOME, normalize=False) == pytest.approx(43 / 48)
    # The best order: treated buyers, then everyone who did not buy, then control buyers:
    # Q = 0, 1, 2, 2, 2, 2, 2, 2 - 4/3, 0, an area of (70/3) / 16.
    assert qini_auc(SCORES, TREATED, OUTCOME) == pytest.approx(43 / 70)
    # The reverse ranking is worse than random.
    assert qini_auc(-SCORES, TREATED, OUTCOME) < 0


def test_random_targeting_scores_zero_and_the_random_line_ends_at_the_total():
    rng = np.random.default_rng(1)
    treated = rng.integers(0, 2, 200_000)
    bought = rng.random(200_000) < np.where(treated == 1, 0.15, 0.10)
    curve = qini_curve(rng.random(200_000), treated, bought)
    total = bought[treated == 1].sum() - bought[treated == 0].sum() * (
        (treated == 1).sum() / (treated == 0).sum())
    assert curve["incremental"].iloc[-1] == pytest.approx(total)
    assert curve["random"].iloc[-1] == pytest.approx(total)
    # A score that knows nothing is within noise of the straight line.
    assert abs(qini_auc(rng.random(200_000), treated, bought)) < 0.02
    # A constant score is one block of ties: exactly the straight line.
    assert qini_auc(np.zeros(200_000), treated, bought) == pytest.approx(0, abs=1e-12)


def test_the_order_of_tied_units_does_not_matter():
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 5, 1_000).astype(float)
    treated = rng.integers(0, 2, 1_000)
    bought = rng.integers(0, 2, 1_000)
    shuffled = rng.permutation(1_000)
    first = qini_curve(scores, treated, bought)
    second = qini_curve(scores[shuffled], treated[shuffled], bought[shuffled])
    assert len(first) == 6   # the origin and five blocks of ties
    assert first["incremental"].to_numpy() == pytest.approx(second["incremental"].to_numpy())
    assert uplift_at_k(scores, treated, bought, 0.3) == pytest.approx(
        uplift_at_k(scores[shuffled], treated[shuffled], bought[shuffled], 0.3))


def test_uplift_at_k_by_hand():
    # The top half: T1, C0, T1, C1: treated all bought, half the control did: 1 - 0.5.
    assert uplift_at_k(SCORES, TREATED, OUTCOME, 0.5) == pytest.approx(0.5)
    # Everyone: treated 2 of 4, control 2 of 4.
    assert uplift_at_k(SCORES, TREATED, OUTCOME, 1.0) == pytest.approx(0.0)
    # A tie across the cut enters in proportion: the top 2 are unit 1 and half of the tied
    # units 2 (control, 0) and 3 (treated, 1): treated 1, control 0.
    tied = np.array([8, 7, 7, 5, 4, 3, 2, 1.0])
    assert uplift_at_k(tied, TREATED, OUTCOME, 0.25) == pytest.approx(1.0)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: qini_auc([1, 2], [1, 0, 1], [0, 1, 1]), r"treatment has 3 values where 2"),
    (lambda: qini_auc([1, 2, 3], [1, 2, 0], [0, 1, 1]), r"treatment holds values other than"),
    (lambda: qini_auc([1, 2, 3], [1, 1, 1], [0, 1, 1]), r"treatment has no control units"),
    (lambda: qini_auc([1, np.nan, 3], [1, 0, 1], [0, 1, 1]), r"uplift has 1 missing values"),
    (lambda: qini_curve([1, 2, 3], [1, 0, 1], ["a", "b", "c"]), r"the outcome holds object"),
    (lambda: uplift_at_k(SCORES, TREATED, OUTCOME, 0), r"k=0 should be a share"),
    (lambda: uplift_at_k(SCORES, TREATED, OUTCOME, 0.1), r"top 10% by uplift holds no control"),
])
def test_bad_input_fails_with_one_sentence(call, message):
    with pytest.raises(InputError, match=message):
        call()
