"""One contract over every registered capability: its options validate, it runs on a small
simulated shop, its result has every face (frame, headline, lines, panels, to_dict through
JSON), and the command line made from it gives the same figures as the library.

A new capability is covered here without a new test file; only a capability with required
options (or one that needs another to run first) adds a line to OPTIONS.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from json_helpers import assert_same_json
from tenure.capabilities import REGISTRY, parse_options
from tenure.cli import app
from tenure.errors import ConfigError
from tenure.results import Result
from tenure.simulate import simulate_business, write_business
from tenure.sla._demo import add_shop_section
from tenure.workspace import Workspace

runner = CliRunner()

# Options for capabilities that cannot run on their defaults here.
OPTIONS = {
    "ingest": {"table": "products", "source": "{data}/products.parquet"},
    "score": {"as_of": "2026-01-01", "model": "pnbd"},
    "fit": {"calibration_end": "2025-06-30"},
    "churn train": {"horizon": "120D"},
    "churn backtest": {"horizon": "120D"},
    "churn survival": {"horizon": "120D"},
    "sla credits": {"period": "2025-10"},
    "sla clocks": {"limit": "50"},
    "analyze prepare": {"period": "month"},
    "actions plan": {"date": "2025-10-01"},
    "actions list": {"date": "2025-10-01"},
    "actions explain": {"customer_id": "C0000001", "date": "2025-10-01"},
    "actions record": {"source": "{examples}/action_outcomes.csv"},
    "customers profile": {"customer_id": "C0000001"},
    "token create": {"role": "operator", "owner": "rep-01"},
    "token revoke": {"token_id": "{token}"},
}
# The order in which they run: what a capability reads is written by one before it.
ORDER = ["ingest", "status", "quarantine", "fit", "score", "churn train"]
# Figures that differ between two runs by nature: time taken, the second ingest of a file
# (unchanged rather than landed), the ids of log rows, where a file was written, and a token
# (new each time it is made, and revoked only once).
VOLATILE = {"seconds", "ingest_id", "landed", "unchanged", "updated", "path", "added",
            "changed", "withdrawn", "run_id", "record_id", "token", "token_id", "revoked",
            "created_at", "revoked_at", "audit_id", "at", "entries"}


def _ordered() -> list[str]:
    rest = [name for name in REGISTRY if name not in ORDER]
    return [*ORDER, *rest]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A simulated shop of 600 customers with every table, SLA policies and scores."""
    root = tmp_path_factory.mktemp("contract")
    data = root / "data"
    business = simulate_business(600, seed=5)
    write_business(business, data)
    path = root / "shop"
    with Workspace.init(path, timezone="Asia/Shanghai") as ws:
        for name in business.tables:
            ws.ingest(name, data / f"{name}.parquet")
    add_shop_section(path)
    return path, data


EXAMPLES = Path(__file__).parents[1] / "examples"


def _options(name: str, data, token: str = "") -> dict[str, str]:
    return {k: v.format(data=data, examples=EXAMPLES, token=token)
            for k, v in OPTIONS.get(name, {}).items()}


def test_every_capability_is_declared_whole():
    for capability in REGISTRY.values():
        assert capability.summary.endswith(".") and capability.example.startswith("tenure ")
        assert issubclass(capability.result_type, Result), capability.name
        for spec in capability.option_specs():
            assert spec.help, f"{capability.name}.{spec.name} has no help"
        # Every option declared is either given or has a default.
        required = [s.name for s in capability.option_specs() if s.required]
        assert set(required) <= set(OPTIONS.get(capability.name, {})), capability.name
        json.dumps(capability.to_dict())


def test_the_declared_periods_are_the_engines():
    from tenure.capabilities._analytics import PERIODS
    from tenure.engine import PERIODS as ENGINE_PERIODS

    assert tuple(ENGINE_PERIODS) == PERIODS


def test_options_are_checked_in_one_place_with_one_sentence():
    fit = REGISTRY["fit"]
    assert fit.parse({"model": "pnbd", "calibration_end": "2025-06-30"}).model == "pnbd"
    cases = [
        ({"model": "cox"}, "fit: model 'cox' is not supported; use bgnbd, pnbd, mbgnbd, ggomnbd,"
         " bgbb, sbg, gg or auto"),
        ({"calibration_end": "June"}, "fit: calibration_end 'June' should be a date such as"),
        ({"modle": "pnbd"}, "fit: there is no option 'modle'; did you mean model?"),
    ]
    for values, message in cases:
        with pytest.raises(ConfigError, match=message.replace("?", r"\?")):
            fit.parse(values)
    score = REGISTRY["score"]
    with pytest.raises(ConfigError, match="score: as_of is required"):
        score.parse({})
    with pytest.raises(ConfigError, match=r"score: margin 1\.5 should be at most 1"):
        score.parse({"as_of": "2026-01-01", "margin": "1.5"})
    with pytest.raises(ConfigError, match="score: margin 'inf' should be a finite number"):
        score.parse({"as_of": "2026-01-01", "margin": "inf"})
    clocks = REGISTRY["sla clocks"]
    assert clocks.parse({"breached": "true", "limit": 3}).breached is True
    with pytest.raises(ConfigError, match="breached 'maybe' should be true or false"):
        clocks.parse({"breached": "maybe"})
    train = REGISTRY["churn train"]
    dates = train.parse({"as_of": ["2025-01-01,2025-02-01", "2025-03-01"]}).as_of
    assert [d.isoformat() for d in dates] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    # Typed values pass as they are; the dataclass is frozen.
    options = parse_options(REGISTRY["analyze cohorts"].options, {"period": "quarter"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.period = "month"


def _comparable(headline: dict) -> dict:
    return {k: v for k, v in headline.items() if k not in VOLATILE}


@pytest.mark.slow
def test_every_capability_runs_and_the_cli_agrees(shop, tmp_path):
    path, data = shop
    seen = []
    for name in _ordered():
        capability = REGISTRY[name]
        with Workspace(path) as ws:
            tokens = ws.connection.execute("SELECT token_id FROM api_tokens WHERE revoked_at "
                                           "IS NULL ORDER BY created_at").fetchall()
        values = _options(name, data, tokens[0][0] if tokens else "")
        with Workspace(path) as ws:
            result = capability(ws, values)
        assert isinstance(result, capability.result_type), name
        assert isinstance(result.frame, pd.DataFrame), name
        assert all(isinstance(line, str) for line in result.lines()), name
        for title, frame in result.panels():
            assert isinstance(title, str) and isinstance(frame, pd.DataFrame), name
        as_dict = result.to_dict()
        assert json.loads(json.dumps(as_dict)) == as_dict, name
        assert as_dict["headline"] == json.loads(json.dumps(as_dict["headline"]))
        if capability.chart:
            assert result.chart().to_dict()["$schema"].startswith("https://vega.github.io")

        flags = []
        positional = {spec.name for spec in capability.option_specs() if spec.positional}
        for key, value in values.items():
            if key in positional:
                flags.insert(0, str(value))
            else:
                flags += [f"--{key.replace('_', '-')}", str(value)]
        if name == "ingest":
            argv = ["ingest", values["table"], values["source"]]
        else:
            argv = [*capability.words, *flags]
        printed = runner.invoke(app, [*argv, "--json", "-", "-w", str(path)],
                                env={"TENURE_WORKSPACE": "", "COLUMNS": "200"})
        assert printed.exit_code == 0, (name, printed.output)
        payload = json.loads(printed.stdout)
        if name == "ingest":
            payload = payload[0]
        assert_same_json(_comparable(payload["headline"]), _comparable(as_dict["headline"]),
                         where=name)
        if name not in ("ingest", "status"):
            rows = [_comparable(row) for row in payload["frame"]]
            assert_same_json(rows, [_comparable(row) for row in as_dict["frame"]], where=name)
        seen.append(name)
    assert seen == _ordered()
