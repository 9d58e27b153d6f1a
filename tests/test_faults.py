"""Faults met for real: Ctrl-C during an ingest, a disk that fills up, a workspace database
that is not one, another process holding it. Each ends in one line, a non-zero exit, no
traceback, the stored data as it was and a workspace that still opens."""

from __future__ import annotations

import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest
from typer.testing import CliRunner

from ingest_helpers import orders_parquet
from tenure import Workspace, WorkspaceError
from tenure.cli import app
from tenure.i18n import translate

BIG = 2_000_000
CLI = [sys.executable, "-m", "tenure.cli"]


def _workspace_with_ten_orders(folder) -> None:
    with Workspace.init(folder) as ws:
        orders_parquet(folder.parent / "ten.parquet", 10)
        ws.ingest("orders", folder.parent / "ten.parquet")


def _as_it_was(folder) -> None:
    """The ten orders and their one ingest, and the workspace takes new data."""
    with Workspace(folder) as ws:
        con = ws.connection
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == 10
        assert con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 1
        orders_parquet(folder.parent / "more.parquet", 20)
        assert ws.ingest("orders", folder.parent / "more.parquet").landed == 10


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert "Traceback" not in text
    assert len(lines) == 1, text
    return lines[0]


# -- Ctrl-C ---------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("step", ["checking values", "checking rules"])
def test_ctrl_c_at_a_terminal(tmp_path, step):
    import pty

    _workspace_with_ten_orders(tmp_path / "w")
    orders_parquet(tmp_path / "big.parquet", BIG)
    pid, fd = pty.fork()
    if pid == 0:  # the child: `tenure ingest` on a terminal, so its progress shows
        os.environ.update(COLUMNS="200", TENURE_WORKSPACE=str(tmp_path / "w"))
        os.execv(sys.executable, [*CLI, "ingest", "orders", str(tmp_path / "big.parquet")])
    seen, sent = b"", False
    while True:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if not sent and step.encode() in seen:
            os.kill(pid, signal.SIGINT)   # what Ctrl-C sends
            sent = True
    _, status = os.waitpid(pid, 0)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode(errors="replace"))  # colours
    assert sent and os.waitstatus_to_exitcode(status) == 130, text
    assert "interrupted: nothing from big.parquet was written" in text
    assert "Traceback" not in text
    _as_it_was(tmp_path / "w")


@pytest.mark.parametrize(("language", "line"), [
    ("en", "interrupted: stopped while starting; nothing was written"),
    ("zh", "已中断：在启动时停止，没有写入任何数据"),
])
def test_ctrl_c_while_the_command_line_loads(tmp_path, language, line):
    # The command line takes a second or more to load (Typer, every capability); a Ctrl-C
    # then is one line and status 130, as during a command, never a traceback.
    child = subprocess.Popen([sys.executable, "-m", "tenure", "status"], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, "TENURE_LANG": language,
                                  "TENURE_WORKSPACE": str(tmp_path / "none")})
    time.sleep(0.3)
    child.send_signal(signal.SIGINT)
    _, text = child.communicate(timeout=60)
    assert child.returncode == 130, text
    assert _one_line(text) == line


CHILD = textwrap.dedent("""
    import sys
    from tenure import Workspace

    ws = Workspace(sys.argv[1])
    print("start", flush=True)
    try:
        ws.ingest("orders", sys.argv[2])
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
        sys.exit(130)
    print("done", flush=True)
""")


@pytest.mark.slow
def test_ctrl_c_in_a_script_is_a_keyboard_interrupt(tmp_path):
    # Without a listener DuckDB runs the statements itself and answers Ctrl-C with an
    # error of its own; the caller gets KeyboardInterrupt, as from any Python code.
    _workspace_with_ten_orders(tmp_path / "w")
    orders_parquet(tmp_path / "big.parquet", BIG)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "w"),
                              str(tmp_path / "big.parquet")], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "start"
    time.sleep(0.5)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert (child.returncode, out.strip(), err) == (130, "KeyboardInterrupt", "")
    _as_it_was(tmp_path / "w")


# -- a full disk -----------------------------------------------------------------------------

def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, do not kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def _full_disk_ingest(folder, source, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "ingest", "orders", str(source), "-w", str(folder)],
                          capture_output=True, text=True, timeout=300, **popen)


@pytest.mark.slow
def test_the_file_size_limit_reached_during_an_ingest(tmp_path):
    # The kernel refuses writes past RLIMIT_FSIZE, as a full disk refuses them.
    folder = tmp_path / "w"
    _workspace_with_ten_orders(folder)
    orders_parquet(tmp_path / "big.parquet", BIG)
    limit = (folder / "tenure.duckdb").stat().st_size + (2 << 20)
    done = _full_disk_ingest(folder, tmp_path / "big.parquet",
                             preexec_fn=_file_size_limit(limit))
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert line.startswith(f"error: stopped by a disk error while ingesting "
                           f"{tmp_path / 'big.parquet'} (IO Error: Could not write file")
    assert line.endswith("nothing from it was written and the stored data is as it was: free "
                         "some disk space and ingest again")
    _as_it_was(folder)


def _mount_small_disk(where) -> bool:
    where.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


@pytest.mark.slow
def test_a_disk_that_fills_up_during_an_ingest(tmp_path):
    disk = tmp_path / "disk"
    if not _mount_small_disk(disk):
        pytest.skip("mounting a small file system needs root")
    try:
        folder = disk / "w"
        _workspace_with_ten_orders(folder)
        orders_parquet(tmp_path / "big.parquet", BIG)
        done = _full_disk_ingest(folder, tmp_path / "big.parquet")
        assert done.returncode == 2
        assert "No space left on device" in _one_line(done.stderr)
        with Workspace(folder) as ws:   # the ten orders, on the full disk
            assert ws.connection.execute("SELECT count(*) FROM orders").fetchone()[0] == 10
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# -- the workspace's database file ------------------------------------------------------------

def _damage(db, how: str) -> None:
    if how == "text":
        db.write_text("order_id,customer_id\n" * 100)
    elif how == "empty":
        db.write_bytes(b"")
    elif how == "folder":
        db.unlink()
        db.mkdir()
    elif how == "cut short":
        db.write_bytes(db.read_bytes()[:5000])


@pytest.mark.parametrize(("how", "pattern"), [
    ("text", "is not a DuckDB database, the file a workspace keeps its data in; restore it"),
    ("empty", r"is empty \(0 bytes\), not a DuckDB database"),
    ("folder", "is a folder where the workspace's database file should be"),
    ("cut short", r"cannot open .* \(IO Error: .*\); the file may be damaged: restore it from "
                  "a backup"),
])
def test_a_database_file_that_is_not_one(tmp_path, how, pattern):
    Workspace.init(tmp_path / "w").close()
    _damage(tmp_path / "w" / "tenure.duckdb", how)
    with pytest.raises(WorkspaceError, match=pattern) as caught:
        Workspace(tmp_path / "w").connection  # noqa: B018
    assert "another" not in str(caught.value)
    result = CliRunner().invoke(app, ["status", "-w", str(tmp_path / "w")],
                                env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert _one_line(result.output).startswith("error: ")


@pytest.mark.parametrize("tables", [
    ["CREATE TABLE orders (x INTEGER)"],                       # an orders table of its own
    ["CREATE TABLE sales (a INTEGER)", "CREATE TABLE stock (b VARCHAR)"],   # nothing of ours
])
def test_another_programs_duckdb_database_is_left_as_it_is(tmp_path, tables):
    Workspace.init(tmp_path / "w").close()
    db = tmp_path / "w" / "tenure.duckdb"
    db.unlink()
    con = duckdb.connect(str(db))
    for statement in tables:
        con.execute(statement)
    con.close()
    with pytest.raises(WorkspaceError, match=r"is a DuckDB database that tenure did not make "
                                             r"\(it holds (orders|sales, stock)\)") as caught:
        Workspace(tmp_path / "w").connection  # noqa: B018
    assert translate(str(caught.value), "zh").startswith("工作区 ")
    result = CliRunner().invoke(app, ["status", "-w", str(tmp_path / "w")],
                                env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "did not make" in _one_line(result.output)
    con = duckdb.connect(str(db), read_only=True)   # nothing was added to it
    found = con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                        "WHERE NOT internal ORDER BY 1, 2").fetchall()
    con.close()
    assert found == ([("orders", "x")] if len(tables) == 1 else [("sales", "a"), ("stock", "b")])


def test_an_empty_duckdb_database_becomes_a_workspace(tmp_path):
    Workspace.init(tmp_path / "w").close()
    db = tmp_path / "w" / "tenure.duckdb"
    db.unlink()
    duckdb.connect(str(db)).close()
    with Workspace(tmp_path / "w") as ws:
        assert ws.connection.execute("SELECT count(*) FROM orders").fetchone()[0] == 0


HOLDER = textwrap.dedent("""
    import sys, time
    from tenure import Workspace

    ws = Workspace(sys.argv[1])
    ws.connection
    print("holding", flush=True)
    time.sleep(60)
""")


def test_a_second_process_gets_one_line(tmp_path):
    Workspace.init(tmp_path / "w").close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "w")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WorkspaceError, match="is in use by another process"):
            Workspace(tmp_path / "w").connection  # noqa: B018
        result = CliRunner().invoke(app, ["status", "-w", str(tmp_path / "w")],
                                    env={"COLUMNS": "300"})
        assert result.exit_code == 2
        assert "is in use by another process" in _one_line(result.output)
    finally:
        holder.kill()
        holder.wait()
    Workspace(tmp_path / "w").connection.close()  # free again


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_settings_saved_by_an_editor(tmp_path, encoding):
    Workspace.init(tmp_path / "w").close()
    settings = tmp_path / "w" / "tenure.toml"
    text = settings.read_text(encoding="utf-8").replace('currency = "CNY"',
                                                        'currency = "CNY"  # 人民币')
    settings.write_bytes(text.encode(encoding))
    with Workspace(tmp_path / "w") as ws:
        assert ws.config["workspace.currency"] == "CNY"
        ws.set_setting("workspace.currency", "USD")
    assert Workspace(tmp_path / "w").config["workspace.currency"] == "USD"


def test_duckdb_refuses_what_the_message_says(tmp_path):
    # The checks above read the file's header as DuckDB does: a real database passes them.
    con = duckdb.connect(str(tmp_path / "real.duckdb"))
    con.close()
    assert (tmp_path / "real.duckdb").read_bytes()[8:12] == b"DUCK"


def test_a_memory_limit_too_low_names_the_setting(tmp_path):
    with Workspace.init(tmp_path / "w") as ws:
        ws.set_setting("engine.memory_limit", "5MB")
    wide = tmp_path / "wide.csv"
    extra = ",".join(f"x{i}" for i in range(2000))
    wide.write_text("order_id,customer_id,ordered_at,amount," + extra + "\n"
                    + ("A1,C1,2024-01-05,1," + ",".join("v" * 20 for _ in range(2000)) + "\n")
                    * 200)
    with Workspace(tmp_path / "w") as ws:
        with pytest.raises(WorkspaceError, match=r"ran out of memory ingesting .*wide\.csv under "
                                                 r"engine\.memory_limit = 5MB; nothing was "
                                                 r"written: raise it"):
            ws.ingest("orders", wide)
        assert ws.connection.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 0
