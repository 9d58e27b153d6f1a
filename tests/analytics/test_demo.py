"""`tenure demo` prints the analytics headlines and writes the charts."""

from __future__ import annotations

import pytest

from tenure.demo import build_demo


@pytest.mark.slow
def test_the_demo_shows_every_analysis_and_the_truth_check(tmp_path):
    result = build_demo(tmp_path / "demo", customers=2_000)
    text = "\n".join(result.headlines)
    for title in ("cohorts", "lifecycle", "net growth", "rfm and value", "loyalty ladder",
                  "lead funnel", "referral reach", "owner hand-overs", "churn reasons"):
        assert f"Shop, {title}:" in text
    assert "states agree for" in text
    assert "CDNOW, cohorts:" in text
    assert len(result.charts) == 10
    assert all(path.stat().st_size > 1000 for path in result.charts)
    # Three simulated weeks of actions on a copy of the shop, measured against controls.
    assert "programme" in set(result.lift.frame["playbook"])
    assert "bought because of a contact" in text
