"""Text encodings of CSV and JSON-lines files: detection, mixed files and conversion to UTF-8.

A file is read in one encoding. Detection looks at the byte-order mark, then at the zero
bytes UTF-16 text without a mark is full of, then line by line at the first megabyte:
lines that are valid UTF-8 against lines that are not. Chinese exports are UTF-8 or GBK
(GB18030 covers GBK and GB2312), and a file pasted together from both holds lines of each;
such a file is read in the encoding of most of its lines, and the lines in the other one
are named so that they can be quarantined rather than stored garbled.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tenure.errors import InputError

__all__ = ["OtherEncodingLine", "damaged_gzip", "detect_encoding", "empty_lines", "is_wide",
           "read_sample", "transcode_to_utf8", "unify_line_ends"]

SAMPLE_BYTES = 1 << 20
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
# Control characters that do not occur in text; a sample with many of them is binary.
_CONTROL = bytes(set(range(32)) - {9, 10, 12, 13})


@dataclass(frozen=True)
class OtherEncodingLine:
    """A line of a file that is not in the file's encoding, and how it reads in the other."""

    line: int
    text: str
    encoding: str


def is_wide(encoding: str) -> bool:
    """Encodings whose characters take several bytes each, newlines included."""
    return encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32"))


def _without_bom(sample: bytes) -> str | None:
    """UTF-32 or UTF-16 text without a byte-order mark: every ASCII character has three
    zero bytes (UTF-32) or one (UTF-16) beside it, on the right for little-endian and on
    the left for big-endian, and the line ends fall on whole characters."""
    if b"\x00" not in sample[:8192]:
        return None
    for width, name, newline in ((4, "utf-32-le", b"\n\x00\x00\x00"),
                                 (4, "utf-32-be", b"\x00\x00\x00\n"),
                                 (2, "utf-16-le", b"\n\x00"), (2, "utf-16-be", b"\x00\n")):
        units = sample[: len(sample) // width * width][:8192]
        try:
            text = units.decode(name)
        except UnicodeDecodeError:
            continue
        aligned = [i for i in range(0, len(units) - width + 1, width)
                   if units[i:i + width] == newline]
        if aligned and "\x00" not in text:
            return name
    return None


def _line_counts(sample: bytes, at_end: bool) -> tuple[int, int]:
    """Lines with non-ASCII bytes that are valid UTF-8, and those that are not."""
    lines = sample.split(b"\n")
    if not at_end:
        lines = lines[:-1]  # the sample may cut its last line inside a character
    valid = invalid = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            invalid += 1
        else:
            valid += 1
    return valid, invalid


def detect_encoding(sample: bytes, at_end: bool, source: str) -> str:
    """The encoding of a text file from its first bytes (``at_end``: the sample is all of it).

    UTF-8 (with or without BOM), and UTF-16 and UTF-32 with a BOM or without one are
    recognised; a file whose non-ASCII lines are mostly not UTF-8 but are GB18030 (a
    superset of GBK and GB2312, the encodings of Chinese Excel and shop exports) is read as
    GB18030, unless it reads as Big5 (Traditional Chinese, Windows code page 950) and as
    GBK mostly in rare characters.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    wide = _without_bom(sample)
    if wide:
        return wide
    if b"\x00" in sample or sum(sample.count(c) for c in _CONTROL) > len(sample) // 100:
        raise InputError("holds binary data, not text; export the data as CSV, Excel, "
                         "Parquet or JSON lines", source=source)
    if sample.isascii():
        return "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=at_end)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    valid, invalid = _line_counts(sample, at_end)
    if valid >= invalid:
        return "utf-8"  # mostly UTF-8: the other lines are named when the file is read
    candidates = [name for name in ("gb18030", "cp950") if _decodes(sample, name, at_end)]
    if not candidates:
        raise InputError(
            "cannot tell the text encoding (neither UTF-8, GB18030 nor Big5); set encoding in "
            "the mapping file's [options], for example encoding = \"shift_jis\"",
            source=source,
        )
    if candidates == ["cp950"] or (len(candidates) == 2 and _common_gbk_share(sample) < 0.6):
        return "cp950"
    return "gb18030"


def _decodes(sample: bytes, encoding: str, at_end: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=at_end)
    except UnicodeDecodeError:
        return False
    return True


# Two-byte characters as GBK reads them; the common ones: GB2312's punctuation and full-width
# forms (rows A1-A3) and its hanzi (rows B0-F7), both with a second byte from A1.
_GBK_PAIR = re.compile(rb"[\x81-\xfe][\x40-\x7e\x80-\xfe]")
_COMMON_GBK = re.compile(rb"[\xa1-\xa3\xb0-\xf7][\xa1-\xfe]")


def _common_gbk_share(sample: bytes) -> float:
    """The share of two-byte characters that are common in Simplified Chinese text when the
    sample is read as GBK. Chinese text in GBK is nearly all of them; Traditional Chinese
    in Big5 also reads as GBK, but as rare characters, kana and box drawing (Big5's most
    used characters start with bytes A4 to A9, GB2312's rows of symbols), well under half.
    """
    pairs = _GBK_PAIR.findall(sample)
    if not pairs:
        return 1.0
    return sum(1 for pair in pairs if _COMMON_GBK.fullmatch(pair)) / len(pairs)


def _opener(path: Path, compressed: bool):
    return gzip.open(path, "rb") if compressed else path.open("rb")


@contextmanager
def damaged_gzip(path: Path) -> Iterator[None]:
    """A gzip stream that breaks off, as one sentence."""
    try:
        yield
    except (EOFError, zlib.error, gzip.BadGzipFile):
        raise InputError("is a damaged or cut-short gzip file; compress it again",
                         source=str(path)) from None


def read_sample(path: Path, compressed: bool) -> tuple[bytes, bool]:
    """The first megabyte of ``path`` (decompressed), and whether that is all of it."""
    with damaged_gzip(path), _opener(path, compressed) as handle:
        sample = handle.read(SAMPLE_BYTES)
        return sample, not handle.read(1)


def transcode_to_utf8(path: Path, encoding: str, target: Path, *, compressed: bool = False,
                      cr_lines: bool = False, chunk: int = 8 << 20
                      ) -> list[OtherEncodingLine]:
    """Write ``path`` decoded from ``encoding`` to ``target`` as UTF-8 with ``\\n`` line
    ends; return the lines that are in UTF-8 instead (a file pasted together from two).

    Such lines are written as ``encoding`` reads them, so that the line count stays the
    same and the caller can hold them back by line.
    """
    try:
        with damaged_gzip(path), _opener(path, compressed) as src, \
                target.open("w", encoding="utf-8", newline="") as dst:
            if is_wide(encoding):
                _transcode_wide(src, dst, encoding, cr_lines, chunk, path)
                return []
            return _transcode_lines(src, dst, encoding, cr_lines, chunk, path)
    except OSError as exc:
        raise InputError(
            f"could not write a converted copy to {target.parent} ({exc.strerror or exc}); "
            "free some disk space there or point TMPDIR at a folder with room",
            source=str(path)) from None


def _transcode_wide(src, dst, encoding, cr_lines, chunk, path) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_done, carry = 1, ""
    while True:
        data = src.read(chunk)
        try:
            text = carry + decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise InputError(
                f"after line {lines_done} the file is not valid {encoding}; check the file's "
                "encoding or set encoding in the mapping file's [options]",
                source=str(path)) from None
        carry = "\r" if data and text.endswith("\r") else ""
        if carry:
            text = text[:-1]
        text = text.replace("\r", "\n") if cr_lines else text.replace("\r\n", "\n")
        dst.write(text)
        lines_done += text.count("\n")
        if not data:
            return


def _line_blocks(handle, separator: bytes, chunk: int) -> Iterator[tuple[int, bytes, bool]]:
    """Blocks of whole lines read from ``handle``: the number of each block's first line,
    the block (which may end without a separator at the end of the file), and whether it
    is the last."""
    line_no, carry = 1, b""
    while True:
        data = handle.read(chunk)
        block = carry + data
        if data:
            cut = block.rfind(separator) + 1
            if not cut:
                carry = block
                continue
            block, carry = block[:cut], block[cut:]
        yield line_no, block, not data
        if not data:
            return
        line_no += block.count(separator)


def _transcode_lines(src, dst, encoding, cr_lines, chunk, path) -> list[OtherEncodingLine]:
    separator = b"\r" if cr_lines else b"\n"
    others: list[OtherEncodingLine] = []
    in_encoding = 0  # non-ASCII lines that are not UTF-8
    for line_no, block, _ in _line_blocks(src, separator, chunk):
        if block.isascii():
            text = block.decode("ascii")
        else:
            decoded = []
            for offset, part in enumerate(block.split(separator)):
                if not part.isascii():
                    try:
                        as_utf8 = part.decode("utf-8")
                    except UnicodeDecodeError:
                        in_encoding += 1
                    else:
                        others.append(OtherEncodingLine(line_no + offset, as_utf8, "UTF-8"))
                try:
                    decoded.append(part.decode(encoding))
                except UnicodeDecodeError:
                    raise InputError(
                        f"line {line_no + offset} is neither {encoding} nor UTF-8; save the "
                        "file in one encoding, or set encoding in the mapping file's "
                        "[options]", source=str(path)) from None
            text = separator.decode().join(decoded)
        dst.write(text.replace("\r", "\n") if cr_lines else text.replace("\r\n", "\n"))
    if others and not in_encoding:
        raise InputError(
            f"is UTF-8, not {encoding} as the mapping file's [options] say; remove the "
            "encoding option or set it to auto", source=str(path))
    return others


def empty_lines(path: Path, *, compressed: bool = False, cr_lines: bool = False,
                after: int = 0, chunk: int = 8 << 20) -> list[int]:
    """Numbers of the empty lines past line ``after``: readers skip them, so the records
    after each one sit a line further down than their count says."""
    separator = b"\r" if cr_lines else b"\n"
    empty: list[int] = []
    with damaged_gzip(path), _opener(path, compressed) as handle:
        for line_no, block, _ in _line_blocks(handle, separator, chunk):
            if (separator * 2 in block or b"\n\r\n" in block
                    or block.startswith((separator, b"\r\n"))):
                parts = block.split(separator)
                if block.endswith(separator):
                    parts.pop()
                empty += [line_no + i for i, part in enumerate(parts)
                          if part in (b"", b"\r") and line_no + i > after]
    return empty


def unify_line_ends(path: Path, target: Path, *, compressed: bool = False,
                    cr_lines: bool = False, chunk: int = 8 << 20) -> None:
    """Copy ``path`` to ``target`` with every ``\\r\\n`` written as ``\\n`` (and, in a file
    whose lines end in ``\\r`` alone, every ``\\r``)."""
    try:
        with damaged_gzip(path), _opener(path, compressed) as src, target.open("wb") as dst:
            carry = b""
            while True:
                data = src.read(chunk)
                block = carry + data
                # A \r at the end of a chunk may be the first half of a \r\n.
                carry = b"\r" if data and block.endswith(b"\r") else b""
                if carry:
                    block = block[:-1]
                block = block.replace(b"\r\n", b"\n")
                dst.write(block.replace(b"\r", b"\n") if cr_lines else block)
                if not data:
                    return
    except OSError as exc:
        raise InputError(
            f"could not write a converted copy to {target.parent} ({exc.strerror or exc}); "
            "free some disk space there or point TMPDIR at a folder with room",
            source=str(path)) from None
