"""Shared fixtures: fresh workspaces and small simulated businesses, all on real DuckDB."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tenure.simulate import simulate_business, write_business
from tenure.workspace import Workspace

# Compiled queries are kept in a folder of this run, never in the user's own cache.
os.environ.setdefault("TENURE_CACHE_DIR", tempfile.mkdtemp(prefix="tenure-cache-"))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty workspace in Asia/Shanghai time, closed after the test."""
    ws = Workspace.init(tmp_path / "ws", timezone="Asia/Shanghai")
    yield ws
    ws.close()


@pytest.fixture
def write(tmp_path: Path):
    """Write text to a file under tmp_path and return its path: write("a.csv", "...")."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write


@pytest.fixture(scope="session")
def small_business(tmp_path_factory) -> Path:
    """A simulated business of 2,000 customers written as Parquet (seed 11)."""
    folder = tmp_path_factory.mktemp("business")
    write_business(simulate_business(2_000, seed=11), folder)
    return folder

