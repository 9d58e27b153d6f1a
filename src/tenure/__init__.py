"""tenure: a customer-retention engine.

Turn a business's own records into measurement (cohorts, lifecycle, growth), prediction
(who is still a customer, what they will buy, who is about to leave) and action.

>>> import tenure
>>> orders = tenure.datasets.load_cdnow(kind="sample")
>>> orders.columns.tolist()[:5]
['customer_id', 'order_id', 'ordered_at', 'quantity', 'amount']
"""

import importlib

from tenure import datasets
from tenure._version import __version__ as __version__
from tenure.config import Config
from tenure.errors import (
    ConfigError,
    InputError,
    ModelError,
    NotFittedError,
    TenureError,
    WorkspaceError,
)
from tenure.io import Mapping
from tenure.workspace import IngestReport, Workspace, WorkspaceStatus

# The capabilities pull in Ibis, SciPy, LightGBM and more: each loads on first use, not on
# `import tenure`, so that a script pays only for what it uses.
_LAZY_PACKAGES = ("actions", "analytics", "capabilities", "churn", "engine", "models",
                  "report", "simulate", "sla")


def __getattr__(name: str):
    if name == "rfm_summary":
        from tenure.engine._rfm import rfm_summary

        return rfm_summary
    if name in _LAZY_PACKAGES:
        return importlib.import_module(f"tenure.{name}")
    raise AttributeError(f"module 'tenure' has no attribute {name!r}")


__all__ = [
    "Config",
    "ConfigError",
    "IngestReport",
    "InputError",
    "Mapping",
    "ModelError",
    "NotFittedError",
    "TenureError",
    "Workspace",
    "WorkspaceError",
    "WorkspaceStatus",
    "actions",
    "analytics",
    "capabilities",
    "churn",
    "datasets",
    "engine",
    "models",
    "report",
    "rfm_summary",
    "simulate",
    "sla",
]
