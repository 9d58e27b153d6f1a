"""Retention analytics: cohorts, lifecycle, growth, RFM, loyalty, funnel, referrals,
hand-overs and churn reasons.

Each analysis is one function taking a Workspace (or a table, or a mapping of tables) and
keyword options such as ``period="month"``, ``by="segment"``, ``start`` and ``end``; it
checks its options, runs its query in the engine and returns a typed result with
``.frame`` (pandas), ``.headline`` (named figures), ``.lines()`` (them as sentences),
``.chart()`` (Vega-Lite, through Altair) and ``.to_dict()``.

>>> import tenure
>>> from tenure.analytics import net_growth
>>> growth = net_growth(tenure.datasets.load_cdnow(kind="sample"), period="quarter")
>>> int(growth.frame["lost"].sum())
1771
"""

from tenure.analytics._churn_reasons import ChurnReasons, churn_reasons
from tenure.analytics._cohorts import CohortRetention, cohort_retention
from tenure.analytics._funnel import Funnel, funnel
from tenure.analytics._growth import NetGrowth, net_growth
from tenure.analytics._handover import HandoverImpact, handover_impact
from tenure.analytics._lifecycle import (
    CustomerStates,
    Lifecycle,
    LifecycleRules,
    customer_states,
    lifecycle,
)
from tenure.analytics._loyalty import LoyaltyLadder, loyalty_ladder
from tenure.analytics._prepare import Prepared, prepare
from tenure.analytics._referrals import ReferralReach, referral_reach
from tenure.analytics._rfm import RFM_SEGMENTS, RfmSegments, rfm_segments
from tenure.analytics._truth import StateAgreement, state_agreement

__all__ = [
    "RFM_SEGMENTS",
    "ChurnReasons",
    "CohortRetention",
    "CustomerStates",
    "Funnel",
    "HandoverImpact",
    "Lifecycle",
    "LifecycleRules",
    "LoyaltyLadder",
    "NetGrowth",
    "Prepared",
    "ReferralReach",
    "RfmSegments",
    "StateAgreement",
    "churn_reasons",
    "cohort_retention",
    "customer_states",
    "funnel",
    "handover_impact",
    "lifecycle",
    "loyalty_ladder",
    "net_growth",
    "prepare",
    "referral_reach",
    "rfm_segments",
    "state_agreement",
]
