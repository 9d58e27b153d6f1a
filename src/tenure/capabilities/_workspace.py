"""What a workspace does with its data: ingest, status and quarantine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tenure.capabilities._spec import Capability, option
from tenure.contract import TABLES

__all__ = ["WORKSPACE"]


@dataclass(frozen=True)
class IngestOptions:
    table: str = option(help="Contract table: orders, customers, ...", choices=tuple(TABLES))
    source: Path = option(help="CSV, Parquet, JSON lines or Excel file.")
    map: Path | None = option(None, help="Mapping file (TOML) from your column names to the "
                                         "contract's.")


@dataclass(frozen=True)
class NoOptions:
    pass


@dataclass(frozen=True)
class QuarantineOptions:
    table: str | None = option(None, help="Only this table.", choices=tuple(TABLES))
    reason: str | None = option(None, help="Only this reason (unparseable, "
                                           "missing_required, ...).")
    limit: int | None = option(None, help="At most this many rows.", low=1)


def _ingest(ws, o: IngestOptions, progress):
    return ws.ingest(o.table, o.source, o.map, progress=progress)


def _status(ws, o: NoOptions, progress):
    return ws.status()


def _quarantine(ws, o: QuarantineOptions, progress):
    return ws.quarantined(o.table, reason=o.reason, limit=o.limit)


WORKSPACE: tuple[Capability, ...] = (
    Capability("ingest", "Validate a file and land it in a table; bad rows go to quarantine.",
               IngestOptions, _ingest, "tenure.workspace:IngestReport",
               "tenure ingest orders 订单.csv --map 订单映射.toml", writes=True),
    Capability("status", "Show tables, row counts, date ranges and the latest ingests.",
               NoOptions, _status, "tenure.workspace:WorkspaceStatus",
               "tenure status --workspace shop"),
    Capability("quarantine", "List rows held back at ingest, with file, row, column and "
               "reason.", QuarantineOptions, _quarantine, "tenure.workspace:Quarantined",
               "tenure quarantine --table orders --csv problems.csv"),
)
