"""The ``scores`` table: one row per customer and as-of date, shared by everything that scores.

Each capability owns a set of columns, declared with the schema
(:data:`~tenure.workspace._migrations.VALUE_SCORE_COLUMNS` for the value models,
:data:`~tenure.workspace._migrations.CHURN_SCORE_COLUMNS` for churn) and writes only those:
scoring a date again replaces that capability's columns on that date and leaves the others
alone. A customer no longer scored by it loses its columns, and a row left with no value at
all is removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from tenure._sql import ident
from tenure.workspace._migrations import OWNED

__all__ = ["score_dates", "write_scores"]

# The scores being written, for the length of one write.
NEW = "_tenure_new_scores"


def write_scores(con, as_of: dt.date, source: str, columns: Mapping[str, str]) -> int:
    """Write ``columns`` (name to DuckDB type) of the scores on ``as_of`` from ``source``.

    ``source`` is a SQL query giving customer_id and each of ``columns``; ``con`` is a
    connection inside the caller's transaction. Returns the number of customers written.
    """
    declared = dict(OWNED["scores"].columns)
    undeclared = [name for name in columns if name not in declared]
    if undeclared:
        raise ValueError(f"scores has no declared column {', '.join(undeclared)}")
    ours = list(columns)
    con.execute(f"UPDATE scores SET {', '.join(f'{ident(c)} = NULL' for c in ours)} "
                "WHERE as_of = $as_of", {"as_of": as_of})
    select = ", ".join(f"CAST({ident(c)} AS {kind}) AS {ident(c)}" for c, kind in columns.items())
    # The new scores once, then an update of the rows that date already has and an insert
    # of the others: both joins are hash joins on that date's rows, where a MERGE matched
    # row by row against the whole table (four times slower for a million customers). The
    # temporary table is created inside the caller's transaction, so a failure rolls it
    # back with everything else.
    con.execute(f"CREATE OR REPLACE TEMP TABLE {NEW} AS SELECT CAST(customer_id AS VARCHAR) "
                f"AS customer_id, {select} FROM ({source})")
    con.execute(f"UPDATE scores SET {', '.join(f'{ident(c)} = n.{ident(c)}' for c in ours)} "
                f"FROM {NEW} AS n WHERE scores.as_of = $as_of "
                "AND scores.customer_id = n.customer_id", {"as_of": as_of})
    names = ", ".join(map(ident, ours))
    con.execute(f"INSERT INTO scores (customer_id, as_of, {names}) "
                f"SELECT n.customer_id, CAST($as_of AS DATE), "
                f"{', '.join(f'n.{ident(c)}' for c in ours)} FROM {NEW} AS n "
                "WHERE NOT EXISTS (SELECT 1 FROM scores AS s WHERE s.as_of = $as_of "
                "AND s.customer_id = n.customer_id)", {"as_of": as_of})
    written = con.execute(f"SELECT count(*) FROM {NEW}").fetchall()[0][0]
    con.execute(f"DROP TABLE {NEW}")
    others = [name for name in declared if name not in ("customer_id", "as_of")]
    empty = " AND ".join(f"{ident(c)} IS NULL" for c in others)
    con.execute(f"DELETE FROM scores WHERE as_of = $as_of AND {empty}", {"as_of": as_of})
    return int(written)



def score_dates(con, column: str = "p_alive") -> list[dt.date]:
    """The as-of dates on which ``column`` was scored, latest first."""
    if column not in dict(OWNED["scores"].columns):
        raise ValueError(f"scores has no declared column {column}")
    rows = con.execute(f"SELECT DISTINCT as_of FROM scores WHERE {ident(column)} IS NOT NULL "
                       "ORDER BY as_of DESC").fetchall()
    return [row[0] for row in rows]
