"""Benchmark: a full dunning run (decide and record, no delivery) on a large portfolio.

Prints, for each size: open invoices, debtors, the floor (Python's sqlite3 reading every
row of the same store: debtors, invoices, payments, allocations), the run's wall time,
peak memory of the run's process, rows written, and the ratio run / floor.

    python benchmarks/bench_run.py                   # 1,000,000 open invoices (~300,000 debtors)
    python benchmarks/bench_run.py --debtors 30000   # a quick look

The run is measured in a fresh child process so its peak memory (ru_maxrss) is its own.
Targets (issue #4): ≤ 30 s on one core, ≤ 500 MB, ≤ 6× the floor, flat memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = dt.date(2026, 6, 30)
COUNTS = (10, 20, 30, 20, 10, 10)  # 1–6 open invoices per debtor: 3.3 on average


def build(path: Path, debtors: int) -> dict[str, int]:
    from cobrokit.generate import generate_portfolio
    from cobrokit.store.sqlite import SQLiteStore

    with SQLiteStore.open(path) as store:
        generate_portfolio(
            store,
            debtors=debtors,
            seed=42,
            as_of=AS_OF,
            unpaid=True,
            counts=COUNTS,
            currencies=("EUR", "USD", "MXN"),
        )
        store.conn.execute("ANALYZE")
        return store.counts()


def floor(path: Path) -> float:
    import sqlite3

    conn = sqlite3.connect(path)
    start = time.perf_counter()
    for table in ("debtor", "invoice", "payment", "allocation"):
        cur = conn.execute(f"SELECT * FROM {table}")
        while cur.fetchmany(10_000):
            pass
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def child(path: str) -> None:
    """Run the ladder once in this process and print JSON figures."""
    from cobrokit.engine import run_ladder
    from cobrokit.ladder.config import default_config
    from cobrokit.store.sqlite import SQLiteStore

    config = default_config()
    with SQLiteStore.open(path) as store:
        start = time.perf_counter()
        cpu0 = time.process_time()
        result = run_ladder(
            store,
            AS_OF,
            config=config,
            now=dt.datetime(2026, 6, 30, 9, tzinfo=dt.UTC),
            check_freshness=False,
            progress=False,
            promises={},
            plans={},
            collect_actions=False,
        )
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        rows = store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu": cpu,
                "peak_mb": peak_kb / 1024,
                "outbox_rows": rows,
                "debtors_seen": result.debtors_seen,
            }
        )
    )


def measure(debtors: int, folder: Path) -> dict[str, float]:
    path = folder / f"bench-{debtors}.db"
    t0 = time.perf_counter()
    counts = build(path, debtors)
    built = time.perf_counter() - t0
    floors = [floor(path) for _ in range(3)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, env=env, check=True
    ).stdout
    run = json.loads(out)
    best_floor = min(floors)
    return {
        "debtors": counts["debtor"],
        "invoices": counts["invoice"],
        "build_s": built,
        "floor_s": best_floor,
        **run,
        "ratio": run["seconds"] / best_floor,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debtors", type=int, default=300_000)
    parser.add_argument("--child", metavar="DB")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}"
    )
    with tempfile.TemporaryDirectory(prefix="cobrokit-bench-") as tmp:
        sizes = sorted({max(args.debtors // 10, 1000), args.debtors})
        results = [measure(n, Path(tmp)) for n in sizes]
    header = (
        f"{'debtors':>9} {'invoices':>10} {'floor s':>8} {'run s':>7} {'cpu s':>7} {'ratio':>6} "
        f"{'peak MB':>8} {'outbox':>8}"
    )
    print(header)
    for r in results:
        print(
            f"{r['debtors']:>9} {r['invoices']:>10} {r['floor_s']:>8.2f} {r['seconds']:>7.2f} {r['cpu']:>7.2f} "
            f"{r['ratio']:>6.2f} {r['peak_mb']:>8.0f} {r['outbox_rows']:>8}"
        )
    small, big = results[0], results[-1]
    if big is not small:
        print(
            f"memory growth: {big['peak_mb'] / small['peak_mb']:.2f}x for {big['invoices'] / small['invoices']:.0f}x "
            "the invoices"
        )
    print(f"ratio to the floor (sqlite3 reading every row of the same store): {big['ratio']:.2f} (target <= 6)")


if __name__ == "__main__":
    main()
