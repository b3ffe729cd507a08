"""Worker for the kill-and-rerun test: runs and dispatches day by day, resumably.

Usage: python crash_worker.py DB OUT START_DATE DAYS

Channels simulate providers: ``email`` honours idempotency keys (the provider keeps the
keys it accepted and drops a repeat), ``sms`` does not (every call is a delivery). Both
append to logs in OUT so the test can count what a debtor would have received.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

from cobrokit.channel import DeliveryReceipt, DeliveryStatus, Message
from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.ladder.config import load_config
from cobrokit.notice import Notice
from cobrokit.plugins import get_plugin_host
from cobrokit.store.sqlite import SQLiteStore


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


class IdempotentProvider:
    name = "email"
    honours_idempotency = True

    def __init__(self, out: Path) -> None:
        self.accepted = out / "email-accepted.log"
        self.attempts = out / "email-attempts.log"

    def send(self, message: Message) -> DeliveryReceipt:
        _append(self.attempts, message.key)
        time.sleep(0.002)
        seen = set(self.accepted.read_text(encoding="utf-8").split()) if self.accepted.exists() else set()
        if message.key not in seen:  # the provider deduplicates on the idempotency key
            _append(self.accepted, message.key)
        time.sleep(0.002)
        return DeliveryReceipt(DeliveryStatus.SENT, provider_id=message.key)


class PlainProvider:
    name = "sms"
    honours_idempotency = False

    def __init__(self, out: Path) -> None:
        self.delivered = out / "sms-delivered.log"

    def send(self, message: Message) -> DeliveryReceipt:
        time.sleep(0.002)
        _append(self.delivered, message.key)
        time.sleep(0.002)
        return DeliveryReceipt(DeliveryStatus.SENT, provider_id=message.key)


def render(notice: Notice, channel: str) -> Message:
    return Message(
        key=notice.key,
        tenant=notice.tenant,
        debtor_id=notice.debtor.id,
        stage=notice.stage,
        channel=channel,
        recipient=notice.debtor.id,
        subject=notice.stage,
        text=str(notice.total_due),
    )


def main() -> None:
    db, out, start, days = (
        Path(sys.argv[1]),
        Path(sys.argv[2]),
        dt.date.fromisoformat(sys.argv[3]),
        int(sys.argv[4]),
    )
    config = load_config(Path(__file__).with_name("crash_config.toml"))
    channels = {"email": IdempotentProvider(out), "sms": PlainProvider(out)}
    done_file = out / "done.log"
    done = set(done_file.read_text(encoding="utf-8").split()) if done_file.exists() else set()
    host = get_plugin_host(autoload=False)
    with SQLiteStore.open(db) as store:
        for n in range(days):
            day = start + dt.timedelta(days=n)
            if day.isoformat() in done:
                continue
            now = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
            run_ladder(store, day, config=config, now=now, check_freshness=False, batch_size=7, progress=False)
            dispatch(store, host, config=config, now=now, channels=channels, render=render)  # type: ignore[arg-type]
            _append(done_file, day.isoformat())


if __name__ == "__main__":
    main()
