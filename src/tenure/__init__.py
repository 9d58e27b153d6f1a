"""tenure: a customer-retention engine.

Turn a business's own records into measurement (cohorts, lifecycle, growth), prediction
(who is still a customer, what they will buy, who is about to leave) and action.

>>> import tenure
>>> orders = tenure.datasets.load_cdnow(kind="sample")
>>> orders.columns.tolist()[:5]
['customer_id', 'order_id', 'ordered_at', 'quantity', 'amount']
"""

import importlib
from typing import TYPE_CHECKING

from tenure._version import __version__ as __version__
from tenure.errors import (
    ConfigError,
    InputError,
    ModelError,
    NotFittedError,
    TenureError,
    WorkspaceError,
)

if TYPE_CHECKING:
    from tenure.config import Config
    from tenure.engine._rfm import rfm_summary
    from tenure.io import Mapping
    from tenure.workspace import IngestReport, Workspace, WorkspaceStatus

# The capabilities pull in DuckDB, Ibis, SciPy, LightGBM and more: each loads on first use,
# not on `import tenure`, so that a script pays only for what it uses.
_LAZY_PACKAGES = ("actions", "analytics", "capabilities", "churn", "datasets", "engine",
                  "models", "report", "simulate", "sla")
_LAZY_NAMES = {"Config": "tenure.config", "Mapping": "tenure.io",
               "IngestReport": "tenure.workspace", "Workspace": "tenure.workspace",
               "WorkspaceStatus": "tenure.workspace", "rfm_summary": "tenure.engine._rfm"}


def __getattr__(name: str):
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
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
