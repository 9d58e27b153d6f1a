"""The workspace: creation, discovery, migrations, status and the Ibis engine."""

from __future__ import annotations

import duckdb
import pytest

from tenure import Workspace, WorkspaceError
from tenure.config import Config
from tenure.contract import TABLES
from tenure.workspace import _migrations as migrations


def test_init_writes_settings_and_every_contract_table(tmp_path):
    ws = Workspace.init(tmp_path / "shop", timezone="Asia/Shanghai", currency="USD")
    assert (ws.path / "tenure.toml").is_file() and ws.db_path.is_file()
    assert ws.config["workspace.timezone"] == "Asia/Shanghai"
    assert ws.config["workspace.currency"] == "USD"
    tables = {r[0] for r in ws.connection.execute("SHOW TABLES").fetchall()}
    assert set(TABLES) | {"ingest_log", "quarantine", "row_history", "tenure_meta"} <= tables
    ws.close()
    # The written file holds every setting, and loads back to the same values.
    loaded = Config.load(tmp_path / "shop" / "tenure.toml")
    assert dict(loaded) == dict(Config({"workspace.timezone": "Asia/Shanghai",
                                        "workspace.currency": "USD"}))


def test_init_refuses_an_existing_workspace_and_bad_settings(tmp_path):
    Workspace.init(tmp_path / "a").close()
    with pytest.raises(WorkspaceError, match="already a tenure workspace"):
        Workspace.init(tmp_path / "a")
    assert Workspace.init(tmp_path / "a", exist_ok=True).path == (tmp_path / "a").resolve()
    with pytest.raises(Exception, match="not a time zone name"):
        Workspace.init(tmp_path / "b", timezone="Asia/Beijing")
    assert not (tmp_path / "b").exists()  # nothing written


def test_opening_something_that_is_not_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match=r"is not a tenure workspace .* `tenure init"):
        Workspace(tmp_path)


def test_find_by_argument_environment_and_parent_folders(tmp_path, monkeypatch):
    Workspace.init(tmp_path / "shop").close()
    inner = tmp_path / "shop" / "exports" / "2024"
    inner.mkdir(parents=True)
    monkeypatch.delenv("TENURE_WORKSPACE", raising=False)
    monkeypatch.chdir(inner)
    assert Workspace.find().path == (tmp_path / "shop").resolve()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorkspaceError, match="no workspace here"):
        Workspace.find()
    monkeypatch.setenv("TENURE_WORKSPACE", str(tmp_path / "shop"))
    assert Workspace.find().path == (tmp_path / "shop").resolve()


def test_a_new_migration_runs_once_and_bumps_the_version(tmp_path, monkeypatch):
    Workspace.init(tmp_path / "w").close()
    calls = []

    def add_notes(con):
        calls.append(1)
        con.execute("CREATE TABLE notes (text VARCHAR)")

    latest = migrations.MIGRATIONS[-1].version
    monkeypatch.setattr(migrations, "MIGRATIONS", [
        *migrations.MIGRATIONS, migrations.Migration(latest + 1, "notes", add_notes)])
    for _ in range(2):
        with Workspace(tmp_path / "w") as ws:
            assert migrations.stored_version(ws.connection) == latest + 1
    assert calls == [1]


def test_a_failing_migration_leaves_the_workspace_as_it_was(tmp_path, monkeypatch):
    Workspace.init(tmp_path / "w").close()
    latest = migrations.MIGRATIONS[-1].version

    def broken(con):
        con.execute("CREATE TABLE half (x INTEGER)")
        con.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(migrations, "MIGRATIONS", [
        *migrations.MIGRATIONS, migrations.Migration(latest + 1, "broken", broken)])
    with pytest.raises(duckdb.Error):
        Workspace(tmp_path / "w").connection  # noqa: B018
    con = duckdb.connect(str(tmp_path / "w" / "tenure.duckdb"))
    assert migrations.stored_version(con) == latest
    assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half'"
                           ).fetchone()[0]
    con.close()


def test_a_newer_workspace_is_refused(tmp_path):
    Workspace.init(tmp_path / "w").close()
    con = duckdb.connect(str(tmp_path / "w" / "tenure.duckdb"))
    con.execute("UPDATE tenure_meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(WorkspaceError, match=r"written by a newer tenure .*schema 999"):
        Workspace(tmp_path / "w").connection  # noqa: B018


def test_columns_the_contract_gained_are_added_on_open(tmp_path):
    ws = Workspace.init(tmp_path / "w")
    ws.ingest("orders", _orders())
    ws.close()
    # An older workspace whose orders table predates the quantity column.
    con = duckdb.connect(str(tmp_path / "w" / "tenure.duckdb"))
    con.execute("ALTER TABLE orders DROP COLUMN quantity")
    con.close()
    with Workspace(tmp_path / "w") as ws:
        columns = [r[0] for r in ws.connection.execute("DESCRIBE orders").fetchall()]
        assert "quantity" in columns
        assert ws.connection.execute("SELECT count(*) FROM orders").fetchone()[0] == 2


def _orders():
    import pandas as pd

    return pd.DataFrame({"order_id": ["A", "B"], "customer_id": ["C1", "C2"],
                         "ordered_at": ["2024-01-05", "2024-02-05"], "amount": [1.0, 2.0]})


def test_status_and_ibis_tables(workspace):
    workspace.ingest("orders", _orders())
    status = workspace.status()
    orders = status.tables.set_index("table_name").loc["orders"]
    assert (orders["rows"], orders["first"], orders["last"]) == (
        2, "2024-01-05 00:00:00", "2024-02-05 00:00:00")
    assert status.ingests[["table_name", "rows_read", "landed"]].values.tolist() == [
        ["orders", 2, 2]]
    assert status.quarantined == 0
    table = workspace.table("orders")
    assert table.amount.sum().execute() == 3.0
    with pytest.raises(Exception, match="there is no table 'nope'"):
        workspace.table("nope")


def test_quarantine_filters(workspace, write):
    workspace.ingest("orders", write("o.csv", "order_id,customer_id,ordered_at,amount\n"
                                              "A,C,x,1\nB,,2024-01-01,y\n"))
    assert len(workspace.quarantine()) == 3
    assert len(workspace.quarantine("orders", reason="unparseable")) == 2
    assert len(workspace.quarantine(limit=1)) == 1
    assert workspace.quarantine("customers").empty


def test_the_connection_is_free_for_other_work_after_an_ingest(workspace):
    # DuckDB refuses register() and sql() while a fetched result is still open.
    import pandas as pd

    workspace.ingest("orders", _orders())
    assert workspace.status().quarantined == 0  # its last query reads a single row
    con = workspace.connection
    con.register("extra", pd.DataFrame({"x": [1]}))
    assert con.sql("SELECT count(*) FROM extra").fetchall() == [(1,)]
