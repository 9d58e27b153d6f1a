"""The command line, run in process with Typer's runner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tenure.cli import app

runner = CliRunner()
COMMANDS = ["init", "ingest", "status", "quarantine", "config", "simulate", "demo"]


def run(*args: str):
    return runner.invoke(app, list(args), env={"TENURE_WORKSPACE": "", "COLUMNS": "200"})


def test_help_explains_every_command_with_an_example():
    result = run("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output
        page = run(command, "--help")
        assert page.exit_code == 0, page.output
        assert "Example:" in page.output, command


def test_init_ingest_status_and_quarantine(tmp_path, write):
    ws = str(tmp_path / "shop")
    assert run("init", ws, "--timezone", "Asia/Shanghai").exit_code == 0
    orders = write("orders.csv", "订单号,客户编号,下单时间,实付金额\nA1,C1,2024-01-05,9\n"
                                 "A2,C1,2024-01-06,oops\n")
    result = run("ingest", "orders", str(orders), "--workspace", ws)
    assert result.exit_code == 0, result.output
    assert "quarantined" in result.output and "1 × unparseable" in result.output
    status = run("status", "--workspace", ws)
    assert status.exit_code == 0 and "orders" in status.output
    held = run("quarantine", "--workspace", ws)
    assert "could not read 'oops' as a number" in held.output
    out = tmp_path / "held.csv"
    assert run("quarantine", "--workspace", ws, "--csv", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").count("\n") == 2  # header and one row
    strict = run("ingest", "orders", str(orders), "--workspace", ws, "--fail-on-quarantine")
    assert strict.exit_code == 1


def test_errors_are_one_line_with_status_2(tmp_path, write):
    ws = str(tmp_path / "shop")
    run("init", ws)
    bad = write("orders.csv", "order_id,amount\nA1,3\n")
    result = run("ingest", "orders", str(bad), "--workspace", ws)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "no column for customer_id, ordered_at" in result.output.replace("\n", "")
    # The section to map them in is named as written, not taken for terminal markup.
    assert "a mapping file's [columns]" in result.output.replace("\n", "")
    # --debug shows the exception itself instead.
    debug = runner.invoke(app, ["--debug", "ingest", "orders", str(bad), "--workspace", ws])
    assert debug.exit_code != 2 and debug.exception is not None


def test_no_workspace_is_a_user_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("status")
    assert result.exit_code == 2 and "no workspace here" in result.output


def test_config_shows_and_changes_settings(tmp_path):
    ws = str(tmp_path / "shop")
    run("init", ws)
    assert "workspace.timezone" in run("config", "--workspace", ws).output
    assert run("config", "ingest.strict_references", "true", "--workspace", ws).exit_code == 0
    assert "True" in run("config", "ingest.strict_references", "--workspace", ws).output
    wrong = run("config", "ingest.strict_reference", "--workspace", ws)
    assert wrong.exit_code == 2 and "did you mean 'ingest.strict_references'" in wrong.output
    bad = run("config", "engine.threads", "many", "--workspace", ws)
    assert bad.exit_code == 2 and "takes a whole number" in bad.output
    text = (tmp_path / "shop" / "tenure.toml").read_text()
    assert "strict_references = true" in text and "# Quarantine rows that name" in text


def test_simulate_writes_every_table_with_its_truth(tmp_path):
    import json

    import pandas as pd

    from tenure.simulate import BusinessParams, simulate_business

    result = run("simulate", str(tmp_path / "sim"), "--customers", "300", "--seed", "4",
                 "--format", "csv")
    assert result.exit_code == 0, result.output
    # The files hold what the library simulates from the same seed, table by table.
    business = simulate_business(300, 4, BusinessParams(process="pnbd"))
    for name, table in business.tables.items():
        written = pd.read_csv(tmp_path / "sim" / f"{name}.csv")
        assert len(written) == table.num_rows, name
        assert f"{name:<14} {table.num_rows:>12,} rows" in result.output
    orders = pd.read_csv(tmp_path / "sim" / "orders.csv")
    assert orders["amount"].sum() == pytest.approx(
        business.tables["orders"].column("amount").to_numpy().sum())
    truth = json.loads((tmp_path / "sim" / "truth.json").read_text(encoding="utf-8"))
    assert (truth["n_customers"], truth["seed"], truth["process"]) == (300, 4, "pnbd")
    latent = pd.read_parquet(tmp_path / "sim" / "latent.parquet")
    assert len(latent) == 300 and latent["customer_id"].is_unique


@pytest.mark.slow
def test_demo_builds_two_workspaces_and_reruns_idempotently(tmp_path):
    first = run("demo", str(tmp_path / "demo"), "--customers", "500")
    assert first.exit_code == 0, first.output
    assert "Where to look next" in first.output
    second = run("demo", str(tmp_path / "demo"), "--customers", "500")
    assert second.exit_code == 0
    assert "landed 0," in second.output.replace("\n", " ")


def test_suggest_map_writes_a_mapping_file_to_edit(tmp_path):
    data = tmp_path / "订单.csv"
    data.write_bytes(("店铺订单导出\n\n"                                   # two title lines
                      "订单编号,买家昵称,宝贝标题,成交日期,实收(RMB)\n"
                      "A1,张三,咖啡豆,2024-01-05 10:00,\"￥1,299.00\"\n"
                      "A2,李四,滤芯,2024-01-06 11:00,￥88.00\n").encode("gbk"))
    result = run("ingest", "orders", str(data), "--suggest-map")
    assert result.exit_code == 0, result.output
    written = tmp_path / "订单.toml"
    assert f"Wrote {written}" in result.output
    assert "2 columns recognised, 2 guessed (marked in the file: check them)" in result.output
    import tomllib

    mapping = tomllib.loads(written.read_text(encoding="utf-8"))
    assert mapping == {
        "columns": {"订单编号": "order_id", "买家昵称": "customer_id",
                    "成交日期": "ordered_at", "实收(RMB)": "amount", "宝贝标题": ""},
        "options": {"encoding": "gb18030", "skip_rows": 2}}
    assert '"成交日期" = "ordered_at"  # guessed: check it' in written.read_text(encoding="utf-8")
    # The file works as written, and is not overwritten by a second suggestion.
    ws = str(tmp_path / "shop")
    run("init", ws)
    landed = run("ingest", "orders", str(data), "--map", str(written), "-w", ws)
    assert landed.exit_code == 0 and "landed 2" in landed.output
    again = run("ingest", "orders", str(data), "--suggest-map")
    assert again.exit_code == 2 and "exists already" in again.output


def test_every_csv_tenure_writes_starts_with_a_bom(tmp_path, write):
    ws = str(tmp_path / "shop")
    run("init", ws)
    run("ingest", "orders", str(write("o.csv", "订单号,客户编号,下单时间,实付金额\n"
                                               "A1,张三,2024-01-05,oops\n")), "-w", ws)
    assert run("quarantine", "-w", ws, "--csv", str(tmp_path / "held.csv")).exit_code == 0
    assert run("simulate", str(tmp_path / "sim"), "--customers", "50", "--format",
               "csv").exit_code == 0
    written = [tmp_path / "held.csv", *(tmp_path / "sim").glob("*.csv")]
    assert len(written) > 5
    for path in written:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.name
