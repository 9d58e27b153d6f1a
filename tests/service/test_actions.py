"""The actions in the service: the day's list per owner, one outcome recorded by a click or
a POST and seen stored (in the list, the profile and the audit log), an owner's token kept
to that owner's actions, and the actions in the report with contacts masked."""

from __future__ import annotations

import re

import pytest
from service_helpers import bearer

MASKED = re.compile(r"^\d{3}\*{4}\d{4}$")


@pytest.fixture(scope="module")
def planned(client, shop):
    """Two actions of the shop's plan as the outcomes name them (the list's ``keys``), with
    their owners: one of the owner's customers, one of another owner's."""
    listed = client.get("/api/v1/actions/list", headers=bearer(shop.tokens["operator"])
                        ).json()
    owners = {r["customer_id"]: r["owner_id"] for r in listed["frame"]}
    keys = listed["tables"]["keys"]
    assert [k["customer_id"] for k in keys] == [r["customer_id"] for r in listed["frame"]]
    mine = next(k for k in keys if owners[k["customer_id"]] == shop.owner)
    other = next(k for k in keys if owners[k["customer_id"]] not in (None, shop.owner))
    return mine, other


def test_the_action_list_is_an_operators_and_an_owner_sees_only_their_own(client, shop,
                                                                          planned):
    route = "/api/v1/actions/list"
    assert client.get(route).status_code == 401
    assert client.get(route, headers=bearer(shop.tokens["viewer"])).status_code == 403
    own = client.get(route, headers=bearer(shop.tokens["owner"])).json()["frame"]
    assert own and {r["owner_id"] for r in own} == {shop.owner}
    # Planning the day is an admin's job, not an operator's.
    assert client.post("/api/v1/actions/plan", json={},
                       headers=bearer(shop.tokens["operator"])).status_code == 403


def test_an_outcome_posted_is_stored_once_and_audited(client, shop, planned):
    mine, _ = planned
    action = dict(mine)
    route = "/api/v1/actions/outcomes"
    row = {**action, "event": "replied", "at": "2026-01-02 10:00", "channel": "wechat"}
    assert client.post(route, json=[row]).status_code == 401
    refused = client.post(route, json=[row], headers=bearer(shop.tokens["viewer"]))
    assert refused.status_code == 403
    assert "the token has the viewer role" in refused.json()["error"]
    done = client.post(route, json=[row], headers=bearer(shop.tokens["owner"]))
    assert done.status_code == 200, done.text
    assert done.json()["headline"]["landed"] == 1
    again = client.post(route, json={"rows": [row]}, headers=bearer(shop.tokens["owner"]))
    assert again.json()["headline"]["unchanged"] == 1  # the same outcome twice: no change
    listed = client.get("/api/v1/actions/list", params={"owner": shop.owner},
                        headers=bearer(shop.tokens["operator"])).json()["frame"]
    assert next(r for r in listed if r["customer_id"] == mine["customer_id"]
                )["status"] == "replied"
    profile = client.get(f"/api/v1/customers/{mine['customer_id']}",
                         headers=bearer(shop.tokens["operator"])).json()
    actions = profile["tables"]["actions"]
    assert [(a["playbook"], a["status"], a["outcomes"]) for a in actions] == [
        (action["playbook"], "replied", "replied")]
    log = client.get("/api/v1/audit/log", params={"action": "outcome"},
                     headers=bearer(shop.tokens["admin"])).json()["frame"]
    assert any(r["actor"] == shop.tokens["owner"].split("_")[1] and r["outcome"] == "ok"
               for r in log)
    bad = client.post(route, json=[{**row, "event": "maybe"}],
                      headers=bearer(shop.tokens["operator"]))
    assert bad.status_code == 200 and bad.json()["headline"]["quarantined"] == 1
    nested = client.post(route, json=[{**row, "event": ["sent"]}],
                         headers=bearer(shop.tokens["operator"]))
    assert nested.status_code == 422 and "row 1, column 'event'" in nested.json()["error"]
    missing = client.post(route, json=[row, {k: v for k, v in row.items() if k != "event"}],
                          headers=bearer(shop.tokens["operator"]))
    assert missing.status_code == 422 and "row 2, column 'event'" in missing.json()["error"]
    # The answer names the batch, not the file the server kept it in.
    assert str(shop.path) not in done.text and "uploads" not in done.text
    assert done.json()["lines"][0].startswith("batch-outcomes-") and \
        "1 row read, 1 outcome landed" in done.json()["lines"][0]


def test_an_owner_cannot_touch_another_owners_actions(client, shop, planned):
    _, other = planned
    token = bearer(shop.tokens["owner"])
    row = {**other, "event": "sent"}
    theirs = client.post("/api/v1/actions/outcomes", json=[row], headers=token)
    nobody = client.post("/api/v1/actions/outcomes",
                         json=[{**row, "customer_id": "C9999999"}], headers=token)
    # Another owner's customer is answered as one that does not exist.
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json()["error"].replace(other["customer_id"], "X") == \
        nobody.json()["error"].replace("C9999999", "X")
    explained = client.get("/api/v1/actions/explain",
                           params={"customer_id": other["customer_id"]}, headers=token)
    assert explained.status_code == 404


def test_an_outcome_is_recorded_with_one_click_on_the_action_page(client, shop, planned):
    mine, _ = planned
    client.cookies.update({"tenure_session": shop.tokens["owner"]})
    try:
        page = client.get("/actions", params={"lang": "zh"})
        assert page.status_code == 200 and "今日行动" in page.text
        assert re.search(r"<label>\s*日期", page.text)  # the filters' labels in Chinese too
        forms = re.findall(r'<form method="post" action="/actions/outcome".*?</form>',
                           page.text, re.S)
        assert forms and all('value="sent"' in f and 'value="refused"' in f for f in forms)
        form = next(f for f in forms if f'value="{mine["customer_id"]}"' in f)
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
        clicked = client.post("/actions/outcome", data={**fields, "event": "refused"},
                              follow_redirects=False)
        assert clicked.status_code == 303 and clicked.headers["location"].startswith(
            "/actions")
        shown = client.get("/actions", params={"lang": "en"}).text
        row = next(r for r in re.findall(r"<tr>.*?</tr>", shown, re.S)
                   if mine["customer_id"] in r)
        assert "refused" in row  # refused outranks the reply recorded before
        viewer = client.get("/actions", cookies={"tenure_session": shop.tokens["viewer"]})
        assert viewer.status_code == 403
    finally:
        client.cookies.clear()


def test_the_report_shows_the_planned_actions_with_contacts_masked(shop, tmp_path):
    from tenure.report import write_report
    from tenure.workspace import Workspace

    with Workspace(shop.path) as ws:
        written = write_report(ws, tmp_path / "report.html", language="zh")
        planned = ws.connection.execute(
            "SELECT count(*) FROM action_log WHERE status NOT IN ('held_out', 'withdrawn')"
        ).fetchall()[0][0]
    sections = written.frame.set_index("section")
    assert {"Actions planned", "Lift of the actions"} <= set(sections.index)
    assert sections.loc["Actions planned", "problem"] is None
    text = written.path.read_text(encoding="utf-8")
    part = text.split("<h2>计划的行动</h2>")[1].split("</section>")[0]
    # The list in Chinese, as the dashboard's: its sentence counts every action planned.
    assert f"共有{planned}个动作" in part.replace(",", "")
    phones = re.findall(r"<td>(1\d{2}\S{4}\d{4})</td>", part)
    assert phones and all(MASKED.match(p) for p in phones)

