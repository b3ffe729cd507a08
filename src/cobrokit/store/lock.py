"""One run and one dispatcher at a time per store, released even by ``kill -9``.

Two dispatchers working the same outbox could both send a notice; two runs deciding the
same day would journal twice. Each takes an exclusive lock on a file next to the store
(``books.db.dispatch.lock``, ``books.db.run.lock``) with ``fcntl.flock``: the kernel
releases it when the process ends, however it ends, so a crashed run never blocks the next
one. On systems without ``fcntl`` (Windows) the lock is a no-op and a warning says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from cobrokit.errors import StoreError

__all__ = ["exclusive"]

log = logging.getLogger(__name__)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def exclusive(store_path: str, what: str) -> Iterator[None]:
    """Hold the *what* lock (``"run"``, ``"dispatch"``) of the store at *store_path*.

    Raises:
        StoreError: another live process holds it (its pid is named).
    """
    if store_path == ":memory:":
        yield
        return
    if fcntl is None:  # pragma: no cover - Windows
        log.warning("no file locking on this system: do not start two %ss on one store", what)
        yield
        return
    path = Path(f"{store_path}.{what}.lock")
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StoreError(
                f"another cobrokit {what} is running on {store_path} (pid {holder}); wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock
