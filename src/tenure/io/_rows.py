"""What every reader shares: the source it returns, rejected rows, headers and row numbers.

A :class:`Source` is a relation with a ``__row`` column that says where each row stands in
the original (the line of a CSV or JSON-lines file, counting the header as line 1; the row
of an Excel sheet; the record number, from 1, of Parquet and data frames), the source's own
columns, and the rows rejected because the file's structure was broken there.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from tenure._sql import ident
from tenure.contract import header_key
from tenure.errors import InputError
from tenure.io._encoding import OtherEncodingLine

__all__ = ["ROW", "Reject", "Source", "closing_on_failure", "find_header", "header_names",
           "numbered", "temp_name",
           "without_lines", "wrong_encoding"]

ROW = "__row"
# A title row holds at most this share of the header's filled cells.
_TITLE_SHARE = 0.5


@dataclass(frozen=True)
class Reject:
    """A row that could not be read at all, so that no value in it could be trusted."""

    row: int
    text: str
    message: str
    reason: str = "malformed_row"


@dataclass
class Source:
    """A readable relation of rows plus what is known about where they came from.

    ``load(columns)`` reads the rows, keeping only the columns asked for; until then only
    the header is known (a wide file is never read whole for the few columns it maps).
    """

    name: str
    format: str
    columns: list[str]
    types: dict[str, str]
    relation: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    encoding: str | None = None
    rejects: list[Reject] = field(default_factory=list)
    # Title rows found above the header and skipped (the header's line is this plus one).
    title_rows: int = 0
    # Cells of merged ranges (Excel) filled down from the range's first cell.
    filled_cells: int = 0
    # The first records as text, for guessing which column is which.
    sample_rows: list[list[str | None]] | None = None
    _loader: Callable[[list[str]], None] | None = field(default=None, repr=False)
    _cleanup: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def load(self, columns: Collection[str]) -> None:
        """Read the rows of ``columns`` (every column when a reader cannot choose)."""
        if self._loader is not None:
            loader, self._loader = self._loader, None
            wanted = set(columns)
            loader([c for c in self.columns if c in wanted])

    def sample(self, con: duckdb.DuckDBPyConnection, columns: Sequence[str],
               rows: int = 50) -> dict[str, list[str]]:
        """Up to ``rows`` non-empty values of each of ``columns``, as text."""
        if self.sample_rows is not None:
            index = {c: i for i, c in enumerate(self.columns)}
            return {c: [r[index[c]] for r in self.sample_rows
                        if index[c] < len(r) and r[index[c]] not in (None, "")][:rows]
                    for c in columns}
        if not columns or not self.relation:
            return {c: [] for c in columns}
        picked = ", ".join(f"CAST({ident(c)} AS VARCHAR)" for c in columns)
        found = con.execute(f"SELECT {picked} FROM {self.relation} LIMIT {int(rows)}",
                            self.params).fetchall()
        return {c: [r[i] for r in found if r[i] not in (None, "")]
                for i, c in enumerate(columns)}

    def close(self) -> None:
        for step in reversed(self._cleanup):
            step()
        self._cleanup.clear()


def closing_on_failure(opener: Callable[..., Source], *args: Any) -> Source:
    """``opener(*args, cleanup)``, running what it put in ``cleanup`` if it fails."""
    cleanup: list[Callable[[], None]] = []
    try:
        return opener(*args, cleanup)
    except BaseException:
        for step in reversed(cleanup):
            step()
        raise


def temp_name(prefix: str) -> str:
    return f"_tenure_{prefix}"


def drop(con: duckdb.DuckDBPyConnection, kind: str, name: str) -> Callable[[], None]:
    return lambda: con.execute(f"DROP {kind} IF EXISTS {ident(name)}")


def header_names(raw: Sequence[str], source: str) -> list[str]:
    """Column names from header cells: blanks named by position, repeats refused."""
    names = [(str(n).strip() or f"column_{i + 1}") for i, n in enumerate(raw)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise InputError(
                f"the header names '{name}' twice (columns {seen[name] + 1} and {i + 1}); "
                "give each column its own name",
                source=source,
            )
        seen[name] = i
    return names


def _filled(row: Sequence[Any]) -> int:
    return sum(1 for cell in row if cell not in (None, "") and str(cell).strip())


def find_header(rows: Sequence[Sequence[Any]], words: Collection[str], source: str,
                unit: str = "line") -> int:
    """Where the header stands among the first ``rows`` of a file (0: the first).

    The header is the row that names the most known columns (``words``, compared as
    :func:`tenure.contract.header_key` compares them). Rows above it that look like titles
    (a cell or two, against the header's many) are skipped; when rows above it look like
    data instead, the error says where the header seems to start and how to skip to it.
    """
    if not rows or not words:
        return 0
    scores = [len({header_key(c) for c in row if c not in (None, "")} & set(words))
              for row in rows]
    best = max(range(len(rows)), key=lambda i: (scores[i], -i))
    if best == 0 or scores[best] <= scores[0]:
        return 0
    width = _filled(rows[best])
    titles = all(_filled(row) <= max(1, int(width * _TITLE_SHARE)) for row in rows[:best])
    if titles and width >= 2:
        return best
    if scores[best] >= 2:
        raise InputError(
            f"the header seems to be on {unit} {best + 1} ({', '.join(_shown(rows[best]))}), "
            f"below {unit}s that look like data; set skip_rows = {best} in the mapping file's "
            "[options]",
            source=source,
        )
    return 0


def _shown(row: Sequence[Any], limit: int = 4) -> list[str]:
    cells = [str(c) for c in row if c not in (None, "")]
    return cells[:limit] + (["..."] if len(cells) > limit else [])


def guess_delimiter(lines: Sequence[str]) -> str:
    """The field separator that splits the sample lines into the most fields."""
    import csv

    best, best_fields = ",", 1.0
    for delimiter in (",", "\t", ";", "|"):
        counts = []
        for line in lines:
            if not line.strip():
                continue
            try:
                counts.append(len(next(csv.reader([line], delimiter=delimiter))))
            except csv.Error:
                counts.append(line.count(delimiter) + 1)
        fields = statistics.median(counts) if counts else 1
        if fields > best_fields:
            best, best_fields = delimiter, fields
    return best


def numbered(con: duckdb.DuckDBPyConnection, raw: str, first_line: int,
             gaps: Collection[int], cleanup: list[Callable[[], None]]) -> tuple[str, dict]:
    """A relation over table ``raw`` (records in file order) with ``__row``: the line of
    each record, when the record count starts at ``first_line`` and ``gaps`` are lines
    that hold no record (rejected or empty lines), each pushing the records after it one
    line down."""
    if not gaps:
        return (f"(SELECT rowid + $s_first AS {ROW}, * FROM {ident(raw)})",
                {"s_first": first_line})
    shifts = temp_name("shifts")
    con.execute(f"DROP TABLE IF EXISTS {ident(shifts)}")
    # The k-th gap (in line order, from 1) moves every record from its place on by k lines:
    # the records before it number (gap - first_line) - (k - 1).
    con.execute(
        f"CREATE TEMP TABLE {ident(shifts)} AS SELECT good_before, max(shift) AS shift "
        "FROM (SELECT line - $first - (row_number() OVER (ORDER BY line) - 1) AS good_before, "
        "row_number() OVER (ORDER BY line) AS shift FROM (SELECT DISTINCT unnest($gaps) AS "
        "line)) GROUP BY good_before",
        {"first": first_line, "gaps": sorted(set(gaps))},
    )
    cleanup.append(drop(con, "TABLE", shifts))
    relation = (f"(SELECT r.rowid + $s_first + coalesce(s.shift, 0) AS {ROW}, r.* "
                f"FROM {ident(raw)} r ASOF LEFT JOIN {ident(shifts)} s "
                "ON r.rowid >= s.good_before)")
    return relation, {"s_first": first_line}


def first_line_of(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def without_lines(relation: str, params: dict[str, Any], lines: Collection[int]
                  ) -> tuple[str, dict[str, Any]]:
    """``relation`` without the rows on ``lines``."""
    if not lines:
        return relation, params
    return (f"(SELECT * FROM {relation} WHERE {ident(ROW)} NOT IN (SELECT unnest($s_other)))",
            {**params, "s_other": sorted(lines)})


_ENCODING_NAMES = {"gb18030": "GBK", "gbk": "GBK", "gb2312": "GBK", "utf-8": "UTF-8",
                   "utf-8-sig": "UTF-8"}


def wrong_encoding(other: OtherEncodingLine, encoding: str) -> Reject:
    """A line in another encoding than the rest of its file, as a reject."""
    name = _ENCODING_NAMES.get(encoding.lower(), encoding)
    return Reject(
        other.line, other.text[:1000],
        f"the line is in {other.encoding} while the rest of the file is {name}; save the "
        "whole file in one encoding and ingest it again",
        reason="wrong_encoding")
