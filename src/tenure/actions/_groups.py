"""Control groups by a stable hash: a customer's group for a playbook depends only on the
customer, the playbook and the period, so every rerun, on any machine, agrees.

The hash is MD5 of the text ``customer|playbook|period`` (``customer|period`` for the
global holdout); its first 48 bits, read as a fraction of 2^48, are compared with the
share held out. The engine computes it in SQL and :func:`fraction` in Python, with the same
result.

>>> round(fraction("C0000001", "at_risk", "2026Q1"), 6)
0.059715
>>> period_label(__import__("datetime").date(2026, 2, 14), "quarter")
'2026Q1'
"""

from __future__ import annotations

import datetime as dt
import hashlib

__all__ = ["fraction", "fraction_sql", "period_label"]

_SCALE = float(2 ** 48)


def period_label(day: dt.date, period: str) -> str:
    """The period holding ``day``: 2026-02 (month), 2026Q1 (quarter) or 2026 (year)."""
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def fraction(*parts: str) -> float:
    """The hash of ``parts`` joined by ``|`` as a number in [0, 1)."""
    digest = hashlib.md5("|".join(parts).encode("utf-8")).hexdigest()
    return int(digest[:12], 16) / _SCALE


def fraction_sql(*parts: str) -> str:
    """The same as :func:`fraction`, as a SQL expression over ``parts`` (SQL texts)."""
    joined = " || '|' || ".join(parts)
    return f"(('0x' || substr(md5({joined}), 1, 12))::BIGINT / {_SCALE!r})"
