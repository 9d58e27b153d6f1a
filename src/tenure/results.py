"""What every capability returns: one typed result with the same faces.

Each capability (an analysis, a fit, a score, an SLA report...) returns a frozen dataclass
derived from :class:`Result`. Whatever shows it (the command line, the HTTP API, the
dashboard, the HTML report) reads the same members, so none of them needs to know the
capability:

- ``frame``: the main table, as pandas;
- ``headline``: the named figures worth a sentence (a dict of numbers and short texts);
- ``lines()``: those figures as sentences, in the user's words;
- ``view()``: what a terminal shows of ``frame`` (fewer, formatted columns);
- ``extra_tables()``: other named tables the result carries;
- ``panels()``: the titled tables a screen shows (a terminal, a dashboard page, the report);
- ``chart()``: a Vega-Lite chart (Altair) where one fits, else None, and ``vega_lite()``
  its specification;
- ``to_dict()``: all of it as JSON-safe Python values (``--json`` and the API).

>>> import pandas as pd
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Count(Result):
...     frame: pd.DataFrame
...     @property
...     def headline(self):
...         return {"rows": len(self.frame)}
>>> Count(pd.DataFrame({"a": [1.5, float("nan")]})).to_dict()["frame"]
[{'a': 1.5}, {'a': None}]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Result", "counted", "jsonable", "records"]


class Result:
    """The faces every capability's result shows (see the module docstring)."""

    frame: pd.DataFrame

    @property
    def headline(self) -> dict[str, Any]:
        return {}

    def lines(self) -> list[str]:
        return []

    def view(self) -> pd.DataFrame:
        return self.frame

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {}

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        return [("", self.view())]

    def chart(self) -> Any:
        return None

    def vega_lite(self) -> dict[str, Any] | None:
        """The chart as a Vega-Lite specification (``chart().to_dict()``), or None; a
        result drawn at every request of a page may give it without building the chart."""
        chart = self.chart()
        return None if chart is None else chart.to_dict(validate=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": type(self).__name__,
            "headline": jsonable(self.headline),
            "lines": list(self.lines()),
            "frame": records(self.frame),
            "tables": {name: records(table) for name, table in self.extra_tables().items()},
        }


def counted(number: float, noun: str, nouns: str | None = None) -> str:
    """``number`` and the noun that goes with it, for a sentence in English: one order,
    two orders (``nouns`` where adding an s is not the plural).

    >>> counted(1, "owner"), counted(1200, "saved model"), counted(2, "proposal")
    ('1 owner', '1,200 saved models', '2 proposals')
    """
    return f"{number:,} {noun if number == 1 else nouns or noun + 's'}"


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-safe dicts: missing values as None, times as ISO
    8601 text, NumPy numbers as Python numbers."""
    if frame is None:
        return []
    columns = [str(c) for c in frame.columns]
    return [dict(zip(columns, map(jsonable, row), strict=True))
            for row in frame.itertuples(index=False, name=None)]


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data (NaN and NaT become None)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Series):
        return [jsonable(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        if pd.isna(value):
            return None
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, pd.Timedelta | dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    return str(value)
