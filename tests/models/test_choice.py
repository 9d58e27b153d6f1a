"""Choosing the model: by the holdout when there is one, by BIC otherwise, and saying why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tenure
from tenure.errors import ModelError
from tenure.models import ParetoNBD, choose_model


@pytest.fixture(scope="module")
def cdnow():
    return tenure.rfm_summary(tenure.datasets.load_cdnow(kind="sample"),
                              observation_end="1998-06-30", unit="W",
                              calibration_end="1997-09-30")


def test_cdnow_with_a_holdout_chooses_pareto_nbd_and_says_why(cdnow):
    choice = choose_model(cdnow)
    frame = choice.frame.set_index("model")
    # Every continuous-time model was fitted; GGompertz/NBD runs to its Pareto/NBD limit on
    # CDNOW (a boundary), so it warns and is left aside.
    assert set(frame.index) == {"bgnbd", "mbgnbd", "pnbd", "ggomnbd"}
    assert frame.loc["ggomnbd", "cautions"] > 0
    assert choice.chosen == "pnbd" and choice.criterion == "holdout"
    # Pareto/NBD's per-customer error over the 39-week holdout is the lowest of the three.
    clean = frame.drop(index="ggomnbd")
    assert clean.holdout_mae.idxmin() == "pnbd"
    assert f"{frame.loc['pnbd', 'holdout_mae']:.4f}" in choice.reason
    assert "MBG/NBD, the next best" in choice.reason
    assert "GGompertz/NBD left aside" in choice.reason
    assert isinstance(choice.model, ParetoNBD)
    assert frame.chosen.sum() == 1 and frame.loc["pnbd", "chosen"]


def test_without_a_holdout_bic_decides(cdnow):
    calibration = cdnow[["customer_id", "frequency", "recency", "T"]]
    choice = choose_model(calibration, ["bgnbd", "mbgnbd", "pnbd"])
    frame = choice.frame.set_index("model")
    assert choice.criterion == "bic"
    assert choice.chosen == frame.bic.idxmin() == "mbgnbd"  # -9582.1 with 4 parameters
    assert "lowest BIC" in choice.reason and "no holdout" in choice.reason


def test_data_from_one_model_choose_that_model():
    rng = np.random.default_rng(2)
    data = ParetoNBD.simulate({"r": 0.8, "alpha": 6.0, "s": 0.4, "beta": 8.0}, n=30_000,
                              seed=4, T=rng.uniform(20, 80, 30_000))
    assert choose_model(data, ["bgnbd", "pnbd"]).chosen == "pnbd"


def test_unknown_models_are_refused(cdnow):
    with pytest.raises(ModelError, match="gg cannot be chosen among"):
        choose_model(cdnow, ["bgnbd", "gg"])
    tiny = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [3.0, 4.0]})
    choice = choose_model(tiny, ["bgnbd", "pnbd"])
    assert "every model's fit warned" in choice.reason
