"""Small helpers for writing SQL with bound parameters and quoted identifiers."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Params", "bound", "ident", "select_where"]


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


def select_where(select: str, filters: dict[str, Any], order: str,
                 limit: int | None = None) -> tuple[str, dict[str, Any]]:
    """``select`` with a bound equality condition for every filter that is not None, then
    ``order`` and an optional limit: the query and its parameters.

    >>> select_where("SELECT * FROM t", {"a": 1, "b": None}, "a", 5)
    ('SELECT * FROM t WHERE "a" = $a ORDER BY a LIMIT $limit', {'a': 1, 'limit': 5})
    """
    params = {name: value for name, value in filters.items() if value is not None}
    sql = select
    if params:
        sql += " WHERE " + " AND ".join(f"{ident(name)} = ${name}" for name in params)
    sql += f" ORDER BY {order}"
    if limit is not None:
        sql += " LIMIT $limit"
        params["limit"] = int(limit)
    return sql, params
