"""The kit for testing cobrokit plugins.

* :mod:`cobrokit.testing.plugin` — pytest fixtures (``cobrokit_host``, ``fake_clock``,
  ``fake_channel``, ``fake_backend``), loaded automatically by pytest;
* :class:`FakeClock`, :class:`FakeChannel`, :class:`FakeBackend`, :func:`register_temp`,
  :func:`channel_plugin`, :func:`backend_plugin` — in-memory stand-ins;
* :class:`ChannelContract`, :class:`BackendContract` — test classes a plugin's test module
  subclasses to inherit the contract every channel or backend must pass
  (see ``docs/testing-plugins.md``).

Names are imported lazily, so that loading the pytest plugin never imports ``responses``
or the contract machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cobrokit.testing.contracts import BackendContract, ChannelContract, PageServer
    from cobrokit.testing.fakes import (
        FakeBackend,
        FakeChannel,
        FakeClock,
        backend_plugin,
        channel_plugin,
        register_temp,
    )

__all__ = [
    "BackendContract",
    "ChannelContract",
    "FakeBackend",
    "FakeChannel",
    "FakeClock",
    "PageServer",
    "backend_plugin",
    "channel_plugin",
    "register_temp",
]

_WHERE = {
    "BackendContract": "contracts",
    "ChannelContract": "contracts",
    "PageServer": "contracts",
    "FakeBackend": "fakes",
    "FakeChannel": "fakes",
    "FakeClock": "fakes",
    "backend_plugin": "fakes",
    "channel_plugin": "fakes",
    "register_temp": "fakes",
}


def __getattr__(name: str) -> Any:
    """Import the exported names on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cobrokit.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"cobrokit.testing.{module}"), name)
