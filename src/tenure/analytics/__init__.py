"""Retention analytics: cohorts, lifecycle, growth, RFM, loyalty, funnel, referrals,
hand-overs and churn reasons, each one query in the engine with a typed result and a chart."""

from tenure.analytics._cohorts import CohortRetention, cohort_retention
from tenure.analytics._growth import NetGrowth, net_growth
from tenure.analytics._lifecycle import CustomerStates, Lifecycle, customer_states, lifecycle
from tenure.analytics._loyalty import LoyaltyLadder, loyalty_ladder
from tenure.analytics._rfm import RFM_SEGMENTS, RfmSegments, rfm_segments
from tenure.analytics._truth import StateAgreement, state_agreement

__all__ = ["CohortRetention", "CustomerStates", "Lifecycle", "LoyaltyLadder", "NetGrowth", "RFM_SEGMENTS",
           "RfmSegments", "StateAgreement",
           "cohort_retention", "customer_states", "lifecycle", "loyalty_ladder", "net_growth", "rfm_segments",
           "state_agreement"]
