"""Helpers for the analytics tests: tiny order tables written by hand."""

from __future__ import annotations

import pandas as pd
import pytest


def make_orders(*rows: tuple) -> pd.DataFrame:
    """Orders from (customer_id, "YYYY-MM-DD[ HH:MM]", amount) rows, numbered O1, O2, ..."""
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"], format="ISO8601")
    frame.insert(0, "order_id", [f"O{i}" for i in range(1, len(frame) + 1)])
    return frame


@pytest.fixture
def orders():
    return make_orders
