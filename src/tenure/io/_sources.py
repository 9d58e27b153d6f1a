"""Sources of rows: files and in-memory frames, presented to DuckDB as one relation.

:func:`open_source` turns a path (CSV, Parquet, JSON lines, Excel) or a pandas, Polars or
Arrow object into a :class:`Source`: a relation with a ``__row`` column that says where each
row stands in the original (the line of a CSV or JSON-lines file, counting the header as
line 1; the row of an Excel sheet; the record number, from 1, of Parquet and data frames),
the source's own columns, and the rows rejected because the file's structure was broken
there (a CSV line with too many or too few fields).

Large files stream through DuckDB's readers; nothing loads a whole file into pandas.
"""

from __future__ import annotations

import csv
import gzip
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tenure._sql import Params, ident
from tenure.errors import InputError
from tenure.io._encoding import detect_encoding, transcode_to_utf8
from tenure.io._mapping import ReadOptions

__all__ = ["ROW", "Reject", "Source", "open_source"]

ROW = "__row"
_FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".xlsx": "excel",
    ".xlsm": "excel", ".xls": "excel", ".xlsb": "excel", ".ods": "excel",
}
_NULL_TEXTS = ["", "NULL", "null", "NaN", "nan", "N/A", "#N/A", "None", "\\N"]

# A function that runs a statement while showing its progress (see workspace).
Runner = Callable[[str, dict[str, Any], str], None]


@dataclass(frozen=True)
class Reject:
    """A row whose structure was broken, so that no value in it could be trusted."""

    row: int
    text: str
    message: str


@dataclass
class Source:
    """A readable relation of rows plus what is known about where they came from."""

    name: str
    format: str
    relation: str
    params: dict[str, Any]
    columns: list[str]
    types: dict[str, str]
    encoding: str | None = None
    rejects: list[Reject] = field(default_factory=list)
    _cleanup: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        for step in reversed(self._cleanup):
            step()
        self._cleanup.clear()


def source_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = _FORMATS.get(suffixes[-1] if suffixes else "")
    if fmt is None:
        known = ", ".join(sorted(_FORMATS))
        raise InputError(
            f"cannot tell the file's format from its name; use one of {known}", source=str(path)
        )
    return fmt


def open_source(
    con: duckdb.DuckDBPyConnection, source: Any, options: ReadOptions, run: Runner
) -> Source:
    """Prepare ``source`` for reading through ``con``; the caller closes the result."""
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.exists():
            raise InputError("file not found", source=str(path))
        if path.is_dir():
            raise InputError("is a folder; give one file", source=str(path))
        fmt = source_format(path)
        opener = {"csv": _open_csv, "parquet": _open_parquet, "jsonl": _open_json,
                  "json": _open_json, "excel": _open_excel}[fmt]
        result = opener(con, path, options, run)
    else:
        result = _open_frame(con, source)
    result.types = _describe(con, result)
    return result


def _describe(con: duckdb.DuckDBPyConnection, source: Source) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {source.relation}", source.params).fetchall()
    return {name: kind for name, kind, *_ in rows if name != ROW}


def _temp_name(prefix: str) -> str:
    return f"_tenure_{prefix}"


def _drop(con: duckdb.DuckDBPyConnection, kind: str, name: str) -> Callable[[], None]:
    return lambda: con.execute(f"DROP {kind} IF EXISTS {ident(name)}")


def _header_names(raw: list[str], path: Path) -> list[str]:
    names = [(n.strip() or f"column_{i + 1}") for i, n in enumerate(raw)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise InputError(
                f"the header names '{name}' twice (columns {seen[name] + 1} and {i + 1}); "
                "give each column its own name",
                source=str(path),
            )
        seen[name] = i
    return names


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _header_line(path: Path, skip_rows: int) -> str:
    """The header line of a UTF-8 file, after ``skip_rows`` title lines."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as handle:
        for _ in range(skip_rows):
            handle.readline()
        line = handle.readline()
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            f"line {skip_rows + 1} is not valid UTF-8; the file may be GBK: set "
            "encoding = \"gb18030\" in the mapping file's [options]",
            source=str(path),
        ) from None


def _open_csv(con, path: Path, options: ReadOptions, run: Runner) -> Source:
    cleanup: list[Callable[[], None]] = []
    encoding = options.encoding.lower()
    if encoding == "auto":
        encoding = "utf-8" if path.suffix.lower() == ".gz" else detect_encoding(path)
    readable = path
    if encoding not in ("utf-8", "utf-8-sig"):
        folder = Path(tempfile.mkdtemp(prefix="tenure-"))
        cleanup.append(lambda: shutil.rmtree(folder, ignore_errors=True))
        readable = folder / "utf8.csv"
        try:
            transcode_to_utf8(path, encoding, readable)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    first = _header_line(readable, options.skip_rows)
    if not first.strip():
        raise InputError("has no header line; the first line should name the columns",
                         source=str(path))
    delimiter = options.delimiter
    if delimiter == "\\t":
        delimiter = "\t"
    if delimiter == "auto":
        delimiter = _sniff_delimiter(first)
    names = _header_names(next(csv.reader([first], delimiter=delimiter)), path)

    raw, rejects_table, scans = _temp_name("raw"), _temp_name("rejects"), _temp_name("scans")
    for name in (raw, rejects_table, scans):
        con.execute(f"DROP TABLE IF EXISTS {ident(name)}")
    p = Params()
    sql = (
        f"CREATE TEMP TABLE {ident(raw)} AS SELECT * FROM read_csv({p(str(readable))}, "
        f"header = true, skip = {p(options.skip_rows)}, names = {p(names)}, "
        f"delim = {p(delimiter)}, quote = '\"', escape = '\"', all_varchar = true, "
        f"nullstr = {p(_NULL_TEXTS)}, store_rejects = true, "
        f"rejects_table = {p(rejects_table)}, rejects_scan = {p(scans)}, "
        "max_line_size = 10000000)"
    )
    cleanup += [_drop(con, "TABLE", raw), _drop(con, "TABLE", rejects_table),
                _drop(con, "TABLE", scans)]
    try:
        run(sql, p.values, f"reading {path.name}")
    except duckdb.Error as exc:
        for step in reversed(cleanup):
            step()
        raise InputError(f"cannot be read as CSV ({_first_line(exc)})", source=str(path)) from None

    # A header line and any skipped title lines come before the first record.
    first_line = options.skip_rows + 2
    found = con.execute(
        f"SELECT line, error_type, trim(csv_line, chr(10) || chr(13)), error_message "
        f"FROM {ident(rejects_table)} ORDER BY line"
    ).fetchall()
    unicode_errors = [r for r in found if r[1] in ("INVALID UNICODE", "INVALID ENCODING")]
    if unicode_errors:
        for step in reversed(cleanup):
            step()
        raise InputError(
            f"line {unicode_errors[0][0]} is not valid UTF-8; the file may be GBK: set "
            "encoding = \"gb18030\" in the mapping file's [options]",
            source=str(path),
        )
    by_line = {}
    for line, kind, text, message in found:
        by_line.setdefault(int(line), Reject(int(line), text, _reject_message(
            kind, message, len(names))))
    rejects = list(by_line.values())
    if rejects:
        # Records after a rejected line sit one line further down for each such line.
        shifts = _temp_name("shifts")
        con.execute(f"DROP TABLE IF EXISTS {ident(shifts)}")
        con.execute(
            f"CREATE TEMP TABLE {ident(shifts)} AS SELECT good_before, max(shift) AS shift "
            "FROM (SELECT line - $first - (row_number() OVER (ORDER BY line) - 1) AS good_before, "
            "row_number() OVER (ORDER BY line) AS shift "
            f"FROM (SELECT DISTINCT line FROM {ident(rejects_table)})) GROUP BY good_before",
            {"first": first_line},
        )
        cleanup.append(_drop(con, "TABLE", shifts))
        relation = (
            f"(SELECT r.rowid + $s_first + coalesce(s.shift, 0) AS {ROW}, r.* "
            f"FROM {ident(raw)} r ASOF LEFT JOIN {ident(shifts)} s "
            "ON r.rowid >= s.good_before)"
        )
    else:
        relation = f"(SELECT rowid + $s_first AS {ROW}, * FROM {ident(raw)})"
    return Source(str(path), "csv", relation, {"s_first": first_line}, names, {},
                  encoding=encoding, rejects=rejects, _cleanup=cleanup)


def _reject_message(kind: str, message: str, expected: int) -> str:
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        found = message.rsplit(":", 1)[-1].strip()
        return (f"the line has {found} fields where the header has {expected}; quote values "
                "that contain the separator")
    if kind == "UNQUOTED VALUE":
        return "a quote character stands inside an unquoted value; quote the whole value"
    return message


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _open_parquet(con, path: Path, options: ReadOptions, run: Runner) -> Source:
    del options, run
    relation = (f"(SELECT file_row_number + 1 AS {ROW}, * EXCLUDE (file_row_number) "
                "FROM read_parquet($s_path, file_row_number = true))")
    params = {"s_path": str(path)}
    try:
        columns = [r[0] for r in con.execute(
            f"DESCRIBE SELECT * FROM {relation}", params).fetchall() if r[0] != ROW]
    except duckdb.Error as exc:
        raise InputError(f"cannot be read as Parquet ({_first_line(exc)})",
                         source=str(path)) from None
    return Source(str(path), "parquet", relation, params, columns, {})


def _open_json(con, path: Path, options: ReadOptions, run: Runner) -> Source:
    del options
    raw = _temp_name("raw")
    con.execute(f"DROP TABLE IF EXISTS {ident(raw)}")
    fmt = "newline_delimited" if source_format(path) == "jsonl" else "auto"
    try:
        run(f"CREATE TEMP TABLE {ident(raw)} AS SELECT * FROM read_json($path, format = $fmt, "
            "records = true)", {"path": str(path), "fmt": fmt}, f"reading {path.name}")
    except duckdb.Error as exc:
        raise InputError(f"cannot be read as JSON ({_first_line(exc)})", source=str(path)) from None
    columns = [r[0] for r in con.execute(f"DESCRIBE {ident(raw)}").fetchall()]
    relation = f"(SELECT rowid + 1 AS {ROW}, * FROM {ident(raw)})"
    return Source(str(path), fmt if fmt == "json" else "jsonl", relation, {}, columns, {},
                  _cleanup=[_drop(con, "TABLE", raw)])


def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") and hasattr(
            value, "year") else value.isoformat()
    return str(value)


def _open_excel(con, path: Path, options: ReadOptions, run: Runner) -> Source:
    del run
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet_name = options.sheet or book.sheet_names[0]
        if sheet_name not in book.sheet_names:
            raise InputError(
                f"has no sheet '{sheet_name}'; its sheets are {', '.join(book.sheet_names)}",
                source=str(path),
            )
        rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:  # calamine raises its own types for damaged files
        raise InputError(f"cannot be read as a spreadsheet ({_first_line(exc)})",
                         source=str(path)) from None
    if len(rows) <= options.skip_rows:
        raise InputError("has no header row; the first row should name the columns",
                         source=str(path))
    header = [_cell_text(v) or "" for v in rows[options.skip_rows]]
    names = _header_names(header, path)
    body = rows[options.skip_rows + 1:]
    width = len(names)
    columns = list(zip(*[(r + [None] * width)[:width] for r in body], strict=True)) if body \
        else [()] * width
    first_row = options.skip_rows + 2
    arrays = [pa.array(range(first_row, first_row + len(body)), pa.int64())]
    arrays += [pa.array([_cell_text(v) for v in col], pa.string()) for col in columns]
    table = pa.Table.from_arrays(arrays, names=[ROW, *names])
    view = _temp_name("frame")
    con.register(view, table)
    return Source(str(path), "excel", ident(view), {}, names, {},
                  _cleanup=[lambda: con.unregister(view)])


def _to_arrow(frame: Any) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    if isinstance(frame, pa.RecordBatch):
        return pa.Table.from_batches([frame])
    if isinstance(frame, pa.RecordBatchReader):
        return frame.read_all()
    module = type(frame).__module__.split(".", 1)[0]
    if module == "polars":
        return frame.to_arrow()
    if module == "pandas":
        import pandas as pd

        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"a pandas {type(frame).__name__} is not a table; pass a DataFrame")
        try:
            return pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # Object columns mixing numbers and text: read them as text, like a CSV.
            mixed = {c: frame[c].astype("string") for c in frame.columns
                     if frame[c].dtype == object}
            return pa.Table.from_pandas(frame.assign(**mixed), preserve_index=False)
    raise InputError(
        f"cannot read a {type(frame).__name__}; pass a file path, or a pandas or Polars "
        "DataFrame, or an Arrow table"
    )


def _open_frame(con, frame: Any) -> Source:
    table = _to_arrow(frame)
    names = [str(n) for n in table.column_names]
    _header_names(names, Path(f"<{type(frame).__name__}>"))
    table = table.rename_columns(names)
    table = table.add_column(0, ROW, pa.array(range(1, table.num_rows + 1), pa.int64()))
    view = _temp_name("frame")
    con.register(view, table)
    return Source(f"<{type(frame).__module__.split('.')[0]}.{type(frame).__name__}>", "frame",
                  ident(view), {}, names, {}, _cleanup=[lambda: con.unregister(view)])
