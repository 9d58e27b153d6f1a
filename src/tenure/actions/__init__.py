"""Actions and their proof: how much a treatment changed what customers did, and whom it
changes most.

- :func:`compare` measures each treated group against a control per outcome, with an
  interval fit for rates and for skewed amounts, CUPED on a pre-period covariate, a
  sample-ratio check and an honest ``inconclusive``.
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
from tenure.actions._simulate import UPLIFT_KINDS, simulate_experiment, simulate_uplift
from tenure.actions._srm import SampleRatio

__all__ = [
    "UPLIFT_KINDS",
    "Comparison",
    "SampleRatio",
    "compare",
    "simulate_experiment",
    "simulate_uplift",
]
