"""`tenure demo` prints the analytics headlines and writes charts that open offline."""

from __future__ import annotations

import json
import re

import pytest

from tenure.analytics import cohort_retention, net_growth
from tenure.demo import build_demo
from tenure.workspace import Workspace


@pytest.mark.slow
def test_the_demo_shows_every_analysis_and_the_truth_check(tmp_path):
    result = build_demo(tmp_path / "demo", customers=2_000)
    text = "\n".join(result.headlines)
    for title in ("cohorts", "lifecycle", "growth", "rfm", "loyalty", "funnel", "referrals",
                  "handover", "churn reasons"):
        assert f"Shop, {title}:" in text
    assert "CDNOW, cohorts:" in text
    # The sentences are the library's own, on the demo's workspaces.
    with Workspace(tmp_path / "demo" / "shop") as ws:
        growth = net_growth(ws, period="quarter")
    assert all(line in text for line in growth.lines())
    with Workspace(tmp_path / "demo" / "cdnow") as ws:
        cohorts = cohort_retention(ws, period="quarter")
    assert cohorts.headline["customers"] == 23_570  # every CDNOW customer joined in 1997 Q1
    assert all(line in text for line in cohorts.lines())
    # The lifecycle beats the naive rule that everyone is still a customer.
    found = re.findall(r"states agree for ([\d.]+)% of [\d,]+ customers \('everyone alive' "
                       r"would: ([\d.]+)%\)", text)
    assert len(found) == 2 and all(float(ours) > float(naive) for ours, naive in found)
    # Ten charts (nine analyses and CDNOW's cohorts), each opening with no network: the
    # Vega libraries are inlined and the data is in the page.
    assert [p.name for p in result.charts][-1] == "cdnow-cohorts.html"
    assert len(result.charts) == 10
    page = result.charts[-1].read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in page and "<script src=" not in page
    spec = json.loads(cohorts.chart().to_json())
    assert json.dumps(spec["encoding"]["color"]["field"]) in page
    # Three simulated weeks of actions on a copy of the shop, measured against controls.
    assert "programme" in set(result.lift.frame["playbook"])
    assert "bought because of a contact" in text
