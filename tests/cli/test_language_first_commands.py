"""What a new user meets first reads in Chinese with --lang zh: the settings and their help,
the mapping file --suggest-map writes, and the lines of init, ingest, status, quarantine,
fit, score and config."""

from __future__ import annotations

import json
import re
import tomllib
from importlib.resources import files

import pytest
from typer.testing import CliRunner

from tenure.cli import app
from tenure.config import SETTINGS
from tenure.i18n import placeholders, translate, untranslated

runner = CliRunner()
_CJK = re.compile(r"[\u4e00-\u9fff]")
# What a help text names for the user to type: `code`, setting keys and column names
# (ingest.latest_date, row_history, phone_normalized), dates and numbers.
_TYPED = re.compile(r"`[^`]+`|\b[a-z]+(?:[._][a-z]+)+\b|[\d][\d.+-]*\d|\bTENURE_LANG\b")


def run(*args: str, lang: str = "zh"):
    return runner.invoke(app, list(args), env={"TENURE_WORKSPACE": "", "COLUMNS": "200",
                                               "TENURE_LANG": lang})


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_every_setting_has_its_help_in_chinese_naming_what_to_type_as_written(setting):
    chinese = translate(setting.help, "zh")
    assert chinese != setting.help and _CJK.search(chinese), setting.key
    # Keys, code and values are typed as they are: each stays in the Chinese.
    for typed in _TYPED.findall(setting.help):
        assert typed in chinese, (setting.key, typed)


def test_catalog_templates_use_only_the_parts_their_english_has():
    for entry in files("tenure.i18n").joinpath("zh").iterdir():
        if entry.name.endswith(".toml"):
            messages = tomllib.loads(entry.read_text(encoding="utf-8")).get("messages", {})
            for source, target in messages.items():
                assert placeholders(target) <= placeholders(source), (entry.name, source)


def test_a_name_to_type_again_is_never_translated():
    # "orders" is a word of the catalogs (订单数), but a table's name in a command is typed.
    said = translate("See the quarantined rows with: tenure quarantine --table orders", "zh")
    assert said == "查看被隔离的行：tenure quarantine --table orders"
    missing = translate("x.csv: no column for customer_id (required in customers); the file "
                        "has: a; map them in a mapping file's [columns], e.g. \"a\" = "
                        "\"customer_id\" (tenure ingest customers FILE --suggest-map writes one "
                        "to edit)", "zh")
    assert "缺少 customer_id 列（customers 表必填）" in missing
    assert "tenure ingest customers FILE" in missing
    # Nor is a value the user typed: "customer" is not 客户 in the error that refuses it.
    refused = translate("ingest: table 'customer' is not supported; use customers, orders", "zh")
    assert refused == "ingest：table 不支持 'customer'；可用的有 customers, orders"


def test_the_help_of_an_option_a_command_needs_reads_in_chinese():
    from tenure.capabilities import REGISTRY
    from tenure.capabilities._spec import option_specs

    for capability in REGISTRY.values():
        for spec in option_specs(capability.options):
            if spec.required:
                assert _CJK.search(translate(spec.help, "zh")), (capability.name, spec.name)


def test_config_shows_help_and_answers_errors_in_chinese(tmp_path):
    ws = str(tmp_path / "shop")
    run("init", ws)
    before = set(untranslated())
    shown = run("config", "--workspace", ws)
    assert shown.exit_code == 0, shown.output
    assert "DuckDB 引擎可以使用的线程数" in shown.output
    assert "Threads the DuckDB engine" not in shown.output
    assert run("config", "engine.threads", "2", "--workspace", ws).exit_code == 0
    one = run("config", "engine.threads", "--workspace", ws)
    assert "DuckDB 引擎可以使用的线程数；0 表示使用全部 CPU 核心。" in one.output
    for args, said in (
        (["engine.threads", "many"], "engine.threads 需要一个整数，而不是 'many'"),
        (["rfm.bins", "0"], "rfm.bins：必须是正整数，而不是 0"),
        (["workspace.language", "fr"], "workspace.language：tenure 不支持语言 'fr'；请用 en 或 zh"),
        (["analytics.confidence", "2"],
         "analytics.confidence：必须是 0 到 1 之间的比例（例如 0.2），而不是 2.0"),
        (["engine.thread", "2"], f"{tmp_path / 'shop' / 'tenure.toml'}：没有名为 "
                                 "'engine.thread' 的设置；你是不是想用 'engine.threads'？"),
    ):
        wrong = run("config", *args, "--workspace", ws)
        assert wrong.exit_code == 2
        assert " ".join(wrong.output.split()) == f"错误： {said}", wrong.output
    assert sorted(set(untranslated()) - before) == []
    # As --json of every command, the file is data for programs: the declared help as is.
    data = json.loads(run("config", "engine.threads", "--json", "-", "--workspace", ws).output)
    assert data == [{"setting": "engine.threads", "value": 2,
                     "help": "Threads the DuckDB engine may use; 0 uses every core."}]


def test_a_value_set_alone_is_named_once_in_english_too(tmp_path):
    ws = str(tmp_path / "shop")
    run("init", ws, lang="")
    wrong = run("config", "workspace.language", "fr", "--workspace", ws, lang="")
    assert " ".join(wrong.output.split()) == (
        "error: workspace.language: 'fr' is not a language tenure speaks; use en or zh")


def test_init_in_chinese_writes_the_settings_file_with_chinese_comments(tmp_path):
    from rich.cells import cell_len

    from tenure.config import Config

    ws = tmp_path / "shop"
    assert run("init", str(ws)).exit_code == 0
    text = (ws / "tenure.toml").read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments[:2] == ["# tenure 工作区设置。每项设置都列出了说明和默认值；",
                            "# 可以直接在这里修改，或用 `tenure config KEY VALUE` 修改。"]
    assert "# DuckDB 引擎可以使用的线程数；0 表示使用全部 CPU 核心。\nthreads = 0" in text
    # Lines break between characters, at most 92 columns of text (a Chinese character is
    # two), never before a comma or a full stop, never inside a key.
    assert max(cell_len(line) for line in comments) <= 94
    assert not [line for line in comments if line[2] in "，。；：、）"]
    assert "ingest.latest_date" in text and "ingest.excluded_statuses" in text
    # The same settings as an English file: every default, read back.
    settings = Config.load(ws / "tenure.toml")
    assert all(settings[s.key] == s.default for s in SETTINGS)


def test_suggest_map_writes_its_comments_in_chinese_and_the_file_still_ingests(tmp_path):
    data = tmp_path / "订单.csv"
    data.write_bytes(("店铺订单导出\n"                                        # a title line
                      "订单编号,买家昵称,宝贝标题,成交日期,实收(RMB)\n"
                      "A1,张三,咖啡豆,2024-01-05 10:00,\"￥1,299.00\"\n"
                      "A2,李四,滤芯,2024-01-06 11:00,￥88.00\n").encode("gbk"))
    before = set(untranslated())
    result = run("ingest", "orders", str(data), "--suggest-map")
    assert result.exit_code == 0, result.output
    written = tmp_path / "订单.toml"
    assert result.output.splitlines() == [
        f"已写入 {written}", "识别了 2 列，推测了 2 列（已在文件中标出：请核对）",
        f"下一步：tenure ingest orders {data} --map {written}"]
    text = written.read_text(encoding="utf-8")
    assert text.splitlines()[:4] == [
        "# 订单.csv 如何对应到 tenure 的 orders 表：由 `tenure ingest --suggest-map` 给出的建议。",
        "# 请核对标为“推测”的行，然后运行：",
        "#   tenure ingest orders 订单.csv --map 本文件",
        "[columns]"]
    assert '"成交日期" = "ordered_at"  # 推测：请核对' in text
    assert '"订单编号" = "order_id"  # 已识别' in text
    assert 'encoding = "gb18030"  # 自动检测' in text
    comments = [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]
    assert all(_CJK.search(c) or c.strip().startswith(("tenure", "[[filter]]", "column",
                                                        "not_in", "\"")) for c in comments)
    assert sorted(set(untranslated()) - before) == []
    # Read back, it maps the same columns as the English file, and lands the two orders.
    assert tomllib.loads(text) == {
        "columns": {"订单编号": "order_id", "买家昵称": "customer_id",
                    "成交日期": "ordered_at", "实收(RMB)": "amount", "宝贝标题": ""},
        "options": {"encoding": "gb18030", "skip_rows": 1}}
    ws = str(tmp_path / "shop")
    run("init", ws)
    landed = run("ingest", "orders", str(data), "--map", str(written), "-w", ws)
    assert landed.exit_code == 0 and "新增 2" in landed.output, landed.output


def test_suggest_map_follows_the_workspace_language(tmp_path):
    ws = str(tmp_path / "shop")
    run("init", ws, lang="")
    assert run("config", "workspace.language", "zh", "--workspace", ws, lang="").exit_code == 0
    data = tmp_path / "o.csv"
    data.write_text("order_id,buyer,day,paid\nA1,C1,2024-01-05,9\n", encoding="utf-8")
    result = run("ingest", "orders", str(data), "--suggest-map", "--workspace", ws, lang="")
    assert result.exit_code == 0 and result.output.startswith("已写入")
    assert "# 已识别" in (tmp_path / "o.toml").read_text(encoding="utf-8")


def test_the_first_commands_print_nothing_left_in_english(tmp_path, write):
    ws = str(tmp_path / "shop")
    # Four customers over a year; O9's amount and date cannot be read.
    orders = write("orders.csv", "order_id,customer_id,ordered_at,amount\n"
                                 "O1,A,2024-01-05,100\nO2,A,2024-03-07,80\nO3,B,2024-01-20,60\n"
                                 "O4,C,2024-02-14,40\nO5,A,2024-06-01,30\nO6,C,2024-08-02,20\n"
                                 "O7,D,2024-09-09,55\nO8,B,2024-11-30,35\n"
                                 "O9,D,2024-13-40,oops\n")
    before = set(untranslated())
    outputs = []
    for command in (["init", ws], ["status", "-w", ws], ["ingest", "orders", str(orders), "-w", ws],
                    ["quarantine", "-w", ws], ["status", "-w", ws], ["fit", "-w", ws],
                    ["score", "--as-of", "2024-12-31", "-w", ws],
                    ["config", "rfm.bins", "4", "-w", ws], ["config", "rfm.bins", "-w", ws]):
        result = run(*command)
        assert result.exit_code == 0, (command, result.output)
        outputs.append(result.output)
    missing_option = run("score", "-w", ws)
    assert missing_option.exit_code == 2
    assert "必须给出 as_of（按此日期评分（使用此日期之前的订单））" in missing_option.output
    # The errors a first attempt meets.
    for command in (["init", ws], ["init", str(tmp_path / "b"), "--timezone", "Mars"],
                    ["ingest", "customer", str(orders), "-w", ws],
                    ["status", "--json", str(tmp_path / "x" / "s.json"), "-w", ws],
                    ["config", "nothing", "-w", ws]):
        result = run(*command)
        assert result.exit_code == 2 and result.output.startswith("错误："), result.output
    assert sorted(set(untranslated()) - before) == []
    printed = "\n".join(outputs)
    # The commands to type next keep the table's own name.
    assert "查看被隔离的行：tenure quarantine --table orders" in printed
    assert "隔离区中有 1 行：tenure quarantine" in printed
    assert "orders 来自" in printed and "订单数 来自" not in printed
