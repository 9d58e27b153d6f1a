"""One local Spark for the whole run, and the same data on both engines.

The JVM starts once per test run (a session fixture): a serial collector and the first JIT
tier only bring its start to seconds, and two cores of local Spark with two shuffle
partitions suit tables of a few thousand rows. Under pytest-xdist the Spark tests share one
group (`--dist loadgroup`), so one worker starts one JVM.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tenure.contract import LOAD_ORDER
from tenure.workspace import Workspace

pytest.importorskip("pyspark", reason="the Spark engine is the tenure[spark] extra")

# Settings of a test session only: they change speed, never results.
TEST_CONF = {
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Compiling a whole stage into Java costs more than it saves on tables this small.
    "spark.sql.codegen.wholeStage": "false",
}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/spark/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.xdist_group("spark"))


@pytest.fixture(scope="session")
def spark():
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java; `make java` installs a headless JRE")
    import tenure.spark

    session = tenure.spark.session("local[2]", app="tenure-tests", conf=TEST_CONF)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def business(tmp_path_factory, small_business: Path, spark):
    """The 2,000-customer simulated business (seed 11) in a DuckDB workspace, and the same
    rows, read back from it, on Spark."""
    import tenure.spark

    ws = Workspace.init(tmp_path_factory.mktemp("spark-sim") / "ws", timezone="Asia/Shanghai")
    for name in LOAD_ORDER:
        ws.ingest(name, small_business / f"{name}.parquet")
    engine = tenure.spark.connect(spark, ws.config)
    for name in LOAD_ORDER:
        if ws.table(name).count().execute():
            engine.add(name, ws.table(name).to_pyarrow())
    yield ws, engine
    ws.close()


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text in one dtype (categories, Arrow strings and objects alike) and
    a fresh index, so that two engines' frames compare by value."""
    out = frame.reset_index(drop=True).copy()
    for name in out.columns:
        kind = out[name].dtype
        if isinstance(kind, pd.CategoricalDtype) or pd.api.types.is_string_dtype(kind):
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


def assert_same(duck, spark_frame, where: str = "") -> None:
    """Equal frames: exactly equal counts, keys and text, sums and scores within 1e-9
    relative."""
    a, b = normalised(duck), normalised(spark_frame)
    assert list(a.columns) == list(b.columns), where
    assert len(a) == len(b), where
    for name in a.columns:
        left, right = a[name], b[name]
        if pd.api.types.is_float_dtype(left) or pd.api.types.is_float_dtype(right):
            pd.testing.assert_series_equal(left.astype(float), right.astype(float),
                                           check_exact=False, rtol=1e-9, atol=1e-12,
                                           obj=f"{where}.{name}")
        else:
            assert left.tolist() == right.tolist(), f"{where}.{name}"
