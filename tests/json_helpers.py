"""Comparing results written as JSON."""

from __future__ import annotations

import json

import pytest


def assert_same_json(left, right, rel: float = 1e-9, where: str = "") -> None:
    """Two JSON values equal, numbers to ``rel`` (the engine may add a float sum in another
    order from one run to the next, which changes its last bits)."""
    if isinstance(left, dict) and isinstance(right, dict):
        assert left.keys() == right.keys(), where
        for key in left:
            assert_same_json(left[key], right[key], rel, f"{where}.{key}")
    elif isinstance(left, list) and isinstance(right, list):
        assert len(left) == len(right), where
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_same_json(a, b, rel, f"{where}[{i}]")
    elif isinstance(left, float) or isinstance(right, float):
        assert left == pytest.approx(right, rel=rel, abs=1e-12), where
    else:
        assert left == right, where


def named_datasets_in_order(spec: dict) -> dict:
    """A Vega-Lite spec with its datasets renamed data-0, data-1... in order of use: Altair
    names a dataset by a hash of its rows, which the last bit of one number changes."""
    text = json.dumps(spec)
    names = {name: f"data-{i}" for i, name in enumerate(spec.get("datasets", {}))}
    for old, new in names.items():
        text = text.replace(json.dumps(old), json.dumps(new))
    return json.loads(text)
