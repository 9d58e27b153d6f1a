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
