"""A synthetic business with known ground truth, for tests, demos and benchmarks."""

from tenure.simulate._business import (
    Business,
    BusinessParams,
    MembershipTier,
    simulate_business,
    write_business,
)

__all__ = ["Business", "BusinessParams", "MembershipTier", "simulate_business", "write_business"]
