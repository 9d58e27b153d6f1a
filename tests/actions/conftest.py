"""Shared data for the actions tests: the Hillstrom experiment, loaded once."""

from __future__ import annotations

import pytest

from tenure.datasets import load_hillstrom

FEATURES = ["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]


@pytest.fixture(scope="session")
def hillstrom():
    return load_hillstrom()
