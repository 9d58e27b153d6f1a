"""The [sla] section: what it accepts, and one-sentence errors naming the key."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from tenure.errors import ConfigError
from tenure.sla import SlaConfig
from tenure.sla._timezone import Zone

BASE = {
    "calendars": {"office": {"timezone": "Asia/Shanghai",
                             "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"]}}},
    "policies": {"p": {"calendar": "office", "targets": {"P1": {"first_response": "1h30m"}}}},
}


def config(**changes) -> SlaConfig:
    body = {**BASE, **changes}
    return SlaConfig.from_section(body, "tenure.toml")


def test_a_complete_section_reads_into_typed_values():
    c = config(calendars={"office": {
        "timezone": "Asia/Shanghai", "hours": {"mon-thu": "09:00-18:00", "fri": "09:00-15:30"},
        "holidays": ["2026-10-01..2026-10-03", "2026-12-25"], "workdays": ["2026-10-10"]}})
    office = c.calendars["office"]
    assert office.hours[0] == ((540, 1080),)  # Monday 09:00-18:00 in minutes
    assert office.hours[4] == ((540, 930),)  # Friday until 15:30
    assert office.hours[5] == ()  # Saturday: no hours
    # Three days of the range and Christmas.
    assert office.holidays == {date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3),
                               date(2026, 12, 25)}
    assert office.workday_hours == ((540, 1080),)  # a make-up day keeps Monday's hours
    target = c.policies["p"].targets["p1"]
    assert target.first_response == 90 and target.clock == "business"


@pytest.mark.parametrize(("changes", "message"), [
    ({"policies": {}}, "[sla] declares no policies"),
    ({"default_policy": "gold"}, "sla.default_policy = 'gold' is not a policy; the policies "
                                 "are p"),
    ({"at_risk_hours": -1}, "sla.at_risk_hours = -1 should be a positive number of hours"),
    ({"calendars": {"office": {"timezone": "Beijing", "hours": {"mon": "09:00-18:00"}}}},
     "sla.calendars.office.timezone = 'Beijing' is not a time zone name"),
    ({"calendars": {"office": {"timezone": "UTC", "hours": {"mon": "18:00-09:00"}}}},
     "sla.calendars.office.hours.mon has '18:00-09:00', which is not a span within one day"),
    ({"calendars": {"office": {"timezone": "UTC", "hours": {"funday": "09:00-18:00"}}}},
     "sla.calendars.office.hours.funday is not a weekday"),
    ({"calendars": {"office": {"timezone": "UTC", "hours": {"mon": "09:00-18:00"},
                               "holidays": ["2026-10-01"], "workdays": ["2026-10-01"]}}},
     "sla.calendars.office lists 2026-10-01 both as a holiday and as a make-up working day"),
    ({"calendars": {"office": {"timezone": "UTC", "hours": {"mon": "09:00-18:00"},
                               "holidays": ["1 October"]}}},
     "sla.calendars.office.holidays has '1 October'; write a date as \"2026-10-01\""),
    ({"policies": {"p": {"calendar": "shop", "targets": {"P1": {"resolution": 60}}}}},
     "sla.policies.p.calendar = 'shop' is not a calendar; the calendars are: office"),
    ({"policies": {"p": {"targets": {"P1": {"resolution": 60, "clock": "business"}}}}},
     "sla.policies.p.targets.P1 counts business hours but sla.policies.p names no calendar"),
    ({"policies": {"p": {"calendar": "office", "targets": {"P1": {"resolution": "2 days"}}}}},
     "sla.policies.p.targets.P1.resolution = '2 days' should be minutes"),
    ({"policies": {"p": {"calendar": "office", "targets": {"P1": {"respond": 60}}}}},
     "sla.policies.p.targets.P1.respond is not a known key"),
    ({"policies": {"p": {"calendar": "office", "targets": {"P1": {"resolution": 60}},
                         "credit": {"amount": 5, "percent": 1}}}},
     "sla.policies.p.credit should set exactly one of amount"),
    ({"policies": {"a": {"tiers": ["gold"], "targets": {"P1": {"resolution": 60}}},
                   "b": {"tiers": ["Gold"], "targets": {"P1": {"resolution": 60}}}}},
     "tier 'Gold' is in both sla.policies.a.tiers and sla.policies.b.tiers"),
])
def test_mistakes_are_one_sentence_naming_the_key(changes, message):
    with pytest.raises(ConfigError) as caught:
        config(**changes)
    text = str(caught.value)
    assert text.startswith("tenure.toml: ")
    assert message in text
    assert "\n" not in text


def test_the_section_is_read_from_the_workspace_file(sla_workspace):
    from tenure.sla import load_config

    ws = sla_workspace()
    assert set(load_config(ws).policies) == {"standard", "uk"}
    bare = sla_workspace(section="")
    with pytest.raises(ConfigError, match=r"has no \[sla\] section"):
        load_config(bare)


def test_local_times_around_clock_changes():
    london = Zone("Europe/London", 1_770_000_000, 1_800_000_000)

    def utc(local: str) -> int:
        seconds = np.datetime64(local, "s").astype(np.int64)
        return int(london.to_utc(np.array([seconds]))[0])

    def stamp(text: str) -> int:
        return int(np.datetime64(text, "s").astype(np.int64))

    # Summer time: local is UTC + 1 hour.
    assert utc("2026-07-01T12:00") == stamp("2026-07-01T11:00")
    # 25 October 01:30 happens twice; it is read as the first (summer time).
    assert utc("2026-10-25T01:30") == stamp("2026-10-25T00:30")
    assert utc("2026-10-25T02:00") == stamp("2026-10-25T02:00")  # winter time: local = UTC
    # 29 March 01:30 does not exist (clocks jump from 01:00 to 02:00): read as the jump.
    assert utc("2026-03-29T01:30") == stamp("2026-03-29T01:00")
    assert utc("2026-03-29T02:30") == stamp("2026-03-29T01:30")
    back = london.to_local(np.array([stamp("2026-10-25T00:30"), stamp("2026-10-25T01:30")]))
    # Both UTC instants show 01:30 on the wall.
    assert (back == stamp("2026-10-25T01:30")).all()


def test_the_demo_shop_section_is_valid_and_added_once(tmp_path):
    import tomllib

    from tenure.sla._demo import add_shop_section, shop_section
    from tenure.workspace import Workspace

    config = SlaConfig.from_section(tomllib.loads(shop_section())["sla"])
    assert set(config.policies) == {"gold", "silver", "standard"}
    # 2023-2025: 20 make-up working days (调休) in the Shanghai calendar.
    assert len(config.calendars["shanghai"].workdays) == 20
    Workspace.init(tmp_path / "shop").close()
    assert add_shop_section(tmp_path / "shop") is True
    assert add_shop_section(tmp_path / "shop") is False
    with Workspace(tmp_path / "shop") as ws:
        assert ws.config.section("sla")["default_policy"] == "standard"
