"""The Spark engine: a SparkSession seen through Ibis's PySpark backend, and the contract
tables it reads."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tenure.config import Config
from tenure.contract import TABLES
from tenure.errors import ConfigError

__all__ = ["SparkEngine", "connect", "session"]

# What tenure asks of a session it starts. Arrow carries results to the driver (without it
# PySpark converts row by row); the session's clock is UTC so that the wall-clock times
# tenure stores (local time in the workspace's zone, without a zone) keep their day.
SESSION_CONF = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
}


def _pyspark():
    try:
        import pyspark
    except ImportError:
        raise ConfigError("the Spark engine needs PySpark; install it with "
                          "`pip install 'tenure[spark]'`") from None
    return pyspark


def session(master: str = "local[*]", *, app: str = "tenure",
            conf: Mapping[str, str] | None = None):
    """A SparkSession on ``master`` set up as tenure needs, or the active one with the same
    settings applied. ``conf`` adds Spark settings (``spark.executor.memory``, ...). On a
    local master the Python workers are this Python (``PYSPARK_PYTHON``, unless set)."""
    _pyspark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName(app)
    if master.startswith("local"):
        # Local workers run this Python (and so see tenure, pandas and Arrow), not the
        # first `python3` on the PATH. PySpark reads the variable when the context starts;
        # one already set (and a cluster's own spark.pyspark.python) is left alone.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in {**SESSION_CONF, **dict(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def connect(spark: Any, config: Config | None = None) -> SparkEngine:
    """The :class:`SparkEngine` over the SparkSession ``spark``.

    The session must have Arrow transfer on and its clock in UTC (see :func:`session`);
    one that does not is refused with the setting to change, since either would change
    results, not only speed.
    """
    _pyspark()
    import ibis

    for key, want in SESSION_CONF.items():
        have = spark.conf.get(key, None)
        if str(have).lower() != want.lower():
            raise ConfigError(f"the Spark session has {key} = {have}; tenure needs {want}: "
                              f"start it with .config('{key}', '{want}') or use "
                              "tenure.spark.session()")
    return SparkEngine(spark, ibis.pyspark.connect(spark), config or Config())


@dataclass
class SparkEngine(Mapping):
    """Contract tables on Spark, as Ibis tables of one PySpark backend.

    A mapping from table names to Ibis tables, so that every analysis takes it where it
    takes a workspace; ``config`` holds the settings they read (lifecycle thresholds, funnel
    stages, ...), ``timezone`` the zone the stored times are local to.
    """

    spark: Any
    backend: Any
    config: Config = field(default_factory=Config)
    out: str | None = None  # where scores go; spark.output when None
    path: Any = None  # the workspace folder whose settings and models it uses, if any
    _tables: dict[str, Any] = field(default_factory=dict)
    _empty: dict[str, Any] = field(default_factory=dict)

    @property
    def timezone(self) -> str:
        return str(self.config["workspace.timezone"])

    @property
    def output(self) -> str:
        """The folder the scores are written to: ``out``, else the ``spark.output``
        setting."""
        return self.out or str(self.config["spark.output"])

    @property
    def ibis(self):
        """The Ibis backend (as :attr:`tenure.Workspace.ibis`)."""
        return self.backend

    def add(self, name: str, data: Any) -> Any:
        """Hold ``data`` as contract table ``name``: a Spark DataFrame, an Ibis table of
        this backend, or a pandas or Arrow table (sent to Spark). Returns the Ibis table."""
        import ibis.expr.types as ir

        _check_name(name)
        table = data if isinstance(data, ir.Table) else self._view(name, data)
        self._tables[name] = table
        return table

    def _view(self, name: str, data: Any) -> Any:
        frame = data if hasattr(data, "createOrReplaceTempView") else _to_spark(
            self.spark, data)
        view = f"tenure_{name}"
        frame.createOrReplaceTempView(view)
        return self.backend.table(view)

    def table(self, name: str) -> Any:
        """Contract table ``name`` as an Ibis table with every contract column, typed as
        the contract says (as :meth:`tenure.Workspace.table`); a table not held is empty,
        as in a workspace that was never given it."""
        import ibis

        _check_name(name)
        spec = TABLES[name]
        if name not in self._tables:
            if name not in self._empty:
                schema = ibis.schema({c.name: IBIS_TYPES[c.type] for c in spec.columns})
                # A view of Spark's own (not held: the analyses see only held tables), so
                # that it joins the held ones.
                self._empty[name] = self._view(name, schema.to_pyarrow().empty_table())
            return self._empty[name]
        held = self._tables[name]
        return held.select(**{
            c.name: (held[c.name].cast(IBIS_TYPES[c.type]) if c.name in held.columns
                     else ibis.null(IBIS_TYPES[c.type])) for c in spec.columns})

    def __getitem__(self, name: str) -> Any:
        return self._tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)


# The Ibis type of each contract column type.
IBIS_TYPES = {"id": "string", "text": "string", "number": "float64", "integer": "int64",
              "timestamp": "timestamp", "date": "date", "boolean": "boolean"}


def _check_name(name: str) -> None:
    if name not in TABLES:
        raise ConfigError(f"'{name}' is not a table name; use the contract's names: "
                          f"{', '.join(TABLES)}")


def _to_spark(spark: Any, data: Any) -> Any:
    """A pandas or Arrow table as a Spark DataFrame, its times in microseconds (Spark's
    precision; it refuses nanoseconds in Parquet, and would cut Arrow's silently)."""
    import pyarrow as pa

    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(
        data, preserve_index=False)
    fields = [pa.field(f.name, pa.timestamp("us", f.type.tz))
              if pa.types.is_timestamp(f.type) else f for f in table.schema]
    return spark.createDataFrame(table.cast(pa.schema(fields)))
