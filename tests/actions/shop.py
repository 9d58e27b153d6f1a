"""Tiny hand-made workspaces for the playbook, policy and ledger tests.

``make_shop(path, tables, actions=...)`` creates a workspace in Asia/Shanghai, writes the
``[actions]`` section (TOML text) into its ``tenure.toml`` and ingests the tables given as
lists of row dicts. ``only(name, **settings)`` is the TOML that enables one playbook with
no control groups, on SMS without an opt-in, so that a test sees exactly what the
playbook's rule selects.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import tomlkit

from tenure.actions.playbooks import PLAYBOOKS
from tenure.workspace import Workspace
from tenure.workspace._migrations import CHURN_SCORE_COLUMNS, VALUE_SCORE_COLUMNS
from tenure.workspace._scores import write_scores

ZONE = "Asia/Shanghai"


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return tomlkit.item(value).as_string()


def only(name: str, *, channels=("sms",), **settings: Any) -> str:
    """Every playbook off but ``name``, with no control groups, on ``channels`` (SMS needs
    no opt-in here), plus ``settings`` of the playbook."""
    lines = ["[actions]", "global_holdout = 0.0", "", "[actions.channels.sms]",
             "requires_opt_in = false", ""]
    for other in PLAYBOOKS:
        lines.append(f"[actions.playbooks.{other}]")
        if other != name:
            lines.append("enabled = false")
            continue
        lines += ["holdout = 0.0", f"channels = {toml_value(list(channels))}"]
        lines += [f"{key} = {toml_value(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def make_shop(path: Path, tables: dict[str, list[dict]], *, actions: str = "",
              extra: str = "") -> Workspace:
    ws = Workspace.init(path, timezone=ZONE)
    ws.close()
    config = path / "tenure.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + actions + "\n" + extra,
                      encoding="utf-8")
    ws = Workspace(path)
    for name in ("customers", "products", "orders", "order_lines", "tickets",
                 "ticket_status", "contacts", "consents", "memberships", "owners",
                 "service_events", "churn_reasons"):
        if tables.get(name):
            report = ws.ingest(name, pd.DataFrame(tables[name]))
            assert report.quarantined == 0, (name, ws.quarantine(name))
    return ws


def orders(*rows: tuple) -> tuple[list[dict], list[dict]]:
    """Orders and their lines from (customer, day, sku, quantity, price) rows, one order
    each: the order's amount is quantity x price."""
    made, lines = [], []
    for i, (customer, day, sku, quantity, price) in enumerate(rows, start=1):
        made.append({"order_id": f"O{i}", "customer_id": customer,
                     "ordered_at": pd.Timestamp(day) + pd.Timedelta(hours=10),
                     "amount": quantity * price})
        if sku is not None:
            lines.append({"order_id": f"O{i}", "line_no": 1, "sku": sku, "quantity": quantity,
                          "unit_price": price})
    return made, lines


def write_test_scores(ws: Workspace, as_of: dt.date, rows: list[dict]) -> None:
    """Scores on ``as_of``: each row gives customer_id and any of the value and churn
    columns."""
    frame = pd.DataFrame(rows)
    columns = {**VALUE_SCORE_COLUMNS, **CHURN_SCORE_COLUMNS}
    for name in columns:
        if name not in frame.columns:
            frame[name] = None
    with ws.transaction() as con:
        con.register("_test_scores", frame)
        try:
            for group in (VALUE_SCORE_COLUMNS, CHURN_SCORE_COLUMNS):
                if any(c in rows[0] for c in group):
                    write_scores(con, as_of, "SELECT * FROM _test_scores", group)
        finally:
            con.unregister("_test_scores")


def planned(result) -> dict[str, str]:
    """customer -> reason of each action of a plan."""
    return dict(zip(result.frame["customer_id"], result.frame["reason"], strict=True))
