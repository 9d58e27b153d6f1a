"""docs/sla.md: its tenure.toml example is valid and its Python examples run as written."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd

from tenure.sla import SlaConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "sla.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_toml_example_is_a_valid_section():
    config = SlaConfig.from_section(tomllib.loads(blocks("toml")[0])["sla"], "docs/sla.md")
    assert set(config.policies) == {"gold", "acme", "standard"}
    shanghai = config.calendars["shanghai"]
    assert len(shanghai.holidays) == 10 and len(shanghai.workdays) == 2


def test_the_python_examples_run_and_say_what_the_text_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for code in blocks("python"):
        exec(compile(code, str(DOC), "exec"), namespace)
    frame = namespace["clocks"].set_index(["ticket_id", "metric"])
    # T1: 30 minutes on 30 September, 45 on 8 October.
    assert frame.loc[("T1", "first_response"), "elapsed_minutes"] == 75
    assert frame.loc[("T1", "first_response"), "breached_at"] == pd.Timestamp(
        "2026-10-08 09:30")
    # T2: 20 + 10 + 90 minutes by Tuesday 11:30; a 90-minute wait with 30 to go.
    assert frame.loc[("T2", "resolution"), "elapsed_minutes"] == 120
    assert frame.loc[("T2", "next_response"), "remaining_minutes"] == 30
    assert (tmp_path / "breaches.html").exists()
    namespace["ws"].close()
