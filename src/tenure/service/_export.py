"""A result's tables as files: CSV (UTF-8 with a BOM, so that Excel reads Chinese) and
Excel, with contact details masked for viewers."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from tenure.customers import mask_frame
from tenure.errors import InputError
from tenure.i18n import word
from tenure.results import Result

__all__ = ["masked", "parts", "to_csv", "to_xlsx"]


masked = mask_frame


def parts(result: Result) -> dict[str, pd.DataFrame]:
    """Every table of ``result`` by name: ``frame`` first, then its other tables."""
    return {"frame": result.frame, **result.extra_tables()}


def _chosen(result: Result, part: str | None) -> tuple[str, pd.DataFrame]:
    tables = parts(result)
    name = part or "frame"
    if name not in tables:
        raise InputError(f"part '{name}' is not a table of this result; use one of "
                         f"{', '.join(tables)}")
    return name, tables[name]


def _plain(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    plain = frame.copy()
    for column in plain.columns:
        if isinstance(plain[column].dtype, pd.DatetimeTZDtype):
            plain[column] = plain[column].dt.tz_localize(None)
    return plain.rename(columns={c: word(str(c), language) for c in plain.columns})


def to_csv(result: Result, part: str | None, *, mask: bool, language: str
           ) -> tuple[str, bytes]:
    name, frame = _chosen(result, part)
    frame = masked(frame) if mask else frame
    return name, _plain(frame, language).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(result: Result, *, mask: bool, language: str) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer) as writer:
        for name, frame in parts(result).items():
            frame = masked(frame) if mask else frame
            _plain(frame, language).to_excel(writer, sheet_name=_sheet(name), index=False)
    return buffer.getvalue()


def _sheet(name: str) -> str:
    return "".join(ch for ch in name if ch not in "[]:*?/\\")[:31] or "sheet"


def content_disposition(filename: str) -> dict[str, Any]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
