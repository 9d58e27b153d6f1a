"""Small helpers for writing SQL with bound parameters and quoted identifiers."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Params", "bound", "ident"]


def ident(name: str) -> str:
    """Quote ``name`` as a SQL identifier (a column or table name from user data)."""
    return '"' + str(name).replace('"', '""') + '"'


class Params:
    """Collects values for one statement and hands out ``$pN`` placeholders.

    >>> p = Params()
    >>> p("UTC"), p.values
    ('$p0', {'p0': 'UTC'})
    """

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def bound(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``values`` that ``sql`` refers to (DuckDB refuses unused parameters)."""
    used = set(re.findall(r"\$([A-Za-z_]\w*)", sql))
    return {k: v for k, v in values.items() if k in used}
