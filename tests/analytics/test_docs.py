"""The runnable examples in the analytics docstrings stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tenure.analytics

MODULES = [tenure.analytics.__name__] + [
    f"{tenure.analytics.__name__}.{m.name}" for m in pkgutil.iter_modules(
        tenure.analytics.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_the_examples_in_docs_analytics_md_run(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "analytics.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)  # the examples write chart files
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/analytics.md", "exec"), namespace)
    assert (tmp_path / "cohorts.html").exists()
