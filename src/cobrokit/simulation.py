"""Preview the ladder over a range of days without sending or recording anything.

:func:`simulate` copies the store to a temporary file (SQLite's backup API), runs the ladder
day by day on the copy — each day's planned notices are marked as sent there, so the next
day sees them as the real runs would — and returns what would be sent to whom and why. The
real store is only read.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs

from cobrokit.engine import PlannedAction, RunEntry, run_ladder
from cobrokit.ladder.config import Config
from cobrokit.model import DEFAULT_TENANT
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["SimulatedDay", "simulate"]


@attrs.frozen(slots=True)
class SimulatedDay:
    """What one day of the simulation would do."""

    day: dt.date
    actions: tuple[PlannedAction, ...]
    entries: tuple[RunEntry, ...] = ()
    """Why others were not contacted that day: skips, deferrals, pauses (each once, when it starts)."""


def simulate(
    store: SQLiteStore, start: dt.date, end: dt.date, *, config: Config, tenant: str = DEFAULT_TENANT
) -> Iterator[SimulatedDay]:
    """Yield, for each day from *start* to *end* inclusive, the actions a daily run would plan.

    Payments are what the store holds (no future payments are invented); notices are
    assumed delivered on the day they are planned.
    """
    if end < start:
        from cobrokit.errors import DateOrderError

        raise DateOrderError("simulate", "to", f"{end.isoformat()} is before {start.isoformat()}")
    with tempfile.TemporaryDirectory(prefix="cobrokit-sim-") as folder:
        copy_path = Path(folder) / "simulation.db"
        target = sqlite3.connect(copy_path)
        store.conn.backup(target)
        target.close()
        with SQLiteStore.open(copy_path) as copy:
            day = start
            while day <= end:
                now = dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)
                result = run_ladder(
                    copy, day, config=config, tenant=tenant, now=now, check_freshness=False, progress=False
                )
                with copy.transaction() as conn:
                    conn.execute("UPDATE outbox SET status = 'sent', detail = 'simulated' WHERE status = 'planned'")
                yield SimulatedDay(day, result.planned, result.entries)
                day += dt.timedelta(days=1)
