"""Excel and OpenDocument workbooks, as people make them.

A sheet is chosen by name, or is the only one holding data; title rows above the header
are found and skipped; a cell merged over several rows (a customer's name over each of
their orders) is filled down into every row it covers, and the count is reported.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tenure._sql import ident
from tenure.errors import InputError
from tenure.io._mapping import ReadOptions
from tenure.io._rows import ROW, Source, find_header, first_line_of, header_names, temp_name

__all__ = ["open_excel"]

_HEAD_ROWS = 60


def cell_text(value: Any) -> str | None:
    """A cell as the text a CSV export would hold."""
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


def _has_data(rows: list[list[Any]]) -> bool:
    return any(cell not in (None, "") for row in rows for cell in row)


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _choose_sheet(book, options: ReadOptions, path: Path):
    names = list(book.sheet_names)
    if options.sheet:
        if options.sheet not in names:
            raise InputError(f"has no sheet '{options.sheet}'; its sheets are "
                             f"{_quoted(names)}", source=str(path))
        sheet = book.get_sheet_by_name(options.sheet)
        return options.sheet, sheet, sheet.to_python(skip_empty_area=False)
    from python_calamine import SheetVisibleEnum

    hidden = {m.name for m in book.sheets_metadata if m.visible != SheetVisibleEnum.Visible}
    with_data = []
    for name in names:
        if name in hidden:
            continue
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        if _has_data(rows):
            with_data.append((name, sheet, rows))
    if not with_data:
        raise InputError("has no data in any sheet", source=str(path))
    if len(with_data) > 1:
        shown = [name for name, _, _ in with_data]
        raise InputError(
            f"has {len(shown)} sheets with data ({_quoted(shown)}); choose one with "
            f"sheet = \"{shown[0]}\" in the mapping file's [options]", source=str(path))
    return with_data[0]


def _fill_merged(sheet, rows: list[list[Any]], header: int) -> int:
    """Fill each range merged over several rows below the header from its first cell;
    return the number of cells filled."""
    filled = 0
    for (top, left), (bottom, _right) in sheet.merged_cell_ranges or []:
        if bottom <= top or top <= header or top >= len(rows):
            continue
        value = rows[top][left] if left < len(rows[top]) else None
        for r in range(top + 1, min(bottom, len(rows) - 1) + 1):
            if left < len(rows[r]) and rows[r][left] in (None, ""):
                rows[r][left] = value
                filled += 1
    return filled


def open_excel(con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions,
               header_words: Collection[str]) -> Source:
    from python_calamine import CalamineWorkbook

    try:
        with path.open("rb") as handle:
            book = CalamineWorkbook.from_filelike(handle)
        _, sheet, rows = _choose_sheet(book, options, path)
    except InputError:
        raise
    except Exception as exc:  # calamine raises its own types for damaged files
        raise InputError(f"cannot be read as a spreadsheet ({first_line_of(exc)}); open it "
                         "in Excel or WPS and save it again", source=str(path)) from None
    head = [[cell_text(v) for v in row] for row in rows[:_HEAD_ROWS]]
    skip = options.skip_rows or find_header(head, header_words, str(path), unit="row")
    if len(rows) <= skip or not _has_data([rows[skip]]):
        raise InputError(f"has no header in row {skip + 1}; the first row after any title "
                         "rows should name the columns", source=str(path))
    filled = _fill_merged(sheet, rows, skip)
    names = header_names([cell_text(v) or "" for v in rows[skip]], str(path))
    body = rows[skip + 1:]
    width = len(names)
    columns = list(zip(*[(list(r) + [None] * width)[:width] for r in body], strict=True)) \
        if body else [()] * width
    first_row = skip + 2
    arrays = [pa.array(range(first_row, first_row + len(body)), pa.int64())]
    arrays += [pa.array([cell_text(v) for v in col], pa.string()) for col in columns]
    table = pa.Table.from_arrays(arrays, names=[ROW, *names])
    view = temp_name("frame")
    con.register(view, table)
    sample = [[cell_text(v) for v in row] for row in body[:_HEAD_ROWS]]
    return Source(str(path), "excel", names, dict.fromkeys(names, "VARCHAR"),
                  relation=ident(view), title_rows=0 if options.skip_rows else skip,
                  filled_cells=filled, sample_rows=sample,
                  _cleanup=[lambda: con.unregister(view)])
