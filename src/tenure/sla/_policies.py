"""The SLA policies of a workspace as a table: who each applies to and its targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from tenure.results import Result
from tenure.sla._config import METRICS
from tenure.sla._evaluate import load_config

if TYPE_CHECKING:
    from tenure.workspace import Workspace

__all__ = ["SlaPolicies", "policies"]


@dataclass(frozen=True)
class SlaPolicies(Result):
    """``frame``: one row per policy and priority: policy, applies to, priority, clock,
    calendar (business-hours clocks) and the target of each metric in minutes (empty: no
    target)."""

    frame: pd.DataFrame
    default_policy: str | None

    @property
    def headline(self) -> dict[str, Any]:
        return {"policies": int(self.frame["policy"].nunique()) if len(self.frame) else 0,
                "targets": len(self.frame), "default_policy": self.default_policy}

    def lines(self) -> list[str]:
        return ["SLA policies (targets in minutes)"]


def policies(workspace: Workspace) -> SlaPolicies:
    """Check the ``[sla]`` section and list each policy's targets in minutes."""
    config = load_config(workspace)
    rows = []
    for policy in config.policies.values():
        applies = ", ".join([*(f"tier {t}" for t in policy.tiers),
                             *(f"customer {c}" for c in policy.customers)])
        if policy.name == config.default_policy:
            applies = ", ".join(filter(None, [applies, "everyone else"]))
        for target in policy.targets.values():
            rows.append({"policy": policy.name, "applies to": applies,
                         "priority": target.priority, "clock": target.clock,
                         "calendar": policy.calendar if target.clock == "business" else "",
                         **{m: target.minutes(m) for m in METRICS}})
    columns = ["policy", "applies to", "priority", "clock", "calendar", *METRICS]
    frame = pd.DataFrame(rows, columns=columns)
    for metric in METRICS:
        frame[metric] = frame[metric].astype("Int64")
    return SlaPolicies(frame, config.default_policy)
