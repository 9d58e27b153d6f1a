"""Where an analysis reads its tables: a workspace, or tables handed in directly.

Every analysis accepts a :class:`~tenure.Workspace`, one table (a pandas DataFrame, an Arrow
table or an Ibis table holding the contract's columns), or a mapping from contract table
names to such tables. :func:`open_tables` turns any of these into :class:`Tables`, which
hands out typed Ibis tables and runs expressions on one backend.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
import weakref
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from tenure._sql import ident
from tenure.config import Config
from tenure.contract import TABLES
from tenure.engine._backends import drop_kept, keep_table
from tenure.errors import InputError
from tenure.workspace import Workspace
from tenure.workspace._migrations import block_table

__all__ = ["SCORE_COLUMNS", "Scores", "Tables", "open_tables"]

# Columns of the `scores` table the value models write (one row per customer and as-of date).
SCORE_COLUMNS = ("customer_id", "as_of", "p_alive", "expected_purchases", "expected_spend",
                 "clv", "model", "model_version")

_IBIS_TYPES = {
    "id": "string", "text": "string", "number": "float64", "integer": "int64",
    "timestamp": "timestamp", "date": "date", "boolean": "boolean",
}


@dataclass(frozen=True)
class Scores:
    """Value-model scores: ``table`` (customer_id, p_alive, clv), the day they are as of
    and the model that made them, with every as-of date stored (``stored``). ``table`` and
    ``as_of`` are None when no stored date was early enough."""

    table: ir.Table | None
    as_of: dt.date | None
    model: str
    stored: tuple[dt.date, ...] = ()

    def dates(self, most: int = 4) -> str:
        """The stored dates in words: the latest ``most`` of them."""
        shown = [d.isoformat() for d in self.stored[-most:]]
        more = len(self.stored) - len(shown)
        return ", ".join(shown) + (f" and {more} earlier" if more else "")


@dataclass
class Tables:
    """The tables one analysis reads, on one Ibis backend, with the settings in force."""

    backend: Any
    config: Config
    timezone: str
    workspace: Workspace | None = None
    given: dict[str, ir.Table] = field(default_factory=dict)
    _rows: dict[str, int] = field(default_factory=dict)
    _scratch: list[str] = field(default_factory=list)
    _blocks: dict[str, ir.Table] = field(default_factory=dict)
    _versions: dict[str, str] = field(default_factory=dict)
    built: list[str] = field(default_factory=list)  # stored blocks rebuilt by this object

    # -- tables -----------------------------------------------------------------------------
    def table(self, name: str, needs: tuple[str, ...], *, why: str) -> ir.Table:
        """Contract table ``name`` with at least the columns ``needs``, typed as the contract
        says; an InputError saying how to provide it when it is absent or empty."""
        found = self.optional(name, needs)
        if found is None:
            if self.workspace is not None:
                hint = f"ingest it with `tenure ingest {name} FILE`"
            else:
                hint = f"pass a mapping such as {{'orders': ..., '{name}': ...}}"
            raise InputError(f"{why} needs the {name} table, which is empty here; {hint}")
        return found

    def optional(self, name: str, needs: tuple[str, ...]) -> ir.Table | None:
        """Like :meth:`table`, but None when the table is absent or has no rows."""
        if self.workspace is not None:
            if self.rows(name) == 0:
                return None
            return _typed(self.workspace.table(name), name, needs)
        if name not in self.given:
            return None
        return _typed(self.given[name], name, needs)

    def rows(self, name: str) -> int:
        if name not in self._rows:
            if self.workspace is not None:
                expr = self.workspace.table(name).count()
            elif name in self.given:
                expr = self.given[name].count()
            else:
                return 0
            self._rows[name] = int(self.scalar(expr))
        return self._rows[name]

    def has_column(self, name: str, column: str) -> bool:
        if self.workspace is not None:
            return TABLES[name].has(column)
        return name in self.given and column in self.given[name].columns

    def scores(self, model: str | None, *, until: dt.date | None = None) -> Scores | None:
        """The value-model scores of the latest stored as-of date (on or before ``until``
        when given), or None when none were written. ``model`` picks one when several
        models scored. The result names every stored date, so that a caller can say which
        it used or why it used none."""
        table = self._scores_table()
        if table is None:
            return None
        if model is not None:
            table = table.filter(table.model == model)
        models = sorted(m for m in self.run(table.select("model").distinct())["model"]
                        if m is not None)
        if model is None and len(models) > 1:
            raise InputError(f"the scores hold {len(models)} models ({', '.join(models)}); "
                             "choose one with model=NAME (--model NAME)")
        if model is not None and not models:
            raise InputError(f"the scores hold no model '{model}'; leave model out to use "
                             "whichever model scored")
        if not models:
            return None
        stored = tuple(sorted(pd.Timestamp(d).date() for d in
                              self.run(table.select("as_of").distinct())["as_of"]))
        usable = [d for d in stored if until is None or d <= until]
        if not usable:
            return Scores(None, None, models[0], stored)
        as_of = usable[-1]
        latest = table.filter(table.as_of == as_of)
        return Scores(latest.select("customer_id", "p_alive", "clv"), as_of, models[0],
                      stored)

    def _scores_table(self) -> ir.Table | None:
        if self.workspace is not None:
            if not _exists(self.workspace, "scores"):
                return None
            table = self.workspace.ibis.table("scores")
        elif "scores" in self.given:
            table = self.given["scores"]
        else:
            return None
        missing = [c for c in ("customer_id", "as_of", "p_alive", "clv", "model")
                   if c not in table.columns]
        if missing:
            raise InputError(f"the scores table has no column {', '.join(missing)}; it should "
                             f"hold {', '.join(SCORE_COLUMNS)}")
        return table.mutate(customer_id=table.customer_id.cast("string"),
                            as_of=table.as_of.cast("date"),
                            p_alive=table.p_alive.cast("float64"),
                            clv=table.clv.cast("float64"))

    # -- building blocks --------------------------------------------------------------------
    def block(self, name: str, sources: tuple[str, ...], build: Callable[[], ir.Table], *,
              recipe: int, settings: str = "") -> ir.Table:
        """The derived table ``name``, computed by ``build()`` from the contract tables
        ``sources`` once per version of them. A workspace stores it (as ``analytics_NAME``)
        and rebuilds it when a source changes, or ``recipe`` (the version of ``build``) or
        ``settings`` (the settings it depends on, as text) do; tables handed in directly
        get it once per :class:`Tables`."""
        if name not in self._blocks:
            if self.workspace is None:
                self._blocks[name] = self.keep(build())
            else:
                for source in sources:
                    if source not in self._versions:
                        self._versions[source] = _version(self.workspace, source)
                version = ";".join([f"recipe={recipe}", *(self._versions[s] for s in sources),
                                    *([settings] if settings else [])])
                self._blocks[name], rebuilt = _stored(self.workspace, name, version, build)
                if rebuilt:
                    self.built.append(name)
        return self._blocks[name]

    # -- running ----------------------------------------------------------------------------
    def keep(self, expr: ir.Table) -> ir.Table:
        """``expr`` computed once into a temporary table of the engine, for a result that
        later steps read more than once (the engine would otherwise compute it for each
        reader). The table is dropped when this object is."""
        name = f"tenure_scratch_{uuid.uuid4().hex[:12]}"
        kept = keep_table(self.backend, name, expr)
        if not self._scratch:
            weakref.finalize(self, _drop_all, self.backend, self._scratch)
        self._scratch.append(name)
        return kept

    def run(self, expr: ir.Table, categories: tuple[str, ...] = (),
            text: tuple[str, ...] = ()) -> pd.DataFrame:
        """Run ``expr`` and return its rows as pandas (dates as datetime64); the text
        columns named in ``categories`` come as pandas categoricals, those named in
        ``text`` as pandas' Arrow-backed strings (millions of ids are far quicker to hand
        over so than as Python strings)."""
        table = self.backend.to_pyarrow(expr)
        for name in categories:
            if name in table.column_names:
                position = table.schema.get_field_index(name)
                table = table.set_column(position, name, table[name].dictionary_encode())
        names = table.column_names
        text = tuple(n for n in text if n in names)
        frame = table.drop_columns(list(text)).to_pandas(date_as_object=False)
        for name in text:
            frame.insert(names.index(name), name,
                         table[name].to_pandas(types_mapper=_TEXT.get))
        return frame

    def scalar(self, expr: ir.Scalar) -> Any:
        return self.backend.execute(expr)


_TEXT = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
CATALOGUE = "analytics_blocks"


def _stored(workspace: Workspace, name: str, version: str,
            build: Callable[[], ir.Table]) -> tuple[ir.Table, bool]:
    """The stored block ``name``, rebuilt first (True) when it was built from another
    ``version`` of its sources."""
    table = block_table(name)
    con = workspace.connection
    # fetchall: DuckDB refuses new work while a result is only partly fetched.
    stored = con.execute(f"SELECT version FROM {CATALOGUE} WHERE name = $name",
                         {"name": name}).fetchall()
    if stored and stored[0][0] == version and _exists(workspace, table):
        return workspace.ibis.table(table), False
    # Built before the transaction: a block read by this one is stored in one of its own.
    expr = build()
    with workspace.transaction():
        workspace.ibis.create_table(table, expr, overwrite=True)
        con.execute(f"INSERT OR REPLACE INTO {CATALOGUE} VALUES ($name, $version)",
                    {"name": name, "version": version})
    return workspace.ibis.table(table), True


def _exists(workspace: Workspace, table: str) -> bool:
    return bool(workspace.connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = $name AND database_name = "
        "current_database() AND NOT temporary", {"name": table}).fetchall()[0][0])


def _version(workspace: Workspace, name: str) -> str:
    """What changes whenever a contract table does: ingest only adds rows and stamps the
    rows it adds or changes with a new ingest id."""
    rows, last, total = workspace.connection.execute(
        f"SELECT count(*), max(_ingest_id), sum(_ingest_id) FROM {ident(name)}").fetchall()[0]
    return f"{name}={rows}:{_number(last)}:{_number(total)}"


def _number(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else str(int(value))


def _drop_all(backend: Any, names: list[str]) -> None:
    for name in names:
        # The connection may be closed already, taking its temporary tables with it.
        with contextlib.suppress(Exception):
            drop_kept(backend, name)


def open_tables(data: Any, primary: str, *, timezone: str | None = None) -> Tables:
    """:class:`Tables` over ``data``: a Workspace, one table standing for ``primary``, or a
    mapping from contract table names to tables."""
    if isinstance(data, Tables):
        return data
    if isinstance(data, Workspace):
        zone = data.config["workspace.timezone"]
        if timezone is not None and timezone != zone:
            raise InputError(
                f"timezone '{timezone}' differs from the workspace's '{zone}'; a workspace "
                "stores local times in its own zone, so leave timezone out")
        return Tables(data.ibis, data.config, zone, workspace=data)
    # A mapping may carry its own settings and zone (the Spark engine's); a dict has none.
    carried = data if isinstance(data, Mapping) else None
    zone = timezone or getattr(carried, "timezone", None) or "UTC"
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(f"timezone '{zone}' is not a time zone name; use an IANA name such "
                         "as 'Asia/Shanghai' or 'UTC'") from None
    settings = getattr(carried, "config", None)
    if isinstance(data, Mapping):
        unknown = [k for k in data if k not in TABLES and k != "scores"]
        if unknown:
            raise InputError(f"'{unknown[0]}' is not a table name; use the contract's names: "
                             f"{', '.join(TABLES)} (and scores)")
        items = dict(data)
    else:
        items = {primary: data}
    if not items:
        raise InputError("no tables were given; pass a workspace, a table or a mapping")
    backend = None
    given: dict[str, ir.Table] = {}
    for name, value in items.items():
        if isinstance(value, ir.Table):
            table_backend = value.get_backend()
            if backend is not None and table_backend is not backend:
                raise InputError("the Ibis tables given come from different connections; "
                                 "give them all from one, or give DataFrames")
            backend = table_backend
            given[name] = value
        else:
            given[name] = ibis.memtable(_frame(value, name, zone))
    config = settings if isinstance(settings, Config) else Config()
    return Tables(backend or ibis.duckdb.connect(), config, zone, given=given)


def _frame(value: Any, name: str, zone: str) -> pd.DataFrame:
    """A pandas copy of a user table, with zone-aware times moved to local time in ``zone``
    and text times read as ISO 8601."""
    if isinstance(value, pd.DataFrame):
        frame = value
    elif isinstance(value, pa.Table) or hasattr(value, "to_pandas"):
        frame = value.to_pandas()
    else:
        raise InputError(f"the {name} table is a {type(value).__name__}; give a pandas or "
                         "Polars DataFrame, an Arrow table, an Ibis table or a Workspace")
    spec = TABLES.get(name)
    if spec is None:
        return frame
    changed = {}
    for column in spec.columns:
        if column.name not in frame.columns or column.type != "timestamp":
            continue
        values = frame[column.name]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            changed[column.name] = values.dt.tz_convert(zone).dt.tz_localize(None)
        elif not pd.api.types.is_datetime64_dtype(values):
            try:
                parsed = pd.to_datetime(values, format="ISO8601")
            except (ValueError, TypeError) as exc:
                raise InputError(
                    f"could not read {column.name} as timestamps ({exc}); give datetimes or "
                    "ISO 8601 text, or ingest the file into a workspace, which reads many "
                    "date formats", source=name, column=column.name) from None
            if isinstance(parsed.dtype, pd.DatetimeTZDtype):
                parsed = parsed.dt.tz_convert(zone).dt.tz_localize(None)
            changed[column.name] = parsed
    if changed:
        frame = frame.assign(**changed)
    for column in spec.required:
        if column in frame.columns and frame[column].isna().any():
            row = int(frame[column].isna().to_numpy().argmax())
            raise InputError(f"{column} is required and is empty; fill it or drop the row",
                             source=name, row=row, column=column)
    return frame


def _typed(table: ir.Table, name: str, needs: tuple[str, ...]) -> ir.Table:
    """``table`` with the columns ``needs`` cast to the contract's types."""
    spec = TABLES[name]
    missing = [c for c in needs if c not in table.columns]
    if missing:
        raise InputError(f"the {name} table has no column {', '.join(missing)}; this analysis "
                         f"reads {', '.join(needs)}", source=name)
    casts = {}
    for column in needs:
        if not spec.has(column):
            continue
        want = _IBIS_TYPES[spec.column(column).type]
        have = table[column].type()
        if want == "timestamp" and have.is_timestamp():
            if have.timezone is not None:
                # The engine session's zone decides the local time (the workspace's zone).
                casts[column] = table[column].cast("timestamp")
            continue
        if not _same_type(have, want):
            casts[column] = table[column].cast(want)
    return table.mutate(**casts) if casts else table


def _same_type(have: Any, want: str) -> bool:
    return {
        "string": have.is_string(), "float64": have.is_float64(), "int64": have.is_int64(),
        "timestamp": have.is_timestamp(), "date": have.is_date(),
        "boolean": have.is_boolean(),
    }[want]
