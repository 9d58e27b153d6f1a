"""What a fit on a workspace reports, and the data it is fitted on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from tenure.errors import ModelError
from tenure.results import Result

if TYPE_CHECKING:
    import ibis

__all__ = ["FitReport", "compressed", "last_order_day"]


@dataclass(frozen=True)
class FitReport(Result):
    """A model fitted on a workspace: its parameter table, its metrics and its version."""

    model: Any
    model_version: str
    frame: pd.DataFrame
    metrics: dict[str, float]
    window_end: dt.date
    calibration_end: dt.date | None
    unit: str = "W"
    notes: tuple[str, ...] = ()
    choice: Any = None

    @property
    def headline(self) -> dict[str, Any]:
        return {"model": self.model.name, "model_version": self.model_version,
                "notes": list(self.notes),
                "unit": self.unit, "window_end": self.window_end,
                "calibration_end": self.calibration_end, **self.metrics}

    def lines(self) -> list[str]:
        window = (f"calibration to {self.calibration_end}" if self.calibration_end
                  else f"orders to {self.window_end}")
        said = [f"{self.model.title} ({window}, unit {self.unit})"]
        said += [f"note: {m}" for m in (*self.model.diagnostics_.messages, *self.notes)]
        said.append(f"Saved as {self.model_version}")
        return said

    def view(self) -> pd.DataFrame:
        # Four significant digits: parameters such as r = 0.2426 need more than the two
        # decimals of money; a standard error that could not be computed is left empty.
        return self.frame.apply(lambda col: col.map(lambda v: None if v != v else f"{v:.4g}")
                                if col.dtype.kind == "f" else col)

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"metrics": pd.DataFrame({"metric": list(self.metrics),
                                         "value": list(self.metrics.values())})}

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        metrics = self.extra_tables()["metrics"]
        return [("Parameters", self.view()),
                ("Fit", metrics.assign(value=metrics["value"].map("{:,.4f}".format)))]


def compressed(expr: ibis.Table, columns: list[str]) -> pd.DataFrame:
    # In a fixed order: sums over the rows then add up the same way every time, so that a
    # fit (and every score made from it) is the same to the last bit run after run.
    return (expr.group_by(columns).aggregate(weights=expr.count()).order_by(columns)
            .to_pandas())


def last_order_day(ws) -> dt.date:
    t = ws.table("orders")
    last = t.ordered_at.max().execute()
    if last is None or pd.isna(last):
        raise ModelError("the workspace has no orders; ingest some with `tenure ingest orders`")
    return pd.Timestamp(last).date()
