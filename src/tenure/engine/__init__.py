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

__all__ = ["connect", "to_arrow"]


def connect(con: duckdb.DuckDBPyConnection) -> ibis.BaseBackend:
    """An Ibis DuckDB backend sharing ``con`` (and so its transaction and temp tables)."""
    return ibis.duckdb.from_connection(con)


def to_arrow(expr: ibis.Expr) -> pa.Table:
    """Run ``expr`` and return the materialised result as an Arrow table."""
    return expr.to_pyarrow()
