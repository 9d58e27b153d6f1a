"""Background jobs: the capabilities that write, run one at a time, with progress.

A job runs one writing capability of the registry (fit, score, churn train or score, SLA
evaluate, ...) on the service's writer thread. While it runs, its latest progress event
(:mod:`tenure.progress`) is kept on the job for anyone polling it; a job can be cancelled
while it waits, or while it runs (the engine's query is interrupted and every write of the
job rolls back). Jobs run in the order they were asked for, so only one writes at a time.
After a job that changed the data, the tables the pages read are brought up to date as
its last step.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenure.capabilities import REGISTRY, Capability
from tenure.errors import TenureError
from tenure.progress import ProgressEvent
from tenure.results import jsonable

__all__ = ["Job", "JobCancelled", "JobRunner"]

# Kept in memory: the latest jobs (the audit log keeps every one).
KEPT = 200
# What a job refreshes after it changed the data (none after these themselves).
REFRESH = ("analyze prepare", "customers prepare")


class JobCancelled(BaseException):
    """Raised inside a job's progress callback when someone cancelled it: a BaseException,
    so that the library's transactions roll back and nothing catches it as an error."""


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


@dataclass
class Job:
    """One run of a writing capability."""

    job_id: str
    capability: str
    options: dict[str, Any]
    actor: str
    status: str = "queued"  # queued, running, done, failed, cancelled
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    progress: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "capability": self.capability,
                "options": jsonable(self.options), "actor": self.actor,
                "status": self.status, "created_at": self.created_at,
                "started_at": self.started_at, "finished_at": self.finished_at,
                "progress": self.progress, "result": self.result, "error": self.error}


class JobRunner:
    """Runs jobs one at a time on its own thread, against ``open_writer()`` (a workspace
    handle for that thread). ``changed()`` is called after a job that changed the data;
    ``audit(job, outcome)`` records each job's end."""

    def __init__(self, open_writer: Callable[[], Any], changed: Callable[[], None],
                 audit: Callable[[Job, str], None]) -> None:
        self._open_writer = open_writer
        self._changed = changed
        self._audit = audit
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.writing = threading.Lock()  # held while anything writes: a job or an ingest
        self._writer: Any = None
        self._thread = threading.Thread(target=self._work, name="tenure-jobs", daemon=True)
        self._thread.start()

    # -- asking -----------------------------------------------------------------------------
    def submit(self, capability: Capability, options: dict[str, Any], actor: str) -> Job:
        """Queue ``capability`` with ``options`` (checked now: a bad option is refused
        before anything is queued)."""
        capability.parse(options)
        job = Job(uuid.uuid4().hex[:12], capability.name, dict(options), actor)
        with self._lock:
            self._jobs[job.job_id] = job
            while len(self._jobs) > KEPT:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].status in ("queued", "running"):
                    break
                del self._jobs[oldest]
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))

    def running(self) -> Job | None:
        with self._lock:
            return next((j for j in self._jobs.values() if j.status == "running"), None)

    def cancel(self, job: Job) -> None:
        job.cancel.set()
        if job.status == "running" and self._writer is not None:
            self._writer.connection.interrupt()

    def stop(self, timeout: float = 5.0) -> None:
        for job in self.jobs():
            if job.status in ("queued", "running"):
                self.cancel(job)
        self._queue.put(None)
        self._thread.join(timeout)

    # -- working ----------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                break
            if job.cancel.is_set():
                job.status, job.finished_at = "cancelled", _now()
                self._audit(job, "cancelled")
                continue
            with self.writing:
                self._run(job)

    def _run(self, job: Job) -> None:
        job.status, job.started_at = "running", _now()

        def progress(event: ProgressEvent) -> None:
            job.progress = event.to_dict()
            if job.cancel.is_set():
                raise JobCancelled

        try:
            if self._writer is None:
                self._writer = self._open_writer()
            capability = REGISTRY[job.capability]
            result = capability(self._writer, job.options, progress)
            job.result = jsonable(result.to_dict())
            if job.capability not in REFRESH:
                self._changed()
                for name in REFRESH:
                    progress(ProgressEvent(f"bringing {name.split()[0]} tables up to date", 0))
                    REGISTRY[name](self._writer, {}, progress)
            self._changed()
            job.status = "done"
        except JobCancelled:
            job.status = "cancelled"
        except TenureError as exc:
            job.status, job.error = "failed", str(exc)
        except Exception as exc:  # a bug: kept on the job, the service goes on
            if job.cancel.is_set():
                job.status = "cancelled"
            else:
                job.status = "failed"
                job.error = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
        job.finished_at = _now()
        self._audit(job, job.status)
