"""Bundled data, the settings declarations and the contract declarations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tenure import ConfigError, TenureError
from tenure.config import SETTINGS, Config, ConfigWarning, render_toml
from tenure.contract import TABLES, header_key
from tenure.datasets import load_cdnow

DOCS = Path(__file__).parents[1] / "docs"


def test_cdnow_sample_is_the_papers_sample():
    orders = load_cdnow(kind="sample")
    # 2,357 customers and 6,919 purchase records (Fader & Hardie's 1/10 sample).
    assert (len(orders), orders.customer_id.nunique()) == (6919, 2357)
    assert orders.ordered_at.min() == pd.Timestamp("1997-01-01")
    assert orders.ordered_at.max() == pd.Timestamp("1998-06-30")
    # Everyone's first purchase falls in the first quarter of 1997.
    assert orders.groupby("customer_id").ordered_at.min().max() < pd.Timestamp("1997-04-01")
    assert orders.iloc[0][["customer_id", "ordered_at", "quantity", "amount", "master_id"]] \
        .tolist() == ["1", pd.Timestamp("1997-01-01"), 2, 29.33, "4"]


def test_cdnow_master():
    orders = load_cdnow(kind="master")
    assert (len(orders), orders.customer_id.nunique()) == (69659, 23570)
    assert orders.order_id.is_unique
    with pytest.raises(TenureError, match="not a CDNOW file"):
        load_cdnow(kind="full")


def test_every_setting_has_a_valid_default_and_help():
    for setting in SETTINGS:
        assert setting.help.endswith(".") and len(setting.help) > 20, setting.key
        setting.coerce(setting.default, where="defaults")


def test_settings_reject_wrong_types_and_unknown_keys(tmp_path):
    path = tmp_path / "tenure.toml"
    path.write_text('[engine]\nthreads = "many"\n')
    with pytest.raises(ConfigError, match=r"engine\.threads = 'many' should be a whole number"):
        Config.load(path)
    path.write_text('[workspace]\ntimezon = "UTC"\n')
    with pytest.raises(ConfigError, match=r"did you mean 'workspace\.timezone'"):
        Config.load(path)
    path.write_text("[workspace\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Config.load(path)
    path.write_text('[funnel]\nstages = ["A", "a"]\n')
    with pytest.raises(ConfigError, match="repeat a name"):
        Config.load(path)


def test_a_retired_setting_warns_instead_of_failing(tmp_path):
    # Files written by earlier versions still open; the setting they name is read past.
    path = tmp_path / "tenure.toml"
    path.write_text('[ingest]\nbatch_rows = 131072\nstrict_references = true\n')
    with pytest.warns(ConfigWarning, match=r"'ingest\.batch_rows' is no longer a setting"):
        config = Config.load(path)
    assert config["ingest.strict_references"] is True
    assert "ingest.batch_rows" not in dict(config)


def test_the_command_line_prints_a_warning_as_one_line(tmp_path):
    ws = tmp_path / "shop"
    assert subprocess.run([sys.executable, "-m", "tenure.cli", "init", str(ws)],
                          capture_output=True).returncode == 0
    toml = ws / "tenure.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[ingest]\n", "[ingest]\nbatch_rows = 131072\n"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tenure.cli", "status", "--workspace", str(ws)],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "300"})
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"warning: {toml}: 'ingest.batch_rows' is no longer a setting (ingest now sizes its "
        "own batches); delete its line"]


def test_rendered_toml_loads_back_to_the_defaults(tmp_path):
    path = tmp_path / "tenure.toml"
    path.write_text(render_toml())
    assert dict(Config.load(path)) == dict(Config())


def test_configuration_docs_are_generated_from_the_declarations():
    from tenure.docs import render_configuration

    assert (DOCS / "configuration.md").read_text(encoding="utf-8") == render_configuration(), (
        "docs/configuration.md is stale: run python -m tenure.docs")


def test_contract_docs_are_generated_from_the_declarations():
    from tenure.docs import render_contract

    assert (DOCS / "data-contract.md").read_text(encoding="utf-8") == render_contract(), (
        "docs/data-contract.md is stale: run python -m tenure.docs")


def test_contract_is_consistent():
    for table in TABLES.values():
        spellings: dict[str, str] = {}
        for column in table.columns:
            for spelling in (column.name, *column.aliases):
                key = header_key(spelling)
                assert spellings.setdefault(key, column.name) == column.name, (
                    f"{table.name}: '{spelling}' would mean both {spellings[key]} and "
                    f"{column.name}")
            if column.references:
                ref_table, ref_column = column.references.split(".")
                assert TABLES[ref_table].has(ref_column)
        for rule in table.rules:
            assert table.has(rule.earlier) and table.has(rule.later)
    assert set(TABLES["orders"].required) == {"order_id", "customer_id", "ordered_at", "amount"}
