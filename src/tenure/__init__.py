"""tenure: a customer-retention engine.

Turn a business's own records into measurement (cohorts, lifecycle, growth), prediction
(who is still a customer, what they will buy, who is about to leave) and action.

>>> import tenure
>>> orders = tenure.datasets.load_cdnow(kind="sample")
>>> orders.columns.tolist()[:5]
['customer_id', 'order_id', 'ordered_at', 'quantity', 'amount']
"""

from tenure import datasets
from tenure._ingest import IngestReport
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
from tenure.workspace import Workspace, WorkspaceStatus

__version__ = "0.1.0"


def __getattr__(name: str):
    # The value models and churn pull in Ibis, SciPy and LightGBM; load them on first
    # use, not on `import tenure`.
    if name == "rfm_summary":
        from tenure.models._summary import rfm_summary

        return rfm_summary
    if name in ("models", "churn"):
        import importlib

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
    "churn",
    "datasets",
    "models",
    "rfm_summary",
]
