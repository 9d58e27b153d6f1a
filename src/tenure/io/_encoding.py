"""Text encodings of CSV files: detection and streaming conversion to UTF-8."""

from __future__ import annotations

import codecs
from pathlib import Path

from tenure.errors import InputError

__all__ = ["detect_encoding", "transcode_to_utf8"]

SAMPLE_BYTES = 1 << 20
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(path: Path) -> str:
    """Guess the encoding of a text file from its byte-order mark and first megabyte.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are recognised; anything that is
    not valid UTF-8 but is valid GB18030 (a superset of GBK and GB2312, the encodings of
    Chinese Excel and shop exports) is read as GB18030.
    """
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
        at_end = not handle.read(1)
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    for name in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(name)()
        try:
            decoder.decode(sample, final=at_end)
        except UnicodeDecodeError:
            continue
        return name
    raise InputError(
        "cannot tell the text encoding (neither UTF-8 nor GB18030); set encoding in the "
        "mapping file's [options], for example encoding = \"big5\"",
        source=str(path),
    )


def transcode_to_utf8(path: Path, encoding: str, target: Path, chunk: int = 8 << 20) -> None:
    """Write ``path`` decoded from ``encoding`` to ``target`` as UTF-8, chunk by chunk."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_done = 1
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while True:
            data = src.read(chunk)
            try:
                text = decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                line = lines_done + data[: exc.start].count(b"\n")
                raise InputError(
                    f"line {line} is not valid {encoding}; check the file's encoding or set "
                    "encoding in the mapping file's [options]",
                    source=str(path),
                ) from None
            dst.write(text)
            lines_done += data.count(b"\n")
            if not data:
                break
