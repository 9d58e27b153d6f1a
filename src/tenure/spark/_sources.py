"""The contract tables read on Spark: located, mapped, checked, the bad rows set aside.

Each table comes from a Parquet or Delta folder, or a catalog table. The same mapping file
as ``tenure ingest --mapping`` renames its columns and leaves rows out by its filters; the
status of an order leaves it out or makes it a refund as ingest does. Every rule of the
contract that ingest checks on typed values is a Spark expression here, with the same
reason: ``missing_required``, ``unparseable``, ``invalid_value``, ``out_of_range``,
``inconsistent`` and ``duplicate_key`` (copies of a key that disagree; exact copies merge).
The rows that break a rule are written to the quarantine folder with their reasons, never
dropped silently, and the counts come back per table.

What ingest reads beyond typed values (text dates in Chinese, ¥ amounts, spreadsheets'
totals rows) is ingest's alone: a lake holds typed tables, and text that does not cast to
the contract's type is quarantined as unparseable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tenure.config import Config
from tenure.contract import TABLES, Column
from tenure.errors import ConfigError
from tenure.io import Mapping as ColumnMapping
from tenure.results import Result
from tenure.spark._engine import IBIS_TYPES, SparkEngine

__all__ = ["SourceCount", "SourceReport", "open_engine", "read_tables"]

ROW = "_tenure_row"
# Spark's name for each contract column type.
SPARK_TYPES = {"id": "string", "text": "string", "number": "double", "integer": "bigint",
               "timestamp": "timestamp", "date": "date", "boolean": "boolean"}
assert SPARK_TYPES.keys() == IBIS_TYPES.keys()


@dataclass(frozen=True)
class SourceCount:
    """One table as read: rows read, left out (a filter or a status: not errors, by
    reason), merged (exact copies of a key), blank, quarantined (rows breaking a rule) and
    valid, with the problems found by reason (a row may have several)."""

    table: str
    where: str
    read: int
    valid: int
    quarantined: int
    excluded: dict[str, int] = field(default_factory=dict)
    merged: int = 0
    blank: int = 0
    problems: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceReport(Result):
    """The contract tables read on Spark: one :class:`SourceCount` per table and the
    folder of the quarantined rows."""

    counts: tuple[SourceCount, ...]
    quarantine: str

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"table": c.table, "read": c.read, "valid": c.valid,
                              "quarantined": c.quarantined,
                              "excluded": sum(c.excluded.values()), "merged": c.merged,
                              "where": c.where} for c in self.counts])

    @property
    def headline(self) -> dict[str, Any]:
        return {"tables": len(self.counts), "read": sum(c.read for c in self.counts),
                "valid": sum(c.valid for c in self.counts),
                "quarantined": sum(c.quarantined for c in self.counts)}

    def lines(self) -> list[str]:
        said = []
        for c in self.counts:
            said.append(f"{c.table}: {c.read:,} read, {c.valid:,} valid, "
                        f"{c.quarantined:,} quarantined")
            said += [f"  {n:,} × {reason}" for reason, n in c.problems.items()]
            said += [f"  {n:,} × excluded: {reason}" for reason, n in c.excluded.items()]
        if any(c.quarantined for c in self.counts):
            said.append(f"Quarantined rows and their reasons are in {self.quarantine}")
        return said


def read_tables(engine: SparkEngine, tables: Mapping[str, str], *,
                mappings: Mapping[str, Any] | None = None, quarantine: str,
                today: dt.date | None = None) -> SourceReport:
    """Read each contract table of ``tables`` (name: path or catalog table) into
    ``engine``, checked, its bad rows written under ``quarantine``/NAME with their reasons.

    ``mappings`` names a mapping file (or :class:`tenure.Mapping`) per table. ``today``
    sets the plausible dates as ingest does (default: the day of the run).
    """
    mappings = dict(mappings or {})
    unknown = [n for n in [*tables, *mappings] if n not in TABLES]
    if unknown:
        raise ConfigError(f"'{unknown[0]}' is not a table name; use the contract's names: "
                          f"{', '.join(TABLES)}")
    day = today or dt.date.today()
    counts = []
    for name, where in tables.items():
        mapping = mappings.get(name)
        if isinstance(mapping, str):
            mapping = ColumnMapping.load(mapping)
        frame = _load(engine.spark, where)
        count, valid = _check(frame, name, where, mapping, engine.config, day,
                              f"{quarantine.rstrip('/')}/{name}")
        engine.add(name, valid)
        counts.append(count)
    return SourceReport(tuple(counts), quarantine)


def _load(spark: Any, where: str) -> Any:
    """A Parquet or Delta folder (a path: it has a slash or a scheme), or a catalog table."""
    if "/" not in where and "\\" not in where:
        return spark.table(where)
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(where)
    system = path.getFileSystem(spark._jsc.hadoopConfiguration())
    if not system.exists(path):
        raise ConfigError(f"{where}: not found; name a Parquet or Delta folder, or a table "
                          "of the catalog")
    delta = system.exists(jvm.org.apache.hadoop.fs.Path(where.rstrip("/") + "/_delta_log"))
    return spark.read.format("delta").load(where) if delta else spark.read.parquet(where)


def _check(frame: Any, name: str, where: str, mapping: ColumnMapping | None, config: Config,
           today: dt.date, quarantine: str) -> tuple[SourceCount, Any]:
    from pyspark.sql import functions as F

    spec = TABLES[name]
    read = frame.count()
    frame = frame.withColumn(ROW, F.monotonically_increasing_id())
    excluded: dict[str, int] = {}
    if mapping is not None:
        frame, excluded = _filtered(frame, mapping, excluded)
        renames = {s: t for s, t in mapping.columns.items() if s in frame.columns}
        frame = frame.drop(*[s for s, t in renames.items() if not t])
        frame = frame.select(*[F.col(f"`{c}`").alias(renames.get(c) or c)
                               for c in frame.columns])
    chosen = [c for c in spec.read_columns if c.name in frame.columns]
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        raise ConfigError(f"{where}: the {name} table has no column {', '.join(missing)}; "
                          "name it in a mapping file under [spark.mappings]")
    typed = {c.name: _typed(F.col(c.name), c, frame.schema[c.name].dataType) for c in chosen}
    if spec.status and spec.status in typed:
        status = F.lower(F.trim(typed[spec.status]))
        refunds = [s.lower() for s in config["ingest.refund_statuses"]]
        if spec.refund_amount in typed and refunds:
            amount = typed[spec.refund_amount]
            typed[spec.refund_amount] = F.when(status.isin(refunds), -F.abs(amount)
                                               ).otherwise(amount)
        closed = [s.lower() for s in config["ingest.excluded_statuses"]]
        left = frame.filter(status.isin(closed))
        for value, n in left.groupBy(typed[spec.status].alias("s")).count().collect():
            excluded[f"status {value}"] = excluded.get(f"status {value}", 0) + n
        frame = frame.filter(~status.isin(closed) | status.isNull())
    present = [F.col(c.name).isNull() | (F.trim(F.col(c.name).cast("string")) == "")
               for c in chosen if not c.default_setting]
    blank = _all(present)
    kept = frame.filter(~blank)
    blank_rows = frame.count() - kept.count() if present else 0
    staged = kept.select(ROW, *[F.col(c.name).alias(f"raw:{c.name}") for c in chosen],
                         *[typed[c.name].alias(c.name) for c in chosen]).cache()
    problems = _problems(staged, spec, chosen, frame.schema, config, today)
    merged, duplicates = _duplicates(staged, spec, chosen, problems)
    problems = problems.unionByName(duplicates).cache()
    found = dict(problems.groupBy("reason").count().orderBy(F.desc("count"), "reason")
                 .collect())
    bad = problems.select(ROW).distinct()
    quarantined = bad.count()
    if quarantined:
        rows = kept.join(bad, ROW).select(ROW, *[F.col(f"`{c}`").cast("string").alias(c)
                                               for c in kept.columns if c != ROW])
        detail = problems.join(rows, ROW)
        detail.write.mode("overwrite").parquet(quarantine)
    valid = staged.join(bad, ROW, "left_anti")
    valid = _first_copies(valid, spec)
    defaults = [F.lit(config[c.default_setting]).alias(c.name) for c in spec.read_columns
                if c.default_setting and c.name not in typed]
    # Kept (in memory, spilling to disk): every step after reads the checked rows, which
    # would otherwise be read and checked again for each query.
    valid = valid.select(*[F.col(c.name) for c in chosen], *defaults).persist()
    landed = valid.count()
    problems.unpersist()
    staged.unpersist()
    count = SourceCount(name, where, read, landed, quarantined, excluded, merged, blank_rows,
                        {str(k): int(v) for k, v in found.items()})
    return count, valid


def _filtered(frame: Any, mapping: ColumnMapping, excluded: dict[str, int]):
    from pyspark.sql import functions as F

    for flt in mapping.filters:
        if flt.column not in frame.columns:
            raise ConfigError(f"the filter's column '{flt.column}' is not in the table; "
                              f"it has {', '.join(c for c in frame.columns if c != ROW)}")
        cell = F.lower(F.trim(F.col(f"`{flt.column}`").cast("string")))
        values = [v.lower() for v in flt.values]
        dropped = (cell.isNull() | ~cell.isin(values)) if flt.keep else (
            cell.isNotNull() & cell.isin(values))
        n = frame.filter(dropped).count()
        if n:
            excluded[flt.reason] = excluded.get(flt.reason, 0) + n
        frame = frame.filter(~dropped)
    return frame, excluded


def _typed(value: Any, column: Column, source: Any) -> Any:
    """The value as the contract's type: text is trimmed, a value that does not cast is
    missing (and quarantined as unparseable when the source held something)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    if isinstance(source, StringType):
        value = F.nullif(F.trim(value), F.lit(""))
    want = SPARK_TYPES[column.type]
    if column.allowed:
        spellings = {n.lower(): canonical for canonical, names in column.allowed.items()
                     for n in (canonical, *names)}
        choice = F.lower(value.cast("string"))
        out = F.lit(None).cast("string")
        for spelling, canonical in spellings.items():
            out = F.when(choice == spelling, F.lit(canonical)).otherwise(out)
        return out
    return value.try_cast(want)


def _problems(staged: Any, spec, chosen: list[Column], schema: Any, config: Config,
              today: dt.date) -> Any:
    """One row per problem: (row, column_name, reason, value, message), the same reasons as
    ingest's checks."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType, StringType

    parts = []

    def add(column: str, reason: str, where: Any, value: Any, message: Any) -> None:
        parts.append(staged.filter(where).select(
            ROW, F.lit(column).alias("column_name"), F.lit(reason).alias("reason"),
            value.cast("string").alias("value"), message.alias("message")))

    earliest = config["ingest.earliest_date"] or "1970-01-01"
    latest = config["ingest.latest_date"] or (today + dt.timedelta(days=366)).isoformat()
    for column in chosen:
        col, raw = F.col(column.name), F.col(f"`raw:{column.name}`")
        kind = schema[column.name].dataType
        text = isinstance(kind, StringType)
        if text and (column.allowed or column.type not in ("id", "text")):
            reason = "invalid_value" if column.allowed else "unparseable"
            add(column.name, reason, raw.isNotNull() & (F.trim(raw) != "") & col.isNull(), raw,
                F.concat(F.lit("could not read '"), raw.cast("string"),
                         F.lit(f"' as {column.type}")))
        if column.type in ("number", "integer") and isinstance(kind, DoubleType | FloatType):
            add(column.name, "invalid_value", F.isnan(raw) | raw.isin(
                float("inf"), float("-inf")), raw,
                F.concat(F.lit(f"{column.name} is "), raw.cast("string"),
                         F.lit(", not a finite number")))
        if column.required:
            add(column.name, "missing_required", col.isNull(), F.lit(None),
                F.lit(f"{column.name} is required and is empty"))
        if column.type == "id":
            add(column.name, "invalid_value", col.rlike(r"^\d(\.\d+)?[eE]\+\d+$"), col,
                F.concat(F.lit("'"), col, F.lit("' looks like a number a spreadsheet "
                                                "rounded; export the ids as text")))
        for bound, low, words in ((column.minimum, True, "at least"),
                                  (column.maximum, False, "at most")):
            if bound is not None:
                add(column.name, "invalid_value", col < bound if low else col > bound, col,
                    F.concat(F.lit(f"{column.name} must be {words} {bound:g}, not "),
                             col.cast("string")))
        if column.type in ("timestamp", "date"):
            first = column.earliest or earliest
            end = dt.date.fromisoformat(latest) + dt.timedelta(days=1)
            add(column.name, "out_of_range",
                (col < F.lit(first).cast(column.type))
                | (col >= F.lit(end.isoformat()).cast(column.type)), col,
                F.concat(F.lit("'"), col.cast("string"),
                         F.lit(f"' is outside the plausible dates {first} to {latest}; "
                               "correct it, or change ingest.earliest_date or "
                               "ingest.latest_date")))
    names = {c.name for c in chosen}
    for rule in spec.rules:
        if rule.earlier in names and rule.later in names:
            later, earlier = F.col(rule.later), F.col(rule.earlier)
            add(rule.later, "inconsistent", later < earlier, later,
                F.concat(F.lit(f"{rule.later} "), later.cast("string"),
                         F.lit(f" is before {rule.earlier} "), earlier.cast("string")))
    out = parts[0]
    for part in parts[1:]:
        out = out.unionByName(part)
    return out


def _duplicates(staged: Any, spec, chosen: list[Column], problems: Any) -> tuple[int, Any]:
    """Copies of a key among the rows without problems: exact copies merge into one (their
    number comes back), copies that disagree are all quarantined as ``duplicate_key``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    key = list(spec.key)
    clean = staged.join(problems.select(ROW).distinct(), ROW, "left_anti")
    values = [c.name for c in chosen if c.name not in key]
    variant = F.hash(*[F.col(v) for v in values]) if values else F.lit(0)
    per_key = Window.partitionBy(*key)
    marked = clean.select(ROW, *key, variant.alias("variant"),
                          F.count(F.lit(1)).over(per_key).alias("copies"))
    repeated = marked.filter(F.col("copies") > 1)
    kinds = repeated.groupBy(*key).agg(F.countDistinct("variant").alias("kinds"),
                                       F.count(F.lit(1)).alias("n"))
    merged = kinds.filter(F.col("kinds") == 1).agg(F.sum(F.col("n") - 1)).collect()[0][0]
    key_text = F.concat_ws(", ", *[F.coalesce(F.col(k).cast("string"), F.lit("")) for k in key])
    conflicting = repeated.join(kinds.filter(F.col("kinds") > 1), key).select(
        ROW, F.lit(", ".join(key)).alias("column_name"), F.lit("duplicate_key").alias("reason"),
        key_text.alias("value"),
        F.concat(F.lit(f"{', '.join(key)} '"), key_text,
                 F.lit("' appears on several rows with different values; keep one of them"))
        .alias("message"))
    return int(merged or 0), conflicting


def _first_copies(valid: Any, spec) -> Any:
    """One row per key: exact copies merge into the first."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    first = Window.partitionBy(*spec.key).orderBy(ROW)
    return valid.withColumn("_copy", F.row_number().over(first)).filter(
        F.col("_copy") == 1).drop("_copy")


def _all(conditions: list[Any]) -> Any:
    from pyspark.sql import functions as F

    if not conditions:
        return F.lit(False)
    out = conditions[0]
    for condition in conditions[1:]:
        out = out & condition
    return out


def open_engine(config: Config, *, master: str | None = None,
                tables: Mapping[str, str] | None = None, quarantine: str | None = None,
                out: str | None = None, home: Any = None, spark: Any = None,
                conf: Mapping[str, str] | None = None,
                today: dt.date | None = None) -> tuple[SparkEngine, SourceReport]:
    """The Spark engine over the tables of ``config`` (``[spark.tables]``, with
    ``tables`` given here over them), read and checked: the engine and the report of
    what was read. ``spark`` is a session to use; otherwise one is started on ``master``
    (default ``spark.master``). ``out`` is where scores go (default ``spark.output``),
    ``home`` the workspace folder whose saved models it uses."""
    from tenure.spark._engine import connect, session

    where = {**config["spark.tables"], **dict(tables or {})}
    if "orders" not in where:
        raise ConfigError("the Spark engine needs the orders table; give its path with "
                          "--orders PATH or under [spark.tables] in tenure.toml")
    spark = spark or session(master or config["spark.master"], conf=conf)
    engine = connect(spark, config)
    engine.out, engine.path = out, home
    report = read_tables(engine, where, mappings=config["spark.mappings"],
                         quarantine=quarantine or config["spark.quarantine"], today=today)
    return engine, report
