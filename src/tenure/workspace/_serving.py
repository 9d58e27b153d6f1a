"""The service's claim on a workspace: while ``tenure serve`` runs, it is the one writer.

The server writes ``tenure.serve.json`` beside the database (its process id, address and
start time) and removes it when it stops. Any other process that opens the workspace reads
it first, and when the process it names is alive, refuses with one sentence naming that
process instead of the database's lock error. A file left by a process that died is
ignored and replaced.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from tenure.errors import WorkspaceError

__all__ = ["SERVE_FILE", "Server", "claim", "release", "server_of"]

SERVE_FILE = "tenure.serve.json"


@dataclass(frozen=True)
class Server:
    pid: int
    url: str
    started: str

    def describe(self) -> str:
        return f"`tenure serve` (process {self.pid}, {self.url}, since {self.started})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def server_of(folder: Path) -> Server | None:
    """The live server holding the workspace at ``folder``, if any."""
    path = folder / SERVE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        server = Server(int(data["pid"]), str(data["url"]), str(data["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server if _alive(server.pid) else None


def check_free(folder: Path) -> None:
    """Refuse when another live process serves the workspace at ``folder``."""
    server = server_of(folder)
    if server is not None and server.pid != os.getpid():
        raise WorkspaceError(
            f"{folder} is served by {server.describe()}, which is its only writer; use its "
            f"API or stop that process first")


def claim(folder: Path, url: str) -> Server:
    """Mark the workspace at ``folder`` as served by this process."""
    check_free(folder)
    server = Server(os.getpid(), url, dt.datetime.now().isoformat(timespec="seconds"))
    (folder / SERVE_FILE).write_text(json.dumps(server.__dict__), encoding="utf-8")
    return server


def release(folder: Path) -> None:
    """Remove this process's claim on the workspace at ``folder`` (another's is kept)."""
    server = server_of(folder)
    if server is not None and server.pid == os.getpid():
        (folder / SERVE_FILE).unlink(missing_ok=True)
