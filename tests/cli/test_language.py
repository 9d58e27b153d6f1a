"""The command line in the user's language: --lang, TENURE_LANG and the workspace setting."""

from __future__ import annotations

from typer.testing import CliRunner

from tenure.cli import app

runner = CliRunner()


def run(*args: str, lang: str = ""):
    return runner.invoke(app, list(args), env={"TENURE_WORKSPACE": "", "COLUMNS": "200",
                                               "TENURE_LANG": lang})


HEADER = "order_id,customer_id,ordered_at,amount\n"
# Three customers over four months: enough for every analysis to say something.
SIX_ORDERS = ("O1,A,2024-01-05,100\nO2,A,2024-02-07,80\nO3,B,2024-01-20,60\n"
              "O4,C,2024-02-14,40\nO5,A,2024-04-01,30\nO6,C,2024-04-02,20\n")


def shop(tmp_path, write, orders: str = SIX_ORDERS, customers: str | None = None) -> str:
    """A workspace holding ``orders`` (and ``customers``, CSV text), as the user makes one."""
    ws = str(tmp_path / "shop")
    run("init", ws)
    files = ([("customers", customers)] if customers else []) + [("orders", HEADER + orders)]
    for table, text in files:
        assert run("ingest", table, str(write(f"{table}.csv", text)), "--workspace",
                   ws).exit_code == 0
    return ws


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


def test_the_analyses_print_nothing_left_in_english_with_lang_zh(tmp_path, write):
    from tenure.i18n import untranslated

    ws = shop(tmp_path, write)
    before = set(untranslated())
    for command in (["status"], ["analyze", "cohorts"], ["analyze", "lifecycle"],
                    ["analyze", "growth"], ["analyze", "loyalty"]):
        result = run("--lang", "zh", *command, "--workspace", ws)
        assert result.exit_code == 0, (command, result.output)
    assert sorted(set(untranslated()) - before) == []


def test_a_split_result_reads_in_chinese_group_by_group(tmp_path, write):
    from tenure.i18n import untranslated

    ws = shop(tmp_path, write, customers="customer_id,segment\nA,consumer\nB,smb\nC,smb\n")
    before = set(untranslated())
    for command in (["analyze", "cohorts", "--by", "segment"],
                    ["analyze", "growth", "--by", "segment"],
                    ["analyze", "loyalty", "--by", "segment"]):
        result = run("--lang", "zh", *command, "--workspace", ws)
        assert result.exit_code == 0, (command, result.output)
    assert sorted(set(untranslated()) - before) == []
    cohorts = run("--lang", "zh", "analyze", "cohorts", "--by", "segment", "--workspace", ws)
    # Each group's line: the segment's Chinese name, then the sentence.
    assert "个人：1 位客户分属 1 个同期群" in cohorts.output
    assert "小企业：2 位客户分属 2 个同期群" in cohorts.output


def test_the_compact_cohort_view_fits_80_columns(tmp_path, write):
    # A: January cohort, back in February and April; B: January, never back; C: February.
    ws = shop(tmp_path, write, SIX_ORDERS.replace("O6,C,2024-04-02,20\n", ""))
    result = runner.invoke(app, ["analyze", "cohorts", "--compact", "--workspace", ws],
                           env={"TENURE_WORKSPACE": "", "COLUMNS": "80", "TENURE_LANG": ""})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    rows = [[cell.strip() for cell in line.strip("│").split("│")]
            for line in result.output.splitlines() if line.startswith("│")]
    # Ages 1, 3, 6 and 12 only: January (2 customers) is 50% a month on (A in February)
    # and 50% three months on (A in April); February's C never came back.
    assert rows == [["2024-01-01", "2", "50.0%", "50.0%", "", ""],
                    ["2024-02-01", "1", "0.0%", "", "", ""]]


def test_errors_read_whole_in_chinese(tmp_path):
    nowhere = tmp_path / "nowhere"
    result = run("status", "--workspace", str(nowhere), lang="zh")
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == (
        f"错误： {nowhere} 不是 tenure 工作区（没有 tenure.toml）；用 `tenure init {nowhere}` "
        "创建一个")
    ws = str(tmp_path / "shop")
    run("init", ws)
    typo = run("config", "workspace.timezon", "--workspace", ws, lang="zh")
    assert "你是不是想用 'workspace.timezone'" in typo.output
