"""The documentation's examples run, and say what they show."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tenure import Workspace

ROOT = Path(__file__).parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("page", [p for p in PAGES if _python_blocks(p)],
                         ids=lambda p: p.name)
def test_python_examples_run(page, tmp_path, monkeypatch):
    # Each page's blocks run in order, in a fresh folder beside the bundled examples.
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    namespace: dict = {"__name__": "__docs__"}
    for block in _python_blocks(page):
        exec(compile(block, str(page), "exec"), namespace)


def test_the_taobao_example_leaves_out_row_5_and_holds_back_row_7(tmp_path):
    with Workspace.init(tmp_path / "shop", timezone="Asia/Shanghai") as ws:
        report = ws.ingest("orders", ROOT / "examples" / "taobao_orders_gbk.csv",
                           ROOT / "examples" / "taobao_orders.toml")
        # Row 5 awaits payment (等待买家付款): not a sale, counted apart; row 7 has no buyer.
        assert (report.rows_read, report.landed, report.excluded, report.quarantined) == (
            7, 5, 1, 1)
        assert report.exclusions == {"status 等待买家付款": 1}
        assert report.refunds == 1   # row 6, 退款成功
        assert report.ignored_columns == ("宝贝标题",)
        held = ws.quarantine()[["row", "column_name", "reason", "value"]]
        assert held.values.tolist() == [[7, "customer_id", "missing_required", None]]
        # 1299 + 89.90 + 156 - 89.90 (the refund) + 2150
        assert ws.table("orders").amount.sum().execute() == pytest.approx(3605.0)


def test_every_doc_page_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in (ROOT / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, page.name
    assert os.path.exists(ROOT / "examples" / "taobao_orders.toml")
