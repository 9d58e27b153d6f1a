"""Actions and their proof: how much a treatment changed what customers did, and whom it
changes most.

- :func:`compare` measures each treated group against a control per outcome, with an
  interval fit for rates and for skewed amounts, CUPED on a pre-period covariate, a
  sample-ratio check and an honest ``inconclusive``.
- :class:`UpliftModel` predicts each customer's uplift (two-model or X-learner), and
  :func:`qini_curve`, :func:`qini_auc` and :func:`uplift_at_k` judge a ranking on held-out
  experimental data.
- :func:`simulate_experiment` and :func:`simulate_uplift` draw experiments whose true effects
  are known.

>>> import tenure
>>> from tenure.actions import compare
>>> result = compare(tenure.datasets.load_hillstrom(), group="segment", control="No E-Mail",
...                  outcomes="visit")
>>> result.frame["verdict"].tolist()
['higher', 'higher']
"""

from tenure.actions._compare import Comparison, compare
from tenure.actions._config import ActionsConfig, load_actions_config
from tenure.actions._explain import ActionExplanation, explain
from tenure.actions._lift import ActionLift, lift
from tenure.actions._list import ActionList, action_list
from tenure.actions._plan import ActionPlan, plan
from tenure.actions._qini import qini_auc, qini_curve, uplift_at_k
from tenure.actions._record import EVENTS, OutcomeRecord, record
from tenure.actions._simulate import UPLIFT_KINDS, simulate_experiment, simulate_uplift
from tenure.actions._simulation import SimulatedDays, simulate_days
from tenure.actions._srm import SampleRatio
from tenure.actions._uplift import UpliftModel

__all__ = [
    "EVENTS",
    "UPLIFT_KINDS",
    "ActionExplanation",
    "ActionLift",
    "ActionList",
    "ActionPlan",
    "ActionsConfig",
    "Comparison",
    "OutcomeRecord",
    "SampleRatio",
    "SimulatedDays",
    "UpliftModel",
    "action_list",
    "compare",
    "explain",
    "lift",
    "load_actions_config",
    "plan",
    "qini_auc",
    "qini_curve",
    "record",
    "simulate_days",
    "simulate_experiment",
    "simulate_uplift",
    "uplift_at_k",
]
