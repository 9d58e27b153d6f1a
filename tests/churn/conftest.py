"""Churn fixtures: a tiny hand-made shop whose every feature can be checked by eye, and
workspaces holding the simulated business and CDNOW."""

from __future__ import annotations

import pandas as pd
import pytest

from tenure.churn import ChurnModel, snapshot
from tenure.contract import LOAD_ORDER
from tenure.datasets import load_cdnow
from tenure.simulate import simulate_business, write_business
from tenure.sla._demo import add_shop_section
from tenure.workspace import Workspace

T = pd.Timestamp


def _frame(rows: list[tuple], columns: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


# Every hour counts; a first reply is due in 45 minutes, a resolution in 20 hours.
TINY_SLA = """
[sla]
default_policy = "all"
default_priority = "P3"

[sla.calendars.always]
timezone = "Asia/Shanghai"
hours = { "mon-sun" = "00:00-24:00" }

[sla.policies.all]
calendar = "always"
clock = "calendar"
targets.P3 = { first_response = 45, resolution = "20h" }
"""


def tiny_tables() -> dict[str, pd.DataFrame]:
    """A shop seen on 2024-07-01. C1 is a regular, C2 bought once, C3 is long gone, C4 only
    arrives after the as-of date. Rows stamped on or after 2024-07-01 are the future."""
    return {
        "customers": _frame([
            ("C1", T("2024-01-01"), "smb", "search", None),
            ("C2", T("2024-05-01"), None, "referral", "C1"),
            ("C3", T("2023-12-01"), "consumer", "store", None),
            ("C4", T("2024-08-01"), "consumer", "referral", "C1"),
        ], "customer_id first_seen segment acquisition_channel referrer_id"),
        "products": _frame([
            ("MCH", "machine", 180, None, 2190),
            ("BEAN", "beans", None, 30, None),
            ("FLT", "filter", None, 60, None),
        ], "sku category maintenance_interval_days consumable_life_days lifespan_days"),
        "orders": _frame([
            ("O1", "C1", T("2024-01-01 10:00"), 100.0),
            ("O2", "C1", T("2024-03-01 10:00"), 50.0),
            ("O3", "C1", T("2024-06-01 10:00"), 150.0),
            ("O3R", "C1", T("2024-06-05 10:00"), -50.0),
            ("O4", "C1", T("2024-07-10 10:00"), 200.0),
            ("O5", "C2", T("2024-05-01 10:00"), 80.0),
            ("O6", "C3", T("2023-12-01 10:00"), 60.0),
            ("O7", "C4", T("2024-08-01 10:00"), 90.0),
            ("O8", "C4", T("2024-12-01 10:00"), 40.0),  # the data runs to December
        ], "order_id customer_id ordered_at amount"),
        "order_lines": _frame([
            ("O1", 1, "MCH", 1), ("O2", 1, "FLT", 1), ("O3", 1, "BEAN", 2),
            ("O4", 1, "MCH", 1), ("O5", 1, "BEAN", 1),
        ], "order_id line_no sku quantity"),
        "tickets": _frame([
            ("T1", "C1", T("2024-06-10 08:00"), T("2024-06-10 12:00"), T("2024-06-11 08:00"), 2),
            ("T2", "C1", T("2024-06-25 09:00"), None, T("2024-07-02 09:00"), 1),
            ("T3", "C1", T("2024-07-05 09:00"), None, None, None),
        ], "ticket_id customer_id opened_at first_response_at resolved_at csat"),
        "ticket_status": _frame([
            ("T2", "open", T("2024-06-25 09:00")),
            ("T2", "replied", T("2024-06-25 10:00")),
            ("T2", "resolved", T("2024-07-02 09:00")),
        ], "ticket_id status at"),
        "contacts": _frame([
            ("C1", "sms", T("2024-06-20 09:00"), "summer", "opened"),
            ("C1", "sms", T("2024-06-28 09:00"), "july", "clicked"),
            ("C1", "sms", T("2024-07-03 09:00"), "later", "purchased"),
            ("C2", "email", T("2024-06-20 09:00"), "summer", "delivered"),
        ], "customer_id channel sent_at campaign outcome"),
        "consents": _frame([
            ("C1", "sms", True, T("2024-01-01")),
            ("C1", "sms", False, T("2024-06-15")),
            ("C1", "email", True, T("2024-01-01")),
            ("C1", "wechat", True, T("2024-01-01")),
            ("C1", "wechat", False, T("2024-07-02")),
        ], "customer_id channel opted_in at"),
        "memberships": _frame([
            ("C1", "gold", T("2023-09-01"), T("2024-09-01")),
            ("C2", "silver", T("2023-01-01"), T("2024-01-01")),
        ], "customer_id tier started_at ended_at"),
        "owners": _frame([
            ("C1", "rep_a", T("2024-01-01"), T("2024-05-01")),
            ("C1", "rep_b", T("2024-05-01"), T("2024-07-05")),
            ("C1", "rep_c", T("2024-07-05"), None),
        ], "customer_id owner_id from_at to_at"),
    }


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Workspace:
    path = tmp_path_factory.mktemp("tiny") / "ws"
    Workspace.init(path, timezone="Asia/Shanghai").close()
    with open(path / "tenure.toml", "a", encoding="utf-8") as config:
        config.write(TINY_SLA)
    ws = Workspace(path)
    tables = tiny_tables()
    for name in LOAD_ORDER:
        if name in tables:
            report = ws.ingest(name, tables[name])
            assert report.quarantined == 0, (name, ws.quarantine(name))
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def sim_workspace(tmp_path_factory, small_business) -> Workspace:
    """The 2,000-customer simulated business (seed 11) in a workspace."""
    ws = Workspace.init(tmp_path_factory.mktemp("sim") / "ws", timezone="Asia/Shanghai")
    for name in LOAD_ORDER:
        ws.ingest(name, small_business / f"{name}.parquet")
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def fitted(sim_workspace):
    """A churn model fitted on the simulated business at two dates, and its snapshots."""
    training = [snapshot(sim_workspace, d, "120D") for d in ("2024-06-01", "2024-09-01")]
    return ChurnModel(seed=1).fit(training), training


@pytest.fixture(scope="session")
def later(sim_workspace):
    """The simulated business at a later date, to predict and explain."""
    return snapshot(sim_workspace, "2025-06-01", "120D")


@pytest.fixture(scope="session")
def cdnow_workspace(tmp_path_factory) -> Workspace:
    """Every CDNOW customer (23,570) in a workspace."""
    ws = Workspace.init(tmp_path_factory.mktemp("cdnow") / "ws")
    ws.ingest("orders", load_cdnow(kind="master"))
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def sim20k(tmp_path_factory):
    """20,000 simulated customers (seed 5) with their latent truth."""
    folder = tmp_path_factory.mktemp("sim20k")
    business = simulate_business(20_000, seed=5)
    write_business(business, folder / "data")
    Workspace.init(folder / "ws", timezone="Asia/Shanghai").close()
    add_shop_section(folder / "ws")  # the demo shop's SLA clocks: breaches are features
    ws = Workspace(folder / "ws")
    for name in LOAD_ORDER:
        ws.ingest(name, folder / "data" / f"{name}.parquet")
    yield ws, business.latent
    ws.close()
