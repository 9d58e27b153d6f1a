"""Statements that land together or not at all, and statements whose progress is shown."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from tenure._sql import bound
from tenure.progress import Steps

__all__ = ["Runner", "transaction"]


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A block whose writes on ``con`` land together or not at all: an error, Ctrl-C or a
    full disk inside it rolls every one of them back."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


class Runner:
    """Runs statements; while someone listens to ``steps``, each statement runs on a worker
    thread and the engine's own progress is handed on as the share of the step done."""

    def __init__(self, con: duckdb.DuckDBPyConnection, steps: Steps) -> None:
        self._con = con
        self.steps = steps

    def run(self, sql: str, params: dict[str, Any], description: str) -> None:
        params = bound(sql, params)
        if not self.steps.active:
            self._con.execute(sql, params)
            return
        self.steps(description)
        failure: list[BaseException] = []
        # Set when the statement ends. Not Thread.join: a Ctrl-C that lands inside a join
        # can leave the thread marked as finished while it still runs (before Python 3.13).
        finished = threading.Event()

        def work() -> None:
            try:
                self._con.execute(sql, params)
            except BaseException as exc:  # handed to the calling thread below
                failure.append(exc)
            finally:
                finished.set()

        threading.Thread(target=work, daemon=True).start()
        try:
            while not finished.wait(0.1):
                done = self._con.query_progress()
                if done >= 0:
                    self.steps.fraction(done / 100)
        except BaseException:
            # Ctrl-C, or an error from a listener: the statement must not outlive the call,
            # or the connection stays busy with it.
            self._con.interrupt()
            _wait_through_interrupts(finished)
            raise
        self.steps.fraction(1.0)
        if failure:
            raise failure[0]


def _wait_through_interrupts(finished: threading.Event) -> None:
    """Wait for ``finished``; a second Ctrl-C while the statement stops changes nothing."""
    while True:
        try:
            if finished.wait(0.1):
                return
        except KeyboardInterrupt:
            continue
