"""The workspace: one business's DuckDB store and its settings, and every table in it.

- :class:`Workspace` opens, creates and finds a workspace, hands out its connection and
  its Ibis tables, runs transactions and ingests;
- :mod:`~tenure.workspace._ingest` validates sources and lands them, with quarantine and an
  ingest log;
- :mod:`~tenure.workspace._migrations` declares every table tenure creates and migrates
  older workspaces forward;
- :mod:`~tenure.workspace._scores` writes the shared ``scores`` table.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenure.workspace._ingest import IngestReport
    from tenure.workspace._store import (
        CONFIG_FILE,
        DB_FILE,
        ENV_VAR,
        Quarantined,
        Workspace,
        WorkspaceStatus,
    )

# Loaded on first use: the value models import one table declaration from this package
# without paying for the store and ingest (DuckDB, the readers of every file format).
_HOMES = {"IngestReport": "_ingest", "CONFIG_FILE": "_store", "DB_FILE": "_store",
          "ENV_VAR": "_store", "Quarantined": "_store", "Workspace": "_store",
          "WorkspaceStatus": "_store"}

__all__ = ["CONFIG_FILE", "DB_FILE", "ENV_VAR", "IngestReport", "Quarantined", "Workspace",
           "WorkspaceStatus"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"tenure.workspace.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'tenure.workspace' has no attribute {name!r}")
