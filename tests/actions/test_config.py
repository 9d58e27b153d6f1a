"""The [actions] section: defaults, and every mistake as one sentence naming the key."""

from __future__ import annotations

import pytest

from tenure.actions import ActionsConfig, plan
from tenure.errors import ConfigError

from .shop import make_shop, orders


def test_defaults():
    config = ActionsConfig.from_section({})
    assert len(config.playbooks) == 12 and len(config.enabled) == 12
    assert (config.global_holdout, config.reshuffle, config.per_customer_per_day) == (
        0.05, "quarter", 1)
    # Quiet from 21:00 to 08:00 in the customer's zone; at most 3 marketing touches in any
    # 7 days and 1 per calendar day; WeChat allows 4 mass messages a month.
    assert config.policy.quiet_hours == (21 * 60, 8 * 60)
    assert [c.text for c in config.policy.caps] == ["3 per 7 days", "1 per 1 calendar day"]
    assert config.channels["wechat"].monthly_quota == 4
    assert config.capacity_of("rep_01", "call") == 30 and config.capacity_of("x", "sms") is None
    recovery = config.playbooks["service_recovery"]
    assert (recovery.kind, recovery.holdout, recovery.channels) == (
        "transactional", 0.1, ("call", "wechat", "sms"))


def test_settings_are_read():
    config = ActionsConfig.from_section({
        "per_customer_per_day": 2, "reshuffle": "month",
        "channels": {"sms": {"monthly_quota": "days", "hours": "10:00-20:00"},
                     "line": {"requires_opt_in": False}},
        "policy": {"caps": ["sms: 4 per 30 days", "2 per 3 calendar days"],
                   "quiet_hours": ""},
        "capacity": {"rep_01": {"call": 5}, "rep_02": 0},
        "playbooks": {"win_back": {"channels": ["line", "sms"], "holdout": 0.2,
                                   "churned_days": 120, "enabled": False}},
    })
    assert config.channels["sms"].monthly_quota == "days"
    assert config.channels["sms"].hours == (600, 1200)
    caps = config.policy.caps
    assert (caps[0].channel, caps[0].touches, caps[0].days, caps[0].window) == (
        "sms", 4, 30, "rolling")
    assert (caps[1].channel, caps[1].window) == (None, "calendar")
    assert config.policy.quiet_hours is None
    # rep_01 makes 5 calls a day; rep_02 none on any channel; rep_03 the channel's 30.
    assert [config.capacity_of(o, "call") for o in ("rep_01", "rep_02", "rep_03")] == [5, 0, 30]
    win_back = config.playbooks["win_back"]
    assert (win_back.enabled, win_back.channels, win_back.holdout) == (
        False, ("line", "sms"), 0.2)
    assert win_back.values["churned_days"] == 120


@pytest.mark.parametrize(("body", "message"), [
    ({"playbooks": {"winback": {}}},
     r"there is no playbook 'winback' \(\[actions.playbooks.winback\]\); did you mean "
     r"win_back\?"),
    ({"playbooks": {"newsletter": {}}},
     r"there is no playbook 'newsletter' \(\[actions.playbooks.newsletter\]\); the "
     "playbooks are maintenance_due, replenishment"),
    ({"playbooks": {"at_risk": {"holdout": 0.6}}},
     "actions.playbooks.at_risk.holdout: 0.6 should be a share from 0 to 0.5"),
    ({"global_holdout": 0.55}, "actions.global_holdout: 0.55 should be a share from 0 to 0.5"),
    ({"policy": {"transactional_caps": ["0 per 1 day"]}},
     r"actions.policy.transactional_caps\[0\] = '0 per 1 day' allows no transactional touch "
     "at all, which would stop maintenance_due, service_recovery"),
    ({"capacity": {"rep_01": -3}},
     "actions.capacity.rep_01 = -3 should be a whole number of actions a day, 0 or more"),
    ({"capacity": {"rep_01": {"call": -1}}},
     "actions.capacity.rep_01.call = -1 should be a whole number of actions a day"),
    ({"channels": {"call": {"capacity": -2}}},
     "actions.channels.call.capacity: -2 must be zero or a positive whole number"),
    ({"playbooks": {"at_risk": {"channels": ["fax"]}}},
     "actions.playbooks.at_risk.channels names 'fax', which is not a channel"),
    ({"playbooks": {"at_risk": {"min_rsk": 0.3}}},
     "actions.playbooks.at_risk.min_rsk is not a known key; did you mean min_risk?"),
    ({"playbooks": {"at_risk": {"min_risk": 2}}},
     "actions.playbooks.at_risk.min_risk: 2.0 must be a share between 0 and 1"),
    ({"playbooks": {"at_risk": {"min_risk": "high"}}},
     "actions.playbooks.at_risk.min_risk = 'high' should be a number"),
    ({"policy": {"caps": ["three a week"]}},
     r"actions.policy.caps\[0\] = 'three a week' is not a cap; write it as"),
    ({"policy": {"quiet_hours": "25:00-08:00"}},
     "actions.policy.quiet_hours: '25:00-08:00' is not a span within one day"),
    ({"calendar": "office"},
     "actions.calendar = 'office' is not a calendar of \\[sla.calendars\\]"),
    ({"reshuffle": "week"}, "actions.reshuffle: 'week' is not a period"),
    ({"playbooks": {"membership_upgrade": {"tiers": {"gold": {"fee": 299, "rewards": 1}}}}},
     "tier 'gold' should be a table such as"),
    ({"playbooks": {"care_calendar": {"customer_days": ["11/11"]}}},
     "'11/11' is not a day of the year; write it as MM-DD"),
])
def test_bad_configuration_is_one_sentence(body, message):
    with pytest.raises(ConfigError, match=message) as caught:
        ActionsConfig.from_section(body)
    assert "\n" not in str(caught.value)


def test_the_workspace_file_is_named(tmp_path):
    made, _ = orders(("c1", "2025-12-01", None, 1, 100))
    ws = make_shop(tmp_path / "s", {"orders": made},
                   actions="[actions.playbooks.at_risk]\nholdout = 0.9\n")
    with pytest.raises(ConfigError, match=r"s/tenure.toml: actions.playbooks.at_risk.holdout"):
        plan(ws, "2026-01-10")
