"""Retention analytics: cohorts, lifecycle, growth, RFM, loyalty, funnel, referrals,
hand-overs and churn reasons, each one query in the engine with a typed result and a chart."""

from tenure.analytics._churn_reasons import ChurnReasons, churn_reasons
from tenure.analytics._cohorts import CohortRetention, cohort_retention
from tenure.analytics._funnel import Funnel, funnel
from tenure.analytics._growth import NetGrowth, net_growth
from tenure.analytics._handover import HandoverImpact, handover_impact
from tenure.analytics._lifecycle import CustomerStates, Lifecycle, customer_states, lifecycle
from tenure.analytics._loyalty import LoyaltyLadder, loyalty_ladder
from tenure.analytics._referrals import ReferralReach, referral_reach
from tenure.analytics._rfm import RFM_SEGMENTS, RfmSegments, rfm_segments
from tenure.analytics._truth import StateAgreement, state_agreement

__all__ = ["ChurnReasons", "CohortRetention", "CustomerStates", "Funnel", "HandoverImpact", "Lifecycle", "LoyaltyLadder", "NetGrowth", "RFM_SEGMENTS", "ReferralReach",
           "RfmSegments", "StateAgreement",
           "churn_reasons", "cohort_retention", "customer_states", "funnel", "handover_impact",
           "lifecycle", "loyalty_ladder", "net_growth", "referral_reach",
           "rfm_segments",
           "state_agreement"]
