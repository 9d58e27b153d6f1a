"""CSV files: encodings, line ends, title rows, the header, and DuckDB's reader.

The header (and any title rows above it) is read in Python from the first megabyte; the
records stream through DuckDB's CSV reader with every column declared as text and nothing
left to its sniffer, so that a broken line (an unterminated quote, a 50 MB line, a field
too many) is rejected on its own line instead of failing the file. Only the columns the
ingest maps are kept.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tenure._sql import Params, ident
from tenure.errors import InputError
from tenure.io._encoding import (
    OtherEncodingLine,
    detect_encoding,
    empty_lines,
    read_sample,
    transcode_to_utf8,
    unify_line_ends,
)
from tenure.io._mapping import ReadOptions
from tenure.io._rows import (
    Reject,
    Source,
    closing_on_failure,
    drop,
    find_header,
    first_line_of,
    guess_delimiter,
    header_names,
    numbered,
    temp_name,
    without_lines,
    wrong_encoding,
)

__all__ = ["open_csv"]

NULL_TEXTS = ["", "NULL", "null", "NaN", "nan", "N/A", "#N/A", "None", "\\N"]
MAX_LINE_BYTES = 10_000_000
_HEAD_LINES = 60
_SHOWN_BYTES = 200
_LOOK_BACK = 1 << 16
_UTF8 = ("utf-8", "utf-8-sig")


@dataclass
class _Text:
    """A UTF-8 (or UTF-8-readable) copy of the file and how its lines end."""

    path: Path
    compressed: bool
    cr_lines: bool
    encoding: str
    others: list[OtherEncodingLine] = field(default_factory=list)


def _readable(path: Path, encoding: str, compressed: bool, cr_lines: bool,
              cleanup: list[Callable[[], None]], *, mixed_ends: bool = False) -> _Text:
    """The file as DuckDB can read it: itself when it is UTF-8 with one kind of line end,
    else a UTF-8 copy with ``\\n`` line ends."""
    if encoding in _UTF8 and not mixed_ends:
        return _Text(path, compressed, cr_lines, encoding)
    folder = Path(tempfile.mkdtemp(prefix="tenure-"))
    cleanup.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    target = folder / "utf8.csv"
    if encoding in _UTF8:
        unify_line_ends(path, target, compressed=compressed)
        return _Text(target, False, False, encoding)
    others = transcode_to_utf8(path, encoding, target, compressed=compressed,
                               cr_lines=cr_lines)
    return _Text(target, False, False, encoding, others)


def _head_lines(text: _Text) -> list[str]:
    sample, at_end = read_sample(text.path, text.compressed)
    decoded = sample.decode("utf-8-sig" if text.encoding in _UTF8 else "utf-8",
                            errors="replace")
    lines = decoded.split("\r" if text.cr_lines else "\n")
    if not at_end:
        lines = lines[:-1]
    return [line.removesuffix("\r") for line in lines[:_HEAD_LINES]]


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def open_csv(con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, run,
             compressed: bool, header_words: Collection[str]) -> Source:
    """Read the header of a CSV file; its rows are read by ``Source.load``."""
    return closing_on_failure(_open, con, path, options, run, compressed, header_words)


def _open(con, path, options, run, compressed, header_words, cleanup) -> Source:
    sample, at_end = read_sample(path, compressed)
    if not sample.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError("is empty (only blank lines); export the data again",
                         source=str(path))
    chosen = options.encoding.lower()
    encoding = detect_encoding(sample, at_end, str(path)) if chosen == "auto" else chosen
    # Old Mac files end their lines with a carriage return alone; files pasted together
    # from several sources mix \r\n and \n, which the reader refuses.
    cr_lines = b"\n" not in sample and b"\r" in sample
    if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
        cr_lines = "\n" not in sample.decode(encoding, errors="ignore")
    crlf = sample.count(b"\r\n")
    mixed = 0 < crlf < sample.count(b"\n")
    text = _readable(path, encoding, compressed, cr_lines, cleanup, mixed_ends=mixed)
    lines = _head_lines(text)
    delimiter = options.delimiter
    if delimiter == "\\t":
        delimiter = "\t"
    if delimiter == "auto":
        delimiter = guess_delimiter(lines[options.skip_rows:] or lines)
    rows = [_split(line, delimiter) for line in lines]
    skip = options.skip_rows or find_header(rows, header_words, str(path))
    if skip >= len(rows) or not any(c.strip() for c in rows[skip]):
        raise InputError(f"has no header on line {skip + 1}; the first line after any "
                         "title lines should name the columns", source=str(path))
    names = header_names(rows[skip], str(path))
    source = Source(str(path), "csv", names, dict.fromkeys(names, "VARCHAR"),
                    encoding=encoding, title_rows=skip if not options.skip_rows else 0,
                    sample_rows=rows[skip + 1:], _cleanup=cleanup)
    reader = _Reader(con, path, run, text, names, delimiter, skip, chosen == "auto",
                     source, cleanup)
    source._loader = reader.load
    return source


@dataclass
class _Reader:
    con: duckdb.DuckDBPyConnection
    path: Path
    run: Callable
    text: _Text
    names: list[str]
    delimiter: str
    skip: int
    detected: bool
    source: Source
    cleanup: list[Callable[[], None]]

    def load(self, columns: list[str]) -> None:
        con, raw = self.con, temp_name("raw")
        rejects_table, scans = temp_name("rejects"), temp_name("scans")
        for name in (raw, rejects_table, scans):
            con.execute(f"DROP TABLE IF EXISTS {ident(name)}")
        self.cleanup += [drop(con, "TABLE", raw), drop(con, "TABLE", rejects_table),
                         drop(con, "TABLE", scans)]
        p = Params()
        picked = ", ".join(ident(c) for c in columns) or "*"
        new_line = ", new_line = '\\r'" if self.text.cr_lines else ""
        sql = (
            f"CREATE TEMP TABLE {ident(raw)} AS SELECT {picked} FROM read_csv("
            f"{p(str(self.text.path))}, header = true, skip = {p(self.skip)}, "
            f"columns = {p(dict.fromkeys(self.names, 'VARCHAR'))}, auto_detect = false, "
            f"delim = {p(self.delimiter)}, quote = '\"', escape = '\"', "
            f"nullstr = {p(NULL_TEXTS)}, store_rejects = true, "
            f"rejects_table = {p(rejects_table)}, rejects_scan = {p(scans)}, "
            f"compression = {p('gzip' if self.text.compressed else 'none')}, "
            f"max_line_size = {p(MAX_LINE_BYTES)}{new_line})"
        )
        try:
            self.run(sql, p.values, f"reading {self.path.name}")
        except (duckdb.OutOfMemoryException, duckdb.IOException):
            raise
        except duckdb.Error as exc:
            if self.text.path == self.path and not self.text.cr_lines:
                # Line ends may change kind past the part looked at (\r\n, then \n).
                self.text = _readable(self.path, self.text.encoding, self.text.compressed,
                                      False, self.cleanup, mixed_ends=True)
                return self.load(columns)
            raise InputError(f"cannot be read as CSV ({first_line_of(exc)})",
                             source=str(self.path)) from None
        found = con.execute(
            f"SELECT line, error_type, left(trim(csv_line, chr(10) || chr(13)), "
            f"{_SHOWN_BYTES}), error_message, byte_position FROM {ident(rejects_table)} "
            "ORDER BY line").fetchall()
        unicode_errors = [r for r in found if r[1] in ("INVALID UNICODE", "INVALID ENCODING")]
        if unicode_errors and not self._has_utf8_text(raw, columns):
            if self.detected:
                # The first megabyte was plain ASCII; the rest is not UTF-8: read it as GBK.
                self.text = _readable(self.path, "gb18030", self.text.compressed,
                                      self.text.cr_lines, self.cleanup)
                self.source.encoding = "gb18030"
                return self.load(columns)
            raise InputError(
                f"line {unicode_errors[0][0]} is not valid UTF-8; the file may be GBK: set "
                "encoding = \"gb18030\" in the mapping file's [options]",
                source=str(self.path))
        rejects: dict[int, Reject] = {}
        for line, kind, text, message, position in found:
            if kind in ("INVALID UNICODE", "INVALID ENCODING"):
                rejects[int(line)] = self._other_encoding(int(line), position)
            else:
                rejects.setdefault(int(line), Reject(int(line), text, _reject_message(
                    kind, message, len(self.names))))
        for other in self.text.others:
            rejects[other.line] = wrong_encoding(other, self.text.encoding)
        first_line = self.skip + 2
        # Lines the reader rejected hold no record; lines in the other encoding do.
        gaps = {int(r[0]) for r in found if int(r[0]) >= first_line}
        gaps |= set(empty_lines(self.text.path, compressed=self.text.compressed,
                                cr_lines=self.text.cr_lines, after=first_line - 1))
        relation, params = numbered(con, raw, first_line, gaps, self.cleanup)
        relation, params = without_lines(relation, params, [o.line for o in self.text.others])
        self.source.relation, self.source.params = relation, params
        self.source.rejects = sorted(rejects.values(), key=lambda r: r.row)

    def _has_utf8_text(self, raw: str, columns: list[str]) -> bool:
        """Whether the rows read hold non-ASCII text that is valid UTF-8 (so the lines
        that are not are the odd ones out, not a sign that the file is GBK)."""
        if not columns:
            return False
        joined = " || ".join(f"coalesce({ident(c)}, '')" for c in columns)
        return bool(self.con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {ident(raw)} "
            f"WHERE NOT regexp_full_match({joined}, '[\\x00-\\x7F]*') LIMIT 1)").fetchall()[0][0])

    def _other_encoding(self, line: int, position: int | None) -> Reject:
        """The line around the reader's error ``position``, as GBK reads it."""
        data = b""
        if position is not None and not self.text.compressed:
            start = max(int(position) - _LOOK_BACK, 0)
            with self.text.path.open("rb") as handle:
                handle.seek(start)
                window = handle.read(int(position) - start + _SHOWN_BYTES)
            begin = window.rfind(b"\n", 0, int(position) - start) + 1
            data = window[begin:].split(b"\n", 1)[0].rstrip(b"\r")[:_SHOWN_BYTES]
        shown = data.decode("gb18030", errors="replace")
        return wrong_encoding(OtherEncodingLine(line, shown, "GBK"), "UTF-8")


def _reject_message(kind: str, message: str, expected: int) -> str:
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        found = message.rsplit(":", 1)[-1].strip()
        return (f"the line has {found} fields where the header has {expected}; quote values "
                "that contain the separator")
    if kind == "UNQUOTED VALUE":
        return ("a quote opens a value that is never closed, or stands inside an unquoted "
                "value; check the quotes on this line")
    if kind == "LINE SIZE OVER MAXIMUM":
        sizes = re.findall(r"\d+", message)
        size = f"{int(sizes[-1]):,} bytes" if sizes else "too"
        return (f"the line is {size} long, more than the {MAX_LINE_BYTES:,} bytes a line may "
                "have; check that the file was exported whole")
    return message
