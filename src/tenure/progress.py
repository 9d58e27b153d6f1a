"""Progress of long work, handed to whoever asked for it.

A library function that can take a while accepts ``progress``: None (nothing is reported)
or a callable that receives a :class:`ProgressEvent` each time the work moves on. The
command line draws the events as a Rich bar, the service keeps the latest one on its job,
and a test can collect them in a list; the library itself draws nothing.

>>> events = []
>>> steps = Steps(events.append, total=2)
>>> steps("reading")
>>> steps.fraction(0.5)
>>> steps("writing")
>>> [(e.description, e.step, e.steps, e.fraction) for e in events]
[('reading', 1, 2, None), ('reading', 1, 2, 0.5), ('writing', 2, 2, None)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Progress", "ProgressEvent", "Steps", "steps_of"]


@dataclass(frozen=True)
class ProgressEvent:
    """Where a task stands: the step under way (``step`` of ``steps`` when the number of
    steps is known) and, when the engine tells, the share of that step already done."""

    description: str
    step: int
    steps: int | None = None
    fraction: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {"description": self.description, "step": self.step, "steps": self.steps,
                "fraction": self.fraction}


Progress = Callable[[ProgressEvent], None] | None


class Steps:
    """Numbers the steps of one task and hands each to ``progress``.

    Calling it starts a step; :meth:`fraction` says how far the current one is. With
    ``progress`` None it does nothing, so library code can call it unconditionally.
    """

    def __init__(self, progress: Progress = None, total: int | None = None) -> None:
        self._progress = progress
        self.total = total
        self.step = 0
        self.description = ""

    @property
    def active(self) -> bool:
        """Whether anyone listens (work that costs something to measure can skip it)."""
        return self._progress is not None

    def __call__(self, description: str) -> None:
        self.step += 1
        self.description = description
        if self._progress is not None:
            self._progress(ProgressEvent(description, self.step, self.total))

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def fraction(self, value: float) -> None:
        if self._progress is not None:
            self._progress(ProgressEvent(self.description, self.step, self.total,
                                         min(max(float(value), 0.0), 1.0)))


def steps_of(progress: Progress | Steps, total: int | None = None) -> Steps:
    """``progress`` as :class:`Steps`: a task that calls another hands on its own steps,
    so the inner work shows as steps of the outer one."""
    if isinstance(progress, Steps):
        return progress
    return Steps(progress, total)
