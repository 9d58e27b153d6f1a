"""The command line in the user's language: --lang, TENURE_LANG and the workspace setting."""

from __future__ import annotations

from typer.testing import CliRunner

from tenure.cli import app

runner = CliRunner()


def run(*args: str, lang: str = ""):
    return runner.invoke(app, list(args), env={"TENURE_WORKSPACE": "", "COLUMNS": "200",
                                               "TENURE_LANG": lang})


def test_lang_env_and_workspace_setting_switch_messages_headers_and_errors(tmp_path):
    ws = str(tmp_path / "shop")
    created = run("--lang", "zh", "init", ws)
    assert created.exit_code == 0 and "已创建工作区" in created.output
    english = run("status", "--workspace", ws)
    assert "table" in english.output and "表" not in english.output
    # TENURE_LANG alone, then the workspace's own setting, then --lang over both.
    assert "表" in run("status", "--workspace", ws, lang="zh").output
    assert run("config", "workspace.language", "zh", "--workspace", ws).exit_code == 0
    assert "表" in run("status", "--workspace", ws).output
    assert "表" not in run("--lang", "en", "status", "--workspace", ws).output
    missing = run("--lang", "zh", "ingest", "orders", str(tmp_path / "none.csv"),
                  "--workspace", ws)
    assert missing.exit_code == 2 and missing.output.startswith("错误：")


def test_a_language_tenure_does_not_speak_is_one_error_line():
    result = run("--lang", "fr", "status")
    assert result.exit_code == 2
    assert result.output.strip() == "error: language 'fr' is not supported; use zh or en"
