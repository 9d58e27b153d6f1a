"""The examples in the actions docstrings and in docs/actions.md run, and print what the
page says they print."""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import pkgutil
import re
from pathlib import Path

import pytest

import tenure.actions
import tenure.datasets

PAGE = Path(__file__).parents[2] / "docs" / "actions.md"
MODULES = [tenure.actions.__name__, tenure.datasets.__name__] + [
    f"{tenure.actions.__name__}.{m.name}" for m in pkgutil.iter_modules(tenure.actions.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def examples(text: str) -> list[tuple[str, str | None]]:
    """Each python block with the text block right after it, if there is one."""
    pattern = re.compile(r"```python\n(.*?)```\s*(?:```text\n(.*?)```)?", flags=re.S)
    return [(m.group(1), m.group(2)) for m in pattern.finditer(text)]


@pytest.mark.slow
def test_the_page_prints_its_figures():
    namespace: dict = {"__name__": "__docs__"}
    blocks = examples(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 6 and all(shown is not None for _, shown in blocks)
    for code, shown in blocks:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(PAGE), "exec"), namespace)
        lines = [line.rstrip() for line in printed.getvalue().rstrip("\n").splitlines()]
        assert lines == [line.rstrip() for line in shown.rstrip("\n").splitlines()], code
