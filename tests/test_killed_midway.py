"""Killed (kill -9) while scoring or storing SLA results, a workspace keeps all of the
work or none of it, and what it held before."""

from __future__ import annotations

import textwrap

import pytest

from ingest_helpers import kill_during
from tenure import Workspace
from tenure.contract import LOAD_ORDER

# The child runs the step and says which one it is starting (through the progress events
# any caller can listen to), so that the parent can kill it while it writes.
CHILD = textwrap.dedent("""
    import sys
    from tenure import Workspace

    def announce(event):
        if event.fraction is None:
            print(event.description, flush=True)

    ws = Workspace(sys.argv[1])
    if sys.argv[2] == "score":
        from tenure.models import score
        score(ws, as_of=sys.argv[3], horizon="90d", progress=announce)
    else:
        from tenure.sla import evaluate
        evaluate(ws, sys.argv[3], progress=announce)
    print("done", flush=True)
""")


def _kill_during(step: str, *args: str) -> list[str]:
    return kill_during(step, CHILD, *args, wait=0.02)


@pytest.fixture
def shop(tmp_path, small_business):
    from tenure.sla._demo import shop_section

    with Workspace.init(tmp_path / "shop", timezone="Asia/Shanghai") as ws:
        for name in LOAD_ORDER:
            path = small_business / f"{name}.parquet"
            if path.exists():
                ws.ingest(name, path)
    with open(tmp_path / "shop" / "tenure.toml", "a", encoding="utf-8") as settings:
        settings.write(shop_section())
    return tmp_path / "shop"


@pytest.mark.slow
def test_killed_while_writing_scores(shop):
    from tenure.models import score

    with Workspace(shop) as ws:
        first = score(ws, as_of="2025-01-01", horizon="90d").headline["customers"]
    assert "writing scores" in _kill_during("writing scores", str(shop), "score", "2025-06-01")
    with Workspace(shop) as ws:
        con = ws.connection
        # The first date's scores are all there; the second date's are all there or absent.
        assert con.execute("SELECT count(*) FROM scores WHERE as_of = DATE '2025-01-01'"
                           ).fetchone()[0] == first
        second = con.execute("SELECT count(*) FROM scores WHERE as_of = DATE '2025-06-01'"
                             ).fetchone()[0]
        complete = score(ws, as_of="2025-06-01", horizon="90d").headline["customers"]
        assert second in (0, complete)


@pytest.mark.slow
def test_killed_while_storing_sla_results(shop):
    from tenure.sla import evaluate

    with Workspace(shop) as ws:
        evaluate(ws, "2025-01-01")
        before = ws.connection.execute("SELECT as_of, count(*) FROM sla_results GROUP BY 1"
                                       ).fetchall()
    assert len(before) == 1 and before[0][1] > 0
    assert "storing results" in _kill_during("storing results", str(shop), "sla",
                                             "2025-06-01")
    with Workspace(shop) as ws:
        after = ws.connection.execute("SELECT as_of, count(*) FROM sla_results GROUP BY 1"
                                      ).fetchall()
        if after != before:   # the new results landed whole before the kill
            evaluate(ws, "2025-06-01")
            assert after == ws.connection.execute(
                "SELECT as_of, count(*) FROM sla_results GROUP BY 1").fetchall()
