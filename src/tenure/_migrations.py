"""The workspace schema and its forward migrations.

``tenure_meta`` records the schema version. On open, every migration newer than the stored
version runs, in order, in one transaction with the version bump; then the contract tables
are brought in line with :mod:`tenure.contract` (missing tables created, missing columns
added), so that adding a column to the contract needs no migration of its own. A workspace
written by a newer tenure is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from tenure._sql import ident
from tenure.contract import TABLES
from tenure.errors import WorkspaceError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


def _bookkeeping(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE TABLE IF NOT EXISTS ingest_log (
            ingest_id BIGINT NOT NULL,
            table_name VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            format VARCHAR,
            encoding VARCHAR,
            started_at TIMESTAMP,
            finished_at TIMESTAMP,
            rows_read BIGINT,
            blank_rows BIGINT,
            landed BIGINT,
            updated BIGINT,
            unchanged BIGINT,
            duplicates_merged BIGINT,
            quarantined BIGINT,
            columns VARCHAR,
            ignored_columns VARCHAR[]
        )""")
    con.execute("""
        CREATE TABLE IF NOT EXISTS quarantine (
            ingest_id BIGINT NOT NULL,
            table_name VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            "row" BIGINT,
            column_name VARCHAR,
            reason VARCHAR NOT NULL,
            value VARCHAR,
            message VARCHAR NOT NULL
        )""")
    con.execute("""
        CREATE TABLE IF NOT EXISTS row_history (
            ingest_id BIGINT NOT NULL,
            table_name VARCHAR NOT NULL,
            "key" VARCHAR NOT NULL,
            previous VARCHAR NOT NULL
        )""")


MIGRATIONS: list[Migration] = [
    Migration(1, "ingest log, quarantine and row history", _bookkeeping),
]
SCHEMA_VERSION = MIGRATIONS[-1].version


def stored_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'tenure_meta' "
        "AND database_name = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return 0
    rows = con.execute("SELECT value FROM tenure_meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def migrate(con: duckdb.DuckDBPyConnection, where: str) -> int:
    """Bring the database forward to the current schema; return the version it had."""
    version = stored_version(con)
    latest = MIGRATIONS[-1].version
    if version > latest:
        raise WorkspaceError(
            f"{where} was written by a newer tenure (schema {version}, this one knows up to "
            f"{latest}); upgrade tenure to open it"
        )
    pending = [m for m in MIGRATIONS if m.version > version]
    if not pending and not _contract_changes(con):
        return version
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE TABLE IF NOT EXISTS tenure_meta (key VARCHAR PRIMARY KEY, "
                    "value VARCHAR)")
        for migration in pending:
            migration.apply(con)
        for statement in _contract_changes(con):
            con.execute(statement)
        con.execute("INSERT OR REPLACE INTO tenure_meta VALUES ('schema_version', $v)",
                    {"v": str(latest)})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return version


def _contract_changes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Statements that create the contract's missing tables and columns."""
    existing: dict[str, set[str]] = {}
    for table_name, column_name in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall():
        existing.setdefault(table_name, set()).add(column_name)
    statements = []
    for spec in TABLES.values():
        if spec.name not in existing:
            columns = ", ".join(f"{ident(c.name)} {c.sql_type}" for c in spec.columns)
            statements.append(f"CREATE TABLE {ident(spec.name)} ({columns}, _ingest_id BIGINT)")
            continue
        statements += [
            f"ALTER TABLE {ident(spec.name)} ADD COLUMN {ident(c.name)} {c.sql_type}"
            for c in spec.columns
            if c.name not in existing[spec.name]
        ]
    return statements
