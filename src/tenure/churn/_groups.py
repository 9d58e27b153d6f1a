"""The feature groups a snapshot computes, in order.

A new group is one module defining a :class:`~tenure.churn.FeatureGroup` and one line here.
"""

from __future__ import annotations

from tenure.churn._engagement import ENGAGEMENT
from tenure.churn._features import FeatureGroup
from tenure.churn._membership import MEMBERSHIP
from tenure.churn._products import PRODUCTS
from tenure.churn._purchases import PURCHASES
from tenure.churn._relationship import RELATIONSHIP
from tenure.churn._service import SERVICE
from tenure.churn._support import SUPPORT
from tenure.churn._value import VALUE
from tenure.errors import ConfigError

__all__ = ["FEATURE_GROUPS", "feature_groups"]

FEATURE_GROUPS: dict[str, FeatureGroup] = {
    group.name: group
    for group in (PURCHASES, VALUE, PRODUCTS, SUPPORT, SERVICE, ENGAGEMENT, MEMBERSHIP,
                  RELATIONSHIP)
}


def feature_groups(names=None) -> tuple[FeatureGroup, ...]:
    """The groups named (all of them when None), checked."""
    if names is None:
        return tuple(FEATURE_GROUPS.values())
    chosen = []
    for name in ([names] if isinstance(names, str | FeatureGroup) else names):
        if isinstance(name, FeatureGroup):
            chosen.append(name)
        elif name in FEATURE_GROUPS:
            chosen.append(FEATURE_GROUPS[name])
        else:
            raise ConfigError(f"there is no feature group '{name}'; the groups are: "
                              f"{', '.join(FEATURE_GROUPS)}")
    if "purchases" not in {g.name for g in chosen}:
        raise ConfigError("the purchases feature group is needed (the baselines and the "
                          "reasons read it); add 'purchases' to the groups")
    seen: dict[str, str] = {}
    for group in chosen:
        for feature in group.features:
            if feature.name in seen:
                raise ConfigError(f"feature '{feature.name}' is in both the {seen[feature.name]} "
                                  f"and the {group.name} groups; rename one")
            seen[feature.name] = group.name
    return tuple(chosen)
