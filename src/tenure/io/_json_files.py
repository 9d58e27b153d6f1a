"""JSON lines (one record per line) and JSON arrays of records, through DuckDB's reader.

A JSON-lines file whose reader stops on a broken line (a record cut short, a line that is
not an object) is read again without its broken lines, each rejected on its own line;
records keep the number of the line they stand on, blank lines included.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from tenure._sql import ident
from tenure.errors import InputError
from tenure.io._encoding import (
    detect_encoding,
    empty_lines,
    read_sample,
    transcode_to_utf8,
    unify_line_ends,
)
from tenure.io._mapping import ReadOptions
from tenure.io._rows import (
    ROW,
    Reject,
    Source,
    closing_on_failure,
    drop,
    first_line_of,
    numbered,
    temp_name,
    without_lines,
    wrong_encoding,
)

__all__ = ["open_json"]

_SHOWN = 1000


def _opener(path: Path, compressed: bool):
    return gzip.open(path, "rb") if compressed else path.open("rb")


def _broken_lines(path: Path, compressed: bool) -> dict[int, Reject]:
    """Lines of a JSON-lines file that are not one JSON object each."""
    broken: dict[int, Reject] = {}
    with _opener(path, compressed) as handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace")
            if not text.strip():
                continue
            try:
                record = json.loads(text.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                message = (f"the line is not complete JSON (at character {exc.colno}: "
                           f"{exc.msg}); the record may have been cut short or broken by "
                           "an editor")
            else:
                if isinstance(record, dict):
                    continue
                message = ("the line is JSON but not an object; each line should be one "
                           "record such as {\"order_id\": \"A1\", ...}")
            broken[number] = Reject(number, text.rstrip("\r\n")[:_SHOWN], message)
    return broken


def _without_broken(path: Path, compressed: bool, broken: dict[int, Reject],
                    target: Path) -> None:
    with _opener(path, compressed) as src, target.open("wb") as dst:
        for number, raw in enumerate(src, start=1):
            dst.write(b"\n" if number in broken else raw)


def _a_wrapper(con, raw: str, types: dict[str, str]) -> bool:
    """Whether a JSON file read as records is one object holding the records in a list
    (``{"orders": [{...}, ...]}``) rather than the records themselves."""
    lists = [t for t in types.values() if t.startswith("STRUCT") and t.endswith("[]")]
    return bool(lists) and con.execute(f"SELECT count(*) FROM {ident(raw)}").fetchall()[0][0] == 1


def _where_json_breaks(path: Path, compressed: bool) -> str:
    with _opener(path, compressed) as handle:
        text = handle.read().decode("utf-8-sig", errors="replace")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return (f"is not valid JSON: line {exc.lineno}, column {exc.colno} ({exc.msg}); "
                "the file may have been cut short")
    if isinstance(value, dict):
        lists = [k for k, v in value.items() if isinstance(v, list)]
        where = f" (its records may be the list under \"{lists[0]}\")" if lists else ""
        return (f"holds one JSON object, not a list of records{where}; give a JSON array of "
                "objects or JSON lines")
    return "holds JSON that is not a list of records; give a JSON array of objects or JSON lines"


def open_json(con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, run,
              compressed: bool, jsonl: bool) -> Source:
    """Read a JSON or JSON-lines file whole (its columns are its records' keys)."""
    return closing_on_failure(_open, con, path, options, run, compressed, jsonl)


def _temp_folder(cleanup: list[Callable[[], None]]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="tenure-"))
    cleanup.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    return folder


def _open(con, path, options, run, compressed, jsonl, cleanup) -> Source:
    sample, at_end = read_sample(path, compressed)
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputError("is empty (no records); export the data again", source=str(path))
    chosen = options.encoding.lower()
    encoding = detect_encoding(sample, at_end, str(path)) if chosen == "auto" else chosen
    readable, others = path, []
    # Old Mac files end their lines with a carriage return alone, which the reader does
    # not take for the end of a record.
    cr_lines = b"\n" not in sample and b"\r" in sample
    if encoding not in ("utf-8", "utf-8-sig"):
        readable = _temp_folder(cleanup) / "utf8.json"
        others = transcode_to_utf8(path, encoding, readable, compressed=compressed,
                                   cr_lines=cr_lines)
        compressed = False
    elif cr_lines:
        readable = _temp_folder(cleanup) / "lines.json"
        unify_line_ends(path, readable, compressed=compressed, cr_lines=True)
        compressed = False
    raw = temp_name("raw")
    con.execute(f"DROP TABLE IF EXISTS {ident(raw)}")
    cleanup.append(drop(con, "TABLE", raw))
    fmt = "newline_delimited" if jsonl else "auto"
    rejects = {o.line: wrong_encoding(o, encoding) for o in others}

    def read(file: Path, packed: bool) -> None:
        run(f"CREATE OR REPLACE TEMP TABLE {ident(raw)} AS SELECT * FROM read_json($path, "
            "format = $fmt, records = true, compression = $compression)",
            {"path": str(file), "fmt": fmt, "compression": "gzip" if packed else "none"},
            f"reading {path.name}")

    try:
        read(readable, compressed)
    except (duckdb.OutOfMemoryException, duckdb.IOException):
        raise
    except duckdb.Error as exc:
        if not jsonl:
            raise InputError(_where_json_breaks(readable, compressed),
                             source=str(path)) from None
        broken = _broken_lines(readable, compressed)
        if not broken:
            raise InputError(f"cannot be read as JSON lines ({first_line_of(exc)})",
                             source=str(path)) from None
        cleaned = _temp_folder(cleanup) / "records.jsonl"
        _without_broken(readable, compressed, broken, cleaned)
        readable, compressed = cleaned, False
        rejects = {**broken, **rejects}
        try:
            read(readable, compressed)
        except duckdb.Error as again:
            raise InputError(f"cannot be read as JSON lines ({first_line_of(again)})",
                             source=str(path)) from None
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {ident(raw)}").fetchall()}
    if not jsonl and _a_wrapper(con, raw, types):
        raise InputError(_where_json_breaks(readable, compressed), source=str(path))
    if jsonl:
        # Broken lines were blanked out: they, and blank lines, hold no record.
        gaps = empty_lines(readable, compressed=compressed)
        relation, params = numbered(con, raw, 1, gaps, cleanup)
    else:
        relation, params = f"(SELECT rowid + 1 AS {ROW}, * FROM {ident(raw)})", {}
    relation, params = without_lines(relation, params, [o.line for o in others])
    return Source(str(path), "json" if not jsonl else "jsonl", list(types), types,
                  relation=relation,
                  params=params, encoding=encoding,
                  rejects=sorted(rejects.values(), key=lambda r: r.row), _cleanup=cleanup)
