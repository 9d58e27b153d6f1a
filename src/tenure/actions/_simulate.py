"""Experiments whose true effects are known, to check the lift statistics and uplift models.

:func:`simulate_experiment` draws customers with a purchase rate, a pre-period spend and a
randomised group; each group lifts the purchase rate by a known share. Purchases follow a
Poisson process whose rate varies between customers by a gamma distribution (the NBD of
Ehrenberg 1959), so pre-period and experiment spend are correlated as in a real shop and
CUPED has something to work with.

:func:`simulate_uplift` draws the four kinds of customer of uplift modelling (Radcliffe &
Surry 2011, "Real-world uplift modelling with significance-based uplift trees"):
persuadables buy only if treated, sure things always buy, lost causes never do, and sleeping
dogs buy only if left alone. The kind depends on the features, so a model can learn it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tenure.errors import InputError

__all__ = ["UPLIFT_KINDS", "simulate_experiment", "simulate_uplift"]

UPLIFT_KINDS = ("persuadable", "sure_thing", "lost_cause", "sleeping_dog")
# Outcome without and with treatment, per kind.
_OUTCOMES = np.array([[0, 1], [1, 1], [0, 0], [1, 0]], dtype=np.int8)


def _check_size(n: int) -> int:
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 2:
        raise InputError(f"n={n!r} should be a whole number of units, at least 2")
    return int(n)


def simulate_experiment(n: int, *, lift: Mapping[str, float] | None = None,
                        control: str = "control", seed: int = 0) -> pd.DataFrame:
    """``n`` customers split evenly at random between ``control`` and the groups of
    ``lift`` (group to the relative lift of its purchase rate, 0.1 for +10%; one group
    ``treated`` with no lift when None).

    Columns: group (categorical, the control first), pre_spend (the year before), purchased
    (int8, bought in the experiment's month) and spend (the month's spend). Each customer's
    purchase rate is gamma distributed (shape 0.5, 0.25 purchases a month on average) and
    multiplied by 1 + lift when treated; each purchase is worth a gamma amount (mean 50)
    around the customer's own mean."""
    n = _check_size(n)
    lift = {"treated": 0.0} if lift is None else dict(lift)
    if control in lift or not lift or any(v <= -1 for v in lift.values()):
        raise InputError(f"lift={lift!r} should map each treated group (not the control "
                         f"{control!r}) to a relative lift above -1, such as {{'email': 0.1}}")
    rng = np.random.default_rng(seed)
    names = [control, *lift]
    group = rng.integers(0, len(names), n)
    multiplier = np.array([1.0, *(1 + v for v in lift.values())])[group]
    rate = rng.gamma(0.5, 0.5, n)                     # purchases a month
    basket = rng.gamma(4.0, 50 / 4, n)                # each customer's mean amount
    before = rng.poisson(rate * 12)
    after = rng.poisson(rate * multiplier)
    # A sum of k gamma(4, m/4) amounts is gamma(4k, m/4); k = 0 gives 0.
    pre_spend = rng.gamma(np.maximum(4.0 * before, 1e-12), basket / 4) * (before > 0)
    spend = rng.gamma(np.maximum(4.0 * after, 1e-12), basket / 4) * (after > 0)
    return pd.DataFrame({
        "group": pd.Categorical.from_codes(group, names),
        "pre_spend": pre_spend.round(2),
        "purchased": (after > 0).astype(np.int8),
        "spend": spend.round(2),
    })


def simulate_uplift(n: int, *, seed: int = 0) -> pd.DataFrame:
    """``n`` customers of the four kinds, half treated at random.

    Columns: x1 ... x5 (standard normal features; x5 is noise), treatment (int8), outcome
    (int8, what was observed), kind (categorical, one of :data:`UPLIFT_KINDS`), effect (the
    unit's own treated minus untreated outcome: 1, 0 or -1), uplift (the true expected
    effect given the features, P(persuadable) - P(sleeping dog)) and baseline (the true
    chance of the outcome without treatment, P(sure thing) + P(sleeping dog)).

    Persuadables rise with x1, sure things with x2, lost causes with x3 and sleeping dogs
    with x4 and x2, so the customers most likely to buy anyway are also those a contact
    can put off, and a ranking by the outcome's baseline chance picks the wrong ones."""
    n = _check_size(n)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5))
    logits = np.column_stack([
        -0.6 + 1.3 * x[:, 0],                 # persuadable
        0.4 + 1.2 * x[:, 1],                  # sure thing
        0.3 + 1.2 * x[:, 2],                  # lost cause
        -1.0 + 1.2 * x[:, 3] + 0.6 * x[:, 1],  # sleeping dog
    ])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    kind = np.minimum((rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1), 3)
    treatment = rng.integers(0, 2, n).astype(np.int8)
    outcomes = _OUTCOMES[kind]
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(1, 6)])
    return frame.assign(
        treatment=treatment,
        outcome=outcomes[np.arange(n), treatment],
        kind=pd.Categorical.from_codes(kind, UPLIFT_KINDS),
        effect=(outcomes[:, 1] - outcomes[:, 0]).astype(np.int8),
        uplift=p[:, 0] - p[:, 3],
        baseline=p[:, 1] + p[:, 3],
    )
