"""What the ingest tests look at: stored rows, quarantined places, and an untouched workspace."""

from __future__ import annotations


def rows(workspace, sql: str) -> list[tuple]:
    """The rows ``sql`` returns on the workspace's database."""
    return workspace.connection.execute(sql).fetchall()


def held(workspace) -> list[tuple]:
    """(row, column, reason) of every quarantined problem, in table, source and row order."""
    frame = workspace.quarantine()
    return list(frame[["row", "column_name", "reason"]].itertuples(index=False, name=None))


def nothing_written(workspace) -> None:
    """No order, no ingest logged, nothing in quarantine."""
    assert rows(workspace, "SELECT count(*) FROM orders") == [(0,)]
    assert rows(workspace, "SELECT count(*) FROM ingest_log") == [(0,)]
    assert workspace.quarantine().empty
