"""Service level agreements: business-hours clocks, breaches, credits owed and compliance.

Policies and calendars live in the ``[sla]`` section of ``tenure.toml`` (see
``docs/sla.md``). :func:`evaluate` measures every ticket's clocks as of a moment;
:func:`credits` lists what is owed for a period; :func:`report` shows compliance.
"""

from tenure.sla._config import Calendar, Credit, Policy, SlaConfig, Targets
from tenure.sla._evaluate import SlaEvaluation, evaluate, load_config

__all__ = [
    "Calendar",
    "Credit",
    "Policy",
    "SlaConfig",
    "SlaEvaluation",
    "Targets",
    "evaluate",
    "load_config",
]
