"""The service under load: 50 concurrent connections against a workspace of a million
customers, and the report of that workspace.

    python bench/service.py                      # 1M customers (built once, reused)
    python bench/service.py --customers 1e5      # a quicker run
    python bench/service.py --seconds 30         # longer runs per scenario
    python bench/service.py --connections 1      # one request at a time: its own cost

The workspace is a simulated business with every table, ingested the way a user would,
scored by the value models and the churn model, with its SLA clocks evaluated; it is built
once into bench/.data/service and reused while its size matches. Then ``tenure serve``
runs in its own process and a client of 50 kept-alive HTTP/1.1 connections (asyncio, on
the same machine) asks, for ``--seconds`` each, for customer profiles, searches, the
at-risk list and the overview, through the API and as dashboard pages, printing the latency
percentiles, the throughput and the errors of each. Last, with the server stopped,
``tenure report`` writes the report of the whole workspace.

Targets: profile p95 under 200 ms, search p95 under 300 ms, overview page under 1 s, no
errors; the report under 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / ".data" / "service"
BIN = Path(sys.executable).parent
CONNECTIONS = 50
PORT = 8790


def build(folder: Path, customers: int) -> Path:
    """The workspace of ``customers`` simulated customers, built once."""
    from tenure.capabilities import REGISTRY
    from tenure.contract import LOAD_ORDER
    from tenure.simulate import simulate_business, write_business
    from tenure.sla._demo import add_shop_section
    from tenure.workspace import Workspace

    marker = folder / "built.json"
    if marker.exists() and json.loads(marker.read_text())["customers"] == customers:
        return folder / "ws"
    if folder.exists():
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    started = time.perf_counter()

    def say(what: str) -> None:
        print(f"  {time.perf_counter() - started:6.0f} s  {what}", file=sys.stderr, flush=True)

    business = simulate_business(customers, seed=77)
    write_business(business, folder / "data")
    say("simulated")
    path = folder / "ws"
    with Workspace.init(path, timezone="Asia/Shanghai") as ws:
        ws.set_setting("engine.memory_limit", "4GB")
        for name in LOAD_ORDER:
            source = folder / "data" / f"{name}.parquet"
            if source.exists():
                ws.ingest(name, source)
        say("ingested every table")
    add_shop_section(path)
    with Workspace(path) as ws:
        REGISTRY["score"](ws, {"as_of": "2026-01-01", "model": "pnbd"})
        REGISTRY["fit"](ws, {"model": "pnbd", "calibration_end": "2025-06-30"})
        say("value models fitted and scored")
        REGISTRY["churn train"](ws, {})
        REGISTRY["churn score"](ws, {})
        say("churn model trained and scored")
        REGISTRY["sla evaluate"](ws, {})
        REGISTRY["analyze prepare"](ws, {})
        REGISTRY["customers prepare"](ws, {})
        say("SLA clocks evaluated, stored tables built")
        rows = {t: ws.connection.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in ("customers", "orders", "order_lines", "tickets", "contacts")}
    marker.write_text(json.dumps({"customers": customers, "rows": rows}))
    return path


def tokens(path: Path) -> dict[str, str]:
    from tenure.workspace import Workspace
    from tenure.workspace._access import create_token

    with Workspace(path) as ws, ws.transaction() as con:
        return {role: create_token(con, role, actor="bench").token
                for role in ("admin", "operator")}


def samples(path: Path) -> dict[str, list[str]]:
    """Customer ids, search words and segments to ask for, drawn with a fixed seed."""
    from tenure.workspace import Workspace

    with Workspace(path) as ws:
        con = ws.connection
        ids = [r[0] for r in con.execute(
            "SELECT customer_id FROM analytics_customer_cards USING SAMPLE 2000 ROWS "
            "(reservoir, 7)").fetchall()]
        names = [r[0] for r in con.execute(
            "SELECT DISTINCT name FROM customers USING SAMPLE 300 ROWS (reservoir, 7)"
        ).fetchall() if r[0]]
        phones = [r[0][3:8] for r in con.execute(
            "SELECT phone FROM customers USING SAMPLE 300 ROWS (reservoir, 7)").fetchall()
            if r[0]]
    rng = random.Random(7)
    queries = ([i[:6] for i in ids[:300]] + names[:300] + phones[:300])
    rng.shuffle(queries)
    return {"ids": ids, "queries": queries}


def start_server(path: Path) -> subprocess.Popen:
    env = {**os.environ, "TENURE_LANG": ""}
    process = subprocess.Popen([str(BIN / "tenure"), "serve", "-w", str(path), "--port",
                                str(PORT)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    print(process.stdout.readline().strip(), file=sys.stderr)
    return process


def wait_ready(admin: str) -> float:
    """Wait until the server answers and its start-up jobs are done; seconds waited."""
    import httpx

    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {admin}"}
    while True:
        try:
            jobs = httpx.get(f"http://127.0.0.1:{PORT}/api/v1/jobs", headers=headers,
                             timeout=10).json()
            if jobs and all(j["status"] not in ("queued", "running") for j in jobs):
                failed = [j for j in jobs if j["status"] != "done"]
                if failed:
                    print(f"  start-up jobs: {failed}", file=sys.stderr)
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(1)


class Connection:
    """One kept-alive HTTP/1.1 connection that sends GET requests and reads whole answers.

    The client runs on the same two cores as the server: httpx's pool spends 10-12 ms of
    CPU per request with fifty connections open (4 ms with one), more than the server
    spends on most answers, so the client was measuring itself. This one reads the status
    line, the headers and the body (by Content-Length, or chunked) and nothing else.
    """

    def __init__(self, headers: bytes) -> None:
        self.headers = headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, url: str, timeout: float = 60) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", PORT)
        self.writer.write(f"GET {url} HTTP/1.1\r\n".encode() + self.headers)
        return await asyncio.wait_for(self._answer(), timeout)

    async def _answer(self) -> int:
        reader = self.reader
        status = int((await reader.readline()).split()[1])
        length, chunked, close = 0, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            while size := int((await reader.readline()).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readline()
        else:
            await reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def hammer(name: str, make_url, token: str, seconds: float,
                 connections: int = CONNECTIONS) -> dict:
    """``connections`` clients asking back to back for ``seconds``, each on a connection
    of its own kept alive."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    rng = random.Random(name)
    headers = (f"Host: 127.0.0.1:{PORT}\r\nAuthorization: Bearer {token}\r\n"
               f"Cookie: tenure_session={token}\r\n\r\n").encode()
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        connection = Connection(headers)
        try:
            while time.perf_counter() < stop:
                url = make_url(rng)
                began = time.perf_counter()
                try:
                    status = await connection.get(url)
                    if status != 200:
                        errors[str(status)] = errors.get(str(status), 0) + 1
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError,
                        IndexError) as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    connection.close()
                latencies.append(time.perf_counter() - began)
        finally:
            connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {"scenario": name, "requests": len(latencies), "p50": pct(0.50), "p95": pct(0.95),
            "p99": pct(0.99), "per_second": len(latencies) / elapsed,
            "errors": sum(errors.values()), "error_kinds": errors}


def scenarios(sample: dict[str, list[str]]):
    import urllib.parse

    ids, queries = sample["ids"], sample["queries"]

    def quoted(text: str) -> str:
        return urllib.parse.quote(text, safe="")

    return [
        ("profile (API)", lambda r: f"/api/v1/customers/{quoted(r.choice(ids))}"),
        ("profile (page)", lambda r: f"/customers/{quoted(r.choice(ids))}"),
        ("search (API)", lambda r: f"/api/v1/customers/search?query={quoted(r.choice(queries))}"),
        ("search (page)", lambda r: f"/customers?query={quoted(r.choice(queries))}"),
        ("at-risk list (API)", lambda r: "/api/v1/customers/at-risk?offset="
                                         f"{50 * r.randrange(20)}"),
        ("at-risk list (page)", lambda r: f"/at-risk?offset={50 * r.randrange(20)}"),
        ("overview (API)", lambda r: "/api/v1/customers/overview"),
        ("overview (page)", lambda r: "/overview"),
    ]


def report_seconds(path: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN / "tenure"), "report", "--out", str(out), "-w", str(path)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--no-report", action="store_true", help="leave out the report")
    args = parser.parse_args()
    customers = int(args.customers)
    path = build(DATA, customers)
    made = tokens(path)
    sample = samples(path)
    server = start_server(path)
    try:
        waited = wait_ready(made["admin"])
        print(f"{customers:,} customers; server ready after {waited:.0f} s; "
              f"{args.connections} connections, {args.seconds:g} s per scenario; load "
              f"{os.getloadavg()[0]:.1f}\n")
        print(f"{'scenario':<22}{'requests':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
              f"{'req/s':>9}{'errors':>8}")
        results = []
        for name, make_url in scenarios(sample):
            # A first request outside the timing: the first of a page computes what the
            # next ones reuse until the data change.
            asyncio.run(hammer(name, make_url, made["operator"], 0.01, args.connections))
            result = asyncio.run(hammer(name, make_url, made["operator"], args.seconds,
                                        args.connections))
            results.append(result)
            print(f"{name:<22}{result['requests']:>10,}{result['p50']:>9.1f}"
                  f"{result['p95']:>9.1f}{result['p99']:>9.1f}{result['per_second']:>9.1f}"
                  f"{result['errors']:>8}" + (f"  {result['error_kinds']}"
                                              if result["errors"] else ""))
    finally:
        server.terminate()
        server.wait(30)
    if not args.no_report:
        seconds = report_seconds(path, DATA / "report.html")
        size = (DATA / "report.html").stat().st_size / 2**20
        print(f"\nreport of {customers:,} customers: {seconds:.1f} s, {size:.1f} MiB "
              f"(target < 60 s; load {os.getloadavg()[0]:.1f})")
    targets = {"profile (API)": 200, "profile (page)": 200, "search (API)": 300,
               "search (page)": 300, "overview (page)": 1000}
    for result in results:
        if result["scenario"] in targets:
            met = result["p95"] < targets[result["scenario"]] and not result["errors"]
            print(f"  {result['scenario']:<20} p95 {result['p95']:.0f} ms against "
                  f"{targets[result['scenario']]} ms: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
