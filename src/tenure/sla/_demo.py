"""An ``[sla]`` section for the simulated shop (:mod:`tenure.simulate`, 2023 to 2025).

A Shanghai office calendar with the Chinese public holidays and make-up working days of
those years, a policy for each membership tier of the simulator (gold, silver) with
credits, and a default policy; priorities P1 to P4 as the simulator writes them. The demo
workspace gets it, so that ``tenure sla report`` works there at once.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["add_shop_section", "shop_section"]

HOLIDAYS = [
    "2023-01-01..2023-01-02", "2023-01-21..2023-01-27", "2023-04-05",
    "2023-04-29..2023-05-03", "2023-06-22..2023-06-24", "2023-09-29..2023-10-06",
    "2024-01-01", "2024-02-10..2024-02-17", "2024-04-04..2024-04-06",
    "2024-05-01..2024-05-05", "2024-06-10", "2024-09-15..2024-09-17",
    "2024-10-01..2024-10-07", "2025-01-01", "2025-01-28..2025-02-04",
    "2025-04-04..2025-04-06", "2025-05-01..2025-05-05", "2025-05-31..2025-06-02",
    "2025-10-01..2025-10-08",
]
WORKDAYS = [
    "2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07",
    "2023-10-08", "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11",
    "2024-09-14", "2024-09-29", "2024-10-12", "2025-01-26", "2025-02-08", "2025-04-27",
    "2025-09-28", "2025-10-11",
]


def shop_section(workdays: bool = True) -> str:
    """The section's text; without the make-up working days when ``workdays`` is false."""
    made_up = f"workdays = {WORKDAYS!r}\n" if workdays else ""
    return f"""
[sla]
default_policy = "standard"
membership_period_months = 12

[sla.calendars.shanghai]
timezone = "Asia/Shanghai"
hours = {{ "mon-fri" = ["09:00-12:00", "13:00-18:00"] }}
holidays = {HOLIDAYS!r}
{made_up}
# Gold members get round-the-clock support at the simulator's first-response targets.
[sla.policies.gold]
calendar = "shanghai"
clock = "calendar"
tiers = ["gold"]
credit = {{ percent = 5, cap_percent = 50 }}
targets.P1 = {{ first_response = 60, next_response = 120, resolution = "8h" }}
targets.P2 = {{ first_response = 240, next_response = 240, resolution = "16h" }}
targets.P3 = {{ first_response = 480, next_response = 480, resolution = "40h" }}
targets.P4 = {{ first_response = 1440, resolution = "80h" }}

[sla.policies.silver]
calendar = "shanghai"
tiers = ["silver"]
credit = {{ amount = 20, cap = 200 }}
targets.P1 = {{ first_response = 120, resolution = "16h" }}
targets.P2 = {{ first_response = 480, resolution = "24h" }}
targets.P3 = {{ first_response = 960, resolution = "48h" }}
targets.P4 = {{ first_response = 1440, resolution = "96h" }}

# Everyone else: the first-response targets the simulator's agents aim at, around the clock.
[sla.policies.standard]
clock = "calendar"
targets.P1 = {{ first_response = 60 }}
targets.P2 = {{ first_response = 240 }}
targets.P3 = {{ first_response = 480 }}
targets.P4 = {{ first_response = 1440 }}
""".replace("'", '"')


def add_shop_section(folder: str | Path) -> bool:
    """Append the section to the workspace's ``tenure.toml`` unless it has one."""
    path = Path(folder) / "tenure.toml"
    text = path.read_text(encoding="utf-8")
    if "[sla]" in text:
        return False
    path.write_text(text.rstrip() + "\n" + shop_section(), encoding="utf-8")
    return True
