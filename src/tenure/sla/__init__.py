"""Service level agreements: business-hours clocks, breaches, credits owed and compliance.

Policies and calendars live in the ``[sla]`` section of ``tenure.toml`` (``docs/sla.md``
has a complete example). :func:`evaluate` measures every ticket's clocks as of a moment
into the ``sla_results`` table; :func:`credits` lists what is owed for a period;
:func:`report` shows compliance and the customers who fared worst;
:func:`customer_breaches` gives breach counts and recency per customer as of a date, for
churn models.
"""

from tenure.sla._config import METRICS, Calendar, Credit, Policy, SlaConfig, Targets
from tenure.sla._credits import Period, SlaCredits, credits, parse_period
from tenure.sla._evaluate import (
    SlaClocks,
    SlaEvaluation,
    clock_list,
    clocks,
    evaluate,
    load_config,
)
from tenure.sla._features import CustomerBreaches, customer_breaches
from tenure.sla._policies import SlaPolicies, policies
from tenure.sla._report import SlaReport, report
from tenure.sla._statuses import STATUS_WORDS

__all__ = [
    "METRICS",
    "STATUS_WORDS",
    "Calendar",
    "Credit",
    "CustomerBreaches",
    "Period",
    "Policy",
    "SlaClocks",
    "SlaConfig",
    "SlaCredits",
    "SlaEvaluation",
    "SlaPolicies",
    "SlaReport",
    "Targets",
    "clock_list",
    "clocks",
    "credits",
    "customer_breaches",
    "evaluate",
    "load_config",
    "parse_period",
    "policies",
    "report",
]
