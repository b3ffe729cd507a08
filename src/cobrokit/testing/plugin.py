"""cobrokit's pytest plugin (entry point ``pytest11: cobrokit``), loaded in every pytest run.

It stays import-light and side-effect free: this module imports only pytest; cobrokit
itself is imported inside the fixtures, when a test asks for one.

Fixtures:

``cobrokit_host``
    a fresh :class:`~cobrokit.plugins.PluginHost` with autoload off and the built-ins loaded
    (environment switches ignored), so a test sees exactly the plugins it registers.
``fake_clock``
    a :class:`~cobrokit.testing.FakeClock` (records sleeps, never waits).
``fake_channel``
    a :class:`~cobrokit.testing.FakeChannel` named ``"fake"`` that records messages.
``fake_backend``
    an empty :class:`~cobrokit.testing.FakeBackend` named ``"fake"`` on ``fake_clock``;
    append records to its lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from cobrokit.plugins.manager import PluginHost
    from cobrokit.testing.fakes import FakeBackend, FakeChannel, FakeClock

# Contract failures should show pytest's detailed assertion messages; this only registers
# the module name for rewriting when (and if) a plugin's tests import it.
pytest.register_assert_rewrite("cobrokit.testing.contracts")


@pytest.fixture
def cobrokit_host() -> PluginHost:
    """A fresh plugin host: built-ins only, no entry points, no environment switches."""
    from cobrokit.plugins.manager import get_plugin_host

    return get_plugin_host(autoload=False, environ={})


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock that records sleeps instead of waiting."""
    from cobrokit.testing.fakes import FakeClock

    return FakeClock()


@pytest.fixture
def fake_channel() -> FakeChannel:
    """An in-memory channel named ``"fake"`` recording what it is asked to send."""
    from cobrokit.testing.fakes import FakeChannel

    return FakeChannel()


@pytest.fixture
def fake_backend(fake_clock: FakeClock) -> FakeBackend:
    """An empty in-memory backend named ``"fake"``; fill its record lists in the test."""
    from cobrokit.testing.fakes import FakeBackend

    return FakeBackend(clock=fake_clock)
