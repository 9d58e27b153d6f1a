"""What the service tests share: a served shop (a simulated business with every table,
scores, a churn model and SLA clocks, its stored tables built, a day's actions planned, a
token of each kind) and the requests they make."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tenure.capabilities import REGISTRY
from tenure.churn import ChurnModel, model_path, train
from tenure.simulate import simulate_business, write_business
from tenure.sla._demo import add_shop_section
from tenure.workspace import Workspace
from tenure.workspace._access import create_token

# Customers whose names and ids carry markup, to show that no page runs what data holds.
HOSTILE_ID = "<script>alert('id')"
HOSTILE_NAME = "<img src=x onerror=alert(1)><script>alert('name')</script>"


@dataclass(frozen=True)
class Shop:
    path: Path
    data: Path
    tokens: dict[str, str]  # admin, operator, owner (an operator limited to OWNER), viewer
    owner: str
    own_customer: str       # a customer OWNER looks after
    other_customer: str     # one another owner looks after


def build_shop(root: Path, customers: int = 400, *, models: bool = True) -> Shop:
    data = root / "data"
    business = simulate_business(customers, seed=21)
    write_business(business, data)
    path = root / "shop"
    with Workspace.init(path, timezone="Asia/Shanghai") as ws:
        for name in business.tables:
            ws.ingest(name, data / f"{name}.parquet")
    add_shop_section(path)
    with Workspace(path) as ws:
        con = ws.connection
        con.execute("INSERT INTO customers (customer_id, name, phone, _ingest_id) VALUES "
                    "($id, $name, '13812345678', 0)", {"id": HOSTILE_ID, "name": HOSTILE_NAME})
        con.execute("INSERT INTO orders (order_id, customer_id, ordered_at, amount, "
                    "_ingest_id) VALUES ('O-hostile', $id, TIMESTAMP '2025-11-02 10:00', 88, 0)",
                    {"id": HOSTILE_ID})
        if models:
            REGISTRY["score"](ws, {"as_of": "2026-01-01", "model": "pnbd"})
            REGISTRY["fit"](ws, {"model": "pnbd", "calibration_end": "2025-06-30"})
            # A small churn model: the service shows what was trained, whatever its size.
            model = train(ws, horizon="120D", model=ChurnModel(n_estimators=30, threads=1))
            model.save(model_path(ws))
            REGISTRY["churn score"](ws, {})
        REGISTRY["sla evaluate"](ws, {})
        REGISTRY["analyze prepare"](ws, {})
        REGISTRY["customers prepare"](ws, {})
        REGISTRY["actions plan"](ws, {})  # the day after the last order
        tokens = {role: create_token(con, role, actor="test").token
                  for role in ("admin", "operator", "viewer")}
        owner, own, other = con.execute("""
            SELECT a.owner_id, a.customer_id, b.customer_id
            FROM analytics_customer_cards a JOIN analytics_customer_cards b
              ON a.owner_id <> b.owner_id
            WHERE a.owner_id IS NOT NULL AND b.owner_id IS NOT NULL
            ORDER BY a.customer_id, b.customer_id LIMIT 1""").fetchall()[0]
        tokens["owner"] = create_token(con, "operator", owner_id=owner, actor="test").token
    return Shop(path, data, tokens, owner, own, other)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_for(client, job_id: str, token: str, seconds: float = 180.0) -> dict:
    """The job once it stopped running."""
    deadline = time.monotonic() + seconds
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=bearer(token)).json()
        if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)
