"""The workspace schema: every table tenure creates, and the forward migrations.

Three kinds of table live in a workspace, all declared here:

- the contract tables (:mod:`tenure.contract`), which ingest fills;
- the tables tenure writes itself (:data:`OWNED`): the ingest log, quarantine and row
  history, the shared ``scores``, the saved ``value_models``, ``sla_results``, the action
  ledger (``action_log`` with its runs, suppressions, outcomes and measured effects) and the
  catalogue of the engine's stored building blocks;
- the stored building blocks themselves (:data:`BLOCKS`, each ``analytics_NAME``): derived
  tables that the engine rebuilds whenever the tables they read change, so their columns
  follow the engine's expressions rather than a declaration.

``tenure_meta`` records the schema version. On open, every migration newer than the stored
version runs, in order, in one transaction with the version bump; then the contract tables
and the owned tables are brought in line with their declarations (missing tables created,
missing columns added), so that adding a column needs no migration of its own. A workspace
written by a newer tenure is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from tenure._sql import ident
from tenure.contract import TABLES
from tenure.errors import WorkspaceError

__all__ = ["BLOCKS", "MIGRATIONS", "OWNED", "SCHEMA_VERSION", "OwnedTable", "block_table",
           "migrate"]


@dataclass(frozen=True)
class OwnedTable:
    """A table tenure writes itself: its columns (name, DuckDB type), key and purpose."""

    name: str
    columns: tuple[tuple[str, str], ...]
    description: str
    primary_key: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def create(self) -> str:
        columns = [f"{ident(n)} {t}" for n, t in self.columns]
        if self.primary_key:
            columns.append(f"PRIMARY KEY ({', '.join(map(ident, self.primary_key))})")
        return f"CREATE TABLE IF NOT EXISTS {ident(self.name)} ({', '.join(columns)})"


# Columns of `scores` by the capability that writes them; each writes only its own.
VALUE_SCORE_COLUMNS: dict[str, str] = {
    "p_alive": "DOUBLE", "expected_purchases": "DOUBLE", "expected_spend": "DOUBLE",
    "clv": "DOUBLE", "model": "VARCHAR", "model_version": "VARCHAR",
    "horizon_days": "INTEGER",
}
CHURN_SCORE_COLUMNS: dict[str, str] = {
    "churn_risk": "DOUBLE", "churn_reason_1": "VARCHAR", "churn_reason_2": "VARCHAR",
    "churn_reason_3": "VARCHAR", "churn_model_version": "VARCHAR",
    "churn_horizon_days": "INTEGER",
}

# The action log, one row per customer, playbook and plan date (tenure.actions).
ACTION_LOG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("plan_date", "DATE NOT NULL"), ("customer_id", "VARCHAR NOT NULL"),
    ("playbook", "VARCHAR NOT NULL"), ("kind", "VARCHAR"), ("channel", "VARCHAR"),
    ("offer", "VARCHAR"), ("owner_id", "VARCHAR"), ("due_date", "DATE"),
    ("send_from", "TIMESTAMP"), ("send_until", "TIMESTAMP"), ("effect", "DOUBLE"),
    ("value_at_stake", "DOUBLE"), ("expected_value", "DOUBLE"), ("cost", "DOUBLE"),
    ("reason", "VARCHAR"), ("detail", "VARCHAR"), ("group", "VARCHAR"),
    ("status", "VARCHAR"), ("run_id", "BIGINT"), ("changed_run", "BIGINT"),
    ("note", "VARCHAR"))

OWNED: dict[str, OwnedTable] = {t.name: t for t in (
    OwnedTable("ingest_log", (
        ("ingest_id", "BIGINT NOT NULL"), ("table_name", "VARCHAR NOT NULL"),
        ("source", "VARCHAR NOT NULL"), ("format", "VARCHAR"), ("encoding", "VARCHAR"),
        ("started_at", "TIMESTAMP"), ("finished_at", "TIMESTAMP"), ("rows_read", "BIGINT"),
        ("blank_rows", "BIGINT"), ("landed", "BIGINT"), ("updated", "BIGINT"),
        ("unchanged", "BIGINT"), ("duplicates_merged", "BIGINT"), ("quarantined", "BIGINT"),
        ("columns", "VARCHAR"), ("ignored_columns", "VARCHAR[]"), ("excluded", "BIGINT"),
        ("totals_rows", "BIGINT"), ("removed", "BIGINT"), ("exclusions", "VARCHAR")),
        "Every ingest: its source, its counts by outcome (the rows excluded by status or "
        "filter, by reason, as JSON in exclusions), the columns it used and ignored."),
    OwnedTable("scores", (
        ("customer_id", "VARCHAR NOT NULL"), ("as_of", "DATE NOT NULL"),
        *VALUE_SCORE_COLUMNS.items(), *CHURN_SCORE_COLUMNS.items()),
        "One row per customer and as-of date: value-model and churn scores.",
        primary_key=("customer_id", "as_of")),
    OwnedTable("value_models", (
        ("model_version", "VARCHAR NOT NULL"), ("model", "VARCHAR NOT NULL"),
        ("options", "VARCHAR NOT NULL"), ("params", "VARCHAR NOT NULL"),
        ("standard_errors", "VARCHAR NOT NULL"), ("log_likelihood", "DOUBLE"),
        ("n_customers", "DOUBLE"), ("unit", "VARCHAR"), ("window_end", "DATE"),
        ("calibration_end", "DATE"), ("metrics", "VARCHAR NOT NULL"),
        ("fitted_at", "TIMESTAMP")),
        "Fitted value models with their training window and metrics.",
        primary_key=("model_version",)),
    OwnedTable("sla_results", (
        ("as_of", "TIMESTAMP"), ("ticket_id", "VARCHAR"), ("customer_id", "VARCHAR"),
        ("policy", "VARCHAR"), ("priority", "VARCHAR"), ("metric", "VARCHAR"),
        ("clock", "VARCHAR"), ("opened_at", "TIMESTAMP"), ("target_minutes", "BIGINT"),
        ("elapsed_minutes", "DOUBLE"), ("breached", "BOOLEAN"),
        ("breached_at", "TIMESTAMP_S"), ("remaining_minutes", "DOUBLE"),
        ("due_at", "TIMESTAMP_S"), ("stopped_at", "TIMESTAMP_S"), ("running", "BOOLEAN"),
        ("at_risk", "BOOLEAN"), ("waits", "INTEGER")),
        "Every SLA clock of every ticket as of the last evaluation."),
    OwnedTable("action_log", ACTION_LOG_COLUMNS,
        "The plan as a ledger: every action planned, held out or withdrawn, by customer, "
        "playbook and plan date, with its status as outcomes come back.",
        primary_key=("customer_id", "playbook", "plan_date")),
    OwnedTable("action_suppressed", (
        ("plan_date", "DATE NOT NULL"), ("customer_id", "VARCHAR NOT NULL"),
        ("playbook", "VARCHAR NOT NULL"), ("kind", "VARCHAR"), ("channel", "VARCHAR"),
        ("owner_id", "VARCHAR"), ("expected_value", "DOUBLE"),
        ("reason_code", "VARCHAR NOT NULL"), ("reason", "VARCHAR NOT NULL"),
        ("proposal", "VARCHAR"), ("tried", "VARCHAR"), ("run_id", "BIGINT")),
        "Every proposal of the latest plan of a date that was not chosen, with why."),
    OwnedTable("action_runs", (
        ("run_id", "BIGINT NOT NULL"), ("plan_date", "DATE NOT NULL"),
        ("started_at", "TIMESTAMP"), ("seconds", "DOUBLE"), ("proposals", "BIGINT"),
        ("planned", "BIGINT"), ("held_out", "BIGINT"), ("suppressed", "BIGINT"),
        ("added", "BIGINT"), ("changed", "BIGINT"), ("withdrawn", "BIGINT"),
        ("unchanged", "BIGINT"), ("settings", "VARCHAR")),
        "Each run of the planner: its date and what it changed in the ledger.",
        primary_key=("run_id",)),
    OwnedTable("action_outcomes", (
        ("customer_id", "VARCHAR NOT NULL"), ("playbook", "VARCHAR NOT NULL"),
        ("plan_date", "DATE NOT NULL"), ("event", "VARCHAR NOT NULL"), ("at", "TIMESTAMP"),
        ("channel", "VARCHAR"), ("record_id", "BIGINT")),
        "Channel outcomes of actions (sent, delivered, opened, replied, unsubscribed, "
        "refused), recorded from files.",
        primary_key=("customer_id", "playbook", "plan_date", "event")),
    OwnedTable("action_records", (
        ("record_id", "BIGINT NOT NULL"), ("source", "VARCHAR NOT NULL"),
        ("started_at", "TIMESTAMP"), ("rows_read", "BIGINT"), ("landed", "BIGINT"),
        ("unchanged", "BIGINT"), ("quarantined", "BIGINT")),
        "Each file of channel outcomes recorded.", primary_key=("record_id",)),
    OwnedTable("action_effects", (
        ("playbook", "VARCHAR NOT NULL"), ("metric", "VARCHAR NOT NULL"),
        ("measured_on", "DATE NOT NULL"), ("window_days", "INTEGER"),
        ("n_treated", "BIGINT"), ("n_control", "BIGINT"), ("estimate", "DOUBLE"),
        ("std_error", "DOUBLE"), ("model", "VARCHAR")),
        "Each playbook's measured lift, which the planner's ranking learns from, and its "
        "uplift model when one was fitted.",
        primary_key=("playbook", "metric", "measured_on")),
    OwnedTable("api_tokens", (
        ("token_id", "VARCHAR NOT NULL"), ("secret_hash", "VARCHAR NOT NULL"),
        ("role", "VARCHAR NOT NULL"), ("owner_id", "VARCHAR"), ("label", "VARCHAR"),
        ("created_at", "TIMESTAMP NOT NULL"), ("created_by", "VARCHAR"),
        ("revoked_at", "TIMESTAMP")),
        "Tokens of the service: their role and owner, the secret kept only as a hash.",
        primary_key=("token_id",)),
    OwnedTable("audit_log", (
        ("audit_id", "BIGINT NOT NULL"), ("at", "TIMESTAMP NOT NULL"),
        ("actor", "VARCHAR NOT NULL"), ("role", "VARCHAR"), ("action", "VARCHAR NOT NULL"),
        ("target", "VARCHAR"), ("detail", "VARCHAR"), ("client", "VARCHAR"),
        ("outcome", "VARCHAR NOT NULL")),
        "Every write through the service or a token command: who, what, when, from where, "
        "and how it ended.", primary_key=("audit_id",)),
    OwnedTable("analytics_blocks", (
        ("name", "VARCHAR NOT NULL"), ("version", "VARCHAR NOT NULL")),
        "The engine's stored building blocks and the version of the tables each was built "
        "from.", primary_key=("name",)),
)}

# The engine's stored building blocks, each kept as the table analytics_NAME.
BLOCKS = ("activity_day", "activity_week", "activity_month", "activity_quarter",
          "customer_summary", "customer_categories", "first_categories", "lead_progress",
          # The customer tables the service and the profile read (tenure.customers): one
          # card per customer and each customer's records, sorted by customer so that one
          # customer's rows are found without reading the others'.
          "customer_cards", "customer_orders", "customer_products", "customer_tickets",
          "customer_sla_clocks", "customer_contacts", "customer_consents",
          "customer_memberships", "customer_owners", "customer_referrals",
          "customer_churn_reasons", "customer_search", "customer_at_risk")


def block_table(name: str) -> str:
    """The table a stored building block lives in; only the declared blocks have one."""
    if name not in BLOCKS:
        raise ValueError(f"'{name}' is not a declared building block; add it to BLOCKS")
    return f"analytics_{name}"


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


def _owned(con: duckdb.DuckDBPyConnection) -> None:
    # Tables written before version 2 were created by the code that wrote them, as they
    # were first needed; those that exist keep their rows and gain their missing columns.
    for table in OWNED.values():
        con.execute(table.create())


MIGRATIONS: list[Migration] = [
    Migration(1, "ingest log, quarantine and row history", _bookkeeping),
    Migration(2, "scores, value models, SLA results and the building blocks' catalogue "
                 "declared with the schema", _owned),
    Migration(3, "the action log, its runs, suppressions, outcomes and measured effects",
              _owned),
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
    if version == 0:
        _refuse_foreign(con, where)
    pending = [m for m in MIGRATIONS if m.version > version]
    if not pending and not _declared_changes(con):
        return version
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE TABLE IF NOT EXISTS tenure_meta (key VARCHAR PRIMARY KEY, "
                    "value VARCHAR)")
        for migration in pending:
            migration.apply(con)
        for statement in _declared_changes(con):
            con.execute(statement)
        con.execute("INSERT OR REPLACE INTO tenure_meta VALUES ('schema_version', $v)",
                    {"v": str(latest)})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return version


def _existing_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The database's tables, each with its columns."""
    existing: dict[str, set[str]] = {}
    for table_name, column_name in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall():
        existing.setdefault(table_name, set()).add(column_name)
    return existing


def _refuse_foreign(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Refuse a DuckDB database that another program made, before anything is written to it.

    A database without ``tenure_meta`` is new (no tables) or a workspace written before
    schema versions were recorded, whose contract tables all carry ``_ingest_id``; one whose
    tables are neither (an ``orders`` table of its own making, or only tables tenure does not
    know) belongs to someone else, and adding tenure's tables and columns to it would change
    their data.
    """
    existing = _existing_columns(con)
    if not existing:
        return
    contract = [name for name in existing if name in TABLES]
    if contract and all("_ingest_id" in existing[name] for name in contract):
        return
    names = sorted(existing)
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    raise WorkspaceError(
        f"the database of workspace {where} is a DuckDB database that tenure did not make (it "
        f"holds {shown}); "
        "tenure leaves it as it is: move it out of the workspace folder, or give the "
        "workspace a folder of its own")


def _declared_changes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Statements that create the missing tables and columns of the contract and of the
    owned tables."""
    existing = _existing_columns(con)
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
    for table in OWNED.values():
        if table.name not in existing:
            statements.append(table.create())
            continue
        statements += [
            f"ALTER TABLE {ident(table.name)} ADD COLUMN {ident(name)} "
            f"{kind.replace(' NOT NULL', '')}"
            for name, kind in table.columns if name not in existing[table.name]
        ]
    return statements
