"""Churn risk: who is about to leave, why, and what moves customers to stay or go.

- :func:`snapshot` builds, for an as-of date, one row per customer counted then, with
  point-in-time features (from data stamped before the date) and the churn label (from the
  horizon after it), under the :class:`ChurnDefinition` in force.
- :class:`ChurnModel` is a calibrated LightGBM classifier over those features, with
  per-customer reasons (:meth:`ChurnModel.explain`) and key drivers
  (:meth:`ChurnModel.drivers`).
- :func:`backtest` compares it with baselines over rolling-origin folds; :func:`train` and
  :func:`score` fit a model on a workspace and write churn risk into the ``scores`` table.
- :func:`survival` gives Kaplan-Meier retention curves and Cox hazard ratios.

>>> import tempfile, tenure
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/cdnow")
>>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
>>> print(tenure.churn.churn_definition(ws, horizon="26W"))
churn (non-contractual): no purchase in the 182 days (26 weeks) from the as-of date, among \
customers who bought in as many days before it; horizon given
"""

from tenure.churn._backtest import BacktestResult, backtest
from tenure.churn._dates import horizon_days
from tenure.churn._definition import ChurnDefinition, churn_definition
from tenure.churn._drivers import KeyDrivers, key_drivers
from tenure.churn._features import Feature, FeatureContext, FeatureGroup
from tenure.churn._groups import FEATURE_GROUPS
from tenure.churn._model import ChurnModel, TrainingWindow
from tenure.churn._reasons import Reasons
from tenure.churn._scorers import SCORERS, FeatureBaseline, ModelScorer, Scorer, SurvivalBaseline
from tenure.churn._scores import ChurnScores, score
from tenure.churn._snapshot import Snapshot, features, snapshot
from tenure.churn._survival import SurvivalResult, survival
from tenure.churn._train import ChurnTraining, model_path, train, train_and_save
from tenure.churn._truth import simulated_truth

__all__ = [
    "FEATURE_GROUPS",
    "SCORERS",
    "BacktestResult",
    "ChurnDefinition",
    "ChurnModel",
    "ChurnScores",
    "ChurnTraining",
    "Feature",
    "FeatureBaseline",
    "FeatureContext",
    "FeatureGroup",
    "KeyDrivers",
    "ModelScorer",
    "Reasons",
    "Scorer",
    "Snapshot",
    "SurvivalBaseline",
    "SurvivalResult",
    "TrainingWindow",
    "backtest",
    "churn_definition",
    "features",
    "horizon_days",
    "key_drivers",
    "model_path",
    "score",
    "simulated_truth",
    "snapshot",
    "survival",
    "train",
    "train_and_save",
]
