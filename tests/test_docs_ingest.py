"""The ingest and troubleshooting pages print what they show: each Python block runs in order
in one session, and the ``text`` block after it is what it printed (``...`` stands for a
part that changes, such as today's date)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def _blocks(page: Path) -> list[tuple[str, str | None]]:
    """Each Python block of ``page`` with the text block right after it, if any."""
    found = [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(
        page.read_text(encoding="utf-8"))]
    pairs = []
    for i, (kind, body, _, end) in enumerate(found):
        if kind != "python":
            continue
        shown = None
        if i + 1 < len(found) and found[i + 1][0] == "text":
            between = page.read_text(encoding="utf-8")[end:found[i + 1][2]]
            if not between.strip():
                shown = found[i + 1][1]
        pairs.append((body, shown))
    return pairs


def _matches(printed: str, shown: str) -> bool:
    got = [line.rstrip() for line in printed.rstrip("\n").split("\n")]
    want = [line.rstrip() for line in shown.rstrip("\n").split("\n")]
    return len(got) == len(want) and all(
        re.fullmatch(".*".join(re.escape(part) for part in w.split("...")), g)
        for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize("name", ["ingest.md", "troubleshooting.md"])
def test_the_page_prints_what_it_shows(name, tmp_path, monkeypatch):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    namespace: dict = {"__name__": "__docs__"}
    blocks = _blocks(ROOT / "docs" / name)
    assert sum(shown is not None for _, shown in blocks) >= 3
    for body, shown in blocks:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(body, name, "exec"), namespace)
        if shown is not None:
            assert _matches(printed.getvalue(), shown), (
                f"{name} shows:\n{shown}\nbut the block printed:\n{printed.getvalue()}")
