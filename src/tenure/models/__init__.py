"""Customer value models: who is still a customer, what they will buy, what they are worth.

One class per model, scikit-learn style: options in ``__init__``, ``fit(data)`` returns the
model, estimates end in ``_`` and every prediction refuses to run before ``fit``.

>>> import tenure
>>> from tenure.models import BetaGeo, GammaGamma
>>> orders = tenure.datasets.load_cdnow(kind="sample")
>>> s = tenure.rfm_summary(orders, observation_end="1997-09-30", unit="W")
>>> bg = BetaGeo().fit(s)
>>> round(bg.log_likelihood_, 1)
-9582.4
"""

from tenure.engine._rfm import rfm_expression, rfm_summary
from tenure.models._base import FitDiagnostics, ModelWarning, ValueModel
from tenure.models._beta_geo import BetaGeo
from tenure.models._beta_geo_beta_binom import BetaGeoBetaBinom
from tenure.models._gamma_gamma import GammaGamma
from tenure.models._ggompertz import GGompertzNBD
from tenure.models._modified_beta_geo import ModifiedBetaGeo
from tenure.models._pareto_nbd import ParetoNBD
from tenure.models._pareto_nbd_dynamic import DynamicHistories, ParetoNBDDynamic
from tenure.models._registry import MODELS
from tenure.models._shifted_beta_geo import ShiftedBetaGeo

__all__ = [
    "MODELS",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "DynamicHistories",
    "FitDiagnostics",
    "GGompertzNBD",
    "GammaGamma",
    "ModelWarning",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "ParetoNBDDynamic",
    "ShiftedBetaGeo",
    "ValueModel",
    "rfm_expression",
    "rfm_summary",
]

from tenure.engine._rfm import discrete_summary, purchase_times
from tenure.models._choice import ModelChoice, choose_model
from tenure.models._evaluation import (
    HoldoutError,
    ModelComparison,
    check_forecasts,
    compare_models,
    holdout_error,
)
from tenure.models._export import (
    ScoreDate,
    ScoreExport,
    export_scores,
    score_date,
    score_frame,
)
from tenure.models._intervals import PredictionIntervals, prediction_intervals
from tenure.models._scores import (
    FitReport,
    ScoreResult,
    customer_scores,
    fit_workspace,
    model_table,
    parse_horizon,
    score,
)
from tenure.models._store import SavedModel, last_fitted, load_model, saved_models

__all__ += [
    "FitReport",
    "HoldoutError",
    "ModelChoice",
    "ModelComparison",
    "PredictionIntervals",
    "SavedModel",
    "ScoreDate",
    "ScoreExport",
    "ScoreResult",
    "check_forecasts",
    "choose_model",
    "compare_models",
    "customer_scores",
    "discrete_summary",
    "export_scores",
    "fit_workspace",
    "holdout_error",
    "last_fitted",
    "load_model",
    "model_table",
    "parse_horizon",
    "prediction_intervals",
    "purchase_times",
    "saved_models",
    "score",
    "score_date",
    "score_frame",
]
