"""The `tenure sla` commands, run in process over the hand-made book (conftest.book)."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from tenure.cli import app

runner = CliRunner()


def run(ws, *args: str):
    return runner.invoke(app, ["sla", *args, "--workspace", str(ws.path)])


def test_credits_command_lists_what_is_owed(book, tmp_path):
    book.close()
    result = run(book, "credits", "--period", "2026-10")
    assert result.exit_code == 0, result.output
    # ACME 100 + G1 25 (test_sla_credits_report).
    assert "Total owed for 2026-10: 125.00" in result.output
    assert "1 rows have a percentage credit but no known fee" in result.output
    target = tmp_path / "owed.csv"
    assert run(book, "credits", "--period", "2026-10", "--csv", str(target)).exit_code == 0
    assert pd.read_csv(target).set_index("customer_id").owed.dropna().to_dict() == {
        "ACME": 100.0, "G1": 25.0}


def test_report_command_writes_the_chart(book, tmp_path):
    book.close()
    chart = tmp_path / "breaches.json"
    result = run(book, "report", "--as-of", "2026-10-16T12:00", "--worst", "2",
                 "--chart", str(chart))
    assert result.exit_code == 0, result.output
    assert "Worst 2 customers" in result.output and "ACME" in result.output
    assert json.loads(chart.read_text())["mark"]["type"] == "line"


def test_evaluate_and_policies_commands(book, tmp_path):
    book.close()
    summary, target = tmp_path / "summary.csv", tmp_path / "clocks.csv"
    result = run(book, "evaluate", "--as-of", "2026-10-16T12:00", "--csv", str(summary))
    assert result.exit_code == 0, result.output
    # 12 clocks: 8 first responses and 4 resolutions (test_sla_credits_report).
    assert "12 clocks, 8 breached" in result.output
    per_metric = pd.read_csv(summary).set_index("metric")
    assert per_metric["clocks"].to_dict() == {"first_response": 8, "resolution": 4}
    assert per_metric["breached"].sum() == 8
    # Every clock of the evaluation, from the table it stored.
    assert run(book, "clocks", "--csv", str(target)).exit_code == 0
    clocks = pd.read_csv(target)
    assert len(clocks) == 12 and clocks["breached"].sum() == 8
    breached = run(book, "clocks", "--breached", "true", "--csv", str(target))
    assert breached.exit_code == 0 and len(pd.read_csv(target)) == 8
    listing = run(book, "policies")
    assert listing.exit_code == 0
    assert all(name in listing.output for name in ("gold", "acme", "pct", "beijing", "london"))


def test_a_bad_period_is_one_line_and_exit_2(book):
    book.close()
    result = run(book, "credits", "--period", "October")
    assert result.exit_code == 2
    assert "period 'October' is not a month, quarter or year" in result.output
