"""The documentation's examples run, page after page, and print what each page says.

Every page runs in a process of its own, in a fresh folder, its python blocks in order (as
a reader would paste them into one session). A python block followed by a ``text`` block
must print exactly that text; a line holding only ``...`` there stands for any lines (a
path, a time). A block that prints something the page does not show fails, so that no
example's output goes unchecked.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tenure import Workspace

ROOT = Path(__file__).parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
# Pages whose examples read or write so much that they count as slow.
SLOW = {"churn.md", "actions.md", "value-models.md", "sla.md", "analytics.md", "scale.md"}

EXAMPLE = re.compile(r"```python\n(.*?)```[ \t]*\n(?:\s*```text\n(.*?)```)?", flags=re.S)

# Runs the blocks given on standard input in one namespace, printing each block's output
# as one JSON line, so that the parent can tell the blocks' outputs apart.
RUNNER = textwrap.dedent("""
    import contextlib, io, json, sys
    blocks = json.load(sys.stdin)
    namespace = {"__name__": "__docs__"}
    results = []
    for number, code in enumerate(blocks):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, sys.argv[1] + f" block {number + 1}", "exec"), namespace)
        results.append(printed.getvalue())
    sys.stdout.write(json.dumps(results))
""")


def examples(page: Path) -> list[tuple[str, str | None]]:
    """Each python block of ``page`` with the text block right after it, if any."""
    return [(m.group(1), m.group(2))
            for m in EXAMPLE.finditer(page.read_text(encoding="utf-8"))]


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").splitlines()]


def matches(printed: str, shown: str) -> bool:
    """Whether ``printed`` is ``shown``, a line ``...`` there matching any lines."""
    pattern = []
    for line in _lines(shown):
        pattern.append(r"(?:.*\n)*?" if line.strip() == "..." else re.escape(line) + r"\n")
    return re.fullmatch("".join(pattern), "\n".join(_lines(printed)) + "\n") is not None


def _params():
    for page in PAGES:
        if not examples(page):
            continue
        marks = [pytest.mark.slow] if page.name in SLOW else []
        yield pytest.param(page, id=page.name, marks=marks)


@pytest.mark.parametrize("page", list(_params()))
def test_every_example_prints_what_its_page_shows(page, tmp_path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    blocks = examples(page)
    env = {**os.environ, "COLUMNS": "100", "TENURE_WORKSPACE": ""}
    done = subprocess.run([sys.executable, "-c", RUNNER, page.name], cwd=tmp_path, env=env,
                          input=json.dumps([code for code, _ in blocks]), text=True,
                          capture_output=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = json.loads(done.stdout)
    for (code, shown), printed in zip(blocks, outputs, strict=True):
        where = f"{page.name}: the block starting {code.splitlines()[0]!r}"
        if shown is None:
            assert not printed.strip(), f"{where} prints this, which the page does not " \
                                        f"show:\n{printed}"
        else:
            assert matches(printed, shown), f"{where} printed:\n{printed}\nthe page shows:" \
                                            f"\n{shown}"


def test_the_matching_allows_only_what_it_says():
    assert matches("a\nb\n", "a\nb")
    assert matches("a\nx\ny\nb\n", "a\n...\nb")
    assert not matches("a\nc\n", "a\nb")
    assert not matches("a\nb\nc\n", "a\nb")


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
