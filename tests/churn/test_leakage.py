"""No feature reads the future: rewriting everything stamped on or after the as-of date
leaves every feature of every customer unchanged (while the labels do change)."""

from __future__ import annotations

import pandas as pd
import pytest

from tenure.churn import churn_definition, features, snapshot
from tenure.contract import LOAD_ORDER
from tenure.sla._demo import add_shop_section
from tenure.workspace import Workspace

AS_OF = "2025-01-01"

# Each statement rewrites only what was recorded on or after the as-of date: who, what, how
# much and when (moved later, never earlier), plus later outcomes of earlier rows.
REWRITE_THE_FUTURE = [
    # Orders and their lines go to other customers, for other amounts and products, later.
    """UPDATE orders SET customer_id = 'C' || lpad(CAST(1 + (hash(order_id) % 2000) AS VARCHAR),
           7, '0'), amount = amount * 3 + 1, ordered_at = ordered_at + INTERVAL 5 DAY
       WHERE ordered_at >= DATE '2025-01-01'""",
    """INSERT INTO orders (order_id, customer_id, ordered_at, amount, currency)
       SELECT 'NEW' || customer_id, customer_id, TIMESTAMP '2025-01-01 00:00:00', 999, 'CNY'
       FROM customers""",
    """UPDATE order_lines SET sku = 'MCH-001', quantity = 5 WHERE order_id IN
       (SELECT order_id FROM orders WHERE ordered_at >= DATE '2025-01-01')""",
    # Tickets: later ones move; earlier ones get other later replies, resolutions and scores.
    """UPDATE tickets SET customer_id = 'C0000001', csat = 1
       WHERE opened_at >= DATE '2025-01-01'""",
    """UPDATE tickets SET csat = 1, resolved_at = resolved_at + INTERVAL 2 DAY
       WHERE opened_at < DATE '2025-01-01' AND resolved_at >= DATE '2025-01-01'""",
    """UPDATE tickets SET first_response_at = first_response_at + INTERVAL 3 DAY
       WHERE first_response_at >= DATE '2025-01-01'""",
    """UPDATE ticket_status SET status = 'replied', "at" = "at" + INTERVAL 1 DAY
       WHERE "at" >= DATE '2025-01-01'""",
    # Contacts: later ones move; outcomes of contacts under a week old change.
    """UPDATE contacts SET customer_id = 'C0000002', outcome = 'purchased'
       WHERE sent_at >= DATE '2025-01-01'""",
    """UPDATE contacts SET outcome = 'replied' WHERE sent_at >= DATE '2024-12-25'""",
    """UPDATE consents SET opted_in = NOT opted_in WHERE "at" >= DATE '2025-01-01'""",
    # Memberships, owners and referrals: later starts and ends change.
    """UPDATE memberships SET tier = 'platinum' WHERE started_at >= DATE '2025-01-01'""",
    """UPDATE memberships SET ended_at = NULL WHERE ended_at >= DATE '2025-01-01'""",
    """UPDATE owners SET owner_id = 'rep_new', from_at = from_at + INTERVAL 1 DAY
       WHERE from_at >= DATE '2025-01-01'""",
    """UPDATE owners SET to_at = NULL WHERE to_at >= DATE '2025-01-01'""",
    """UPDATE customers SET referrer_id = 'C0000003'
       WHERE first_seen >= DATE '2025-01-01'""",
]


@pytest.fixture
def sim(tmp_path, small_business):
    Workspace.init(tmp_path / "ws", timezone="Asia/Shanghai").close()
    add_shop_section(tmp_path / "ws")  # SLA clocks, so that breaches are features too
    ws = Workspace(tmp_path / "ws")
    for name in LOAD_ORDER:
        ws.ingest(name, small_business / f"{name}.parquet")
    yield ws
    ws.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["non_contractual", "contractual"])
def test_rewriting_the_future_changes_no_feature(sim, kind):
    definition = churn_definition(sim, kind=kind, horizon="120D")
    before = snapshot(sim, AS_OF, definition=definition)
    scored_before = features(sim, AS_OF, definition).frame
    with sim.transaction() as con:
        for statement in REWRITE_THE_FUTURE:
            con.execute(statement)
    after = snapshot(sim, AS_OF, definition=definition)
    columns = ["customer_id", *before.feature_names]
    assert len(before) > 100
    pd.testing.assert_frame_equal(before.frame[columns], after.frame[columns])
    pd.testing.assert_frame_equal(scored_before, features(sim, AS_OF, definition).frame)
    # The rewrite did reach the labels, so the features had the chance to move.
    assert (before.frame["churned"] != after.frame["churned"]).any()
