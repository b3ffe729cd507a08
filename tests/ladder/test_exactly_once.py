"""Exactly once, measured: kill -9 a real run at random moments, start it again, compare.

A worker process runs the ladder and dispatches, day by day, on a copy of one portfolio.
One copy runs uninterrupted; the other is killed with SIGKILL at random moments and
restarted until it completes. Then:

* every notice the uninterrupted run delivered is delivered in the killed one, and no other;
* the provider that honours idempotency keys delivers each notice exactly once;
* the provider that does not may get a duplicate, but at most one per crash;
* fees are identical (never charged twice).
"""

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from cobrokit.generate import generate_portfolio
from cobrokit.store.sqlite import SQLiteStore

WORKER = Path(__file__).with_name("crash_worker.py")
START = dt.date(2026, 3, 1)
DAYS = 20


def _worker(db: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), *sys.path])}
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(db), str(out), START.isoformat(), str(DAYS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split() if path.exists() else []


def _fees(db: Path) -> list[tuple[str, int]]:
    with SQLiteStore.open(db) as store:
        return sorted(store.conn.execute("SELECT key, amount_minor FROM fee").fetchall())


@pytest.mark.slow
def test_killed_runs_deliver_every_notice_once(tmp_path: Path) -> None:
    seed_db = tmp_path / "seed.db"
    with SQLiteStore.open(seed_db) as store:
        generate_portfolio(store, debtors=300, seed=11, as_of=START)
    calm_db, crash_db = tmp_path / "calm.db", tmp_path / "crash.db"
    shutil.copy(seed_db, calm_db)
    shutil.copy(seed_db, crash_db)
    calm_out, crash_out = tmp_path / "calm", tmp_path / "crash"
    calm_out.mkdir()
    crash_out.mkdir()

    calm = _worker(calm_db, calm_out)
    assert calm.wait(timeout=120) == 0, calm.stderr.read().decode() if calm.stderr else ""
    expected = Counter(_lines(calm_out / "email-accepted.log")) + Counter(_lines(calm_out / "sms-delivered.log"))
    assert len(expected) > 100 and max(expected.values()) == 1  # a real workload, sent once

    # Kill at random moments: let each restart finish at least one more day (so the run
    # progresses), then kill it a random few milliseconds into the next day's work — in the
    # middle of deciding, writing a batch or sending.
    rng = random.Random(20261126)
    kills = 0
    for _ in range(200):
        before = len(_lines(crash_out / "done.log"))
        proc = _worker(crash_db, crash_out)
        deadline = time.perf_counter() + 60
        while proc.poll() is None and len(_lines(crash_out / "done.log")) == before:
            if time.perf_counter() > deadline:
                proc.kill()
                pytest.fail("the worker made no progress in 60 s")
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.04))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        elif proc.returncode != 0:
            pytest.fail(proc.stderr.read().decode() if proc.stderr else "worker failed")
        if len(_lines(crash_out / "done.log")) == DAYS:
            break
    final = _worker(crash_db, crash_out)
    assert final.wait(timeout=120) == 0, final.stderr.read().decode() if final.stderr else ""
    assert kills >= 5, "the test did not manage to interrupt the worker"

    email = Counter(_lines(crash_out / "email-accepted.log"))
    sms = Counter(_lines(crash_out / "sms-delivered.log"))
    assert set(email) | set(sms) == set(expected)
    assert max(email.values()) == 1  # idempotent provider: exactly once
    duplicates = sum(n - 1 for n in sms.values())
    print(f"kills={kills} notices={len(expected)} sms duplicates={duplicates}")
    assert duplicates <= kills  # at most one duplicate per crash
    assert _fees(crash_db) == _fees(calm_db)
