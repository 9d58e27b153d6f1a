"""The command line in an ordinary terminal: 80 columns, warnings in the user's words, and
--json wherever a table is printed."""

from __future__ import annotations

import json
import warnings

import pandas as pd
from typer.testing import CliRunner

from tenure.cli import app
from tenure.cli._common import _said, show_table, show_warning

runner = CliRunner()


def run(*args: str, columns: int = 80):
    return runner.invoke(app, list(args), env={"TENURE_WORKSPACE": "", "TENURE_LANG": "",
                                               "COLUMNS": str(columns)})


def terminal(monkeypatch, width: int) -> None:
    """The terminal of a user who asked for nothing: English, ``width`` columns."""
    from rich.console import Console

    from tenure.cli import _common

    monkeypatch.setenv("TENURE_LANG", "en")
    monkeypatch.setattr(_common.state, "lang", None)
    monkeypatch.setattr(_common.state, "setting", None)
    monkeypatch.setattr(_common, "out", Console(width=width))


def test_a_table_wider_than_80_columns_folds_and_no_number_wraps(capsys, monkeypatch):
    terminal(monkeypatch, 80)
    # A cohort row with nine ages of seven-figure numbers: 1 + (12 + 3) + 9 x (12 + 3) = 151
    # characters in one table, so it folds into tables of at most four ages beside the
    # cohort (1 + 15 + 4 x 15 = 76 <= 80).
    frame = pd.DataFrame({"cohort": ["2024-01-01"]}
                         | {str(age): [1_234_567.25 * (age + 1)] for age in range(9)})
    show_table(frame, "Cohort revenue")
    shown = capsys.readouterr().out
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert shown.count("2024-01-01") == 3  # the first column begins each of the 3 tables
    for age in range(9):  # each number whole on one line
        assert f"{1_234_567.25 * (age + 1):,.2f}" in shown


def test_numbers_written_as_text_do_not_wrap_either(capsys, monkeypatch):
    terminal(monkeypatch, 40)
    frame = pd.DataFrame({"segment": ["a long segment name that may wrap"],
                          "revenue": ["¥1,234,567.00"], "share": ["45.3%"]})
    show_table(frame)
    shown = capsys.readouterr().out
    assert "¥1,234,567.00" in shown and "45.3%" in shown
    assert max(len(line) for line in shown.splitlines()) <= 40


def test_an_identifier_is_never_broken_across_lines(capsys, monkeypatch):
    terminal(monkeypatch, 80)
    # Six columns of the lift table: care_calendar (13 characters) is wider than the ten a
    # text column is otherwise given, and the table still fits in 80 columns.
    frame = pd.DataFrame({"playbook": ["care_calendar", "maintenance_due"],
                          "metric": ["purchased", "revenue"], "n_treated": [8398, 2038],
                          "n_control": [951, 236], "treated_rate": [0.16, 87.01],
                          "control_rate": [0.15, 62.84]})
    show_table(frame)
    shown = capsys.readouterr().out
    assert "care_calendar" in shown and "maintenance_due" in shown
    assert max(len(line) for line in shown.splitlines()) <= 80


def test_numeric_warnings_become_one_sentence_about_the_data(capsys):
    _said.clear()
    for _ in range(2):  # said once, however often numpy warns
        show_warning(RuntimeWarning("invalid value encountered in multiply"), RuntimeWarning,
                     "x.py", 1)
    # A third-party deprecation is for developers, not for the user.
    show_warning(FutureWarning("the default will change"), FutureWarning, "pandas/x.py", 1)
    said = capsys.readouterr().err
    assert "invalid value" not in said and "multiply" not in said
    assert said.count("warning: some figures could not be computed from your data") == 1
    assert "default will change" not in said


def test_tenure_s_own_warnings_are_shown_as_they_are(capsys):
    from tenure.models import ModelWarning

    with warnings.catch_warnings():
        show_warning(ModelWarning("Gamma-Gamma: 3 repeat buyer(s) with zero mean spend"),
                     ModelWarning, "elsewhere.py", 1)
    assert "Gamma-Gamma: 3 repeat buyer(s)" in capsys.readouterr().err


def test_config_prints_json_for_scripts(tmp_path):
    ws = str(tmp_path / "shop")
    assert run("init", ws, "--currency", "USD").exit_code == 0
    result = run("config", "workspace.currency", "--json", "-", "--workspace", ws)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{
        "setting": "workspace.currency", "value": "USD",
        "help": "Currency of amounts when an order has no currency column."}]
    every = json.loads(run("config", "--json", "-", "--workspace", ws).output)
    assert {"workspace.timezone", "workspace.language"} <= {row["setting"] for row in every}


def test_next_steps_name_the_tenure_that_ran_when_it_is_not_on_the_path(tmp_path, monkeypatch):
    from tenure.cli._common import tenure_command

    script = tmp_path / "venv" / "bin" / "tenure"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", [str(script)])
    # Not on the PATH (an environment not activated): the path to type, from here.
    monkeypatch.setenv("PATH", "/nonexistent")
    assert tenure_command() == "venv/bin/tenure"
    # On the PATH: the plain name works as printed.
    monkeypatch.setenv("PATH", str(script.parent))
    assert tenure_command() == "tenure"
