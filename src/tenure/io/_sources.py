"""Sources of rows: files and in-memory frames, presented to DuckDB as one relation.

:func:`open_source` turns a path (CSV, Parquet, JSON lines, Excel) or a pandas, Polars or
Arrow object into a :class:`~tenure.io._rows.Source`. What a file holds is checked against
its name first (:mod:`tenure.io._sniff`), so a workbook named ``.csv`` or a plain file named
``.gz`` is called what it is.

Large files stream through DuckDB's readers; nothing loads a whole file into pandas.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tenure._sql import ident
from tenure.errors import InputError
from tenure.io._csv_files import open_csv
from tenure.io._excel import open_excel
from tenure.io._json_files import open_json
from tenure.io._mapping import ReadOptions
from tenure.io._rows import ROW, Reject, Source, first_line_of, header_names, temp_name
from tenure.io._sniff import check_content

__all__ = ["ROW", "Reject", "Source", "open_source", "source_format"]

_FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".xlsx": "excel",
    ".xlsm": "excel", ".xls": "excel", ".xlsb": "excel", ".ods": "excel",
}
_COMPRESSIBLE = ("csv", "jsonl", "json")

# A function that runs a statement while showing its progress (see workspace).
Runner = Callable[[str, dict[str, Any], str], None]


def source_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    fmt = _FORMATS.get(suffixes[-1] if suffixes else "")
    if fmt is None or (gz and fmt not in _COMPRESSIBLE):
        known = ", ".join(sorted(_FORMATS))
        raise InputError(
            f"cannot tell the file's format from its name; use one of {known} (CSV and JSON "
            "may end in .gz too)", source=str(path))
    return fmt


def open_source(con: duckdb.DuckDBPyConnection, source: Any, options: ReadOptions,
                run: Runner, *, header_words: Collection[str] = ()) -> Source:
    """Prepare ``source`` for reading through ``con``; the caller loads and closes it.

    ``header_words`` are the header texts the caller knows (as
    :func:`tenure.contract.header_key` writes them): with them a reader finds a header
    below title rows.
    """
    if not isinstance(source, str | Path):
        return _open_frame(con, source)
    path = Path(source)
    if not path.exists():
        raise InputError("file not found", source=str(path))
    if path.is_dir():
        raise InputError("is a folder; give one file", source=str(path))
    fmt = source_format(path)
    try:
        content = check_content(path, fmt)
    except PermissionError:
        raise InputError("cannot be read (permission denied)", source=str(path)) from None
    if fmt == "csv":
        return open_csv(con, path, options, run, content.compressed, header_words)
    if fmt in ("json", "jsonl"):
        return open_json(con, path, options, run, content.compressed, fmt == "jsonl")
    if fmt == "excel":
        return open_excel(con, path, options, header_words)
    return _open_parquet(con, path)


def _describe(con: duckdb.DuckDBPyConnection, relation: str, params: dict) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}", params).fetchall()
    return {name: kind for name, kind, *_ in rows if name != ROW}


def _open_parquet(con, path: Path) -> Source:
    relation = (f"(SELECT file_row_number + 1 AS {ROW}, * EXCLUDE (file_row_number) "
                "FROM read_parquet($s_path, file_row_number = true))")
    params = {"s_path": str(path)}
    try:
        types = _describe(con, relation, params)
    except duckdb.Error as exc:
        raise InputError(f"cannot be read as Parquet ({first_line_of(exc)})",
                         source=str(path)) from None
    return Source(str(path), "parquet", list(types), types, relation=relation, params=params)


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
    label = f"<{type(frame).__module__.split('.')[0]}.{type(frame).__name__}>"
    names = header_names([str(n) for n in table.column_names], label)
    table = table.rename_columns(names)
    table = table.add_column(0, ROW, pa.array(range(1, table.num_rows + 1), pa.int64()))
    view = temp_name("frame")
    con.register(view, table)
    source = Source(label, "frame", names, {}, relation=ident(view),
                    _cleanup=[lambda: con.unregister(view)])
    source.types = _describe(con, source.relation, {})
    return source
