"""The workspace: one business's DuckDB store and its settings, and every table in it.

- :class:`Workspace` opens, creates and finds a workspace, hands out its connection and
  its Ibis tables, runs transactions and ingests;
- :mod:`~tenure.workspace._ingest` validates sources and lands them, with quarantine and an
  ingest log;
- :mod:`~tenure.workspace._migrations` declares every table tenure creates and migrates
  older workspaces forward;
- :mod:`~tenure.workspace._scores` writes the shared ``scores`` table.
"""

from tenure.workspace._ingest import IngestReport
from tenure.workspace._store import (
    CONFIG_FILE,
    DB_FILE,
    ENV_VAR,
    Quarantined,
    Workspace,
    WorkspaceStatus,
)

__all__ = ["CONFIG_FILE", "DB_FILE", "ENV_VAR", "IngestReport", "Quarantined", "Workspace",
           "WorkspaceStatus"]
