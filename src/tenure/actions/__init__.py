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
from tenure.actions._qini import qini_auc, qini_curve, uplift_at_k
from tenure.actions._simulate import UPLIFT_KINDS, simulate_experiment, simulate_uplift
from tenure.actions._srm import SampleRatio
from tenure.actions._uplift import UpliftModel

__all__ = [
    "UPLIFT_KINDS",
    "Comparison",
    "SampleRatio",
    "UpliftModel",
    "compare",
    "qini_auc",
    "qini_curve",
    "simulate_experiment",
    "simulate_uplift",
    "uplift_at_k",
]
