"""The API in process, generated over the registry: every route answers its role and
refuses the others, every option is checked with one sentence, a viewer sees contacts
masked, an owner's token sees only that owner's customers, and no bad input is a 500.

A capability added to the registry is covered here without a new test; only one whose
required options cannot be guessed adds a line to OPTIONS.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from service_helpers import HOSTILE_ID, bearer, wait_for

from tenure.capabilities import REGISTRY
from tenure.service._api import DEDICATED
from tenure.service._auth import required_role

ROLES = ("viewer", "operator", "admin")
# Options for the capabilities that cannot run on their defaults here.
OPTIONS = {
    "customers profile": {"customer_id": "C0000001"},
    "actions explain": {"customer_id": "C0000001"},
    "score": {"as_of": "2026-01-01", "model": "pnbd"},
    "churn train": {"horizon": "120D"},
    "sla clocks": {"limit": "20"},
    "analyze prepare": {"period": "month"},
}
READS = [c for c in REGISTRY.values() if not c.writes and c.name not in DEDICATED]
WRITES = [c for c in REGISTRY.values() if c.writes and c.name not in DEDICATED]
# Slow to compute on every run of the suite; their routes are checked all the same.
HEAVY = {"churn backtest", "churn survival"}
PHONE = re.compile(r"^1\d{10}$")
MASKED = re.compile(r"^\d{3}\*{4}\d{4}$")


def _below(role: str) -> str | None:
    index = ROLES.index(role)
    return ROLES[index - 1] if index else None


@pytest.mark.parametrize("capability", READS, ids=lambda c: c.name)
def test_every_read_route_answers_its_role_and_no_other(client, shop, capability):
    role = required_role(capability)
    route = f"/api/v1{capability.route}"
    params = OPTIONS.get(capability.name, {})
    assert client.get(route, params=params).status_code == 401
    assert client.get(route, params=params, headers=bearer("tnr_000000000000_" + "x" * 40)
                      ).status_code == 401
    lower = _below(role)
    if lower is not None:
        refused = client.get(route, params=params, headers=bearer(shop.tokens[lower]))
        assert refused.status_code == 403 and role in refused.json()["error"]
    if capability.name in HEAVY:
        return
    answer = client.get(route, params=params, headers=bearer(shop.tokens["admin"]))
    assert answer.status_code in (200, 409, 422), answer.text
    body = answer.json()
    if answer.status_code != 200:  # a capability that needs something first says what
        assert body["error"].count("\n") == 0 and len(body["error"]) > 20
        return
    assert body["kind"] == capability.result_type.__name__
    assert {"headline", "lines", "frame", "tables"} <= set(body)
    csv = client.get(f"{route}.csv", params=params, headers=bearer(shop.tokens["admin"]))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith("\ufeff".encode())  # a BOM: Excel reads the Chinese
    xlsx = client.get(f"{route}.xlsx", params=params, headers=bearer(shop.tokens["admin"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


@pytest.mark.parametrize("capability", READS + WRITES, ids=lambda c: c.name)
def test_every_option_is_checked_with_one_sentence(client, shop, capability):
    specs = [s for s in capability.option_specs() if s.name != "refresh"]
    method = client.post if capability.writes else client.get
    route = f"/api/v1{capability.route}"
    if capability.writes:  # options in a body are checked by name too
        refused = method(route, json={"no_such_option": 1},
                         headers=bearer(shop.tokens["admin"]))
        assert refused.status_code == 422
        assert "there is no option 'no_such_option'" in refused.json()["error"]
    for spec in specs:
        if spec.choices is None and spec.kind is str:
            continue
        if spec.kind is Path:  # a request may not name files on the server at all
            answer = method(route, json={spec.name: "/etc/passwd"},
                            headers=bearer(shop.tokens["admin"])) if capability.writes \
                else method(route, params={spec.name: "/etc/passwd"},
                            headers=bearer(shop.tokens["admin"]))
            assert answer.status_code == 422, answer.text
            assert "names a file on the server" in answer.json()["error"]
            continue
        bad = {**OPTIONS.get(capability.name, {}), spec.name: "<nonsense>"}
        answer = method(route, params=bad, headers=bearer(shop.tokens["admin"]))
        assert answer.status_code == 422, (spec.name, answer.text)
        message = answer.json()["error"]
        assert spec.name in message and "\n" not in message, message


@pytest.mark.slow
@pytest.mark.parametrize("capability", WRITES, ids=lambda c: c.name)
def test_every_write_is_an_admins_job_that_runs_and_is_audited(client, shop, capability):
    route = f"/api/v1{capability.route}"
    options = OPTIONS.get(capability.name, {})
    assert client.post(route, params=options).status_code == 401
    assert client.post(route, params=options,
                       headers=bearer(shop.tokens["operator"])).status_code == 403
    started = client.post(route, json=options, headers=bearer(shop.tokens["admin"]))
    assert started.status_code == 202, started.text
    job = wait_for(client, started.json()["job_id"], shop.tokens["admin"])
    assert job["status"] in ("done", "failed"), job
    if job["status"] == "failed":  # something it needs is missing: said in one sentence
        assert "\n" not in job["error"] and "Error:" not in job["error"], job["error"]
    else:
        assert job["result"]["kind"] == capability.result_type.__name__
    audit = client.get("/api/v1/audit/log", params={"action": f"job {capability.name}"},
                       headers=bearer(shop.tokens["admin"])).json()["frame"]
    outcomes = {row["outcome"] for row in audit if row["target"] == job["job_id"]}
    assert {"queued", job["status"]} <= outcomes
    assert all(row["client"] for row in audit if row["outcome"] == "queued")


def test_a_viewer_sees_contacts_masked_and_an_operator_in_full(client, shop):
    route = f"/api/v1/customers/{shop.own_customer}"
    seen = client.get(route, headers=bearer(shop.tokens["viewer"])).json()["card"]
    assert MASKED.match(seen["phone"]), seen["phone"]
    assert re.match(r"^\w\*\*\*@", seen["email"]) and seen["wechat_id"].count("*") == 3
    full = client.get(route, headers=bearer(shop.tokens["operator"])).json()["card"]
    assert PHONE.match(full["phone"]) and full["phone"][-4:] == seen["phone"][-4:]
    listed = client.get("/api/v1/customers/search", params={"query": "C00000"},
                        headers=bearer(shop.tokens["viewer"])).json()["frame"]
    assert listed and all(MASKED.match(row["phone"]) for row in listed if row["phone"])
    exported = client.get("/api/v1/customers/search.csv", params={"query": "C00000"},
                          headers=bearer(shop.tokens["viewer"])).text
    assert "****" in exported and not re.search(r",1\d{10},", exported)


def test_an_owners_token_sees_only_that_owners_customers(client, shop):
    token = bearer(shop.tokens["owner"])
    assert client.get(f"/api/v1/customers/{shop.own_customer}", headers=token
                      ).status_code == 200
    # Another owner's customer is as unknown as a customer that does not exist.
    other = client.get(f"/api/v1/customers/{shop.other_customer}", headers=token)
    missing = client.get("/api/v1/customers/C9999999", headers=token)
    assert other.status_code == missing.status_code == 404
    assert other.json()["error"].replace(shop.other_customer, "X") == \
        missing.json()["error"].replace("C9999999", "X")
    listed = client.get("/api/v1/customers/search", params={"limit": "200"}, headers=token)
    assert {row["owner_id"] for row in listed.json()["frame"]} == {shop.owner}
    asked_other = client.get("/api/v1/customers/at-risk", params={"owner": "someone_else"},
                             headers=token)
    assert asked_other.status_code == 403 and shop.owner in asked_other.json()["error"]
    # A viewer may not reach the operators' list at all.
    assert client.get("/api/v1/customers/at-risk", headers=bearer(shop.tokens["viewer"])
                      ).status_code == 403


def test_page_sizes_are_limited_by_the_setting(client, shop):
    answer = client.get("/api/v1/customers/search", params={"limit": "501"},
                        headers=bearer(shop.tokens["admin"]))
    assert answer.status_code == 422
    assert "service.max_page_size (500)" in answer.json()["error"]


def test_tokens_are_made_used_revoked_and_logged(client, shop):
    admin = bearer(shop.tokens["admin"])
    made = client.post("/api/v1/tokens", json={"role": "viewer", "label": "for Li"},
                       headers=admin)
    assert made.status_code == 201
    token = made.json()["headline"]["token"]
    assert client.get("/api/v1/status", headers=bearer(token)).status_code == 200
    listed = client.get("/api/v1/token/list", headers=admin).json()["frame"]
    assert all("secret" not in row and "token" not in row for row in listed)
    token_id = made.json()["headline"]["token_id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=admin).status_code == 200
    assert client.get("/api/v1/status", headers=bearer(token)).status_code == 401
    assert client.delete("/api/v1/tokens/000000000000", headers=admin).status_code == 404
    assert client.post("/api/v1/tokens", json={"role": "boss"}, headers=admin
                       ).status_code == 422
    assert client.post("/api/v1/tokens", json={"role": "viewer"},
                       headers=bearer(shop.tokens["operator"])).status_code == 403
    log = client.get("/api/v1/audit/log", headers=admin).json()["frame"]
    actions = [(row["action"], row["target"]) for row in log]
    assert ("token create", token_id) in actions and ("token revoke", token_id) in actions
    made_by = next(row for row in log if row["action"] == "token create"
                   and row["target"] == token_id)
    assert made_by["actor"] == shop.tokens["admin"].split("_")[1]
    assert made_by["client"] == "testclient" and made_by["at"]


def test_a_json_batch_lands_and_bad_batches_name_row_and_column(client, shop):
    admin = bearer(shop.tokens["admin"])
    route = "/api/v1/ingest/churn_reasons/rows"
    rows = [{"customer_id": "C0000002", "at": "2025-12-01 10:00", "code": "moved",
             "side": "customer", "note": "搬家了"}]
    landed = client.post(route, json={"rows": rows}, headers=admin)
    assert landed.status_code == 200, landed.text
    assert landed.json()["headline"]["read"] == 1
    again = client.post(route, json=rows, headers=admin).json()["headline"]
    assert again["unchanged"] == 1  # the same batch twice changes nothing
    broken = client.post(route, content=b'{"rows": [{"code": }]}', headers=admin)
    assert broken.status_code == 422
    assert "line 1, column 20" in broken.json()["error"]
    nested = client.post(route, json=[rows[0], {**rows[0], "note": {"a": 1}}], headers=admin)
    assert nested.status_code == 422
    assert "row 2, column 'note'" in nested.json()["error"]
    assert client.post(route, json=[1, 2], headers=admin).json()["error"].startswith(
        "the batch, row 1")
    assert client.post("/api/v1/ingest/nope/rows", json=rows, headers=admin
                       ).status_code == 404
    assert client.post(route, json=rows, headers=bearer(shop.tokens["operator"])
                       ).status_code == 403
    too_many = client.post(route, json=[rows[0]] * 10_001, headers=admin)
    assert too_many.status_code == 413 and "service.max_batch_rows" in too_many.json()["error"]


def test_an_uploaded_file_lands_and_its_bad_rows_are_quarantined(client, shop):
    admin = bearer(shop.tokens["admin"])
    text = ("order_id,customer_id,ordered_at,amount\n"
            "U-1,C0000003,2025-12-20 09:00,120.5\n"
            "U-2,C0000003,not a date,99\n")  # line 3: ordered_at cannot be read
    answer = client.post("/api/v1/ingest/orders", files={"file": ("more orders.csv",
                                                                  text.encode(), "text/csv")},
                         headers=admin)
    assert answer.status_code == 200, answer.text
    headline = answer.json()["headline"]
    assert headline["landed"] == 1 and headline["quarantined"] == 1
    held = client.get("/api/v1/quarantine", params={"table": "orders"}, headers=admin)
    rows = [r for r in held.json()["frame"] if r["source"].endswith("more_orders.csv")]
    # Rows are named by their line in the file, the header being line 1.
    assert [(r["row"], r["column_name"]) for r in rows] == [(3, "ordered_at")]
    empty = client.post("/api/v1/ingest/orders", files={"file": ("x.csv", b"", "text/csv")},
                        headers=admin)
    assert 400 <= empty.status_code < 500 and "\n" not in empty.json()["error"]


def test_jobs_can_be_listed_polled_and_cancelled(client, shop):
    admin = bearer(shop.tokens["admin"])
    assert client.get("/api/v1/jobs", headers=bearer(shop.tokens["operator"])
                      ).status_code == 403
    assert client.get("/api/v1/jobs/nope", headers=admin).status_code == 404
    first = client.post("/api/v1/fit", json={"model": "bgnbd"}, headers=admin).json()
    second = client.post("/api/v1/fit", json={"model": "bgnbd", "unit": "D"},
                         headers=admin).json()
    cancelled = client.delete(f"/api/v1/jobs/{second['job_id']}", headers=admin).json()
    done = wait_for(client, first["job_id"], shop.tokens["admin"])
    assert done["status"] == "done"
    assert wait_for(client, second["job_id"], shop.tokens["admin"])["status"] == "cancelled"
    assert cancelled["job_id"] == second["job_id"]
    listed = [job["job_id"] for job in client.get("/api/v1/jobs", headers=admin).json()]
    assert {first["job_id"], second["job_id"]} <= set(listed)


def test_pages_escape_markup_held_in_the_data(client, shop):
    cookies = {"tenure_session": shop.tokens["operator"]}
    client.cookies.update(cookies)
    try:
        found = client.get("/customers", params={"query": "<script>"})
        assert found.status_code == 200
        assert "&lt;script&gt;alert(" in found.text
        assert "<script>alert(" not in found.text and "<img src=x" not in found.text
        page = client.get(f"/customers/{HOSTILE_ID}")
        assert page.status_code == 200 and "&lt;img src=x onerror" in page.text
        assert "<img src=x" not in page.text and "<script>alert(" not in page.text
    finally:
        client.cookies.clear()


def test_errors_are_one_sentence_and_never_a_500(client, shop):
    admin = bearer(shop.tokens["admin"])
    for route, params in [("/api/v1/analyze/cohorts", {"period": "fortnight"}),
                          ("/api/v1/analyze/cohorts", {"start": "yesterday"}),
                          ("/api/v1/customers/search", {"limit": "-1"}),
                          ("/api/v1/customers/search", {"limit": "ten"}),
                          ("/api/v1/customers/profile", {}),
                          ("/api/v1/sla/clocks", {"breached": "perhaps"})]:
        answer = client.get(route, params=params, headers=admin)
        assert answer.status_code == 422, (route, answer.text)
        assert "\n" not in answer.json()["error"]
    assert client.get("/api/v1/nowhere", headers=admin).status_code == 404
    assert client.post("/api/v1/fit", content=b"[1, 2]", headers=admin).status_code == 422


def test_the_openapi_document_needs_a_token_and_nothing_loads_from_the_internet(client, shop):
    assert client.get("/openapi.json").status_code == 401
    document = client.get("/openapi.json", headers=bearer(shop.tokens["viewer"]))
    assert document.status_code == 200
    assert "/api/v1/actions/outcomes" in document.json()["paths"]
    # The outcomes' body is described: a list of rows (or {"rows": [...]}) naming the action.
    body = document.json()["paths"]["/api/v1/actions/outcomes"]["post"]["requestBody"]
    forms = body["content"]["application/json"]["schema"]["anyOf"]
    row = forms[0]["items"]
    assert forms[0]["type"] == "array" and forms[1]["properties"]["rows"]["items"] == row
    assert set(row["required"]) == {"customer_id", "playbook", "plan_date", "event"}
    assert {"at", "channel"} <= set(row["properties"]) and "$ref" not in str(body)
    # FastAPI's own /docs and /redoc pages fetch their scripts from a CDN: not served.
    for page in ("/docs", "/redoc"):
        assert client.get(page, headers=bearer(shop.tokens["viewer"])).status_code == 404


def test_answers_name_uploaded_files_without_the_servers_folders(client, shop):
    admin = bearer(shop.tokens["admin"])
    folder = str(shop.path)
    text = "order_id,customer_id,ordered_at,amount\nP-1,C0000004,2025-12-21 09:00,12\n"
    landed = client.post("/api/v1/ingest/orders", files={"file": ("p.csv", text.encode(),
                                                                  "text/csv")}, headers=admin)
    assert landed.status_code == 200 and landed.json()["headline"]["source"] == "p.csv"
    assert folder not in landed.text and "uploads" not in landed.text
    broken = client.post("/api/v1/ingest/orders", files={"file": ("q.csv", b"a,b\n1,2\n",
                                                                  "text/csv")}, headers=admin)
    assert broken.status_code == 422 and "q.csv" in broken.json()["error"]
    assert folder not in broken.text
    batch = client.post("/api/v1/ingest/churn_reasons/rows", headers=admin, json=[
        {"customer_id": "C0000004", "at": "2025-12-02 10:00", "code": "price"}])
    assert batch.status_code == 200 and folder not in batch.text
    for route in ("/api/v1/quarantine", "/api/v1/status", "/api/v1/audit/log",
                  "/api/v1/jobs"):
        answer = client.get(route, headers=admin)
        assert answer.status_code == 200 and folder not in answer.text, route


def test_kept_figures_are_forgotten_when_an_ingest_or_an_outcome_changes_the_data(client,
                                                                               shop):
    admin = bearer(shop.tokens["admin"])
    route = "/api/v1/customers/overview"
    _wait_for_jobs(client, shop)  # those of the tests before: each ends by forgetting
    before = client.get(route, headers=admin).json()
    state = client.app.state.tenure
    kept = state.run_read(REGISTRY["customers overview"],
                          REGISTRY["customers overview"].parse({}))
    assert state.run_read(REGISTRY["customers overview"],
                          REGISTRY["customers overview"].parse({})) is kept  # kept
    # A new customer's first order on the last day of the data: one more new customer in
    # the last period, once the stored tables are rebuilt after the ingest.
    last = before["frame"][-1]
    day = client.get("/api/v1/analyze/growth", headers=admin).json()["headline"]["as_of"]
    landed = client.post("/api/v1/ingest/orders/rows", headers=admin, json=[
        {"order_id": "KEPT-1", "customer_id": "C-KEPT-1", "ordered_at": f"{day} 09:00",
         "amount": 50}])
    assert landed.status_code == 200 and landed.json()["headline"]["landed"] == 1
    _wait_for_jobs(client, shop)
    after = client.get(route, headers=admin).json()
    assert after["frame"][-1]["period"] == last["period"]
    assert after["frame"][-1]["new"] == last["new"] + 1
    # An outcome recorded is a write too: nothing computed before it is served after it.
    kept = state.run_read(REGISTRY["customers overview"],
                          REGISTRY["customers overview"].parse({}))
    client.post("/api/v1/actions/outcomes", headers=bearer(shop.tokens["operator"]),
                json=[{"customer_id": "C-KEPT-1", "playbook": "win_back",
                       "plan_date": "2026-01-01", "event": "sent"}])
    assert state.run_read(REGISTRY["customers overview"],
                          REGISTRY["customers overview"].parse({})) is not kept


def _wait_for_jobs(client, shop) -> None:
    for job in client.get("/api/v1/jobs", headers=bearer(shop.tokens["admin"])).json():
        wait_for(client, job["job_id"], shop.tokens["admin"])


def test_a_result_asked_for_by_many_at_once_is_computed_once(client):
    import threading
    import time

    state = client.app.state.tenure
    computed = []

    def compute():
        computed.append(1)
        time.sleep(0.3)  # long enough for every other request to arrive meanwhile
        return object()

    key = ("asked at once", state.generation)
    got = []
    threads = [threading.Thread(target=lambda: got.append(state._once(key, compute)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(computed) == 1 and len(got) == 8 and all(g is got[0] for g in got)
