"""The capability registry: every user-facing capability, declared once.

Each :class:`Capability` names itself (``analyze cohorts``, ``fit``, ``churn train``...),
declares its options as a frozen dataclass with types, defaults and help (checked in one
place, :func:`parse_options`), the library function that runs it and the type of its
result (a :class:`tenure.results.Result`: ``frame``, ``headline``, ``lines()``,
``chart()``, ``to_dict()``). The command line, the HTTP API, the dashboard and the report
are built over :data:`REGISTRY`, so none of them holds logic of its own and a new
capability appears in all of them with one declaration.

>>> import tempfile, tenure
>>> from tenure.capabilities import REGISTRY
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/shop")
>>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
>>> result = REGISTRY["analyze growth"](ws, {"period": "quarter"})
>>> result.headline["lost"]
1771
"""

from __future__ import annotations

from tenure.capabilities._access import ACCESS
from tenure.capabilities._actions import ACTIONS
from tenure.capabilities._analytics import ANALYSES
from tenure.capabilities._churn import CHURN
from tenure.capabilities._customers import CUSTOMERS
from tenure.capabilities._models import VALUE_MODELS
from tenure.capabilities._sla import SLA
from tenure.capabilities._spec import Capability, OptionSpec, option, option_specs, parse_options
from tenure.capabilities._workspace import WORKSPACE

__all__ = ["GROUPS", "REGISTRY", "Capability", "OptionSpec", "option", "option_specs",
           "parse_options"]

REGISTRY: dict[str, Capability] = {c.name: c for c in (*WORKSPACE, *VALUE_MODELS, *ANALYSES,
                                                      *CHURN, *SLA, *ACTIONS, *CUSTOMERS,
                                                      *ACCESS)}

# The groups of commands, with what each holds.
GROUPS: dict[str, str] = {
    "analyze": "Retention analytics: cohorts, lifecycle, growth, RFM, loyalty, funnel, "
               "referrals, hand-overs and churn reasons.",
    "churn": "Churn risk: train the model, backtest it against baselines, and score "
             "customers.",
    "sla": "Service level agreements: clocks, breaches, credits owed and compliance.\n\n"
           "Policies and calendars live in the [sla] section of tenure.toml (see docs/sla.md).",
    "actions": "Actions: plan each day's actions under the contact policy, list and explain "
               "them, record their outcomes and measure their lift.\n\n"
               "Playbooks, channels and the policy live in the [actions] section of "
               "tenure.toml (see docs/actions.md).",
    "customers": "The customers one by one: the overview of the base, search, the at-risk "
                 "list and profiles.",
    "models": "The saved models: the value page and the model page.",
    "token": "Tokens of the service (tenure serve): make, list and revoke them.",
    "audit": "The audit log of the service's writes and of token changes.",
}
