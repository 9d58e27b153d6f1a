"""Value models side by side: tenure, lifetimes 0.11.3 and PyMC-Marketing on the same files.

    python bench/value_models.py                   # 1M customers, both peers, Pareto/NBD 100k
    python bench/value_models.py --customers 100000 --skip-pymc
    python bench/value_models.py --repeat 5        # best of 5 runs of each tool (default 3)
    python bench/value_models.py --big             # also 10M customers, tenure alone, peak RSS
    python bench/value_models.py --big-only        # only the 10M run
    python bench/value_models.py --big-only --memory-limit 2GB   # DuckDB limited to 2 GB
    python bench/value_models.py --user-path-only  # only the whole processes of the docs' path

Each peer runs in its own virtualenv under bench/.venvs, created on first use (lifetimes
needs the old NumPy and pandas it was written for). Every tool starts from the same Parquet
file of orders, in a process of its own, and does the same steps: transactions to summary
(days), BG/NBD fit, Gamma-Gamma fit, P(alive), expected purchases (90 days) and CLV (12
months of 30 days at 1% a month) for every customer. Each tool runs ``--repeat`` times, in
rounds of one run of each tool, so that a spell of a slower machine falls on all of them;
the tables show the best wall-clock time and the best CPU time (all threads of the process)
of each step, the median of the totals, and the load average of the machine around the
runs. Every tool's clock starts
after its imports, which are timed apart and shown on a line of their own. On a machine
shared with other work the wall times of a busy moment are longer, which is why the CPU
times are shown beside them. tenure's fits run compiled loops (Numba, cached on disk): its
tables show runs with the cache filled, and one more Pareto/NBD run with an empty cache
shows the cost of compiling on first use. The script checks that the peers' fitted
parameters reach the same log-likelihood as tenure's and that the CLVs agree, then prints
times and ratios.

The path a user writes from the docs is measured apart, as a whole process per tool: start
Python, import, read the Parquet file into pandas, summarise, fit BG/NBD and Gamma-Gamma,
P(alive), expected purchases and CLV for every customer; the clock is the parent's, from
starting the process to its end, so imports, compiling and loading compiled code are all in.
One more tenure process then times the predictive distribution (P(X(t) = n) for n = 0..10)
and 90% prediction intervals for purchases and CLV for every customer, after the same path
and outside the comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
import venv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data" / "value_models"
VENVS = HERE / ".venvs"
END = "2024-12-31"
START = np.datetime64("2023-01-01")
PEERS = {
    "lifetimes": ["lifetimes==0.11.3", "numpy==1.23.5", "pandas==1.5.3", "scipy==1.10.1",
                  "autograd==1.5", "pyarrow==12.0.1"],
    "pymc_marketing": ["pymc-marketing", "pyarrow"],
}


# -- data -------------------------------------------------------------------------------
def generate(n: int, seed: int, process: str = "bgnbd") -> Path:
    """Orders of ``n`` customers over two years (days), BG/NBD or Pareto/NBD buying and
    Gamma-Gamma spend; written once and reused."""
    path = DATA / f"orders_{process}_{n}_{seed}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    horizon = 731.0
    first = rng.uniform(0, 365, n)
    lam = rng.gamma(0.6, 1 / 90.0, n)  # about 2.4 purchases a year on average
    end = horizon - first
    if process == "pnbd":
        mu = rng.gamma(0.7, 1 / 400.0, n)
        end = np.minimum(end, rng.exponential(1 / mu))
    counts = rng.poisson(lam * end)
    owner = np.repeat(np.arange(n), counts)
    times = first[owner] + rng.random(len(owner)) * end[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    if process == "bgnbd":
        drop = rng.beta(0.8, 3.0, n)
        survive = rng.geometric(drop)
        starts = np.r_[0, np.flatnonzero(np.diff(owner)) + 1] if len(owner) else np.zeros(0)
        lengths = np.diff(np.r_[starts, len(owner)]).astype(np.int64)
        rank = np.arange(len(owner)) - np.repeat(starts, lengths)
        keep = rank < survive[owner]
        owner, times = owner[keep], times[keep]
    who = np.r_[np.arange(n), owner]
    when = np.r_[first, times]
    nu = rng.gamma(4.0, 1 / 150.0, n)
    amount = np.round(rng.gamma(6.0, 1.0, len(who)) / nu[who], 2) + 0.01
    stamp = (START.astype("datetime64[s]").astype(np.int64) + (when * 86400).astype(np.int64))
    table = pa.table({"customer_id": pa.array(who, pa.int64()),
                      "ordered_at": pa.array(stamp * 1_000_000, pa.timestamp("us")),
                      "amount": amount})
    pq.write_table(table, path, row_group_size=1 << 20)
    return path


# -- tenure -----------------------------------------------------------------------------
class Clock:
    """Wall-clock and CPU time (every thread of the process) of consecutive steps."""

    def __init__(self):
        self.times: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._start = self._last = (time.perf_counter(), time.process_time())

    def lap(self, step: str) -> None:
        now = (time.perf_counter(), time.process_time())
        self.times[step] = now[0] - self._last[0]
        self.cpu[step] = now[1] - self._last[1]
        self._last = now

    def total(self) -> None:
        self.times["total"] = self._last[0] - self._start[0]
        self.cpu["total"] = self._last[1] - self._start[1]


def run_tenure(path: Path, model_name: str = "bgnbd", memory_limit: str | None = None) -> dict:
    """The tenure pipeline, timed step by step: the library's summary query, fits on the
    compressed statistics, and the library's per-customer scores (predictions on the
    distinct histories, joined back to the customers in DuckDB)."""
    # Every module is imported before the clock starts, as each peer's are: the DuckDB
    # backend of Ibis and the compiled loops are otherwise imported on first use. The
    # imports are timed on their own and reported beside the steps, not in the total.
    before = (time.perf_counter(), time.process_time())
    import ibis
    import ibis.backends.duckdb

    import tenure.models._compiled  # noqa: F401
    from tenure.models import BetaGeo, GammaGamma, ParetoNBD, customer_scores, rfm_expression

    clock = Clock()
    imported = (clock._start[0] - before[0], clock._start[1] - before[1])
    con = ibis.duckdb.connect(**({"memory_limit": memory_limit} if memory_limit else {}))
    db = con.con
    orders = con.read_parquet(path)
    expr = rfm_expression(orders, observation_end=END, unit="D")
    db.execute("CREATE TEMP TABLE summary AS " + ibis.to_sql(expr, dialect="duckdb"))
    counts = db.sql('SELECT frequency, recency, "T", count(*) AS weights FROM summary '
                    "GROUP BY ALL").to_arrow_table().to_pandas()
    clock.lap("summary")
    model = (BetaGeo if model_name == "bgnbd" else ParetoNBD)().fit(counts)
    clock.lap("fit")
    result = {"params": model.params_, "log_likelihood": model.log_likelihood_,
              "customers": int(counts.weights.sum()), "distinct_rows": len(counts)}
    if model_name == "bgnbd":
        buyers = db.sql("SELECT frequency, monetary_value, 1.0::DOUBLE AS weights "
                        "FROM summary WHERE frequency > 0").to_arrow_table().to_pandas()
        spend = GammaGamma().fit(buyers)
        clock.lap("gamma_gamma")
        query, _distinct = customer_scores(con.table("summary"), model, spend, horizon=90.0,
                                           clv_horizon=360.0, steps=12, discount_rate=0.01,
                                           histories=counts)
        per_customer = con.to_pyarrow(query)
        clock.lap("predict")
        out = DATA / f"tenure_{path.stem}.parquet"
        pq.write_table(per_customer.select(["customer_id", "clv"]), out)
        result.update(gg=spend.params_, clv_file=str(out))
    clock.total()
    clock.times["imports"], clock.cpu["imports"] = imported
    return {**result, "times": clock.times, "cpu": clock.cpu}


def tenure_process(path: Path, model_name: str, memory_limit: str | None = None,
                   cold: bool = False) -> dict:
    """``run_tenure`` in a fresh process, with its peak resident memory. ``cold`` gives it an
    empty cache of compiled code, so that it compiles what it uses (as on first use)."""
    code = (f"import json, resource, sys; sys.path.insert(0, {str(HERE)!r}); "
            "from value_models import run_tenure, Path; "
            f"r = run_tenure(Path({str(path)!r}), {model_name!r}, {memory_limit!r}); "
            "r['peak_rss_gib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20; "
            "print(json.dumps(r, default=float))")
    with tempfile.TemporaryDirectory() as empty:
        env = {**os.environ, **({"NUMBA_CACHE_DIR": empty} if cold else {})}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- peers ------------------------------------------------------------------------------
LIFETIMES = textwrap.dedent("""
    import json, sys, time
    before = (time.perf_counter(), time.process_time())
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
    from lifetimes.utils import summary_data_from_transaction_data
    path, out, model_name = sys.argv[1], sys.argv[2], sys.argv[3]
    times, cpu = {}, {}
    last = start = (time.perf_counter(), time.process_time())
    times["imports"], cpu["imports"] = start[0] - before[0], start[1] - before[1]

    def lap(step):
        global last
        now = (time.perf_counter(), time.process_time())
        times[step], cpu[step] = now[0] - last[0], now[1] - last[1]
        last = now

    orders = pd.read_parquet(path)
    s = summary_data_from_transaction_data(orders, "customer_id", "ordered_at",
                                           monetary_value_col="amount",
                                           observation_period_end="%(end)s", freq="D")
    lap("summary")
    if model_name == "bgnbd":
        model = BetaGeoFitter().fit(s.frequency, s.recency, s["T"])
    else:
        model = ParetoNBDFitter().fit(s.frequency, s.recency, s["T"])
    lap("fit")
    result = {"params": {k: float(v) for k, v in model.params_.items()}}
    if model_name == "bgnbd":
        buyers = s[s.frequency > 0]
        gg = GammaGammaFitter().fit(buyers.frequency, buyers.monetary_value)
        lap("gamma_gamma")
        p_alive = model.conditional_probability_alive(s.frequency, s.recency, s["T"])
        expected = model.conditional_expected_number_of_purchases_up_to_time(
            90, s.frequency, s.recency, s["T"])
        clv = gg.customer_lifetime_value(model, s.frequency, s.recency, s["T"],
                                         s.monetary_value, time=12, discount_rate=0.01,
                                         freq="D")
        lap("predict")
        pd.DataFrame({"customer_id": s.index, "clv": clv.values}).to_parquet(out)
        result["gg"] = {k: float(v) for k, v in gg.params_.items()}
    times["total"] = last[0] - start[0]
    cpu["total"] = last[1] - start[1]
    result["times"], result["cpu"] = times, cpu
    print(json.dumps(result))
""") % {"end": END}

PYMC = textwrap.dedent("""
    import json, sys, time, warnings
    warnings.filterwarnings("ignore")
    before = (time.perf_counter(), time.process_time())
    import pandas as pd
    from pymc_marketing import clv
    imported = (time.perf_counter() - before[0], time.process_time() - before[1])
    path, out, model_name = sys.argv[1], sys.argv[2], sys.argv[3]

    def run(orders):
        times, cpu = {}, {}
        last = [(time.perf_counter(), time.process_time())]
        start = last[0]

        def lap(step):
            now = (time.perf_counter(), time.process_time())
            times[step], cpu[step] = now[0] - last[0][0], now[1] - last[0][1]
            last[0] = now

        s = clv.utils.rfm_summary(orders, "customer_id", "ordered_at", "amount",
                                  observation_period_end="%(end)s", time_unit="D")
        lap("summary")
        model = clv.BetaGeoModel(data=s[["customer_id", "frequency", "recency", "T"]])
        model.fit(method="map")
        lap("fit")
        buyers = s[s.frequency > 0]
        gg = clv.GammaGammaModel(data=buyers[["customer_id", "frequency", "monetary_value"]])
        gg.fit(method="map")
        lap("gamma_gamma")
        data = s[["customer_id", "frequency", "recency", "T"]]
        alive = model.expected_probability_alive(data)
        expected = model.expected_purchases(data, future_t=90)
        value = gg.expected_customer_lifetime_value(
            transaction_model=model, data=s[["customer_id", "frequency", "recency", "T",
                                             "monetary_value"]],
            future_t=12, discount_rate=0.01, time_unit="D")
        lap("predict")
        times["total"], cpu["total"] = last[0][0] - start[0], last[0][1] - start[1]
        return s, model, gg, value, times, cpu

    orders = pd.read_parquet(path)
    t = time.perf_counter()
    if sys.argv[4:] != ["cold"]:
        run(orders.head(20000))  # warm PyTensor's compile cache
    cold = time.perf_counter() - t
    s, model, gg, value, times, cpu = run(orders)
    times["warm_up"] = cold
    times["imports"], cpu["imports"] = imported

    def point(m):
        post = m.fit_result
        return {k: float(post[k].values.ravel()[0]) for k in post.data_vars
                if post[k].values.size == 1}

    clv_values = value.values.ravel() if hasattr(value, "values") else value
    pd.DataFrame({"customer_id": s.customer_id.values, "clv": clv_values}).to_parquet(out)
    print(json.dumps({"times": times, "cpu": cpu, "params": point(model), "gg": point(gg)}))
""") % {"end": END}


def ensure_venv(name: str) -> Path:
    path = VENVS / name
    python = path / "bin" / "python"
    if not (path / ".installed").exists():
        print(f"creating {path} ({', '.join(PEERS[name])}) ...", flush=True)
        venv.create(path, with_pip=True)
        subprocess.run([str(path / "bin" / "pip"), "install", "-q", *PEERS[name]], check=True)
        (path / ".installed").touch()
    return python


def run_peer(name: str, script: str, path: Path, model_name: str = "bgnbd") -> dict:
    python = ensure_venv(name)
    code = DATA / f"peer_{name}.py"
    code.write_text(script)
    out = DATA / f"{name}_{path.stem}.parquet"
    done = subprocess.run([str(python), str(code), str(path), str(out), model_name],
                          capture_output=True, text=True, env={**os.environ,
                                                               "PYTHONWARNINGS": "ignore"})
    if done.returncode:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["clv_file"] = str(out)
    return result


# -- comparing --------------------------------------------------------------------------
def log_likelihood_at(params: dict, path: Path, model_name: str) -> float:
    """tenure's log-likelihood of the same summary at someone else's parameters."""
    import duckdb

    from tenure.models._beta_geo import bg_loglik
    from tenure.models._pareto_nbd import pnbd_loglik

    con = duckdb.connect()
    s = con.execute(
        "WITH d AS (SELECT customer_id, CAST(ordered_at AS DATE) AS day FROM "
        f"read_parquet('{path}') GROUP BY ALL) SELECT count(*) - 1 AS x, "
        f"date_diff('day', min(day), max(day)) AS tx, date_diff('day', min(day), DATE '{END}') "
        "AS T FROM d GROUP BY customer_id").fetchnumpy()
    x, tx, T = (np.asarray(s[k], float) for k in ("x", "tx", "T"))
    p = {k.lower(): v for k, v in params.items()}
    if model_name == "bgnbd":
        return float(bg_loglik(p["r"], p["alpha"], p["a"], p["b"], x, tx, T).sum())
    return float(pnbd_loglik(p["r"], p["alpha"], p["s"], p["beta"], x, tx, T).sum())


def clv_difference(ours: str, theirs: str) -> float:
    a = pq.read_table(ours).to_pandas().astype({"customer_id": str}).set_index("customer_id")
    b = pq.read_table(theirs).to_pandas().astype({"customer_id": str}).set_index("customer_id")
    a, b = a["clv"], b["clv"]
    a, b = a.align(b, join="inner")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-9)))


def best_of(runs: list[dict]) -> dict:
    """The last run's results with, for every step, the best wall and CPU time of all runs,
    and the load average seen around them."""
    best = dict(runs[-1])
    best["times"] = {k: min(r["times"][k] for r in runs) for k in runs[0]["times"]}
    best["cpu"] = {k: min(r["cpu"][k] for r in runs) for k in runs[0]["cpu"]}
    best["runs"] = len(runs)
    best["median_total"] = float(np.median([r["times"]["total"] for r in runs]))
    return best


def repeated(run, repeat: int) -> dict:
    """``run()`` ``repeat`` times; the best times, and the 1-minute load average before and
    after."""
    return interleaved({"run": run}, repeat)["run"]


def interleaved(runs: dict[str, Callable[[], dict]], repeat: int) -> dict[str, dict]:
    """Each of ``runs`` (name -> function) ``repeat`` times, in rounds: every round runs each
    tool once, so that all tools meet the same spells of a machine whose speed drifts (by
    10-20% over some minutes on a shared one) instead of one tool getting a slow spell
    of its own. Returns each tool's best times, with the 1-minute load average before the
    first round and after the last."""
    load_before = os.getloadavg()[0]
    results: dict[str, list[dict]] = {name: [] for name in runs}
    for _round in range(repeat):
        for name, run in runs.items():
            results[name].append(run())
    load_after = os.getloadavg()[0]
    out = {}
    for name, done in results.items():
        out[name] = best_of(done)
        out[name]["load"] = (load_before, load_after)
        if "peak_rss_gib" in done[0]:
            out[name]["peak_rss_gib"] = max(r["peak_rss_gib"] for r in done)
    return out


def report(title: str, ours: dict, peers: dict[str, dict], path: Path, model_name: str) -> None:
    print(f"\n{title}: best of {ours['runs']} runs each; wall-clock seconds, CPU seconds "
          "(all threads) and the ratio of each to tenure's")
    steps = ["summary", "fit", "gamma_gamma", "predict", "total", "imports"]
    header = f"{'step':<12}{'tenure wall':>12}{'cpu':>8}" + "".join(
        f"{n + ' wall':>22}{'cpu':>8}{'ratio':>8}{'cpu ratio':>10}" for n in peers)
    print(header)
    for step in steps:
        if step not in ours["times"]:
            continue
        wall, cpu = ours["times"][step], ours["cpu"][step]
        line = f"{step:<12}{wall:>12.3f}{cpu:>8.3f}"
        for result in peers.values():
            theirs, their_cpu = result["times"].get(step), result["cpu"].get(step)
            line += (f"{theirs:>22.3f}{their_cpu:>8.3f}{theirs / wall:>7.1f}x"
                     f"{their_cpu / cpu:>9.1f}x" if theirs is not None else " " * 48)
        print(line)
    line = f"{'median total':<12}{ours['median_total']:>12.3f}{'':>8}"
    for result in peers.values():
        theirs = result["median_total"]
        line += f"{theirs:>22.3f}{'':>8}{theirs / ours['median_total']:>7.1f}x{'':>10}"
    print(line)
    print("imports: each tool's own modules (tenure's include Numba's set-up for its compiled "
          "loops), timed before its clock starts; not part of the total")
    loads = "; ".join(f"{name} {r['load'][0]:.1f} -> {r['load'][1]:.1f}"
                      for name, r in {"tenure": ours, **peers}.items())
    print(f"load average (1 min) before the first round -> after the last: {loads}")
    ll = ours["log_likelihood"]
    print(f"tenure: {ours['customers']:,} customers, {ours['distinct_rows']:,} distinct "
          f"(x, t_x, T) rows, LL {ll:.6f}, peak RSS {ours['peak_rss_gib']:.2f} GiB, params "
          + ", ".join(f"{k}={v:.6g}" for k, v in ours["params"].items()))
    for name, result in peers.items():
        theirs = log_likelihood_at(result["params"], path, model_name)
        line = (f"{name}: LL at its parameters {theirs:.6f} (relative difference "
                f"{(ll - theirs) / abs(ll):+.2e}); params "
                + ", ".join(f"{k}={v:.6g}" for k, v in result["params"].items()))
        if "warm_up" in result["times"]:
            line += f"; warm-up run on 20k customers {result['times']['warm_up']:.1f} s"
        print(line)
        if result.get("clv_file") and Path(result["clv_file"]).exists() and "gg" in result:
            print(f"  largest relative CLV difference vs tenure: "
                  f"{clv_difference(ours['clv_file'], result['clv_file']):.2e}")


def big_run(n: int, repeat: int, memory_limit: str | None) -> None:
    path = generate(n, seed=3)
    result = repeated(lambda: tenure_process(path, "bgnbd", memory_limit), repeat)
    print(f"\n{n:,} customers ({pq.ParquetFile(path).metadata.num_rows:,} orders), tenure "
          f"end to end, best of {repeat}: "
          + ", ".join(f"{k} {v:.2f} s (cpu {result['cpu'][k]:.2f})"
                      for k, v in result["times"].items())
          + f"; peak RSS {result['peak_rss_gib']:.2f} GiB; DuckDB memory limit "
          f"{memory_limit or 'its default'}; load average "
          f"{result['load'][0]:.1f} -> {result['load'][1]:.1f}")


# -- the path a user writes from the docs, as whole processes ------------------------------
TENURE_USER = textwrap.dedent("""
    import json, sys, time
    start = time.perf_counter()
    import pandas as pd
    import tenure
    from tenure.models import BetaGeo, GammaGamma, prediction_intervals
    steps, last = {}, [start]

    def lap(step):
        now = time.perf_counter()
        steps[step], last[0] = now - last[0], now

    lap("imports")
    orders = pd.read_parquet(sys.argv[1])
    lap("read")
    summary = tenure.rfm_summary(orders, observation_end="%(end)s", unit="D")
    lap("summary")
    bg = BetaGeo().fit(summary)
    lap("fit")
    gg = GammaGamma().fit(summary)
    lap("gamma_gamma")
    p_alive = bg.p_alive(summary)
    expected = bg.expected_purchases(summary, 90)
    clv = gg.clv(bg, summary, horizon=360, steps=12, discount_rate=0.01)
    lap("predict")
    extras = {}
    if sys.argv[2:] != ["extras"]:
        print(json.dumps({"steps": steps, "customers": len(summary)}))
        sys.exit()
    t = time.perf_counter()
    table = bg.probability_of_n_purchases(summary, range(11), 90)
    extras["P(X(90 days) = n), n = 0..10"] = time.perf_counter() - t
    t = time.perf_counter()
    bounds = prediction_intervals(bg, summary, 90, spend=gg, clv_horizon=360, steps=12,
                                  discount_rate=0.01)
    extras["90%% intervals, purchases and CLV"] = time.perf_counter() - t
    print(json.dumps({"steps": steps, "extras": extras, "customers": len(summary),
                      "draws": bounds.draws}))
""") % {"end": END}

def whole_process(python: str, script: str, name: str, *args: str) -> dict:
    """``script`` run by ``python`` with ``args`` in a fresh process: its own results, the
    parent's wall clock from start to end as the total, and the child's CPU time."""
    code = DATA / f"whole_{name}.py"
    code.write_text(script)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([python, str(code), *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    steps = result.get("steps") or result["times"]
    result["times"] = {**steps, "total": wall}
    result["cpu"] = {"total": (after.ru_utime + after.ru_stime)
                     - (before.ru_utime + before.ru_stime)}
    return result


def user_path(path: Path, repeat: int, skip_lifetimes: bool, skip_pymc: bool) -> None:
    runs = {"tenure": lambda: whole_process(sys.executable, TENURE_USER, "tenure", str(path))}
    # The peers' scripts of the comparison above, PyMC-Marketing's without its warm-up run.
    for name, script, skip in (("lifetimes", LIFETIMES, skip_lifetimes),
                               ("pymc_marketing", PYMC, skip_pymc)):
        if not skip:
            python = str(ensure_venv(name))
            out = str(DATA / f"{name}_whole.parquet")
            runs[name] = lambda p=python, c=script, n=name, o=out: whole_process(
                p, c, n, str(path), o, "bgnbd", "cold")
    results = interleaved(runs, repeat)
    ours = results.pop("tenure")
    ours["times"]["summary"] += ours["times"].pop("read")  # the peers read in their summary
    print(f"\nThe docs' path as whole processes (start, import, read, summary, fits, P(alive), "
          f"expected purchases, CLV), {ours['customers']:,} customers: best of {ours['runs']} "
          "rounds; seconds, and the ratio to tenure")
    steps = ["imports", "summary", "fit", "gamma_gamma", "predict", "total"]
    print(f"{'step':<14}{'tenure':>10}" + "".join(f"{n:>18}{'ratio':>8}" for n in results))
    for step in steps:
        line = f"{step:<14}{ours['times'][step]:>10.2f}"
        for theirs in results.values():
            value = theirs["times"][step]
            line += f"{value:>18.2f}{value / ours['times'][step]:>7.1f}x"
        print(line)
    for label, pick in (("median total", lambda r: r["median_total"]),
                        ("cpu total", lambda r: r["cpu"]["total"])):
        line = f"{label:<14}{pick(ours):>10.2f}"
        for theirs in results.values():
            line += f"{pick(theirs):>18.2f}{pick(theirs) / pick(ours):>7.1f}x"
        print(line)
    print("total: the parent's clock from starting the process to its end (the steps are the "
          "child's own, imports from its first line); cpu: all threads of the child")
    more = whole_process(sys.executable, TENURE_USER, "tenure", str(path), "extras")
    extras = ", ".join(f"{k} {v:.2f} s" for k, v in more["extras"].items())
    print(f"tenure, in one more process after the same path: {extras} ({more['draws']} "
          "parameter draws)")
    loads = "; ".join(f"{name} {r['load'][0]:.1f} -> {r['load'][1]:.1f}"
                      for name, r in {"tenure": ours, **results}.items())
    print(f"load average (1 min) before the first round -> after the last: {loads}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--pnbd-customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool; best kept")
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--skip-pymc", action="store_true")
    parser.add_argument("--big", action="store_true", help="also 10M customers, tenure alone")
    parser.add_argument("--big-only", action="store_true", help="only the 10M run")
    parser.add_argument("--memory-limit", help="DuckDB memory limit for tenure's runs, e.g. "
                        "2GB (default: DuckDB's own, 80%% of the machine's memory)")
    parser.add_argument("--user-path-only", action="store_true",
                        help="only the docs' path as whole processes")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; numbers vary with whatever else runs on it")
    if args.big_only:
        big_run(10_000_000, args.repeat, args.memory_limit)
        return
    if args.user_path_only:
        user_path(generate(args.customers, seed=1), args.repeat, args.skip_lifetimes,
                  args.skip_pymc)
        return

    path = generate(args.customers, seed=1)
    print(f"data: {path.name}, {pq.ParquetFile(path).metadata.num_rows:,} orders")
    runs = {"tenure": lambda: tenure_process(path, "bgnbd", args.memory_limit)}
    if not args.skip_lifetimes:
        runs["lifetimes"] = lambda: run_peer("lifetimes", LIFETIMES, path)
    if not args.skip_pymc:
        runs["pymc_marketing"] = lambda: run_peer("pymc_marketing", PYMC, path)
    peers = interleaved(runs, args.repeat)
    ours = peers.pop("tenure")
    report(f"BG/NBD + Gamma-Gamma, {args.customers:,} customers", ours, peers, path, "bgnbd")

    if not args.skip_lifetimes and args.pnbd_customers:
        path = generate(args.pnbd_customers, seed=2, process="pnbd")
        cold = tenure_process(path, "pnbd", args.memory_limit, cold=True)
        theirs = interleaved({
            "tenure": lambda: tenure_process(path, "pnbd", args.memory_limit),
            "lifetimes": lambda: run_peer("lifetimes", LIFETIMES, path, "pnbd")}, args.repeat)
        ours = theirs.pop("tenure")
        report(f"Pareto/NBD, {args.pnbd_customers:,} customers (summary and fit)", ours,
               theirs, path, "pnbd")
        print("tenure's Pareto/NBD fit compiles its loops on first use (then cached): with an "
              f"empty cache, fit {cold['times']['fit']:.2f} s (cpu {cold['cpu']['fit']:.2f}), "
              f"total {cold['times']['total']:.2f} s (cpu {cold['cpu']['total']:.2f})")
    user_path(generate(args.customers, seed=1), args.repeat, args.skip_lifetimes,
              args.skip_pymc)
    if args.big:
        big_run(10_000_000, args.repeat, args.memory_limit)


if __name__ == "__main__":
    main()
