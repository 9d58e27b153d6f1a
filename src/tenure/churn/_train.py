"""Training a churn model on a workspace's past snapshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tenure.churn._dates import DataSpan, as_of_dates, data_span
from tenure.churn._model import ChurnModel
from tenure.churn._progress import Progress, steps
from tenure.churn._snapshot import resolve_definition, take_snapshot
from tenure.errors import ConfigError

__all__ = ["default_training_dates", "model_path", "train"]

SNAPSHOTS = 4
SPACING_DAYS = 30


def model_path(workspace) -> Path:
    """Where the workspace keeps its churn model."""
    return workspace.path / "models" / "churn.json"


def default_training_dates(span: DataSpan, horizon_days: int) -> list[dt.date]:
    """Four as-of dates a month apart, the latest one a horizon before the data ends."""
    last = span.end - dt.timedelta(days=horizon_days)
    dates = [last - dt.timedelta(days=SPACING_DAYS * k) for k in range(SNAPSHOTS - 1, -1, -1)]
    dates = [d for d in dates if d > span.first]
    if not dates:
        raise ConfigError(
            f"the data from {span.first.isoformat()} to {span.end.isoformat()} is shorter than "
            f"the horizon of {horizon_days} days, so no label can be read; use a shorter "
            "horizon")
    return dates


def train(workspace, as_of=None, horizon=None, *, definition=None, groups=None,
          model: ChurnModel | None = None, progress: Progress = False) -> ChurnModel:
    """A churn model fitted on the snapshots at ``as_of`` (by default four dates a month
    apart, the latest one a horizon before the data ends).

    >>> import tempfile, tenure
    >>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/cdnow")
    >>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="master"))
    >>> model = tenure.churn.train(ws, horizon="26W")
    >>> [d.isoformat() for d in model.training_window_.as_of]
    ['1997-10-02', '1997-11-01', '1997-12-01', '1997-12-31']
    """
    definition = resolve_definition(workspace, definition, horizon)
    span = data_span(workspace)
    dates = (default_training_dates(span, definition.horizon_days) if as_of is None
             else as_of_dates(as_of))
    for date in dates:
        span.check_window(date, definition.horizon_days)
    model = (model or ChurnModel()).clone()
    with steps(progress, len(dates) + 1) as step:
        snapshots = []
        for date in dates:
            step(f"snapshot at {date.isoformat()}")
            snapshots.append(take_snapshot(workspace, date, definition, groups, labelled=True))
        step("fitting the model")
        return model.fit(snapshots)
