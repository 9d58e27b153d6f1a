"""The command line's side of the service: tokens made, listed and revoked; a served
workspace named to anyone else who opens it; the report written; serve's address."""

from __future__ import annotations

import json
import subprocess

import pytest
from typer.testing import CliRunner

import tenure
from tenure.cli import app
from tenure.service._serve import is_loopback
from tenure.workspace._serving import SERVE_FILE, claim, release, server_of

runner = CliRunner()


@pytest.fixture
def cdnow(tmp_path):
    path = tmp_path / "cdnow"
    with tenure.Workspace.init(path) as ws:
        ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
    return path


def _run(*argv: str):
    return runner.invoke(app, [*argv], env={"TENURE_WORKSPACE": "", "COLUMNS": "200"})


def test_tokens_are_made_once_listed_without_secrets_and_revoked(cdnow):
    made = _run("token", "create", "--role", "operator", "--owner", "rep_07", "--json", "-",
                "-w", str(cdnow))
    assert made.exit_code == 0, made.output
    body = json.loads(made.stdout)
    token, token_id = body["headline"]["token"], body["headline"]["token_id"]
    assert token.startswith(f"tnr_{token_id}_") and len(token) > 50
    listed = _run("token", "list", "--json", "-", "-w", str(cdnow))
    rows = json.loads(listed.stdout)["frame"]
    assert [(r["token_id"], r["role"], r["owner_id"]) for r in rows] == [
        (token_id, "operator", "rep_07")]
    assert token.split("_", 2)[2] not in listed.stdout
    with tenure.Workspace(cdnow) as ws:  # stored as a hash only
        stored = ws.connection.execute("SELECT secret_hash FROM api_tokens").fetchall()
        assert token.split("_", 2)[2] not in str(stored)
    assert _run("token", "revoke", "--token-id", token_id, "-w", str(cdnow)).exit_code == 0
    again = _run("token", "revoke", "--token-id", token_id, "-w", str(cdnow))
    assert "already revoked" in again.stdout
    wrong = _run("token", "create", "--role", "boss", "-w", str(cdnow))
    assert wrong.exit_code == 2 and "viewer, operator or admin" in wrong.output
    log = _run("audit", "log", "--json", "-", "-w", str(cdnow))
    actions = [row["action"] for row in json.loads(log.stdout)["frame"]]
    assert actions.count("token revoke") == 2 and "token create" in actions


def test_a_served_workspace_names_its_server_to_other_processes(cdnow):
    other = subprocess.Popen(["sleep", "60"])
    try:
        (cdnow / SERVE_FILE).write_text(json.dumps({
            "pid": other.pid, "url": "http://127.0.0.1:8765", "started": "2026-01-01T09:00"}))
        refused = _run("status", "-w", str(cdnow))
        assert refused.exit_code == 2
        line = refused.output.strip()
        assert "\n" not in line and f"`tenure serve` (process {other.pid}" in line
        assert "only writer" in line
    finally:
        other.kill()
        other.wait()
    # The process is gone: its file is stale and no longer stands in the way.
    assert server_of(cdnow) is None
    assert _run("status", "-w", str(cdnow)).exit_code == 0


def test_this_process_claims_and_releases_a_workspace(cdnow):
    server = claim(cdnow, "http://127.0.0.1:9999")
    assert server_of(cdnow) == server
    with tenure.Workspace(cdnow) as ws:  # the server's own process opens it freely
        assert ws.status().headline["rows"] == 6919
    release(cdnow)
    assert not (cdnow / SERVE_FILE).exists()


def test_the_report_is_written_and_its_name_checked(cdnow, tmp_path):
    out = tmp_path / "report.html"
    done = _run("report", "--out", str(out), "--lang", "zh", "-w", str(cdnow))
    assert done.exit_code == 0, done.output
    text = out.read_text(encoding="utf-8")
    assert "客户留存报告" in text and "vegaEmbed" in text
    assert "<h2>计划的行动</h2>" not in text  # nothing planned here: no actions shown
    assert "src=\"http" not in text and "href=\"http" not in text
    bad = _run("report", "--out", str(tmp_path / "report.pdf"), "-w", str(cdnow))
    assert bad.exit_code == 2 and "ending in .html" in bad.output
    lang = _run("report", "--lang", "fr", "-w", str(cdnow))
    assert lang.exit_code == 2 and "use zh or en" in lang.output


def test_serve_listens_on_this_machine_unless_told(cdnow):
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    refused = _run("serve", "--port", "0", "-w", str(cdnow))
    assert refused.exit_code == 2 and "port 0 is not a port" in refused.output
