"""A synthetic business with known ground truth, for tests, demos and benchmarks; and the
same business carried on with actions whose true effects are known."""

from tenure.simulate._actions import KINDS, ActionEffects, ActionWorld, write_world
from tenure.simulate._business import (
    Business,
    BusinessParams,
    MembershipTier,
    simulate_business,
    write_business,
)

__all__ = ["KINDS", "ActionEffects", "ActionWorld", "Business", "BusinessParams",
           "MembershipTier", "simulate_business", "write_business", "write_world"]
