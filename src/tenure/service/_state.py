"""What the running service holds: the workspace, a handle on it per thread, the jobs, the
results already computed for this version of the data, and the tokens it has checked."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import duckdb

from tenure.capabilities import REGISTRY, Capability
from tenure.errors import WorkspaceError
from tenure.report._render import chart_spec
from tenure.results import Result, jsonable
from tenure.service._jobs import Job, JobRunner
from tenure.workspace import Workspace
from tenure.workspace._access import Token, check_token, record

__all__ = ["ServiceState"]

CACHED = 64          # results kept per version of the data
TOKEN_SECONDS = 30.0  # how long a checked token is trusted before it is looked up again


class ServiceState:
    """The service's hold on one workspace (see the module)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.config = workspace.config
        self._local = threading.local()
        self._meta = threading.Lock()       # the token and audit tables' writes
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[tuple, Result] = OrderedDict()
        self._computing: dict[tuple, threading.Lock] = {}
        self._tokens: dict[str, tuple[Token | None, float]] = {}
        self.generation = 0
        self._watchdog = _Watchdog()
        self._specs: OrderedDict[tuple[int, str], tuple[Result, Any]] = OrderedDict()
        self.jobs = JobRunner(workspace.reader, self.changed, self._audit_job)

    # -- handles ------------------------------------------------------------------------------
    def reader(self) -> Workspace:
        """This thread's handle on the workspace (a cursor of the one open database)."""
        handle = getattr(self._local, "workspace", None)
        if handle is None:
            handle = self._local.workspace = self.workspace.reader()
        return handle

    def run_read(self, capability: Capability, options: Any) -> Result:
        """Run a capability that only reads, stopped after ``service.query_seconds``; the
        result is kept for this version of the data when it is worth keeping."""
        if not _kept(capability):
            return self._read(capability, options)
        return self._once((capability.name, repr(options), self.generation),
                          lambda: self._read(capability, options))

    def _read(self, capability: Capability, options: Any) -> Result:
        ws = self.reader()
        try:
            with self._watchdog.watch(ws.connection, self.config["service.query_seconds"]):
                try:
                    return capability(ws, options)
                except duckdb.TransactionException:
                    # Two readers built the same stored table at once; the second reads it.
                    return capability(ws, options)
        except duckdb.InterruptException:
            raise WorkspaceError(
                f"{capability.name} took longer than service.query_seconds "
                f"({self.config['service.query_seconds']:g} s) and was stopped; narrow it "
                "down or raise the setting") from None

    def _once(self, key: tuple, compute: Callable[[], Result]) -> Result:
        """The result kept under ``key``, computed by ``compute`` when there is none: by
        one request only, while the others asking for it at the same time wait for it
        (fifty people opening the overview together compute it once, not fifty times)."""
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            gate = self._computing.setdefault(key, threading.Lock())
        try:
            with gate:
                with self._cache_lock:
                    if key in self._cache:
                        return self._cache[key]
                result = compute()
                with self._cache_lock:
                    self._cache[key] = result
                    while len(self._cache) > CACHED:
                        self._cache.popitem(last=False)
                return result
        finally:
            with self._cache_lock:
                if self._computing.get(key) is gate and not gate.locked():
                    del self._computing[key]

    def run_evaluation(self, capability: Capability, values: dict[str, Any]) -> Result:
        """Run a capability that evaluates again what is stored (the SLA clocks as of the
        latest time recorded) while no job writes; kept for this version of the data."""
        options = capability.parse(values)
        return self._once((capability.name, repr(options), self.generation),
                          lambda: self._evaluate(capability, options))

    def _evaluate(self, capability: Capability, options: Any) -> Result:
        if not self.jobs.writing.acquire(timeout=2.0):
            raise WorkspaceError("a job is writing to the workspace; these figures show "
                                 "again when it ends")
        try:
            return capability(self.reader(), options)
        finally:
            self.jobs.writing.release()

    def body(self, result: Result) -> Any:
        """``result.to_dict()`` as JSON data, worked out once per result kept."""
        key = (id(result), "body")
        with self._cache_lock:
            found = self._specs.get(key)
            if found is not None and found[0] is result:
                return found[1]
        body = jsonable(result.to_dict())
        with self._cache_lock:
            # Only a result kept for this version of the data: the others are one
            # request's, and one that is kept goes with its version.
            if any(kept is result for kept in self._cache.values()):
                self._specs[key] = (result, body)
                while len(self._specs) > 2 * CACHED:
                    self._specs.popitem(last=False)
        return body

    def chart(self, result: Result, language: str) -> Any:
        """``result``'s chart as a Vega-Lite specification in ``language``, drawn once
        per result kept."""
        key = (id(result), language)
        with self._cache_lock:
            found = self._specs.get(key)
            if found is not None and found[0] is result:
                return found[1]
        spec = chart_spec(result, language)
        with self._cache_lock:
            self._specs[key] = (result, spec)
            while len(self._specs) > 2 * CACHED:
                self._specs.popitem(last=False)
        return spec

    def public(self, value: Any) -> Any:
        """``value`` (an answer's text or JSON data) without the server's folders: a file
        uploaded or posted is named by its own name, the workspace by its folder's name."""
        if isinstance(value, str):
            for folder, shown in self._folders:
                value = value.replace(folder, shown)
            return value
        if isinstance(value, dict):
            return {k: self.public(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.public(v) for v in value]
        return value

    @property
    def _folders(self) -> tuple[tuple[str, str], ...]:
        root = self.workspace.path
        return ((f"{root / 'uploads'}/", ""), (str(root), root.name))

    def changed(self) -> None:
        """The data changed: forget every result computed from the old data."""
        with self._cache_lock:
            self.generation += 1
            self._cache.clear()
            self._specs.clear()

    # -- tokens and the audit log -------------------------------------------------------------
    def token(self, text: str | None) -> Token | None:
        if not text:
            return None
        now = time.monotonic()
        known = self._tokens.get(text)
        if known is not None and now - known[1] < TOKEN_SECONDS:
            return known[0]
        found = check_token(self.reader().connection, text)
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[text] = (found, now)
        return found

    def forget_tokens(self) -> None:
        self._tokens.clear()

    def write_meta(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(connection)`` in one transaction on the token and audit tables."""
        with self._meta, self.reader().transaction() as con:
            return work(con)

    def audit(self, *, actor: str, role: str | None, action: str, target: str | None = None,
              detail: Any = None, client: str | None = None, outcome: str = "ok") -> None:
        self.write_meta(lambda con: record(con, actor=actor, role=role, action=action,
                                           target=target, detail=detail, client=client,
                                           outcome=outcome))

    def _audit_job(self, job: Job, outcome: str) -> None:
        self.audit(actor=job.actor, role="admin", action=f"job {job.capability}",
                   target=job.job_id, detail={"options": job.options, "error": job.error},
                   outcome=outcome)

    def close(self) -> None:
        self.jobs.stop()


class _Watchdog:
    """Interrupts the engine's query of a request that runs past its deadline; one thread
    for every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deadlines: dict[int, tuple[float, Any]] = {}
        threading.Thread(target=self._run, name="tenure-watchdog", daemon=True).start()

    @contextlib.contextmanager
    def watch(self, connection: Any, seconds: float):
        key = id(connection)
        with self._lock:
            self._deadlines[key] = (time.monotonic() + seconds, connection)
        try:
            yield
        finally:
            with self._lock:
                self._deadlines.pop(key, None)

    def _run(self) -> None:
        while True:
            time.sleep(0.2)
            now = time.monotonic()
            with self._lock:
                late = [k for k, (deadline, _) in self._deadlines.items() if deadline < now]
                for key in late:
                    self._deadlines.pop(key)[1].interrupt()


def _kept(capability: Capability) -> bool:
    """Whether results of ``capability`` are worth keeping: those that draw a chart over
    the whole base (analyses, models), not a list or one customer's page."""
    names = {spec.name for spec in capability.option_specs()}
    return capability.chart and not capability.writes and not names & {"customer_id",
                                                                        "owner"}


def startup_jobs(state: ServiceState) -> list[Job]:
    """Bring the stored tables up to date before the first page asks for them."""
    return [state.jobs.submit(REGISTRY[name], {}, "service")
            for name in ("analyze prepare", "customers prepare")]
