"""The value-model scores of one as-of date, as a frame or a file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tenure.engine._rfm import to_date
from tenure.errors import ConfigError, ModelError

__all__ = ["ScoreDate", "ScoreExport", "export_scores", "score_date", "score_frame"]

# The columns of the scores table the value models write, after customer_id and as_of.
VALUE_COLUMNS = ("p_alive", "expected_purchases", "expected_spend", "clv", "model",
                 "model_version", "horizon_days")
FORMATS = (".csv", ".parquet")


@dataclass(frozen=True)
class ScoreDate:
    """Which as-of date of the scores to use, and why (one sentence)."""

    as_of: dt.date
    reason: str


@dataclass(frozen=True)
class ScoreExport:
    """A file of scores: where, how many customers, of which date."""

    path: Path
    rows: int
    as_of: dt.date


def score_date(ws, as_of: Any = None) -> ScoreDate:
    """The as-of date whose value scores to read: ``as_of`` if it was scored, otherwise (no
    date given) the latest scored; a ModelError saying why there is none."""
    con = ws.connection
    scored = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'scores' "
                         "AND column_name = 'p_alive' AND database_name = current_database()"
                         ).fetchone()[0]
    dates = ([] if not scored else [r[0] for r in con.execute(
        "SELECT DISTINCT as_of FROM scores WHERE p_alive IS NOT NULL ORDER BY as_of DESC"
    ).fetchall()])
    if not dates:
        raise ModelError("the workspace has no value scores yet; write them with "
                         "`tenure score --as-of DATE`")
    if as_of is None:
        return ScoreDate(dates[0], f"the latest of {len(dates)} scored date(s)")
    day = to_date(as_of, "as_of")
    if day not in dates:
        shown = ", ".join(str(d) for d in dates[:5])
        raise ModelError(f"no value scores as of {day}; the scored dates are {shown}"
                         f"{' and more' if len(dates) > 5 else ''}; score it with `tenure "
                         f"score --as-of {day}` or pick one of them")
    return ScoreDate(day, "the date asked for")


def _select(day: dt.date) -> tuple[str, dict[str, Any]]:
    columns = ", ".join(["customer_id", "as_of", *VALUE_COLUMNS])
    return (f"SELECT {columns} FROM scores WHERE as_of = $as_of AND p_alive IS NOT NULL "
            "ORDER BY customer_id", {"as_of": day})


def score_frame(ws, as_of: Any = None) -> pd.DataFrame:
    """One row per customer of the value scores as of ``as_of`` (default: the latest
    scored date): customer_id, as_of, p_alive, expected_purchases, expected_spend, clv,
    model, model_version, horizon_days."""
    day = score_date(ws, as_of).as_of
    sql, params = _select(day)
    return ws.connection.execute(sql, params).df()


def export_scores(ws, path: str | Path, *, as_of: Any = None) -> ScoreExport:
    """Write the value scores of ``as_of`` (default: the latest scored date) to ``path``, a
    CSV or Parquet file by its suffix. The engine hands the rows over as Arrow columns,
    which Arrow writes: a million customers take about a second."""
    target = Path(path)
    if target.suffix.lower() not in FORMATS:
        raise ConfigError(f"{target.name} is neither a .csv nor a .parquet file; name the file "
                          "with one of those suffixes")
    day = score_date(ws, as_of).as_of
    sql, params = _select(day)
    table = ws.connection.sql(sql, params=params).to_arrow_table()
    if target.suffix.lower() == ".csv":
        import codecs

        import pyarrow.csv as pacsv

        # A byte-order mark first, like every CSV tenure writes, so that Excel reads the
        # file as UTF-8.
        with target.open("wb") as handle:
            handle.write(codecs.BOM_UTF8)
            pacsv.write_csv(table, handle)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, target)
    return ScoreExport(target, table.num_rows, day)
