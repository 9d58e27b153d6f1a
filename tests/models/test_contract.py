"""One contract over every model class: add a model to MODELS and it is tested here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tenure.errors import NotFittedError
from tenure.models import MODELS


@pytest.fixture(params=sorted(MODELS), ids=sorted(MODELS))
def cls(request):
    return MODELS[request.param]


def test_fit_predict_summary_repr(cls):
    data = cls.simulate(cls.example_params, n=3000, seed=5)
    model = cls()
    assert repr(model) == f"{cls.__name__}(not fitted)"
    assert model.fit(data) is model
    assert set(model.params_) == set(cls.param_names)
    assert np.isfinite(model.log_likelihood_) and model.log_likelihood_ < 0
    assert all(se > 0 for se in model.standard_errors_.values())
    summary = model.summary()
    assert summary.columns.tolist() == ["parameter", "estimate", "std_error", "lower_95",
                                        "upper_95"]
    assert (summary.lower_95 < summary.estimate).all()
    assert (summary.estimate < summary.upper_95).all()
    predictions = model.predict(data)
    assert isinstance(predictions, pd.DataFrame) and len(predictions) == len(data)
    assert np.isfinite(predictions.to_numpy()).all()
    assert repr(model).startswith(f"{cls.__name__}(") and "log_likelihood=" in repr(model)
    assert model.aic_ == pytest.approx(2 * len(cls.param_names) - 2 * model.log_likelihood_)
    assert model.diagnostics_.converged


def test_every_prediction_needs_a_fit(cls):
    data = cls.simulate(cls.example_params, n=50, seed=1)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        cls().predict(data)
    with pytest.raises(NotFittedError):
        cls().summary()


def test_from_params_round_trips_through_to_dict(cls):
    model = cls.from_params(cls.example_params)
    again = cls.from_params(model.to_dict()["params"])
    data = cls.simulate(cls.example_params, n=20, seed=2)
    pd.testing.assert_frame_equal(model.predict(data), again.predict(data))
    assert model.version_ == again.version_


def test_simulator_is_seeded(cls):
    a = cls.simulate(cls.example_params, n=200, seed=3)
    b = cls.simulate(cls.example_params, n=200, seed=3)
    pd.testing.assert_frame_equal(a, b)
