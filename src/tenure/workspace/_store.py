"""The workspace: a folder holding a DuckDB database and its ``tenure.toml``.

>>> import tempfile, tenure
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/shop", timezone="Asia/Shanghai")
>>> report = ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
>>> report.landed
6919
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from tenure._sql import ident, select_where
from tenure.config import Config, render_toml, set_value
from tenure.contract import TABLES
from tenure.errors import WorkspaceError
from tenure.i18n import LANGUAGES, translate
from tenure.progress import Progress, Steps, steps_of
from tenure.results import Result, counted
from tenure.workspace._ingest import ingest
from tenure.workspace._migrations import SCHEMA_VERSION, migrate
from tenure.workspace._serving import check_free
from tenure.workspace._transaction import Runner, transaction

__all__ = ["Quarantined", "Workspace", "WorkspaceStatus"]

CONFIG_FILE = "tenure.toml"
DB_FILE = "tenure.duckdb"
ENV_VAR = "TENURE_WORKSPACE"


@dataclass(frozen=True)
class WorkspaceStatus(Result):
    """What a workspace holds: a row per contract table (``tables``: table_name, rows,
    first, last, last_ingest) and the latest ingests."""

    path: Path
    schema_version: int
    timezone: str
    tables: pd.DataFrame
    ingests: pd.DataFrame
    quarantined: int

    @property
    def frame(self) -> pd.DataFrame:
        return self.tables

    @property
    def headline(self) -> dict[str, Any]:
        return {"path": self.path, "schema_version": self.schema_version,
                "timezone": self.timezone, "rows": int(self.tables["rows"].sum()),
                "quarantined": self.quarantined}

    def lines(self) -> list[str]:
        said = [f"Workspace {self.path} (schema {self.schema_version}, times in "
                f"{self.timezone})"]
        if self.quarantined:
            said.append(f"{counted(self.quarantined, 'row')} in quarantine: tenure quarantine")
        return said

    def view(self) -> pd.DataFrame:
        return self.tables.rename(columns={"table_name": "table"})

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"ingests": self.ingests}

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        shown = [("Tables", self.view())]
        if len(self.ingests):
            shown.append(("Latest ingests", self.ingests))
        return shown


@dataclass(frozen=True)
class Quarantined(Result):
    """Rows held back from ingest: ``frame`` has ingest_id, table_name, source, row,
    column_name, reason, value and message."""

    frame: pd.DataFrame

    @property
    def headline(self) -> dict[str, Any]:
        return {"rows": len(self.frame),
                **{f"reason_{k}": int(v) for k, v in self.frame["reason"].value_counts().items()}}

    def lines(self) -> list[str]:
        return [] if len(self.frame) else ["Nothing in quarantine."]

    def view(self) -> pd.DataFrame:
        return self.frame[["table_name", "source", "row", "column_name", "reason", "value",
                           "message"]].rename(columns={"table_name": "table",
                                                       "column_name": "column"})

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        # One table per file, so that the rows have room for their messages.
        return [(f"{table} ← {source}",
                 rows[["row", "column_name", "reason", "value", "message"]].rename(
                     columns={"column_name": "column"}))
                for (table, source), rows in self.frame.groupby(["table_name", "source"],
                                                                sort=False)]


def _check_database_file(path: Path) -> None:
    """Refuse, in words, a database file that DuckDB could not open for what it is."""
    if not path.exists():
        return
    if path.is_dir():
        raise WorkspaceError(f"{path} is a folder where the workspace's database file should "
                             "be; move it away and try again")
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except PermissionError:
        raise WorkspaceError(f"{path} cannot be read (permission denied); give your user "
                             "access to the workspace folder") from None
    if not os.access(path, os.W_OK):
        raise WorkspaceError(f"{path} cannot be written (permission denied); give your user "
                             "write access to the workspace folder")
    if not head:
        raise WorkspaceError(f"{path} is empty (0 bytes), not a DuckDB database; restore it "
                             "from a backup, or delete it to start the workspace afresh")
    if head[8:12] != b"DUCK":
        raise WorkspaceError(f"{path} is not a DuckDB database, the file a workspace keeps its "
                             "data in; restore it from a backup, or move it away to start "
                             "the workspace afresh")


def _locked_elsewhere(path: Path) -> bool:
    """Whether another process holds the lock DuckDB takes on a database it opens."""
    try:
        import fcntl
    except ImportError:  # Windows: DuckDB's message says it
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


class Workspace:
    """A tenure workspace: the DuckDB store of one business and its settings.

    Open an existing one with ``Workspace(path)``; create one with :meth:`Workspace.init`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser().resolve()
        config_path = self.path / CONFIG_FILE
        if not config_path.is_file():
            raise WorkspaceError(
                f"{self.path} is not a tenure workspace (no {CONFIG_FILE}); create one with "
                f"`tenure init {path}`"
            )
        self.config = Config.load(config_path)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._ibis = None

    # -- creating and finding -------------------------------------------------------------
    @classmethod
    def init(cls, path: str | Path, *, timezone: str | None = None,
             currency: str | None = None, exist_ok: bool = False,
             language: str = "en") -> Workspace:
        """Create a workspace at ``path`` (a new or empty folder) and return it open; the
        comments of its ``tenure.toml`` are in ``language``."""
        folder = Path(path).expanduser()
        if (folder / CONFIG_FILE).exists():
            if exist_ok:
                return cls(folder)
            raise WorkspaceError(f"{folder} is already a tenure workspace; open it instead")
        if folder.exists() and not folder.is_dir():
            raise WorkspaceError(f"{folder} is a file; give a folder for the workspace")
        if language not in LANGUAGES:
            raise WorkspaceError(f"language '{language}' is not supported; use zh or en")
        overrides: dict[str, Any] = {}
        if timezone:
            overrides["workspace.timezone"] = timezone
        if currency:
            overrides["workspace.currency"] = currency
        Config(overrides)  # validates before anything is written
        folder.mkdir(parents=True, exist_ok=True)
        text = render_toml(overrides, translate=lambda said: translate(said, language))
        (folder / CONFIG_FILE).write_text(text, encoding="utf-8")
        workspace = cls(folder)
        workspace.connection  # noqa: B018 - creates the database and its tables
        return workspace

    @classmethod
    def find(cls, path: str | Path | None = None) -> Workspace:
        """The workspace at ``path``, else ``$TENURE_WORKSPACE``, else the one enclosing the
        current folder."""
        if path is not None:
            return cls(path)
        env = os.environ.get(ENV_VAR)
        if env:
            return cls(env)
        here = Path.cwd().resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file():
                return cls(folder)
        raise WorkspaceError(
            "no workspace here; pass --workspace DIR, set TENURE_WORKSPACE, or create one "
            "with `tenure init DIR`"
        )

    # -- the database ---------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.path / DB_FILE

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection, opened (and migrated) on first use."""
        if self._con is None:
            check_free(self.path)
            settings: dict[str, Any] = {"memory_limit": self.config["engine.memory_limit"]}
            if self.config["engine.threads"]:
                settings["threads"] = self.config["engine.threads"]
            _check_database_file(self.db_path)
            try:
                con = duckdb.connect(str(self.db_path), config=settings)
            except duckdb.IOException as exc:
                check_free(self.path)  # a server that started meanwhile is named
                if _locked_elsewhere(self.db_path):
                    raise WorkspaceError(
                        f"{self.db_path} is in use by another process (another tenure command "
                        "or a notebook holding it open); wait for it to finish, or close it, "
                        "and try again") from None
                raise WorkspaceError(
                    f"cannot open {self.db_path} ({str(exc).splitlines()[0]}); the file may be "
                    "damaged: restore it from a backup, or move it away to start the "
                    "workspace afresh") from None
            self._session(con)
            try:
                migrate(con, str(self.path))
            except BaseException:
                con.close()
                raise
            self._con = con
        return self._con

    def _session(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        con.execute("SET TimeZone = $tz", {"tz": self.config["workspace.timezone"]})
        # A page of wide rows (SELECT * ... ORDER BY ... LIMIT 100) reads its sort columns
        # first and fetches the rest for the rows kept, as it does for 50 rows or fewer.
        con.execute("SET late_materialization_max_rows = 1000")

    def reader(self) -> Workspace:
        """Another handle on this workspace's open database for another thread (a DuckDB
        cursor: it sees what is committed and runs beside the others). Closing it leaves
        the database open."""
        other = object.__new__(Workspace)
        other.path, other.config, other._ibis = self.path, self.config, None
        other._con = self.connection.cursor()
        self._session(other._con)
        return other

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
            self._ibis = None

    def set_setting(self, key: str, text: str) -> Any:
        """Change setting ``key`` in ``tenure.toml`` from its text (lists comma-separated),
        keeping the file's comments; return the value stored."""
        value = set_value(self.path / CONFIG_FILE, key, text)
        self.config = Config.load(self.path / CONFIG_FILE)
        return value

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    def runner(self, progress: Progress | Steps = None) -> Runner:
        """Runs statements on this workspace, reporting each to ``progress``."""
        return Runner(self.connection, steps_of(progress))

    def transaction(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A block whose writes land together or not at all."""
        return transaction(self.connection)

    # -- the engine -----------------------------------------------------------------------
    @property
    def ibis(self):
        """An Ibis backend over this workspace's database (see :mod:`tenure.engine`)."""
        if self._ibis is None:
            import ibis

            # Shares the connection, and so its transaction and temporary tables.
            self._ibis = ibis.duckdb.from_connection(self.connection)
        return self._ibis

    def table(self, name: str):
        """The contract table ``name`` as an Ibis table expression."""
        from tenure.contract import table

        table(name)
        return self.ibis.table(name)

    # -- ingest ---------------------------------------------------------------------------
    def ingest(self, table: str, source: Any, mapping: Any = None, *,
               progress: Progress = None):
        """Validate ``source`` and land it in ``table``; return an :class:`IngestReport`.

        ``source`` is a path (CSV, Parquet, JSON lines, Excel) or a pandas, Polars or Arrow
        table; ``mapping`` is a mapping file path, a :class:`tenure.io.Mapping`, or a dict
        from source column names to contract column names.
        """
        return ingest(self.connection, self.config, table, source, mapping, progress=progress)

    # -- looking inside -------------------------------------------------------------------
    def quarantined(self, table: str | None = None, *, reason: str | None = None,
                    limit: int | None = None) -> Quarantined:
        """:meth:`quarantine` as a result, for the command line and the service."""
        return Quarantined(self.quarantine(table, reason=reason, limit=limit))

    def quarantine(self, table: str | None = None, *, source: str | None = None,
                   reason: str | None = None, limit: int | None = None) -> pd.DataFrame:
        """Rows held back from ingest, with the source, row, column and reason."""
        sql, params = select_where(
            'SELECT ingest_id, table_name, source, "row", column_name, reason, value, message '
            "FROM quarantine", {"table_name": table, "source": source, "reason": reason},
            'table_name, source, "row", column_name', limit)
        return self.connection.execute(sql, params).df()

    def status(self) -> WorkspaceStatus:
        """Tables with row counts and date ranges, and the latest ingests."""
        con = self.connection
        parts = []
        for spec in TABLES.values():
            if spec.time_column:
                col = ident(spec.time_column)
                parts.append(f"SELECT '{spec.name}' AS table_name, count(*) AS rows, "
                             f"CAST(min({col}) AS VARCHAR) AS first, "
                             f"CAST(max({col}) AS VARCHAR) AS last FROM {ident(spec.name)}")
            else:
                parts.append(f"SELECT '{spec.name}', count(*), NULL, NULL FROM {ident(spec.name)}")
        tables = con.execute(
            f"SELECT t.*, l.last_ingest FROM ({' UNION ALL '.join(parts)}) t LEFT JOIN "
            "(SELECT table_name, max(finished_at) AS last_ingest FROM ingest_log GROUP BY 1) l "
            "USING (table_name)"
        ).df()
        order = {name: i for i, name in enumerate(TABLES)}
        tables = tables.sort_values("table_name", key=lambda s: s.map(order)).reset_index(drop=True)
        ingests = con.execute(
            "SELECT ingest_id, table_name, source, finished_at, rows_read, landed, updated, "
            "unchanged, quarantined FROM ingest_log ORDER BY ingest_id DESC LIMIT 10"
        ).df()
        quarantined = con.execute("SELECT count(DISTINCT (table_name, source, \"row\")) "
                                  "FROM quarantine").fetchall()[0][0]
        return WorkspaceStatus(self.path, SCHEMA_VERSION, self.config["workspace.timezone"],
                               tables, ingests, quarantined)
