"""What a file really holds, read from its first bytes, whatever its name says.

Exports get renamed, saved with the wrong extension, compressed or sent as web pages named
``.xls``. Before a reader runs, :func:`check_content` compares what the name promises with
what the bytes hold and refuses a mismatch with one sentence that names both and says what
to do, instead of letting a reader fail with a message about encodings or sniffing.
"""

from __future__ import annotations

import gzip
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tenure.errors import InputError
from tenure.io._encoding import damaged_gzip

__all__ = ["Content", "check_content", "read_head"]

HEAD_BYTES = 8192

# Magic numbers at the start of a file, and what they mean.
_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),
    (b"PAR1", "parquet"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!", "rar"),
    (b"%PDF", "pdf"),
    (b"SQLite format 3\x00", "sqlite"),
)

# Each kind in the user's words, and the file name it should have.
_WHAT = {
    "xlsx": ("an Excel workbook", ".xlsx"),
    "xls": ("an old-style Excel workbook", ".xls"),
    "ods": ("an OpenDocument spreadsheet", ".ods"),
    "zip": ("a zip archive", ".zip"),
    "parquet": ("a Parquet file", ".parquet"),
    "gzip": ("a gzip-compressed file", ".gz"),
    "bzip2": ("a bzip2-compressed file", ".bz2"),
    "xz": ("an xz-compressed file", ".xz"),
    "zstd": ("a zstd-compressed file", ".zst"),
    "7z": ("a 7-Zip archive", ".7z"),
    "rar": ("a RAR archive", ".rar"),
    "pdf": ("a PDF document", ".pdf"),
    "sqlite": ("an SQLite database", ".sqlite"),
    "duckdb": ("a DuckDB database", ".duckdb"),
    "html": ("a web page (HTML)", ".html"),
    "xmlss": ("an Excel 2003 XML spreadsheet", ".xml"),
    "text": ("a text file", ".csv"),
}
_TEXT_FORMATS = {"csv": "CSV", "jsonl": "JSON lines", "json": "JSON"}


@dataclass(frozen=True)
class Content:
    """What the bytes of a file hold: its kind and whether they come gzip-compressed."""

    kind: str
    compressed: bool = False


def read_head(path: Path, size: int = HEAD_BYTES, *, compressed: bool = False) -> bytes:
    """The first ``size`` bytes of ``path``, decompressed when ``compressed``."""
    if not compressed:
        with path.open("rb") as handle:
            return handle.read(size)
    with damaged_gzip(path), gzip.open(path, "rb") as handle:
        return handle.read(size)


def _kind(path: Path, head: bytes) -> str:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return _zip_kind(path) if kind == "zip" else kind
    if head[8:12] == b"DUCK":
        return "duckdb"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")):
        return "html"
    if start.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return "xmlss"
    return "text"


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
            if "mimetype" in names and b"spreadsheet" in archive.read("mimetype"):
                return "ods"
    except (zipfile.BadZipFile, OSError, KeyError):
        pass
    return "zip"


def check_content(path: Path, fmt: str) -> Content:
    """What ``path`` holds, checked against the format its name gives (``fmt``).

    Raises an InputError naming what the file is when it cannot be read as ``fmt``: an
    empty file, a workbook named ``.csv``, a web page named ``.xls``, a Parquet file cut
    short, a plain file named ``.gz``.
    """
    if path.stat().st_size == 0:
        raise InputError("is empty (0 bytes); export the data again", source=str(path))
    named_gz = path.suffix.lower() == ".gz"
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    kind = _kind(path, head)
    if named_gz and kind != "gzip":
        raise InputError(
            f"is named .gz but is not gzip-compressed (it is {_WHAT[kind][0]}); remove .gz "
            "from its name", source=str(path))
    if fmt in _TEXT_FORMATS:
        compressed = kind == "gzip"
        if compressed:
            kind = _kind(path, read_head(path, compressed=True))
            if kind == "gzip":
                raise InputError("is compressed twice; decompress it once and ingest the "
                                 "result", source=str(path))
        if kind != "text":
            raise InputError(_mismatch(kind, _TEXT_FORMATS[fmt]), source=str(path))
        return Content("text", compressed)
    if fmt == "parquet":
        if kind != "parquet":
            raise InputError(_mismatch(kind, "Parquet"), source=str(path))
        with path.open("rb") as handle:
            handle.seek(max(path.stat().st_size - 4, 0))
            if handle.read(4) != b"PAR1":
                raise InputError("is a Parquet file cut short (its end is missing); copy or "
                                 "export it again", source=str(path))
        return Content(kind)
    if fmt == "excel":
        if kind == "html":
            raise InputError(
                "is a web page (an HTML table) saved with a spreadsheet's name, as some shop "
                "back-ends export; open it in Excel or WPS and save it as .xlsx or CSV",
                source=str(path))
        if kind == "text":
            raise InputError("is a text file, not a workbook; if it holds comma-separated "
                             "values, rename it to end in .csv", source=str(path))
        if kind not in ("xlsx", "xls", "ods"):
            raise InputError(_mismatch(kind, "spreadsheet"), source=str(path))
        return Content(kind)
    return Content(kind)


def _mismatch(kind: str, expected: str) -> str:
    what, suffix = _WHAT[kind]
    if kind in ("bzip2", "xz", "zstd", "7z", "rar", "zip"):
        return f"is {what}, not a {expected} file; extract it and ingest the file inside"
    if kind in ("xlsx", "xls", "ods", "parquet"):
        return (f"is {what}, not a {expected} file; rename it to end in {suffix} (or export "
                f"it as {expected} again)")
    if kind == "text":
        return (f"is a text file, not a {expected} file; if it holds comma-separated values, "
                "rename it to end in .csv")
    if kind == "xmlss":
        return (f"is {what}, which tenure cannot read; open it in Excel or WPS and save it as "
                ".xlsx")
    return (f"is {what}, not a {expected} file; export the data as CSV, Excel, Parquet or "
            "JSON lines")
