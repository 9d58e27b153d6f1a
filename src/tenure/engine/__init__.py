"""The relational engine: Ibis expressions over the workspace's DuckDB database.

Capabilities write their relational steps once, as Ibis expressions over the tables this
module hands out, so that the same logic can run on DuckDB here and on Spark at scale.

>>> import tenure
>>> ws = tenure.Workspace.init(__import__("tempfile").mkdtemp() + "/w")
>>> ws.table("orders").count().execute()
0
"""

from __future__ import annotations

import duckdb
import ibis
import pyarrow as pa

__all__ = ["connect", "to_arrow", "to_arrow_stream"]


def connect(con: duckdb.DuckDBPyConnection) -> ibis.BaseBackend:
    """An Ibis DuckDB backend sharing ``con`` (and so its transaction and temp tables)."""
    return ibis.duckdb.from_connection(con)


def to_arrow(expr: ibis.Expr) -> pa.Table:
    """Run ``expr`` and return the materialised result as an Arrow table."""
    return expr.to_pyarrow()


def to_arrow_stream(expr: ibis.Expr, batch_rows: int = 200_000) -> pa.RecordBatchReader:
    """Run ``expr`` and stream its result as Arrow record batches.

    DuckDB keeps a materialised result inside its memory limit, so a wide result over
    millions of rows can fail where the same rows streamed out pass. Ibis 12's own
    ``to_pyarrow_batches`` calls a DuckDB method that DuckDB 2.0 removed; this reads DuckDB's
    Arrow stream directly.
    """
    backend = expr._find_backend(use_default=True)
    sql = ibis.to_sql(expr, dialect=backend.name)
    return backend.con.sql(sql).to_arrow_reader(batch_rows)
