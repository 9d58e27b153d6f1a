"""An ingest killed midway leaves the workspace holding all of it or none of it."""

from __future__ import annotations

import textwrap

import pytest

from ingest_helpers import kill_during, orders_parquet
from tenure import Workspace

N = 2_000_000

# The child ingests a file and says which step it is starting (through the progress events
# any caller can listen to), so that the parent can kill it in the middle of writing rows.
CHILD = textwrap.dedent("""
    import sys
    from tenure import Workspace

    def announce(event):
        if event.fraction is None:
            print(event.description, flush=True)

    ws = Workspace(sys.argv[1])
    ws.ingest("orders", sys.argv[2], progress=announce)
    print("done", flush=True)
""")


def _orders_file(path, amount: float) -> None:
    orders_parquet(path, N, amount)


def _kill_during(step: str, workspace_path, source) -> str:
    return kill_during(step, CHILD, str(workspace_path), str(source))[-1]


@pytest.mark.slow
def test_killed_while_writing_new_rows(tmp_path):
    Workspace.init(tmp_path / "w").close()
    _orders_file(tmp_path / "o.parquet", 1.0)
    assert _kill_during("writing rows", tmp_path / "w", tmp_path / "o.parquet") == "writing rows"
    with Workspace(tmp_path / "w") as ws:
        con = ws.connection
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 0
        # And the workspace still works: the same file lands whole.
        assert ws.ingest("orders", tmp_path / "o.parquet").landed == N


@pytest.mark.slow
def test_killed_while_updating_rows(tmp_path):
    with Workspace.init(tmp_path / "w") as ws:
        _orders_file(tmp_path / "a.parquet", 1.0)
        ws.ingest("orders", tmp_path / "a.parquet")
    _orders_file(tmp_path / "b.parquet", 2.0)  # every amount changes
    assert _kill_during("updating rows", tmp_path / "w", tmp_path / "b.parquet") == \
        "updating rows"
    with Workspace(tmp_path / "w") as ws:
        con = ws.connection
        assert con.execute("SELECT count(*), min(amount), max(amount) FROM orders"
                           ).fetchone() == (N, 1.0, 1.0)
        assert con.execute("SELECT count(*) FROM row_history").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 1
