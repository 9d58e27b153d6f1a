"""The relational engine: the building blocks every capability shares, as Ibis expressions.

Capabilities write their relational steps once, as Ibis expressions over the tables this
package hands out, so that the same logic runs on DuckDB here and on Spark at scale.

- :mod:`~tenure.engine._tables`: :class:`Tables` over a workspace or tables handed in
  directly (DataFrames, Arrow, Ibis), typed as the contract says, with the stored building
  blocks and the latest scores;
- :mod:`~tenure.engine._periods`: days, weeks, months and quarters as numbered periods;
- :mod:`~tenure.engine._activity`: each customer's activity per period;
- :mod:`~tenure.engine._customers`: the customer summary (first and last purchase,
  purchases, revenue, profile, categories);
- :mod:`~tenure.engine._rfm`: the RFM summary of the buy-till-you-die models
  (frequency, recency, T, monetary value) and its calibration/holdout split;
- :mod:`~tenure.engine._history`: tables as they stood at an as-of date, and each
  customer's purchase history up to it.

>>> import tenure
>>> ws = tenure.Workspace.init(__import__("tempfile").mkdtemp() + "/w")
>>> ws.table("orders").count().execute()
0
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import ibis
    import pyarrow as pa

# The building blocks load with their module on first use: the command line and the
# service import this package for a constant without paying for Ibis.
_HOMES = {
    "activity": "_activity", "all_days": "_activity", "day_activity": "_activity",
    "customer_categories": "_customers", "customer_summary": "_customers",
    "summary_between": "_customers",
    "as_of_rows": "_history", "hide_later": "_history", "purchase_history": "_history",
    "PERIODS": "_periods", "Period": "_periods", "check_period": "_periods",
    "discrete_summary": "_rfm", "rfm_expression": "_rfm", "rfm_summary": "_rfm",
    "Scores": "_tables", "Tables": "_tables", "open_tables": "_tables",
}

__all__ = [
    "PERIODS",
    "Period",
    "Scores",
    "Tables",
    "activity",
    "all_days",
    "as_of_rows",
    "check_period",
    "connect",
    "customer_categories",
    "customer_summary",
    "day_activity",
    "discrete_summary",
    "hide_later",
    "open_tables",
    "purchase_history",
    "rfm_expression",
    "rfm_summary",
    "summary_between",
    "to_arrow",
    "to_arrow_stream",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"tenure.engine.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'tenure.engine' has no attribute {name!r}")


def connect(con: duckdb.DuckDBPyConnection) -> ibis.BaseBackend:
    """An Ibis DuckDB backend sharing ``con`` (and so its transaction and temp tables)."""
    import ibis

    return ibis.duckdb.from_connection(con)


def to_arrow(expr: ibis.Expr) -> pa.Table:
    """Run ``expr`` and return the materialised result as an Arrow table."""
    return expr.to_pyarrow()


def to_arrow_stream(expr: ibis.Expr, batch_rows: int = 200_000) -> pa.RecordBatchReader:
    """Run ``expr`` and stream its result as Arrow record batches.

    DuckDB keeps a materialised result inside its memory limit, so a wide result over
    millions of rows can fail where the same rows streamed out pass. On Spark the batches
    come from the executors as Arrow.
    """
    from tenure.engine._backends import stream

    return stream(expr, batch_rows)
