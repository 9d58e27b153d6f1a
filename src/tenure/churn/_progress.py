"""Progress of long churn work: nothing, a Rich bar on the terminal, or a callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Progress", "steps"]

Progress = bool | Callable[[str], None] | None


@contextmanager
def steps(progress: Progress, total: int) -> Iterator[Callable[[str], None]]:
    """A function to call before each of ``total`` steps with what the step does.

    ``progress`` False or None shows nothing, True shows a Rich bar on standard error, and a
    function is called with each step's description.
    """
    if callable(progress):
        yield progress
        return
    if not progress:
        yield lambda _description: None
        return
    from rich import progress as rich
    from rich.console import Console

    bar = rich.Progress(rich.TextColumn("{task.description:<34}"), rich.BarColumn(),
                        rich.MofNCompleteColumn(), rich.TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)
    task = bar.add_task("", total=total)
    started = [False]

    def step(description: str) -> None:
        if started[0]:
            bar.advance(task)
        started[0] = True
        bar.update(task, description=description)

    with bar:
        yield step
