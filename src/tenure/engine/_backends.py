"""What differs between the engines tenure runs its expressions on: DuckDB and Spark.

The relational steps are the same Ibis expressions on both; only a few operations around
them are not: keeping an intermediate result for several readers, and streaming a result
out. They are decided here, by the backend's name, so that nothing above this module asks
which engine it runs on.
"""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["drop_kept", "is_spark", "keep_table", "register_arrow", "stream"]


def is_spark(backend: Any) -> bool:
    """Whether ``backend`` is Ibis's PySpark backend."""
    return getattr(backend, "name", None) == "pyspark"


def keep_table(backend: Any, name: str, data: Any) -> Any:
    """``data`` (an Ibis expression, an Arrow or a pandas table) computed once and kept as
    table ``name`` of ``backend`` until :func:`drop_kept`: a temporary table in DuckDB, a
    cached temporary view in Spark (which has no temporary tables)."""
    if not is_spark(backend):
        return backend.create_table(name, data, temp=True)
    import ibis.expr.types as ir

    spark = backend._session
    if isinstance(data, ir.Expr):
        frame = spark.sql(backend.compile(data))
    else:
        frame = spark.createDataFrame(_pandas(data))
    frame.cache().createOrReplaceTempView(name)
    return backend.table(name)


def register_arrow(backend: Any, name: str, table: Any) -> Any:
    """The Arrow ``table`` as table ``name`` of ``backend``, to join with the engine's own:
    in DuckDB a view of the Arrow columns where they lie (no copy; DuckDB's
    ``unregister`` forgets it), in Spark a cached view of them sent to the executors."""
    if not is_spark(backend):
        backend.con.register(name, table)
        return backend.table(name)
    return keep_table(backend, name, table)


def drop_kept(backend: Any, name: str) -> None:
    """Forget the table ``name`` kept by :func:`keep_table`."""
    if not is_spark(backend):
        backend.drop_table(name, force=True)
        return
    spark = backend._session
    # Released with its view; the session may be stopped already.
    with contextlib.suppress(Exception):
        spark.table(name).unpersist()
        spark.catalog.dropTempView(name)


def stream(expr: Any, batch_rows: int = 200_000) -> Any:
    """The rows of ``expr`` as an Arrow record batch reader."""
    import ibis

    backend = expr._find_backend(use_default=True)
    if is_spark(backend):
        return backend.to_pyarrow_batches(expr, chunk_size=batch_rows)
    # Ibis 12's own to_pyarrow_batches calls a DuckDB method that DuckDB 2.0 removed.
    sql = ibis.to_sql(expr, dialect=backend.name)
    return backend.con.sql(sql).to_arrow_reader(batch_rows)


def _pandas(data: Any) -> Any:
    """An Arrow or pandas table as pandas with times in microseconds, Spark's precision."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        fields = [pa.field(f.name, pa.timestamp("us", f.type.tz))
                  if pa.types.is_timestamp(f.type) else f for f in data.schema]
        return data.cast(pa.schema(fields)).to_pandas()
    return data
